// The built-in card rail: behaves like Stripe test mode and reports through the same signed
// webhooks, so settlement is one code path for both rails.
//
// It stands in for a remote processor, so it keeps its books in PostgreSQL (its own tables; see
// sandbox-store.ts), never in process memory: any API process can finish a 3-D Secure step or refund
// a payment that another (perhaps dead) process started. Every change commits together with the
// events that report it (an outbox); they are delivered at once and, failing that, retried by
// whichever process runs the delivery job, so a crash between "captured" and "delivered" still
// delivers. Ids derive from the request (order id + idempotency key), so a retried call yields the
// same payment and settlement de-duplicates repeated events.
import type { DataSource, EntityManager } from 'typeorm';
import { Batcher, inTransaction, NEXT_BATCH } from '#database';
import type {
  CancelOutcome,
  CreatePaymentRequest,
  PaymentOutcome,
  PaymentProvider,
  ProcessorMovement,
  ProviderEvent,
  RefundOutcome,
  RefundRequest,
  RetrievedPayment,
} from '../payment-provider.js';
import { PaymentNotFoundError, PaymentRequestInvalidError } from '../payment-provider.exception.js';
import {
  assertValidIdempotencyKey,
  assertValidPaymentRequest,
  assertValidRefundRequest,
} from '../payment-request.js';
import { parseStripeWebhook } from '../webhook-event.js';
import { IntentChanges, type Mutation } from './intent-changes.js';
import { checkSandboxCard, testPaymentMethodCard } from './sandbox-cards.js';
import { SandboxEvents } from './sandbox-events.js';
import { outcomeOfIntent, sandboxId, type SandboxIntent } from './sandbox-intent.js';
import {
  dueDisputes,
  findIntent,
  findIntents,
  insertIntents,
  lockIntent,
  movementsAfter,
  saveChange,
  type NewIntent,
  type StoredIntent,
} from './sandbox-store.js';
import { WebhookDelivery, type DeliverWebhook, type WebhookDeliveryOptions } from './webhook-delivery.js';

/** Captures and refunds read per page by `processorMovements`. */
const MOVEMENTS_PAGE = 1_000;

export interface SandboxPaymentProviderOptions {
  /** The database holding the sandbox's own tables. */
  dataSource: DataSource;
  /** Secret the sandbox signs its events with and `parseWebhook` verifies against. */
  webhookSecret: string;
  /** Hands each signed event to the app's webhook handler; retried with backoff until it resolves. */
  deliver: DeliverWebhook;
  /** Path of the app's 3-D Secure challenge page; the payment id is appended. */
  challengePath?: string;
  /** Delay before a `…0259` payment is disputed; `null` means only `openDispute()` opens it. */
  disputeDelayMs?: number | null;
  webhookToleranceSeconds?: number;
  delivery?: Pick<WebhookDeliveryOptions, 'initialDelayMs' | 'maxDelayMs' | 'claimMs' | 'onError'>;
  /** Clock in milliseconds (event times, signatures), for tests. Due times use the database's clock. */
  now?: () => number;
}

export interface SandboxChallenge {
  paymentId: string;
  orderId: string;
  amount: number;
  currency: string;
  cardBrand: string;
  cardLast4: string;
  returnUrl?: string;
  pending: boolean;
}

const DEFAULT_DISPUTE_DELAY_MS = 2_000;
/** Scheduled disputes opened per `runDueWork` call, at most. */
const DUE_DISPUTES_BATCH = 100;
const PRUNE_INTERVAL_MS = 3_600_000;

/** Sandbox implementation of the payment port (the default rail when no Stripe key is set). */
export class SandboxPaymentProvider implements PaymentProvider {
  readonly rail = 'sandbox';
  private readonly delivery: WebhookDelivery;
  private readonly changes: IntentChanges;
  private readonly now: () => number;
  /** New payments stored together: concurrent checkouts share one statement and one commit. */
  private readonly creations: Batcher<NewIntent, StoredIntent>;
  /** Concurrent lookups (settlement confirms each new payment's event) share one query. */
  private readonly lookups: Batcher<string, SandboxIntent | undefined>;
  /** Prompt openings of scheduled disputes; the due time in the table covers a restart. */
  private readonly disputeTimers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<unknown>>();
  private closed = false;
  /** When old delivered events were last pruned (0: not yet in this process). */
  private prunedAt = 0;

  constructor(private readonly options: SandboxPaymentProviderOptions) {
    this.now = options.now ?? Date.now;
    this.delivery = new WebhookDelivery({
      ...options.delivery,
      dataSource: options.dataSource,
      secret: options.webhookSecret,
      deliver: options.deliver,
      now: this.now,
    });
    const nowSeconds = () => Math.floor(this.now() / 1000);
    this.changes = new IntentChanges(
      new SandboxEvents(nowSeconds),
      nowSeconds,
      options.disputeDelayMs !== null,
    );
    this.creations = new Batcher({ maxBatch: 256, run: (items) => this.storeNewIntents(items) });
    this.lookups = new Batcher({ maxBatch: 256, run: (ids) => findIntents(this.manager, ids) });
  }

  /** Charges a sandbox card (or a Stripe test PaymentMethod id) and emits the outcome as a webhook. */
  async createPayment(request: CreatePaymentRequest): Promise<PaymentOutcome> {
    assertValidPaymentRequest(request);
    const card = request.card ?? testPaymentMethodCard(request.paymentMethodId, new Date(this.now()));
    const id = sandboxId('pi', request.orderId, request.idempotencyKey);
    const fingerprint = JSON.stringify([
      request.orderId,
      request.amount,
      request.currency,
      request.paymentMethodId ?? null,
      request.returnUrl ?? null,
      request.metadata ?? {},
    ]);
    const check = checkSandboxCard(card, new Date(this.now()));
    if (!check.ok) {
      const existing = await findIntent(this.manager, id);
      if (existing) return this.replay(existing, fingerprint);
      // Like Stripe.js validation: a malformed card never becomes a payment, so there is no id or event.
      return { status: 'declined', declineCode: check.declineCode, message: check.message };
    }
    const created = this.changes.create(id, request, fingerprint, check);
    const stored = await this.creations.submit(created);
    if (!stored.created) {
      const existing = stored.existing ?? (await findIntent(this.manager, id));
      if (!existing) throw new Error(`Sandbox payment ${id} was stored but cannot be read`);
      return this.replay(existing, fingerprint);
    }
    if (created.intent.disputeScheduled) this.disputeLater(id);
    await this.delivery.deliverNow(created.event ? [created.event] : []);
    return outcomeOfIntent(created.intent, this.challengeUrl(id));
  }

  /** Same as `completeChallenge`: the buyer approved or abandoned the 3-D Secure step. */
  confirmAction(paymentId: string, decision: { approve: boolean }): Promise<PaymentOutcome> {
    return this.completeChallenge(paymentId, decision.approve);
  }

  /** Completes the sandbox 3-D Secure challenge; repeating it returns the first result. */
  async completeChallenge(paymentId: string, approve: boolean): Promise<PaymentOutcome> {
    const { intent } = await this.change(paymentId, (intent) =>
      this.changes.completeChallenge(intent, approve),
    );
    return outcomeOfIntent(intent, this.challengeUrl(paymentId));
  }

  /** The payment's current outcome, changing nothing: for one awaiting 3-D Secure, its challenge link. */
  async retrievePayment(paymentId: string): Promise<RetrievedPayment> {
    const intent = await this.lookups.submit(paymentId);
    if (!intent) throw new PaymentNotFoundError(paymentId);
    const { amount, currency, orderId } = intent;
    return { ...outcomeOfIntent(intent, this.challengeUrl(paymentId)), amount, currency, orderId };
  }

  /** What the HTTP layer needs to render the challenge page; undefined for an unknown payment. */
  async describeChallenge(paymentId: string): Promise<SandboxChallenge | undefined> {
    const intent = await findIntent(this.manager, paymentId);
    if (!intent) return undefined;
    return {
      paymentId,
      orderId: intent.orderId,
      amount: intent.amount,
      currency: intent.currency,
      cardBrand: intent.card.brand,
      cardLast4: intent.card.last4,
      returnUrl: intent.returnUrl,
      pending: intent.state === 'requires_action',
    };
  }

  /** Cancels a payment that has not succeeded; emits `payment_intent.canceled`. */
  async cancelPayment(paymentId: string, idempotencyKey: string): Promise<CancelOutcome> {
    assertValidIdempotencyKey(idempotencyKey);
    const { result } = await this.change(paymentId, (intent) => this.changes.cancel(intent));
    return result;
  }

  /** Refunds all or part of a succeeded payment; emits `charge.refunded` with the cumulative amount. */
  async refund(paymentId: string, request: RefundRequest): Promise<RefundOutcome> {
    assertValidRefundRequest(request);
    const { result } = await this.change(
      paymentId,
      (intent, previous) => this.changes.refund(intent, request, previous),
      request.idempotencyKey,
    );
    return result;
  }

  /** Opens a dispute on a succeeded payment now (the `…0259` card does this by itself after `disputeDelayMs`). */
  async openDispute(paymentId: string): Promise<void> {
    await this.change(paymentId, (intent) => this.changes.openDispute(intent));
  }

  /** Closes an open dispute as won or lost (for tests and operators); emits `charge.dispute.closed`. */
  async closeDispute(paymentId: string, result: 'won' | 'lost'): Promise<void> {
    await this.change(paymentId, (intent) => this.changes.closeDispute(intent, result));
  }

  /**
   * The sandbox's background work, for a periodic job (one process at a time): opens disputes that
   * are due and delivers events that are due (retries, and those of a process that died).
   */
  async runDueWork(): Promise<void> {
    for (const paymentId of await dueDisputes(this.manager, DUE_DISPUTES_BATCH))
      await this.openScheduledDispute(paymentId);
    await this.delivery.deliverDue();
    // Old delivered events: looked for hourly (the search reads the outbox), not every run.
    if (Date.now() - this.prunedAt >= PRUNE_INTERVAL_MS) {
      this.prunedAt = Date.now();
      await this.delivery.pruneDelivered();
    }
  }

  /** The sandbox's captures and refunds, from its own tables, in keyset pages. */
  async *processorMovements(): AsyncIterable<ProcessorMovement> {
    let after: { kind: 'capture' | 'refund'; reference: string } | undefined;
    for (;;) {
      const rows = await movementsAfter(this.manager, after, MOVEMENTS_PAGE);
      for (const row of rows) {
        yield {
          kind: row.kind,
          paymentId: row.payment_id,
          amountMinor: Number(row.amount),
          currency: row.currency.toUpperCase(),
          reference: row.reference,
        };
      }
      if (rows.length < MOVEMENTS_PAGE) return;
      after = rows[rows.length - 1];
    }
  }

  /** Verifies and normalises a webhook signed by this sandbox. */
  parseWebhook(rawBody: Buffer | string, signatureHeader: string): ProviderEvent {
    return parseStripeWebhook(rawBody, signatureHeader, {
      secret: this.options.webhookSecret,
      toleranceSeconds: this.options.webhookToleranceSeconds,
      now: this.now,
    });
  }

  /** Resolves once no event is left undelivered (for tests; runs due deliveries itself). */
  async whenIdle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    await this.delivery.whenIdle();
  }

  /** Stops dispute timers and delivery attempts (end of a test); what is owed stays in the tables. */
  close(): void {
    this.closed = true;
    for (const timer of this.disputeTimers) clearTimeout(timer);
    this.disputeTimers.clear();
    this.delivery.stop();
  }

  /** Nest hook: stop, and let work under way end before the connection pool closes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.close();
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    await this.delivery.settled();
  }

  /** One statement for a batch of new payments; a repeated id waits for the next batch. */
  private async storeNewIntents(items: NewIntent[]): Promise<(StoredIntent | typeof NEXT_BATCH)[]> {
    const ids = new Set<string>();
    const first: NewIntent[] = [];
    for (const item of items) {
      if (ids.has(item.intent.id)) continue;
      ids.add(item.intent.id);
      first.push(item);
    }
    const stored = await insertIntents(this.manager, first, this.storeOptions);
    const byItem = new Map(first.map((item, index) => [item, stored[index]]));
    return items.map((item) => byItem.get(item) ?? NEXT_BATCH);
  }

  private replay(existing: SandboxIntent, fingerprint: string): PaymentOutcome {
    if (existing.fingerprint !== fingerprint) {
      throw new PaymentRequestInvalidError('Idempotency key was already used with different parameters');
    }
    return outcomeOfIntent(existing, this.challengeUrl(existing.id));
  }

  /**
   * Changes one stored intent under its row lock: `mutate` edits the intent read (with the refund
   * already made under `refundKey`, if any) and says what to write; the change and its events commit
   * together, then the events are delivered. Throws `PaymentNotFoundError` for an unknown payment.
   */
  private async change<T>(
    paymentId: string,
    mutate: (intent: SandboxIntent, previousRefund?: RefundOutcome) => Mutation<T>,
    refundKey?: string,
  ): Promise<{ intent: SandboxIntent; result: T }> {
    const done = await inTransaction(this.options.dataSource, async (manager) => {
      const locked = await lockIntent(manager, paymentId, refundKey);
      if (!locked) throw new PaymentNotFoundError(paymentId);
      const { intent } = locked;
      const wasScheduled = intent.disputeScheduled;
      const {
        result,
        events = [],
        refund,
        changed = events.length > 0,
      } = mutate(intent, locked.previousRefund);
      if (changed) await saveChange(manager, { intent, refund, events }, this.storeOptions);
      return { intent, result, events, scheduled: !wasScheduled && intent.disputeScheduled };
    });
    if (done.scheduled) this.disputeLater(paymentId);
    await this.delivery.deliverNow(done.events);
    return done;
  }

  private async openScheduledDispute(paymentId: string): Promise<void> {
    await this.change(paymentId, (intent) => this.changes.openScheduledDispute(intent));
  }

  // A timer for promptness only: if it is lost with its process, the periodic job opens the dispute.
  private disputeLater(paymentId: string): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.disputeTimers.delete(timer);
      const opening = this.openScheduledDispute(paymentId).catch(() => undefined);
      this.running.add(opening);
      void opening.finally(() => this.running.delete(opening));
    }, this.options.disputeDelayMs ?? DEFAULT_DISPUTE_DELAY_MS);
    timer.unref();
    this.disputeTimers.add(timer);
  }

  private challengeUrl(paymentId: string): string {
    return `${this.options.challengePath ?? '/sandbox/3ds'}/${paymentId}`;
  }

  private get storeOptions() {
    return {
      claimMs: this.delivery.claimMs,
      disputeDelayMs: this.options.disputeDelayMs ?? DEFAULT_DISPUTE_DELAY_MS,
    };
  }

  private get manager(): EntityManager {
    return this.options.dataSource.manager;
  }
}
