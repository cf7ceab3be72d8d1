// Card checks of the sandbox rail, modelled on Stripe test mode. Only brand and last four leave
// this module; the number and CVC are read here and nowhere else.
import type { DeclineCode, SandboxCard } from '../payment-provider.js';
import { PaymentRequestInvalidError } from '../payment-provider.exception.js';

export type CardBrand =
  'visa' | 'mastercard' | 'amex' | 'discover' | 'diners' | 'jcb' | 'unionpay' | 'unknown';

/** What a valid test card does once charged, as in Stripe's test card table. */
export type CardBehaviour = 'succeed' | 'decline' | 'insufficient_funds' | 'three_d_secure' | 'dispute';

export const SANDBOX_TEST_CARDS = {
  success: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  threeDSecure: '4000002500003155',
  disputed: '4000000000000259',
} as const;

const BEHAVIOUR_BY_NUMBER: Readonly<Record<string, CardBehaviour>> = {
  [SANDBOX_TEST_CARDS.declined]: 'decline',
  [SANDBOX_TEST_CARDS.insufficientFunds]: 'insufficient_funds',
  [SANDBOX_TEST_CARDS.threeDSecure]: 'three_d_secure',
  [SANDBOX_TEST_CARDS.disputed]: 'dispute',
};

/** Stripe's test PaymentMethod ids, so browser-less tests can use the same ids on both rails. */
export const SANDBOX_TEST_PAYMENT_METHODS: Readonly<Record<string, string>> = {
  pm_card_visa: SANDBOX_TEST_CARDS.success,
  pm_card_chargeDeclined: SANDBOX_TEST_CARDS.declined,
  pm_card_chargeDeclinedInsufficientFunds: SANDBOX_TEST_CARDS.insufficientFunds,
  pm_card_threeDSecure2Required: SANDBOX_TEST_CARDS.threeDSecure,
  pm_card_createDispute: SANDBOX_TEST_CARDS.disputed,
};

// Far enough ahead that a test PaymentMethod's card never counts as expired.
const TEST_PAYMENT_METHOD_EXPIRY_YEARS = 5;

/** The test card behind one of Stripe's test PaymentMethod ids; throws for anything else. */
export function testPaymentMethodCard(paymentMethodId: string | undefined, now: Date): SandboxCard {
  if (!paymentMethodId)
    throw new PaymentRequestInvalidError('The sandbox rail needs a card or a test paymentMethodId');
  const number = SANDBOX_TEST_PAYMENT_METHODS[paymentMethodId];
  if (!number) throw new PaymentRequestInvalidError(`Unknown sandbox payment method ${paymentMethodId}`);
  return {
    number,
    expMonth: 12,
    expYear: now.getUTCFullYear() + TEST_PAYMENT_METHOD_EXPIRY_YEARS,
    cvc: '123',
  };
}

export interface CardSummary {
  brand: CardBrand;
  last4: string;
}

export type CardCheck =
  | { ok: true; card: CardSummary; behaviour: CardBehaviour }
  | { ok: false; declineCode: DeclineCode; message: string };

/** Validates a sandbox card (number, expiry, CVC) as of `now` and says how it behaves when charged. */
export function checkSandboxCard(card: SandboxCard, now: Date): CardCheck {
  const digits = card.number.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(digits) || !passesLuhn(digits)) {
    return { ok: false, declineCode: 'incorrect_number', message: 'Your card number is incorrect.' };
  }
  if (isExpired(card.expMonth, card.expYear, now)) {
    return { ok: false, declineCode: 'expired_card', message: 'Your card has expired.' };
  }
  const brand = brandOf(digits);
  const cvcLength = brand === 'amex' ? 4 : 3;
  if (!new RegExp(`^\\d{${cvcLength}}$`).test(card.cvc)) {
    return { ok: false, declineCode: 'incorrect_cvc', message: "Your card's security code is incorrect." };
  }
  return {
    ok: true,
    card: { brand, last4: digits.slice(-4) },
    behaviour: BEHAVIOUR_BY_NUMBER[digits] ?? 'succeed',
  };
}

/** Luhn (mod 10) checksum over a string of digits. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** Card brand from the number's prefix (IIN ranges), using Stripe's brand names. */
export function brandOf(digits: string): CardBrand {
  const prefix2 = Number(digits.slice(0, 2));
  const prefix4 = Number(digits.slice(0, 4));
  if (digits.startsWith('4')) return 'visa';
  if (prefix2 === 34 || prefix2 === 37) return 'amex';
  if ((prefix2 >= 51 && prefix2 <= 55) || (prefix4 >= 2221 && prefix4 <= 2720)) return 'mastercard';
  if (digits.startsWith('6011') || digits.startsWith('65') || (prefix4 >= 6440 && prefix4 <= 6499))
    return 'discover';
  if (prefix4 >= 3528 && prefix4 <= 3589) return 'jcb';
  if (prefix2 === 36 || prefix2 === 38 || prefix2 === 39 || (prefix4 >= 3000 && prefix4 <= 3059))
    return 'diners';
  if (prefix2 === 62) return 'unionpay';
  return 'unknown';
}

// A card is valid through the last day of its expiry month (compared in UTC).
function isExpired(month: number, year: number, now: Date): boolean {
  if (!Number.isInteger(month) || month < 1 || month > 12 || !Number.isInteger(year) || year < 0) return true;
  const fullYear = year < 100 ? 2000 + year : year;
  const current = now.getUTCFullYear() * 12 + now.getUTCMonth();
  return fullYear * 12 + (month - 1) < current;
}
