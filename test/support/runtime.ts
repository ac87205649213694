/**
 * Helpers for tests of the queue runtime: a handler module whose effect is a row in
 * admin_audit_log (written in the job's transaction), captured JSON logs, a configuration
 * pointing at a test database and prefix, and polling.
 */
import { Writable } from 'node:stream';
import type { Job, Queue } from 'bullmq';
import type { Knex } from 'knex';
import pino from 'pino';
import { type Config, loadConfig } from '../../src/config';
import type { JobName } from '../../src/contracts';
import { RowNotFoundError } from '../../src/errors';
import type { Logger } from '../../src/logger';
import type { HandlerContext, HandlerModule } from '../../src/queues/handlers';
import { TEST_REDIS_URL } from './env';

export const EFFECT_ACTION = 'worker.test_effect';

export interface AuditOptions {
  readonly jobs: readonly JobName[];
  /** Handler name (several modules may handle the same job). */
  readonly name?: string;
  /** Time the handler spends inside the transaction (pg_sleep), to have jobs in flight. */
  readonly sleepMs?: number;
  /** Runs before the effect is written; may throw to simulate failures. */
  readonly before?: (ctx: HandlerContext) => Promise<void> | void;
  /** When set, the effect requires an admin_settings row `test-row-<id>`, else RowNotFoundError. */
  readonly requireMarkerRow?: boolean;
}

function entityId(payload: object): number {
  const p = payload as Record<string, unknown>;
  return Number(p.bookingId ?? p.deviceId ?? p.topologyId ?? 0);
}

/** Writes one admin_audit_log row per processed event (every NOT NULL column supplied). */
export function auditModule(options: AuditOptions): HandlerModule {
  const name = options.name ?? 'audit';
  return {
    name,
    register(registry) {
      for (const job of options.jobs) {
        registry.register(job, name, async (ctx) => {
          await options.before?.(ctx);
          if (options.sleepMs) await ctx.trx.raw('SELECT pg_sleep(?)', [options.sleepMs / 1000]);
          const id = entityId(ctx.payload);
          if (options.requireMarkerRow) {
            const marker = await ctx
              .trx('admin_settings')
              .where({ key: `test-row-${id}` })
              .first('id');
            if (!marker) throw new RowNotFoundError('admin_settings', `test-row-${id}`);
          }
          await ctx.trx('admin_audit_log').insert({
            action: EFFECT_ACTION,
            entity_type: ctx.jobName.split('.')[0],
            entity_id: String(id),
            payload: JSON.stringify({ eventId: ctx.eventId, jobName: ctx.jobName, handler: name }),
            outcome: 'success',
            message: ctx.eventId,
            created_at: new Date(),
          });
          return { wrote: 'admin_audit_log' };
        });
      }
    },
  };
}

/** eventId -> number of effects committed for it. */
export async function effectCounts(knex: Knex): Promise<Map<string, number>> {
  const rows = await knex('admin_audit_log')
    .where({ action: EFFECT_ACTION })
    .select('message')
    .count<Array<{ message: string; count: number }>>('* as count')
    .groupBy('message');
  return new Map(rows.map((r) => [r.message, Number(r.count)]));
}

export async function markerRow(knex: Knex, id: number): Promise<void> {
  await knex('admin_settings').insert({
    key: `test-row-${id}`,
    value: JSON.stringify(true),
    updated_at: new Date(),
  });
}

export interface CapturedLogs {
  readonly logger: Logger;
  readonly lines: Array<Record<string, unknown> & { msg: string }>;
  /** Every raw line, for checks such as "no password appears". */
  readonly raw: string[];
}

export function captureLogs(level: pino.Level = 'info'): CapturedLogs {
  const lines: CapturedLogs['lines'] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line));
      }
      done();
    },
  });
  return { logger: pino({ level }, stream), lines, raw };
}

export function testConfig(databaseUrl: string, prefix: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    WORKER_CONCURRENCY: '4',
    SHUTDOWN_TIMEOUT_MS: '10000',
    ...env,
  });
}

/** Polls `check` until it returns a truthy value (returned) or the time is up (throws). */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T> | T,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export const EVENT_AT = '2026-11-24T09:15:00Z';

/**
 * Waits until the job is in one of `states`, then reads it (reading it first and its state
 * after could return a copy taken before it finished, without failedReason or returnvalue).
 */
export async function jobIn(
  queue: Queue,
  jobId: string,
  states: readonly string[] = ['completed', 'failed'],
  timeoutMs = 15_000,
): Promise<Job> {
  return waitUntil(
    `job ${jobId} to be ${states.join(' or ')}`,
    async () => (states.includes(await queue.getJobState(jobId)) ? queue.getJob(jobId) : undefined),
    timeoutMs,
  );
}
