/**
 * How long to wait before running a failed job again. Retries are the worker's policy, not the
 * producer's: a job enqueued from Python without `attempts`/`backoff` options is retried the
 * same way as one enqueued from TypeScript, and those job options are ignored.
 */
export interface RetryRule {
  /** Runs in total, the first one included (1 = never retry). */
  readonly attempts: number;
  /** Delay before the first retry; each further retry waits twice as long. */
  readonly baseDelayMs: number;
  /** Longest delay between two runs. */
  readonly maxDelayMs: number;
}

export interface RetryPolicy {
  /** The event refers to a row that is not there (yet). */
  readonly notFound: RetryRule;
  /** Postgres or Redis unreachable, serialization failure, deadlock. */
  readonly transient: RetryRule;
}

/**
 * Defaults: a missing row is given up to about 2 minutes to appear (the scheduler may enqueue
 * before its transaction is visible); transient errors are retried for up to about half an hour
 * (17 to 34 minutes with the jitter), long enough to ride out a database restart or failover.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  notFound: Object.freeze({ attempts: 8, baseDelayMs: 1_000, maxDelayMs: 60_000 }),
  transient: Object.freeze({ attempts: 15, baseDelayMs: 1_000, maxDelayMs: 300_000 }),
});

/**
 * Exponential backoff with jitter: after run `attempt` (1-based), wait between 50% and 100% of
 * `baseDelayMs * 2^(attempt-1)`, capped at `maxDelayMs`. The jitter spreads out the retries of
 * jobs that all failed at once (e.g. while Postgres was down).
 */
export function retryDelayMs(rule: RetryRule, attempt: number, random: () => number = Math.random): number {
  const exponential = rule.baseDelayMs * 2 ** Math.max(0, Math.min(attempt - 1, 30));
  const ceiling = Math.min(rule.maxDelayMs, exponential);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
