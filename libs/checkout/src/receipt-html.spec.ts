import { describe, expect, it } from 'vitest';
import { receiptHtml, receiptLanguage } from './receipt-html.js';

const receipt = {
  orderId: '6f1c2b1e-0000-4000-8000-000000000001',
  status: 'paid' as const,
  token: { tokenId: 'tok_a', name: 'Crane <at> dusk', editionNumber: 12, editionTotal: 100 },
  sellerHandle: 'ada',
  buyerHandle: 'grace',
  amountMinor: 199_999,
  currency: 'CNY',
  breakdown: {
    platformFeeMinor: 10_000,
    royaltyMinor: 0,
    processorFeeMinor: 5_830,
    sellerProceedsMinor: 184_169,
  },
  card: { brand: 'visa', last4: '4242' },
  paidAt: '2026-12-07T10:00:00.000Z',
  refundedMinor: 0,
  ledger: {
    status: 'integrated' as const,
    index: 41,
    proof: '/ledger/proof/inclusion?index=41&size=50',
    history: '/h',
  },
};

describe('receiptHtml', () => {
  it('shows amounts per locale from minor units, the edition in words, and escapes what people typed', () => {
    const en = receiptHtml(receipt, 'en');
    expect(en).toContain('CN¥1,999.99');
    expect(en).toContain('Edition 12 of 100');
    expect(en).toContain('Crane &lt;at&gt; dusk');
    expect(en).not.toContain('<at>');
    expect(en).toContain('href="/ledger/proof/inclusion?index=41&amp;size=50"');
    expect(en).not.toContain('<script');
    const zh = receiptHtml(receipt, 'zh-CN');
    expect(zh).toContain('¥1,999.99');
    expect(zh).toContain('第 12 份，共 100 份');
    expect(zh).toContain('平台服务费');
    expect(zh).toContain('<html lang="zh-CN">');
  });

  it('formats zero-decimal currencies without inventing cents, and says when the ledger entry is pending', () => {
    const yen = receiptHtml(
      {
        ...receipt,
        currency: 'JPY',
        amountMinor: 1500,
        ledger: { ...receipt.ledger, index: null, proof: null },
      },
      'en',
    );
    expect(yen).toContain('¥1,500');
    expect(yen).not.toContain('¥1,500.00');
    expect(yen).toContain('being recorded');
  });

  it('picks the language from ?lang, else Accept-Language, else English', () => {
    expect(receiptLanguage('zh-CN', 'en')).toBe('zh-CN');
    expect(receiptLanguage(undefined, 'zh-TW,zh;q=0.9')).toBe('zh-CN');
    expect(receiptLanguage(undefined, 'de-DE')).toBe('en');
    expect(receiptLanguage(undefined, undefined)).toBe('en');
  });
});
