/**
 * How a worker process runs the events its BullMQ workers hand it. At most `maxInFlight`
 * (WORKER_CONCURRENCY) transactions run at once per queue; the events that wait for one are kept
 * per job name. When a transaction ends, the job name whose oldest event has waited longest goes
 * next: alone through processEvent, or, when all its handlers have a batch form
 * (HandlerRegistry.isBatchable: `booking.created`, `booking.updated`, `booking.reevaluate`), together with everything of that job name
 * that waited by then (up to `maxBatch`, WORKER_BATCH_SIZE) in one transaction through
 * processEventBatch. `maxBatch` 1 turns batching off.
 *
 * There is no timer and no waiting for a batch to fill: an event starts at once when its queue
 * has a free transaction (and, for a batched job name, fewer than BATCHES_IN_FLIGHT of its
 * batches run); otherwise it waits for the next one to end. So an idle
 * worker processes each event alone, as soon as it arrives, and a busy one amortises one
 * transaction, one fact load and one commit over everything that queued meanwhile.
 *
 * A batch that fails (any error: a booking not visible yet, a handler bug, a deadlock, Postgres
 * going away) rolls back whole, and its events then run one by one through processEvent, each
 * with its own outcome: one bad event fails alone and the others commit, as without batching.
 */
import type { JobName, QueueName } from '../contracts';
import { describeError } from '../errors';
import {
  type BatchEvent,
  type ProcessDeps,
  type ProcessOptions,
  type ProcessResult,
  processEvent,
  processEventBatch,
} from './process-event';

export interface EventRunnerOptions extends ProcessOptions {
  /** The most events of one job name in one transaction; 1 turns batching off. */
  readonly maxBatch: number;
  /** Transactions running at once per queue in this process (WORKER_CONCURRENCY). */
  readonly maxInFlight: number;
  /** Called after each batch of two or more events: committed together, or split and run one by one. */
  readonly onBatch?: (jobName: JobName, size: number, outcome: 'committed' | 'split') => void;
}

export interface EventRunner {
  /** Processes the event, alone or with others of its job name; resolves as processEvent does. */
  run(event: BatchEvent): Promise<ProcessResult>;
}

interface Waiting {
  readonly event: BatchEvent;
  readonly eventId: string;
  /** Arrival order, for fairness between the job names of a queue. */
  readonly seq: number;
  readonly resolve: (result: ProcessResult) => void;
  readonly reject: (error: unknown) => void;
}

interface Lane {
  /** Waiting events, oldest first. */
  readonly waiting: Waiting[];
  /** Transactions of this job name running. */
  running: number;
}

interface QueueState {
  /** Transactions of this queue running. */
  inFlight: number;
  readonly lanes: Map<JobName, Lane>;
}

/**
 * Batches of one job name running at once. Two let one batch's Postgres round trips overlap the
 * other's evaluation in Node; more would only split the waiting events into smaller batches, each
 * paying the per-batch reads again (docs/performance.md, "Batches").
 */
export const BATCHES_IN_FLIGHT = 2;

export function createEventRunner(deps: ProcessDeps, options: EventRunnerOptions): EventRunner {
  if (!(Number.isInteger(options.maxBatch) && options.maxBatch >= 1)) {
    throw new Error(`maxBatch must be a whole number of at least 1, got ${options.maxBatch}`);
  }
  if (!(Number.isInteger(options.maxInFlight) && options.maxInFlight >= 1)) {
    throw new Error(`maxInFlight must be a whole number of at least 1, got ${options.maxInFlight}`);
  }
  const queues = new Map<QueueName, QueueState>();
  const processOptions: ProcessOptions = { statementTimeoutMs: options.statementTimeoutMs };
  let seq = 0;

  const batchable = (jobName: JobName) => options.maxBatch > 1 && deps.handlers.isBatchable(jobName);

  const alone = (event: BatchEvent) =>
    processEvent({ ...deps, logger: event.logger ?? deps.logger }, event, processOptions);

  /** Starts transactions while the queue has room: the job name waiting longest goes first. */
  function pump(state: QueueState): void {
    while (state.inFlight < options.maxInFlight) {
      let next: [JobName, Lane] | undefined;
      for (const entry of state.lanes) {
        const [jobName, lane] = entry;
        if (lane.waiting.length === 0) continue;
        if (batchable(jobName) && lane.running >= BATCHES_IN_FLIGHT) continue;
        if (!next || lane.waiting[0]!.seq < next[1].waiting[0]!.seq) next = entry;
      }
      if (!next) return;
      const [jobName, lane] = next;
      const batch = take(lane.waiting, batchable(jobName) ? options.maxBatch : 1);
      state.inFlight += 1;
      lane.running += 1;
      runBatch(jobName, batch).finally(() => {
        state.inFlight -= 1;
        lane.running -= 1;
        pump(state);
      });
    }
  }

  async function runBatch(jobName: JobName, batch: readonly Waiting[]): Promise<void> {
    if (batch.length === 1) {
      const only = batch[0]!;
      await alone(only.event).then(only.resolve, only.reject);
      return;
    }
    let results: ProcessResult[];
    try {
      results = await processEventBatch(
        deps,
        batch.map((w) => w.event),
        processOptions,
      );
    } catch (error) {
      options.onBatch?.(jobName, batch.length, 'split');
      deps.logger.info(
        { job: jobName, events: batch.length, reason: describeError(error) },
        `a batch of ${batch.length} ${jobName} events rolled back (${describeError(error)}): running them one by one`,
      );
      for (const w of batch) await alone(w.event).then(w.resolve, w.reject);
      return;
    }
    options.onBatch?.(jobName, batch.length, 'committed');
    for (const [i, w] of batch.entries()) w.resolve(results[i]!);
  }

  return {
    run(event) {
      return new Promise<ProcessResult>((resolve, reject) => {
        let state = queues.get(event.queue);
        if (!state) {
          state = { inFlight: 0, lanes: new Map() };
          queues.set(event.queue, state);
        }
        let lane = state.lanes.get(event.jobName);
        if (!lane) {
          lane = { waiting: [], running: 0 };
          state.lanes.set(event.jobName, lane);
        }
        const eventId = (event.payload as { eventId: string }).eventId;
        lane.waiting.push({ event, eventId, seq: seq++, resolve, reject });
        pump(state);
      });
    },
  };
}
/**
 * Takes up to `max` waiting events, oldest first, with distinct eventIds: a second delivery of an
 * event waits for the next batch, where processed_events makes it a duplicate.
 */
function take(waiting: Waiting[], max: number): Waiting[] {
  const batch: Waiting[] = [];
  const ids = new Set<string>();
  for (let i = 0; i < waiting.length && batch.length < max; ) {
    const w = waiting[i]!;
    if (ids.has(w.eventId)) {
      i += 1;
      continue;
    }
    ids.add(w.eventId);
    batch.push(w);
    waiting.splice(i, 1);
  }
  return batch;
}
