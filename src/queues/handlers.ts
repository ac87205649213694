/**
 * The handler registry: which code runs for which job name. Handlers know nothing about BullMQ:
 * they get a context (the event's transaction, the validated payload, a logger) and either
 * return (the event's effects commit) or throw one of the errors of src/errors.ts.
 *
 * Several parts may register for the same job (`booking.created` is handled by the rules and by
 * the rollups): their handlers run in registration order, in ONE transaction, so the event's
 * effects commit together or not at all.
 *
 * A part registers through a HandlerModule listed in src/handlers.ts:
 *
 *     export const rollupHandlers: HandlerModule = {
 *       name: 'rollups',
 *       register(registry, deps) {
 *         registry.register('booking.created', 'rollups', async ({ trx, payload }) => {
 *           await refreshBookingRollup(trx, payload.bookingId);
 *         });
 *       },
 *     };
 */
import type { Knex } from 'knex';
import type { EventInput, JobName, JobPayload, QueueName } from '../contracts';
import { isJobName } from '../contracts';
import type { AppDeps } from '../deps';
import type { Logger } from '../logger';
import { checkSchedule, type JobSchedule } from './schedules';

/** What a handler may report; recorded in processed_events.results and the job's return value. */
export type HandlerResult = Readonly<Record<string, unknown>>;

export interface FollowUpOptions {
  /** Run the follow-up no earlier than this many milliseconds after the commit. */
  delayMs?: number;
}

export interface HandlerContext<N extends JobName = JobName> {
  /** The event's transaction: every write of the event goes through it (`Model.query(trx)`). */
  readonly trx: Knex.Transaction;
  /** The payload, validated against the job's contract. */
  readonly payload: JobPayload<N>;
  readonly jobName: N;
  readonly eventId: string;
  /** `payload.occurredAt` as a Date. */
  readonly occurredAt: Date;
  readonly queue: QueueName;
  readonly jobId: string;
  /** 1 for the first run of the job, 2 for its first retry, ... */
  readonly attempt: number;
  /** A child logger carrying queue, job name, job id, eventId and attempt. */
  readonly logger: Logger;
  /**
   * Enqueues a job once this event's transaction has committed (never if it rolls back). The
   * follow-up is recorded with the event, so a redelivered event sends it again, and its
   * eventId (generated unless given) makes that repeat harmless. Returns the follow-up's
   * eventId. Throws when the payload breaks the follow-up's contract.
   */
  enqueueAfterCommit<M extends JobName>(name: M, payload: EventInput<M>, options?: FollowUpOptions): string;
  /**
   * Runs `fn` once this event's transaction has committed (never if it rolls back, nor for a
   * duplicate delivery): for what must count only committed effects, such as metrics.
   */
  afterCommit(fn: () => void): void;
}

// biome-ignore lint/suspicious/noConfusingVoidType: lets `async (ctx) => { ... }` (Promise<void>) be a handler
type HandlerReturn = HandlerResult | undefined | void;

export type Handler<N extends JobName = JobName> = (context: HandlerContext<N>) => Promise<HandlerReturn>;

/**
 * The same work as a Handler, for several events of one job at once, in ONE transaction (every
 * context's `trx` is the same): set-based reads and writes instead of one round of statements per
 * event. Returns one result per context, in order. It must have exactly the effects the Handler
 * would have had for each context in turn; when it throws, the whole batch rolls back and the
 * runtime runs each event alone through the Handler (src/queues/batcher.ts).
 */
export type BatchHandler<N extends JobName = JobName> = (
  contexts: readonly HandlerContext<N>[],
) => Promise<readonly HandlerReturn[]>;

export interface RegisteredHandler {
  /** Names the handler in logs, results and errors (e.g. `rules`, `rollups`). */
  readonly name: string;
  readonly handle: Handler;
  /** Its batch form, when it has one. */
  readonly batch?: BatchHandler;
}

export interface RegisterOptions<N extends JobName> {
  /** The handler's batch form; a job is processed in batches only when all its handlers have one. */
  readonly batch?: BatchHandler<N>;
}

/** A part's handlers, registered at start-up with the application's dependencies. */
export interface HandlerModule {
  readonly name: string;
  register(registry: HandlerRegistry, deps: AppDeps): void | Promise<void>;
}

export class HandlerRegistry {
  private readonly byJob = new Map<JobName, RegisteredHandler[]>();
  private readonly scheduled = new Map<string, JobSchedule>();

  /**
   * Declares a periodic job (a BullMQ job scheduler, src/queues/schedules.ts): every worker that
   * consumes the job's queue upserts it at start-up. Throws when the data breaks the contract.
   */
  schedule<N extends JobName>(schedule: JobSchedule<N>): this {
    if (this.scheduled.has(schedule.id)) throw new Error(`a job schedule ${schedule.id} is already declared`);
    this.scheduled.set(schedule.id, checkSchedule(schedule) as unknown as JobSchedule);
    return this;
  }

  /** The declared schedules, in declaration order. */
  schedules(): readonly JobSchedule[] {
    return [...this.scheduled.values()];
  }

  /** Adds a handler for a job; handlers of one job run in the order they were registered. */
  register<N extends JobName>(
    jobName: N,
    name: string,
    handle: Handler<N>,
    options: RegisterOptions<N> = {},
  ): this {
    if (!isJobName(jobName)) throw new Error(`cannot register handler ${name}: unknown job name ${jobName}`);
    if (!/^[\w.-]{1,64}$/.test(name))
      throw new Error(`handler name ${JSON.stringify(name)} is not a short identifier`);
    const list = this.byJob.get(jobName) ?? [];
    if (list.some((h) => h.name === name)) {
      throw new Error(`a handler named ${name} is already registered for ${jobName}`);
    }
    list.push({
      name,
      handle: handle as unknown as Handler,
      ...(options.batch ? { batch: options.batch as unknown as BatchHandler } : {}),
    });
    this.byJob.set(jobName, list);
    return this;
  }

  handlersFor(jobName: JobName): readonly RegisteredHandler[] {
    return this.byJob.get(jobName) ?? [];
  }

  /** True when every handler of the job has a batch form (and there is at least one). */
  isBatchable(jobName: JobName): boolean {
    const list = this.handlersFor(jobName);
    return list.length > 0 && list.every((h) => h.batch !== undefined);
  }

  /** Job names that have at least one handler. */
  jobNames(): JobName[] {
    return [...this.byJob.keys()];
  }
}
