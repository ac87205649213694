import assert from 'node:assert/strict';
import pino from 'pino';
import { Counter } from 'prom-client';
import { createRegistry } from '../../src/metrics';
import { ReadinessChecks } from '../../src/metrics/readiness';
import { createHttpServer, type HttpServer } from '../../src/metrics/server';

describe('HTTP server (/healthz, /readyz, /metrics)', () => {
  let server: HttpServer;
  let rulesLoaded = false;
  let databaseAnswers = true;
  const readiness = new ReadinessChecks(200)
    .add('postgres', async () => {
      if (!databaseAnswers) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    })
    .add('rules', async () => {
      if (!rulesLoaded) throw new Error('rules not loaded yet');
    });
  const registry = createRegistry();
  new Counter({ name: 'provdb_test_things_total', help: 'things', registers: [registry] }).inc(3);

  before(async () => {
    server = createHttpServer({
      registry,
      readiness,
      logger: pino({ level: 'silent' }),
      host: '127.0.0.1',
      port: 0,
    });
    const address = await server.listen();
    assert.notEqual(address.port, 0);
  });
  after(async () => {
    await server.close();
    await server.close(); // idempotent
  });

  const get = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);

  it('answers /healthz while the process is up', async () => {
    const response = await get('/healthz');
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { status: string }).status, 'ok');
  });

  it('reports not ready, with the reason of each failing check, until every check passes', async () => {
    const notReady = await get('/readyz');
    assert.equal(notReady.status, 503);
    const report = (await notReady.json()) as {
      status: string;
      checks: Record<string, { ok: boolean; error?: string }>;
    };
    assert.equal(report.status, 'not ready');
    assert.equal(report.checks.postgres?.ok, true);
    assert.deepEqual([report.checks.rules?.ok, report.checks.rules?.error], [false, 'rules not loaded yet']);
    rulesLoaded = true;
    assert.equal((await get('/readyz')).status, 200);
  });

  it('reports a check that does not answer in time as failing, without waiting for it', async () => {
    const slow = new ReadinessChecks(100).add('redis', () => new Promise(() => undefined));
    const report = await slow.run();
    assert.equal(report.ready, false);
    assert.equal(report.checks.redis?.error, 'no answer within 100 ms');
    assert.ok((report.checks.redis?.ms ?? 0) < 1_000);
  });

  it('reports a service that went away', async () => {
    databaseAnswers = false;
    const response = await get('/readyz');
    databaseAnswers = true;
    assert.equal(response.status, 503);
    assert.match(await response.text(), /ECONNREFUSED/);
  });

  it('serves the registry in the Prometheus text format', async () => {
    const response = await get('/metrics');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    assert.match(text, /^provdb_test_things_total 3$/m);
    assert.match(text, /^provdb_process_cpu_seconds_total /m);
  });

  it('answers 404 and 405 for anything else', async () => {
    assert.equal((await get('/')).status, 404);
    assert.equal((await get('/metrics', { method: 'POST' })).status, 405);
  });

  it('reports shutting down once shutdown started', async () => {
    readiness.markShuttingDown();
    const response = await get('/readyz');
    assert.equal(response.status, 503);
    assert.equal(((await response.json()) as { status: string }).status, 'shutting down');
    assert.equal((await get('/healthz')).status, 200);
  });
});
