// The payment port: what checkout and settlement call, whichever rail is configured.
// Card outcomes (declines, 3-D Secure) are returned as values; only infrastructure failures and
// caller bugs throw (see payment-provider.exception.ts).

/** DI token under which the configured `PaymentProvider` is registered. */
export const PAYMENT_PROVIDER = Symbol('PAYMENT_PROVIDER');

/** Which rail a provider talks to; the storefront loads Stripe.js only for `stripe`. */
export type PaymentRail = 'stripe' | 'sandbox';

/**
 * Card data for the sandbox rail only. In Stripe mode card numbers never reach our servers
 * (Payment Element in the browser, PCI DSS SAQ-A), so the Stripe adapter rejects this field.
 */
export interface SandboxCard {
  /** Digits; spaces and dashes are ignored. */
  number: string;
  expMonth: number;
  /** Four-digit year (two digits are read as 20xx). */
  expYear: number;
  cvc: string;
}

export interface CreatePaymentRequest {
  orderId: string;
  /** Positive integer in the currency's minor unit (cents for EUR/USD, yen for JPY). */
  amount: number;
  /** ISO-4217 code in lower case, as Stripe uses it on the wire (`eur`, `usd`, `jpy`). */
  currency: string;
  /** Same key ⇒ same payment. Make it unique per logical attempt, e.g. `order:<id>:pay:<n>`. */
  idempotencyKey: string;
  /** Sandbox rail only. */
  card?: SandboxCard;
  /** Stripe PaymentMethod id (`pm_…`) to confirm server-side; the sandbox accepts Stripe's test ids. */
  paymentMethodId?: string;
  /** Where the buyer returns after a redirect-based 3-D Secure step. */
  returnUrl?: string;
  /** Copied to the provider's metadata; `order_id` is added from `orderId`. */
  metadata?: Record<string, string>;
}

export interface ConfirmPaymentRequest {
  /** Stripe PaymentMethod id (`pm_…`). */
  paymentMethodId: string;
  /** Where the buyer returns after a redirect-based 3-D Secure step. */
  returnUrl?: string;
  idempotencyKey: string;
}

/** Normalised reason for a failed card payment, shared by both rails. */
export type DeclineCode =
  | 'card_declined'
  | 'insufficient_funds'
  | 'expired_card'
  | 'incorrect_cvc'
  | 'incorrect_number'
  | 'authentication_failed'
  | 'processing_error';

export type NextActionType = 'redirect_to_url' | 'use_stripe_sdk';

export type PaymentOutcome =
  | { status: 'succeeded'; paymentId: string }
  | {
      status: 'requires_action';
      paymentId: string;
      clientSecret?: string;
      nextAction: { type: NextActionType; url?: string };
    }
  | { status: 'processing'; paymentId: string }
  /** `paymentId` is absent when the card was rejected before a payment existed (bad number etc.). */
  | { status: 'declined'; paymentId?: string; declineCode: DeclineCode; message: string }
  | { status: 'canceled'; paymentId: string };

/**
 * A payment's current outcome with what it is for, as the provider holds it: settlement checks an
 * event that names a payment no order has yet against this before it binds the order.
 */
export type RetrievedPayment = PaymentOutcome & {
  amount: number;
  /** Lower case, as on the wire. */
  currency: string;
  /** The provider's metadata `order_id`, where it has one. */
  orderId?: string;
};

export type CancelOutcome =
  | { status: 'canceled'; paymentId: string }
  /** The payment already settled (or is settling); refund it instead. */
  | { status: 'not_cancelable'; paymentId: string; paymentStatus: string };

/** Stripe's refund reasons; the operator's free-text reason belongs in the audit log. */
export type RefundReason = 'duplicate' | 'fraudulent' | 'requested_by_customer';

export interface RefundRequest {
  /** Minor units; omitted ⇒ the whole remaining amount. */
  amount?: number;
  reason: RefundReason;
  idempotencyKey: string;
  metadata?: Record<string, string>;
}

export type RefundRejection =
  'already_refunded' | 'amount_too_large' | 'not_refundable' | 'disputed' | 'failed';

export type RefundOutcome =
  | { status: 'succeeded' | 'pending'; refundId: string; paymentId: string; amount: number }
  | { status: 'rejected'; paymentId: string; reason: RefundRejection; message: string };

export type ProviderEventType =
  | 'payment_intent.succeeded'
  | 'payment_intent.payment_failed'
  | 'payment_intent.canceled'
  | 'charge.refunded'
  | 'charge.dispute.created'
  | 'charge.dispute.closed';

export type DisputeStatus =
  | 'warning_needs_response'
  | 'warning_under_review'
  | 'warning_closed'
  | 'needs_response'
  | 'under_review'
  | 'appeal_needs_response'
  | 'appeal_under_review'
  | 'won'
  | 'lost'
  | 'prevented'
  | 'other';

/** A verified webhook event about a payment, in the same shape for both rails. */
export interface PaymentProviderEvent {
  /** Provider event id (`evt_…`); settlement's de-duplication key. */
  id: string;
  type: ProviderEventType;
  /** Unix seconds when the provider created the event (not when we received it). */
  created: number;
  livemode: boolean;
  /** PaymentIntent id (`pi_…`). */
  paymentId: string;
  /** Amount of the payment (PaymentIntent/charge), or of the dispute for dispute events. */
  amount: number;
  currency: string;
  /** For `charge.refunded`: total refunded so far (cumulative, so replays and reordering are harmless). */
  amountRefunded?: number;
  /** From metadata `order_id` where the provider copied it (always on payment_intent events). */
  orderId?: string;
  disputeId?: string;
  disputeStatus?: DisputeStatus;
  failureCode?: DeclineCode;
  failureMessage?: string;
  cardBrand?: string;
  cardLast4?: string;
}

/** An authentic event that settlement does not act on. */
export interface IgnoredProviderEvent {
  id: string;
  type: 'ignored';
  /** The provider's own type, for logs. */
  providerType: string;
  created: number;
  livemode: boolean;
}

/**
 * A connected account's onboarding state changed (Stripe Connect's `account.updated`): not about a
 * payment, settlement hands it to payouts.
 */
export interface ConnectedAccountEvent {
  id: string;
  type: 'account.updated';
  created: number;
  livemode: boolean;
  /** Stripe's connected account id (`acct_…`). */
  connectedAccountId: string;
  /** Whether Stripe pays out to it now (onboarding done, nothing required). */
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
}

export type ProviderEvent = PaymentProviderEvent | ConnectedAccountEvent | IgnoredProviderEvent;

/**
 * One movement of money in the processor's own books: a payment it captured, or a refund of one.
 * Amounts are positive integer minor units of the payment's currency (ISO 4217, upper case).
 */
export interface ProcessorMovement {
  kind: 'capture' | 'refund';
  paymentId: string;
  amountMinor: number;
  currency: string;
  /** The processor's id of the movement (Stripe: the balance transaction; the sandbox: the payment or refund). */
  reference: string;
}

/** The payment port. Implementations: `StripePaymentProvider`, `SandboxPaymentProvider`. */
export interface PaymentProvider {
  readonly rail: PaymentRail;

  /** Starts (and, with a card or payment method, confirms) a payment for an order. */
  createPayment(request: CreatePaymentRequest): Promise<PaymentOutcome>;

  /** Reports the outcome once the buyer finished (approve) or abandoned a 3-D Secure step. */
  confirmAction(paymentId: string, decision: { approve: boolean }): Promise<PaymentOutcome>;

  /**
   * Confirms a payment created without a payment method (reserve-then-pay) with one. Absent where
   * `createPayment` is the only way to pay (the sandbox).
   */
  confirmPayment?(paymentId: string, request: ConfirmPaymentRequest): Promise<PaymentOutcome>;

  /**
   * Reads a payment's current outcome, changing nothing: for one awaiting the buyer, what the browser
   * needs to finish it (Stripe's client secret and next action, the sandbox's challenge link); and its
   * amount, currency and order. Throws `PaymentNotFoundError` for a payment the provider does not have.
   */
  retrievePayment(paymentId: string): Promise<RetrievedPayment>;

  /** Cancels a payment that has not settled, e.g. when its reservation expired. */
  cancelPayment(paymentId: string, idempotencyKey: string): Promise<CancelOutcome>;

  /** Refunds a settled payment, fully or partly. */
  refund(paymentId: string, request: RefundRequest): Promise<RefundOutcome>;

  /**
   * Every capture and refund in the processor's own books, read page by page (Stripe: its balance
   * transactions; the sandbox: its tables), for reconciling them with the money journal.
   */
  processorMovements(): AsyncIterable<ProcessorMovement>;

  /** Verifies the `Stripe-Signature` of a raw webhook body and normalises the event. */
  parseWebhook(rawBody: Buffer | string, signatureHeader: string): ProviderEvent;

  /**
   * Adds to a verified event what its payload leaves out: Stripe's webhooks do not expand a succeeded
   * intent's charge, so its card brand and last four are read from the API. Best effort: the event
   * comes back unchanged when that fails. Absent where events are complete (the sandbox).
   */
  completeEvent?(event: ProviderEvent): Promise<ProviderEvent>;
}
