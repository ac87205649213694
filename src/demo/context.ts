/**
 * What every seeding step shares: the transaction, the seeded generator, the options, the lab's
 * clock, and a batched INSERT (set-based, a few statements for any number of rows).
 */
import type { Knex } from 'knex';
import type { SeedOptions } from './options';
import type { Random } from './prng';

export const DAY_MS = 86_400_000;
/** Postgres takes at most 65,535 bind parameters per statement; stay well below. */
const MAX_PARAMS = 30_000;

export interface SeedContext {
  db: Knex | Knex.Transaction;
  rng: Random;
  options: SeedOptions;
  /** UTC midnight of the day of `options.now`. */
  day0: Date;
}

export function startOfUtcDay(date: Date): Date {
  return new Date(Math.floor(date.getTime() / DAY_MS) * DAY_MS);
}

/** A moment `days` days and `minutes` minutes after the lab's day 0 (UTC midnight of now). */
export function at(ctx: SeedContext, days: number, minutes = 0): Date {
  return new Date(ctx.day0.getTime() + days * DAY_MS + minutes * 60_000);
}

/** `options.now` shifted by `hours` (negative: earlier). */
export function fromNow(ctx: SeedContext, hours: number): Date {
  return new Date(ctx.options.now.getTime() + hours * 3_600_000);
}

/** Stringified for `json` columns: pg would send a JS array as a Postgres array. */
export function json(value: unknown): string {
  return JSON.stringify(value);
}

export type Row = Record<string, unknown>;

/**
 * Inserts rows in as few statements as the bind-parameter limit allows, returning the asked-for
 * columns of every row. Every row must list the same columns.
 */
export async function insertRows<R extends Row = Row>(
  db: Knex | Knex.Transaction,
  table: string,
  rows: readonly Row[],
  returning: readonly string[] = [],
): Promise<R[]> {
  if (rows.length === 0) return [];
  const columns = Object.keys(rows[0] as Row).length;
  const size = Math.max(1, Math.floor(MAX_PARAMS / Math.max(1, columns)));
  const out: R[] = [];
  for (let i = 0; i < rows.length; i += size) {
    const chunk = rows.slice(i, i + size) as Row[];
    if (returning.length > 0) {
      out.push(
        ...((await db(table)
          .insert(chunk)
          .returning([...returning])) as R[]),
      );
    } else {
      await db(table).insert(chunk);
    }
  }
  return out;
}

/** Maps returned rows by a natural key (row order of INSERT ... RETURNING is not promised). */
export function byKey<R extends Row>(rows: readonly R[], key: keyof R): Map<unknown, R> {
  return new Map(rows.map((r) => [r[key], r]));
}
