// Translates Stripe's PaymentIntents and errors into port outcomes and port errors.
import Stripe from 'stripe';
import { normaliseDeclineCode } from '../decline-code.js';
import type { PaymentOutcome, RefundOutcome, RefundRejection } from '../payment-provider.js';
import {
  PaymentNotFoundError,
  PaymentProviderUnavailableError,
  PaymentRequestInvalidError,
} from '../payment-provider.exception.js';

/** The outcome a PaymentIntent's current status stands for. */
export function outcomeOfIntent(intent: Stripe.PaymentIntent): PaymentOutcome {
  const paymentId = intent.id;
  const clientSecret = intent.client_secret ?? undefined;
  switch (intent.status) {
    case 'succeeded':
      return { status: 'succeeded', paymentId };
    case 'canceled':
      return { status: 'canceled', paymentId };
    case 'requires_action':
      return { status: 'requires_action', paymentId, clientSecret, nextAction: nextActionOf(intent) };
    case 'requires_payment_method': {
      const failure = intent.last_payment_error;
      if (failure) {
        return {
          status: 'declined',
          paymentId,
          declineCode: normaliseDeclineCode(failure.code, failure.decline_code),
          message: failure.message ?? 'Your card was declined.',
        };
      }
      // A fresh intent: the browser collects the card with the Payment Element and confirms it.
      return { status: 'requires_action', paymentId, clientSecret, nextAction: { type: 'use_stripe_sdk' } };
    }
    case 'requires_confirmation':
      return { status: 'requires_action', paymentId, clientSecret, nextAction: { type: 'use_stripe_sdk' } };
    default:
      // `processing`, and `requires_capture` (we capture automatically, so it is in flight), and any
      // status newer than this code: not final, the webhook will tell.
      return { status: 'processing', paymentId };
  }
}

function nextActionOf(intent: Stripe.PaymentIntent): {
  type: 'redirect_to_url' | 'use_stripe_sdk';
  url?: string;
} {
  const url = intent.next_action?.redirect_to_url?.url;
  if (intent.next_action?.type === 'redirect_to_url' && url) return { type: 'redirect_to_url', url };
  return { type: 'use_stripe_sdk' };
}

/** Brand and last four of the card that paid, from an intent retrieved with `latest_charge` expanded. */
export function cardOfIntent(intent: Stripe.PaymentIntent): { cardBrand?: string; cardLast4?: string } {
  const charge = typeof intent.latest_charge === 'object' ? intent.latest_charge : null;
  const card = charge?.payment_method_details?.card;
  return card?.brand && card.last4 ? { cardBrand: card.brand, cardLast4: card.last4 } : {};
}

/** A card error as a `declined` outcome; undefined for any other error. */
export function declinedOutcomeOf(error: unknown): PaymentOutcome | undefined {
  if (!(error instanceof Stripe.errors.StripeCardError)) return undefined;
  return {
    status: 'declined',
    paymentId: error.payment_intent?.id,
    declineCode: normaliseDeclineCode(error.code, error.decline_code),
    message: error.message || 'Your card was declined.',
  };
}

/** Stripe's `code` when `error` is an invalid-request error, else undefined. */
export function invalidRequestCodeOf(error: unknown): string | undefined {
  return error instanceof Stripe.errors.StripeInvalidRequestError ? (error.code ?? '') : undefined;
}

/** Refund problems Stripe reports as invalid requests but which are business outcomes for us. */
export function refundRejectionOf(error: unknown, paymentId: string): RefundOutcome | undefined {
  const reasons: Record<string, RefundRejection> = {
    charge_already_refunded: 'already_refunded',
    amount_too_large: 'amount_too_large',
    charge_disputed: 'disputed',
    payment_intent_unexpected_state: 'not_refundable',
  };
  const code = invalidRequestCodeOf(error);
  const reason = code ? reasons[code] : undefined;
  if (!reason || !(error instanceof Error)) return undefined;
  return { status: 'rejected', paymentId, reason, message: error.message };
}

/** Maps a Stripe refund status to our refund outcome. */
export function outcomeOfRefund(refund: Stripe.Refund, paymentId: string): RefundOutcome {
  if (refund.status === 'succeeded')
    return { status: 'succeeded', refundId: refund.id, paymentId, amount: refund.amount };
  if (refund.status === 'failed' || refund.status === 'canceled') {
    return {
      status: 'rejected',
      paymentId,
      reason: 'failed',
      message: `Refund ${refund.id} ${refund.status}`,
    };
  }
  return { status: 'pending', refundId: refund.id, paymentId, amount: refund.amount };
}

/**
 * Turns any other Stripe failure into a port error: a missing payment, a bad request (our bug, do
 * not retry) or an unavailable provider (network, 5xx, rate limit, credentials; retry later).
 * Non-Stripe errors are programming errors and are returned unchanged.
 */
export function portErrorOf(error: unknown, paymentId?: string): unknown {
  if (!(error instanceof Stripe.errors.StripeError)) return error;
  if (error instanceof Stripe.errors.StripeInvalidRequestError) {
    if (paymentId && error.code === 'resource_missing' && refersToIntent(error)) {
      return new PaymentNotFoundError(paymentId);
    }
    return new PaymentRequestInvalidError(`Stripe rejected the request: ${error.message}`, { cause: error });
  }
  if (error instanceof Stripe.errors.StripeIdempotencyError) {
    return new PaymentRequestInvalidError(`Idempotency key reused: ${error.message}`, { cause: error });
  }
  return new PaymentProviderUnavailableError(`Stripe unavailable: ${error.message}`, { cause: error });
}

// A 404 on `/payment_intents/:id`, or a request parameter naming the intent.
function refersToIntent(error: Stripe.errors.StripeInvalidRequestError): boolean {
  if (error.param === undefined) return error.statusCode === 404;
  return ['intent', 'id', 'payment_intent'].includes(error.param);
}
