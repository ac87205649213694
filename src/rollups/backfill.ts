/**
 * Backfill and reconciliation: recompute every bucket of a range for many devices, in chunks
 * (a batch of devices over a slice of time), one transaction per chunk. All the work is the
 * set-based compute statement in Postgres; Node only holds device ids and counters.
 *
 * Chunks are sized by buckets, not bookings: a device's whole range in one chunk reads each of
 * its bookings once (a month-by-month split would rescan the older bookings of the device for
 * every month, since a booking's end cannot be range-scanned), while the bucket limit bounds the
 * memory and the lock time of a chunk. Safe to rerun and to interrupt: every chunk is an upsert
 * that commits on its own.
 */
import type { Knex } from 'knex';
import { ceilTo, floorTo } from './buckets';
import { computeTargets } from './compute';
import { BUCKET_SECONDS, GRANULARITIES, type Granularity, type Target } from './model';

/** A bad range or device list; the CLI reports it as a usage error. */
export class RollupInputError extends Error {
  override readonly name = 'RollupInputError';
}

export interface BackfillProgress {
  chunk: number;
  chunks: number;
  /** First and last device id of the chunk's batch. */
  devices: [number, number];
  deviceCount: number;
  from: Date;
  to: Date;
  buckets: number;
  written: number;
  elapsedMs: number;
}

export interface BackfillOptions {
  from: Date;
  /** Exclusive. */
  to: Date;
  granularities?: readonly Granularity[];
  /** Scheduler device ids (default: every device). Unknown ids are an error. */
  deviceIds?: readonly number[];
  /** Bounds what is known about device health (default: now, read once at the start). */
  asOf?: Date;
  /** Largest number of buckets computed in one chunk (one transaction). */
  chunkBuckets?: number;
  /** Chunks computed at once, each on its own connection (default 1). */
  concurrency?: number;
  /** Postgres work_mem for the chunk transactions (e.g. '64MB'); default: the server's. */
  workMem?: string;
  onProgress?: (progress: BackfillProgress) => void;
}

export interface BackfillResult {
  devices: number;
  chunks: number;
  buckets: number;
  written: number;
  /** The aligned ranges computed, per granularity. */
  ranges: Array<{ granularity: Granularity; from: Date; to: Date }>;
  elapsedMs: number;
}

export const DEFAULT_CHUNK_BUCKETS = 200_000;
const DAY_MS = 86_400_000;

async function resolveDevices(db: Knex, deviceIds?: readonly number[]): Promise<number[]> {
  if (deviceIds === undefined) {
    const rows = await db('device_table').select<Array<{ id: number }>>('id').orderBy('id');
    return rows.map((r) => r.id);
  }
  const ids = [...new Set(deviceIds)].sort((a, b) => a - b);
  for (const id of ids) {
    if (!Number.isInteger(id) || id <= 0)
      throw new RollupInputError(`device id ${String(id)} is not a positive integer`);
  }
  const rows = await db('device_table').select<Array<{ id: number }>>('id').whereIn('id', ids);
  const found = new Set(rows.map((r) => r.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw new RollupInputError(`no device_table row with id ${missing.join(', ')}`);
  }
  return ids;
}

function validateRange(from: Date, to: Date): void {
  if (Number.isNaN(from.getTime())) throw new RollupInputError('the start of the range is not a valid date');
  if (Number.isNaN(to.getTime())) throw new RollupInputError('the end of the range is not a valid date');
  if (to <= from) {
    throw new RollupInputError(`the range is empty: ${to.toISOString()} is not after ${from.toISOString()}`);
  }
}

/** Time slices of whole days, each holding at most maxBuckets buckets of every granularity. */
function timeSlices(
  from: Date,
  to: Date,
  maxBuckets: number,
  granularities: readonly Granularity[],
): Date[][] {
  const finest = Math.min(...granularities.map((g) => BUCKET_SECONDS[g]));
  const start = floorTo('day', from).getTime();
  const end = ceilTo('day', to).getTime();
  const sliceDays = Math.max(1, Math.floor((maxBuckets * finest * 1000) / DAY_MS));
  const slices: Date[][] = [];
  for (let s = start; s < end; s += sliceDays * DAY_MS) {
    slices.push([new Date(s), new Date(Math.min(end, s + sliceDays * DAY_MS))]);
  }
  return slices;
}

/**
 * Recomputes every bucket of [from, to) (each granularity aligned outwards to whole buckets)
 * for the given devices, chunk by chunk.
 */
export async function backfill(db: Knex, options: BackfillOptions): Promise<BackfillResult> {
  const started = Date.now();
  validateRange(options.from, options.to);
  const granularities = [...new Set(options.granularities ?? GRANULARITIES)];
  const devices = await resolveDevices(db, options.deviceIds);
  const asOf = options.asOf ?? new Date();
  const chunkBuckets = options.chunkBuckets ?? DEFAULT_CHUNK_BUCKETS;
  const ranges = granularities.map((g) => ({
    granularity: g,
    from: floorTo(g, options.from),
    to: ceilTo(g, options.to),
  }));

  // Slice time into whole days, then batch devices so a chunk stays under chunkBuckets.
  const slices = timeSlices(options.from, options.to, chunkBuckets, granularities);
  const plan: Array<{ ids: number[]; targets: Target[]; from: Date; to: Date; buckets: number }> = [];
  for (const [sliceFrom, sliceTo] of slices as Array<[Date, Date]>) {
    const perDevice: Array<Omit<Target, 'deviceId'>> = [];
    for (const r of ranges) {
      const start = new Date(Math.max(r.from.getTime(), sliceFrom.getTime()));
      const end = new Date(Math.min(r.to.getTime(), sliceTo.getTime()));
      if (end > start) perDevice.push({ granularity: r.granularity, start, end });
    }
    const bucketsPerDevice = perDevice.reduce(
      (n, t) => n + (t.end.getTime() - t.start.getTime()) / (BUCKET_SECONDS[t.granularity] * 1000),
      0,
    );
    if (bucketsPerDevice === 0) continue;
    const batch = Math.max(1, Math.floor(chunkBuckets / bucketsPerDevice));
    for (let i = 0; i < devices.length; i += batch) {
      const ids = devices.slice(i, i + batch);
      plan.push({
        ids,
        targets: ids.flatMap((deviceId) => perDevice.map((t) => ({ deviceId, ...t }))),
        from: sliceFrom,
        to: sliceTo,
        buckets: bucketsPerDevice * ids.length,
      });
    }
  }

  let buckets = 0;
  let written = 0;
  let done = 0;
  let next = 0;
  let failure: unknown;
  // Chunks run on up to `concurrency` connections; each locks its own devices, so they never
  // wait for each other (chunks of the same devices in different time slices serialise).
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < plan.length) {
      const chunk = plan[next++]!;
      const chunkStarted = Date.now();
      try {
        const result = await db.transaction(async (trx) => {
          if (options.workMem) await trx.raw(`SELECT set_config('work_mem', ?, true)`, [options.workMem]);
          return computeTargets(trx, chunk.targets, { asOf });
        });
        buckets += result.buckets;
        written += result.written;
        done += 1;
        options.onProgress?.({
          chunk: done,
          chunks: plan.length,
          devices: [chunk.ids[0]!, chunk.ids[chunk.ids.length - 1]!],
          deviceCount: chunk.ids.length,
          from: chunk.from,
          to: chunk.to,
          buckets: result.buckets,
          written: result.written,
          elapsedMs: Date.now() - chunkStarted,
        });
      } catch (error) {
        failure ??= error;
      }
    }
  };
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 1, plan.length));
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failure !== undefined) throw failure;
  return {
    devices: devices.length,
    chunks: plan.length,
    buckets,
    written,
    ranges,
    elapsedMs: Date.now() - started,
  };
}

export interface ReconcileOptions {
  asOf?: Date;
  /** How far back from as-of to recompute, in hours (default 48). */
  lookbackHours?: number;
  /** How far ahead of as-of to recompute, in hours (default 168: the coming week). */
  lookaheadHours?: number;
  /**
   * Largest number of buckets per chunk (one short transaction locking its devices); default
   * RECONCILE_CHUNK_BUCKETS, small so that a booking event never waits long for a device.
   */
  chunkBuckets?: number;
  onProgress?: (progress: BackfillProgress) => void;
}

/**
 * Buckets per reconciliation chunk: with 48 h back and a week ahead (226 hour and day buckets per
 * device) a chunk covers about 20 devices and commits in tens of milliseconds, so an event handler
 * that needs one of those devices' locks waits at most that long.
 */
export const RECONCILE_CHUNK_BUCKETS = 5_000;

/**
 * The reconciliation job's body: recomputes the recent and coming buckets of every device, which
 * catches writes the scheduler made without an event and moves "down until now" forward. Cheap
 * to run often: unchanged buckets are not rewritten.
 */
export function reconcileRecent(db: Knex, options: ReconcileOptions = {}): Promise<BackfillResult> {
  const asOf = options.asOf ?? new Date();
  const hour = 3_600_000;
  return backfill(db, {
    from: new Date(asOf.getTime() - (options.lookbackHours ?? 48) * hour),
    to: new Date(asOf.getTime() + (options.lookaheadHours ?? 168) * hour),
    asOf,
    chunkBuckets: options.chunkBuckets ?? RECONCILE_CHUNK_BUCKETS,
    onProgress: options.onProgress,
  });
}
