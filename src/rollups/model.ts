/**
 * Utilization rollups: the vocabulary.
 *
 * - bucket: one UTC hour or UTC day (`granularity` `hour` | `day`), identified by its start.
 * - window: a time span of one scheduler device (`device_table.id`) whose buckets must be
 *   (re)computed, e.g. a booking's old or new `[start, end)`.
 * - target: a bucket-aligned, disjoint span of one device and one granularity: what the compute
 *   statement fills with one row per bucket.
 * - categories: every second of a bucket is exactly one of maintenance, down, booked or idle, in
 *   that precedence (maintenance wins over down, down over booked); idle is what remains.
 *   `capacity_seconds` is the bucket minus maintenance: the time the device could have been used.
 * - as-of: the instant that bounds what is known about device health. A device whose last
 *   snapshot says "down" counts as down until as-of (normally now), never into the future.
 *
 * Instants are truncated to whole seconds before any arithmetic, so every column is an exact
 * integer and the four categories of a bucket always add up to its length.
 */

export const GRANULARITIES = ['hour', 'day'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export const BUCKET_SECONDS: Readonly<Record<Granularity, number>> = Object.freeze({
  hour: 3600,
  day: 86400,
});

/** A span of one scheduler device whose buckets must be recomputed. */
export interface DeviceWindow {
  deviceId: number;
  start: Date;
  end: Date;
}

/** A bucket-aligned span of one device and granularity; `end` exclusive. */
export interface Target {
  deviceId: number;
  granularity: Granularity;
  start: Date;
  end: Date;
}

/** One row of `utilization_rollups`. */
export interface RollupRow {
  device_id: number;
  granularity: Granularity;
  bucket_start: Date;
  booked_seconds: number;
  maintenance_seconds: number;
  down_seconds: number;
  idle_seconds: number;
  capacity_seconds: number;
  booking_count: number;
  user_count: number;
  computed_at: Date;
}

export const ROLLUPS_TABLE = 'utilization_rollups';

/**
 * The model's knobs. They are part of what a rollup row means: the backfill, the incremental
 * path and the reconciliation job must use the same values, so they live here, not in config.
 */
export const MODEL = Object.freeze({
  /** Canonical booking statuses whose (non-collaborator) rows count as booked time. */
  bookedStatuses: Object.freeze(['confirmed', 'completed']),
  /**
   * Health-snapshot statuses (trimmed, lower-cased) that mean the device is not usable. Any other
   * status (`up`, `ok`, `degraded`, ...) means usable.
   */
  downStatuses: Object.freeze([
    'down',
    'offline',
    'unreachable',
    'unavailable',
    'error',
    'failed',
    'failure',
    'fault',
    'critical',
    'dead',
    'unhealthy',
    'maintenance',
  ]),
  /** Maintenance-record statuses (trimmed, lower-cased) that count no maintenance time. */
  cancelledRecordStatuses: Object.freeze(['cancelled', 'canceled']),
  /** How long a maintenance record without a usable end occupies the device, in seconds. */
  recordDefaultSeconds: 86_400,
});

/** Seconds of booked time over capacity; null when the device had no capacity at all. */
export function utilization(bookedSeconds: number, capacitySeconds: number): number | null {
  return capacitySeconds > 0 ? bookedSeconds / capacitySeconds : null;
}
