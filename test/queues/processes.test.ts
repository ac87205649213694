/**
 * Worker processes killed, stopped and started against unreachable services: real child
 * processes (test/support/worker-process.ts runs what `provdb-worker start` runs, with a test
 * handler whose effect is an admin_audit_log row written in the job's transaction).
 */
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { createRedis } from '../../src/queues/connection';
import { createProducer, type Producer } from '../../src/queues/producer';
import { emptyDatabase, migratedDatabase, type TestDatabase } from '../support/db';
import { TEST_REDIS_URL } from '../support/env';
import { ChildWorker } from '../support/process';
import { TcpProxy } from '../support/proxy';
import { deletePrefix, uniquePrefix } from '../support/redis';
import { effectCounts, waitUntil } from '../support/runtime';

describe('worker processes', function () {
  this.timeout(90_000);
  this.slow(10_000);

  let db: TestDatabase;
  let redis: Redis;
  const children: ChildWorker[] = [];
  const prefixes: string[] = [];
  const producers: Producer[] = [];

  before(async () => {
    db = await migratedDatabase();
    redis = createRedis(TEST_REDIS_URL, 'producer');
    await redis.connect();
  });
  after(async () => {
    for (const child of children) await child.stop();
    for (const producer of producers) await producer.close();
    redis?.disconnect();
    for (const prefix of prefixes) await deletePrefix(prefix);
    await db?.drop();
  });

  function setup(label: string): { prefix: string; producer: Producer; env: Record<string, string> } {
    const prefix = uniquePrefix(label);
    prefixes.push(prefix);
    const producer = createProducer({ connection: redis, prefix });
    producers.push(producer);
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      METRICS_PORT: '0',
      LOG_LEVEL: 'info',
      WORKER_CONCURRENCY: '4',
    };
    return { prefix, producer, env };
  }

  function worker(env: Record<string, string>): ChildWorker {
    const child = ChildWorker.test(env);
    children.push(child);
    return child;
  }

  async function enqueueBurst(producer: Producer, n: number, firstId: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++)
      ids.push((await producer.enqueue('booking.created', { bookingId: firstId + i })).eventId);
    return ids;
  }

  async function assertExactlyOnce(ids: readonly string[]): Promise<void> {
    const counts = await effectCounts(db.knex);
    const missing = ids.filter((id) => !counts.has(id));
    const doubled = ids.filter((id) => (counts.get(id) ?? 0) > 1);
    assert.deepEqual({ missing, doubled }, { missing: [], doubled: [] });
    const rows = await db
      .knex('processed_events')
      .whereIn('event_id', ids)
      .count<[{ count: number }]>('* as count');
    assert.equal(Number(rows[0]?.count), ids.length);
  }

  it('recovers the jobs of a worker killed with SIGKILL in a second worker, each effect once', async () => {
    const { producer, env } = setup('sigkill');
    const workerEnv = { ...env, TEST_HANDLER_SLEEP_MS: '250', TEST_LOCK_MS: '2000' };
    const ids = await enqueueBurst(producer, 40, 1000);
    const first = worker(workerEnv);
    await first.waitForLog(
      'of a few completed jobs',
      () => first.logs.filter((l) => l.outcome === 'completed').length >= 6,
    );
    const active = await producer.queue('bookings').getActiveCount();
    assert.ok(active > 0, 'no job was in flight when the worker was killed');
    first.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');

    const second = worker(workerEnv);
    await waitUntil(
      'every job to complete',
      async () => (await producer.queue('bookings').getCompletedCount()) === ids.length,
      60_000,
      200,
    );
    await second.waitForLog('about a stalled job', (l) => /stalled/.test(l.msg));
    await assertExactlyOnce(ids);
    assert.equal(await producer.queue('bookings').getFailedCount(), 0);
    second.kill('SIGTERM');
    assert.equal((await second.exited).code, 0);
  });

  it('finishes its active jobs on SIGTERM during a burst, exits 0 and loses nothing', async () => {
    const { producer, env } = setup('sigterm');
    const workerEnv = { ...env, TEST_HANDLER_SLEEP_MS: '400' };
    const ids = await enqueueBurst(producer, 30, 2000);
    const first = worker(workerEnv);
    await first.waitForLog('of a first completed job', (l) => l.outcome === 'completed');
    first.kill('SIGTERM');
    const exit = await first.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, first.stderr);
    await first.waitForLog('of the stop', (l) => l.msg === 'provdb-worker stopped');
    const q = producer.queue('bookings');
    const counts = await q.getJobCounts('active', 'failed', 'completed', 'wait');
    assert.equal(counts.active, 0, 'a job was left active');
    assert.equal(counts.failed, 0);
    assert.ok((counts.wait ?? 0) > 0, 'the worker should have stopped fetching new jobs');
    // Every job the first worker started, it finished: its completed jobs have their effect.
    assert.equal(first.logs.filter((l) => l.outcome === 'completed').length, counts.completed);

    const second = worker(workerEnv);
    await waitUntil(
      'the rest to complete',
      async () => (await q.getCompletedCount()) === ids.length,
      60_000,
      200,
    );
    await assertExactlyOnce(ids);
    second.kill('SIGINT');
    assert.equal((await second.exited).code, 0);
  });

  it('stops waiting for active jobs on a second signal, or when the deadline passes, and exits 1', async () => {
    for (const [how, extra] of [
      ['second signal', { SHUTDOWN_TIMEOUT_MS: '60000' }],
      ['deadline', { SHUTDOWN_TIMEOUT_MS: '300' }],
    ] as const) {
      const { producer, env } = setup('force');
      await enqueueBurst(producer, 4, 3000);
      const child = worker({ ...env, ...extra, TEST_HANDLER_SLEEP_MS: '20000', TEST_LOCK_MS: '2000' });
      await child.waitForLog(`${how}: of the start`, (l) => /^provdb-worker started/.test(l.msg));
      await waitUntil(
        `${how}: jobs in flight`,
        async () => (await producer.queue('bookings').getActiveCount()) > 0,
      );
      const start = Date.now();
      child.kill('SIGTERM');
      if (how === 'second signal') {
        await child.waitForLog('of the first signal', (l) => /SIGTERM received: stopping/.test(l.msg));
        child.kill('SIGTERM');
      }
      const exit = await child.exited;
      assert.equal(exit.code, 1, `${how}: ${child.stderr}`);
      assert.ok(Date.now() - start < 8_000, `${how}: took ${Date.now() - start} ms`);
      await child.waitForLog(`${how}: about abandoned jobs`, (l) =>
        /leaving \d+ active job\(s\) to be run again/.test(l.msg),
      );
    }
  });

  for (const service of ['Postgres', 'Redis'] as const) {
    it(`waits for ${service} at start-up, with a clear log line, then starts`, async () => {
      const { producer, env } = setup(`wait-${service}`);
      const target = service === 'Postgres' ? new URL(db.url) : new URL(TEST_REDIS_URL);
      const proxy = await TcpProxy.start(Number(target.port));
      await proxy.cut();
      const url = proxy.url(service === 'Postgres' ? db.url : TEST_REDIS_URL);
      const child = worker({
        ...env,
        ...(service === 'Postgres' ? { DATABASE_URL: url } : { REDIS_URL: url }),
      });
      try {
        const retrying = await child.waitForLog('about the retry', (l) =>
          new RegExp(
            `^${service} at .* is not reachable \\(.*\\): retrying in \\d+ ms \\(attempt 2\\)$`,
          ).test(l.msg),
        );
        assert.equal(retrying.level, 40);
        const http = await child.waitForLog('of the HTTP server', (l) => /HTTP server listening/.test(l.msg));
        assert.equal((await fetch(`${http.url}/healthz`)).status, 200);
        assert.equal((await fetch(`${http.url}/readyz`)).status, 503);
        await proxy.restore();
        await child.waitForLog('of the start', (l) => /^provdb-worker started/.test(l.msg));
        assert.equal((await fetch(`${http.url}/readyz`)).status, 200);
        const { eventId } = await producer.enqueue('booking.created', { bookingId: 4000 });
        await waitUntil('the effect', async () => (await effectCounts(db.knex)).get(eventId) === 1);
        child.kill('SIGTERM');
        assert.equal((await child.exited).code, 0);
      } finally {
        await proxy.close();
      }
    });
  }

  it('runs as `provdb-worker start --queues`, and stops on SIGINT with exit code 0', async () => {
    const { env } = setup('cli');
    const child = ChildWorker.cli(['start', '--queues', 'bookings,devices'], env);
    children.push(child);
    const started = await child.waitForLog('of the start', (l) => /^provdb-worker started/.test(l.msg));
    assert.deepEqual(started.queues, ['bookings', 'devices']);
    // Every job of these queues has a shipped handler: no "no handler registered" warning, which
    // is logged before the start line.
    assert.deepEqual(
      child.logs.filter((l) => /^no handler registered for /.test(l.msg)),
      [],
    );
    child.kill('SIGINT');
    assert.deepEqual(await child.exited, { code: 0, signal: null });
  });

  it('refuses to start on a database that is not migrated, and on an unknown queue', async () => {
    const { env } = setup('cli-bad');
    const empty = await emptyDatabase();
    try {
      const child = ChildWorker.cli(['start'], { ...env, DATABASE_URL: empty.url });
      children.push(child);
      assert.equal((await child.exited).code, 1);
      await child.waitForLog('of the reason', (l) =>
        /could not start: table processed_events is missing: run `provdb-worker migrate` first/.test(l.msg),
      );
    } finally {
      await empty.drop();
    }
    const badQueue = ChildWorker.cli(['start', '--queues', 'bookings,nope'], env);
    children.push(badQueue);
    assert.equal((await badQueue.exited).code, 2);
    assert.match(
      badQueue.stderr,
      /--queues: unknown queue\(s\) nope; known queues: bookings, devices, topologies, maintenance/,
    );
  });
});
