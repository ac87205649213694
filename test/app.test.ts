import assert from 'node:assert/strict';
import { createApp } from '../src/app';
import { migratedDatabase, type TestDatabase } from './support/db';
import { deletePrefix, uniquePrefix } from './support/redis';
import { captureLogs, testConfig } from './support/runtime';

describe('application lifecycle', () => {
  let db: TestDatabase;
  const prefix = uniquePrefix('app');

  before(async () => {
    db = await migratedDatabase();
  });
  after(async () => {
    await deletePrefix(prefix);
    await db?.drop();
  });

  it('closes everything in order, even when one step fails, and only once', async () => {
    const { logger, lines } = captureLogs();
    const closed: string[] = [];
    const app = await createApp(testConfig(db.url, prefix), {
      logger,
      handlerModules: [
        {
          name: 'part',
          register(_registry, deps) {
            deps.onClose('first part resource', () => void closed.push('first'));
            deps.onClose('watcher', () => {
              closed.push('watcher');
              throw new Error('watcher already gone');
            });
          },
        },
      ],
    });
    await app.start({ queues: ['bookings'] });
    const url = app.http.url as string;
    assert.equal((await fetch(`${url}/readyz`)).status, 200);

    const [report, again] = await Promise.all([app.close(), app.close()]);
    assert.deepEqual(report, { forced: false, errors: ['watcher: watcher already gone'] });
    assert.equal(again, report);
    assert.equal(await app.close(), report);
    assert.equal(await app.closed, report);
    // Cleanups run last-registered first, and the failing one did not stop the rest.
    assert.deepEqual(closed, ['watcher', 'first']);
    await assert.rejects(
      app.deps.knex.raw('SELECT 1'),
      /pool is probably destroyed|Unable to acquire a connection/,
    );
    assert.equal(app.deps.redis.status, 'end');
    await assert.rejects(fetch(`${url}/healthz`));
    const stopped = lines.find((l) => l.msg === 'provdb-worker stopped with problems');
    assert.ok(stopped);
  });

  it('stops promptly when closed while start-up waits for an unreachable Postgres', async () => {
    const { logger, lines } = captureLogs();
    const app = await createApp(testConfig('postgres://postgres@127.0.0.1:1/provdb', prefix), {
      logger,
      handlerModules: [],
      tuning: { startupRetryInitialMs: 100, startupRetryMaxMs: 100 },
    });
    const starting = app.start();
    while (!lines.some((l) => /^Postgres at .* is not reachable/.test(l.msg))) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const before = Date.now();
    const report = await app.close();
    await assert.rejects(starting, /shutting down/);
    assert.ok(Date.now() - before < 2_000);
    assert.deepEqual(report, { forced: false, errors: [] });
  });
});
