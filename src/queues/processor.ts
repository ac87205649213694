/**
 * The BullMQ side of a job run: checks the job name and payload against the contract, runs the
 * event through processEvent (one transaction, exactly-once), sends follow-ups, and turns the
 * outcome into BullMQ's language, metrics and one log line:
 *
 * - completed / duplicate: the job completes (its return value says which);
 * - invalid payload or job name: UnrecoverableError, the job fails at once and keeps its data;
 * - row not found, transient error: the job is moved to `delayed` for a retry with backoff
 *   (RetryPolicy) until its attempts are used up, then fails with the last reason;
 * - anything else (a handler bug, no handler registered): the job fails with the message.
 *
 * Every failure is thrown as UnrecoverableError so that producer-side `attempts` options cannot
 * add retries the policy did not decide.
 */
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { JOBS, type JobName, parseJobName, parsePayload, type QueueName } from '../contracts';
import { classifyError, describeError, type ErrorKind, InvalidPayloadError } from '../errors';
import type { JobMetrics } from '../metrics';
import { createEventRunner } from './batcher';
import { HandlerError, NoHandlerError, type ProcessDeps } from './process-event';
import type { Producer } from './producer';
import { type RetryPolicy, retryDelayMs } from './retry';
import { eventData } from './schedules';

export interface JobReturnValue {
  readonly outcome: 'completed' | 'duplicate';
  readonly eventId: string;
  readonly results?: Readonly<Record<string, unknown>>;
  readonly followUps?: readonly string[];
}

export interface ProcessorDeps extends ProcessDeps {
  readonly producer: Producer;
  readonly metrics: JobMetrics;
  readonly retry: RetryPolicy;
  readonly statementTimeoutMs?: number;
  /**
   * Batching of the jobs whose handlers all have a batch form (src/queues/batcher.ts): at most
   * `maxBatch` events per transaction, `maxInFlight` transactions per job name at once. Absent:
   * every job alone.
   */
  readonly batching?: { readonly maxBatch: number; readonly maxInFlight: number };
}

/** Errors this processor already counted and logged; the worker's `failed` listener skips them. */
const reported = new WeakSet<Error>();

export function isReportedFailure(error: Error): boolean {
  return reported.has(error);
}

function fail(message: string): UnrecoverableError {
  const error = new UnrecoverableError(message);
  reported.add(error);
  return error;
}

/** The first run of a job (not a retry, not a recovery after a stall): its lag is meaningful. */
function isFirstRun(job: Job): boolean {
  return job.attemptsStarted <= 1 && job.attemptsMade === 0 && !job.stalledCounter;
}

export function createProcessor(deps: ProcessorDeps) {
  const runner = createEventRunner(
    { knex: deps.knex, handlers: deps.handlers, logger: deps.logger },
    {
      maxBatch: deps.batching?.maxBatch ?? 1,
      maxInFlight: deps.batching?.maxInFlight ?? 1,
      statementTimeoutMs: deps.statementTimeoutMs,
      onBatch: (jobName, size, outcome) => deps.metrics.batch(jobName, size, outcome),
    },
  );
  return async function processJob(job: Job, token?: string): Promise<JobReturnValue> {
    const queue = job.queueName as QueueName;
    const attempt = Math.max(1, job.attemptsStarted);
    // A scheduler-made job gets its own eventId per run (derived from its job id), see schedules.ts.
    const input = eventData(job);
    const data = input as { eventId?: unknown } | null;
    const eventId = typeof data?.eventId === 'string' ? data.eventId.slice(0, 64) : undefined;
    // Producer-controlled strings are cut before they reach the logs.
    const name = job.name.slice(0, 100);
    const title = `job ${name} ${job.id}`;
    const logger = deps.logger.child({ queue, job: name, jobId: job.id, eventId, attempt });
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;

    if (isFirstRun(job)) {
      const dueAt = job.timestamp + (job.opts.delay ?? 0);
      deps.metrics.started(queue, ((job.processedOn ?? Date.now()) - dueAt) / 1000);
    }

    let jobName: JobName | undefined;
    try {
      jobName = checkJobName(job.name, queue);
      const payload = parsePayload(jobName, input);
      const result = await runner.run({
        jobName,
        payload,
        queue,
        jobId: job.id ?? payload.eventId,
        attempt,
        logger,
      });
      // After the commit: a crash here leaves the job active, it is recovered as a stalled job,
      // finds its processed_events row and re-sends these (their jobId makes that harmless).
      for (const followUp of result.followUps) {
        await deps.producer.enqueue(followUp.name, followUp.payload as never, { delayMs: followUp.delayMs });
      }
      const durationSeconds = seconds();
      deps.metrics.finished(queue, jobName, result.outcome, durationSeconds);
      const fields = { outcome: result.outcome, durationMs: Math.round(durationSeconds * 1000) };
      if (result.outcome === 'duplicate') {
        logger.info(
          { ...fields, firstJobId: result.firstJobId, processedAt: result.processedAt.toISOString() },
          `${title}: duplicate, event already processed at ${result.processedAt.toISOString()}`,
        );
      } else {
        logger.info(fields, `${title}: completed`);
      }
      return {
        outcome: result.outcome,
        eventId: payload.eventId,
        ...(result.outcome === 'completed' && Object.keys(result.results).length > 0
          ? { results: result.results }
          : {}),
        ...(result.followUps.length > 0 ? { followUps: result.followUps.map((f) => f.payload.eventId) } : {}),
      };
    } catch (error) {
      const root = error instanceof HandlerError ? error.cause : error;
      const kind: ErrorKind = error instanceof NoHandlerError ? 'fatal' : classifyError(root);
      const reason = describeError(error);
      const durationMs = Math.round(seconds() * 1000);
      const label = jobName ?? job.name;

      const rule =
        kind === 'not_found' ? deps.retry.notFound : kind === 'transient' ? deps.retry.transient : undefined;
      if (rule && attempt < rule.attempts && token) {
        const delayMs = retryDelayMs(rule, attempt);
        try {
          await job.moveToDelayed(Date.now() + delayMs, token);
        } catch (moveError) {
          // Redis is away too (or the lock was lost): the job stays active until its lock
          // expires, then the stalled-job check runs it again.
          logger.warn({ reason, err: (moveError as Error).message }, `${title}: could not schedule a retry`);
          throw error;
        }
        deps.metrics.retried(queue, label, kind as 'not_found' | 'transient', durationMs / 1000);
        logger.warn(
          { outcome: 'retry', reason, kind, durationMs, retryInMs: delayMs, attempts: rule.attempts },
          `${title}: ${reason}; retry ${attempt}/${rule.attempts - 1} in ${delayMs} ms`,
        );
        // Tells BullMQ the job was moved (to delayed) by the processor itself.
        throw new DelayedError();
      }

      const outcome = kind === 'invalid' ? 'invalid' : 'failed';
      deps.metrics.finished(queue, label, outcome, kind === 'invalid' ? undefined : durationMs / 1000);
      const final = rule ? `${reason} (gave up after ${attempt} attempts)` : reason;
      logger.error(
        { outcome, reason: final, kind, durationMs, err: kind === 'fatal' ? errorDetails(root) : undefined },
        `${title}: ${outcome}: ${final}`,
      );
      throw fail(final);
    }
  };
}

/** The job's name as a contract job name, or InvalidPayloadError (unknown, or wrong queue). */
function checkJobName(name: string, queue: QueueName): JobName {
  const jobName = parseJobName(name);
  const expected = JOBS[jobName].queue;
  if (expected !== queue)
    throw new InvalidPayloadError(`${name} jobs belong on queue ${expected}, not ${queue}`);
  return jobName;
}

function errorDetails(error: unknown): { name?: string; message: string; stack?: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message, stack: error.stack }
    : { message: String(error) };
}
