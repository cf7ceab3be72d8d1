import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Batcher, inTransactionFrom, NEXT_BATCH, preparedQuery } from '#database';
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

interface StoredEvent {
  id: string;
  payload: PaymentProviderEvent;
}

interface WaitingEvent {
  eventId: string;
  /** A received event, to store before it is applied (then cleared). */
  store?: PaymentProviderEvent;
  /** The event was stored already: a repeated delivery. */
  duplicate: boolean;
}

/** Events per settlement transaction, at most: bounds a transaction's locks and statement sizes. */
const MAX_SETTLEMENT_BATCH = 64;
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
  /** Events waiting for the next settlement transaction. */
  private readonly batches = new Batcher<WaitingEvent, ProcessOutcome>({
    maxBatch: MAX_SETTLEMENT_BATCH,
    run: (items) => this.settleBatch(items),
    onBatchFailed: (error, size) =>
      this.logger.warn(
        { events: size, error: String(error) },
        'settlement batch failed; applying its events one by one',
      ),
  });

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
    // Stripe's events lack the card's brand and last four; the provider reads them where it can.
    if (this.provider.completeEvent) event = await this.provider.completeEvent(event);
    if (event.type !== 'ignored') {
      const { duplicate } = await this.settle({ eventId: event.id, store: event });
      return { received: true, duplicate };
    }
    // Events settlement has no use for are stored as processed, for operators.
    const stored = await this.dataSource.query(
      `INSERT INTO payment_events (id, type, payload, processed_at, outcome) VALUES ($1, $2, $3, now(), 'ignored')
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [event.id, event.providerType, JSON.stringify(event)],
    );
    return { received: true, duplicate: stored.length === 0 };
  }

  /**
   * Applies one stored event exactly once (row lock + processed_at); returns what it did. Events
   * that arrive while a settlement transaction runs wait for it and then go together in the next
   * one (group commit): under load, concurrent payments share one insert, one transaction and
   * set-based statements instead of paying for their own round trips and commits.
   */
  async process(eventId: string): Promise<SettlementOutcome | 'already-processed'> {
    return (await this.settle({ eventId })).outcome;
  }

  /** Queues an event (to store first, if given) for the next settlement batch. */
  private async settle(
    request: Pick<WaitingEvent, 'eventId' | 'store'>,
  ): Promise<{ outcome: SettlementOutcome | 'already-processed'; duplicate: boolean }> {
    const item: WaitingEvent = { ...request, duplicate: false };
    const outcome = await this.batches.submit(item);
    if (outcome === 'already-processed') return { outcome, duplicate: item.duplicate };
    if (outcome.result === 'settled' && outcome.othersWaiting)
      await this.processForPayment(outcome.paymentId);
    else if (outcome.result === 'settled' && outcome.order) this.rememberSettled(outcome.order);
    return { outcome: outcome.result, duplicate: item.duplicate };
  }

  /**
   * One settlement batch: stores the received events (durable before any is applied, so that a
   * crash in between leaves them for recovery), then applies them in one transaction. Events not
   * found unprocessed and unlocked are 'already-processed' (done, or being applied by another
   * process). Two events of one payment never share a transaction: the later one waits for the
   * next batch, so each payment's events apply one after the other, oldest first.
   */
  private async settleBatch(items: WaitingEvent[]): Promise<(ProcessOutcome | typeof NEXT_BATCH)[]> {
    await storeEvents(this.dataSource.manager, items);
    crashPoint('after-event-stored');
    const outcomes = await inTransactionFrom<Map<string, ProcessOutcome | typeof NEXT_BATCH>, StoredEvent>(
      this.dataSource,
      // Locked in the transaction's first round trip.
      (quote) =>
        `SELECT id, payload FROM payment_events WHERE id IN (${items.map((item) => quote(item.eventId)).join(', ')})
           AND processed_at IS NULL ORDER BY received_at, id FOR UPDATE SKIP LOCKED`,
      async (manager, rows) => {
        const outcomes = new Map<string, ProcessOutcome | typeof NEXT_BATCH>();
        const payments = new Set<string>();
        const events: StoredEvent[] = [];
        for (const row of rows) {
          if (payments.has(row.payload.paymentId)) outcomes.set(row.id, NEXT_BATCH);
          else events.push(row);
          payments.add(row.payload.paymentId);
        }
        const results = new Map<string, SettlementOutcome>();
        const succeeded = events.filter(({ payload }) => payload.type === 'payment_intent.succeeded');
        const sales = await this.settlement.applySucceeded(
          manager,
          succeeded.map(({ payload }) => payload),
        );
        succeeded.forEach(({ id }, index) => results.set(id, sales[index]));
        for (const { id, payload } of events) {
          if (!results.has(id)) results.set(id, await this.settlement.apply(manager, payload));
        }
        for (const marked of await markProcessed(manager, events, results))
          outcomes.set(marked.eventId, marked);
        return outcomes;
      },
    );
    return items.map((item) => outcomes.get(item.eventId) ?? 'already-processed');
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

/**
 * Stores received events (the inbox), all in one autocommit statement: each is durable before it
 * is applied, so that a crash in between leaves it for recovery. Marks repeated deliveries.
 */
async function storeEvents(manager: EntityManager, batch: readonly WaitingEvent[]): Promise<void> {
  const received = batch.filter((item) => item.store);
  if (received.length === 0) return;
  const stored = await preparedQuery<{ id: string }>(
    manager,
    'checkout:store-events',
    `INSERT INTO payment_events (id, type, payment_id, order_id, payload)
     SELECT e.id, e.type, e.payment_id, e.order_id, e.payload
     FROM jsonb_to_recordset($1::jsonb) AS e(id text, type text, payment_id text, order_id uuid, payload jsonb)
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [
      JSON.stringify(
        received.map(({ store: event }) => ({
          id: event!.id,
          type: event!.type,
          payment_id: event!.paymentId,
          order_id: event!.orderId && /^[0-9a-f-]{36}$/i.test(event!.orderId) ? event!.orderId : null,
          payload: event,
        })),
      ),
    ],
  );
  // The first delivery of an event inserted now is the original; any other is a repeat.
  const inserted = new Set(stored.map((row) => row.id));
  for (const item of received) {
    item.duplicate = !inserted.delete(item.eventId);
    item.store = undefined;
  }
}

/**
 * Records each applied event's outcome (a deferred one stays unprocessed), in one statement that
 * also says whether other events of its payment wait (e.g. a refund deferred until the sale
 * existed) and returns the payment's order as it now is, for the checkout that may be waiting on
 * it. The orders are locked by now, so any event that could have been deferred has committed and is
 * visible here.
 */
async function markProcessed(
  manager: EntityManager,
  events: readonly StoredEvent[],
  results: ReadonlyMap<string, SettlementOutcome>,
): Promise<(Exclude<ProcessOutcome, 'already-processed'> & { eventId: string })[]> {
  if (events.length === 0) return [];
  const rows = await preparedQuery<
    { event_id: string; event_payment_id: string; others_waiting: boolean } & Partial<OrderRow>
  >(
    manager,
    'checkout:mark-events',
    `UPDATE payment_events e SET outcome = m.outcome,
       processed_at = CASE WHEN m.outcome = 'deferred' THEN NULL ELSE now() END
     FROM unnest($1::text[], $2::text[], $3::text[]) AS m(id, outcome, payment_id)
       LEFT JOIN orders o ON o.payment_id = m.payment_id
     WHERE e.id = m.id
     RETURNING e.id AS event_id, m.payment_id AS event_payment_id,
       EXISTS (SELECT 1 FROM payment_events w
               WHERE w.payment_id = m.payment_id AND w.processed_at IS NULL AND w.id <> m.id) AS others_waiting,
       ${ORDER_COLUMN_NAMES.map((column) => `o.${column}`).join(', ')}`,
    [
      events.map((event) => event.id),
      events.map((event) => results.get(event.id)!),
      events.map((event) => event.payload.paymentId),
    ],
  );
  return rows.map(
    ({ event_id: eventId, event_payment_id: paymentId, others_waiting: othersWaiting, ...order }) => ({
      eventId,
      result: results.get(eventId)!,
      paymentId,
      othersWaiting,
      order: order.id ? (order as OrderRow) : undefined,
    }),
  );
}
