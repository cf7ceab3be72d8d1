import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { HeirloomConfig } from '#config';
import { Batcher, inTransactionFrom, NEXT_BATCH } from '#database';
import { problems } from '#http';
import {
  PAYMENT_PROVIDER,
  parseStripeWebhook,
  type ConnectedAccountEvent,
  type IgnoredProviderEvent,
  type PaymentProvider,
  type PaymentProviderEvent,
  type ProviderEvent,
} from '#payments';
import { ConnectedAccountEvents } from './connected-account-events.js';
import { crashPoint } from './crash-point.js';
import { confirmWithProvider, markUnconfirmed, NEEDS_CONFIRMATION } from './payment-confirmation.js';
import {
  markProcessed,
  storeEvents,
  UNHANDLED_TYPE,
  verified,
  type ProcessOutcome,
  type RawDelivery,
  type ReceivedEvent,
  type StoredEvent,
  type StoredReceipt,
} from './payment-events.store.js';
import { whyNoOrderMatched } from './settlement.repository.js';
import { SettlementService, type SettlementOutcome } from './settlement.service.js';

/** Events per settlement transaction, at most: bounds a transaction's locks and statement sizes. */
const MAX_SETTLEMENT_BATCH = 64;
/**
 * Signature age accepted on re-delivery (~100 years): the stored body was verified when received;
 * checking its signature again proves only that the stored bytes are what was signed.
 */
const STORED_SIGNATURE_TOLERANCE_SECONDS = 100 * 365 * 86_400;

/** An event for settlement; `confirmed` once the provider backed the payment it would bind. */
interface SettlingEvent {
  eventId: string;
  confirmed?: boolean;
}
/** A batch's answer for an event to check with the provider (outside the transaction) first. */
interface ToConfirm {
  confirm: PaymentProviderEvent;
}
type BatchOutcome = ProcessOutcome | ToConfirm;

/**
 * The webhook inbox (transactional outbox for settlement): every verified event is stored first,
 * keyed by its id, then applied; events whose processing did not finish (crash, deferral) are
 * picked up again by `processPending`, so a captured payment always ends in a sale or a refund.
 */
@Injectable()
export class PaymentEventsService {
  private readonly logger = new Logger(PaymentEventsService.name);
  /** Received events stored together: concurrent deliveries share one insert. */
  private readonly inbox = new Batcher<ReceivedEvent, StoredReceipt>({
    maxBatch: MAX_SETTLEMENT_BATCH,
    run: (received) => storeEvents(this.dataSource.manager, received),
  });
  /** Events waiting for the next settlement transaction. */
  private readonly batches = new Batcher<SettlingEvent, BatchOutcome>({
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
    private readonly config: HeirloomConfig,
    private readonly accountEvents: ConnectedAccountEvents,
  ) {}

  /**
   * Verifies the Stripe-Signature over the raw body, stores the event once (as received, and
   * normalised), then applies it.
   */
  async receive(
    rawBody: Buffer | string,
    signature: string | undefined,
    contentType?: string,
  ): Promise<{ received: true; duplicate: boolean }> {
    const raw = { body: Buffer.from(rawBody), signature: signature ?? '', contentType };
    return this.accept(
      verified(() => this.provider.parseWebhook(raw.body, raw.signature)),
      raw,
    );
  }

  /**
   * Runs a stored event, as received, through `receive` again: its signature is checked (not its
   * age), and the event applies if it has not yet, or was ignored for want of a matching order.
   * Idempotent: an event applies at most once. `undefined` if no such event is stored.
   */
  async redeliver(eventId: string): Promise<{ received: true; duplicate: boolean } | undefined> {
    const [row]: { raw_body: Buffer | null; signature: string | null; content_type: string | null }[] =
      await this.dataSource.query(
        `SELECT raw_body, signature, content_type FROM payment_events WHERE id = $1`,
        [eventId],
      );
    if (!row) return undefined;
    if (!row.raw_body || row.signature === null)
      throw problems.conflict('event-not-redeliverable', 'This event was stored before raw bodies were kept');
    const event = verified(
      () =>
        parseStripeWebhook(row.raw_body!, row.signature!, {
          secret: [this.config.stripeWebhookSecret, this.config.stripeConnectWebhookSecret].filter(
            (secret): secret is string => !!secret,
          ),
          toleranceSeconds: STORED_SIGNATURE_TOLERANCE_SECONDS,
        }),
      // Changed since it was stored, or signed with a secret this installation no longer has.
      (message) => problems.conflict('event-unverifiable', message),
    );
    // An order may exist by now that the event had no match for (e.g. it overtook the sale).
    await this.dataSource.query(
      `UPDATE payment_events SET processed_at = NULL, outcome = NULL, ignored_reason = NULL
       WHERE id = $1 AND outcome = 'ignored' AND ignored_reason IS DISTINCT FROM $2`,
      [eventId, UNHANDLED_TYPE],
    );
    const raw = { body: row.raw_body, signature: row.signature, contentType: row.content_type ?? undefined };
    return this.accept(event, raw);
  }

  /**
   * Stores a verified event (a repeat is acknowledged), then applies it. A new event that would bind
   * an order with no payment id is first checked with the provider (payment-confirmation.ts), outside
   * any batch, so that a slow provider delays only that event.
   */
  private async accept(
    event: ProviderEvent,
    raw: RawDelivery,
  ): Promise<{ received: true; duplicate: boolean }> {
    if (event.type === 'ignored') return this.storeIgnored(event, raw);
    if (event.type === 'account.updated') return this.handOnAccountEvent(event, raw);
    // Stripe's events lack the card's brand and last four; the provider reads them, once per event.
    if (this.provider.completeEvent && !(await this.isStored(event.id)))
      event = await this.provider.completeEvent(event);
    if (event.type === 'ignored') return this.storeIgnored(event, raw);
    if (event.type === 'account.updated') return this.handOnAccountEvent(event, raw);
    const { duplicate, needsConfirmation } = await this.inbox.submit({ event, raw });
    crashPoint('after-event-stored');
    if (needsConfirmation) await this.confirmThenSettle(event);
    else await this.settle({ eventId: event.id });
    return { received: true, duplicate };
  }

  /** Events settlement has no use for are stored as processed, for operators. */
  private storeIgnored(
    event: IgnoredProviderEvent,
    raw: RawDelivery,
  ): Promise<{ received: true; duplicate: boolean }> {
    return this.storeProcessed(event, event.providerType, 'ignored', UNHANDLED_TYPE, raw);
  }

  /**
   * A connected account's event goes to payouts through the port first (idempotent there), then is
   * stored as processed: if handing it on fails, Stripe's redelivery tries again.
   */
  private async handOnAccountEvent(
    event: ConnectedAccountEvent,
    raw: RawDelivery,
  ): Promise<{ received: true; duplicate: boolean }> {
    const handled = await this.accountEvents.deliver(event);
    return handled
      ? this.storeProcessed(event, event.type, 'handed-to-payouts', null, raw)
      : this.storeProcessed(event, event.type, 'ignored', UNHANDLED_TYPE, raw);
  }

  private async storeProcessed(
    event: ProviderEvent,
    type: string,
    outcome: string,
    ignoredReason: string | null,
    raw: RawDelivery,
  ): Promise<{ received: true; duplicate: boolean }> {
    const stored = await this.dataSource.query(
      `INSERT INTO payment_events (id, type, payload, processed_at, outcome, ignored_reason, raw_body, signature,
         content_type)
       VALUES ($1, $2, $3, now(), $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [
        event.id,
        type,
        JSON.stringify(event),
        outcome,
        ignoredReason,
        raw.body,
        raw.signature,
        raw.contentType ?? null,
      ],
    );
    return { received: true, duplicate: stored.length === 0 };
  }

  private async isStored(eventId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM payment_events WHERE id = $1`, [
      eventId,
    ]);
    return rows.length > 0;
  }

  /**
   * Applies one stored event exactly once (row lock + processed_at); returns what it did. Events
   * that arrive while a settlement transaction runs wait for it and then go together in the next
   * one (group commit): under load, concurrent payments share one insert, one transaction and
   * set-based statements instead of paying for their own round trips and commits.
   */
  async process(eventId: string): Promise<SettlementOutcome | 'already-processed'> {
    return this.settle({ eventId });
  }

  /** Applies a stored event in the next settlement batch. */
  private async settle(item: SettlingEvent): Promise<SettlementOutcome | 'already-processed'> {
    const outcome = await this.batches.submit(item);
    if (outcome === 'already-processed') return outcome;
    if ('confirm' in outcome) return this.confirmThenSettle(outcome.confirm);
    if (outcome.result === 'settled' && outcome.othersWaiting)
      await this.processForPayment(outcome.paymentId);
    return outcome.result;
  }

  /**
   * Checks with the provider the payment of an event that would bind an order with no payment id
   * (see payment-confirmation.ts), outside any transaction (a network call), then applies it, or
   * ignores it (`unconfirmed-payment`), or leaves it pending for `processPending` while the
   * provider cannot be reached.
   */
  private async confirmThenSettle(
    event: PaymentProviderEvent,
  ): Promise<SettlementOutcome | 'already-processed'> {
    const confirmation = await confirmWithProvider(this.provider, event);
    if (confirmation === 'confirmed') return this.settle({ eventId: event.id, confirmed: true });
    if (confirmation === 'unreachable') {
      this.logger.warn(
        { event: event.id, paymentId: event.paymentId },
        'payment event kept pending: provider unreachable',
      );
      return 'deferred';
    }
    if (!(await markUnconfirmed(this.dataSource, event, this.logger))) return 'already-processed';
    return 'unknown-order';
  }

  /**
   * One settlement batch: applies stored events in one transaction. Events not
   * found unprocessed and unlocked are 'already-processed' (done, or being applied by another
   * process). Two events of one payment never share a transaction: the later one waits for the
   * next batch, so each payment's events apply one after the other, oldest first. An event that
   * would bind an order with no payment id, and is not yet confirmed (one stored earlier, e.g.
   * before a crash, or redelivered), is answered for the provider check instead (read in the same
   * round trip, so the usual event costs nothing more).
   */
  private async settleBatch(items: SettlingEvent[]): Promise<(BatchOutcome | typeof NEXT_BATCH)[]> {
    const confirmed = new Set(items.filter((item) => item.confirmed).map((item) => item.eventId));
    const outcomes = await inTransactionFrom<
      Map<string, BatchOutcome | typeof NEXT_BATCH>,
      StoredEvent & { needs_confirmation: boolean }
    >(
      this.dataSource,
      // Locked in the transaction's first round trip.
      (quote) =>
        `SELECT e.id, e.payload, ${NEEDS_CONFIRMATION} AS needs_confirmation FROM payment_events e
         WHERE e.id IN (${items.map((item) => quote(item.eventId)).join(', ')})
           AND e.processed_at IS NULL ORDER BY e.received_at, e.id FOR UPDATE OF e SKIP LOCKED`,
      async (manager, rows) => {
        const outcomes = new Map<string, BatchOutcome | typeof NEXT_BATCH>();
        const payments = new Set<string>();
        const events: StoredEvent[] = [];
        for (const { needs_confirmation: needsConfirmation, ...row } of rows) {
          if (payments.has(row.payload.paymentId)) outcomes.set(row.id, NEXT_BATCH);
          else if (needsConfirmation && !confirmed.has(row.id))
            outcomes.set(row.id, { confirm: row.payload });
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
        await deferBehindUnconfirmedPayment(manager, events, results);
        const ignored = await this.explainUnmatched(manager, events, results);
        for (const marked of await markProcessed(manager, events, results, ignored))
          outcomes.set(marked.eventId, marked);
        return outcomes;
      },
    );
    return items.map((item) => outcomes.get(item.eventId) ?? 'already-processed');
  }

  /**
   * Why each event that matched no order was ignored: such an event changes nothing, and is kept
   * (processed, outcome `ignored`) with its reason for operators.
   */
  private async explainUnmatched(
    manager: EntityManager,
    events: readonly StoredEvent[],
    results: ReadonlyMap<string, SettlementOutcome>,
  ): Promise<Map<string, string>> {
    const reasons = new Map<string, string>();
    for (const { id, payload } of events) {
      if (results.get(id) !== 'unknown-order') continue;
      const reason = await whyNoOrderMatched(manager, payload);
      reasons.set(id, reason);
      this.logger.warn(
        { event: id, type: payload.type, paymentId: payload.paymentId, orderId: payload.orderId, reason },
        'payment event ignored: it matches no order of ours',
      );
    }
    return reasons;
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
 * A refund or dispute that matches no order because its payment's success still waits (unprocessed,
 * e.g. for the provider's confirmation) is deferred behind it, not ignored: once the success binds
 * the order, the retry applies it. Ignoring it would sell an edition whose payment was refunded.
 */
async function deferBehindUnconfirmedPayment(
  manager: EntityManager,
  events: readonly StoredEvent[],
  results: Map<string, SettlementOutcome>,
): Promise<void> {
  const unmatched = events.filter(
    ({ id, payload }) => results.get(id) === 'unknown-order' && !payload.type.startsWith('payment_intent.'),
  );
  if (unmatched.length === 0) return;
  const rows: { payment_id: string }[] = await manager.query(
    `SELECT DISTINCT payment_id FROM payment_events
     WHERE payment_id = ANY($1::text[]) AND processed_at IS NULL AND type LIKE 'payment_intent.%'`,
    [unmatched.map(({ payload }) => payload.paymentId)],
  );
  const waiting = new Set(rows.map((row) => row.payment_id));
  for (const { id, payload } of unmatched) if (waiting.has(payload.paymentId)) results.set(id, 'deferred');
}
