/**
 * Where the time of one `booking.created` goes (not a test, not part of `npm run bench`):
 * `npx tsx bench/profile-decisions.ts [--events 150] [--batch 1] [--explain 0] [--keep]`.
 *
 * Builds the decision bench's lab (bench/decisions.ts: seedLab with 100 devices, 200 users, 60
 * days of history) in its own database, inserts new pending requests, then delivers one
 * `booking.created` per request through processEvent with every shipped handler module
 * (src/handlers.ts), one after the other (no BullMQ, no concurrency: the cost of one event).
 * With `--batch N` (N > 1) the events go N at a time through processEventBatch, as a busy worker
 * runs them (src/queues/batcher.ts). Prints the wall time and the Node CPU per event, then every statement the event ran with its
 * wall time per event (from knex's query / query-response events: round trip included) and how
 * many times it ran per event. `--explain N` runs EXPLAIN (ANALYZE, BUFFERS) on the N slowest
 * reads with the bindings of their first run (inside a transaction rolled back).
 * The first 20 events warm up and are not counted.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Knex } from 'knex';
import { Registry } from 'prom-client';
import { loadConfig } from '../src/config';
import { parsePayload, queueOf } from '../src/contracts';
import { createKnex, ident, withDatabase } from '../src/db/knex';
import { migrateLatest } from '../src/db/migrator';
import { seedLab } from '../src/demo/seed';
import type { AppDeps } from '../src/deps';
import { HANDLER_MODULES } from '../src/handlers';
import { createLogger } from '../src/logger';
import { createMetrics } from '../src/metrics';
import { HandlerRegistry } from '../src/queues/handlers';
import { processEvent, processEventBatch } from '../src/queues/process-event';
import { RuleSetStore } from '../src/rules/store';
import { BENCH_LAB, insertRequests } from './decisions';

const WARM_UP = 20;

interface QueryEvent {
  __knexQueryUid: string;
  sql: string;
  bindings?: readonly unknown[];
}

async function main() {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '150' },
      batch: { type: 'string', default: '1' },
      explain: { type: 'string', default: '0' },
      keep: { type: 'boolean', default: false },
    },
  });
  const config = loadConfig();
  const name = `provdb_profile_decisions_${process.pid}`;
  const admin = createKnex(withDatabase(config.databaseUrl, 'postgres'), { poolMax: 1 });
  await admin.raw(`CREATE DATABASE ${ident(name)}`);
  const knex = createKnex(withDatabase(config.databaseUrl, name), { poolMax: 4 });
  const store = await RuleSetStore.open({ dir: config.rulesDir, watch: false });
  try {
    await migrateLatest(knex);
    await seedLab(knex, BENCH_LAB);
    const ids = await insertRequests(knex, WARM_UP + Number(values.events));
    await knex.raw('ANALYZE');
    const handlers = new HandlerRegistry();
    const logger = createLogger('error');
    const deps = { config, logger, knex, rules: store, metrics: createMetrics(new Registry()), onClose() {} };
    for (const m of HANDLER_MODULES) await m.register(handlers, deps as unknown as AppDeps);

    // Node CPU and wall time per handler (its batch form when batching), summed over the measured events.
    const handlerCost = new Map<string, { cpuMs: number; wallMs: number }>();
    for (const h of handlers.handlersFor('booking.created') as unknown as Array<{
      name: string;
      handle: (...a: never[]) => Promise<unknown>;
      batch?: (...a: never[]) => Promise<unknown>;
    }>) {
      for (const key of ['handle', 'batch'] as const) {
        const inner = h[key];
        if (!inner) continue;
        h[key] = async (...args: never[]) => {
          const c0 = process.cpuUsage();
          const w0 = performance.now();
          try {
            return await inner(...args);
          } finally {
            if (counting) {
              const c = process.cpuUsage(c0);
              const cost = handlerCost.get(h.name) ?? { cpuMs: 0, wallMs: 0 };
              cost.cpuMs += (c.user + c.system) / 1000;
              cost.wallMs += performance.now() - w0;
              handlerCost.set(h.name, cost);
            }
          }
        };
      }
    }
    const stats = new Map<string, { n: number; ms: number; bytes: number; first: QueryEvent }>();
    const started = new Map<string, number>();
    let counting = false;
    const key = (sql: string) => `[${sql.length}] ${sql.replace(/\s+/g, ' ').trim().slice(0, 110)}`;
    knex.on('query', (q: QueryEvent) => started.set(q.__knexQueryUid, performance.now()));
    knex.on('query-response', (_r: unknown, q: QueryEvent) => {
      const t0 = started.get(q.__knexQueryUid);
      started.delete(q.__knexQueryUid);
      if (t0 === undefined || !counting) return;
      const k = key(q.sql);
      const s = stats.get(k) ?? { n: 0, ms: 0, bytes: 0, first: q };
      s.n += 1;
      s.ms += performance.now() - t0;
      s.bytes += q.sql.length + JSON.stringify(q.bindings ?? []).length;
      stats.set(k, s);
    });
    const eventOf = (bookingId: number) => ({
      jobName: 'booking.created' as const,
      payload: parsePayload('booking.created', {
        eventId: randomUUID(),
        occurredAt: new Date().toISOString(),
        bookingId,
      }),
      queue: queueOf('booking.created'),
      jobId: randomUUID(),
      attempt: 1,
    });
    const batchSize = Number(values.batch);
    const deliver = async (bookingIds: readonly number[]) => {
      if (bookingIds.length === 1) await processEvent({ knex, handlers, logger }, eventOf(bookingIds[0]!));
      else await processEventBatch({ knex, handlers, logger }, bookingIds.map(eventOf));
    };
    const inBatches = async (list: readonly number[]) => {
      for (let i = 0; i < list.length; i += batchSize) await deliver(list.slice(i, i + batchSize));
    };
    await inBatches(ids.slice(0, WARM_UP));
    const measured = ids.slice(WARM_UP);
    counting = true;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await inBatches(measured);
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    counting = false;
    const per = (x: number) => (x / measured.length).toFixed(2);
    const sorted = [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms);
    const sqlMs = sorted.reduce((sum, [, s]) => sum + s.ms, 0);
    const statements = sorted.reduce((sum, [, s]) => sum + s.n, 0);
    console.log(
      `${measured.length} events, ${batchSize === 1 ? 'one after the other' : `in batches of ${batchSize}`}: ${per(wall)} ms wall per event, ` +
        `${per((cpu.user + cpu.system) / 1000)} ms Node CPU, ${per(sqlMs)} ms in ${per(statements)} statements`,
    );
    for (const [name, cost] of handlerCost) {
      console.log(
        `handler ${name}: ${per(cost.wallMs)} ms wall, ${per(cost.cpuMs)} ms Node CPU per event (awaits overlap nothing here: one event or batch at a time)`,
      );
    }
    for (const [k, s] of sorted) {
      console.log(
        `${per(s.ms).padStart(7)} ms  x${per(s.n)}  ${String(Math.round(s.bytes / measured.length)).padStart(6)} B  ${k}`,
      );
    }
    for (const [k, s] of sorted.slice(0, Number(values.explain))) {
      if (!/^\s*(\(?\s*SELECT|WITH)/i.test(s.first.sql) || /pg_advisory|INSERT INTO/i.test(s.first.sql))
        continue;
      await knex
        .transaction(async (trx) => {
          await trx.raw('SET LOCAL jit = off');
          // knex numbered the statement's placeholders $1, $2, ... in order: back to knex's `?`.
          const sql = s.first.sql.replace(/\$\d+/g, '?');
          const r = await trx.raw<{ rows: Array<Record<string, string>> }>(
            `EXPLAIN (ANALYZE, BUFFERS) ${sql}`,
            (s.first.bindings ?? []) as Knex.RawBinding[],
          );
          console.log(`\n=== ${k}\n${r.rows.map((x) => x['QUERY PLAN']).join('\n')}`);
          throw new Error('rollback');
        })
        .catch((error: Error) => {
          if (error.message !== 'rollback') console.log(`\n=== ${k}\nEXPLAIN failed: ${error.message}`);
        });
    }
  } finally {
    await store.close();
    await knex.destroy();
    if (!values.keep) await admin.raw(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
    await admin.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`profile: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
