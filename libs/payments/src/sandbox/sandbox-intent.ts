// The sandbox's PaymentIntent and the helpers that keep its ids deterministic.
import { createHash } from 'node:crypto';
import { normaliseDeclineCode } from '../decline-code.js';
import type { DisputeStatus, PaymentOutcome, RefundOutcome } from '../payment-provider.js';
import { canTransition, type PaymentState } from '../payment-state.js';
import type { CardBehaviour, CardSummary } from './sandbox-cards.js';

export interface SandboxFailure {
  /** Stripe error code, e.g. `card_declined`, `payment_intent_authentication_failure`. */
  code: string;
  declineCode?: string;
  message: string;
}

/**
 * A sandbox payment as the sandbox's own table holds it (see sandbox-store.ts). Holds brand and last
 * four only; the card number and CVC are never stored.
 */
export interface SandboxIntent {
  id: string;
  orderId: string;
  amount: number;
  currency: string;
  metadata: Record<string, string>;
  state: PaymentState;
  card: CardSummary;
  behaviour: CardBehaviour;
  /** Unix seconds. */
  created: number;
  idempotencyKey: string;
  /** The non-card request parameters, to detect a key reused for a different request. */
  fingerprint: string;
  clientSecret: string;
  returnUrl?: string;
  failure?: SandboxFailure;
  amountRefunded: number;
  dispute?: { id: string; status: DisputeStatus; created: number };
  /** The card's own dispute is due to open (the `…0259` card), at a time kept in the table. */
  disputeScheduled: boolean;
}

/**
 * A Stripe-looking id derived from its inputs, so the same idempotency key yields the same ids
 * (payment, charge, refund, event) even after a restart and settlement de-duplicates replays.
 */
export function sandboxId(prefix: string, ...parts: string[]): string {
  return `${prefix}_${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24)}`;
}

/** The port outcome an intent's state stands for; `challengeUrl` is where a 3-D Secure step happens. */
export function outcomeOfIntent(intent: SandboxIntent, challengeUrl: string): PaymentOutcome {
  const paymentId = intent.id;
  switch (intent.state) {
    case 'created':
    case 'processing':
      return { status: 'processing', paymentId };
    case 'requires_action':
      return {
        status: 'requires_action',
        paymentId,
        clientSecret: intent.clientSecret,
        nextAction: { type: 'redirect_to_url', url: challengeUrl },
      };
    case 'declined':
      return {
        status: 'declined',
        paymentId,
        declineCode: normaliseDeclineCode(intent.failure?.code, intent.failure?.declineCode),
        message: intent.failure?.message ?? 'Your card was declined.',
      };
    case 'canceled':
      return { status: 'canceled', paymentId };
    default:
      return { status: 'succeeded', paymentId };
  }
}

/** Why a refund of `amount` (with `remaining` unrefunded) cannot be made, or undefined if it can. */
export function refundRejectionOf(
  intent: SandboxIntent,
  amount: number,
  remaining: number,
): Pick<Extract<RefundOutcome, { status: 'rejected' }>, 'reason' | 'message'> | undefined {
  if (intent.state === 'refunded')
    return { reason: 'already_refunded', message: 'Payment is already fully refunded' };
  if (intent.state === 'disputed' || intent.state === 'dispute_lost') {
    return { reason: 'disputed', message: 'Payment is disputed; the dispute settles the money' };
  }
  if (!canTransition(intent.state, 'refunded')) {
    return { reason: 'not_refundable', message: `Payment in state ${intent.state} cannot be refunded` };
  }
  if (amount > remaining) {
    return { reason: 'amount_too_large', message: `Refund ${amount} exceeds the unrefunded ${remaining}` };
  }
  return undefined;
}
