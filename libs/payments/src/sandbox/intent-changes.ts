// What each sandbox call does to a payment intent, without storage: the intent's new fields, the
// answer, and the events that report the change. The provider runs these under the intent's row lock.
import { PaymentRequestInvalidError } from '../payment-provider.exception.js';
import type {
  CancelOutcome,
  CreatePaymentRequest,
  RefundOutcome,
  RefundRequest,
} from '../payment-provider.js';
import { paymentMetadata } from '../payment-request.js';
import { assertTransition, canTransition, type PaymentState } from '../payment-state.js';
import type { CardBehaviour, CardSummary } from './sandbox-cards.js';
import { stripeStatusOf, type SandboxEvents } from './sandbox-events.js';
import { refundRejectionOf, sandboxId, type SandboxFailure, type SandboxIntent } from './sandbox-intent.js';
import type { IntentChange } from './sandbox-store.js';
import type { OutboxEvent } from './webhook-delivery.js';

/** What a change to a stored intent answers, and what it writes. */
export interface Mutation<T> {
  result: T;
  events?: OutboxEvent[];
  refund?: IntentChange['refund'];
  /** Write the intent even without an event (default: only when there are events). */
  changed?: boolean;
}

const AUTHENTICATION_FAILURE: SandboxFailure = {
  code: 'payment_intent_authentication_failure',
  message: 'We are unable to authenticate your payment method. Please choose a different payment method.',
};
const FAILURES: Partial<Record<CardBehaviour, SandboxFailure>> = {
  decline: { code: 'card_declined', declineCode: 'generic_decline', message: 'Your card was declined.' },
  insufficient_funds: {
    code: 'card_declined',
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
};

export class IntentChanges {
  constructor(
    private readonly events: SandboxEvents,
    private readonly nowSeconds: () => number,
    /** Whether a `…0259` card's payment schedules its own dispute. */
    private readonly disputesByThemselves: boolean,
  ) {}

  /** A new payment of a valid card, charged: what the card does, and the event reporting it, if any. */
  create(
    id: string,
    request: CreatePaymentRequest,
    fingerprint: string,
    check: { card: CardSummary; behaviour: CardBehaviour },
  ): { intent: SandboxIntent; event?: OutboxEvent } {
    const intent: SandboxIntent = {
      id,
      orderId: request.orderId,
      amount: request.amount,
      currency: request.currency,
      metadata: paymentMetadata(request),
      state: 'created',
      card: check.card,
      behaviour: check.behaviour,
      created: this.nowSeconds(),
      idempotencyKey: request.idempotencyKey,
      fingerprint,
      clientSecret: `${id}_secret_${sandboxId('cs', id).slice(3)}`,
      returnUrl: request.returnUrl,
      amountRefunded: 0,
      disputeScheduled: false,
    };
    if (check.behaviour === 'three_d_secure') {
      move(intent, 'requires_action');
      return { intent };
    }
    const failure = FAILURES[check.behaviour];
    return { intent, event: failure ? this.fail(intent, failure) : this.succeed(intent) };
  }

  /** The buyer approved or abandoned 3-D Secure; a finished challenge stays as it is. */
  completeChallenge(intent: SandboxIntent, approve: boolean): Mutation<void> {
    if (intent.state !== 'requires_action') return { result: undefined };
    const event = approve ? this.succeed(intent) : this.fail(intent, AUTHENTICATION_FAILURE);
    return { result: undefined, events: [event] };
  }

  cancel(intent: SandboxIntent): Mutation<CancelOutcome> {
    const paymentId = intent.id;
    if (intent.state === 'canceled') return { result: { status: 'canceled', paymentId } };
    if (!canTransition(intent.state, 'canceled')) {
      return { result: { status: 'not_cancelable', paymentId, paymentStatus: stripeStatusOf(intent.state) } };
    }
    move(intent, 'canceled');
    intent.disputeScheduled = false;
    return {
      result: { status: 'canceled', paymentId },
      events: [this.events.paymentIntent('payment_intent.canceled', intent)],
    };
  }

  /** A refund, or the one made before under the same key (`previous`). */
  refund(intent: SandboxIntent, request: RefundRequest, previous?: RefundOutcome): Mutation<RefundOutcome> {
    if (previous) return { result: previous };
    const paymentId = intent.id;
    const remaining = intent.amount - intent.amountRefunded;
    const amount = request.amount ?? remaining;
    const rejection = refundRejectionOf(intent, amount, remaining);
    if (rejection) return { result: { status: 'rejected', paymentId, ...rejection } };
    intent.amountRefunded += amount;
    move(intent, intent.amountRefunded >= intent.amount ? 'refunded' : 'partially_refunded');
    const refundId = sandboxId('re', paymentId, request.idempotencyKey);
    return {
      result: { status: 'succeeded', refundId, paymentId, amount },
      refund: { idempotencyKey: request.idempotencyKey, refundId, amount },
      events: [this.events.chargeRefunded(intent, refundId)],
    };
  }

  /** A dispute opened now by hand; throws for a payment that cannot be disputed. */
  openDispute(intent: SandboxIntent): Mutation<void> {
    const wasScheduled = intent.disputeScheduled;
    intent.disputeScheduled = false;
    if (intent.dispute) return { result: undefined, changed: wasScheduled };
    if (!canTransition(intent.state, 'disputed')) {
      throw new PaymentRequestInvalidError(
        `Payment ${intent.id} in state ${intent.state} cannot be disputed`,
      );
    }
    return { result: undefined, events: [this.disputeCreated(intent)] };
  }

  /** The card's own dispute, when due: the payment may have been canceled or disputed meanwhile. */
  openScheduledDispute(intent: SandboxIntent): Mutation<void> {
    if (!intent.disputeScheduled) return { result: undefined };
    intent.disputeScheduled = false;
    if (intent.dispute || !canTransition(intent.state, 'disputed'))
      return { result: undefined, changed: true };
    return { result: undefined, events: [this.disputeCreated(intent)] };
  }

  closeDispute(intent: SandboxIntent, result: 'won' | 'lost'): Mutation<void> {
    if (!intent.dispute) throw new PaymentRequestInvalidError(`Payment ${intent.id} has no dispute`);
    if (intent.dispute.status === result) return { result: undefined };
    move(intent, result === 'won' ? 'dispute_won' : 'dispute_lost');
    intent.dispute.status = result;
    return { result: undefined, events: [this.events.dispute('charge.dispute.closed', intent)] };
  }

  private succeed(intent: SandboxIntent): OutboxEvent {
    move(intent, 'succeeded');
    intent.disputeScheduled = intent.behaviour === 'dispute' && this.disputesByThemselves;
    return this.events.paymentIntent('payment_intent.succeeded', intent);
  }

  private fail(intent: SandboxIntent, failure: SandboxFailure): OutboxEvent {
    intent.failure = failure;
    move(intent, 'declined');
    return this.events.paymentIntent('payment_intent.payment_failed', intent);
  }

  private disputeCreated(intent: SandboxIntent): OutboxEvent {
    intent.dispute = { id: sandboxId('dp', intent.id), status: 'needs_response', created: this.nowSeconds() };
    move(intent, 'disputed');
    return this.events.dispute('charge.dispute.created', intent);
  }
}

function move(intent: SandboxIntent, to: PaymentState): void {
  intent.state = assertTransition(intent.state, to);
}
