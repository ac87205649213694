import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type App, createApp } from '../../src/app';
import { JOB_NAMES, QUEUE_NAMES } from '../../src/contracts';
import { JOB_OUTCOMES, RETRY_REASONS, UNKNOWN_JOB } from '../../src/metrics/jobs';
import { QUEUE_STATES } from '../../src/metrics/queue-depth';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { TEST_REDIS_URL } from '../support/env';
import { sampleValue, scrape } from '../support/metrics';
import { TcpProxy } from '../support/proxy';
import { deletePrefix, uniquePrefix } from '../support/redis';
import { auditModule, captureLogs, EVENT_AT, testConfig, waitUntil } from '../support/runtime';

const FAILING_BOOKING = 666;

describe('job and queue metrics', () => {
  let db: TestDatabase;
  let app: App;
  let redis: TcpProxy;
  const prefix = uniquePrefix('metrics');
  const bookings = { queue: 'bookings', job: 'booking.created' };

  before(async () => {
    db = await migratedDatabase();
    redis = await TcpProxy.start(Number(new URL(TEST_REDIS_URL).port || 6379));
    app = await createApp(testConfig(db.url, prefix, { REDIS_URL: redis.url(TEST_REDIS_URL) }), {
      logger: captureLogs().logger,
      handlerModules: [
        auditModule({
          jobs: ['booking.created'],
          before: ({ payload }) => {
            if ((payload as { bookingId: number }).bookingId === FAILING_BOOKING) throw new Error('boom');
          },
        }),
      ],
      tuning: { queueStatsCacheMs: 100, queueStatsTimeoutMs: 300 },
    });
    await app.start({ queues: ['bookings'] });
  });

  after(async () => {
    await app?.close();
    await redis?.close();
    await deletePrefix(prefix);
    await db?.drop();
  });

  it('counts a burst of completed, failed, invalid and duplicate jobs, and times them', async () => {
    const q = app.deps.producer.queue('bookings');
    const duplicates = Array.from({ length: 3 }, () => randomUUID());
    // Events the database already recorded as processed (as after BullMQ's retention dropped them).
    await db.knex('processed_events').insert(
      duplicates.map((eventId) => ({
        event_id: eventId,
        job_name: 'booking.created',
        outcome: 'completed',
        queue: 'bookings',
        job_id: eventId,
        attempt: 1,
      })),
    );
    const ids: string[] = [];
    for (let i = 0; i < 12; i++)
      ids.push((await app.deps.producer.enqueue('booking.created', { bookingId: i + 1 })).jobId);
    for (let i = 0; i < 2; i++) {
      ids.push((await app.deps.producer.enqueue('booking.created', { bookingId: FAILING_BOOKING })).jobId);
    }
    for (let i = 0; i < 4; i++) {
      const jobId = randomUUID();
      await q.add('booking.created', { eventId: jobId, occurredAt: EVENT_AT, bookingId: 'x' }, { jobId });
      ids.push(jobId);
    }
    for (const eventId of duplicates) {
      ids.push((await app.deps.producer.enqueue('booking.created', { eventId, bookingId: 1 })).jobId);
    }
    await waitUntil('the burst to be processed', async () => {
      const counts = await q.getJobCounts('completed', 'failed');
      return (counts.completed ?? 0) + (counts.failed ?? 0) >= ids.length;
    });

    const { status, samples } = await scrape(app.http.url as string);
    assert.equal(status, 200);
    const processed = (outcome: string) =>
      sampleValue(samples, 'provdb_jobs_processed_total', { ...bookings, outcome });
    assert.equal(processed('completed'), 12);
    assert.equal(processed('failed'), 2);
    assert.equal(processed('invalid'), 4);
    assert.equal(processed('duplicate'), 3);
    // Every run that reached the handlers is timed (invalid payloads never do).
    assert.equal(sampleValue(samples, 'provdb_job_duration_seconds_count', bookings), 12 + 2 + 3);
    assert.ok((sampleValue(samples, 'provdb_job_duration_seconds_sum', bookings) ?? 0) > 0);
    assert.equal(sampleValue(samples, 'provdb_job_lag_seconds_count', { queue: 'bookings' }), ids.length);
    // Process metrics carry the prefix too.
    assert.ok(sampleValue(samples, 'provdb_process_cpu_seconds_total') !== undefined);
    assert.ok(sampleValue(samples, 'provdb_nodejs_eventloop_lag_seconds') !== undefined);
  });

  it('never uses a label value outside the allowed sets', async () => {
    // An unknown job name must not create a new series named after it.
    const jobId = randomUUID();
    await app.deps.producer.queue('bookings').add(`booking.${randomUUID()}`, { eventId: jobId }, { jobId });
    await waitUntil('the unknown job to fail', async () => {
      const { samples } = await scrape(app.http.url as string);
      return (
        sampleValue(samples, 'provdb_jobs_processed_total', { job: UNKNOWN_JOB, outcome: 'invalid' }) === 1
      );
    });
    const allowed: Record<string, readonly string[]> = {
      queue: QUEUE_NAMES,
      job: [...JOB_NAMES, UNKNOWN_JOB],
      outcome: JOB_OUTCOMES,
      reason: RETRY_REASONS,
      state: QUEUE_STATES,
    };
    const { samples } = await scrape(app.http.url as string);
    const ours = samples.filter((s) => /^provdb_(jobs?|queue)_/.test(s.name));
    assert.ok(ours.length > 50);
    for (const sample of ours) {
      for (const [label, value] of Object.entries(sample.labels)) {
        if (label === 'le') continue;
        assert.ok(allowed[label], `${sample.name} has an unexpected label ${label}`);
        assert.ok(
          allowed[label]?.includes(value),
          `${sample.name}{${label}="${value}"} is outside the allowed set`,
        );
      }
    }
  });

  it('reports queue depth per state, and keeps the last counts (stale) while Redis is away', async () => {
    await waitUntil('queue counts', async () => {
      const { samples } = await scrape(app.http.url as string);
      return sampleValue(samples, 'provdb_queue_jobs', { queue: 'bookings', state: 'failed' }) === 7;
    });
    const before = await scrape(app.http.url as string);
    for (const state of QUEUE_STATES) {
      assert.notEqual(
        sampleValue(before.samples, 'provdb_queue_jobs', { queue: 'devices', state }),
        undefined,
      );
    }
    const seenAt = sampleValue(before.samples, 'provdb_queue_jobs_last_success_timestamp_seconds', {
      queue: 'bookings',
    });
    assert.ok(seenAt && Math.abs(seenAt - Date.now() / 1000) < 5);

    for (const outage of ['stall', 'cut'] as const) {
      if (outage === 'stall') redis.stall();
      else await redis.cut();
      await new Promise((resolve) => setTimeout(resolve, 250)); // past the cache lifetime
      const during = await scrape(app.http.url as string);
      assert.equal(during.status, 200, `${outage}: the scrape failed`);
      assert.ok(during.ms < 1_500, `${outage}: the scrape took ${Math.round(during.ms)} ms`);
      assert.equal(
        sampleValue(during.samples, 'provdb_queue_jobs', { queue: 'bookings', state: 'failed' }),
        7,
      );
      assert.equal(
        sampleValue(during.samples, 'provdb_queue_jobs_last_success_timestamp_seconds', {
          queue: 'bookings',
        }),
        seenAt,
        `${outage}: the counts should be stale`,
      );
      // The job counters are in-process: unaffected.
      assert.equal(
        sampleValue(during.samples, 'provdb_jobs_processed_total', { ...bookings, outcome: 'completed' }),
        12,
      );
      await redis.restore();
    }

    await waitUntil('fresh counts after Redis came back', async () => {
      const { samples } = await scrape(app.http.url as string);
      const at = sampleValue(samples, 'provdb_queue_jobs_last_success_timestamp_seconds', {
        queue: 'bookings',
      });
      return at !== undefined && seenAt !== undefined && at > seenAt;
    });
  });
});
