import { formatMoney, minorDigits } from '#money';
import type { OrderHistoryService } from './order-history.service.js';

type Receipt = Awaited<ReturnType<OrderHistoryService['receipt']>>;

export const RECEIPT_LANGUAGES = ['en', 'zh-CN'] as const;
export type ReceiptLanguage = (typeof RECEIPT_LANGUAGES)[number];

const WORDS = {
  en: {
    title: 'Receipt',
    order: 'Order',
    item: 'Digital collectible',
    edition: (n: number, of: number) => (of === 1 ? '1-of-1' : `Edition ${n} of ${of}`),
    seller: 'Seller',
    buyer: 'Buyer',
    paidAt: 'Paid',
    price: 'Price',
    platformFee: 'Platform fee',
    royalty: 'Creator royalty',
    processorFee: 'Card processing fee',
    proceeds: 'Seller proceeds',
    refunded: 'Refunded',
    card: 'Card',
    ledger: 'Ledger entry',
    pending: 'being recorded',
    proof: 'proof of inclusion',
    split: 'How the price was split',
  },
  'zh-CN': {
    title: '收据',
    order: '订单',
    item: '数字藏品',
    edition: (n: number, of: number) => (of === 1 ? '孤品' : `第 ${n} 份，共 ${of} 份`),
    seller: '卖家',
    buyer: '买家',
    paidAt: '支付时间',
    price: '价格',
    platformFee: '平台服务费',
    royalty: '版税',
    processorFee: '支付手续费',
    proceeds: '卖家所得',
    refunded: '已退款',
    card: '银行卡',
    ledger: '账本条目',
    pending: '记录中',
    proof: '收录证明',
    split: '价格构成',
  },
} as const;

/** The receipt's language from an explicit choice, else the first supported one the client accepts. */
export function receiptLanguage(
  lang: string | undefined,
  acceptLanguage: string | undefined,
): ReceiptLanguage {
  const wanted = lang ?? acceptLanguage ?? '';
  return /^\s*zh/i.test(wanted) ? 'zh-CN' : 'en';
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/**
 * A printable receipt page: the same figures as the JSON receipt, amounts formatted for the
 * language and currency, the time absolute (UTC), no script and nothing loaded from elsewhere.
 */
export function receiptHtml(receipt: Receipt, language: ReceiptLanguage): string {
  const words = WORDS[language];
  const digits = minorDigits(receipt.currency);
  const money = new Intl.NumberFormat(language, {
    style: 'currency',
    currency: receipt.currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  // Minor units become a decimal string, never a float sum: Intl formats the string exactly.
  const amount = (minor: number) =>
    escapeHtml(money.format(formatMoney(minor, receipt.currency).split(' ')[0] as `${number}`));
  const time = new Intl.DateTimeFormat(language, { dateStyle: 'long', timeStyle: 'long', timeZone: 'UTC' });
  const row = (label: string, value: string) =>
    `<tr><th scope="row">${escapeHtml(label)}</th><td>${value}</td></tr>`;
  const { breakdown, token, ledger } = receipt;
  const ledgerCell =
    ledger.index === null
      ? escapeHtml(words.pending)
      : `#${ledger.index} · <a href="${escapeHtml(ledger.proof!)}">${escapeHtml(words.proof)}</a>`;
  return `<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(words.title)} · ${escapeHtml(token.name)}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; color: #111; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
  table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #ccc; vertical-align: top; }
  td.amount { text-align: right; font-variant-numeric: tabular-nums; }
  @media print { a { color: inherit; } }
</style>
</head>
<body>
<h1>${escapeHtml(words.title)}</h1>
<table>
${row(words.order, `<code>${escapeHtml(receipt.orderId)}</code>`)}
${row(words.item, `${escapeHtml(token.name)} — ${escapeHtml(words.edition(token.editionNumber, token.editionTotal))}`)}
${row(words.seller, escapeHtml(receipt.sellerHandle))}
${row(words.buyer, escapeHtml(receipt.buyerHandle))}
${row(words.paidAt, escapeHtml(time.format(new Date(receipt.paidAt))))}
${receipt.card ? row(words.card, escapeHtml(`${receipt.card.brand} ···· ${receipt.card.last4}`)) : ''}
${row(words.ledger, ledgerCell)}
</table>
<h2>${escapeHtml(words.split)}</h2>
<table>
<tr><th scope="row">${escapeHtml(words.price)}</th><td class="amount">${amount(receipt.amountMinor)}</td></tr>
<tr><th scope="row">${escapeHtml(words.platformFee)}</th><td class="amount">${amount(breakdown.platformFeeMinor)}</td></tr>
<tr><th scope="row">${escapeHtml(words.royalty)}</th><td class="amount">${amount(breakdown.royaltyMinor)}</td></tr>
<tr><th scope="row">${escapeHtml(words.processorFee)}</th><td class="amount">${amount(breakdown.processorFeeMinor)}</td></tr>
<tr><th scope="row">${escapeHtml(words.proceeds)}</th><td class="amount">${amount(breakdown.sellerProceedsMinor)}</td></tr>
${receipt.refundedMinor > 0 ? `<tr><th scope="row">${escapeHtml(words.refunded)}</th><td class="amount">${amount(receipt.refundedMinor)}</td></tr>` : ''}
</table>
</body>
</html>
`;
}
