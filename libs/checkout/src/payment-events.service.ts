import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { inTransactionFrom, preparedQuery } from '#database';
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
import { ORDER_COLUMN_NAMES, type OrderRow } from './order.repository.js';
import { SettlementService, type SettlementOutcome } from './settlement.service.js';

type ProcessOutcome =
  | 'already-processed'
  | { result: SettlementOutcome; paymentId: string; othersWaiting: boolean; order?: OrderRow };

const MAX_REMEMBERED_SETTLEMENTS = 1000;
const REMEMBER_SETTLED_MS = 1000;

/**
 * The webhook inbox (transactional outbox for settlement): every verified event is stored first,
 * keyed by its id, then applied; events whose processing did not finish (crash, deferral) are
 * picked up again by `processPending`, so a captured payment always ends in a sale or a refund.
 */
@Injectable()
export class PaymentEventsService {
  private readonly logger = new Logger(PaymentEventsService.name);
  /** Orders settled by this process, by payment id, until checkout takes them (see `takeSettled`). */
  private readonly settled = new Map<string, { order: OrderRow; at: number }>();

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
    const stored = await preparedQuery(
      this.dataSource.manager,
      'checkout:store-event',
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
    const outcome = await inTransactionFrom<ProcessOutcome, { payload: PaymentProviderEvent }>(
      this.dataSource,
      // Locked in the transaction's first round trip.
      (quote) =>
        `SELECT payload FROM payment_events WHERE id = ${quote(eventId)} AND processed_at IS NULL
         FOR UPDATE SKIP LOCKED`,
      async (manager, [row]) => {
        if (!row) return 'already-processed' as const;
        const result = await this.settlement.apply(manager, row.payload);
        // Also asks whether other events of this payment wait (e.g. a refund deferred until the sale
        // existed). The order row is locked by now, so any such event that could have been deferred
        // has committed and is visible here; saves a query after most settlements.
        // And returns the payment's order as it now is, for the checkout that may be waiting on it.
        const [marked] = await preparedQuery<{ others_waiting: boolean } & Partial<OrderRow>>(
          manager,
          'checkout:mark-event',
          `UPDATE payment_events e SET outcome = $2,
             processed_at = CASE WHEN $2 = 'deferred' THEN NULL ELSE now() END
           FROM (SELECT 1) AS one LEFT JOIN orders o ON o.payment_id = $3
           WHERE e.id = $1
           RETURNING EXISTS (SELECT 1 FROM payment_events w
                             WHERE w.payment_id = $3 AND w.processed_at IS NULL AND w.id <> $1) AS others_waiting,
             ${ORDER_COLUMN_NAMES.map((column) => `o.${column}`).join(', ')}`,
          [eventId, result, row.payload.paymentId],
        );
        const { others_waiting: othersWaiting, ...order } = marked;
        return {
          result,
          paymentId: row.payload.paymentId,
          othersWaiting,
          order: order.id ? (order as OrderRow) : undefined,
        };
      },
    );
    if (outcome === 'already-processed') return outcome;
    if (outcome.result === 'settled' && outcome.othersWaiting)
      await this.processForPayment(outcome.paymentId);
    else if (outcome.result === 'settled' && outcome.order) this.rememberSettled(outcome.order);
    return outcome.result;
  }

  /**
   * The order of `paymentId` as this process committed its settlement, with no other event of the
   * payment waiting, if that happened recently and nobody took it yet. Lets checkout answer a
   * payment that the sandbox settled in-line without reading the order again; `undefined` means
   * read it (another process settled it, or the webhook has not come yet).
   */
  takeSettled(paymentId: string): OrderRow | undefined {
    const settled = this.settled.get(paymentId);
    this.settled.delete(paymentId);
    // Only just now: an older row may have changed since (a dispute, a refund).
    return settled && Date.now() - settled.at < REMEMBER_SETTLED_MS ? settled.order : undefined;
  }

  private rememberSettled(order: OrderRow): void {
    this.settled.set(order.payment_id!, { order, at: Date.now() });
    // Bounded: orders settled by webhooks that no checkout waits for are never taken.
    if (this.settled.size > MAX_REMEMBERED_SETTLEMENTS)
      this.settled.delete(this.settled.keys().next().value!);
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
