/**
 * An independent model of utilization rollups for tests: plain interval arithmetic on whole
 * seconds in TypeScript, written from docs/rollups.md without looking at the SQL. The property
 * test compares the rollups Postgres computes with what this says.
 */

export interface HistoryDevice {
  id: number;
  /** Linked inventory device (`devices.id`), or null. */
  inventoryId: number | null;
  maintStart: Date | null;
  maintEnd: Date | null;
}

export interface HistoryBooking {
  id: number;
  deviceId: number;
  userId: number;
  isCollaborator: boolean;
  start: Date;
  end: Date;
  /** The legacy status string, as written. */
  status: string | null;
}

export interface HistoryRecord {
  id: number;
  /** `maintenance_records.device_id` (an inventory device), or null. */
  inventoryDeviceId: number | null;
  scheduled: Date | null;
  performed: Date | null;
  status: string;
}

export interface HistorySnapshot {
  id: number;
  deviceId: number;
  status: string;
  heartbeatAt: Date | null;
  updatedAt: Date;
}

export interface History {
  devices: HistoryDevice[];
  bookings: HistoryBooking[];
  records: HistoryRecord[];
  snapshots: HistorySnapshot[];
}

export interface OracleRow {
  device_id: number;
  granularity: 'hour' | 'day';
  bucket_start: string;
  booked_seconds: number;
  maintenance_seconds: number;
  down_seconds: number;
  idle_seconds: number;
  capacity_seconds: number;
  booking_count: number;
  user_count: number;
}

type Interval = [number, number];

/** Legacy status spellings the tests use, and what they mean. */
const BOOKED_SPELLINGS = new Set(['confirmed', ' Confirmed ', 'CONFIRMED', 'completed', 'Completed']);
const DOWN = new Set(['down', 'offline', 'unreachable', 'maintenance', 'error']);
const RECORD_DEFAULT = 86_400;

const sec = (d: Date): number => Math.floor(d.getTime() / 1000);

export function union(intervals: Interval[]): Interval[] {
  const sorted = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: Interval[] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

export function subtract(from: Interval[], cut: Interval[]): Interval[] {
  let pieces = union(from);
  for (const [c0, c1] of union(cut)) {
    const next: Interval[] = [];
    for (const [a, b] of pieces) {
      if (c1 <= a || c0 >= b) next.push([a, b]);
      else {
        if (c0 > a) next.push([a, c0]);
        if (c1 < b) next.push([c1, b]);
      }
    }
    pieces = next;
  }
  return pieces;
}

function overlap(intervals: Interval[], a: number, b: number): number {
  let total = 0;
  for (const [x, y] of intervals) total += Math.max(0, Math.min(y, b) - Math.max(x, a));
  return total;
}

function bookedRows(h: History, deviceId: number): HistoryBooking[] {
  return h.bookings.filter(
    (b) =>
      b.deviceId === deviceId &&
      !b.isCollaborator &&
      b.status !== null &&
      BOOKED_SPELLINGS.has(b.status) &&
      sec(b.end) > sec(b.start),
  );
}

function maintenance(h: History, device: HistoryDevice, asOf: number): Interval[] {
  const out: Interval[] = [];
  if (device.maintStart) out.push([sec(device.maintStart), device.maintEnd ? sec(device.maintEnd) : asOf]);
  for (const r of h.records) {
    if (device.inventoryId === null || r.inventoryDeviceId !== device.inventoryId) continue;
    if (['cancelled', 'canceled'].includes(r.status.trim().toLowerCase())) continue;
    const sd = r.scheduled ? sec(r.scheduled) : null;
    const pd = r.performed ? sec(r.performed) : null;
    if (sd === null && pd === null) continue;
    const start = Math.min(...([sd, pd].filter((x) => x !== null) as number[]));
    const end = sd !== null && pd !== null && pd > sd ? pd : start + RECORD_DEFAULT;
    out.push([start, end]);
  }
  return union(out);
}

function down(h: History, deviceId: number, asOf: number): Interval[] {
  const timeline = h.snapshots
    .filter((s) => s.deviceId === deviceId)
    .map((s) => ({ ...s, obs: (s.heartbeatAt ?? s.updatedAt).getTime() }))
    .sort((x, y) => x.obs - y.obs || x.id - y.id);
  const out: Interval[] = [];
  timeline.forEach((s, i) => {
    if (!DOWN.has(s.status.trim().toLowerCase())) return;
    const next = timeline[i + 1];
    const end = Math.min(next ? Math.floor(next.obs / 1000) : asOf, asOf);
    out.push([Math.floor(s.obs / 1000), end]);
  });
  return union(out);
}

/** Every hour and day bucket of [from, to) (both whole UTC days) for every device. */
export function oracle(h: History, from: Date, to: Date, asOfDate: Date): OracleRow[] {
  const asOf = sec(asOfDate);
  const rows: OracleRow[] = [];
  for (const device of h.devices) {
    const m = maintenance(h, device, asOf);
    const d = subtract(down(h, device.id, asOf), m);
    const booked = bookedRows(h, device.id);
    const b = subtract(subtract(union(booked.map((x) => [sec(x.start), sec(x.end)])), m), d);
    for (const [granularity, len] of [
      ['hour', 3600],
      ['day', 86400],
    ] as const) {
      for (let t = sec(from); t < sec(to); t += len) {
        const touching = booked.filter((x) => sec(x.start) < t + len && sec(x.end) > t);
        const bs = overlap(b, t, t + len);
        const ms = overlap(m, t, t + len);
        const ds = overlap(d, t, t + len);
        rows.push({
          device_id: device.id,
          granularity,
          bucket_start: new Date(t * 1000).toISOString(),
          booked_seconds: bs,
          maintenance_seconds: ms,
          down_seconds: ds,
          idle_seconds: len - bs - ms - ds,
          capacity_seconds: len - ms,
          booking_count: touching.length,
          user_count: new Set(touching.map((x) => x.userId)).size,
        });
      }
    }
  }
  return rows;
}
