import type { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { updateReturning } from '#database';
import {
  PaymentNotFoundError,
  PaymentRequestInvalidError,
  type PaymentProvider,
  type PaymentProviderEvent,
  type RetrievedPayment,
} from '#payments';

// An event that would bind an order with no payment id yet (by `metadata.order_id`) is checked
// with the provider first: its signature proves only that someone holding the webhook secret sent
// it, and a made-up payment id would otherwise mark that person's own reserved order paid.

/** The reason stored on an event whose payment the provider does not back. */
export const UNCONFIRMED_PAYMENT = 'unconfirmed-payment';

/** What the provider says about the payment an event names. */
export type Confirmation = 'confirmed' | 'unconfirmed' | 'unreachable';

/**
 * SQL (over `payment_events e`) for "applying this event would bind an order that has no payment
 * id": a payment's success or failure naming no order's payment but naming an order that has none.
 * Only these are checked with the provider; events of payments already on an order are not.
 */
export const NEEDS_CONFIRMATION = `(e.type LIKE 'payment_intent.%'
  AND NOT EXISTS (SELECT 1 FROM orders p WHERE p.payment_id = e.payment_id)
  AND EXISTS (SELECT 1 FROM orders n WHERE n.id = e.order_id AND n.payment_id IS NULL))`;

/**
 * Asks the provider whether the event's payment exists and is the one the event describes: the
 * status its type stands for, the same amount and currency, and our order in its metadata. A
 * payment the provider does not know is unconfirmed; a provider it cannot reach is `unreachable`
 * (the event stays pending and is tried again).
 */
export async function confirmWithProvider(
  provider: PaymentProvider,
  event: PaymentProviderEvent,
): Promise<Confirmation> {
  let payment: RetrievedPayment;
  try {
    payment = await provider.retrievePayment(event.paymentId);
  } catch (error) {
    // No such payment, or an id the provider refuses outright (not one of its ids).
    if (error instanceof PaymentNotFoundError || error instanceof PaymentRequestInvalidError)
      return 'unconfirmed';
    return 'unreachable';
  }
  return backsEvent(payment, event) ? 'confirmed' : 'unconfirmed';
}

function backsEvent(payment: RetrievedPayment, event: PaymentProviderEvent): boolean {
  return (
    payment.paymentId === event.paymentId &&
    statusFits(payment.status, event.type) &&
    payment.amount === event.amount &&
    payment.currency.toLowerCase() === event.currency.toLowerCase() &&
    payment.orderId !== undefined &&
    payment.orderId === event.orderId
  );
}

/** Whether the payment's current status is one the event's type reports. */
function statusFits(status: RetrievedPayment['status'], type: PaymentProviderEvent['type']): boolean {
  if (type === 'payment_intent.succeeded') return status === 'succeeded';
  if (type === 'payment_intent.canceled') return status === 'canceled';
  // A failed attempt leaves the payment open for another: anything but a final state.
  return status !== 'succeeded' && status !== 'canceled';
}

/**
 * Records an unconfirmed event as processed and ignored (it changes nothing) and logs it; false if
 * it was processed meanwhile.
 */
export async function markUnconfirmed(
  dataSource: DataSource,
  event: PaymentProviderEvent,
  logger: Pick<Logger, 'warn'>,
): Promise<boolean> {
  const rows = await updateReturning(
    dataSource.manager,
    `UPDATE payment_events SET processed_at = now(), outcome = 'ignored', ignored_reason = $2
     WHERE id = $1 AND processed_at IS NULL RETURNING id`,
    [event.id, UNCONFIRMED_PAYMENT],
  );
  if (rows.length === 0) return false;
  const { id, type, paymentId, orderId } = event;
  logger.warn(
    { event: id, type, paymentId, orderId, reason: UNCONFIRMED_PAYMENT },
    'payment event ignored: the provider does not back its payment',
  );
  return true;
}
