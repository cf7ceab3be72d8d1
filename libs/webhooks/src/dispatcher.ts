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
  data: string;
  created_at: Date;
  url: string;
  secret: string;
  previous_secret: string | null;
}

/**
 * Claims reach this many rounds of the concurrency ahead, so that sending never waits for a claim
 * and each claim is one statement for many deliveries.
 */
const CLAIM_ROUNDS = 4;

/** Attempt outcomes logged at once, each logger batching those that arrive while it writes. */
const OUTCOME_LOGGERS = 4;

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

/**
 * The JSON body of an event, per the Standard Webhooks payload shape (plus its id). `dataJson` is
 * the event's data as PostgreSQL prints it, spliced in rather than parsed and printed again.
 */
export function eventPayload(event: { id: string; type: string; createdAt: Date; dataJson: string }): string {
  const head = JSON.stringify({ id: event.id, type: event.type, timestamp: event.createdAt.toISOString() });
  return `${head.slice(0, -1)},"data":${event.dataJson}}`;
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
  /** Several loggers, so that batches overlap their commits instead of queueing behind one. */
  private readonly outcomes: Batcher<Outcome, void>[];
  private nextLogger = 0;
  /** Attempts waiting for their answer. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Answered attempts not logged yet. */
  private readonly unlogged = new Set<Promise<void>>();
  /** Claimed and waiting for a free slot: claims come in batches, attempts go out one by one. */
  private readonly queue: ClaimedRow[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: HeirloomConfig,
  ) {
    const { timeoutMs, allowLocalUrls, concurrency } = config.webhooks;
    this.sender = new WebhookSender({ timeoutMs, allowLocalUrls, connectionsPerOrigin: concurrency });
    this.outcomes = Array.from(
      { length: OUTCOME_LOGGERS },
      () => new Batcher<Outcome, void>({ maxBatch: 500, run: (outcomes) => this.record(outcomes) }),
    );
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

  /**
   * Stops claiming, gives back the claimed deliveries not sent yet (due again at once, for any
   * process) and waits for the attempts in flight to be sent and logged.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    const unsent = this.queue.splice(0);
    if (unsent.length > 0) {
      await this.dataSource
        .query(
          `UPDATE webhook_deliveries d SET attempts = d.attempts - 1, next_attempt_at = now()
           FROM unnest($1::uuid[], $2::int[]) AS u(id, attempt)
           WHERE d.id = u.id AND d.attempts = u.attempt AND d.status = 'pending'`,
          [unsent.map((row) => row.id), unsent.map((row) => row.attempts)],
        )
        .catch((error: unknown) => this.logger.warn({ error: String(error) }, 'could not release claims'));
    }
    await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled([...this.unlogged]);
  }

  /** Room for more claims: up to CLAIM_ROUNDS rounds of the concurrency are claimed or in flight. */
  private room(): number {
    const held = this.queue.length + this.inFlight.size + this.unlogged.size;
    return CLAIM_ROUNDS * this.config.webhooks.concurrency - held;
  }

  private async run(): Promise<void> {
    const { concurrency, pollIntervalMs } = this.config.webhooks;
    while (this.running) {
      const room = this.room();
      let drained = false;
      try {
        const claimed = await this.claim(room);
        this.queue.push(...claimed);
        this.pump();
        drained = claimed.length < room;
      } catch (error) {
        this.logger.warn({ error: String(error) }, 'could not claim webhook deliveries');
        drained = true;
      }
      // Drained: look again after the poll interval. Else claim again once half the rounds are sent.
      if (drained) await this.sleep(pollIntervalMs, () => false);
      else await this.sleep(undefined, () => this.room() >= (CLAIM_ROUNDS / 2) * concurrency);
    }
  }

  /** Waits `ms` (or forever), or until `ready` holds when an attempt ends; shutdown ends any wait. */
  private sleep(ms: number | undefined, ready: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        if (!this.running || ready()) done();
      };
    });
  }

  /** Sends queued deliveries while there are free slots. */
  private pump(): void {
    while (this.inFlight.size < this.config.webhooks.concurrency && this.queue.length > 0 && this.running)
      this.dispatch(this.queue.shift()!);
  }

  private dispatch(row: ClaimedRow): void {
    const delivery: Delivery = {
      eventId: row.event_id,
      url: row.url,
      secrets: row.previous_secret ? [row.secret, row.previous_secret] : [row.secret],
      payload: eventPayload({
        id: row.event_id,
        type: row.type,
        createdAt: row.created_at,
        dataJson: row.data,
      }),
    };
    // The slot frees when the answer is in; logging it goes on beside the next attempts.
    const attempt = this.sender.send(delivery).then((result) => {
      this.inFlight.delete(attempt);
      const logged = this.log(this.outcome(row, result))
        .catch((error: unknown) =>
          this.logger.error({ delivery: row.id, error: String(error) }, 'could not log a webhook attempt'),
        )
        .finally(() => {
          this.unlogged.delete(logged);
          this.wake?.();
        });
      this.unlogged.add(logged);
      this.pump();
    });
    this.inFlight.add(attempt);
  }

  private log(outcome: Outcome): Promise<void> {
    this.nextLogger = (this.nextLogger + 1) % this.outcomes.length;
    return this.outcomes[this.nextLogger].submit(outcome);
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
    // Long enough for every claimed round to be sent, each attempt taking its whole timeout.
    const leaseMs = this.config.webhooks.timeoutMs * (CLAIM_ROUNDS + 1) + 30_000;
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
       SELECT c.id, c.attempts, c.event_id, ev.type, ev.data::text AS data, ev.created_at, ep.url, ep.secret,
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
