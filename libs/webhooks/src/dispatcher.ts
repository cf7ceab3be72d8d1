import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HeirloomConfig } from '#config';
import { Batcher } from '#database';
import { WebhookSender, type AttemptResult, type Delivery } from './sender.js';

/** A claimed delivery: its attempt number (counted at claim) and what to send where. */
interface ClaimedRow {
  id: string;
  attempts: number;
  event_id: string;
  type: string;
  data: unknown;
  created_at: Date;
  url: string;
  secret: string;
  previous_secret: string | null;
}

interface Outcome {
  deliveryId: string;
  attempt: number;
  result: AttemptResult;
  status: 'pending' | 'delivered' | 'failed';
  nextAttemptAt: Date | null;
}

/**
 * When a delivery whose attempt `attempt` failed is tried next: the schedule's delay for it, with
 * ±25 % jitter so that retries of many deliveries spread out; undefined once the schedule is spent.
 */
export function nextAttemptAt(
  attempt: number,
  scheduleMs: readonly number[],
  now = Date.now(),
  random = Math.random,
): Date | undefined {
  const delay = scheduleMs[attempt - 1];
  if (delay === undefined) return undefined;
  return new Date(now + Math.round(delay * (0.75 + random() * 0.5)));
}

/** The JSON body of an event, per the Standard Webhooks payload shape (plus its id). */
export function eventPayload(event: { id: string; type: string; createdAt: Date; data: unknown }): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    timestamp: event.createdAt.toISOString(),
    data: event.data,
  });
}

/**
 * Delivers due webhooks from every API process at once: each claims a share of the due deliveries
 * (`FOR UPDATE SKIP LOCKED`, so processes never claim the same one) with a lease (its next attempt
 * moved past the timeout), sends them concurrently, and logs each attempt with its outcome in
 * batches. A process that dies mid-attempt leaves the lease to expire and another to retry it:
 * at least once, never silently dropped.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly sender: WebhookSender;
  private readonly outcomes: Batcher<Outcome, void>;
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: HeirloomConfig,
  ) {
    const { timeoutMs, allowLocalUrls, concurrency } = config.webhooks;
    this.sender = new WebhookSender({ timeoutMs, allowLocalUrls, connectionsPerOrigin: concurrency });
    this.outcomes = new Batcher({ maxBatch: 500, run: (outcomes) => this.record(outcomes) });
  }

  onApplicationBootstrap(): void {
    if (process.env.HEIRLOOM_DISABLE_JOBS === '1') return;
    this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
    await this.sender.close();
  }

  /** Starts delivering in the background (the app does at boot unless jobs are disabled). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run().catch((error: unknown) => {
      this.logger.error({ error: String(error) }, 'webhook delivery stopped');
      this.running = false;
    });
  }

  /** Stops claiming and waits for the attempts in flight to be sent and logged. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Delivers what is due now until nothing is, then answers (for tests and the CLI); deliveries
   * retried later are left for later.
   */
  async drain(): Promise<void> {
    for (;;) {
      const claimed = await this.claim(this.config.webhooks.concurrency);
      if (claimed.length === 0 && this.inFlight.size === 0) return;
      for (const row of claimed) this.dispatch(row);
      await Promise.race([...this.inFlight]);
    }
  }

  private async run(): Promise<void> {
    const { concurrency, pollIntervalMs } = this.config.webhooks;
    while (this.running) {
      const free = concurrency - this.inFlight.size;
      let claimedAll = false;
      if (free > 0) {
        try {
          const claimed = await this.claim(free);
          for (const row of claimed) this.dispatch(row);
          claimedAll = claimed.length === free;
        } catch (error) {
          this.logger.warn({ error: String(error) }, 'could not claim webhook deliveries');
        }
      }
      // Full: claim again as soon as a slot frees. Drained: look again after the poll interval.
      if (free <= 0 || claimedAll) await this.sleep(undefined);
      else await this.sleep(pollIntervalMs);
    }
  }

  private sleep(ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      const slotWaiter = ms === undefined;
      function done() {
        clearTimeout(timer);
        resolve();
      }
      // A freed slot wakes only a loop that is waiting for one; shutdown wakes any.
      this.wake = () => {
        if (slotWaiter || !this.running) done();
      };
    });
  }

  private dispatch(row: ClaimedRow): void {
    const delivery: Delivery = {
      eventId: row.event_id,
      url: row.url,
      secrets: row.previous_secret ? [row.secret, row.previous_secret] : [row.secret],
      payload: eventPayload({ id: row.event_id, type: row.type, createdAt: row.created_at, data: row.data }),
    };
    const attempt = this.sender
      .send(delivery)
      .then((result) => this.outcomes.submit(this.outcome(row, result)))
      .catch((error: unknown) =>
        this.logger.error({ delivery: row.id, error: String(error) }, 'could not log a webhook attempt'),
      )
      .finally(() => {
        this.inFlight.delete(attempt);
        this.wake?.();
      });
    this.inFlight.add(attempt);
  }

  private outcome(row: ClaimedRow, result: AttemptResult): Outcome {
    const base = { deliveryId: row.id, attempt: row.attempts, result };
    if (result.ok) return { ...base, status: 'delivered', nextAttemptAt: null };
    const next = nextAttemptAt(row.attempts, this.config.webhooks.retryScheduleMs);
    return next
      ? { ...base, status: 'pending', nextAttemptAt: next }
      : { ...base, status: 'failed', nextAttemptAt: null };
  }

  /** Claims up to `limit` due deliveries of enabled endpoints, leasing each past the attempt's timeout. */
  private claim(limit: number): Promise<ClaimedRow[]> {
    const leaseMs = this.config.webhooks.timeoutMs * 2 + 30_000;
    return this.dataSource.query(
      `WITH due AS (
         SELECT d.id FROM webhook_deliveries d
         JOIN webhook_endpoints ep ON ep.id = d.endpoint_id AND ep.enabled
         WHERE d.status = 'pending' AND d.next_attempt_at <= now()
         ORDER BY d.next_attempt_at LIMIT $1
         FOR UPDATE OF d SKIP LOCKED
       ), claimed AS (
         UPDATE webhook_deliveries d
         SET attempts = d.attempts + 1, next_attempt_at = now() + $2 * interval '1 millisecond'
         FROM due WHERE d.id = due.id
         RETURNING d.id, d.attempts, d.event_id, d.endpoint_id
       )
       SELECT c.id, c.attempts, c.event_id, ev.type, ev.data, ev.created_at, ep.url, ep.secret,
              CASE WHEN ep.previous_secret_until > now() THEN ep.previous_secret END AS previous_secret
       FROM claimed c
       JOIN webhook_endpoints ep ON ep.id = c.endpoint_id
       JOIN webhook_events ev ON ev.id = c.event_id`,
      [limit, leaseMs],
    );
  }

  /**
   * Logs attempts and moves their deliveries on, in one statement. Only the attempt that holds the
   * delivery's claim moves it (an attempt whose lease ran out and was claimed again does not).
   */
  private async record(outcomes: Outcome[]): Promise<void[]> {
    await this.dataSource.query(
      `WITH r AS (
         SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::int[], $5::int[], $6::text[],
                              $7::text[], $8::text[], $9::timestamptz[])
           AS r(delivery_id, attempt, started_at, duration_ms, response_status, response_excerpt, error,
                status, next_attempt_at)
       ), logged AS (
         INSERT INTO webhook_attempts
           (delivery_id, attempt, started_at, duration_ms, response_status, response_excerpt, error)
         SELECT r.delivery_id, r.attempt, r.started_at, r.duration_ms, r.response_status,
                r.response_excerpt, r.error
         FROM r JOIN webhook_deliveries d ON d.id = r.delivery_id
         ON CONFLICT DO NOTHING
       )
       UPDATE webhook_deliveries d
       SET status = r.status, next_attempt_at = coalesce(r.next_attempt_at, d.next_attempt_at),
           finished_at = CASE WHEN r.status = 'pending' THEN NULL ELSE now() END
       FROM r WHERE d.id = r.delivery_id AND d.attempts = r.attempt AND d.status = 'pending'`,
      [
        outcomes.map((o) => o.deliveryId),
        outcomes.map((o) => o.attempt),
        outcomes.map((o) => o.result.startedAt),
        outcomes.map((o) => o.result.durationMs),
        outcomes.map((o) => o.result.responseStatus),
        outcomes.map((o) => o.result.responseExcerpt),
        outcomes.map((o) => o.result.error),
        outcomes.map((o) => o.status),
        outcomes.map((o) => o.nextAttemptAt),
      ],
    );
    return outcomes.map(() => undefined);
  }
}
