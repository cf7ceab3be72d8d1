import { useTranslation } from 'react-i18next';

/** Digits after the decimal point of `currency` (JPY 0, USD 2), as Intl knows them. */
export function minorDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
    .maximumFractionDigits!;
}

/** An amount in integer minor units, as the person's locale writes it: ¥1,999.00, $19.99. */
export function formatMoney(locale: string, amountMinor: number, currency: string): string {
  const digits = minorDigits(currency);
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(amountMinor / 10 ** digits);
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** "in 5 minutes" when near (within a week), else the date and time in the viewer's zone. */
export function formatWhen(locale: string, iso: string, now = Date.now()): string {
  const at = new Date(iso).getTime();
  const delta = at - now;
  if (Math.abs(delta) < 7 * 86_400_000) {
    const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
    for (const [unit, ms] of UNITS) {
      if (Math.abs(delta) >= ms || unit === 'minute') return relative.format(Math.round(delta / ms), unit);
    }
  }
  return formatDate(locale, iso);
}

export function formatDate(locale: string, iso: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/** The formatters bound to the current language. */
export function useFormat() {
  const { i18n } = useTranslation();
  const locale = i18n.language;
  return {
    money: (amountMinor: number, currency: string) => formatMoney(locale, amountMinor, currency),
    when: (iso: string) => formatWhen(locale, iso),
    date: (iso: string) => formatDate(locale, iso),
  };
}
