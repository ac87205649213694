// Nothing leaks: passwords of DATABASE_URL / REDIS_URL never appear in what a command prints,
// in a configuration error, or in the /readyz body; the HTTP server binds to loopback unless
// METRICS_HOST says otherwise.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { createApp } from '../../src/app';
import { ConfigError, DEFAULTS, loadConfig, redactUrl } from '../../src/config';
import { captureLogs, waitUntil } from '../support/runtime';

const BIN = path.resolve(__dirname, '../../bin/provdb-worker.cjs');
const PG_SECRET = 'Pg-S3cret-Pw';
const REDIS_SECRET = 'R3dis-S3cret-Pw';

/** Every form a password could take in output: as is, URL-encoded, base64. */
function forms(secret: string): string[] {
  return [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')];
}

function assertNoSecret(text: string, secrets: readonly string[], what: string): void {
  for (const secret of secrets) {
    for (const form of forms(secret))
      assert.ok(!text.includes(form), `${what} printed a password:\n${text.slice(0, 2_000)}`);
  }
}

interface Run {
  code: number | null;
  output: string;
}

/** Runs a command to its end, or (`stopWhen`) until its output matches, then sends SIGINT. */
function cli(args: string[], env: Record<string, string>, stopWhen?: RegExp): Promise<Run> {
  return new Promise((resolve) => {
    let seen = '';
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, LOG_LEVEL: 'debug', METRICS_PORT: '0', ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? ((error as { code?: number }).code ?? null) : 0,
          output: `${stdout}\n${stderr}`,
        }),
    );
    if (stopWhen) {
      const watch = (chunk: Buffer | string) => {
        seen += String(chunk);
        if (stopWhen.test(seen)) child.kill('SIGINT');
      };
      child.stdout?.on('data', watch);
      child.stderr?.on('data', watch);
    }
  });
}

describe('nothing leaks: passwords in URLs', function () {
  this.timeout(120_000);

  const unreachable = {
    DATABASE_URL: `postgres://postgres:${PG_SECRET}@127.0.0.1:1/provdb`,
    REDIS_URL: `redis://:${REDIS_SECRET}@127.0.0.1:1`,
  };
  // Reachable servers, refusing for another reason (no such database, a user Redis does not know).
  const refusing = {
    DATABASE_URL: `postgres://postgres:${PG_SECRET}@127.0.0.1:5432/provdb_no_such_database`,
    REDIS_URL: `redis://nobody:${REDIS_SECRET}@127.0.0.1:6379`,
  };
  const postgres =
    /provdb-worker: Postgres at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/provdb\w* (is not reachable|refused the connection)\n {2}caused by: (connect ECONNREFUSED|database "provdb_no_such_database" does not exist)/;
  const commands: Array<[string, string[], RegExp]> = [
    ['migrate', ['migrate', '--status'], postgres],
    ['align report', ['align', 'report'], postgres],
    [
      'enqueue',
      ['enqueue', 'booking.created', '{"bookingId": 1}'],
      /Redis at redis:\/\/(nobody)?:\*\*\*@127\.0\.0\.1:\d+ is not reachable/,
    ],
    ['jobs failed', ['jobs', 'failed'], /Redis at redis:\/\/(nobody)?:\*\*\*@/],
    ['jobs retry', ['jobs', 'retry', '--all'], /Redis at redis:\/\/(nobody)?:\*\*\*@/],
    ['rollup', ['rollup', '--from', '2026-01-01', '--to', '2026-01-02'], postgres],
    ['demo', ['demo'], /(Postgres|Redis) at (postgres|redis):\/\/\w*:\*\*\*@127\.0\.0\.1/],
    ['rules check', ['rules', 'check'], /policies|problem/],
  ];

  for (const [label, env] of [
    ['unreachable servers', unreachable],
    ['servers that refuse', refusing],
  ] as const) {
    it(`never prints a password from a command's error (${label})`, async () => {
      const runs = await Promise.all(commands.map(([, args]) => cli(args, env)));
      for (const [i, [what, , expected]] of commands.entries()) {
        const run = runs[i] as Run;
        assertNoSecret(run.output, [PG_SECRET, REDIS_SECRET], what);
        assert.match(run.output, expected, `${what}: ${run.output.slice(0, 1_000)}`);
        if (what !== 'rules check') assert.notEqual(run.code, 0, `${what} exited 0`);
      }
    });
  }

  it('never prints a password from the worker (start) that cannot reach its servers', async () => {
    const retrying = /Postgres at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/provdb is not reachable/;
    const run = await cli(['start'], unreachable, retrying);
    assertNoSecret(run.output, [PG_SECRET, REDIS_SECRET], 'start');
    assert.match(run.output, retrying);
  });

  it('never prints a password from a configuration error, however the URL is broken', async () => {
    const run = await cli(['migrate', '--status'], {
      DATABASE_URL: `postgres://admin:${PG_SECRET}#x@db host:99999/provdb`,
    });
    assert.equal(run.code, 2);
    assertNoSecret(run.output, [PG_SECRET], 'a configuration error');
    assert.match(
      run.output,
      /DATABASE_URL="postgres:\/\/admin:\*\*\*@db host:99999\/provdb" is invalid: not a URL/,
    );

    const secret = fc
      .string({ minLength: 6, maxLength: 20, unit: 'binary-ascii' })
      .filter((s) => /^[\x21-\x7e]+$/.test(s) && /[A-Za-z0-9]{4}/.test(s));
    fc.assert(
      fc.property(
        secret,
        fc.constantFrom('postgres', 'postgresql', 'redis', 'rediss', 'http'),
        fc.constantFrom('db.lab', '127.0.0.1', 'db host', '[::1', 'h:99999', ''),
        fc.constantFrom('user', '', 'u%20x'),
        (pw, scheme, host, user) => {
          const value = `${scheme}://${user}:${pw}@${host}/provdb`;
          const variable = scheme.startsWith('redis') ? 'REDIS_URL' : 'DATABASE_URL';
          let message = redactUrl(value);
          try {
            loadConfig({ [variable]: value });
          } catch (error) {
            assert.ok(error instanceof ConfigError, String(error));
            message += `\n${error.message}`;
          }
          // Only passwords that are not also part of the rest of the URL can be told apart.
          if (value.replace(pw, '').includes(pw)) return;
          assert.ok(!message.includes(pw), `${JSON.stringify(value)} -> ${message}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never puts a password in the /readyz body or the logs while the servers are away', async () => {
    const { logger, raw } = captureLogs('debug');
    const app = await createApp(
      loadConfig({ ...unreachable, METRICS_PORT: '0', QUEUE_PREFIX: 'provdb-test-leaks' }),
      {
        logger,
        handlerModules: [],
        tuning: { startupRetryInitialMs: 50, startupRetryMaxMs: 50, readinessTimeoutMs: 500 },
      },
    );
    const starting = app.start({ queues: ['bookings'] }).catch(() => undefined);
    try {
      await waitUntil('the HTTP server', () => app.http.url);
      const ready = await fetch(`${app.http.url}/readyz`);
      const body = await ready.text();
      assert.equal(ready.status, 503);
      assert.match(body, /"postgres":\{"ok":false/);
      assertNoSecret(body, [PG_SECRET, REDIS_SECRET], '/readyz');
      const metrics = await (await fetch(`${app.http.url}/metrics`)).text();
      assertNoSecret(metrics, [PG_SECRET, REDIS_SECRET], '/metrics');
    } finally {
      await app.close();
      await starting;
    }
    assertNoSecret(raw.join('\n'), [PG_SECRET, REDIS_SECRET], 'the logs');
  });
});

describe('the HTTP server binds to loopback by default', () => {
  it('listens on 127.0.0.1 when METRICS_HOST is not set, and not on other interfaces', async () => {
    assert.equal(DEFAULTS.METRICS_HOST, '127.0.0.1');
    const config = loadConfig({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x',
      REDIS_URL: 'redis://127.0.0.1:1',
      METRICS_PORT: '0',
    });
    assert.equal(config.metricsHost, '127.0.0.1');
    const app = await createApp(config, {
      logger: captureLogs().logger,
      handlerModules: [],
      tuning: { startupRetryInitialMs: 50, startupRetryMaxMs: 50 },
    });
    const starting = app.start({ queues: ['bookings'] }).catch(() => undefined);
    try {
      const url = new URL(await waitUntil('the HTTP server', () => app.http.url));
      assert.equal(url.hostname, '127.0.0.1');
      assert.equal((await fetch(`${url.origin}/healthz`)).status, 200);
      // Any address of this machine that is not loopback must refuse the connection.
      const external = Object.values(networkInterfaces())
        .flat()
        .filter((a) => a && !a.internal && a.family === 'IPv4')
        .map((a) => a?.address as string);
      for (const address of external) {
        await assert.rejects(fetch(`http://${address}:${url.port}/healthz`), `answered on ${address}`);
      }
    } finally {
      await app.close();
      await starting;
    }
  });
});
