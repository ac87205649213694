/**
 * Booking events through the real queue runtime, side by side with two floors on the same Redis
 * and Postgres (not a test; `npm run bench` runs it, or alone: `npx tsx bench/decisions.ts
 * [--events 300,1000,3000] [--paced-seconds 5] [--rate 200] [--concurrency 4] [--batch-size 128] [--kinds noop,tx,handlers]`):
 *
 * - `noop`: a bare BullMQ Worker whose processor does nothing (Redis round trips only);
 * - `tx`: a bare BullMQ Worker whose processor commits one Postgres transaction inserting one row;
 * - `handlers`: the application (src/app.ts createApp) consuming the `bookings` queue with every
 *   shipped handler module of this build (booking decisions with the shipped rules, rollups,
 *   topology fan-out), as `provdb-worker start` runs it, each event on its own new pending
 *   booking of a seeded lab.
 *
 * Events are enqueued with the real producer (`booking.created`, jobId = eventId), from the same
 * process. Latency is from enqueue (the job's `timestamp`) to completion (`finishedOn`, set when
 * the worker moves the job to completed, after the handlers' transaction committed). Two modes:
 * - saturated: N events enqueued as fast as the producer can (50 in flight); throughput is N over
 *   first enqueue to last completion; latency then includes waiting in the queue;
 * - paced: events at a fixed rate (200/s) for a few seconds; latency is what an event sees when
 *   the workers keep up.
 * Every run uses its own queue prefix, deleted afterwards, and the same worker settings: each
 * worker holds up to WORKER_CONCURRENCY x WORKER_BATCH_SIZE jobs at once (what the application's
 * `bookings` worker holds when it batches `booking.created`) and runs at most WORKER_CONCURRENCY
 * transactions at once (the floors' pool has that many connections; the application runs that
 * many transactions per queue, each deciding a batch of the events waiting).
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { type Job, Worker } from 'bullmq';
import type { Knex } from 'knex';
import { type App, createApp } from '../src/app';
import { type Config, loadConfig } from '../src/config';
import { createKnex, ident, withDatabase } from '../src/db/knex';
import { migrateLatest } from '../src/db/migrator';
import { seedLab } from '../src/demo/seed';
import { deletePrefixKeys } from '../src/demo/workers';
import { createLogger } from '../src/logger';
import { createRedis, workerConnection } from '../src/queues/connection';
import { createProducer, type Producer } from '../src/queues/producer';

export type WorkerKind = 'noop' | 'tx' | 'handlers';
export const WORKER_KINDS: readonly WorkerKind[] = ['noop', 'tx', 'handlers'];

export interface RunResult {
  kind: WorkerKind;
  mode: 'saturated' | 'paced';
  events: number;
  /** Requested rate (paced), events/s. */
  rate?: number;
  failed: number;
  seconds: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** handlers only: booking_decisions rows written by the run (null: this build has none). */
  decisionsWritten?: number | null;
}

export interface DecisionBenchOptions {
  config: Config;
  /** Saturated runs: events per run, one run per size and worker kind. */
  sizes: readonly number[];
  pacedRate: number;
  pacedSeconds: number;
  /** WORKER_CONCURRENCY: transactions at once. */
  concurrency: number;
  /** WORKER_BATCH_SIZE: the most booking events in one transaction (application). */
  batchSize: number;
  /** Which workers to run (all by default); e.g. only `handlers` to profile the application. */
  kinds?: readonly WorkerKind[];
  database?: string;
  log?: (message: string) => void;
}

export interface DecisionBenchResult {
  concurrency: number;
  batchSize: number;
  lab: { reservations: number; devices: number; users: number };
  runs: RunResult[];
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number);
const round = (x: number, digits = 1) => +x.toFixed(digits);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The lab the decision benches seed (also bench/profile-decisions.ts). */
export const BENCH_LAB = {
  seed: 7,
  devices: 100,
  users: 200,
  historyDays: 60,
  futureDays: 14,
  bookingsPerDay: 150,
} as const;

async function prepareDatabase(
  config: Config,
  name: string,
  connections: number,
  log: (m: string) => void,
): Promise<Knex> {
  const admin = createKnex(withDatabase(config.databaseUrl, 'postgres'), { poolMax: 1 });
  try {
    await admin.raw(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
    await admin.raw(`CREATE DATABASE ${ident(name)}`);
  } finally {
    await admin.destroy();
  }
  const knex = createKnex(withDatabase(config.databaseUrl, name), { poolMax: connections });
  await migrateLatest(knex);
  log('decisions: seeding a lab (100 devices, 200 users, 60 days of history)');
  await seedLab(knex, BENCH_LAB);
  await knex.raw(
    'CREATE TABLE bench_tx_events (event_id uuid PRIMARY KEY, booking_id integer NOT NULL, at timestamptz NOT NULL)',
  );
  return knex;
}

/** `count` new pending single-device requests over the coming two weeks, as the scheduler inserts them. */
export async function insertRequests(knex: Knex, count: number): Promise<number[]> {
  const { rows } = await knex.raw<{ rows: Array<{ booking_id: number }> }>(
    `WITH u AS (SELECT array_agg(id ORDER BY id) AS ids FROM user_table),
          d AS (SELECT array_agg(device_id ORDER BY device_id) AS ids FROM linked_devices WHERE is_schedulable),
          r AS (SELECT g, date_trunc('hour', now() AT TIME ZONE 'UTC') + make_interval(hours => 1 + floor(random() * 14 * 24)::int) AS s,
                       1 + floor(random() * 6)::int AS h, random() AS ru, random() AS rd
                  FROM generate_series(1, ?::int) g)
     INSERT INTO booking_table (device_id, user_id, is_collaborator, grouped_booking_id, start_time, end_time,
                                status, comment, collaborators, created_at)
     SELECT d.ids[1 + floor(r.rd * cardinality(d.ids))::int], u.ids[1 + floor(r.ru * cardinality(u.ids))::int], false,
            gen_random_uuid()::text, r.s, r.s + make_interval(hours => r.h), 'pending', 'bench request', '[]',
            now() AT TIME ZONE 'UTC'
       FROM r, u, d
      ORDER BY r.g
     RETURNING booking_id`,
    [count],
  );
  await knex.raw('ANALYZE booking_table');
  return rows.map((r) => r.booking_id).sort((a, b) => a - b);
}

interface Running {
  stop(): Promise<void>;
}

async function startWorker(kind: WorkerKind, config: Config, knex: Knex): Promise<Running> {
  if (kind === 'handlers') {
    const app: App = await createApp(config, { logger: createLogger('error') });
    await app.start({ queues: ['bookings'] });
    return {
      async stop() {
        const report = await app.close();
        if (report.errors.length > 0) throw new Error(`closing the application: ${report.errors.join('; ')}`);
      },
    };
  }
  const processor =
    kind === 'noop'
      ? async () => undefined
      : async (job: Job) => {
          await knex.transaction(async (trx) => {
            await trx.raw('INSERT INTO bench_tx_events (event_id, booking_id, at) VALUES (?, ?, now())', [
              job.data.eventId,
              job.data.bookingId,
            ]);
          });
        };
  const worker = new Worker('bookings', processor, {
    connection: workerConnection(config.redisUrl),
    prefix: config.queuePrefix,
    concurrency: config.workerConcurrency * config.workerBatchSize,
    removeOnComplete: { count: 1_000_000 },
    removeOnFail: { count: 1_000_000 },
  });
  await worker.waitUntilReady();
  return { stop: () => worker.close() };
}

async function waitForFinished(producer: Producer, events: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await producer.queue('bookings').getJobCounts('completed', 'failed');
    if ((c.completed ?? 0) + (c.failed ?? 0) >= events) return;
    if (Date.now() > deadline) {
      throw new Error(
        `only ${(c.completed ?? 0) + (c.failed ?? 0)} of ${events} events finished in ${timeoutMs} ms`,
      );
    }
    await sleep(20);
  }
}

/** Enqueue times and finish times of every job of the run, from Redis. */
async function collect(producer: Producer): Promise<{ latencies: number[]; first: number; last: number }> {
  const q = producer.queue('bookings');
  const jobs: Job[] = [];
  for (let start = 0; ; start += 1000) {
    const batch = await q.getJobs(['completed', 'failed'], start, start + 999, true);
    jobs.push(...batch.filter(Boolean));
    if (batch.length < 1000) break;
  }
  const latencies = jobs.map((j) => (j.finishedOn ?? Number.NaN) - j.timestamp).sort((a, b) => a - b);
  return {
    latencies,
    first: Math.min(...jobs.map((j) => j.timestamp)),
    last: Math.max(...jobs.map((j) => j.finishedOn ?? 0)),
  };
}

async function decisionRows(knex: Knex, bookingIds: readonly number[]): Promise<number | null> {
  const { rows } = await knex.raw<{ rows: Array<{ t: string | null }> }>(
    `SELECT to_regclass('booking_decisions')::text AS t`,
  );
  if (!rows[0]?.t) return null;
  const n = await knex('booking_decisions')
    .whereIn('booking_id', [...bookingIds])
    .count('* as n');
  return Number(n[0]?.n);
}

async function run(
  kind: WorkerKind,
  base: Config,
  knex: Knex,
  bookingIds: number[],
  mode: { kind: 'saturated' } | { kind: 'paced'; rate: number },
): Promise<RunResult> {
  const prefix = `provdb-bench-${process.pid}-${kind}-${mode.kind}-${bookingIds.length}`;
  const config: Config = Object.freeze({ ...base, queuePrefix: prefix });
  await deletePrefixKeys(config.redisUrl, prefix);
  const redis = createRedis(config.redisUrl, 'producer');
  await redis.connect();
  const producer = createProducer({ connection: redis, prefix });
  const worker = await startWorker(kind, config, knex);
  try {
    const enqueue = (bookingId: number) =>
      producer.enqueue('booking.created', { bookingId, eventId: randomUUID() }).then(() => undefined);
    if (mode.kind === 'saturated') {
      let next = 0;
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          while (next < bookingIds.length) await enqueue(bookingIds[next++] as number);
        }),
      );
    } else {
      const started = performance.now();
      const pending: Array<Promise<void>> = [];
      for (const [i, bookingId] of bookingIds.entries()) {
        const due = started + (i * 1000) / mode.rate;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        pending.push(enqueue(bookingId));
      }
      await Promise.all(pending);
    }
    await waitForFinished(producer, bookingIds.length, 600_000);
    const c = await collect(producer);
    const failed = (await producer.queue('bookings').getJobCounts('failed')).failed ?? 0;
    const seconds = (c.last - c.first) / 1000;
    return {
      kind,
      mode: mode.kind,
      events: bookingIds.length,
      ...(mode.kind === 'paced' ? { rate: mode.rate } : {}),
      failed,
      seconds: round(seconds, 2),
      eventsPerSecond: round(bookingIds.length / seconds, 0),
      p50Ms: round(percentile(c.latencies, 0.5)),
      p99Ms: round(percentile(c.latencies, 0.99)),
      maxMs: round(c.latencies[c.latencies.length - 1] ?? Number.NaN),
      ...(kind === 'handlers' ? { decisionsWritten: await decisionRows(knex, bookingIds) } : {}),
    };
  } finally {
    await worker.stop();
    await producer.close();
    redis.disconnect();
    await deletePrefixKeys(config.redisUrl, prefix);
  }
}

export async function benchDecisions(options: DecisionBenchOptions): Promise<DecisionBenchResult> {
  const log = options.log ?? (() => undefined);
  const name = options.database ?? 'provdb_bench_decisions';
  const knex = await prepareDatabase(options.config, name, options.concurrency, log);
  const config: Config = Object.freeze({
    ...options.config,
    databaseUrl: withDatabase(options.config.databaseUrl, name),
    workerConcurrency: options.concurrency,
    workerBatchSize: options.batchSize,
    metricsPort: 0,
    metricsHost: '127.0.0.1',
  });
  try {
    const pacedEvents = Math.round(options.pacedRate * options.pacedSeconds);
    const total = 100 + options.sizes.reduce((a, b) => a + b, 0) + pacedEvents;
    const ids = await insertRequests(knex, total);
    const { rows: lab } = await knex.raw<{
      rows: Array<{ reservations: number; devices: number; users: number }>;
    }>(
      `SELECT (SELECT count(DISTINCT grouped_booking_id) FROM booking_table)::int AS reservations,
              (SELECT count(*) FROM device_table)::int AS devices, (SELECT count(*) FROM user_table)::int AS users`,
    );
    const runs: RunResult[] = [];
    // Warm-up: connections, JIT of the handlers' code paths, Postgres caches.
    const kinds = options.kinds ?? WORKER_KINDS;
    for (const kind of kinds) await run(kind, config, knex, [...ids.slice(0, 100)], { kind: 'saturated' });
    let offset = 100;
    const slice = (n: number) => {
      const s = ids.slice(offset, offset + n);
      offset += n;
      return s;
    };
    // The handlers' runs get fresh bookings; the floors reuse payloads (they do not read rows).
    for (const size of options.sizes) {
      const own = slice(size);
      for (const kind of kinds) {
        log(`decisions: ${kind}, ${size} events, saturated`);
        const r = await run(kind, config, knex, own, { kind: 'saturated' });
        log(`  ${r.eventsPerSecond} events/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`);
        runs.push(r);
      }
    }
    const paced = slice(pacedEvents);
    for (const kind of kinds) {
      log(`decisions: ${kind}, ${paced.length} events at ${options.pacedRate}/s`);
      const r = await run(kind, config, knex, paced, { kind: 'paced', rate: options.pacedRate });
      log(`  ${r.eventsPerSecond} events/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`);
      runs.push(r);
    }
    return {
      concurrency: options.concurrency,
      batchSize: options.batchSize,
      lab: lab[0] as DecisionBenchResult['lab'],
      runs,
    };
  } finally {
    await knex.destroy();
    const admin = createKnex(withDatabase(options.config.databaseUrl, 'postgres'), { poolMax: 1 });
    await admin.raw(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
    await admin.destroy();
  }
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '300,1000,3000' },
      rate: { type: 'string', default: '200' },
      'paced-seconds': { type: 'string', default: '5' },
      concurrency: { type: 'string', default: '4' },
      'batch-size': { type: 'string', default: '128' },
      kinds: { type: 'string', default: WORKER_KINDS.join(',') },
    },
  });
  benchDecisions({
    config: loadConfig(),
    sizes: String(values.events).split(',').map(Number),
    pacedRate: Number(values.rate),
    pacedSeconds: Number(values['paced-seconds']),
    concurrency: Number(values.concurrency),
    batchSize: Number(values['batch-size']),
    kinds: String(values.kinds).split(',') as WorkerKind[],
    log: (m) => process.stderr.write(`bench: ${m}\n`),
  })
    .then((r) => console.log(JSON.stringify(r, null, 2)))
    .catch((error: unknown) => {
      process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    });
}
