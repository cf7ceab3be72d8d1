// Delivers the sandbox's events from its outbox table (sandbox_events) through the signed-webhook
// path until the receiver accepts them, like Stripe's own retries: at least once, from any process.
// Each attempt is signed afresh so a late retry is not rejected as stale.
import Stripe from 'stripe';
import type { DataSource, EntityManager } from 'typeorm';
import { Batcher, preparedQuery, updateReturning } from '#database';

/** Hands a raw webhook body and its `Stripe-Signature` header to the app (HTTP POST or direct call). */
export type DeliverWebhook = (rawBody: string, signatureHeader: string) => Promise<void>;

/** An event as the outbox stores it: the exact body to sign and send. */
export interface OutboxEvent {
  id: string;
  type: string;
  paymentId: string;
  body: string;
}

export interface WebhookDeliveryOptions {
  dataSource: DataSource;
  secret: string;
  deliver: DeliverWebhook;
  /** First retry delay; doubles per attempt up to `maxDelayMs` (with jitter). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /**
   * How long the process that stored an event (or took it from the outbox) has to deliver it before
   * any process may: after a crash, its events are sent by the others (or itself, restarted).
   */
  claimMs?: number;
  /** Called on each failed attempt (for logs/metrics); the body is not passed because it is not needed. */
  onError?: (error: unknown, info: { eventId: string; attempt: number }) => void;
  /** Clock in milliseconds, for the signature timestamp. */
  now?: () => number;
}

const DEFAULT_CLAIM_MS = 3_000;
/** Delivered events are kept as long as Stripe keeps its events: 30 days. */
export const DELIVERED_EVENT_RETENTION_MS = 30 * 24 * 3600 * 1000;
/** Delivered events deleted per `pruneDelivered` call, at most. */
const PRUNE_BATCH = 10_000;
/** Events taken from the outbox per `deliverDue` call, at most. */
const DUE_BATCH = 100;

/** Signed, retried, durable delivery of sandbox events. */
export class WebhookDelivery {
  /** First attempts, retries and acknowledgements under way, so that `whenIdle()` can wait for them. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Delivered events are marked together: under load one statement acknowledges many. */
  private readonly acknowledgements: Batcher<string, void>;
  private stopped = false;

  constructor(private readonly options: WebhookDeliveryOptions) {
    this.acknowledgements = new Batcher({
      maxBatch: 512,
      run: async (ids) => {
        await preparedQuery(
          this.manager,
          'sandbox:acknowledge-events',
          `UPDATE sandbox_events SET delivered_at = now(), last_error = NULL
           WHERE id = ANY($1::text[]) AND delivered_at IS NULL`,
          [ids],
        );
        return ids.map(() => undefined);
      },
    });
  }

  /** When an event stored now may be taken by another process: `claimMs` from now. */
  get claimMs(): number {
    return this.options.claimMs ?? DEFAULT_CLAIM_MS;
  }

  /**
   * The first attempt of events just committed to the outbox, in order. Awaited before a sandbox
   * call returns, like a processor's prompt webhook: the app has then stored (and applied) the event
   * if it accepted it. A failure is left to `deliverDue`, after a backoff.
   */
  deliverNow(events: readonly OutboxEvent[]): Promise<void> {
    return events.length === 0 ? Promise.resolve() : this.track(this.attemptInOrder(events));
  }

  /**
   * Delivers events that are due: retries, and events whose process died before sending them. Run
   * by one process at a time (the periodic job's lock); safe with others sending their own.
   */
  async deliverDue(): Promise<number> {
    if (this.stopped) return 0;
    // Claimed (pushed into the future) before sending, so no other delivery takes them meanwhile.
    const due = await preparedQuery<OutboxEvent>(
      this.manager,
      'sandbox:claim-due-events',
      `WITH due AS (
         SELECT id FROM sandbox_events WHERE delivered_at IS NULL AND next_attempt_at <= now()
         ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE sandbox_events e SET next_attempt_at = now() + $1::float8 * interval '1 millisecond'
         FROM due WHERE e.id = due.id
         RETURNING e.id, e.type, e.payment_id, e.body, e.created_at)
       SELECT id, type, payment_id AS "paymentId", body FROM claimed ORDER BY created_at, id`,
      [this.claimMs, DUE_BATCH],
    );
    await this.track(this.attemptInOrder(due));
    return due.length;
  }

  /**
   * Deletes delivered events older than the retention, a bounded batch per call, so the outbox does
   * not grow for ever; undelivered events are never deleted. Returns how many went.
   */
  async pruneDelivered(retentionMs = DELIVERED_EVENT_RETENTION_MS): Promise<number> {
    const gone = await updateReturning<{ id: string }>(
      this.manager,
      `DELETE FROM sandbox_events WHERE id IN (
         SELECT id FROM sandbox_events
         WHERE delivered_at < now() - $1::float8 * interval '1 millisecond' LIMIT $2)
       RETURNING id`,
      [retentionMs, PRUNE_BATCH],
    );
    return gone.length;
  }

  /** Resolves when the outbox holds no undelivered event (for tests; waits for retries that are due later). */
  async whenIdle(): Promise<void> {
    for (;;) {
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      const [{ pending, wait_ms: waitMs }] = await this.manager.query(
        `SELECT count(*)::int AS pending,
                greatest(0, extract(epoch FROM min(next_attempt_at) - now()) * 1000)::float8 AS wait_ms
         FROM sandbox_events WHERE delivered_at IS NULL`,
      );
      if (pending === 0 || this.stopped) return;
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(waitMs, 50)));
      else await this.deliverDue();
    }
  }

  /** No new attempts from here on (shutdown, tests); undelivered events stay in the outbox. */
  stop(): void {
    this.stopped = true;
  }

  /** Resolves once the attempts and acknowledgements under way have ended. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async attemptInOrder(events: readonly OutboxEvent[]): Promise<void> {
    for (const event of events) {
      if (this.stopped) return;
      crashPoint('sandbox-event-stored');
      try {
        await this.options.deliver(event.body, this.sign(event.body));
      } catch (error) {
        await this.recordFailure(event.id, error);
        continue;
      }
      // Not awaited by the caller: if it is lost (a crash), the event is only delivered again.
      void this.track(this.acknowledgements.submit(event.id)).catch(() => undefined);
    }
  }

  /** Counts the failed attempt and schedules the next one, with exponential backoff and jitter. */
  private async recordFailure(eventId: string, error: unknown): Promise<void> {
    let attempt = 0;
    try {
      const [row] = await updateReturning<{ attempts: number }>(
        this.manager,
        `UPDATE sandbox_events SET attempts = attempts + 1, last_error = left($2, 1000),
           next_attempt_at = now() + least($3::float8 * power(2, attempts), $4::float8) * (0.75 + random() / 4)
                                      * interval '1 millisecond'
         WHERE id = $1 RETURNING attempts`,
        [eventId, String(error), this.options.initialDelayMs ?? 500, this.options.maxDelayMs ?? 60_000],
      );
      attempt = row?.attempts ?? 0;
    } catch {
      // The outbox is unreachable too: the event stays due after its claim runs out.
    }
    this.options.onError?.(error, { eventId, attempt });
  }

  private sign(payload: string): string {
    const nowMs = this.options.now?.() ?? Date.now();
    return Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: this.options.secret,
      timestamp: Math.floor(nowMs / 1000),
    });
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }

  private get manager(): EntityManager {
    return this.options.dataSource.manager;
  }
}

/**
 * Fault injection for crash tests, as checkout's crash points: with HEIRLOOM_CRASH_AT=<name> the
 * process kills itself (SIGKILL, like a power cut) when it reaches that point. Unset in operation.
 */
function crashPoint(name: string): void {
  if (process.env.HEIRLOOM_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}
