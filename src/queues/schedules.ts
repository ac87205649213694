/**
 * Periodic jobs: BullMQ job schedulers (`Queue.upsertJobScheduler`) that add a contract job every
 * so often, e.g. `rollups.reconcile` on the `maintenance` queue. A part declares a schedule while
 * registering its handlers (`registry.schedule(...)`); every worker process that consumes the
 * schedule's queue upserts it at start-up. Upserting the same scheduler id again (another worker,
 * a restart) updates the one scheduler in Redis, it never adds a second one (see docs/runtime.md).
 *
 * Event ids of scheduled jobs: a scheduler adds every run with the same template data, so an
 * eventId in the template would make every run after the first a `duplicate` of the first in
 * processed_events. The template therefore carries no eventId or occurredAt; the processor gives
 * each scheduler-made job (one with `repeatJobKey`) an eventId derived from its queue and BullMQ
 * job id (`repeat:<scheduler>:<due time in ms>`, unique per run), and its due time as occurredAt.
 * A redelivered run (retried, recovered after a stall, `jobs retry`) has the same job id, so the
 * same eventId, and processed_events keeps it to one effect.
 */
import type { Job } from 'bullmq';
import { completeEvent, type EventInput, type JobName, type QueueName, queueOf } from '../contracts';
import type { Logger } from '../logger';
import { uuidV5 } from './event-ids';
import type { Producer } from './producer';

/** The payload of a scheduled job without its envelope (eventId, occurredAt are per run). */
export type ScheduledData<N extends JobName> = Omit<EventInput<N>, 'eventId' | 'occurredAt'>;

export interface JobSchedule<N extends JobName = JobName> {
  /** The BullMQ job scheduler id: one scheduler per id and queue, whoever upserts it. */
  readonly id: string;
  readonly jobName: N;
  /** Milliseconds between two runs. */
  readonly everyMs: number;
  readonly data: ScheduledData<N>;
}

/** Checks a schedule at registration: its data must make a valid payload of its job. */
export function checkSchedule<N extends JobName>(schedule: JobSchedule<N>): JobSchedule<N> {
  if (!/^[\w.-]{1,64}$/.test(schedule.id)) {
    throw new Error(`job schedule id ${JSON.stringify(schedule.id)} is not a short identifier`);
  }
  if (!Number.isInteger(schedule.everyMs) || schedule.everyMs < 1) {
    throw new Error(
      `job schedule ${schedule.id}: everyMs must be a positive whole number, got ${schedule.everyMs}`,
    );
  }
  // Throws InvalidPayloadError naming the field, before anything reaches Redis.
  completeEvent(schedule.jobName, schedule.data as EventInput<N>);
  return Object.freeze({ ...schedule });
}

// The namespace of the event ids of scheduled runs (a fixed, random v4 UUID).
const SCHEDULED_RUN_NAMESPACE = '6f0c8a52-d1e4-4b0e-9a3c-2b7d5e1f4a90';

/** The eventId of one scheduled run: a UUID derived from its queue and BullMQ job id. */
export function scheduledEventId(queue: string, jobId: string): string {
  return uuidV5(`${queue}\n${jobId}`, SCHEDULED_RUN_NAMESPACE);
}

/** True for a job a BullMQ job scheduler added. */
export function isScheduledJob(job: Pick<Job, 'repeatJobKey' | 'id'>): boolean {
  return typeof job.repeatJobKey === 'string' && job.repeatJobKey !== '' && typeof job.id === 'string';
}

/**
 * The data a scheduled job is processed with: its template data plus this run's eventId and
 * occurredAt (when the run was due). Other jobs' data is returned as it is.
 */
export function eventData(
  job: Pick<Job, 'repeatJobKey' | 'id' | 'data' | 'queueName' | 'timestamp' | 'opts'>,
): unknown {
  if (!isScheduledJob(job)) return job.data;
  const data = typeof job.data === 'object' && job.data !== null && !Array.isArray(job.data) ? job.data : {};
  const dueMs = (job.opts as { prevMillis?: number }).prevMillis ?? job.timestamp + (job.opts.delay ?? 0);
  return {
    ...data,
    eventId: scheduledEventId(job.queueName, job.id!),
    occurredAt: new Date(dueMs).toISOString(),
  };
}

/**
 * Upserts the schedules whose job belongs to one of `queues` (the queues this process consumes):
 * a process that does not run a queue's jobs does not schedule them either.
 */
export async function upsertSchedules(
  producer: Producer,
  schedules: readonly JobSchedule[],
  queues: readonly QueueName[],
  logger?: Logger,
): Promise<JobSchedule[]> {
  const upserted: JobSchedule[] = [];
  for (const schedule of schedules) {
    const queue = queueOf(schedule.jobName);
    if (!queues.includes(queue)) continue;
    await producer
      .queue(queue)
      .upsertJobScheduler(
        schedule.id,
        { every: schedule.everyMs },
        { name: schedule.jobName, data: schedule.data },
      );
    logger?.info(
      { scheduler: schedule.id, queue, job: schedule.jobName, everyMs: schedule.everyMs },
      `job scheduler ${schedule.id}: ${schedule.jobName} on ${queue} every ${schedule.everyMs} ms`,
    );
    upserted.push(schedule);
  }
  return upserted;
}
