/**
 * Soak run (not a test): N booking events through two `provdb-worker start` processes with the
 * shipped handlers, fed as a steady stream (the backlog is topped up to about 2,000 jobs).
 * Prints throughput and each worker's resident memory (VmRSS from /proc/<pid>/status) over time,
 * then checks that
 *   - every event committed exactly once (one processed_events row each) and no job failed;
 *   - each worker's resident memory after the warm-up (the first 20% of the events) grew by
 *     less than 10% to the end (medians of the samples at 20-30% and at 90-100% of the run).
 * Exits 1 when a check fails.
 *
 *   npm run soak -- [--events 100000] [--bookings 2000] [--concurrency 4] [--report-every 10]
 *
 * Uses its own scratch database on DATABASE_URL's server (provdb_soak_<pid>) and its own queue
 * prefix on REDIS_URL; both are removed at the end, also after a failure or Ctrl-C.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Knex } from 'knex';
import { loadConfig } from '../src/config';
import { createKnex, ident, withDatabase } from '../src/db/knex';
import { migrateLatest } from '../src/db/migrator';
import { createRedis } from '../src/queues/connection';
import { createProducer, type Producer } from '../src/queues/producer';
import { type SeededBooking, seedBookings } from '../test/support/fault-lab';
import { freePort } from '../test/support/servers';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    bookings: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '4' },
    'report-every': { type: 'string', default: '10' },
  },
});

function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${name} must be a positive whole number, got ${value}`);
  return n;
}

const EVENTS = positive('events', values.events);
const BOOKINGS = positive('bookings', values.bookings);
const CONCURRENCY = positive('concurrency', values.concurrency);
const REPORT_EVERY_MS = positive('report-every', values['report-every']) * 1000;
const BACKLOG = 2_000;
const WARMUP = 0.2;
const MAX_RSS_GROWTH = 0.1;
const STALL_LIMIT_MS = 120_000;
const ROOT = path.resolve(__dirname, '..');

interface Worker {
  readonly name: string;
  readonly child: ChildProcess;
  readonly port: number;
  readonly exited: Promise<number | null>;
  output: string;
  problems: number;
}

interface Sample {
  readonly at: number;
  readonly done: number;
  readonly rss: number[];
}

function rssOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? (s[mid] as number)
      : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function startWorker(name: string, port: number, env: Record<string, string>): Worker {
  const child = spawn(process.execPath, ['bin/provdb-worker.cjs', 'start', '--queues', 'bookings'], {
    cwd: ROOT,
    env: { ...process.env, ...env, METRICS_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const worker: Worker = {
    name,
    child,
    port,
    output: '',
    problems: 0,
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    worker.problems += (text.match(/"level":(40|50|60)/g) ?? []).length;
    worker.output = (worker.output + text).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return worker;
}

async function waitReady(worker: Worker): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${worker.port}/readyz`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) return;
    if (worker.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`${worker.name} did not become ready: ${worker.output}`);
    }
    await sleep(200);
  }
}

async function stopWorker(worker: Worker): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill('SIGTERM');
  const code = await Promise.race([worker.exited, sleep(20_000).then(() => 'timeout' as const)]);
  if (code === 'timeout') {
    worker.child.kill('SIGKILL');
    await worker.exited;
  }
}

function enqueue(producer: Producer, i: number, bookings: readonly SeededBooking[]): Promise<unknown> {
  const b = bookings[i % bookings.length] as SeededBooking;
  if (i < bookings.length) return producer.enqueue('booking.created', { bookingId: b.bookingId });
  return producer.enqueue('booking.updated', {
    bookingId: b.bookingId,
    previous: { deviceId: b.deviceId, startTime: b.startTime, endTime: b.endTime },
  });
}

async function processedCount(knex: Knex): Promise<number> {
  const [row] = await knex('processed_events').count<[{ count: string }]>('* as count');
  return Number(row?.count);
}

async function main(): Promise<number> {
  const config = loadConfig();
  const database = `provdb_soak_${process.pid}`;
  const prefix = `provdb-soak-${process.pid}`;
  const admin = createKnex(withDatabase(config.databaseUrl, 'postgres'), { poolMax: 1 });
  const redis = createRedis(config.redisUrl, 'producer', 'provdb-soak');
  const workers: Worker[] = [];
  let knex: Knex | undefined;
  let producer: Producer | undefined;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await admin.raw(`CREATE DATABASE ${ident(database)}`);
    knex = createKnex(withDatabase(config.databaseUrl, database), { poolMax: 2 });
    await migrateLatest(knex);
    const bookings = await seedBookings(knex, BOOKINGS, 50);
    await redis.connect();
    producer = createProducer({ connection: redis, prefix });
    const queue = producer.queue('bookings');
    const env = {
      DATABASE_URL: withDatabase(config.databaseUrl, database),
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      WORKER_CONCURRENCY: String(CONCURRENCY),
    };
    for (const name of ['worker-1', 'worker-2']) workers.push(startWorker(name, await freePort(), env));
    for (const w of workers) await waitReady(w);
    console.log(
      `soak: ${EVENTS} events over ${BOOKINGS} bookings, 2 workers x concurrency ${CONCURRENCY}, ` +
        `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}; database ${database}, prefix ${prefix}`,
    );

    const started = Date.now();
    const samples: Sample[] = [];
    let sent = 0;
    let done = 0;
    let lastReport = { at: started, done: 0 };
    let lastProgress = { at: started, done: 0 };
    while (done < EVENTS) {
      if (interrupted) throw new Error('interrupted');
      const counts = await queue.getJobCounts('wait', 'active', 'delayed');
      const backlog = (counts.wait ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0);
      const batch = Math.min(EVENTS - sent, BACKLOG - backlog);
      for (let from = 0; from < batch; from += 100) {
        const n = Math.min(100, batch - from);
        await Promise.all(
          Array.from({ length: n }, (_, k) => enqueue(producer as Producer, sent + k, bookings)),
        );
        sent += n;
      }
      done = await processedCount(knex);
      const now = Date.now();
      samples.push({ at: now, done, rss: workers.map((w) => rssOf(w.child.pid)) });
      if (done > lastProgress.done) lastProgress = { at: now, done };
      else if (now - lastProgress.at > STALL_LIMIT_MS) {
        throw new Error(
          `no event committed for ${STALL_LIMIT_MS / 1000} s (${done}/${EVENTS}); ${workers.map((w) => `${w.name}: ${w.output.slice(-500)}`).join('; ')}`,
        );
      }
      for (const w of workers) {
        if (w.child.exitCode !== null || w.child.signalCode !== null)
          throw new Error(`${w.name} exited: ${w.output}`);
      }
      if (now - lastReport.at >= REPORT_EVERY_MS || done >= EVENTS) {
        const rate = ((done - lastReport.done) * 1000) / (now - lastReport.at);
        const rss = samples.at(-1)?.rss.map(mb).join(', ');
        console.log(
          `${((now - started) / 1000).toFixed(0).padStart(5)} s  ${String(done).padStart(7)}/${EVENTS}  ${rate.toFixed(0).padStart(5)} events/s  backlog ${backlog}  RSS ${rss}`,
        );
        lastReport = { at: now, done };
      }
      await sleep(250);
    }
    const seconds = (Date.now() - started) / 1000;

    // Checks.
    const failures: string[] = [];
    const failed = await queue.getFailedCount();
    if (failed > 0) failures.push(`${failed} job(s) failed`);
    const [withoutRollups] = await knex('processed_events')
      .whereRaw(`results IS NULL OR NOT (results \\? 'rollups')`)
      .count<[{ count: string }]>('* as count');
    if (Number(withoutRollups?.count) > 0)
      failures.push(`${withoutRollups?.count} event(s) committed without the rollups' result`);
    if (done !== EVENTS) failures.push(`${done} events committed, ${EVENTS} sent`);
    const memory = workers.map((w, i) => {
      const rss = (from: number, to: number) =>
        median(
          samples
            .filter((s) => s.done >= from * EVENTS && s.done <= to * EVENTS)
            .map((s) => s.rss[i] as number),
        );
      const baseline = rss(WARMUP, WARMUP + 0.1);
      const end = rss(0.9, 1);
      const growth = end / baseline - 1;
      if (!(growth < MAX_RSS_GROWTH)) {
        failures.push(
          `${w.name}: resident memory grew ${(growth * 100).toFixed(1)}% after the warm-up (${mb(baseline)} -> ${mb(end)})`,
        );
      }
      return {
        worker: w.name,
        afterWarmup: mb(baseline),
        end: mb(end),
        growth: `${(growth * 100).toFixed(1)}%`,
        peak: mb(Math.max(...samples.map((s) => s.rss[i] as number))),
      };
    });
    const rates: number[] = [];
    for (let k = 1; k < samples.length; k++) {
      const a = samples[k - 1] as Sample;
      const b = samples[k] as Sample;
      if (b.at - a.at > 0 && b.done < EVENTS) rates.push(((b.done - a.done) * 1000) / (b.at - a.at));
    }
    const problems = workers.reduce((n, w) => n + w.problems, 0);
    console.log(
      JSON.stringify(
        {
          events: EVENTS,
          seconds: Math.round(seconds),
          eventsPerSecond: Math.round(EVENTS / seconds),
          failedJobs: failed,
          workerWarningsOrErrors: problems,
          memory,
          ok: failures.length === 0,
        },
        null,
        2,
      ),
    );
    for (const f of failures) console.error(`FAILED: ${f}`);
    return failures.length === 0 ? 0 : 1;
  } finally {
    for (const w of workers) await stopWorker(w).catch(() => undefined);
    await producer
      ?.queue('bookings')
      .obliterate({ force: true })
      .catch(() => undefined);
    await producer?.close().catch(() => undefined);
    if (redis.status === 'ready') {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
    }
    redis.disconnect();
    await knex?.destroy();
    await admin.raw(`DROP DATABASE IF EXISTS ${ident(database)} WITH (FORCE)`).catch(() => undefined);
    await admin.destroy();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`soak: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  },
);
