/**
 * Half-open time windows [startsAt, endsAt) and an index answering "which of these overlap
 * that window" in O(log n + k), so checking every booking of a large topology stays linear-ish.
 */

export interface Interval {
  startsAt: Date;
  endsAt: Date;
}

/** A window with real dates that ends after it starts; others are ignored by the review. */
export function isValidInterval(interval: Interval): boolean {
  const start = interval.startsAt?.getTime?.();
  const end = interval.endsAt?.getTime?.();
  return Number.isFinite(start) && Number.isFinite(end) && (end as number) > (start as number);
}

export function overlaps(a: Interval, b: Interval): boolean {
  return a.startsAt.getTime() < b.endsAt.getTime() && b.startsAt.getTime() < a.endsAt.getTime();
}

/** `2026-12-01T10:00Z–2026-12-01T12:00Z` */
export function formatWindow(interval: Interval): string {
  return `${formatTime(interval.startsAt)}–${formatTime(interval.endsAt)}`;
}

export function formatTime(date: Date): string {
  const iso = date.toISOString();
  return iso.endsWith(':00.000Z') ? `${iso.slice(0, 16)}Z` : iso;
}

/** `7 days`, `36 hours`, `90 minutes`. */
export function formatDuration(ms: number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (ms % 86_400_000 === 0) return unit(ms / 86_400_000, 'day');
  if (ms % 3_600_000 === 0) return unit(ms / 3_600_000, 'hour');
  return unit(Math.round(ms / 60_000), 'minute');
}

export class IntervalIndex<T extends Interval> {
  private readonly items: T[];
  /** maxEnd[i] = latest end among items[0..i]; non-decreasing, so binary-searchable. */
  private readonly maxEnd: number[];

  constructor(items: Iterable<T>) {
    this.items = [...items]
      .filter(isValidInterval)
      .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
    this.maxEnd = [];
    let max = Number.NEGATIVE_INFINITY;
    for (const item of this.items) {
      max = Math.max(max, item.endsAt.getTime());
      this.maxEnd.push(max);
    }
  }

  get size(): number {
    return this.items.length;
  }

  /** Items overlapping the window, in start order. */
  overlapping(window: Interval): T[] {
    const from = window.startsAt.getTime();
    const to = window.endsAt.getTime();
    // First index whose running max end is after the window's start: every item before it
    // ends at or before the window starts.
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.maxEnd[mid] as number) > from) hi = mid;
      else lo = mid + 1;
    }
    const out: T[] = [];
    for (let i = lo; i < this.items.length; i++) {
      const item = this.items[i] as T;
      if (item.startsAt.getTime() >= to) break;
      if (item.endsAt.getTime() > from) out.push(item);
    }
    return out;
  }
}
