/**
 * Rollups benchmark (not a test): a full hourly backfill of N bookings over D devices and Y years,
 * side by side with the best single SQL statement computing the same booked seconds, then the
 * median latency of an incremental update for one booking event. Prints a JSON summary.
 *
 *   npx tsx bench/rollups.ts [--bookings 100000] [--devices 500] [--years 2] [--events 200]
 *                            [--concurrency 1] [--database provdb_bench_rollups] [--reuse]
 *                            [--incremental-only]
 *
 * From another script (the overall `npm run bench`):
 *
 *   import { runRollupBench } from './rollups';
 *   const figures = await runRollupBench({ bookings: 1_000_000, concurrency: 2 });
 *
 * Uses its own database on the DATABASE_URL server (created, migrated, filled; kept for --reuse).
 * The data has no maintenance or down time, so the backfill's booked seconds must equal the
 * baseline's exactly (checked). Baselines and backfill chunks all get work_mem = 64MB.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Knex } from 'knex';
import { loadConfig } from '../src/config';
import { createKnex, ident, withDatabase } from '../src/db/knex';
import { migrateLatest } from '../src/db/migrator';
import { backfill, reconcileRecent } from '../src/rollups/backfill';
import { recomputeForBookingEvent } from '../src/rollups/incremental';

export interface RollupBenchOptions {
  /** Bookings generated (default 100,000). */
  bookings?: number;
  /** Devices (default 500). */
  devices?: number;
  /** Years of history, from 2024-01-01 (default 2). */
  years?: number;
  /** Booking events timed for the incremental figure (default 200). */
  events?: number;
  /** Database on the DATABASE_URL server used (and replaced) by the bench. */
  database?: string;
  /** Postgres server to use (default: DATABASE_URL from the environment). */
  databaseUrl?: string;
  /** Backfill chunk size in buckets (default: the backfill's). */
  chunkBuckets?: number;
  /** Backfill chunks computed at once (default 1). */
  concurrency?: number;
  /** Keep and reuse the database when it holds the same data set. */
  reuse?: boolean;
  /** Only the incremental figure (needs a database made by an earlier run, with reuse). */
  incrementalOnly?: boolean;
}

/** What the bench measured (seconds, milliseconds and ratios as printed). */
export interface RollupBenchFigures {
  bookings: number;
  devices: number;
  years: number;
  concurrency: number;
  hourRows?: number;
  bookedHours?: number;
  /** The compute-only reference: the best single statement computing the booked seconds. */
  baselineSeconds?: number;
  /** The same booked seconds stored as rows by one INSERT ... SELECT. */
  storedBaselineSeconds?: number;
  backfillSeconds?: number;
  /** backfill / compute-only reference (the target: at most 1.5). */
  ratioToComputeOnly?: number;
  ratioToStored?: number;
  chunks?: number;
  bookedSecondsEqual?: boolean;
  rerunSeconds?: number;
  rerunWritten?: number;
  reconcileSeconds?: number;
  reconcileBuckets?: number;
  reconcileChunks?: number;
  reconcileWritten?: number;
  incrementalEvents: number;
  /** One booking event's recomputation (the target: median under 10 ms). */
  incrementalMedianMs: number;
  incrementalP95Ms: number;
  eventTransactionMedianMs: number;
  nodePeakRssMiB: number;
}

interface Settings {
  N: number;
  D: number;
  YEARS: number;
  EVENTS: number;
  FROM: Date;
  TO: Date;
  options: RollupBenchOptions;
}

const T0 = '2024-01-01T00:00:00Z';

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

async function timed<T>(label: string, fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  const ms = performance.now() - started;
  log(`${label}: ${(ms / 1000).toFixed(2)} s`);
  return { ms, value };
}

async function prepare(serverUrl: string, b: Settings): Promise<Knex> {
  const { N, D, YEARS } = b;
  const admin = createKnex(withDatabase(serverUrl, 'postgres'), { poolMax: 1 });
  const name = b.options.database ?? 'provdb_bench_rollups';
  try {
    const { rows } = await admin.raw<{ rows: unknown[] }>('SELECT 1 FROM pg_database WHERE datname = ?', [
      name,
    ]);
    if (rows.length > 0 && b.options.reuse) {
      const knex = createKnex(withDatabase(serverUrl, name), { poolMax: 4 });
      const meta = await knex.raw<{ rows: Array<{ n: number; d: number; y: number }> }>(
        'SELECT n, d, y FROM bench_meta',
      );
      const m = meta.rows[0];
      if (m && m.n === N && m.d === D && m.y === YEARS) {
        log(`reusing ${name} (${N} bookings, ${D} devices, ${YEARS} years)`);
        return knex;
      }
      await knex.destroy();
    }
    await admin.raw(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
    await admin.raw(`CREATE DATABASE ${ident(name)}`);
  } finally {
    await admin.destroy();
  }
  const knex = createKnex(withDatabase(serverUrl, name), { poolMax: 4 });
  await migrateLatest(knex);
  await timed(`generating ${N} bookings over ${D} devices and ${YEARS} years`, () => generate(knex, b));
  return knex;
}

/**
 * Per device, a sequence of bookings (1-8 h, random gaps scaled so the sequence fits the period); 3% of rows are collaborator copies, 2% legacy overlaps (shifted back by
 * up to 3 h, status completed), 10% cancelled; the rest confirmed (future) or completed (past).
 */
async function generate(knex: Knex, b: Settings): Promise<void> {
  const { N, D, YEARS, FROM, TO } = b;
  const perDevice = Math.ceil(N / D);
  const hours = (TO.getTime() - FROM.getTime()) / 3_600_000;
  const meanSlot = hours / perDevice;
  await knex.raw(
    `INSERT INTO user_table (id, username, password, is_admin)
     SELECT u, 'user' || u, 'x', false FROM generate_series(1, 200) u`,
  );
  await knex.raw(
    `INSERT INTO device_table (id, "Out_Port", "In_Port", polatis_name)
     SELECT d, d, d, 'dev' || d FROM generate_series(1, ?::int) d`,
    [D],
  );
  // Durations and gaps in seconds; starts are the running sum of slots, scaled to fit the period.
  await knex.raw(
    `CREATE UNLOGGED TABLE bench_plan AS
     SELECT d AS device_id, i, (3600 + floor(random() * 7 * 3600))::int AS dur,
            floor(random() * 2 * greatest(?::float8 * 3600 - 4.5 * 3600, 0))::int AS gap,
            random() AS r1, random() AS r2, 1 + floor(random() * 200)::int AS user_id
       FROM generate_series(1, ?::int) d, generate_series(1, ?::int) i
      WHERE (d - 1) * ?::int + i <= ?::int`,
    [meanSlot, D, perDevice, perDevice, N],
  );
  await knex.raw('SET synchronous_commit = off');
  await knex.raw(
    `INSERT INTO booking_table (device_id, user_id, is_collaborator, grouped_booking_id, start_time, end_time,
                                status, created_at)
     SELECT device_id, user_id, r1 < 0.03, 'g' || device_id || '-' || i,
            s - CASE WHEN r1 >= 0.03 AND r1 < 0.05 THEN make_interval(secs => floor(r2 * 3 * 3600)) ELSE interval '0' END,
            s + make_interval(secs => dur),
            CASE WHEN r1 >= 0.03 AND r1 < 0.05 THEN 'completed'
                 WHEN r1 >= 0.05 AND r1 < 0.15 THEN 'cancelled'
                 WHEN s < now() AT TIME ZONE 'UTC' THEN 'completed'
                 ELSE 'confirmed' END,
            ?::timestamp
       FROM (SELECT *, ?::timestamp
                       + make_interval(secs => (sum(dur) OVER w - dur)
                                               + (sum(gap) OVER w - gap) * least(1.0, k)) AS s
               FROM (SELECT *, (?::float8 - sum(dur) OVER d) / nullif(sum(gap) OVER d, 0) AS k
                       FROM bench_plan WINDOW d AS (PARTITION BY device_id)) p
             WINDOW w AS (PARTITION BY device_id ORDER BY i)) x
      WHERE s < ?::timestamp`,
    [T0.replace('Z', ''), T0.replace('Z', ''), hours * 3600 - 8 * 3600, TO.toISOString().replace('Z', '')],
  );
  await knex.raw('DROP TABLE bench_plan');
  await knex.raw('CREATE TABLE bench_meta (n int, d int, y int)');
  await knex('bench_meta').insert({ n: N, d: D, y: YEARS });
  await knex.raw('VACUUM ANALYZE booking_table');
  await knex.raw('VACUUM ANALYZE device_table');
}

/** The best single statement we found for "booked seconds per device and hour". */
const BASELINE_SQL = `
  SELECT count(*) AS hours, coalesce(sum(booked), 0)::bigint AS booked
    FROM (
      SELECT b.device_id, h, sum(extract(epoch FROM least(upper(r), h + interval '1 hour') - greatest(lower(r), h))) AS booked
        FROM (SELECT device_id, range_agg(tsrange(date_trunc('second', start_time), date_trunc('second', end_time))
                                          * tsrange(?::timestamp, ?::timestamp)) AS mr
                FROM booking_table
               WHERE status_canonical IN ('confirmed', 'completed') AND NOT is_collaborator
                 AND date_trunc('second', end_time) > date_trunc('second', start_time)
                 AND start_time < ?::timestamp AND end_time > ?::timestamp
               GROUP BY device_id) b
       CROSS JOIN LATERAL unnest(b.mr) AS r
       CROSS JOIN LATERAL generate_series(date_trunc('hour', lower(r)), upper(r) - interval '1 second', interval '1 hour') AS h
       GROUP BY b.device_id, h) x`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] ?? Number.NaN;
const round = (x: number, digits = 2) => +x.toFixed(digits);

/**
 * The same booked seconds stored: every device-hour as a row of a copy of utilization_rollups
 * (same key, index, foreign key and checks), in one INSERT ... SELECT. Only booked seconds are
 * computed; the other columns are what they are for this data (no maintenance, no down).
 */
const STORED_BASELINE_SQL = `
  INSERT INTO bench_baseline_rollups (device_id, granularity, bucket_start, booked_seconds, maintenance_seconds,
              down_seconds, idle_seconds, capacity_seconds, booking_count, user_count, computed_at)
  SELECT d.id, 'hour', g.h AT TIME ZONE 'UTC', coalesce(s.booked, 0), 0, 0, 3600 - coalesce(s.booked, 0), 3600, 0, 0, now()
    FROM device_table d
   CROSS JOIN generate_series(?::timestamp, ?::timestamp - interval '1 hour', interval '1 hour') AS g(h)
    LEFT JOIN (
      SELECT b.device_id, h, sum(extract(epoch FROM least(upper(r), h + interval '1 hour') - greatest(lower(r), h)))::int AS booked
        FROM (SELECT device_id, range_agg(tsrange(date_trunc('second', start_time), date_trunc('second', end_time))
                                          * tsrange(?::timestamp, ?::timestamp)) AS mr
                FROM booking_table
               WHERE status_canonical IN ('confirmed', 'completed') AND NOT is_collaborator
                 AND date_trunc('second', end_time) > date_trunc('second', start_time)
                 AND start_time < ?::timestamp AND end_time > ?::timestamp
               GROUP BY device_id) b
       CROSS JOIN LATERAL unnest(b.mr) AS r
       CROSS JOIN LATERAL generate_series(date_trunc('hour', lower(r)), upper(r) - interval '1 second', interval '1 hour') AS h
       GROUP BY b.device_id, h) s ON s.device_id = d.id AND s.h = g.h`;

async function fullBackfill(knex: Knex, b: Settings): Promise<Partial<RollupBenchFigures>> {
  const { FROM, TO } = b;
  const concurrency = b.options.concurrency ?? 1;
  const lo = FROM.toISOString().replace('Z', '');
  const hi = TO.toISOString().replace('Z', '');
  await knex.raw('TRUNCATE utilization_rollups');
  await knex.raw('CHECKPOINT');
  const baseline = await timed('baseline: one statement, booked seconds per device-hour', async () => {
    return knex.transaction(async (trx) => {
      await trx.raw(`SET LOCAL work_mem = '64MB'`);
      const { rows } = await trx.raw<{ rows: Array<{ hours: number; booked: number }> }>(BASELINE_SQL, [
        lo,
        hi,
        hi,
        lo,
      ]);
      return rows[0]!;
    });
  });
  await knex.raw('DROP TABLE IF EXISTS bench_baseline_rollups');
  await knex.raw('CREATE TABLE bench_baseline_rollups (LIKE utilization_rollups INCLUDING ALL)');
  await knex.raw(`ALTER TABLE bench_baseline_rollups ADD FOREIGN KEY (device_id) REFERENCES device_table (id)
                  ON DELETE CASCADE`);
  await knex.raw('CHECKPOINT');
  const stored = await timed('baseline: one INSERT ... SELECT storing booked seconds per device-hour', () =>
    knex.transaction(async (trx) => {
      await trx.raw(`SET LOCAL work_mem = '64MB'`);
      await trx.raw(STORED_BASELINE_SQL, [lo, hi, lo, hi, hi, lo]);
    }),
  );
  const { rows: storedCheck } = await knex.raw<{ rows: Array<{ booked: number }> }>(
    'SELECT sum(booked_seconds)::bigint AS booked FROM bench_baseline_rollups',
  );
  await knex.raw('DROP TABLE bench_baseline_rollups');
  await knex.raw('CHECKPOINT');
  const full = await timed('backfill: hourly, all devices', () =>
    backfill(knex, {
      from: FROM,
      to: TO,
      granularities: ['hour'],
      asOf: TO,
      workMem: '64MB',
      concurrency,
      chunkBuckets: b.options.chunkBuckets,
      onProgress: (p) => {
        if (p.chunk % 10 === 0 || p.chunk === p.chunks) log(`  chunk ${p.chunk}/${p.chunks}`);
      },
    }),
  );
  const { rows: check } = await knex.raw<{ rows: Array<{ hours: number; booked: number; rows: number }> }>(
    `SELECT count(*) FILTER (WHERE booked_seconds > 0) AS hours, sum(booked_seconds)::bigint AS booked,
            count(*) AS rows
       FROM utilization_rollups WHERE granularity = 'hour'`,
  );
  const same =
    check[0]!.booked === baseline.value.booked &&
    check[0]!.hours === baseline.value.hours &&
    storedCheck[0]!.booked === baseline.value.booked;
  log(
    `booked seconds: backfill ${check[0]!.booked}, baseline ${baseline.value.booked} (${same ? 'equal' : 'DIFFERENT'})`,
  );
  // Rerun: nothing changes, nothing is written.
  const rerun = await timed('backfill rerun (no changes)', () =>
    backfill(knex, {
      from: FROM,
      to: TO,
      granularities: ['hour'],
      asOf: TO,
      workMem: '64MB',
      concurrency,
    }),
  );
  // The periodic reconciliation job: every device, 48 h back and a week ahead, both granularities.
  const reconcileAt = new Date(TO.getTime() - 30 * 86_400_000);
  await backfill(knex, {
    from: new Date(reconcileAt.getTime() - 2 * 86_400_000),
    to: TO,
    granularities: ['day'],
    asOf: TO,
  });
  const reconcile = await timed('reconciliation (48 h back, 7 days ahead, all devices)', () =>
    reconcileRecent(knex, { asOf: reconcileAt }),
  );
  return {
    reconcileSeconds: round(reconcile.ms / 1000),
    reconcileBuckets: reconcile.value.buckets,
    reconcileChunks: reconcile.value.chunks,
    reconcileWritten: reconcile.value.written,
    hourRows: check[0]!.rows,
    bookedHours: check[0]!.hours,
    baselineSeconds: round(baseline.ms / 1000),
    backfillSeconds: round(full.ms / 1000),
    storedBaselineSeconds: round(stored.ms / 1000),
    ratioToComputeOnly: round(full.ms / baseline.ms),
    ratioToStored: round(full.ms / stored.ms),
    chunks: full.value.chunks,
    bookedSecondsEqual: same,
    rerunSeconds: round(rerun.ms / 1000),
    rerunWritten: rerun.value.written,
  };
}

/** One booking event = cancel a booking and recompute its hours and day, in one transaction. */
async function incremental(
  knex: Knex,
  b: Settings,
): Promise<
  Pick<
    RollupBenchFigures,
    'incrementalEvents' | 'incrementalMedianMs' | 'incrementalP95Ms' | 'eventTransactionMedianMs'
  >
> {
  const { EVENTS, TO } = b;
  const { rows: picks } = await knex.raw<{ rows: Array<{ booking_id: number }> }>(
    `SELECT booking_id FROM booking_table
      WHERE status_canonical IN ('confirmed', 'completed') AND NOT is_collaborator
      ORDER BY random() LIMIT ?`,
    [EVENTS],
  );
  const latencies: number[] = [];
  const txLatencies: number[] = [];
  for (const { booking_id } of picks) {
    const txStarted = performance.now();
    await knex.transaction(async (trx) => {
      const [row] = await trx('booking_table')
        .where({ booking_id })
        .update({ status: 'cancelled' })
        .returning(['device_id', 'start_time', 'end_time']);
      const started = performance.now();
      await recomputeForBookingEvent(
        trx,
        booking_id,
        { deviceId: row.device_id, startTime: row.start_time, endTime: row.end_time },
        { asOf: TO },
      );
      latencies.push(performance.now() - started);
    });
    txLatencies.push(performance.now() - txStarted);
  }
  // Put the data back for the next run.
  await knex('booking_table')
    .whereIn(
      'booking_id',
      picks.map((p) => p.booking_id),
    )
    .update({
      status: knex.raw(
        "CASE WHEN start_time < now() AT TIME ZONE 'UTC' THEN 'completed' ELSE 'confirmed' END",
      ),
    });
  return {
    incrementalEvents: latencies.length,
    incrementalMedianMs: round(median(latencies)),
    incrementalP95Ms: round(p95(latencies)),
    eventTransactionMedianMs: round(median(txLatencies)),
  };
}

/** Runs the rollup bench on its own database and returns the figures (progress goes to stderr). */
export async function runRollupBench(options: RollupBenchOptions = {}): Promise<RollupBenchFigures> {
  const YEARS = options.years ?? 2;
  const b: Settings = {
    N: options.bookings ?? 100_000,
    D: options.devices ?? 500,
    YEARS,
    EVENTS: options.events ?? 200,
    FROM: new Date(T0),
    TO: new Date(Date.UTC(2024 + YEARS, 0, 1)),
    options,
  };
  for (const [name, value] of Object.entries({
    bookings: b.N,
    devices: b.D,
    years: YEARS,
    events: b.EVENTS,
  })) {
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`rollup bench: ${name} must be a positive whole number`);
  }
  const knex = await prepare(options.databaseUrl ?? loadConfig().databaseUrl, b);
  try {
    const { rows: count } = await knex.raw<{ rows: Array<{ n: number }> }>(
      'SELECT count(*)::int AS n FROM booking_table',
    );
    const backfillFigures = options.incrementalOnly ? {} : await fullBackfill(knex, b);
    const incrementalFigures = await incremental(knex, b);
    return {
      bookings: count[0]!.n,
      devices: b.D,
      years: YEARS,
      concurrency: options.concurrency ?? 1,
      ...backfillFigures,
      ...incrementalFigures,
      nodePeakRssMiB: round(process.resourceUsage().maxRSS / 1024, 1),
    };
  } finally {
    await knex.destroy();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bookings: { type: 'string', default: '100000' },
      devices: { type: 'string', default: '500' },
      years: { type: 'string', default: '2' },
      events: { type: 'string', default: '200' },
      database: { type: 'string', default: 'provdb_bench_rollups' },
      'chunk-buckets': { type: 'string' },
      concurrency: { type: 'string', default: '1' },
      reuse: { type: 'boolean', default: false },
      'incremental-only': { type: 'boolean', default: false },
    },
  });
  const figures = await runRollupBench({
    bookings: Number(values.bookings),
    devices: Number(values.devices),
    years: Number(values.years),
    events: Number(values.events),
    database: values.database,
    chunkBuckets: values['chunk-buckets'] ? Number(values['chunk-buckets']) : undefined,
    concurrency: Number(values.concurrency),
    reuse: values.reuse,
    incrementalOnly: values['incremental-only'],
  });
  console.log(JSON.stringify(figures, null, 2));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
