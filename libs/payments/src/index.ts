// Public API of the payments lib: the port, its two rails and the shared payment state machine.
export {
  PAYMENT_PROVIDER,
  type CancelOutcome,
  type ConnectedAccountEvent,
  type CreatePaymentRequest,
  type DeclineCode,
  type DisputeStatus,
  type IgnoredProviderEvent,
  type NextActionType,
  type PaymentOutcome,
  type PaymentProvider,
  type PaymentProviderEvent,
  type PaymentRail,
  type ProcessorMovement,
  type ProviderEvent,
  type ProviderEventType,
  type RefundOutcome,
  type RefundReason,
  type RefundRejection,
  type RefundRequest,
  type RetrievedPayment,
  type SandboxCard,
} from './payment-provider.js';
export {
  PaymentNotFoundError,
  PaymentProviderError,
  PaymentProviderUnavailableError,
  PaymentRequestInvalidError,
  WebhookPayloadError,
  WebhookSignatureError,
  type PaymentProviderErrorCode,
} from './payment-provider.exception.js';
export {
  PAYMENT_TRANSITIONS,
  InvalidPaymentTransitionError,
  assertTransition,
  canTransition,
  isTerminalPaymentState,
  stateForEvent,
  stateForOutcome,
  type PaymentState,
} from './payment-state.js';
export { DEFAULT_WEBHOOK_TOLERANCE_SECONDS, parseStripeWebhook } from './webhook-event.js';
export {
  createPaymentProvider,
  paymentRailOf,
  SANDBOX_JOB_INTERVAL_MS,
  type PaymentJobScheduler,
  type PaymentProviderConfig,
} from './create-payment-provider.js';
export {
  SandboxPaymentProvider,
  type SandboxChallenge,
  type SandboxPaymentProviderOptions,
} from './sandbox/sandbox-payment-provider.js';
export { SANDBOX_TEST_CARDS, SANDBOX_TEST_PAYMENT_METHODS } from './sandbox/sandbox-cards.js';
export type { DeliverWebhook } from './sandbox/webhook-delivery.js';
export { createStripeClient, type StripeClientOptions } from './stripe/stripe-client.js';
export {
  StripePaymentProvider,
  type StripePaymentProviderOptions,
} from './stripe/stripe-payment-provider.js';
