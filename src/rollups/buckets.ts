/**
 * Bucket arithmetic in UTC: aligning windows to hour and day buckets and merging them into the
 * disjoint targets the compute statement expects.
 */
import { BUCKET_SECONDS, type DeviceWindow, type Granularity, type Target } from './model';

const MS = 1000;

export function floorTo(granularity: Granularity, at: Date): Date {
  const step = BUCKET_SECONDS[granularity] * MS;
  return new Date(Math.floor(at.getTime() / step) * step);
}

export function ceilTo(granularity: Granularity, at: Date): Date {
  const step = BUCKET_SECONDS[granularity] * MS;
  return new Date(Math.ceil(at.getTime() / step) * step);
}

export function isAligned(granularity: Granularity, at: Date): boolean {
  return at.getTime() % (BUCKET_SECONDS[granularity] * MS) === 0;
}

/** Number of buckets a target holds. */
export function bucketCount(target: Target): number {
  return (target.end.getTime() - target.start.getTime()) / (BUCKET_SECONDS[target.granularity] * MS);
}

/**
 * The buckets a window touches, per granularity. Legacy windows may be inverted or empty; they
 * are read as the span between their two instants (an empty one still touches the bucket it
 * sits in), so the buckets a row once counted in are always recomputed, whatever it holds now.
 */
export function windowTargets(
  windows: readonly DeviceWindow[],
  granularities: readonly Granularity[],
): Target[] {
  const raw: Target[] = [];
  for (const w of windows) {
    const a = Math.min(w.start.getTime(), w.end.getTime());
    const b = Math.max(w.start.getTime(), w.end.getTime());
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      throw new Error(
        `window of device ${w.deviceId} has an invalid date: ${String(w.start)} .. ${String(w.end)}`,
      );
    }
    for (const granularity of granularities) {
      const start = floorTo(granularity, new Date(a));
      let end = ceilTo(granularity, new Date(b));
      if (end.getTime() === start.getTime())
        end = new Date(start.getTime() + BUCKET_SECONDS[granularity] * MS);
      raw.push({ deviceId: w.deviceId, granularity, start, end });
    }
  }
  return mergeTargets(raw);
}

/** Merges overlapping or adjacent targets of the same device and granularity. */
export function mergeTargets(targets: readonly Target[]): Target[] {
  const sorted = [...targets].sort(
    (x, y) =>
      x.deviceId - y.deviceId ||
      x.granularity.localeCompare(y.granularity) ||
      x.start.getTime() - y.start.getTime(),
  );
  const out: Target[] = [];
  for (const t of sorted) {
    const last = out[out.length - 1];
    if (
      last &&
      last.deviceId === t.deviceId &&
      last.granularity === t.granularity &&
      t.start.getTime() <= last.end.getTime()
    ) {
      if (t.end.getTime() > last.end.getTime()) last.end = t.end;
    } else {
      out.push({ ...t });
    }
  }
  return out;
}
