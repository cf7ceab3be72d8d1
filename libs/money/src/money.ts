/** Currencies we accept, with the number of minor-unit digits ISO 4217 gives them. */
const MINOR_DIGITS: Record<string, number> = {
  CNY: 2,
  EUR: 2,
  GBP: 2,
  USD: 2,
  HKD: 2,
  SGD: 2,
  CHF: 2,
  JPY: 0,
  KRW: 0,
};

/** Supported ISO 4217 codes. */
export const CURRENCIES = Object.keys(MINOR_DIGITS);

/** Minor-unit exponent of a currency (2 for cents, 0 for yen); throws for unsupported codes. */
export function minorDigits(currency: string): number {
  const digits = MINOR_DIGITS[currency];
  if (digits === undefined) throw new Error(`unsupported currency ${currency}`);
  return digits;
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
