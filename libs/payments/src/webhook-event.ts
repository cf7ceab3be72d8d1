// Verifies and normalises Stripe-shaped webhook events. Both rails go through here: Stripe's real
// events and the sandbox's look-alikes, so settlement has one code path.
import Stripe from 'stripe';
import { normaliseDeclineCode } from './decline-code.js';
import type { DisputeStatus, ProviderEvent, ProviderEventType } from './payment-provider.js';
import { WebhookPayloadError, WebhookSignatureError } from './payment-provider.exception.js';

/** Stripe's own default: signatures older than five minutes are rejected (replay protection). */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

export interface WebhookVerificationOptions {
  /** The endpoint's signing secret, or several (the account endpoint's and the Connect endpoint's). */
  secret: string | readonly string[];
  /** Must be positive: Stripe's SDK treats 0 as "skip the timestamp check". */
  toleranceSeconds?: number;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

const HANDLED_TYPES: ReadonlySet<string> = new Set<ProviderEventType>([
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
  'charge.refunded',
  'charge.dispute.created',
  'charge.dispute.closed',
]);

const DISPUTE_STATUSES: ReadonlySet<string> = new Set<DisputeStatus>([
  'warning_needs_response',
  'warning_under_review',
  'warning_closed',
  'needs_response',
  'under_review',
  'appeal_needs_response',
  'appeal_under_review',
  'won',
  'lost',
  'prevented',
]);

type Json = Record<string, unknown>;

/**
 * Verifies the `Stripe-Signature` header with Stripe's SDK and returns the normalised event. With
 * several secrets, an event signed with any of them is accepted.
 */
export function parseStripeWebhook(
  rawBody: Buffer | string,
  signatureHeader: string,
  options: WebhookVerificationOptions,
): ProviderEvent {
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  if (!(tolerance > 0)) throw new RangeError('Webhook tolerance must be a positive number of seconds');
  const secrets = typeof options.secret === 'string' ? [options.secret] : options.secret;
  let refused: Error | undefined;
  for (const secret of secrets) {
    let event: unknown;
    try {
      event = Stripe.webhooks.constructEvent(
        rawBody,
        signatureHeader,
        secret,
        tolerance,
        undefined,
        options.now?.(),
      );
    } catch (error) {
      if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
        refused ??= error;
        continue;
      }
      // Only reached after the signature matched, so the body is authentic but not an event we read.
      throw new WebhookPayloadError('Webhook body is not a Stripe event', { cause: error });
    }
    return normaliseStripeEvent(event);
  }
  const message = refused ? firstLine(refused.message) : 'no signing secret';
  throw new WebhookSignatureError(`Webhook signature rejected: ${message}`, { cause: refused });
}

/** Normalises an already verified Stripe event object; unhandled types come back as `ignored`. */
export function normaliseStripeEvent(event: unknown): ProviderEvent {
  if (!isRecord(event) || event.object !== 'event')
    throw new WebhookPayloadError('Not a Stripe event object');
  const id = str(event.id);
  const type = str(event.type);
  const created = num(event.created);
  const object = isRecord(event.data) ? event.data.object : undefined;
  if (!id || !type || created === undefined || !isRecord(object)) {
    throw new WebhookPayloadError('Stripe event lacks id, type, created or data.object');
  }
  const base = { id, created, livemode: event.livemode === true };
  const ignored: ProviderEvent = { ...base, type: 'ignored', providerType: type };
  if (type === 'account.updated') return fromAccount(base, object) ?? ignored;
  if (!HANDLED_TYPES.has(type)) return ignored;

  const details = type.startsWith('payment_intent.')
    ? fromPaymentIntent(object)
    : type === 'charge.refunded'
      ? fromCharge(object)
      : fromDispute(object);
  if (!details) return ignored;
  return { ...base, type: type as ProviderEventType, ...details };
}

type EventDetails = Omit<
  Extract<ProviderEvent, { paymentId: string }>,
  'id' | 'type' | 'created' | 'livemode'
>;

function fromAccount(base: { id: string; created: number; livemode: boolean }, account: Json) {
  const connectedAccountId = str(account.id);
  if (!connectedAccountId) return undefined;
  return {
    ...base,
    type: 'account.updated' as const,
    connectedAccountId,
    payoutsEnabled: account.payouts_enabled === true,
    detailsSubmitted: account.details_submitted === true,
  };
}

function fromPaymentIntent(intent: Json): EventDetails | undefined {
  const paymentId = str(intent.id);
  const amount = num(intent.amount);
  const currency = str(intent.currency);
  if (!paymentId || amount === undefined || !currency) return undefined;
  const failure = isRecord(intent.last_payment_error) ? intent.last_payment_error : undefined;
  return withoutUndefined({
    paymentId,
    amount,
    currency,
    orderId: orderIdOf(intent),
    failureCode: failure ? normaliseDeclineCode(str(failure.code), str(failure.decline_code)) : undefined,
    failureMessage: failure ? str(failure.message) : undefined,
    ...cardOf(intent),
  });
}

function fromCharge(charge: Json): EventDetails | undefined {
  const paymentId = idOf(charge.payment_intent);
  const amount = num(charge.amount);
  const currency = str(charge.currency);
  if (!paymentId || amount === undefined || !currency) return undefined;
  return withoutUndefined({
    paymentId,
    amount,
    currency,
    amountRefunded: num(charge.amount_refunded),
    orderId: orderIdOf(charge),
    ...cardOf(charge),
  });
}

function fromDispute(dispute: Json): EventDetails | undefined {
  const paymentId = idOf(dispute.payment_intent);
  const amount = num(dispute.amount);
  const currency = str(dispute.currency);
  if (!paymentId || amount === undefined || !currency) return undefined;
  const status = str(dispute.status);
  return withoutUndefined({
    paymentId,
    amount,
    currency,
    orderId: orderIdOf(dispute),
    disputeId: str(dispute.id),
    disputeStatus:
      status === undefined ? undefined : DISPUTE_STATUSES.has(status) ? (status as DisputeStatus) : 'other',
  });
}

// Brand and last four appear on an expanded payment method, an expanded latest charge, or a charge.
function cardOf(object: Json): { cardBrand?: string; cardLast4?: string } {
  const candidates = [
    isRecord(object.payment_method) ? object.payment_method.card : undefined,
    isRecord(object.payment_method_details) ? object.payment_method_details.card : undefined,
    isRecord(object.latest_charge) && isRecord(object.latest_charge.payment_method_details)
      ? object.latest_charge.payment_method_details.card
      : undefined,
  ];
  const card = candidates.find(isRecord);
  return card ? { cardBrand: str(card.brand), cardLast4: str(card.last4) } : {};
}

function orderIdOf(object: Json): string | undefined {
  return isRecord(object.metadata) ? str(object.metadata.order_id) : undefined;
}

function idOf(value: unknown): string | undefined {
  return isRecord(value) ? str(value.id) : str(value);
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0]?.trim() ?? message;
}

// Keeps optional fields absent rather than present-but-undefined, so events compare and serialise cleanly.
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
