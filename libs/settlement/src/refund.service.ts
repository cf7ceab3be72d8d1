import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { backoffWithJitterMs, updateReturning } from '#database';
import {
  PAYMENT_PROVIDER,
  PaymentNotFoundError,
  PaymentRequestInvalidError,
  type PaymentProvider,
} from '#payments';
import {
  claimDueRefunds,
  escalates,
  refundBackoffMs,
  stuckRefunds,
  type DueRefund,
  type StuckRefund,
} from './refund-schedule.js';

/** Talks to the processor after commit: refunds we owe and payments of expired reservations. */
@Injectable()
export class RefundService {
  private readonly logger = new Logger(RefundService.name);

  constructor(
    private readonly dataSource: DataSource,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
  ) {}

  /**
   * Sends the refunds due at `now` (idempotent per order); the charge.refunded event completes each.
   * A failure is retried with backoff, never given up: after `REFUND_STUCK_ATTEMPTS` it is alerted
   * and listed for operators, as is a refund the processor refuses for good.
   */
  async sendPending(now: Date = new Date()): Promise<number> {
    const due = await claimDueRefunds(this.dataSource.manager, now);
    for (const refund of due) await this.sendRefund(refund, now);
    return due.length;
  }

  /** Cancels still owed after many failures (a late 3-D Secure could capture those payments). */
  async stuckCancels(): Promise<StuckCancel[]> {
    const rows: StuckCancelRow[] = await this.dataSource.query(
      `SELECT c.payment_id, c.order_id, c.attempts, c.last_error, c.next_attempt_at, c.created_at
       FROM payment_cancels c WHERE c.status = 'owed' AND c.attempts >= $1
       ORDER BY c.created_at LIMIT 1000`,
      [CANCEL_STUCK_ATTEMPTS],
    );
    return rows.map((row) => ({
      paymentId: row.payment_id,
      orderId: row.order_id,
      attempts: row.attempts,
      lastError: row.last_error,
      nextAttemptAt: row.next_attempt_at.toISOString(),
      createdAt: row.created_at.toISOString(),
    }));
  }

  /** Refunds operators must see to: stuck after many failures, or refused by the processor. */
  stuck(): Promise<StuckRefund[]> {
    return stuckRefunds(this.dataSource.manager);
  }

  private async sendRefund(refund: DueRefund, now: Date): Promise<void> {
    try {
      const outcome = await this.provider.refund(refund.payment_id, {
        amount: Number(refund.amount_minor),
        reason: 'requested_by_customer',
        idempotencyKey: `order:${refund.order_id}:refund`,
      });
      if (outcome.status !== 'rejected' || outcome.reason === 'already_refunded') {
        return this.finishRefund(refund, now, 'sent', null);
      }
      await this.refundRejected(refund, now, outcome.message);
    } catch (error) {
      // A request the processor refuses (not an outage) will not succeed by retrying.
      if (error instanceof PaymentRequestInvalidError || error instanceof PaymentNotFoundError) {
        return this.refundRejected(refund, now, String(error));
      }
      await this.refundFailed(refund, now, String(error));
    }
  }

  private async refundFailed(refund: DueRefund, now: Date, error: string): Promise<void> {
    const attempts = refund.attempts + 1;
    await this.dataSource.query(
      `UPDATE refund_requests SET attempts = $2, last_error = $3, last_attempt_at = $4,
         next_attempt_at = $4::timestamptz + $5 * interval '1 millisecond'
       WHERE order_id = $1 AND status = 'pending'`,
      [refund.order_id, attempts, error.slice(0, 500), now, refundBackoffMs(attempts)],
    );
    const context = { order: refund.order_id, attempts, error };
    if (escalates(attempts))
      this.logger.error(context, 'ALERT refund stuck: see GET /operator/refunds?state=stuck');
    else this.logger.warn(context, 'refund attempt failed; retrying with backoff');
  }

  private async refundRejected(refund: DueRefund, now: Date, error: string): Promise<void> {
    await this.finishRefund(refund, now, 'rejected', error.slice(0, 500));
    this.logger.error(
      { order: refund.order_id, error },
      'ALERT refund rejected by the processor: see GET /operator/refunds?state=stuck',
    );
  }

  private async finishRefund(
    refund: DueRefund,
    now: Date,
    status: 'sent' | 'rejected',
    error: string | null,
  ) {
    await this.dataSource.query(
      `UPDATE refund_requests SET status = $2, attempts = attempts + 1, last_error = $3, last_attempt_at = $4
       WHERE order_id = $1 AND status = 'pending'`,
      [refund.order_id, status, error, now],
    );
  }

  /**
   * Sends the cancels owed for payments whose reservation expired (see `expireReservations`), so a
   * late 3-D Secure cannot capture them. Each is retried with backoff until the processor says
   * `canceled` or `not_cancelable` (settled after all: settlement refunds it); never given up.
   */
  async cancelPayments(): Promise<number> {
    const due = await claimDueCancels(this.dataSource);
    for (const owed of due) await this.sendCancel(owed);
    return due.length;
  }

  private async sendCancel(owed: OwedCancel): Promise<void> {
    try {
      const outcome = await this.provider.cancelPayment(owed.payment_id, `payment:${owed.payment_id}:cancel`);
      await this.finishCancel(owed.payment_id, outcome.status);
    } catch (error) {
      // Nothing to cancel: the processor never created this payment.
      if (error instanceof PaymentNotFoundError) return this.finishCancel(owed.payment_id, 'not_found');
      const attempts = owed.attempts + 1;
      await this.dataSource.query(
        `UPDATE payment_cancels SET attempts = $2, last_error = $3,
           next_attempt_at = now() + $4 * interval '1 millisecond'
         WHERE payment_id = $1 AND status = 'owed'`,
        [owed.payment_id, attempts, String(error).slice(0, 500), cancelBackoffMs(attempts)],
      );
      const stuck = attempts >= CANCEL_STUCK_ATTEMPTS;
      this.logger[stuck ? 'error' : 'warn'](
        { paymentId: owed.payment_id, attempts, error: String(error) },
        stuck ? 'ALERT payment cancel stuck: see GET /operator/payment-cancels' : 'cancel failed; retrying',
      );
    }
  }

  private async finishCancel(paymentId: string, status: 'canceled' | 'not_cancelable' | 'not_found') {
    await this.dataSource.query(
      `UPDATE payment_cancels SET status = $2, done_at = now(), last_error = NULL WHERE payment_id = $1`,
      [paymentId, status],
    );
  }
}

interface OwedCancel {
  payment_id: string;
  attempts: number;
}

/** First retry of a failed cancel after this long, doubling up to `CANCEL_MAX_BACKOFF_MS`. */
const CANCEL_BASE_BACKOFF_MS = 1_000;
const CANCEL_MAX_BACKOFF_MS = 5 * 60_000;
/** After this many failed attempts each failure is logged as an error, for the operator. */
/** Failed attempts after which an owed cancel is logged as an error and listed for operators. */
export const CANCEL_STUCK_ATTEMPTS = 10;
/** How long a claimed cancel is left to the process that claimed it before another may send it. */
const CANCEL_LEASE_MS = 60_000;

/** Exponential backoff with full jitter over the upper half, so processes do not retry in step. */
export function cancelBackoffMs(attempts: number): number {
  return backoffWithJitterMs(attempts, { baseMs: CANCEL_BASE_BACKOFF_MS, maxMs: CANCEL_MAX_BACKOFF_MS });
}

/** Takes up to 100 due cancels for this process: their next attempt moves a lease ahead. */
async function claimDueCancels(dataSource: DataSource): Promise<OwedCancel[]> {
  return updateReturning<OwedCancel>(
    dataSource.manager,
    `UPDATE payment_cancels SET next_attempt_at = now() + $1 * interval '1 millisecond'
     WHERE payment_id IN (SELECT payment_id FROM payment_cancels WHERE status = 'owed' AND next_attempt_at <= now()
                          ORDER BY next_attempt_at LIMIT 100 FOR UPDATE SKIP LOCKED)
     RETURNING payment_id, attempts`,
    [CANCEL_LEASE_MS],
  );
}

/** An owed cancel that keeps failing, for operators. */
export interface StuckCancel {
  paymentId: string;
  orderId: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string;
  createdAt: string;
}

interface StuckCancelRow {
  payment_id: string;
  order_id: string;
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date;
  created_at: Date;
}
