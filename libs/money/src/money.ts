/** What we know of each currency we accept. */
interface CurrencyFacts {
  /** Minor-unit digits ISO 4217 gives it. */
  minorDigits: number;
  /** The smallest amount the card processor will charge, in minor units. */
  minimumChargeMinor: number;
}

/**
 * Currencies we accept. Minimum charges are Stripe's ("Minimum and maximum charge amounts" in its
 * supported-currencies guide): a smaller charge is refused, so a price below it could never be paid.
 * Stripe's table names settlement currencies only; for CNY and KRW, which it leaves out, a charge must
 * convert to at least USD 0.50, so theirs are that amount rounded up with a margin for the exchange rate.
 */
const CURRENCY_FACTS: Record<string, CurrencyFacts> = {
  CNY: { minorDigits: 2, minimumChargeMinor: 400 }, // CNY 4.00
  EUR: { minorDigits: 2, minimumChargeMinor: 50 }, // EUR 0.50
  GBP: { minorDigits: 2, minimumChargeMinor: 30 }, // GBP 0.30
  USD: { minorDigits: 2, minimumChargeMinor: 50 }, // USD 0.50
  HKD: { minorDigits: 2, minimumChargeMinor: 400 }, // HKD 4.00
  SGD: { minorDigits: 2, minimumChargeMinor: 50 }, // SGD 0.50
  CHF: { minorDigits: 2, minimumChargeMinor: 50 }, // CHF 0.50
  JPY: { minorDigits: 0, minimumChargeMinor: 50 }, // JPY 50
  KRW: { minorDigits: 0, minimumChargeMinor: 1000 }, // KRW 1000
};

/** Supported ISO 4217 codes. */
export const CURRENCIES = Object.keys(CURRENCY_FACTS);

function factsOf(currency: string): CurrencyFacts {
  const facts = CURRENCY_FACTS[currency];
  if (facts === undefined) throw new Error(`unsupported currency ${currency}`);
  return facts;
}

/** Minor-unit exponent of a currency (2 for cents, 0 for yen); throws for unsupported codes. */
export function minorDigits(currency: string): number {
  return factsOf(currency).minorDigits;
}

/** The smallest price a card payment can have in `currency`, in minor units; throws for unsupported codes. */
export function minimumChargeMinor(currency: string): number {
  return factsOf(currency).minimumChargeMinor;
}

/** Human display of an integer minor amount, e.g. 1999 USD → "19.99 USD". */
export function formatMoney(amountMinor: number | bigint, currency: string): string {
  const digits = minorDigits(currency);
  const amount = BigInt(amountMinor);
  const sign = amount < 0n ? '-' : '';
  const abs = amount < 0n ? -amount : amount;
  if (digits === 0) return `${sign}${abs} ${currency}`;
  const scale = 10n ** BigInt(digits);
  return `${sign}${abs / scale}.${(abs % scale).toString().padStart(digits, '0')} ${currency}`;
}

/** `bps` basis points of an integer amount, rounded down (the remainder stays with the payee). */
export function basisPoints(amountMinor: number, bps: number): number {
  if (!Number.isSafeInteger(amountMinor) || !Number.isInteger(bps)) throw new Error('integers only');
  return Math.floor((amountMinor * bps) / 10_000);
}

export interface SaleSplit {
  /** What the buyer paid. */
  gross: number;
  processorFee: number;
  platformFee: number;
  /** Creator royalty (resales only; a primary sale pays the creator as seller). */
  royalty: number;
  /** What the seller receives: gross less every fee. */
  sellerProceeds: number;
}

/** Splits a payment so that gross = seller proceeds + royalty + platform fee + processor fee, exactly. */
export function splitSale(
  gross: number,
  fees: {
    platformFeeBps: number;
    processorFeeBps: number;
    processorFeeFixedMinor: number;
    royaltyBps: number;
  },
): SaleSplit {
  const processorFee = Math.min(
    gross,
    basisPoints(gross, fees.processorFeeBps) + fees.processorFeeFixedMinor,
  );
  const platformFee = Math.min(gross - processorFee, basisPoints(gross, fees.platformFeeBps));
  const royalty = Math.min(gross - processorFee - platformFee, basisPoints(gross, fees.royaltyBps));
  return {
    gross,
    processorFee,
    platformFee,
    royalty,
    sellerProceeds: gross - processorFee - platformFee - royalty,
  };
}
