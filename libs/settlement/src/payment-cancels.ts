import type { EntityManager } from 'typeorm';

/**
 * Owes a cancel for each payment of an expired reservation, in the caller's transaction (the
 * expiry's, so no crash loses a cancel); `RefundService.cancelPayments` sends them. Owing one twice
 * is a no-op.
 */
export async function owePaymentCancels(
  manager: EntityManager,
  payments: readonly { paymentId: string; orderId: string }[],
): Promise<void> {
  await manager.query(
    `INSERT INTO payment_cancels (payment_id, order_id)
     SELECT * FROM unnest($1::text[], $2::uuid[]) ON CONFLICT (payment_id) DO NOTHING`,
    [payments.map((payment) => payment.paymentId), payments.map((payment) => payment.orderId)],
  );
}
