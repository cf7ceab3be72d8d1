// Delivers sandbox events through the signed-webhook path until the receiver accepts them, like
// Stripe's own retries. Each attempt is signed afresh so a late retry is not rejected as stale.
import Stripe from 'stripe';

/** Hands a raw webhook body and its `Stripe-Signature` header to the app (HTTP POST or direct call). */
export type DeliverWebhook = (rawBody: string, signatureHeader: string) => Promise<void>;

export interface WebhookDeliveryOptions {
  secret: string;
  deliver: DeliverWebhook;
  /** First retry delay; doubles per attempt up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Called on each failed attempt (for logs/metrics); the body is not passed because it is not needed. */
  onError?: (error: unknown, info: { eventId: string; attempt: number }) => void;
  /** Clock in milliseconds, for the signature timestamp. */
  now?: () => number;
}

/** Signed, retried, fire-and-forget delivery of sandbox events. */
export class WebhookDelivery {
  private readonly pending = new Set<Promise<void>>();
  private readonly firstAttempts = new Set<Promise<void>>();
  // Sleeping retries, so stop() can wake them and let whenIdle() settle.
  private readonly sleepers = new Map<NodeJS.Timeout, () => void>();
  private stopped = false;

  constructor(private readonly options: WebhookDeliveryOptions) {}

  /** Starts delivering `rawBody`; retries with backoff until `deliver` resolves or `stop()` is called. */
  send(eventId: string, rawBody: string): void {
    let firstAttemptDone = () => {};
    const firstAttempt = new Promise<void>((resolve) => (firstAttemptDone = resolve)).finally(() =>
      this.firstAttempts.delete(firstAttempt),
    );
    this.firstAttempts.add(firstAttempt);
    const delivery = this.deliverWithRetry(eventId, rawBody, firstAttemptDone).finally(() => {
      firstAttemptDone();
      this.pending.delete(delivery);
    });
    this.pending.add(delivery);
  }

  /**
   * Resolves once every delivery started so far has made its first attempt. Awaited before a
   * sandbox call returns, like a processor that has durably queued its webhook: the app has then
   * stored the event (if it accepted it) before it learns the outcome, so a crash cannot lose it.
   */
  async firstAttemptsMade(): Promise<void> {
    await Promise.all([...this.firstAttempts]);
  }

  /** Resolves when every delivery started so far has been accepted (or abandoned by `stop()`). */
  async whenIdle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Abandons pending retries (shutdown, tests). Events not yet accepted are lost, as after a restart. */
  stop(): void {
    this.stopped = true;
    for (const [timer, wake] of this.sleepers) {
      clearTimeout(timer);
      wake();
    }
    this.sleepers.clear();
  }

  private async deliverWithRetry(
    eventId: string,
    rawBody: string,
    firstAttemptDone: () => void,
  ): Promise<void> {
    const initialDelay = this.options.initialDelayMs ?? 500;
    const maxDelay = this.options.maxDelayMs ?? 60_000;
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.options.deliver(rawBody, this.sign(rawBody));
        return;
      } catch (error) {
        firstAttemptDone();
        this.options.onError?.(error, { eventId, attempt });
      }
      await this.sleep(Math.min(initialDelay * 2 ** (attempt - 1), maxDelay));
    }
  }

  private sign(payload: string): string {
    const nowMs = this.options.now?.() ?? Date.now();
    return Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: this.options.secret,
      timestamp: Math.floor(nowMs / 1000),
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      const timer = setTimeout(() => {
        this.sleepers.delete(timer);
        resolve();
      }, ms);
      // A pending retry alone should not keep a process alive; losing it is like a restart.
      timer.unref();
      this.sleepers.set(timer, resolve);
    });
  }
}
