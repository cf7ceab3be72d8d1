// Builds Stripe-shaped Event JSON for sandbox intents, so the webhook endpoint and settlement
// cannot tell the rails apart. Card data in events is brand and last four only.
import Stripe from 'stripe';
import type { ProviderEventType } from '../payment-provider.js';
import type { PaymentState } from '../payment-state.js';
import { sandboxId, type SandboxIntent } from './sandbox-intent.js';
import type { OutboxEvent } from './webhook-delivery.js';

type StripeLikeObject = Record<string, unknown>;

/** Stripe's PaymentIntent `status` for a sandbox state (refunds and disputes live on the charge). */
export function stripeStatusOf(state: PaymentState): string {
  switch (state) {
    case 'created':
    case 'declined':
      return 'requires_payment_method';
    case 'requires_action':
    case 'processing':
    case 'canceled':
      return state;
    default:
      return 'succeeded';
  }
}

/** The `pi_…` object as Stripe would put it in `data.object`, with the payment method expanded. */
export function paymentIntentObject(intent: SandboxIntent): StripeLikeObject {
  const status = stripeStatusOf(intent.state);
  return {
    id: intent.id,
    object: 'payment_intent',
    amount: intent.amount,
    amount_received: status === 'succeeded' ? intent.amount : 0,
    automatic_payment_methods: { enabled: true, allow_redirects: 'always' },
    cancellation_reason: intent.state === 'canceled' ? 'abandoned' : null,
    capture_method: 'automatic',
    client_secret: intent.clientSecret,
    confirmation_method: 'automatic',
    created: intent.created,
    currency: intent.currency,
    last_payment_error: intent.failure
      ? {
          type: 'card_error',
          code: intent.failure.code,
          ...(intent.failure.declineCode ? { decline_code: intent.failure.declineCode } : {}),
          message: intent.failure.message,
          payment_method: paymentMethodObject(intent),
        }
      : null,
    latest_charge: status === 'succeeded' ? chargeIdOf(intent) : null,
    livemode: false,
    metadata: intent.metadata,
    next_action: null,
    payment_method: paymentMethodObject(intent),
    status,
  };
}

/** The `ch_…` object of a succeeded sandbox payment. */
export function chargeObject(intent: SandboxIntent): StripeLikeObject {
  return {
    id: chargeIdOf(intent),
    object: 'charge',
    amount: intent.amount,
    amount_captured: intent.amount,
    amount_refunded: intent.amountRefunded,
    captured: true,
    created: intent.created,
    currency: intent.currency,
    disputed: intent.dispute !== undefined,
    livemode: false,
    metadata: intent.metadata,
    paid: true,
    payment_intent: intent.id,
    payment_method: paymentMethodIdOf(intent),
    payment_method_details: { type: 'card', card: { ...intent.card } },
    refunded: intent.amountRefunded >= intent.amount,
    status: 'succeeded',
  };
}

/** The `dp_…` object of a sandbox dispute. */
export function disputeObject(intent: SandboxIntent): StripeLikeObject {
  if (!intent.dispute) throw new Error(`Payment ${intent.id} has no dispute`);
  return {
    id: intent.dispute.id,
    object: 'dispute',
    amount: intent.amount,
    charge: chargeIdOf(intent),
    created: intent.dispute.created,
    currency: intent.currency,
    livemode: false,
    metadata: {},
    payment_intent: intent.id,
    reason: 'fraudulent',
    status: intent.dispute.status,
  };
}

/**
 * Serialises a Stripe Event around `object`. The id is derived from the payment, the type and a
 * discriminator (refund id etc.), so re-emitting the same fact yields the same event id.
 */
export function eventJson(
  type: ProviderEventType,
  object: StripeLikeObject,
  intent: SandboxIntent,
  createdSeconds: number,
  discriminator = '',
): { id: string; body: string } {
  const id = sandboxId('evt', intent.id, type, discriminator);
  const body = JSON.stringify(
    {
      id,
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: createdSeconds,
      data: { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: intent.idempotencyKey },
      type,
    },
    null,
    2,
  );
  return { id, body };
}

function paymentMethodObject(intent: SandboxIntent): StripeLikeObject {
  return { id: paymentMethodIdOf(intent), object: 'payment_method', type: 'card', card: { ...intent.card } };
}

function chargeIdOf(intent: SandboxIntent): string {
  return sandboxId('ch', intent.id);
}

function paymentMethodIdOf(intent: SandboxIntent): string {
  return sandboxId('pm', intent.id);
}

/**
 * Builds the events that report sandbox facts, for the outbox: each is stored in the transaction
 * that makes the change it reports, and delivered (signed) once that has committed.
 */
export class SandboxEvents {
  constructor(private readonly nowSeconds: () => number) {}

  /** `payment_intent.succeeded` / `payment_failed` / `canceled` for the intent's current state. */
  paymentIntent(type: ProviderEventType & `payment_intent.${string}`, intent: SandboxIntent): OutboxEvent {
    return this.event(type, paymentIntentObject(intent), intent);
  }

  /** `charge.refunded` after the refund `refundId` was applied. */
  chargeRefunded(intent: SandboxIntent, refundId: string): OutboxEvent {
    return this.event('charge.refunded', chargeObject(intent), intent, refundId);
  }

  /** `charge.dispute.created` / `charge.dispute.closed` for the intent's dispute. */
  dispute(type: 'charge.dispute.created' | 'charge.dispute.closed', intent: SandboxIntent): OutboxEvent {
    return this.event(type, disputeObject(intent), intent);
  }

  private event(
    type: ProviderEventType,
    object: StripeLikeObject,
    intent: SandboxIntent,
    discriminator = '',
  ): OutboxEvent {
    const { id, body } = eventJson(type, object, intent, this.nowSeconds(), discriminator);
    return { id, type, paymentId: intent.id, body };
  }
}
