/**
 * Strict parser of the inventory's `devices.polatis_port_range`: the Polatis switch ports of a
 * multi-port device, written as comma-separated ports and inclusive ranges, e.g. `"1-16"`,
 * `"1-8,17-24"`, `"5"`, `"1-4, 9"`. Spaces around numbers and commas are allowed. Refused, with
 * the reason: empty items (`"1-8,,9"`), a descending range (`"8-1"`), port 0 or above
 * MAX_PORT, overlapping items (`"1-8,5-9"`), and anything else (`"1..16"`, `"1–16"` with an en
 * dash, `"ports 1-16"`). Empty or blank text means "no range" (null), not an error.
 */
import { MAX_PORT } from './handles';
import { describeValue } from './text';

export interface PortRange {
  /** Inclusive [first, last] pairs, sorted, not overlapping. */
  readonly spans: ReadonlyArray<readonly [number, number]>;
  /** The text, normalized: `1-8,17-24`. */
  readonly text: string;
}

export type PortRangeResult = { ok: true; range: PortRange | null } | { ok: false; reason: string };

const ITEM = /^(\d{1,9})(?:\s*-\s*(\d{1,9}))?$/;

export function parsePortRange(value: unknown): PortRangeResult {
  if (value === null || value === undefined) return { ok: true, range: null };
  if (typeof value !== 'string') return { ok: false, reason: `${describeValue(value)} is not text` };
  if (value.trim() === '') return { ok: true, range: null };
  if (value.length > 1000) return { ok: false, reason: `it is ${value.length} characters long` };
  const spans: Array<[number, number]> = [];
  const items = value.split(',');
  for (let i = 0; i < items.length; i++) {
    const item = (items[i] as string).trim();
    if (item === '') return { ok: false, reason: `item ${i + 1} is empty` };
    const match = ITEM.exec(item);
    if (!match) {
      return { ok: false, reason: `item ${describeValue(item)} is not a port or a range such as 1-16` };
    }
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (first < 1 || last > MAX_PORT) {
      return { ok: false, reason: `item ${describeValue(item)} is outside 1..${MAX_PORT}` };
    }
    if (last < first) return { ok: false, reason: `item ${describeValue(item)} runs backwards` };
    spans.push([first, last]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    const [prevFirst, prevLast] = spans[i - 1] as [number, number];
    const [first, last] = spans[i] as [number, number];
    if (first <= prevLast) {
      return {
        ok: false,
        reason: `items ${spanText(prevFirst, prevLast)} and ${spanText(first, last)} overlap`,
      };
    }
  }
  return { ok: true, range: { spans, text: spans.map(([a, b]) => spanText(a, b)).join(',') } };
}

function spanText(first: number, last: number): string {
  return first === last ? String(first) : `${first}-${last}`;
}

/** Whether the range holds the port (binary search: a range may list many items). */
export function rangeHas(range: PortRange, port: number): boolean {
  let lo = 0;
  let hi = range.spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [first, last] = range.spans[mid] as readonly [number, number];
    if (port < first) hi = mid - 1;
    else if (port > last) lo = mid + 1;
    else return true;
  }
  return false;
}
