/**
 * A lab for fault tests: a private Redis and a private Postgres cluster (test/support/servers.ts),
 * a migrated database with bookings, worker processes running the shipped handlers plus a
 * counted test effect (worker-process.ts, TEST_HANDLERS=shipped), and a steady stream of
 * booking events played the way the scheduler sends them.
 *
 * The lab's assertions are about what users care about, whatever handlers a build ships:
 * every event has exactly one processed_events row and exactly one committed effect (the test
 * effect, written in the event's transaction after every shipped handler), the shipped handlers'
 * results were committed with it (among them exactly one booking decision), no job is left active or failed, and the workers that lived
 * through the fault are the same processes, still processing.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { migrateLatest } from '../../src/db/migrator';
import { createRedis } from '../../src/queues/connection';
import { createProducer, type Producer } from '../../src/queues/producer';
import { ChildWorker } from './process';
import { effectCounts, waitUntil } from './runtime';
import { PrivatePostgres, PrivateRedis } from './servers';

/** Handlers whose results every booking event commits: the shipped ones and the test effect. */
const HANDLERS = ['rules', 'rollups', 'effect'] as const;

export interface SeededBooking {
  readonly bookingId: number;
  readonly deviceId: number;
  readonly startTime: string;
  readonly endTime: string;
}

/**
 * A user, `devices` scheduler devices and `count` confirmed 90-minute bookings spread over
 * them, two hours apart per device, starting 2026-11-23 (set-based; every NOT NULL column).
 */
export async function seedBookings(knex: Knex, count: number, devices = 10): Promise<SeededBooking[]> {
  const at = `'2026-11-01 00:00:00'::timestamp`;
  const [user] = await knex('user_table')
    .insert({ username: `fault-${randomUUID().slice(0, 8)}`, password: 'x', is_admin: false })
    .returning('id');
  const { rows: deviceRows } = await knex.raw<{ rows: Array<{ id: number }> }>(
    `INSERT INTO device_table (polatis_name, "deviceType", "Out_Port", "In_Port")
     SELECT 'FAULT-' || g, 'Switch', g, g FROM generate_series(1, ?::int) g RETURNING id`,
    [devices],
  );
  const ids = deviceRows.map((d) => d.id);
  const { rows } = await knex.raw<{
    rows: Array<{ booking_id: number; device_id: number; start_time: Date; end_time: Date }>;
  }>(
    `INSERT INTO booking_table (device_id, user_id, is_collaborator, grouped_booking_id,
                                start_time, end_time, status, collaborators, created_at)
     SELECT (?::int[])[1 + (g % ?::int)], ?::int, false, 'fault-' || g,
            '2026-11-23 00:00:00'::timestamp + (g / ?::int) * interval '2 hours',
            '2026-11-23 01:30:00'::timestamp + (g / ?::int) * interval '2 hours',
            'confirmed', '[]', ${at}
       FROM generate_series(0, ?::int - 1) g
     RETURNING booking_id, device_id, start_time, end_time`,
    [ids, ids.length, (user as { id: number }).id, ids.length, ids.length, count],
  );
  return rows.map((r) => ({
    bookingId: r.booking_id,
    deviceId: r.device_id,
    startTime: new Date(r.start_time).toISOString(),
    endTime: new Date(r.end_time).toISOString(),
  }));
}

export interface SentEvent {
  readonly eventId: string;
  readonly occurredAt: string;
  readonly name: 'booking.created' | 'booking.updated';
  readonly booking: SeededBooking;
  /** When the (last) enqueue attempt was made. */
  at: number;
  /** Whether Redis accepted it; a refused event is the scheduler's to send again. */
  enqueued: boolean;
  error?: string;
}

/**
 * The scheduler's side: one booking event every `intervalMs`, cycling over the bookings
 * (booking.created the first time a booking comes up, booking.updated after). An enqueue that
 * fails (Redis away) is recorded, not retried: `resend` plays the scheduler sending it again.
 */
export class EventStream {
  readonly sent: SentEvent[] = [];
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private next = 0;

  constructor(
    private readonly producer: Producer,
    private readonly bookings: readonly SeededBooking[],
    private readonly intervalMs: number,
  ) {}

  start(): this {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.sendNext();
        await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Sends `n` events at once (a burst), then returns them. */
  async burst(n: number): Promise<SentEvent[]> {
    const out: SentEvent[] = [];
    for (let i = 0; i < n; i++) out.push(await this.sendNext());
    return out;
  }

  private async sendNext(): Promise<SentEvent> {
    const i = this.next++;
    const booking = this.bookings[i % this.bookings.length] as SeededBooking;
    const event: SentEvent = {
      eventId: randomUUID(),
      occurredAt: new Date().toISOString(),
      name: i < this.bookings.length ? 'booking.created' : 'booking.updated',
      booking,
      at: Date.now(),
      enqueued: false,
    };
    this.sent.push(event);
    await this.enqueue(event);
    return event;
  }

  private async enqueue(event: SentEvent): Promise<void> {
    event.at = Date.now();
    const { bookingId, deviceId, startTime, endTime } = event.booking;
    const base = { eventId: event.eventId, occurredAt: event.occurredAt, bookingId };
    try {
      if (event.name === 'booking.created') await this.producer.enqueue('booking.created', base);
      else
        await this.producer.enqueue('booking.updated', {
          ...base,
          previous: { deviceId, startTime, endTime },
        });
      event.enqueued = true;
      event.error = undefined;
    } catch (error) {
      event.enqueued = false;
      event.error = (error as Error).message;
    }
  }

  /** Sends events again with their own eventId (what the scheduler does after a Redis loss). */
  async resend(events: readonly SentEvent[]): Promise<void> {
    for (const event of events) {
      await this.enqueue(event);
      if (!event.enqueued) throw new Error(`could not resend ${event.eventId}: ${event.error}`);
    }
  }

  enqueued(): SentEvent[] {
    return this.sent.filter((e) => e.enqueued);
  }
}

export interface LabWorkerOptions {
  /** Job lock duration: a killed worker's jobs run again after about this long. */
  readonly lockMs?: number;
  /** Time each event spends in its transaction (jobs in flight when a fault strikes). */
  readonly sleepMs?: number;
  readonly env?: Record<string, string>;
}

export class FaultLab {
  readonly workers: ChildWorker[] = [];
  readonly prefix = `faults-${process.pid}-${randomUUID().slice(0, 8)}`;
  readonly producer: Producer;
  private readonly connection: Redis;
  private closed = false;

  private constructor(
    readonly redis: PrivateRedis,
    readonly pg: PrivatePostgres,
    readonly knex: Knex,
    readonly bookings: readonly SeededBooking[],
  ) {
    this.connection = createRedis(redis.url, 'producer', 'provdb-fault-scheduler');
    this.connection.on('error', () => undefined);
    this.producer = createProducer({ connection: this.connection, prefix: this.prefix });
  }

  /** Starts both servers, creates and migrates the database, seeds `bookings` bookings. */
  static async start(options: { bookings?: number } = {}): Promise<FaultLab> {
    const started: Array<{ destroy(): Promise<void> }> = [];
    try {
      const redis = await PrivateRedis.start();
      started.push(redis);
      const pg = await PrivatePostgres.start();
      started.push(pg);
      const knex = await pg.createDatabase('provdb');
      started.push({ destroy: () => knex.destroy() });
      await migrateLatest(knex);
      const bookings = await seedBookings(knex, options.bookings ?? 200);
      const lab = new FaultLab(redis, pg, knex, bookings);
      await lab.connection.connect();
      return lab;
    } catch (error) {
      for (const s of started.reverse()) await s.destroy().catch(() => undefined);
      throw error;
    }
  }

  get databaseUrl(): string {
    return this.pg.url('provdb');
  }

  get queue(): Queue {
    return this.producer.queue('bookings');
  }

  stream(intervalMs = 20): EventStream {
    return new EventStream(this.producer, this.bookings, intervalMs);
  }

  /** Starts a worker process (shipped handlers + the counted effect) and waits for its start. */
  async startWorker(options: LabWorkerOptions = {}): Promise<ChildWorker> {
    const lockMs = options.lockMs ?? 2_000;
    const child = ChildWorker.test({
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: this.redis.url,
      QUEUE_PREFIX: this.prefix,
      METRICS_PORT: '0',
      LOG_LEVEL: 'info',
      WORKER_CONCURRENCY: '4',
      SHUTDOWN_TIMEOUT_MS: '5000',
      TEST_HANDLERS: 'shipped',
      TEST_LOCK_MS: String(lockMs),
      TEST_HANDLER_SLEEP_MS: String(options.sleepMs ?? 0),
      ...options.env,
    });
    this.workers.push(child);
    await child.waitForLog('of the start', (l) => /^provdb-worker started/.test(l.msg), 30_000);
    return child;
  }

  /** Which of the given events have committed (have a processed_events row). */
  async committed(eventIds: readonly string[]): Promise<Set<string>> {
    const rows = await this.knex('processed_events')
      .whereIn('event_id', [...eventIds])
      .select<Array<{ event_id: string }>>('event_id');
    return new Set(rows.map((r) => r.event_id));
  }

  /** Waits until every given event has committed (processed_events), or fails naming how many are missing. */
  async waitForEvents(what: string, events: readonly SentEvent[], timeoutMs = 45_000): Promise<void> {
    const ids = events.map((e) => e.eventId);
    let missing = ids.length;
    await waitUntil(
      `${what}: ${ids.length} events to commit`,
      async () => {
        missing = ids.length - (await this.committed(ids)).size;
        return missing === 0;
      },
      timeoutMs,
      250,
    ).catch(async (error: Error) => {
      throw new Error(
        `${error.message}; ${missing} of ${ids.length} never committed; ${await this.diagnose()}`,
      );
    });
  }

  /** Queue counts and each worker's last log lines, for failure messages. */
  async diagnose(): Promise<string> {
    const counts = await this.queue
      .getJobCounts('wait', 'delayed', 'active', 'failed', 'completed')
      .then((c) => JSON.stringify(c))
      .catch((error: Error) => `(no queue counts: ${error.message})`);
    const logs = this.workers.map(
      (w, i) =>
        `worker ${i + 1} (${w.running ? 'running' : 'exited'}): ${w.logs
          .slice(-6)
          .map((l) => l.msg)
          .join(' | ')}`,
    );
    const failed = await this.queue
      .getFailed(0, 4)
      .then((jobs) => jobs.map((j) => `${j.name} ${j.id}: ${j.failedReason}`).join(' | '))
      .catch(() => '?');
    const errors = this.workers.flatMap((w) => w.logs.filter((l) => Number(l.level) >= 50).map((l) => l.msg));
    return `queue ${counts}; failed jobs: ${failed || 'none'}; error logs: ${errors.slice(-4).join(' | ') || 'none'}; ${logs.join('; ')}`;
  }

  /**
   * Every event: one processed_events row, exactly one committed test effect, and the shipped
   * handlers' results committed in the same row.
   */
  async assertExactlyOnce(events: readonly SentEvent[]): Promise<void> {
    const ids = [...new Set(events.map((e) => e.eventId))];
    assert.equal(ids.length, events.length, 'the same event was listed twice');
    const counts = await effectCounts(this.knex);
    const missing = ids.filter((id) => !counts.has(id));
    const doubled = ids.filter((id) => (counts.get(id) ?? 0) > 1);
    assert.deepEqual(
      { missing: missing.length, doubled: doubled.length },
      { missing: 0, doubled: 0 },
      `effects: ${JSON.stringify({ missing: missing.slice(0, 5), doubled: doubled.slice(0, 5) })}`,
    );
    const rows = await this.knex('processed_events')
      .whereIn('event_id', ids)
      .select<Array<{ event_id: string; results: Record<string, unknown> | null }>>('event_id', 'results');
    assert.equal(rows.length, ids.length, 'an event has no processed_events row');
    const withoutResults = rows.filter((r) => !HANDLERS.every((h) => r.results && h in r.results));
    assert.deepEqual(
      withoutResults.map((r) => r.event_id),
      [],
      `the handlers (${HANDLERS.join(', ')}) did not all commit their results with the event`,
    );
    // One decision per event: each reservation of the lab is one owner row.
    const decisions = await this.knex('booking_decisions')
      .whereIn('event_id', ids)
      .groupBy('event_id')
      .select<Array<{ event_id: string; count: string }>>('event_id')
      .count('* as count');
    const perEvent = new Map(decisions.map((d) => [d.event_id, Number(d.count)]));
    const wrong = ids.filter((id) => perEvent.get(id) !== 1);
    assert.deepEqual(
      wrong.slice(0, 5).map((id) => ({ id, decisions: perEvent.get(id) ?? 0 })),
      [],
      `${wrong.length} event(s) without exactly one booking decision`,
    );
  }

  /** Nothing left waiting, delayed, active or failed; returns the completed count. */
  async assertQueueSettled(): Promise<number> {
    const counts = await waitUntil(
      'the queue to settle (nothing waiting, delayed or active)',
      async () => {
        const c = await this.queue.getJobCounts(
          'wait',
          'prioritized',
          'delayed',
          'active',
          'failed',
          'completed',
        );
        return (c.wait ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0) + (c.active ?? 0) === 0
          ? c
          : undefined;
      },
      30_000,
      250,
    );
    assert.equal(counts.active, 0, 'a job is stuck active');
    assert.equal(counts.failed, 0, 'a job failed');
    return counts.completed ?? 0;
  }

  /** The worker is the same process it was, still running, and processed a job after `since`. */
  async assertWorkerAlive(worker: ChildWorker, since: number, label: string): Promise<void> {
    assert.ok(worker.running, `${label} exited: ${worker.stderr.slice(-1000)}`);
    await worker.waitForLog(
      `${label}: of a job done after the fault`,
      (l) => (l.outcome === 'completed' || l.outcome === 'duplicate') && Date.parse(String(l.time)) >= since,
    );
  }

  /** Stops the workers, closes the producer and both servers, removes their folders. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const errors: unknown[] = [];
    const step = async (fn: () => Promise<unknown> | unknown) => {
      try {
        await fn();
      } catch (error) {
        errors.push(error);
      }
    };
    for (const worker of this.workers) await step(() => worker.stop());
    await step(() => this.producer.close());
    await step(() => this.connection.disconnect());
    await step(() => this.knex.destroy());
    await step(() => this.pg.destroy());
    await step(() => this.redis.destroy());
    if (errors.length > 0)
      throw new Error(`closing the fault lab: ${String(errors[0])}`, { cause: errors[0] });
  }
}
