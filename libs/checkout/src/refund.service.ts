import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PAYMENT_PROVIDER, type PaymentProvider } from '#payments';

/** Talks to the processor after commit: refunds we owe and payments of expired reservations. */
@Injectable()
export class RefundService {
  private readonly logger = new Logger(RefundService.name);

  constructor(
    private readonly dataSource: DataSource,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
  ) {}

  /** Sends every pending refund (idempotent per order); the charge.refunded event completes it. */
  async sendPending(): Promise<number> {
    const pending: { order_id: string; payment_id: string; amount_minor: string }[] =
      await this.dataSource.query(
        `SELECT order_id, payment_id, amount_minor FROM refund_requests WHERE status = 'pending' AND attempts < 20
       ORDER BY created_at LIMIT 100`,
      );
    for (const refund of pending) {
      try {
        const outcome = await this.provider.refund(refund.payment_id, {
          amount: Number(refund.amount_minor),
          reason: 'requested_by_customer',
          idempotencyKey: `order:${refund.order_id}:refund`,
        });
        const status =
          outcome.status === 'rejected' && outcome.reason !== 'already_refunded' ? 'rejected' : 'sent';
        await this.dataSource.query(
          `UPDATE refund_requests SET status = $2, attempts = attempts + 1, last_error = $3 WHERE order_id = $1 AND status = 'pending'`,
          [refund.order_id, status, outcome.status === 'rejected' ? outcome.message : null],
        );
      } catch (error) {
        await this.dataSource.query(
          `UPDATE refund_requests SET attempts = attempts + 1, last_error = $2 WHERE order_id = $1`,
          [refund.order_id, String(error)],
        );
        this.logger.warn({ order: refund.order_id, error: String(error) }, 'refund attempt failed');
      }
    }
    return pending.length;
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
