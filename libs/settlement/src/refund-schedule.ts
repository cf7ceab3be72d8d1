import type { EntityManager } from 'typeorm';
import { backoffWithJitterMs, escalatesAt, updateReturning } from '#database';

/** First retry of a failed refund after about this long, doubling up to `REFUND_MAX_BACKOFF_MS`. */
const REFUND_BASE_BACKOFF_MS = 2_000;
export const REFUND_MAX_BACKOFF_MS = 10 * 60_000;
/**
 * A refund that failed this many times (about 8 minutes of a processor outage) is stuck: it is
 * listed for operators and alerted once at this count, again at each doubling (16, 32, …).
 */
export const REFUND_STUCK_ATTEMPTS = 8;
/** How long a claimed refund is left to the process sending it before another may send it. */
const REFUND_LEASE_MS = 60_000;

/** Exponential backoff with jitter over the upper half, so processes and refunds do not retry in step. */
export function refundBackoffMs(attempts: number, random = Math.random()): number {
  return backoffWithJitterMs(
    attempts,
    { baseMs: REFUND_BASE_BACKOFF_MS, maxMs: REFUND_MAX_BACKOFF_MS },
    random,
  );
}

/** Whether the failure numbered `attempts` escalates (alert once per escalation, not per failure). */
export function escalates(attempts: number): boolean {
  return escalatesAt(attempts, REFUND_STUCK_ATTEMPTS);
}

export interface DueRefund {
  order_id: string;
  payment_id: string;
  amount_minor: string;
  attempts: number;
}

/** Takes up to 100 refunds due at `now` for this process: their next attempt moves a lease ahead. */
export function claimDueRefunds(manager: Pick<EntityManager, 'query'>, now: Date): Promise<DueRefund[]> {
  return updateReturning<DueRefund>(
    manager,
    `UPDATE refund_requests SET next_attempt_at = $1::timestamptz + $2 * interval '1 millisecond'
     WHERE order_id IN (SELECT order_id FROM refund_requests WHERE status = 'pending' AND next_attempt_at <= $1
                        ORDER BY next_attempt_at LIMIT 100 FOR UPDATE SKIP LOCKED)
     RETURNING order_id, payment_id, amount_minor, attempts`,
    [now, REFUND_LEASE_MS],
  );
}

/** A refund operators must look at: failing for a while, or refused by the processor. */
export interface StuckRefund {
  orderId: string;
  paymentId: string;
  amountMinor: number;
  currency: string;
  reason: string;
  status: string;
  attempts: number;
  lastError: string | null;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
}

/** Refunds stuck (failed `REFUND_STUCK_ATTEMPTS` times or more) or rejected, oldest first. */
export async function stuckRefunds(manager: Pick<EntityManager, 'query'>): Promise<StuckRefund[]> {
  const rows: StuckRefundRow[] = await manager.query(
    `SELECT r.order_id, r.payment_id, r.amount_minor, o.currency, r.reason, r.status, r.attempts, r.last_error,
            r.last_attempt_at, r.next_attempt_at, r.created_at
     FROM refund_requests r JOIN orders o ON o.id = r.order_id
     WHERE r.status = 'rejected' OR (r.status = 'pending' AND r.attempts >= $1)
     ORDER BY r.created_at LIMIT 1000`,
    [REFUND_STUCK_ATTEMPTS],
  );
  return rows.map((row) => ({
    orderId: row.order_id,
    paymentId: row.payment_id,
    amountMinor: Number(row.amount_minor),
    currency: row.currency,
    reason: row.reason,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    lastAttemptAt: row.last_attempt_at?.toISOString() ?? null,
    // A rejected refund is not tried again.
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
    createdAt: row.created_at.toISOString(),
  }));
}

interface StuckRefundRow {
  order_id: string;
  payment_id: string;
  amount_minor: string;
  currency: string;
  reason: string;
  status: string;
  attempts: number;
  last_error: string | null;
  last_attempt_at: Date | null;
  next_attempt_at: Date;
  created_at: Date;
}
