import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type BookingWindow, maxInAnyWindow } from '../../src/rules/facts/usage';

/** The definition, computed the slow way: every candidate window, every interval. */
function naive(intervals: readonly BookingWindow[], windowMs: number, from: number, to: number): number {
  const spans = intervals
    .map((w) => [w.startsAt.getTime(), w.endsAt.getTime()] as const)
    .filter(([s, e]) => e > s);
  let best = 0;
  for (const [s0, e0] of spans) {
    for (const start of [s0, e0, s0 - windowMs, e0 - windowMs]) {
      const end = start + windowMs;
      if (end <= from || start >= to) continue;
      let total = 0;
      for (const [s, e] of spans) total += Math.max(0, Math.min(e, end) - Math.max(s, start));
      best = Math.max(best, total);
    }
  }
  return best;
}

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 24);

describe('rules/facts/usage: maxInAnyWindow', () => {
  it('is the most booked time of any window overlapping the request, as the definition says', () => {
    const interval = fc
      .record({ start: fc.integer({ min: -400, max: 400 }), length: fc.integer({ min: -5, max: 60 }) })
      .map(({ start, length }) => ({
        deviceId: 1,
        startsAt: new Date(T0 + start * HOUR),
        endsAt: new Date(T0 + (start + length) * HOUR),
      }));
    fc.assert(
      fc.property(
        fc.array(interval, { maxLength: 40 }),
        fc.integer({ min: 1, max: 240 }),
        fc.integer({ min: -100, max: 100 }),
        fc.integer({ min: 0, max: 50 }),
        (intervals, windowHours, from, length) => {
          const a = maxInAnyWindow(
            intervals,
            windowHours * HOUR,
            T0 + from * HOUR,
            T0 + (from + length) * HOUR,
          );
          const b = naive(intervals, windowHours * HOUR, T0 + from * HOUR, T0 + (from + length) * HOUR);
          assert.equal(a, b);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stays exact with thousands of intervals', () => {
    const intervals = Array.from({ length: 5000 }, (_, i) => ({
      deviceId: 1,
      startsAt: new Date(T0 + i * 2 * HOUR + 1),
      endsAt: new Date(T0 + (i * 2 + 1) * HOUR + 1),
    }));
    assert.equal(maxInAnyWindow(intervals, 24 * HOUR, T0 + 5000 * HOUR, T0 + 5001 * HOUR), 12 * HOUR);
  });
});
