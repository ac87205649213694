/**
 * Postgres or Redis going away while the worker runs (through a TCP proxy, so the shared
 * servers stay up for everyone else): jobs are retried or wait, nothing crashes, and work
 * resumes by itself when the service is back.
 */
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { type App, createApp } from '../../src/app';
import { createRedis } from '../../src/queues/connection';
import { createProducer, type Producer } from '../../src/queues/producer';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { TEST_REDIS_URL } from '../support/env';
import { TcpProxy } from '../support/proxy';
import { deletePrefix, uniquePrefix } from '../support/redis';
import {
  auditModule,
  type CapturedLogs,
  captureLogs,
  effectCounts,
  testConfig,
  waitUntil,
} from '../support/runtime';

describe('losing Postgres or Redis while running', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let app: App;
  let logs: CapturedLogs;
  let pg: TcpProxy;
  let redisProxy: TcpProxy;
  let scheduler: { redis: Redis; producer: Producer };
  const prefix = uniquePrefix('outage');

  before(async () => {
    db = await migratedDatabase();
    pg = await TcpProxy.start(Number(new URL(db.url).port));
    redisProxy = await TcpProxy.start(Number(new URL(TEST_REDIS_URL).port));
    logs = captureLogs();
    app = await createApp(testConfig(pg.url(db.url), prefix, { REDIS_URL: redisProxy.url(TEST_REDIS_URL) }), {
      logger: logs.logger,
      handlerModules: [auditModule({ jobs: ['booking.created'] })],
      tuning: {
        retry: {
          notFound: { attempts: 2, baseDelayMs: 100, maxDelayMs: 100 },
          transient: { attempts: 50, baseDelayMs: 100, maxDelayMs: 400 },
        },
      },
    });
    await app.start({ queues: ['bookings'] });
    // The scheduler keeps its own, direct connection to Redis.
    const redis = createRedis(TEST_REDIS_URL, 'producer');
    await redis.connect();
    scheduler = { redis, producer: createProducer({ connection: redis, prefix }) };
  });

  after(async () => {
    await app?.close();
    await scheduler?.producer.close();
    scheduler?.redis.disconnect();
    await pg?.close();
    await redisProxy?.close();
    await deletePrefix(prefix);
    await db?.drop();
  });

  const ready = async () => (await fetch(`${app.http.url}/readyz`)).status;
  const effectOf = async (eventId: string) => (await effectCounts(db.knex)).get(eventId);

  it('retries jobs while Postgres is away and completes them once it is back', async () => {
    const { eventId: before } = await scheduler.producer.enqueue('booking.created', { bookingId: 1 });
    await waitUntil('a first job', async () => (await effectOf(before)) === 1);

    await pg.cut();
    const { eventId } = await scheduler.producer.enqueue('booking.created', { bookingId: 2 });
    const retry = await waitUntil('a retry of the job', () =>
      logs.lines.find((l) => l.eventId === eventId && l.outcome === 'retry'),
    );
    assert.equal(retry.kind, 'transient');
    assert.equal(await ready(), 503);

    await pg.restore();
    await waitUntil('the job to complete', async () => (await effectOf(eventId)) === 1, 20_000);
    assert.equal(await ready(), 200);
    const job = await scheduler.producer.queue('bookings').getJob(eventId);
    assert.equal(await job?.getState(), 'completed');
  });

  it('waits while Redis is away and picks up jobs enqueued meanwhile once it is back', async () => {
    await redisProxy.cut();
    const { eventId } = await scheduler.producer.enqueue('booking.created', { bookingId: 3 });
    await waitUntil('readiness to report Redis', async () => (await ready()) === 503);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await effectOf(eventId), undefined);

    await redisProxy.restore();
    await waitUntil('the job to complete', async () => (await effectOf(eventId)) === 1, 30_000);
    await waitUntil('readiness', async () => (await ready()) === 200);
    assert.ok(logs.lines.some((l) => /Redis connection lost/.test(l.msg)));
    assert.ok(logs.lines.some((l) => /Redis connection restored/.test(l.msg)));
  });
});
