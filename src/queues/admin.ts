/**
 * Operator views of the queues (the `jobs` CLI commands): failed jobs with their reasons, and
 * retrying them after a fix. Retrying resets the job's attempt count, so it gets the full
 * retry policy again.
 */
import type { Job } from 'bullmq';
import type { QueueName } from '../contracts';
import type { Producer } from './producer';
import { eventData } from './schedules';

export interface FailedJob {
  readonly queue: QueueName;
  readonly id: string;
  readonly name: string;
  readonly eventId: string | null;
  readonly reason: string;
  /** Runs started (first run, retries, recoveries). */
  readonly attempts: number;
  readonly enqueuedAt: string;
  readonly failedAt: string | null;
  readonly data: unknown;
}

const PAGE = 500;

function describe(queue: QueueName, job: Job): FailedJob {
  // A scheduled run's eventId is derived from its job id, as the processor does.
  const data = eventData(job) as { eventId?: unknown } | null;
  return {
    queue,
    id: job.id ?? '?',
    name: job.name,
    eventId: typeof data?.eventId === 'string' ? data.eventId : null,
    reason: job.failedReason ?? '',
    attempts: job.attemptsStarted,
    enqueuedAt: new Date(job.timestamp).toISOString(),
    failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
    data: job.data,
  };
}

/** The failed jobs of the given queues, most recently failed first, at most `limit` per queue. */
export async function listFailedJobs(
  producer: Producer,
  queues: readonly QueueName[],
  limit: number,
): Promise<{ jobs: FailedJob[]; total: number }> {
  const jobs: FailedJob[] = [];
  let total = 0;
  for (const queue of queues) {
    const q = producer.queue(queue);
    total += await q.getFailedCount();
    const page = await q.getFailed(0, limit - 1);
    jobs.push(...page.filter(Boolean).map((job) => describe(queue, job)));
  }
  return { jobs, total };
}

export interface RetryReport {
  readonly retried: ReadonlyArray<{ queue: QueueName; id: string }>;
  /** Ids found in no queue. */
  readonly missing: readonly string[];
  /** Ids found, but not failed (waiting, completed, ...). */
  readonly notFailed: ReadonlyArray<{ queue: QueueName; id: string; state: string }>;
}

/** Moves failed jobs back to waiting: the given ids, or every failed job (`'all'`). */
export async function retryFailedJobs(
  producer: Producer,
  queues: readonly QueueName[],
  ids: readonly string[] | 'all',
): Promise<RetryReport> {
  const retried: Array<{ queue: QueueName; id: string }> = [];
  const notFailed: Array<{ queue: QueueName; id: string; state: string }> = [];
  const found = new Set<string>();
  for (const queue of queues) {
    const q = producer.queue(queue);
    let jobs: Job[];
    if (ids === 'all') {
      // Collect first: a retried job that fails again at once must not be picked up twice.
      jobs = [];
      for (let start = 0; ; start += PAGE) {
        const page = await q.getFailed(start, start + PAGE - 1);
        jobs.push(...page.filter(Boolean));
        if (page.length < PAGE) break;
      }
    } else {
      jobs = (await Promise.all(ids.map((id) => q.getJob(id)))).filter((j): j is Job => j !== undefined);
    }
    for (const job of jobs) {
      const id = job.id ?? '?';
      found.add(id);
      const state = await job.getState();
      if (state !== 'failed') {
        notFailed.push({ queue, id, state });
        continue;
      }
      await job.retry('failed', { resetAttemptsStarted: true });
      retried.push({ queue, id });
    }
  }
  const missing = ids === 'all' ? [] : ids.filter((id) => !found.has(id));
  return { retried, missing, notFailed };
}
