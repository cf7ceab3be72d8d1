// Retry timing shared by the background jobs that talk to outside systems (refunds, cancels, payouts).

export interface BackoffPolicy {
  /** The first retry comes after about this long… */
  baseMs: number;
  /** …doubling per failure up to this. */
  maxMs: number;
}

/**
 * Exponential backoff with jitter over the upper half of the step, so processes and items do not
 * retry in step. `attempts` is the number of failures so far (≥ 1).
 */
export function backoffWithJitterMs(attempts: number, policy: BackoffPolicy, random = Math.random()): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(attempts, 1) - 1, 20));
  return Math.round(ceiling / 2 + random * (ceiling / 2));
}

/**
 * Whether the failure numbered `attempts` is one to alert on: at `threshold`, then at each doubling
 * of it (2×, 4×, …), so a long outage alerts a few times, not on every failure.
 */
export function escalatesAt(attempts: number, threshold: number): boolean {
  if (attempts < threshold || attempts % threshold !== 0) return false;
  const multiple = attempts / threshold;
  return (multiple & (multiple - 1)) === 0;
}
