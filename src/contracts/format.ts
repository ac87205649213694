/**
 * Zod issues -> lines an operator can act on: `previous.startTime: expected an ISO 8601
 * date-time with a time zone, got "2026-11-24 09:00"`. Values are shown as JSON, truncated, so
 * a huge or hostile payload cannot flood a log line or the failed-job reason.
 */
import type { z } from 'zod';

const PREVIEW_CHARS = 60;
/** More problems than this are summarised as "... and N more". */
export const MAX_PROBLEMS = 8;

/** A short JSON rendering of any value, with its full length when it had to be cut. */
export function preview(value: unknown): string {
  if (value === undefined) return 'nothing';
  // JSON would show NaN and Infinity as null, which is not what was sent.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  let text: string;
  try {
    text =
      JSON.stringify(value, (_key, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) ??
      String(value);
  } catch {
    // Nested too deeply for JSON.stringify, cycles, BigInt, a throwing toJSON.
    if (typeof value === 'bigint') return `${value}n`;
    if (Array.isArray(value)) return '[…] (a list nested too deeply to show)';
    if (typeof value === 'object' && value !== null) return '{…} (an object nested too deeply to show)';
    text = Object.prototype.toString.call(value);
  }
  if (text.length <= PREVIEW_CHARS) return text;
  const what = typeof value === 'string' ? `${value.length} characters` : `${text.length} characters as JSON`;
  return `${text.slice(0, PREVIEW_CHARS)}… (${what})`;
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;
const KEY_CHARS = 40;

/** A key as it reads in a path: plain names as they are, anything else quoted, long ones cut. */
function keySegment(key: string, first: boolean): string {
  const cut = key.length <= KEY_CHARS ? key : `${key.slice(0, KEY_CHARS)}… (${key.length} characters)`;
  if (PLAIN_KEY.test(key)) return first ? cut : `.${cut}`;
  return `[${JSON.stringify(cut)}]`;
}

/** `previous.startTime`, `tags[2]`, `[""]`; the payload itself is `payload`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'payload';
  return path
    .map((segment, i) =>
      typeof segment === 'number' ? `[${segment}]` : keySegment(String(segment), i === 0),
    )
    .join('');
}

function lines(issue: z.core.$ZodIssue): string[] {
  const input = (issue as { input?: unknown }).input;
  if (issue.code === 'unrecognized_keys') {
    const object = (input ?? {}) as Record<string, unknown>;
    return issue.keys.map(
      (key) => `${fieldPath([...issue.path, key])}: unknown field, got ${preview(object[key])}`,
    );
  }
  if (issue.code === 'invalid_type' && input === undefined && issue.path.length > 0) {
    return [`${fieldPath(issue.path)}: missing (${issue.message})`];
  }
  return [`${fieldPath(issue.path)}: ${issue.message}, got ${preview(input)}`];
}

/** One line per problem, at most MAX_PROBLEMS of them. Parse with `{ reportInput: true }`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  const all = issues.flatMap(lines);
  if (all.length <= MAX_PROBLEMS) return all;
  return [...all.slice(0, MAX_PROBLEMS), `… and ${all.length - MAX_PROBLEMS} more problem(s)`];
}
