// Input checks shared by both rails, so bad input fails the same way before any provider call.
import type { CreatePaymentRequest, RefundRequest } from './payment-provider.js';
import { PaymentRequestInvalidError } from './payment-provider.exception.js';

const CURRENCY = /^[a-z]{3}$/;
// Stripe's limit for idempotency keys.
const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** Throws `PaymentRequestInvalidError` naming every problem with a payment request. */
export function assertValidPaymentRequest(request: CreatePaymentRequest): void {
  const problems: string[] = [];
  if (!request.orderId) problems.push('orderId is required');
  if (!isPositiveMinorAmount(request.amount))
    problems.push('amount must be a positive integer in minor units');
  if (!CURRENCY.test(request.currency)) problems.push('currency must be a lower-case ISO-4217 code');
  problems.push(...idempotencyKeyProblems(request.idempotencyKey));
  if (request.card && request.paymentMethodId) problems.push('give either card or paymentMethodId, not both');
  if (problems.length > 0) throw new PaymentRequestInvalidError(problems.join('; '));
}

/** Throws `PaymentRequestInvalidError` when a refund request is malformed. */
export function assertValidRefundRequest(request: RefundRequest): void {
  const problems = idempotencyKeyProblems(request.idempotencyKey);
  if (request.amount !== undefined && !isPositiveMinorAmount(request.amount)) {
    problems.push('refund amount must be a positive integer in minor units');
  }
  if (problems.length > 0) throw new PaymentRequestInvalidError(problems.join('; '));
}

/** Throws `PaymentRequestInvalidError` when an idempotency key is empty or too long. */
export function assertValidIdempotencyKey(key: string): void {
  const problems = idempotencyKeyProblems(key);
  if (problems.length > 0) throw new PaymentRequestInvalidError(problems.join('; '));
}

function idempotencyKeyProblems(key: string): string[] {
  if (!key) return ['idempotencyKey is required'];
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH)
    return [`idempotencyKey exceeds ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`];
  return [];
}

function isPositiveMinorAmount(amount: number): boolean {
  return Number.isSafeInteger(amount) && amount > 0;
}

/** Provider metadata for a payment: the caller's entries plus `order_id`, which webhooks read back. */
export function paymentMetadata(request: CreatePaymentRequest): Record<string, string> {
  return { ...request.metadata, order_id: request.orderId };
}
