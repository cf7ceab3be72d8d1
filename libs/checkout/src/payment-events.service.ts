import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { inTransaction } from '#database';
import { problems } from '#http';
import {
  PAYMENT_PROVIDER,
  type PaymentProvider,
  type PaymentProviderEvent,
  type ProviderEvent,
  WebhookPayloadError,
  WebhookSignatureError,
} from '#payments';
import { crashPoint } from './crash-point.js';
import { hotQuery } from './order.repository.js';
import { SettlementService, type SettlementOutcome } from './settlement.service.js';

/**
 * The webhook inbox (transactional outbox for settlement): every verified event is stored first,
 * keyed by its id, then applied; events whose processing did not finish (crash, deferral) are
 * picked up again by `processPending`, so a captured payment always ends in a sale or a refund.
 */
@Injectable()
export class PaymentEventsService {
  private readonly logger = new Logger(PaymentEventsService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly settlement: SettlementService,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
  ) {}

  /** Verifies the Stripe-Signature over the raw body, stores the event once, then applies it. */
  async receive(
    rawBody: Buffer | string,
    signature: string | undefined,
  ): Promise<{ received: true; duplicate: boolean }> {
    let event: ProviderEvent;
    try {
      event = this.provider.parseWebhook(rawBody, signature ?? '');
    } catch (error) {
      if (error instanceof WebhookSignatureError || error instanceof WebhookPayloadError) {
        throw problems.badRequest('invalid-webhook', error.message);
      }
      throw error;
    }
    const payment = event.type === 'ignored' ? undefined : event;
    const stored = await hotQuery(
      this.dataSource.manager,
      'store-event',
      `INSERT INTO payment_events (id, type, payment_id, order_id, payload, processed_at, outcome)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [
        event.id,
        event.type === 'ignored' ? event.providerType : event.type,
        payment?.paymentId ?? null,
        payment?.orderId && /^[0-9a-f-]{36}$/i.test(payment.orderId) ? payment.orderId : null,
        JSON.stringify(event),
        payment ? null : new Date(),
        payment ? null : 'ignored',
      ],
    );
    crashPoint('after-event-stored');
    if (payment) await this.process(event.id);
    return { received: true, duplicate: stored.length === 0 };
  }

  /** Applies one stored event exactly once (row lock + processed_at); returns what it did. */
  async process(eventId: string): Promise<SettlementOutcome | 'already-processed'> {
    const outcome = await inTransaction(this.dataSource, async (manager) => {
      const [row] = await hotQuery<{ payload: PaymentProviderEvent }>(
        manager,
        'lock-event',
        `SELECT payload FROM payment_events WHERE id = $1 AND processed_at IS NULL FOR UPDATE SKIP LOCKED`,
        [eventId],
      );
      if (!row) return 'already-processed' as const;
      const result = await this.settlement.apply(manager, row.payload);
      // Also asks whether other events of this payment wait (e.g. a refund deferred until the sale
      // existed). The order row is locked by now, so any such event that could have been deferred
      // has committed and is visible here; saves a query after most settlements.
      const [marked] = await hotQuery<{ others_waiting: boolean }>(
        manager,
        'mark-event',
        `UPDATE payment_events SET outcome = $2, processed_at = CASE WHEN $2 = 'deferred' THEN NULL ELSE now() END
         WHERE id = $1
         RETURNING EXISTS (SELECT 1 FROM payment_events o
                           WHERE o.payment_id = $3 AND o.processed_at IS NULL AND o.id <> $1) AS others_waiting`,
        [eventId, result, row.payload.paymentId],
      );
      return { result, paymentId: row.payload.paymentId, othersWaiting: marked.others_waiting };
    });
    if (outcome === 'already-processed') return outcome;
    if (outcome.result === 'settled' && outcome.othersWaiting)
      await this.processForPayment(outcome.paymentId);
    return outcome.result;
  }

  /** Re-applies every stored event not yet processed (crash recovery, deferred events). */
  async processPending(olderThanMs = 1000): Promise<number> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM payment_events WHERE processed_at IS NULL AND received_at < now() - $1 * interval '1 millisecond'
       ORDER BY (payload->>'created')::bigint, received_at LIMIT 1000`,
      [olderThanMs],
    );
    let applied = 0;
    for (const { id } of rows) {
      try {
        const outcome = await this.process(id);
        if (outcome !== 'deferred' && outcome !== 'already-processed') applied++;
      } catch (error) {
        this.logger.error({ event: id, error: String(error) }, 'payment event failed to apply');
      }
    }
    return applied;
  }

  /** Applies every stored, unprocessed event of one payment, oldest first. */
  async processForPayment(paymentId: string): Promise<void> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM payment_events WHERE payment_id = $1 AND processed_at IS NULL ORDER BY received_at`,
      [paymentId],
    );
    for (const { id } of rows) await this.process(id);
  }
}
