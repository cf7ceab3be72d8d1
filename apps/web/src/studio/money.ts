import { minorDigits } from '../format';
import type { Schemas } from '../api/client';

export type Currency = Schemas['CreateListingDto']['currency'];

/** The currencies the API prices in (CreateListingDto's enum). */
export const CURRENCIES: readonly Currency[] = [
  'CNY',
  'USD',
  'EUR',
  'GBP',
  'HKD',
  'SGD',
  'CHF',
  'JPY',
  'KRW',
];

/** The currency a person most likely prices in, from their language. */
export function defaultCurrency(language: string): Currency {
  return language.toLowerCase().startsWith('zh') ? 'CNY' : 'USD';
}

/**
 * "19.99" in `currency` as integer minor units (1999), or null when it is not a positive amount
 * with at most the currency's digits. Parsed from the text so no float rounding creeps in.
 */
export function toMinor(text: string, currency: string): number | null {
  const digits = minorDigits(currency);
  const match = /^\s*(\d{1,12})(?:[.,](\d*))?\s*$/.exec(text);
  if (!match || (match[2] ?? '').length > digits) return null;
  const minor = Number(match[1]) * 10 ** digits + Number((match[2] ?? '').padEnd(digits, '0') || 0);
  return minor > 0 ? minor : null;
}

/** Minor units as the plain number a person types (1999 USD → "19.99"). */
export function toMajorText(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  return (minor / 10 ** digits).toFixed(digits);
}

/** Basis points as a percentage the person's locale writes (500 → "5%"). */
export function percent(locale: string, bps: number): string {
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 2 }).format(bps / 10_000);
}

/** "12 MB" per locale. */
export function byteSize(locale: string, bytes: number): string {
  const mb = bytes / 1024 / 1024;
  return new Intl.NumberFormat(locale, { style: 'unit', unit: 'megabyte', maximumFractionDigits: 1 }).format(
    mb,
  );
}
