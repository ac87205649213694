/**
 * Exactly-once effects: one transaction per event. It first claims the event in
 * `processed_events` (INSERT ... ON CONFLICT DO NOTHING), then runs every handler registered
 * for the job in order, then commits. An event delivered again (enqueued twice, retried after
 * its commit, recovered after a crash before BullMQ heard of the commit) finds its row and
 * changes nothing. Two deliveries running at once cannot both pass: the second INSERT waits
 * for the first transaction and then sees its row (or, if it rolled back, takes over).
 *
 * Knows nothing about BullMQ, so other parts can test their handlers through it directly.
 */
import type { Knex } from 'knex';
import { completeEvent, type EventInput, type JobName, type JobPayload, type QueueName } from '../contracts';
import { describeError, InvalidPayloadError } from '../errors';
import type { Logger } from '../logger';
import type { FollowUpOptions, Handler, HandlerContext, HandlerRegistry, HandlerResult } from './handlers';

export const PROCESSED_EVENTS = 'processed_events';

export interface EventToProcess<N extends JobName = JobName> {
  readonly jobName: N;
  /** Already validated (parsePayload). */
  readonly payload: JobPayload<N>;
  readonly queue: QueueName;
  readonly jobId: string;
  /** 1-based. */
  readonly attempt: number;
}

/** A job to enqueue once the event has committed; its payload is validated and complete. */
export interface FollowUp {
  readonly name: JobName;
  readonly payload: { eventId: string } & Record<string, unknown>;
  readonly delayMs?: number;
}

export type ProcessResult =
  | {
      readonly outcome: 'completed';
      readonly results: Readonly<Record<string, HandlerResult>>;
      readonly followUps: readonly FollowUp[];
    }
  | {
      readonly outcome: 'duplicate';
      /** When the first delivery committed, and as which job. */
      readonly processedAt: Date;
      readonly firstJobId: string;
      /** Re-sent by the caller: the first delivery may have died before sending them. */
      readonly followUps: readonly FollowUp[];
    };

/** A job name with no registered handler (the part that handles it is not deployed yet). */
export class NoHandlerError extends Error {
  override readonly name = 'NoHandlerError';
  constructor(readonly jobName: JobName) {
    super(`no handler is registered for ${jobName}: this worker version does not process it yet`);
  }
}

/** What a handler threw, with the handler's name; `cause` is the original error. */
export class HandlerError extends Error {
  override readonly name = 'HandlerError';
  constructor(
    readonly handler: string,
    cause: unknown,
  ) {
    super(`${handler} handler: ${describeError(cause)}`, { cause });
  }
}

export interface ProcessDeps {
  readonly knex: Knex;
  readonly handlers: HandlerRegistry;
  /** Parent of the handlers' child loggers. */
  readonly logger: Logger;
}

export interface ProcessOptions {
  /** Postgres `statement_timeout` inside the event's transaction (0 = none). */
  readonly statementTimeoutMs?: number;
}

interface ProcessedRow {
  job_name: string;
  job_id: string;
  processed_at: Date;
  follow_ups: FollowUp[] | null;
}

export async function processEvent<N extends JobName>(
  deps: ProcessDeps,
  event: EventToProcess<N>,
  options: ProcessOptions = {},
): Promise<ProcessResult> {
  const handlers = deps.handlers.handlersFor(event.jobName);
  if (handlers.length === 0) throw new NoHandlerError(event.jobName);
  const eventId = (event.payload as { eventId: string }).eventId;
  const occurredAt = new Date((event.payload as { occurredAt: string }).occurredAt);

  const onCommit: Array<() => void> = [];
  const processed = await deps.knex.transaction(async (trx): Promise<ProcessResult> => {
    if (options.statementTimeoutMs) {
      await trx.raw(`SELECT set_config('statement_timeout', ?, true)`, [`${options.statementTimeoutMs}ms`]);
    }
    const claimed = await trx(PROCESSED_EVENTS)
      .insert({
        event_id: eventId,
        job_name: event.jobName,
        outcome: 'completed',
        queue: event.queue,
        job_id: event.jobId,
        attempt: event.attempt,
      })
      .onConflict('event_id')
      .ignore()
      .returning('event_id');
    if (claimed.length === 0) return duplicate(trx, event, eventId);

    const results: Record<string, HandlerResult> = {};
    const followUps: FollowUp[] = [];
    for (const handler of handlers) {
      const context: HandlerContext<N> = {
        trx,
        payload: event.payload,
        jobName: event.jobName,
        eventId,
        occurredAt,
        queue: event.queue,
        jobId: event.jobId,
        attempt: event.attempt,
        logger: deps.logger.child({ handler: handler.name }),
        enqueueAfterCommit(name, payload, followUpOptions) {
          const followUp = makeFollowUp(name, payload, followUpOptions);
          followUps.push(followUp);
          return followUp.payload.eventId;
        },
        afterCommit(fn) {
          onCommit.push(fn);
        },
      };
      let result: Awaited<ReturnType<Handler>>;
      try {
        result = await handler.handle(context as unknown as HandlerContext);
      } catch (error) {
        throw new HandlerError(handler.name, error);
      }
      if (result && Object.keys(result).length > 0) results[handler.name] = result;
    }
    if (Object.keys(results).length > 0 || followUps.length > 0) {
      await trx(PROCESSED_EVENTS)
        .where({ event_id: eventId })
        .update({
          results: Object.keys(results).length > 0 ? JSON.stringify(results) : null,
          follow_ups: followUps.length > 0 ? JSON.stringify(followUps) : null,
        });
    }
    return { outcome: 'completed', results, followUps };
  });
  for (const fn of onCommit) {
    try {
      fn();
    } catch (error) {
      deps.logger.warn(
        { eventId, err: (error as Error).message },
        `after-commit callback failed: ${(error as Error).message}`,
      );
    }
  }
  return processed;
}

async function duplicate(
  trx: Knex.Transaction,
  event: { readonly jobName: JobName },
  eventId: string,
): Promise<ProcessResult> {
  const row = (await trx(PROCESSED_EVENTS)
    .where({ event_id: eventId })
    .first('job_name', 'job_id', 'processed_at', 'follow_ups')) as ProcessedRow | undefined;
  if (!row) throw new Error(`processed_events row of ${eventId} vanished while being read`);
  if (row.job_name !== event.jobName) {
    throw new InvalidPayloadError(
      `eventId ${eventId} was already used by a ${row.job_name} event (job ${row.job_id}, ` +
        `${row.processed_at.toISOString()}): every event needs its own eventId`,
    );
  }
  return {
    outcome: 'duplicate',
    processedAt: row.processed_at,
    firstJobId: row.job_id,
    followUps: row.follow_ups ?? [],
  };
}

function makeFollowUp<M extends JobName>(
  name: M,
  input: EventInput<M>,
  options: FollowUpOptions = {},
): FollowUp {
  let payload: FollowUp['payload'];
  try {
    payload = completeEvent(name, input) as FollowUp['payload'];
  } catch (error) {
    // A handler bug, not a problem of the event being processed: not an InvalidPayloadError.
    throw new Error(`follow-up ${name}: ${describeError(error)}`, { cause: error });
  }
  const delayMs = options.delayMs;
  if (delayMs !== undefined && !(Number.isInteger(delayMs) && delayMs >= 0)) {
    throw new Error(`follow-up ${name}: delayMs must be a whole number of milliseconds, got ${delayMs}`);
  }
  return delayMs ? { name, payload, delayMs } : { name, payload };
}
