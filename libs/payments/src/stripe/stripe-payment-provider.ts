// Stripe implementation of the payment port, on the official SDK. Every request carries an
// idempotency key derived from the caller's, so SDK retries and our own retries are replays.
import { Logger } from '@nestjs/common';
import Stripe from 'stripe';
import type {
  CancelOutcome,
  ConfirmPaymentRequest,
  CreatePaymentRequest,
  PaymentOutcome,
  PaymentProvider,
  ProcessorMovement,
  ProviderEvent,
  RefundOutcome,
  RefundRequest,
  RetrievedPayment,
} from '../payment-provider.js';
import { PaymentRequestInvalidError } from '../payment-provider.exception.js';
import {
  assertValidIdempotencyKey,
  assertValidPaymentRequest,
  assertValidRefundRequest,
  paymentMetadata,
} from '../payment-request.js';
import { parseStripeWebhook } from '../webhook-event.js';
import { createStripeClient, type StripeClientOptions } from './stripe-client.js';
import {
  cardOfIntent,
  declinedOutcomeOf,
  invalidRequestCodeOf,
  outcomeOfIntent,
  outcomeOfRefund,
  portErrorOf,
  refundRejectionOf,
} from './stripe-outcomes.js';

export interface StripePaymentProviderOptions extends StripeClientOptions {
  /** The endpoint's signing secret (`whsec_…`). */
  webhookSecret: string;
  /** The Connect endpoint's signing secret, for events of connected accounts (payouts' `account.updated`). */
  connectWebhookSecret?: string;
  webhookToleranceSeconds?: number;
  /** Clock in milliseconds for webhook tolerance, for tests. */
  now?: () => number;
}

/** Payment port over Stripe PaymentIntents (card data stays in Stripe's Payment Element). */
export class StripePaymentProvider implements PaymentProvider {
  readonly rail = 'stripe';
  private readonly stripe: Stripe;
  private readonly logger = new Logger(StripePaymentProvider.name);

  constructor(private readonly options: StripePaymentProviderOptions) {
    if (!options.secretKey) throw new Error('StripePaymentProvider needs a secret key');
    if (!options.webhookSecret) throw new Error('StripePaymentProvider needs a webhook signing secret');
    this.stripe = createStripeClient(options);
  }

  /**
   * Creates a PaymentIntent. Without `paymentMethodId` it stays unconfirmed and the outcome asks the
   * browser to confirm with the client secret; with one it is confirmed server-side.
   */
  async createPayment(request: CreatePaymentRequest): Promise<PaymentOutcome> {
    assertValidPaymentRequest(request);
    if (request.card) {
      throw new PaymentRequestInvalidError(
        'Card numbers are not accepted in Stripe mode; use the Payment Element',
      );
    }
    const confirm = request.paymentMethodId !== undefined;
    const params: Stripe.PaymentIntentCreateParams = {
      amount: request.amount,
      currency: request.currency,
      metadata: paymentMetadata(request),
      // Server-side confirmation without a return URL cannot follow redirects (3-D Secure then
      // runs through Stripe.js as `use_stripe_sdk`); the browser flow passes its own return URL.
      automatic_payment_methods: {
        enabled: true,
        allow_redirects: confirm && !request.returnUrl ? 'never' : 'always',
      },
    };
    if (confirm) {
      params.confirm = true;
      params.payment_method = request.paymentMethodId;
      if (request.returnUrl) params.return_url = request.returnUrl;
    }
    try {
      const intent = await this.stripe.paymentIntents.create(params, {
        idempotencyKey: request.idempotencyKey,
      });
      return outcomeOfIntent(intent);
    } catch (error) {
      const declined = declinedOutcomeOf(error);
      if (declined) return declined;
      throw portErrorOf(error);
    }
  }

  /**
   * Reads the PaymentIntent after the buyer came back from 3-D Secure. `approve` is not used: on
   * Stripe the challenge happens between buyer and issuer, and the intent's status is the truth.
   */
  async confirmAction(paymentId: string, _decision: { approve: boolean }): Promise<PaymentOutcome> {
    try {
      // Stripe ignores idempotency keys on GET; sent anyway so every request carries one.
      const intent = await this.stripe.paymentIntents.retrieve(paymentId, undefined, {
        idempotencyKey: `retrieve:${paymentId}`,
      });
      return outcomeOfIntent(intent);
    } catch (error) {
      throw portErrorOf(error, paymentId);
    }
  }

  /** Confirms a PaymentIntent made without a payment method (reserve-then-pay) server-side. */
  async confirmPayment(paymentId: string, request: ConfirmPaymentRequest): Promise<PaymentOutcome> {
    assertValidIdempotencyKey(request.idempotencyKey);
    const params: Stripe.PaymentIntentConfirmParams = { payment_method: request.paymentMethodId };
    if (request.returnUrl) params.return_url = request.returnUrl;
    try {
      const intent = await this.stripe.paymentIntents.confirm(paymentId, params, {
        idempotencyKey: request.idempotencyKey,
      });
      return outcomeOfIntent(intent);
    } catch (error) {
      const declined = declinedOutcomeOf(error);
      if (declined) return declined;
      throw portErrorOf(error, paymentId);
    }
  }

  /** The PaymentIntent's current outcome (with its client secret while it awaits the buyer) and what it is for. */
  async retrievePayment(paymentId: string): Promise<RetrievedPayment> {
    try {
      const intent = await this.stripe.paymentIntents.retrieve(paymentId, undefined, {
        idempotencyKey: `retrieve:${paymentId}`,
      });
      return {
        ...outcomeOfIntent(intent),
        amount: intent.amount,
        currency: intent.currency,
        orderId: intent.metadata?.order_id,
      };
    } catch (error) {
      throw portErrorOf(error, paymentId);
    }
  }

  /** Cancels an unsettled PaymentIntent; a settled one comes back as `not_cancelable`. */
  async cancelPayment(paymentId: string, idempotencyKey: string): Promise<CancelOutcome> {
    assertValidIdempotencyKey(idempotencyKey);
    try {
      await this.stripe.paymentIntents.cancel(
        paymentId,
        { cancellation_reason: 'abandoned' },
        { idempotencyKey },
      );
      return { status: 'canceled', paymentId };
    } catch (error) {
      if (invalidRequestCodeOf(error) === 'payment_intent_unexpected_state') {
        const status = (error as Stripe.errors.StripeInvalidRequestError).payment_intent?.status ?? 'unknown';
        if (status === 'canceled') return { status: 'canceled', paymentId };
        return { status: 'not_cancelable', paymentId, paymentStatus: status };
      }
      throw portErrorOf(error, paymentId);
    }
  }

  /** Refunds through `refunds.create({ payment_intent })`. */
  async refund(paymentId: string, request: RefundRequest): Promise<RefundOutcome> {
    assertValidRefundRequest(request);
    const params: Stripe.RefundCreateParams = { payment_intent: paymentId, reason: request.reason };
    if (request.amount !== undefined) params.amount = request.amount;
    if (request.metadata) params.metadata = request.metadata;
    try {
      const refund = await this.stripe.refunds.create(params, { idempotencyKey: request.idempotencyKey });
      return outcomeOfRefund(refund, paymentId);
    } catch (error) {
      const rejected = refundRejectionOf(error, paymentId);
      if (rejected) return rejected;
      throw portErrorOf(error, paymentId);
    }
  }

  /**
   * Captures and refunds from Stripe's balance transactions, every page (the SDK's auto-pagination),
   * each with its source expanded to find the payment it belongs to. Amounts are the charge's or
   * refund's own, in the payment's currency (a balance transaction's may be converted to the
   * account's); fees, payouts, disputes and adjustments are not movements of a payment here.
   */
  async *processorMovements(): AsyncIterable<ProcessorMovement> {
    const transactions = this.stripe.balanceTransactions.list({ limit: 100, expand: ['data.source'] });
    try {
      for await (const transaction of transactions) {
        const movement = movementOf(transaction);
        if (movement) yield movement;
      }
    } catch (error) {
      throw portErrorOf(error);
    }
  }

  /** Verifies a Stripe webhook with the endpoint secret and normalises it. */
  parseWebhook(rawBody: Buffer | string, signatureHeader: string): ProviderEvent {
    return parseStripeWebhook(rawBody, signatureHeader, {
      secret: [this.options.webhookSecret, this.options.connectWebhookSecret].filter(
        (secret): secret is string => !!secret,
      ),
      toleranceSeconds: this.options.webhookToleranceSeconds,
      now: this.options.now,
    });
  }

  /** Adds the card brand and last four to a succeeded intent's event (Stripe's webhooks leave the charge unexpanded). */
  async completeEvent(event: ProviderEvent): Promise<ProviderEvent> {
    if (event.type !== 'payment_intent.succeeded' || event.cardLast4) return event;
    try {
      const intent = await this.stripe.paymentIntents.retrieve(
        event.paymentId,
        { expand: ['latest_charge'] },
        { idempotencyKey: `card:${event.paymentId}` },
      );
      return { ...event, ...cardOfIntent(intent) };
    } catch (error) {
      // The card is shown to the buyer, nothing depends on it: the sale goes ahead without it.
      this.logger.warn({ paymentId: event.paymentId, error: String(error) }, 'card details not read');
      return event;
    }
  }
}

/** Balance transaction types that capture a payment, and that give part of one back. */
const CAPTURE_TYPES = new Set(['charge', 'payment']);
const REFUND_TYPES = new Set(['refund', 'payment_refund']);

/** A balance transaction as a movement of a payment, if it is a capture or refund of one. */
function movementOf(transaction: Stripe.BalanceTransaction): ProcessorMovement | undefined {
  const kind = CAPTURE_TYPES.has(transaction.type)
    ? 'capture'
    : REFUND_TYPES.has(transaction.type)
      ? 'refund'
      : undefined;
  const source = transaction.source;
  if (!kind || source === null || typeof source === 'string') return undefined;
  if (source.object !== 'charge' && source.object !== 'refund') return undefined;
  const intent = source.payment_intent;
  const paymentId = typeof intent === 'string' ? intent : intent?.id;
  if (!paymentId) return undefined;
  return {
    kind,
    paymentId,
    amountMinor: source.amount,
    currency: source.currency.toUpperCase(),
    reference: transaction.id,
  };
}
