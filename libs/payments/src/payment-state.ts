// The one place that lists how a payment may move between states. Settlement applies an event only
// if the move is allowed here; the sandbox rail uses the same table for its own intents.
import type { PaymentOutcome, ProviderEvent } from './payment-provider.js';

export type PaymentState =
  | 'created'
  | 'requires_action'
  | 'processing'
  | 'succeeded'
  | 'declined'
  | 'canceled'
  | 'partially_refunded'
  | 'refunded'
  | 'disputed'
  | 'dispute_won'
  | 'dispute_lost';

// A declined attempt is not final: on Stripe the buyer may retry another card on the same
// PaymentIntent, so a late `succeeded` after `payment_failed` must still apply.
export const PAYMENT_TRANSITIONS: Readonly<Record<PaymentState, readonly PaymentState[]>> = {
  created: ['requires_action', 'processing', 'succeeded', 'declined', 'canceled'],
  requires_action: ['processing', 'succeeded', 'declined', 'canceled'],
  processing: ['succeeded', 'declined', 'canceled'],
  declined: ['requires_action', 'processing', 'succeeded', 'canceled'],
  succeeded: ['partially_refunded', 'refunded', 'disputed'],
  partially_refunded: ['partially_refunded', 'refunded', 'disputed'],
  // Card holders can dispute even a refunded charge.
  refunded: ['disputed'],
  disputed: ['dispute_won', 'dispute_lost'],
  dispute_won: ['partially_refunded', 'refunded'],
  dispute_lost: [],
  canceled: [],
};

/** Whether a payment may move from `from` to `to`; a repeat of the same state is not a move (treat as already applied). */
export function canTransition(from: PaymentState, to: PaymentState): boolean {
  return PAYMENT_TRANSITIONS[from].includes(to);
}

/** Thrown when code tries a move the table does not allow. */
export class InvalidPaymentTransitionError extends Error {
  readonly code = 'payment_transition_invalid';

  constructor(
    readonly from: PaymentState,
    readonly to: PaymentState,
  ) {
    super(`Payment cannot move from ${from} to ${to}`);
    this.name = 'InvalidPaymentTransitionError';
  }
}

/** Returns `to` if the move is allowed, else throws `InvalidPaymentTransitionError`. */
export function assertTransition(from: PaymentState, to: PaymentState): PaymentState {
  if (!canTransition(from, to)) throw new InvalidPaymentTransitionError(from, to);
  return to;
}

/** Whether no further move is possible. */
export function isTerminalPaymentState(state: PaymentState): boolean {
  return PAYMENT_TRANSITIONS[state].length === 0;
}

/** The state a synchronous provider outcome puts a payment in. */
export function stateForOutcome(outcome: PaymentOutcome): PaymentState {
  return outcome.status;
}

/** The state an event asks for, or null when it asks for no change (ignored events, dispute still open). */
export function stateForEvent(event: ProviderEvent): PaymentState | null {
  switch (event.type) {
    case 'payment_intent.succeeded':
      return 'succeeded';
    case 'payment_intent.payment_failed':
      return 'declined';
    case 'payment_intent.canceled':
      return 'canceled';
    case 'charge.refunded':
      return (event.amountRefunded ?? event.amount) >= event.amount ? 'refunded' : 'partially_refunded';
    case 'charge.dispute.created':
      return 'disputed';
    case 'charge.dispute.closed':
      if (event.disputeStatus === 'lost') return 'dispute_lost';
      // An inquiry closed without a chargeback, or a prevented dispute, leaves the money with us.
      if (['won', 'warning_closed', 'prevented'].includes(event.disputeStatus ?? '')) return 'dispute_won';
      return null;
    case 'account.updated':
    case 'ignored':
      return null;
  }
}
