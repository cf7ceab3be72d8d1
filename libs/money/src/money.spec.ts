import { describe, expect, it } from 'vitest';
import { basisPoints, CURRENCIES, formatMoney, minimumChargeMinor, minorDigits, splitSale } from './money.js';

describe('money', () => {
  it('knows currency exponents', () => {
    expect(minorDigits('USD')).toBe(2);
    expect(minorDigits('JPY')).toBe(0);
    expect(() => minorDigits('XXX')).toThrow();
  });

  it("knows Stripe's minimum charge for every accepted currency", () => {
    expect(minimumChargeMinor('USD')).toBe(50);
    expect(minimumChargeMinor('EUR')).toBe(50);
    expect(minimumChargeMinor('GBP')).toBe(30);
    expect(minimumChargeMinor('HKD')).toBe(400);
    expect(minimumChargeMinor('JPY')).toBe(50);
    expect(formatMoney(minimumChargeMinor('CNY'), 'CNY')).toBe('4.00 CNY');
    for (const currency of CURRENCIES) expect(minimumChargeMinor(currency)).toBeGreaterThan(1);
    expect(() => minimumChargeMinor('XXX')).toThrow();
  });

  it('formats minor units without floats', () => {
    expect(formatMoney(1999, 'USD')).toBe('19.99 USD');
    expect(formatMoney(-5, 'EUR')).toBe('-0.05 EUR');
    expect(formatMoney(1500, 'JPY')).toBe('1500 JPY');
    expect(formatMoney(9007199254740993n, 'CNY')).toBe('90071992547409.93 CNY');
  });

  it('splits a sale so the parts add up to the payment exactly', () => {
    for (const gross of [1, 99, 100, 1999, 123457, 10_000_000]) {
      const split = splitSale(gross, {
        platformFeeBps: 500,
        processorFeeBps: 290,
        processorFeeFixedMinor: 30,
        royaltyBps: 750,
      });
      expect(split.sellerProceeds + split.royalty + split.platformFee + split.processorFee).toBe(gross);
      expect(split.sellerProceeds).toBeGreaterThanOrEqual(0);
    }
    expect(basisPoints(1999, 500)).toBe(99);
  });
});
