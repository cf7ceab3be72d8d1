// Errors the payment port throws. Card outcomes are never errors; these are for infrastructure
// failures, caller bugs and forged webhooks. Each has a stable `code` for the problem+json filter.

export type PaymentProviderErrorCode =
  | 'payment_provider_unavailable'
  | 'payment_request_invalid'
  | 'payment_not_found'
  | 'webhook_signature_invalid'
  | 'webhook_payload_invalid';

/** Base class of every error thrown by the payment port. */
export abstract class PaymentProviderError extends Error {
  abstract readonly code: PaymentProviderErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The provider could not be reached or failed (network, timeout, 5xx, rate limit, bad API key). Retry later. */
export class PaymentProviderUnavailableError extends PaymentProviderError {
  readonly code = 'payment_provider_unavailable';
}

/** The request itself is wrong (bad amount/currency, reused idempotency key, raw card in Stripe mode). Do not retry. */
export class PaymentRequestInvalidError extends PaymentProviderError {
  readonly code = 'payment_request_invalid';
}

/** The provider does not know this payment id. */
export class PaymentNotFoundError extends PaymentProviderError {
  readonly code = 'payment_not_found';

  constructor(readonly paymentId: string) {
    super(`Payment ${paymentId} not found`);
  }
}

/** The webhook's `Stripe-Signature` is missing, wrong or outside the time tolerance: reject with 400. */
export class WebhookSignatureError extends PaymentProviderError {
  readonly code = 'webhook_signature_invalid';
}

/** The webhook is authentic but its body is not a Stripe event. */
export class WebhookPayloadError extends PaymentProviderError {
  readonly code = 'webhook_payload_invalid';
}
