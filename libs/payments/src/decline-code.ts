// Stripe reports a failure as an error `code` plus, for issuer declines, a `decline_code`. Both
// rails reduce that to one small set so checkout shows the same message whichever rail is used.
import type { DeclineCode } from './payment-provider.js';

const BY_STRIPE_CODE: Readonly<Record<string, DeclineCode>> = {
  card_declined: 'card_declined',
  generic_decline: 'card_declined',
  insufficient_funds: 'insufficient_funds',
  expired_card: 'expired_card',
  invalid_expiry_month: 'expired_card',
  invalid_expiry_year: 'expired_card',
  incorrect_cvc: 'incorrect_cvc',
  invalid_cvc: 'incorrect_cvc',
  incorrect_number: 'incorrect_number',
  invalid_number: 'incorrect_number',
  processing_error: 'processing_error',
  authentication_required: 'authentication_failed',
  payment_intent_authentication_failure: 'authentication_failed',
};

/** Maps Stripe's `code`/`decline_code` pair to our `DeclineCode`; anything unknown is a plain decline. */
export function normaliseDeclineCode(code?: string | null, declineCode?: string | null): DeclineCode {
  // The issuer's reason is the more specific one (code is just `card_declined` then).
  return (
    (declineCode ? BY_STRIPE_CODE[declineCode] : undefined) ??
    (code ? BY_STRIPE_CODE[code] : undefined) ??
    'card_declined'
  );
}
