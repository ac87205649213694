import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { type App, createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { AppDeps } from '../../src/deps';
import { HandlerRegistry } from '../../src/queues/handlers';
import { processEvent } from '../../src/queues/process-event';
import { eventData, scheduledEventId } from '../../src/queues/schedules';
import { RECONCILE_CHUNK_BUCKETS, reconcileRecent } from '../../src/rollups/backfill';
import { ROLLUP_LOCK_CLASS } from '../../src/rollups/compute';
import { rollupHandlers } from '../../src/rollups/handlers';
import { RECONCILE_SCHEDULER_ID, rollupReconcileHandlers } from '../../src/rollups/reconcile';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { deliver, registryOf } from '../support/events';
import { deletePrefix, uniquePrefix } from '../support/redis';
import { captureLogs, testConfig, waitUntil } from '../support/runtime';
import { Lab } from '../topologies/lab';

const HOUR = 3_600_000;
/** The hour bucket holding `ms`. */
const hourOf = (ms: number) => new Date(Math.floor(ms / HOUR) * HOUR);

async function bookedSeconds(knex: Knex, deviceId: number, hour: Date): Promise<number | undefined> {
  const row = await knex('utilization_rollups')
    .where({ device_id: deviceId, granularity: 'hour', bucket_start: hour.toISOString() })
    .first('booked_seconds');
  return row?.booked_seconds;
}

interface ReconcileRow {
  event_id: string;
  job_id: string;
  results: { rollups: { devices: number; written: number } } | null;
}

async function reconcileRows(knex: Knex): Promise<ReconcileRow[]> {
  return knex('processed_events')
    .where({ job_name: 'rollups.reconcile' })
    .orderBy('processed_at')
    .select('event_id', 'job_id', 'results');
}

describe('rollups/reconcile: the periodic reconciliation job', function () {
  this.timeout(60_000);

  describe('event ids of scheduled runs', () => {
    it('derives one UUID per scheduled run, the same for a redelivery of that run', () => {
      const a = scheduledEventId('maintenance', 'repeat:rollups-reconcile:1764000000000');
      assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(scheduledEventId('maintenance', 'repeat:rollups-reconcile:1764000000000'), a);
      assert.notEqual(scheduledEventId('maintenance', 'repeat:rollups-reconcile:1764000900000'), a);
      assert.notEqual(scheduledEventId('bookings', 'repeat:rollups-reconcile:1764000000000'), a);
    });

    it('fills eventId and occurredAt (the due time) of scheduler-made jobs only', () => {
      const scheduled = eventData({
        id: 'repeat:rollups-reconcile:1764000000000',
        repeatJobKey: 'rollups-reconcile',
        queueName: 'maintenance',
        data: { lookbackHours: 48, eventId: '3d1e5f7a-9b2c-4d4e-8f60-718293a4b5c3' },
        timestamp: 1763999999000,
        opts: { prevMillis: 1764000000000 } as never,
      });
      assert.deepEqual(scheduled, {
        lookbackHours: 48,
        // A template's eventId would repeat on every run: the run's own id replaces it.
        eventId: scheduledEventId('maintenance', 'repeat:rollups-reconcile:1764000000000'),
        occurredAt: new Date(1764000000000).toISOString(),
      });
      const data = { eventId: '3d1e5f7a-9b2c-4d4e-8f60-718293a4b5c3', occurredAt: 'x', lookbackHours: 1 };
      assert.equal(
        eventData({ id: data.eventId, queueName: 'maintenance', data, timestamp: 0, opts: {} }),
        data,
      );
    });
  });

  describe('in a running worker', () => {
    let db: TestDatabase;
    let lab: Lab;
    const prefixes: string[] = [];
    const apps: App[] = [];

    before(async () => {
      db = await migratedDatabase();
      lab = new Lab(db.knex);
    });
    afterEach(async () => {
      await Promise.all(apps.splice(0).map((app) => app.close()));
      for (const prefix of prefixes.splice(0)) await deletePrefix(prefix);
      await db.knex('processed_events').delete();
    });
    after(async () => {
      await db?.drop();
    });

    async function worker(prefix: string, queues: Parameters<App['start']>[0] = { queues: ['maintenance'] }) {
      const app = await createApp(
        testConfig(db.url, prefix, { ROLLUP_RECONCILE_INTERVAL: '1s', ROLLUP_RECONCILE_LOOKBACK_HOURS: '6' }),
        { logger: captureLogs('warn').logger },
      );
      apps.push(app);
      await app.start(queues);
      return app;
    }

    it('runs every interval, each run a new event, and catches a booking written without an event', async () => {
      const device = await lab.device();
      const user = await lab.user();
      const hour = hourOf(Date.now() - 3 * HOUR);
      // Written the way the scheduler sometimes does: no booking.created event follows.
      await lab.booking({
        deviceId: device.id,
        userId: user,
        from: hour,
        to: new Date(hour.getTime() + HOUR),
        status: 'confirmed',
      });
      assert.equal(await bookedSeconds(db.knex, device.id, hour), undefined);

      const prefix = uniquePrefix('reconcile');
      prefixes.push(prefix);
      const app = await worker(prefix);
      const rows = await waitUntil('two reconciliation runs', async () => {
        const found = await reconcileRows(db.knex);
        return found.length >= 2 ? found : undefined;
      });
      // Both runs executed (neither was taken for a duplicate of the other).
      assert.notEqual(rows[0]!.event_id, rows[1]!.event_id);
      for (const row of rows.slice(0, 2)) {
        assert.match(row.job_id, new RegExp(`^repeat:${RECONCILE_SCHEDULER_ID}:\\d+$`));
        assert.equal(row.event_id, scheduledEventId('maintenance', row.job_id));
        assert.ok(row.results && row.results.rollups.devices >= 1, JSON.stringify(row.results));
      }
      assert.equal(await bookedSeconds(db.knex, device.id, hour), 3600);

      // Redelivering a run that completed (as after a crash before BullMQ heard of the commit)
      // has no second effect: the same job id gives the same eventId.
      const queue = app.deps.producer.queue('maintenance');
      const job = await queue.getJob(rows[0]!.job_id);
      assert.ok(job, `job ${rows[0]!.job_id} is retained`);
      const before = (await reconcileRows(db.knex)).length;
      await job.retry('completed');
      const again = await waitUntil('the redelivered run to finish', async () => {
        const j = await queue.getJob(rows[0]!.job_id);
        return j && (await j.getState()) === 'completed' && j.returnvalue?.outcome ? j : undefined;
      });
      assert.equal(again.returnvalue.outcome, 'duplicate');
      assert.equal(again.returnvalue.eventId, rows[0]!.event_id);
      const rowsNow = await reconcileRows(db.knex);
      assert.equal(rowsNow.filter((r) => r.job_id === rows[0]!.job_id).length, 1);
      assert.ok(rowsNow.length >= before);
    });

    it('is scheduled once however many workers upsert it, and only by workers of the maintenance queue', async () => {
      const prefix = uniquePrefix('reconcile-many');
      prefixes.push(prefix);
      const bookingsOnly = await worker(prefix, { queues: ['bookings'] });
      const maintenance = bookingsOnly.deps.producer.queue('maintenance');
      assert.equal(await maintenance.getJobSchedulersCount(), 0, 'a bookings-only worker schedules nothing');

      await worker(prefix);
      await worker(prefix);
      await worker(prefix);
      assert.equal(await maintenance.getJobSchedulersCount(), 1);
      const scheduler = await maintenance.getJobScheduler(RECONCILE_SCHEDULER_ID);
      assert.equal(scheduler?.every, 1000);
      assert.equal(scheduler?.name, 'rollups.reconcile');

      // Three workers consuming the queue still run each scheduled slot once: no run is taken
      // for a duplicate, and the runs are an interval apart (the upserts added no extra runs).
      const rows = await waitUntil('four reconciliation runs', async () => {
        const found = await reconcileRows(db.knex);
        return found.length >= 4 ? found : undefined;
      });
      const due = rows.map((r) => Number(r.job_id.split(':').pop())).sort((a, b) => a - b);
      assert.deepEqual(
        due.slice(1).map((ms, i) => ms - due[i]!),
        due.slice(1).map(() => 1000),
        `due times ${due.join(', ')}`,
      );
      let duplicates = 0;
      for (const app of apps) {
        const metric = await app.deps.metrics.registry.getSingleMetric('provdb_jobs_processed_total')!.get();
        for (const v of metric.values) {
          if (v.labels.job === 'rollups.reconcile' && v.labels.outcome === 'duplicate') duplicates += v.value;
        }
      }
      assert.equal(duplicates, 0);
    });

    it('schedules again when Redis comes back without its data', async () => {
      const prefix = uniquePrefix('reconcile-lost');
      prefixes.push(prefix);
      const app = await worker(prefix);
      const maintenance = app.deps.producer.queue('maintenance');
      assert.equal(await maintenance.getJobSchedulersCount(), 1);
      // What a Redis restarted with nothing persisted looks like to the worker: its keys are gone
      // (only this test's prefix is deleted), then its connection comes back.
      await deletePrefix(prefix);
      assert.equal(await maintenance.getJobSchedulersCount(), 0);
      app.deps.redis.disconnect(true);
      const scheduler = await waitUntil(
        'the scheduler to be upserted again',
        async () => (await maintenance.getJobScheduler(RECONCILE_SCHEDULER_ID)) ?? undefined,
      );
      assert.equal(scheduler.every, 1000);
      await waitUntil('a reconciliation run after the loss', async () => {
        const found = await reconcileRows(db.knex);
        return found.length >= 1 ? found : undefined;
      });
    });
  });

  describe('locks', () => {
    let db: TestDatabase;
    let lab: Lab;

    before(async () => {
      db = await migratedDatabase();
      lab = new Lab(db.knex);
    });
    after(async () => {
      await db?.drop();
    });

    it('commits chunk by chunk: a booking event on a reconciled device does not wait for the whole run', async () => {
      const devices: number[] = [];
      for (let i = 0; i < 30; i += 1) devices.push((await lab.device()).id);
      const user = await lab.user();
      const first = devices[0]!;
      const last = devices[devices.length - 1]!;
      // 48 h back and a week ahead: 226 buckets per device, so 30 devices make two chunks.
      assert.ok(30 * 226 > RECONCILE_CHUNK_BUCKETS);

      // Another transaction holds the last device's rollup lock (a long event on that device):
      // the reconciliation gets through its first chunk, then waits.
      const holder = await db.knex.transaction();
      await holder.raw('SELECT pg_advisory_xact_lock(?, ?)', [ROLLUP_LOCK_CLASS, last]);

      const registry = new HandlerRegistry();
      const deps = { config: loadConfig({}), knex: db.knex } as unknown as AppDeps;
      await rollupReconcileHandlers.register(registry, deps);
      const reconciling = processEvent(
        { knex: db.knex, handlers: registry, logger: captureLogs('fatal').logger },
        {
          jobName: 'rollups.reconcile',
          payload: {
            eventId: '7e57e57e-0000-4000-8000-000000000001',
            occurredAt: new Date().toISOString(),
            lookbackHours: 48,
          },
          queue: 'maintenance',
          jobId: 'repeat:rollups-reconcile:1',
          attempt: 1,
        },
      );
      const hour = hourOf(Date.now() - 5 * HOUR);
      await waitUntil(
        'the first chunk to commit',
        async () => (await bookedSeconds(db.knex, first, hour)) === 0,
      );

      // A booking event on the first device runs to completion while the run is still blocked.
      const bookingId = await lab.booking({
        deviceId: first,
        userId: user,
        from: hour,
        to: new Date(hour.getTime() + HOUR),
        status: 'confirmed',
      });
      const result = await deliver(db.knex, registryOf(rollupHandlers), 'booking.created', { bookingId });
      assert.equal(result.outcome, 'completed');
      assert.equal(await bookedSeconds(db.knex, first, hour), 3600);
      const pending = await Promise.race([reconciling.then(() => 'done'), Promise.resolve('pending')]);
      assert.equal(pending, 'pending', 'the reconciliation is still waiting for the held device');

      await holder.commit();
      const done = await reconciling;
      assert.equal(done.outcome, 'completed');
      assert.ok(done.outcome === 'completed');
      assert.deepEqual(
        {
          devices: (done.results.rollups as { devices: number }).devices,
          chunks: (done.results.rollups as { chunks: number }).chunks,
        },
        { devices: 30, chunks: 2 },
      );
      assert.equal(await bookedSeconds(db.knex, first, hour), 3600);
    });

    it('reconciles in chunks no larger than RECONCILE_CHUNK_BUCKETS', async () => {
      const sizes: number[] = [];
      const result = await reconcileRecent(db.knex, { onProgress: (p) => sizes.push(p.buckets) });
      assert.ok(result.chunks >= 2);
      assert.ok(Math.max(...sizes) <= RECONCILE_CHUNK_BUCKETS, sizes.join(', '));
    });
  });
});
