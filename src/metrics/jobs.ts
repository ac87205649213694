/**
 * The queue runtime's job metrics. Labels are bounded: `queue` is one of QUEUE_NAMES, `job` one
 * of the contract's job names (or `unknown` for a name outside the contract), `outcome` one of
 * JOB_OUTCOMES; never an id.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { isJobName, JOB_NAMES, jobsOfQueue, QUEUE_NAMES, type QueueName } from '../contracts';

/**
 * How a job run ended: `completed` (effects committed), `duplicate` (the event had already been
 * processed: nothing done), `invalid` (bad payload or job name: failed without retry),
 * `failed` (failed for good after its retries, or at once for an unexpected error).
 */
export const JOB_OUTCOMES = ['completed', 'failed', 'invalid', 'duplicate'] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

/** Why a job run was followed by a retry. */
export const RETRY_REASONS = ['not_found', 'transient'] as const;
export type RetryReason = (typeof RETRY_REASONS)[number];

export const UNKNOWN_JOB = 'unknown';

export interface JobMetrics {
  /** A job started for the first time, `lagSeconds` after it became due. */
  started(queue: QueueName, lagSeconds: number): void;
  /** A job run ended; `durationSeconds` is undefined when no handler ran (e.g. invalid payload). */
  finished(queue: QueueName, job: string, outcome: JobOutcome, durationSeconds?: number): void;
  /** A job run failed and the job was scheduled to run again. */
  retried(queue: QueueName, job: string, reason: RetryReason, durationSeconds: number): void;
  /**
   * A batch of `size` (2 or more) events of one job was committed together, or rolled back and
   * split (its events then ran one by one; each is counted by finished() as usual).
   */
  batch(job: string, size: number, outcome: BatchOutcome): void;
}

export const BATCH_OUTCOMES = ['committed', 'split'] as const;
export type BatchOutcome = (typeof BATCH_OUTCOMES)[number];

/** The `job` label of a job name: itself when the contract knows it, else `unknown`. */
export function jobLabel(name: string): string {
  return isJobName(name) ? name : UNKNOWN_JOB;
}

export function createJobMetrics(registry: Registry): JobMetrics {
  const processed = new Counter({
    name: 'provdb_jobs_processed_total',
    help: 'Job runs by how they ended (completed, failed, invalid, duplicate).',
    labelNames: ['queue', 'job', 'outcome'] as const,
    registers: [registry],
  });
  const retries = new Counter({
    name: 'provdb_job_retries_total',
    help: 'Job runs that failed and were scheduled to run again, by reason (not_found, transient).',
    labelNames: ['queue', 'job', 'reason'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'provdb_job_duration_seconds',
    help: 'Time spent processing a job run (validation, transaction, handlers, commit).',
    labelNames: ['queue', 'job'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const lag = new Histogram({
    name: 'provdb_job_lag_seconds',
    help: 'Time from when a job was due (enqueued, or its delay elapsed) to its first start.',
    labelNames: ['queue'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers: [registry],
  });

  const batches = new Histogram({
    name: 'provdb_event_batch_size',
    help: 'Events processed together in one transaction (batches of 2 or more), by outcome: committed, or split (rolled back, then run one by one).',
    labelNames: ['job', 'outcome'] as const,
    buckets: [2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  });

  // Every known series starts at 0, so rate() and absent-series alerts work from the first scrape.
  for (const queue of QUEUE_NAMES) {
    lag.zero({ queue });
    for (const job of jobsOfQueue(queue)) {
      duration.zero({ queue, job });
      for (const outcome of JOB_OUTCOMES) processed.inc({ queue, job, outcome }, 0);
    }
  }

  return {
    started(queue, lagSeconds) {
      lag.observe({ queue }, Math.max(0, lagSeconds));
    },
    finished(queue, job, outcome, durationSeconds) {
      const labels = { queue, job: jobLabel(job) };
      processed.inc({ ...labels, outcome });
      if (durationSeconds !== undefined) duration.observe(labels, durationSeconds);
    },
    retried(queue, job, reason, durationSeconds) {
      const labels = { queue, job: jobLabel(job) };
      retries.inc({ ...labels, reason });
      duration.observe(labels, durationSeconds);
    },
    batch(job, size, outcome) {
      batches.observe({ job: jobLabel(job), outcome }, size);
    },
  };
}

/** Every value the `job` label can take. */
export const JOB_LABEL_VALUES: readonly string[] = [...JOB_NAMES, UNKNOWN_JOB];
