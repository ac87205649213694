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
import type {
  BatchHandler,
  FollowUpOptions,
  Handler,
  HandlerContext,
  HandlerRegistry,
  HandlerResult,
} from './handlers';

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
  const eventId = eventIdOf(event);

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

    const run = new EventRun(event, deps.logger, trx, onCommit);
    for (const handler of handlers) {
      let result: Awaited<ReturnType<Handler>>;
      try {
        result = await handler.handle(run.contextFor(handler.name));
      } catch (error) {
        throw new HandlerError(handler.name, error);
      }
      run.record(handler.name, result);
    }
    if (run.hasRecord()) {
      await trx(PROCESSED_EVENTS)
        .where({ event_id: eventId })
        .update({ results: run.resultsJson(), follow_ups: run.followUpsJson() });
    }
    return run.completed();
  });
  runAfterCommit(onCommit, deps.logger);
  return processed;
}

/** The events of a batch: one job name, each with the logger of its own job. */
export interface BatchEvent<N extends JobName = JobName> extends EventToProcess<N> {
  /** Parent of this event's handler loggers (deps.logger is used when absent). */
  readonly logger?: Logger;
}

/**
 * Several events of ONE job, in ONE transaction, through the batch forms of its handlers
 * (HandlerRegistry.isBatchable): one multi-row claim in `processed_events`, each handler once for
 * all the claimed events, one statement recording their results, one commit. The effects are
 * those of processEvent run for each event in turn; an event already processed is a `duplicate`
 * as there. Any error rolls the whole batch back and is thrown (as HandlerError when a handler
 * threw): the caller then runs the events one by one (src/queues/batcher.ts), so that one bad
 * event fails alone. The eventIds must differ from one another.
 */
export async function processEventBatch<N extends JobName>(
  deps: ProcessDeps,
  events: readonly BatchEvent<N>[],
  options: ProcessOptions = {},
): Promise<ProcessResult[]> {
  if (events.length === 0) return [];
  const jobName = events[0]!.jobName;
  if (events.some((e) => e.jobName !== jobName)) throw new Error('a batch holds events of one job name only');
  if (!deps.handlers.isBatchable(jobName)) {
    throw new Error(`${jobName} has a handler without a batch form: its events are processed one by one`);
  }
  const handlers = deps.handlers.handlersFor(jobName);
  const ids = events.map(eventIdOf);
  if (new Set(ids).size !== ids.length) throw new Error('a batch cannot hold the same eventId twice');

  const onCommit: Array<() => void> = [];
  const processed = await deps.knex.transaction(async (trx): Promise<ProcessResult[]> => {
    if (options.statementTimeoutMs) {
      await trx.raw(`SELECT set_config('statement_timeout', ?, true)`, [`${options.statementTimeoutMs}ms`]);
    }
    // Claimed in eventId order: two batches sharing events wait for each other, never deadlock.
    const claimRows = events
      .map((event, i) => ({
        event_id: ids[i]!,
        job_name: event.jobName,
        outcome: 'completed',
        queue: event.queue,
        job_id: event.jobId,
        attempt: event.attempt,
      }))
      .sort((a, b) => (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0));
    const claimedRows = (await trx(PROCESSED_EVENTS)
      .insert(claimRows)
      .onConflict('event_id')
      .ignore()
      .returning('event_id')) as Array<{ event_id: string }>;
    const claimed = new Set(claimedRows.map((r) => r.event_id));

    const runs: EventRun<N>[] = [];
    events.forEach((event, i) => {
      if (claimed.has(ids[i]!)) runs.push(new EventRun(event, event.logger ?? deps.logger, trx, onCommit));
    });
    for (const handler of runs.length > 0 ? handlers : []) {
      let results: Awaited<ReturnType<BatchHandler>>;
      try {
        results = await handler.batch!(runs.map((run) => run.contextFor(handler.name)));
      } catch (error) {
        throw new HandlerError(handler.name, error);
      }
      if (results.length !== runs.length) {
        throw new HandlerError(
          handler.name,
          new Error(`its batch form returned ${results.length} results for ${runs.length} events`),
        );
      }
      for (const [i, run] of runs.entries()) run.record(handler.name, results[i]);
    }
    const recorded = runs.filter((run) => run.hasRecord());
    if (recorded.length > 0) {
      await trx.raw(
        `UPDATE ${PROCESSED_EVENTS} p SET results = v.results, follow_ups = v.follow_ups
           FROM unnest(?::uuid[], ?::jsonb[], ?::jsonb[]) AS v(event_id, results, follow_ups)
          WHERE p.event_id = v.event_id`,
        [
          recorded.map((run) => run.eventId),
          recorded.map((run) => run.resultsJson()) as Knex.RawBinding,
          recorded.map((run) => run.followUpsJson()) as Knex.RawBinding,
        ],
      );
    }
    const duplicates = await duplicatesOf(
      trx,
      events.filter((_, i) => !claimed.has(ids[i]!)),
    );
    const completed = new Map(runs.map((run) => [run.eventId, run.completed()]));
    return ids.map((id) => completed.get(id) ?? duplicates.get(id)!);
  });
  runAfterCommit(onCommit, deps.logger);
  return processed;
}

/** One event's handler contexts, results and follow-ups while its transaction runs. */
class EventRun<N extends JobName> {
  readonly eventId: string;
  private readonly occurredAt: Date;
  private readonly results: Record<string, HandlerResult> = {};
  private readonly followUps: FollowUp[] = [];

  constructor(
    private readonly event: EventToProcess<N>,
    private readonly logger: Logger,
    private readonly trx: Knex.Transaction,
    private readonly onCommit: Array<() => void>,
  ) {
    this.eventId = eventIdOf(event);
    this.occurredAt = new Date((event.payload as { occurredAt: string }).occurredAt);
  }

  contextFor(handler: string): HandlerContext {
    const { event, followUps, onCommit } = this;
    const parent = this.logger;
    let logger: Logger | undefined;
    const context: HandlerContext<N> = {
      trx: this.trx,
      payload: event.payload,
      jobName: event.jobName,
      eventId: this.eventId,
      occurredAt: this.occurredAt,
      queue: event.queue,
      jobId: event.jobId,
      attempt: event.attempt,
      // Made when first used: most handlers of a busy batch never log.
      get logger() {
        logger ??= parent.child({ handler });
        return logger;
      },
      enqueueAfterCommit(name, payload, followUpOptions) {
        const followUp = makeFollowUp(name, payload, followUpOptions);
        followUps.push(followUp);
        return followUp.payload.eventId;
      },
      afterCommit(fn) {
        onCommit.push(fn);
      },
    };
    return context as unknown as HandlerContext;
  }

  record(handler: string, result: Awaited<ReturnType<Handler>>): void {
    if (result && Object.keys(result).length > 0) this.results[handler] = result;
  }

  hasRecord(): boolean {
    return Object.keys(this.results).length > 0 || this.followUps.length > 0;
  }

  resultsJson(): string | null {
    return Object.keys(this.results).length > 0 ? JSON.stringify(this.results) : null;
  }

  followUpsJson(): string | null {
    return this.followUps.length > 0 ? JSON.stringify(this.followUps) : null;
  }

  completed(): ProcessResult {
    return { outcome: 'completed', results: this.results, followUps: this.followUps };
  }
}

function eventIdOf(event: { readonly payload: unknown }): string {
  return (event.payload as { eventId: string }).eventId;
}

function runAfterCommit(callbacks: ReadonlyArray<() => void>, logger: Logger): void {
  for (const fn of callbacks) {
    try {
      fn();
    } catch (error) {
      logger.warn(
        { err: (error as Error).message },
        `after-commit callback failed: ${(error as Error).message}`,
      );
    }
  }
}

/** The duplicates of a batch, read in one statement (see duplicate()). */
async function duplicatesOf(
  trx: Knex.Transaction,
  events: readonly EventToProcess[],
): Promise<Map<string, ProcessResult>> {
  const out = new Map<string, ProcessResult>();
  if (events.length === 0) return out;
  const rows = (await trx(PROCESSED_EVENTS)
    .whereIn('event_id', events.map(eventIdOf))
    .select('event_id', 'job_name', 'job_id', 'processed_at', 'follow_ups')) as Array<
    ProcessedRow & { event_id: string }
  >;
  const byId = new Map(rows.map((r) => [r.event_id, r]));
  for (const event of events) {
    const eventId = eventIdOf(event);
    out.set(eventId, duplicateResult(event, eventId, byId.get(eventId)));
  }
  return out;
}

async function duplicate(
  trx: Knex.Transaction,
  event: { readonly jobName: JobName },
  eventId: string,
): Promise<ProcessResult> {
  const row = (await trx(PROCESSED_EVENTS)
    .where({ event_id: eventId })
    .first('job_name', 'job_id', 'processed_at', 'follow_ups')) as ProcessedRow | undefined;
  return duplicateResult(event, eventId, row);
}

function duplicateResult(
  event: { readonly jobName: JobName },
  eventId: string,
  row: ProcessedRow | undefined,
): ProcessResult {
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
