import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  PAYMENT_PROVIDER,
  PaymentNotFoundError,
  PaymentRequestInvalidError,
  type PaymentProvider,
} from '#payments';
import { claimDueRefunds, escalates, refundBackoffMs, type DueRefund } from './refund-schedule.js';

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

  /** Cancels payments whose reservation expired, so a late 3-D Secure cannot capture them. */
  async cancelPayments(paymentIds: string[]): Promise<void> {
    for (const paymentId of paymentIds) {
      await this.provider
        .cancelPayment(paymentId, `payment:${paymentId}:cancel`)
        .catch((error: unknown) => this.logger.warn({ paymentId, error: String(error) }, 'cancel failed'));
    }
  }
}
