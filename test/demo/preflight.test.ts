import assert from 'node:assert/strict';
import net from 'node:net';
import { withDatabase } from '../../src/db/knex';
import { checkPostgres, checkRedis, formatPreflightFailure, preflight } from '../../src/demo/preflight';
import { TEST_PG_URL, TEST_REDIS_URL } from '../support/env';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('demo preflight', () => {
  it('passes with the versions when Postgres and Redis answer', async () => {
    const checks = await preflight({
      databaseUrl: withDatabase(TEST_PG_URL, 'provdb'),
      redisUrl: TEST_REDIS_URL,
    });
    assert.deepEqual(
      checks.map((c) => [c.service, c.ok]),
      [
        ['Postgres', true],
        ['Redis', true],
      ],
    );
    assert.match(checks[0]?.detail ?? '', /^Postgres \d+/);
    assert.match(checks[1]?.detail ?? '', /^Redis \d+/);
    assert.equal(formatPreflightFailure(checks), '');
  });

  it('names the unreachable Postgres and its URL, password hidden, and how to start it', async () => {
    const port = await closedPort();
    const check = await checkPostgres(`postgres://postgres:s3cret@127.0.0.1:${port}/provdb`, {
      timeoutMs: 1_000,
    });
    assert.equal(check.ok, false);
    assert.equal(check.url, `postgres://postgres:***@127.0.0.1:${port}/postgres`);
    const message = formatPreflightFailure([check]);
    assert.match(
      message,
      new RegExp(
        `Postgres at postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${port}/postgres \\(DATABASE_URL\\): .*ECONNREFUSED`,
      ),
    );
    assert.doesNotMatch(message, /s3cret/);
    assert.match(message, /sudo apt-get install postgresql redis-server/);
    assert.match(message, /brew services start postgresql@15/);
    assert.match(message, /docker compose up -d/);
  });

  it('names the unreachable Redis and its URL', async () => {
    const port = await closedPort();
    const check = await checkRedis(`redis://:pw@127.0.0.1:${port}`, { timeoutMs: 1_000 });
    assert.equal(check.ok, false);
    const message = formatPreflightFailure([check]);
    assert.match(message, /Redis is not available/);
    assert.match(
      message,
      new RegExp(`Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port} \\(REDIS_URL\\): .*ECONNREFUSED`),
    );
  });

  it('gives up on a server that accepts but never answers, within its timeout', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const started = Date.now();
      const [pgCheck, redisCheck] = await Promise.all([
        checkPostgres(`postgres://postgres@127.0.0.1:${port}/provdb`, { timeoutMs: 300 }),
        checkRedis(`redis://127.0.0.1:${port}`, { timeoutMs: 300 }),
      ]);
      assert.equal(pgCheck.ok, false);
      assert.equal(redisCheck.ok, false);
      assert.ok(Date.now() - started < 2_000, `both gave up in ${Date.now() - started} ms`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
