/**
 * The worker pool: one BullMQ Worker per consumed queue, each running up to `concurrency` jobs
 * at once through the processor. A job failure never stops a worker; connection errors are
 * logged (once per outage) while BullMQ reconnects.
 */
import os from 'node:os';
import { type Job, Worker } from 'bullmq';
import type { QueueName } from '../contracts';
import type { Logger } from '../logger';
import { workerConnection } from './connection';
import { createProcessor, isReportedFailure, type ProcessorDeps } from './processor';

/**
 * How long finished jobs stay in Redis. While a job is kept, enqueueing its eventId again is a
 * no-op in BullMQ; after that, the new job completes as `duplicate` thanks to processed_events.
 * Failed jobs are kept much longer: they are the operator's to inspect and retry.
 */
export const DEFAULT_RETENTION = Object.freeze({
  completed: Object.freeze({ age: 24 * 3600, count: 50_000 }),
  failed: Object.freeze({ age: 30 * 24 * 3600, count: 100_000 }),
});

export interface WorkerPoolOptions {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly queues: readonly QueueName[];
  /** Jobs BullMQ hands this process at once per queue. */
  readonly concurrency: number;
  /** Per-queue exceptions to `concurrency` (a queue whose jobs are batched holds more). */
  readonly queueConcurrency?: Partial<Record<QueueName, number>>;
  /** A job's lock lasts this long and is renewed at half of it; a dead worker's jobs are recovered after it. */
  readonly lockDurationMs?: number;
  /** How often this worker looks for stalled jobs (whose worker died). */
  readonly stalledIntervalMs?: number;
  /** Times a job may stall (its worker dying) before it fails instead of running again. */
  readonly maxStalledCount?: number;
  readonly retention?: typeof DEFAULT_RETENTION;
}

export interface WorkerPool {
  readonly queues: readonly QueueName[];
  /** Resolves when every worker is connected and fetching. */
  waitUntilReady(): Promise<void>;
  /**
   * Stops fetching and waits for the active jobs (BullMQ `close()`). With `force`, does not
   * wait for them: their locks expire and another worker runs them again.
   */
  close(force?: boolean): Promise<void>;
  /** Jobs running right now in this process. */
  activeJobs(): number;
}

export function startWorkerPool(deps: ProcessorDeps, options: WorkerPoolOptions): WorkerPool {
  const processor = createProcessor(deps);
  const logger: Logger = deps.logger;
  const retention = options.retention ?? DEFAULT_RETENTION;
  let active = 0;

  const workers = options.queues.map((queue) => {
    const worker = new Worker(
      queue,
      async (job: Job, token?: string) => {
        active += 1;
        try {
          return await processor(job, token);
        } finally {
          active -= 1;
        }
      },
      {
        connection: workerConnection(options.redisUrl),
        prefix: options.prefix,
        concurrency: options.queueConcurrency?.[queue] ?? options.concurrency,
        name: `${os.hostname()}:${process.pid}`,
        lockDuration: options.lockDurationMs ?? 30_000,
        stalledInterval: options.stalledIntervalMs ?? 30_000,
        maxStalledCount: options.maxStalledCount ?? 1,
        removeOnComplete: retention.completed,
        removeOnFail: retention.failed,
      },
    );
    watchWorker(worker, queue, logger, deps);
    return worker;
  });

  return {
    queues: options.queues,
    async waitUntilReady() {
      await Promise.all(workers.map((w) => w.waitUntilReady()));
    },
    async close(force = false) {
      const results = await Promise.allSettled(workers.map((w) => w.close(force)));
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
    },
    activeJobs: () => active,
  };
}

/**
 * After a worker's connection is back, errors for this long are the rest of the same outage (its
 * other connection still reconnecting, commands that were in flight): neither logged nor
 * announced as a recovery again. A new outage keeps erroring on every reconnect attempt, so it is
 * logged once this has passed.
 */
const RECOVERY_GRACE_MS = 5_000;

function watchWorker(worker: Worker, queue: QueueName, logger: Logger, deps: ProcessorDeps): void {
  let lastError: string | undefined;
  let repeats = 0;
  let recoveredAt = Number.NEGATIVE_INFINITY;
  worker.on('error', (error: Error) => {
    if (Date.now() - recoveredAt < RECOVERY_GRACE_MS) return;
    // Connection errors repeat on every reconnect attempt: log the first, then every 50th.
    if (error.message === lastError && ++repeats % 50 !== 0) return;
    if (error.message !== lastError) repeats = 0;
    lastError = error.message;
    logger.warn({ queue, err: error.message, repeats }, `worker ${queue}: ${error.message}`);
  });
  const onReady = () => {
    if (lastError === undefined) return;
    logger.info({ queue }, `worker ${queue}: connected again`);
    lastError = undefined;
    recoveredAt = Date.now();
  };
  // The Worker emits 'ready' once, for its first connection; its backend's 'ready' follows every
  // reconnection of its connections too, which is when the operator wants to read it is back.
  worker.on('ready', onReady);
  worker.getBackend().on('ready', onReady);
  worker.on('stalled', (jobId: string) => {
    logger.warn(
      { queue, jobId },
      `job ${jobId} stalled (its worker stopped renewing its lock): it runs again`,
    );
  });
  worker.on('failed', (job: Job | undefined, error: Error) => {
    // Failures decided by BullMQ itself (a job that stalled too often) were not counted yet.
    if (isReportedFailure(error)) return;
    deps.metrics.finished(queue, job?.name ?? 'unknown', 'failed');
    logger.error(
      { queue, job: job?.name, jobId: job?.id, outcome: 'failed', reason: error.message },
      `job ${job?.name} ${job?.id}: failed: ${error.message}`,
    );
  });
}
