/**
 * Usage, free windows and device status, computed for the `usage`, `conflicts` and `device`
 * facts from rows the fact loader reads in a few set-based queries (the requester's bookings,
 * the device's busy windows).
 *
 * How collaborator rows count: a collaborator row is the owner's reservation, shared. It counts
 * toward the owner's limits once (through the owner's rows) and never toward the collaborator's,
 * so adding a colleague to a booking neither double-counts it nor uses up the colleague's quota.
 */
import type { z } from 'zod';
import type { BOOKING_STATUSES } from './booking';
import type { usageFact } from './people';

export type UsageFact = z.infer<typeof usageFact>;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Statuses that hold a device in the future. */
export const ACTIVE_STATUSES: ReadonlySet<BookingStatus> = new Set([
  'pending',
  'pending_approval',
  'confirmed',
]);
/** Statuses whose hours count as booked in the rolling window (active, or used). */
export const BOOKED_STATUSES: ReadonlySet<BookingStatus> = new Set([...ACTIVE_STATUSES, 'completed']);

export interface BookingWindow {
  readonly deviceId: number;
  readonly startsAt: Date;
  readonly endsAt: Date;
}

export interface UsageRow extends BookingWindow {
  readonly groupedBookingId: string;
  readonly userId: number;
  readonly isCollaborator: boolean;
  readonly status: BookingStatus | null;
}

export function hoursBetween(start: Date, end: Date): number {
  return (end.getTime() - start.getTime()) / HOUR_MS;
}

/**
 * What the requester holds if the request is accepted. `rows` are the requester's booking rows
 * (any status, owner and collaborator rows); rows of the request's own reservation are ignored
 * in favour of `request.windows`, so a stored request is not counted twice.
 */
export function summarizeUsage(input: {
  requesterId: number;
  request: { groupedBookingId: string; windows: readonly BookingWindow[] };
  rows: readonly UsageRow[];
  now: Date;
  windowDays: number;
}): UsageFact {
  const { request, now } = input;
  if (request.windows.length === 0) throw new Error('summarizeUsage: the request has no device windows');
  const own = input.rows.filter(
    (r) =>
      r.userId === input.requesterId &&
      !r.isCollaborator &&
      r.groupedBookingId !== request.groupedBookingId &&
      r.status !== null,
  );
  const active = own.filter((r) => ACTIVE_STATUSES.has(r.status!) && r.endsAt.getTime() > now.getTime());
  const reservations = new Set(active.map((r) => r.groupedBookingId));

  const requestEnd = Math.max(...request.windows.map((w) => w.endsAt.getTime()));
  const requestStart = Math.min(...request.windows.map((w) => w.startsAt.getTime()));
  const booked = [...own.filter((x) => BOOKED_STATUSES.has(x.status!)), ...request.windows];
  const bookedMs = maxInAnyWindow(booked, input.windowDays * DAY_MS, requestStart, requestEnd);

  return {
    activeFutureBookings: reservations.size + 1,
    bookedHours: bookedMs / HOUR_MS,
    windowDays: input.windowDays,
    devicesAtOnce: maxDevicesAtOnce([...active, ...request.windows], requestStart, requestEnd),
  };
}

/**
 * The most booked time in any window of `windowMs` that overlaps [from, to). Taking the worst
 * window, not one fixed window, means booking later slots first cannot dodge the limit. The sum
 * is piecewise linear in the window's position, so its maximum is at a window that starts or
 * ends at an interval boundary.
 *
 * The booked time of the window [t, t + windowMs) is the sum over intervals of
 * clip(end) - clip(start), clip(x) = min(max(x, t), t + windowMs); with the starts and the ends
 * sorted and their prefix sums, each candidate window costs two binary searches, so the whole is
 * O(n log n) (replay evaluates users with many bookings).
 */
export function maxInAnyWindow(
  intervals: readonly BookingWindow[],
  windowMs: number,
  from: number,
  to: number,
): number {
  // Relative to `from`, so the prefix sums stay far below 2^53 whatever the number of intervals.
  const base = from;
  const starts: number[] = [];
  const ends: number[] = [];
  for (const w of intervals) {
    const s = w.startsAt.getTime() - base;
    const e = w.endsAt.getTime() - base;
    if (e > s) {
      starts.push(s);
      ends.push(e);
    }
  }
  if (starts.length === 0) return 0;
  const sortedStarts = sortedWithPrefix(starts);
  const sortedEnds = sortedWithPrefix(ends);
  let best = 0;
  const consider = (start: number) => {
    const end = start + windowMs;
    if (end <= 0 || start >= to - base) return;
    const total = sumClipped(sortedEnds, start, end) - sumClipped(sortedStarts, start, end);
    if (total > best) best = total;
  };
  for (let i = 0; i < starts.length; i += 1) {
    for (const p of [starts[i]!, ends[i]!]) {
      consider(p);
      consider(p - windowMs);
    }
  }
  return best;
}

interface SortedPrefix {
  readonly values: Float64Array;
  /** prefix[i] = sum of values[0..i). */
  readonly prefix: Float64Array;
}

function sortedWithPrefix(values: readonly number[]): SortedPrefix {
  const sorted = Float64Array.from(values).sort();
  const prefix = new Float64Array(sorted.length + 1);
  for (let i = 0; i < sorted.length; i += 1) prefix[i + 1] = prefix[i]! + sorted[i]!;
  return { values: sorted, prefix };
}

/** Index of the first value >= x (values sorted ascending). */
function lowerBound(values: Float64Array, x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Sum of min(max(v, lo), hi) over the values. */
function sumClipped({ values, prefix }: SortedPrefix, lo: number, hi: number): number {
  const below = lowerBound(values, lo);
  const within = lowerBound(values, hi);
  const n = values.length;
  return below * lo + (prefix[within]! - prefix[below]!) + (n - within) * hi;
}

/** The most distinct devices held at one moment of [from, to). */
export function maxDevicesAtOnce(windows: readonly BookingWindow[], from: number, to: number): number {
  const relevant = windows.filter((w) => w.startsAt.getTime() < to && w.endsAt.getTime() > from);
  const points = [
    ...new Set([from, ...relevant.flatMap((w) => [w.startsAt.getTime(), w.endsAt.getTime()])]),
  ].filter((p) => p >= from && p < to);
  let best = 0;
  for (const p of points) {
    const held = new Set(
      relevant.filter((w) => w.startsAt.getTime() <= p && w.endsAt.getTime() > p).map((w) => w.deviceId),
    );
    best = Math.max(best, held.size);
  }
  return best;
}

/** How far ahead the next free window is looked for. */
export const FREE_WINDOW_HORIZON_DAYS = 90;

/**
 * The earliest window of `durationMs` starting at or after `from` that keeps `turnaroundMs` away
 * from every busy window (confirmed bookings, maintenance); null when there is none within the
 * horizon or the duration is not positive.
 */
export function nextFreeWindow(input: {
  from: Date;
  durationMs: number;
  busy: ReadonlyArray<{ startsAt: Date; endsAt: Date }>;
  turnaroundMs?: number;
  horizonDays?: number;
}): { startsAt: Date; endsAt: Date } | null {
  const { durationMs } = input;
  if (!(durationMs > 0)) return null;
  const pad = Math.max(0, input.turnaroundMs ?? 0);
  const limit = input.from.getTime() + (input.horizonDays ?? FREE_WINDOW_HORIZON_DAYS) * DAY_MS;
  const busy = input.busy
    .map((b) => [b.startsAt.getTime() - pad, b.endsAt.getTime() + pad] as const)
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  let candidate = input.from.getTime();
  for (const [start, end] of busy) {
    if (end <= candidate) continue;
    if (start >= candidate + durationMs) break;
    candidate = Math.max(candidate, end);
  }
  if (candidate + durationMs > limit) return null;
  return { startsAt: new Date(candidate), endsAt: new Date(candidate + durationMs) };
}

/** Trimmed, lower-cased status; null when empty. */
export function normalizeStatus(status: string | null | undefined): string | null {
  const s = status?.trim().toLowerCase();
  return s ? s : null;
}

/** Scheduler statuses (device_table.status) that mean "out of service". */
export const OUT_OF_SERVICE_SCHEDULER_STATUSES: ReadonlySet<string> = new Set([
  'maintenance',
  'offline',
  'down',
  'broken',
  'faulty',
  'disabled',
  'unavailable',
  'retired',
  'decommissioned',
]);

/** Inventory statuses (devices.status) that mean "out of service". */
export const OUT_OF_SERVICE_INVENTORY_STATUSES: ReadonlySet<string> = new Set([
  'maintenance',
  'in_repair',
  'repair',
  'broken',
  'faulty',
  'rma',
  'retired',
  'decommissioned',
  'disposed',
  'lost',
]);

/**
 * A device is bookable unless one of its statuses is a known out-of-service status. Unknown
 * and empty statuses count as bookable: legacy data has free-form statuses, and refusing every
 * booking of a device because of an unexpected word would be worse than letting it through.
 */
export function isStatusBookable(schedulerStatus: string | null, inventoryStatus: string | null): boolean {
  const s = normalizeStatus(schedulerStatus);
  const i = normalizeStatus(inventoryStatus);
  return !(s && OUT_OF_SERVICE_SCHEDULER_STATUSES.has(s)) && !(i && OUT_OF_SERVICE_INVENTORY_STATUSES.has(i));
}
