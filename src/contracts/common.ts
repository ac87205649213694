/**
 * Building blocks of every job contract. Glossary:
 *
 * - **event**: something that happened in the scheduler (a booking was created, a device's
 *   status changed); one event is one BullMQ job.
 * - **eventId**: the event's UUID, chosen by the producer; also the BullMQ `jobId`, and the key
 *   of `processed_events` (the exactly-once guard).
 * - **occurredAt**: when the event happened, ISO 8601 with a time zone (`Z` or `+02:00`).
 * - **payload**: ids and the before-state the row no longer holds; never a copy of current rows
 *   (handlers read the current state from Postgres).
 *
 * Each schema carries its own "expected ..." wording so that validation messages read
 * `bookingId: expected a positive integer, got "abc"` (see ./format.ts).
 */
import { z } from 'zod';

/** Largest value of a Postgres `integer`: every legacy primary key is one. */
export const MAX_INT4 = 2_147_483_647;

/** An error map that names what was expected, except for unknown keys (worded by ./format.ts). */
function expected(text: string) {
  return (issue: { code?: string }) => (issue.code === 'unrecognized_keys' ? undefined : `expected ${text}`);
}

/** A legacy primary key (`integer`, from 1). */
export function rowId(description: string) {
  const error = expected('a positive integer');
  return z.int({ error }).min(1, { error }).max(MAX_INT4, { error }).meta({ description });
}

/**
 * Years an event date may have. Outside them a value is a mistake or hostile: Postgres cannot
 * store year 0, and a window reaching far into the past or future would make a handler compute
 * thousands of years of rollup buckets.
 */
export const EVENT_YEARS = Object.freeze({ first: 1970, last: 2199 });
const EVENT_YEAR = /^(?:19[7-9]\d|2[01]\d\d)-/;

export function dateTime(description: string) {
  return (
    z.iso
      .datetime({
        offset: true,
        abort: true,
        error: expected('an ISO 8601 date-time with a time zone, e.g. 2026-11-24T09:00:00Z'),
      })
      // A refinement, not a second pattern: the JSON Schema export keeps `format: date-time`.
      .refine((value) => EVENT_YEAR.test(value), {
        error: `expected a date-time in the years ${EVENT_YEARS.first} to ${EVENT_YEARS.last}`,
      })
      .meta({ description })
  );
}

/** A short free-text value copied from a legacy `VARCHAR(n)` column. */
export function shortText(max: number, description: string) {
  const error = expected(`a string of at most ${max} characters`);
  return z.string({ error }).max(max, { error }).meta({ description });
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T, description: string) {
  return z
    .enum(values, { error: expected(`one of ${values.map((v) => JSON.stringify(v)).join(', ')}`) })
    .meta({
      description,
    });
}

export function object<S extends z.ZodRawShape>(shape: S, description?: string) {
  const schema = z.strictObject(shape, { error: expected('an object') });
  return description ? schema.meta({ description }) : schema;
}

export const eventId = z
  .uuid({ error: expected('a UUID, e.g. 0b0e7c1e-5b1a-4c1e-9a7e-1c2b3d4e5f60') })
  .meta({ description: 'The event UUID; enqueue with jobId = eventId. Reusing it means "the same event".' });

export const occurredAt = dateTime('When the event happened in the scheduler (ISO 8601 with a time zone).');
