// The built-in card rail: behaves like Stripe test mode and reports through the same signed
// webhooks, so settlement is one code path for both rails.
//
// Limitation: intents live in memory only and do not survive a restart. That is acceptable because
// (1) every outcome is emitted as a webhook at once and settlement stores events before acting, and
// (2) ids derive from the request (order id + idempotency key), so a retried call after a restart
// yields the same payment id and the same event ids, which settlement de-duplicates.
import type {
  CancelOutcome,
  CreatePaymentRequest,
  PaymentOutcome,
  PaymentProvider,
  ProviderEvent,
  RefundOutcome,
  RefundRequest,
} from '../payment-provider.js';
import { PaymentNotFoundError, PaymentRequestInvalidError } from '../payment-provider.exception.js';
import {
  assertValidIdempotencyKey,
  assertValidPaymentRequest,
  assertValidRefundRequest,
  paymentMetadata,
} from '../payment-request.js';
import { assertTransition, canTransition } from '../payment-state.js';
import { parseStripeWebhook } from '../webhook-event.js';
import { checkSandboxCard, testPaymentMethodCard } from './sandbox-cards.js';
import {
  BoundedMap,
  outcomeOfIntent,
  refundRejectionOf,
  sandboxId,
  type SandboxIntent,
} from './sandbox-intent.js';
import { SandboxEvents, stripeStatusOf } from './sandbox-events.js';
import { WebhookDelivery, type DeliverWebhook, type WebhookDeliveryOptions } from './webhook-delivery.js';

export interface SandboxPaymentProviderOptions {
  /** Secret the sandbox signs its events with and `parseWebhook` verifies against. */
  webhookSecret: string;
  /** Hands each signed event to the app's webhook handler; retried with backoff until it resolves. */
  deliver: DeliverWebhook;
  /** Path of the app's 3-D Secure challenge page; the payment id is appended. */
  challengePath?: string;
  /** Delay before a `…0259` payment is disputed; `null` means only `openDispute()` opens it. */
  disputeDelayMs?: number | null;
  /** How many intents are remembered for idempotency, 3-D Secure, refunds and disputes. */
  maxIntents?: number;
  webhookToleranceSeconds?: number;
  delivery?: Pick<WebhookDeliveryOptions, 'initialDelayMs' | 'maxDelayMs' | 'onError'>;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

export interface SandboxChallenge {
  paymentId: string;
  orderId: string;
  amount: number;
  currency: string;
  cardBrand: string;
  cardLast4: string;
  returnUrl?: string;
  pending: boolean;
}

/** Sandbox implementation of the payment port (the default rail when no Stripe key is set). */
export class SandboxPaymentProvider implements PaymentProvider {
  readonly rail = 'sandbox';
  private readonly intents: BoundedMap<string, SandboxIntent>;
  private readonly delivery: WebhookDelivery;
  private readonly events: SandboxEvents;
  private readonly now: () => number;

  constructor(private readonly options: SandboxPaymentProviderOptions) {
    this.now = options.now ?? Date.now;
    this.intents = new BoundedMap(options.maxIntents ?? 10_000, (intent) =>
      clearTimeout(intent.disputeTimer),
    );
    this.delivery = new WebhookDelivery({
      ...options.delivery,
      secret: options.webhookSecret,
      deliver: options.deliver,
      now: this.now,
    });
    this.events = new SandboxEvents(this.delivery, () => this.nowSeconds());
  }

  /** Charges a sandbox card (or a Stripe test PaymentMethod id) and emits the outcome as a webhook. */
  async createPayment(request: CreatePaymentRequest): Promise<PaymentOutcome> {
    assertValidPaymentRequest(request);
    const card = request.card ?? testPaymentMethodCard(request.paymentMethodId, new Date(this.now()));
    const id = sandboxId('pi', request.orderId, request.idempotencyKey);
    const fingerprint = JSON.stringify([
      request.orderId,
      request.amount,
      request.currency,
      request.paymentMethodId ?? null,
      request.returnUrl ?? null,
      request.metadata ?? {},
    ]);
    const existing = this.intents.get(id);
    if (existing) {
      if (existing.fingerprint !== fingerprint) {
        throw new PaymentRequestInvalidError('Idempotency key was already used with different parameters');
      }
      return outcomeOfIntent(existing, this.challengeUrl(existing.id));
    }

    const check = checkSandboxCard(card, new Date(this.now()));
    // Like Stripe.js validation: a malformed card never becomes a payment, so there is no id or event.
    if (!check.ok) return { status: 'declined', declineCode: check.declineCode, message: check.message };

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
      refunds: new Map(),
    };
    this.intents.set(id, intent);

    switch (check.behaviour) {
      case 'three_d_secure':
        this.move(intent, 'requires_action');
        break;
      case 'decline':
        this.fail(intent, {
          code: 'card_declined',
          declineCode: 'generic_decline',
          message: 'Your card was declined.',
        });
        break;
      case 'insufficient_funds':
        this.fail(intent, {
          code: 'card_declined',
          declineCode: 'insufficient_funds',
          message: 'Your card has insufficient funds.',
        });
        break;
      case 'succeed':
      case 'dispute':
        this.succeed(intent);
        break;
    }
    await this.delivery.firstAttemptsMade();
    return outcomeOfIntent(intent, this.challengeUrl(intent.id));
  }

  /** Same as `completeChallenge`: the buyer approved or abandoned the 3-D Secure step. */
  async confirmAction(paymentId: string, decision: { approve: boolean }): Promise<PaymentOutcome> {
    const outcome = this.completeChallenge(paymentId, decision.approve);
    await this.delivery.firstAttemptsMade();
    return outcome;
  }

  /** Completes the sandbox 3-D Secure challenge; repeating it returns the first result. */
  completeChallenge(paymentId: string, approve: boolean): PaymentOutcome {
    const intent = this.intentOf(paymentId);
    if (intent.state === 'requires_action') {
      if (approve) this.succeed(intent);
      else {
        this.fail(intent, {
          code: 'payment_intent_authentication_failure',
          message:
            'We are unable to authenticate your payment method. Please choose a different payment method.',
        });
      }
    }
    return outcomeOfIntent(intent, this.challengeUrl(intent.id));
  }

  /** What the HTTP layer needs to render the challenge page; undefined for an unknown payment. */
  describeChallenge(paymentId: string): SandboxChallenge | undefined {
    const intent = this.intents.get(paymentId);
    if (!intent) return undefined;
    return {
      paymentId,
      orderId: intent.orderId,
      amount: intent.amount,
      currency: intent.currency,
      cardBrand: intent.card.brand,
      cardLast4: intent.card.last4,
      returnUrl: intent.returnUrl,
      pending: intent.state === 'requires_action',
    };
  }

  /** Cancels a payment that has not succeeded; emits `payment_intent.canceled`. */
  async cancelPayment(paymentId: string, idempotencyKey: string): Promise<CancelOutcome> {
    assertValidIdempotencyKey(idempotencyKey);
    const intent = this.intentOf(paymentId);
    if (intent.state === 'canceled') return { status: 'canceled', paymentId };
    if (!canTransition(intent.state, 'canceled')) {
      return { status: 'not_cancelable', paymentId, paymentStatus: stripeStatusOf(intent.state) };
    }
    this.move(intent, 'canceled');
    clearTimeout(intent.disputeTimer);
    this.events.paymentIntent('payment_intent.canceled', intent);
    return { status: 'canceled', paymentId };
  }

  /** Refunds all or part of a succeeded payment; emits `charge.refunded` with the cumulative amount. */
  async refund(paymentId: string, request: RefundRequest): Promise<RefundOutcome> {
    assertValidRefundRequest(request);
    const intent = this.intentOf(paymentId);
    const previous = intent.refunds.get(request.idempotencyKey);
    if (previous) return previous;

    const remaining = intent.amount - intent.amountRefunded;
    const amount = request.amount ?? remaining;
    const rejection = refundRejectionOf(intent, amount, remaining);
    if (rejection) return { status: 'rejected', paymentId, ...rejection };

    intent.amountRefunded += amount;
    this.move(intent, intent.amountRefunded >= intent.amount ? 'refunded' : 'partially_refunded');
    const refundId = sandboxId('re', paymentId, request.idempotencyKey);
    const outcome: RefundOutcome = { status: 'succeeded', refundId, paymentId, amount };
    intent.refunds.set(request.idempotencyKey, outcome);
    this.events.chargeRefunded(intent, refundId);
    return outcome;
  }

  /** Opens a dispute on a succeeded payment now (the `…0259` card does this by itself after `disputeDelayMs`). */
  openDispute(paymentId: string): void {
    const intent = this.intentOf(paymentId);
    clearTimeout(intent.disputeTimer);
    intent.disputeTimer = undefined;
    if (intent.dispute) return;
    if (!canTransition(intent.state, 'disputed')) {
      throw new PaymentRequestInvalidError(
        `Payment ${paymentId} in state ${intent.state} cannot be disputed`,
      );
    }
    intent.dispute = { id: sandboxId('dp', paymentId), status: 'needs_response', created: this.nowSeconds() };
    this.move(intent, 'disputed');
    this.events.dispute('charge.dispute.created', intent);
  }

  /** Closes an open dispute as won or lost (for tests and operators); emits `charge.dispute.closed`. */
  closeDispute(paymentId: string, result: 'won' | 'lost'): void {
    const intent = this.intentOf(paymentId);
    if (!intent.dispute) throw new PaymentRequestInvalidError(`Payment ${paymentId} has no dispute`);
    if (intent.dispute.status === result) return;
    this.move(intent, result === 'won' ? 'dispute_won' : 'dispute_lost');
    intent.dispute.status = result;
    this.events.dispute('charge.dispute.closed', intent);
  }

  /** Verifies and normalises a webhook signed by this sandbox. */
  parseWebhook(rawBody: Buffer | string, signatureHeader: string): ProviderEvent {
    return parseStripeWebhook(rawBody, signatureHeader, {
      secret: this.options.webhookSecret,
      toleranceSeconds: this.options.webhookToleranceSeconds,
      now: this.now,
    });
  }

  /** Resolves once every event emitted so far has been accepted by `deliver`. */
  whenIdle(): Promise<void> {
    return this.delivery.whenIdle();
  }

  /** Stops delivery retries and dispute timers (shutdown, end of a test). */
  close(): void {
    this.delivery.stop();
    for (const intent of this.intents.values()) clearTimeout(intent.disputeTimer);
  }

  private succeed(intent: SandboxIntent): void {
    this.move(intent, 'succeeded');
    this.events.paymentIntent('payment_intent.succeeded', intent);
    if (intent.behaviour === 'dispute' && this.options.disputeDelayMs !== null) {
      intent.disputeTimer = setTimeout(() => this.disputeLater(intent), this.options.disputeDelayMs ?? 2_000);
      intent.disputeTimer.unref();
    }
  }

  // Timer callback: the payment may have been refunded or forgotten meanwhile, and a timer must not throw.
  private disputeLater(intent: SandboxIntent): void {
    if (this.intents.get(intent.id) === intent && canTransition(intent.state, 'disputed'))
      this.openDispute(intent.id);
  }

  private fail(intent: SandboxIntent, failure: NonNullable<SandboxIntent['failure']>): void {
    intent.failure = failure;
    this.move(intent, 'declined');
    this.events.paymentIntent('payment_intent.payment_failed', intent);
  }

  private move(intent: SandboxIntent, to: SandboxIntent['state']): void {
    intent.state = assertTransition(intent.state, to);
  }

  private challengeUrl(paymentId: string): string {
    return `${this.options.challengePath ?? '/sandbox/3ds'}/${paymentId}`;
  }

  private intentOf(paymentId: string): SandboxIntent {
    const intent = this.intents.get(paymentId);
    if (!intent) throw new PaymentNotFoundError(paymentId);
    return intent;
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }
}
