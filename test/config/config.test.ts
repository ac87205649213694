import assert from 'node:assert/strict';
import path from 'node:path';
import { ConfigError, loadConfig, redactUrl } from '../../src/config';

describe('config', () => {
  it('uses defaults that reach the local Postgres and Redis when nothing is set', () => {
    const config = loadConfig({}, '/srv/app');
    assert.equal(config.databaseUrl, 'postgres://postgres@127.0.0.1:5432/provdb');
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(config.rulesDir, path.resolve('/srv/app', 'rules'));
    assert.equal(config.queuePrefix, 'provdb');
    assert.equal(config.metricsHost, '127.0.0.1');
    assert.equal(config.metricsPort, 9464);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.workerConcurrency, 4);
    assert.equal(config.workerBatchSize, 128);
    assert.equal(config.rollupReconcileIntervalMs, 15 * 60_000);
    assert.equal(config.rollupReconcileLookbackHours, 48);
    assert.equal(config.metricsUtilizationIntervalMs, 60_000);
    assert.ok(Object.isFrozen(config));
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {
        DATABASE_URL: 'postgresql://u:p@db.lab:5433/provdb',
        REDIS_URL: 'rediss://cache.lab:6380/2',
        RULES_DIR: '/etc/provdb/rules',
        QUEUE_PREFIX: '{provdb}',
        METRICS_HOST: '0.0.0.0',
        METRICS_PORT: '9100',
        LOG_LEVEL: 'DEBUG',
        WORKER_CONCURRENCY: '16',
        WORKER_BATCH_SIZE: '1',
        ROLLUP_RECONCILE_INTERVAL: '1h',
        ROLLUP_RECONCILE_LOOKBACK_HOURS: '72',
        METRICS_UTILIZATION_INTERVAL: '90s',
      },
      '/',
    );
    assert.equal(config.rollupReconcileIntervalMs, 3_600_000);
    assert.equal(config.rollupReconcileLookbackHours, 72);
    assert.equal(config.metricsUtilizationIntervalMs, 90_000);
    assert.equal(config.databaseUrl, 'postgresql://u:p@db.lab:5433/provdb');
    assert.equal(config.redisUrl, 'rediss://cache.lab:6380/2');
    assert.equal(config.rulesDir, '/etc/provdb/rules');
    assert.equal(config.queuePrefix, '{provdb}');
    assert.equal(config.metricsHost, '0.0.0.0');
    assert.equal(config.metricsPort, 9100);
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.workerConcurrency, 16);
    assert.equal(config.workerBatchSize, 1);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['WORKER_CONCURRENCY', 'four', /WORKER_CONCURRENCY="four" is invalid: must be a whole number/],
    ['WORKER_CONCURRENCY', '0', /WORKER_CONCURRENCY="0" is invalid: must be from 1 to 256/],
    ['WORKER_BATCH_SIZE', '0', /WORKER_BATCH_SIZE="0" is invalid: must be from 1 to 500/],
    ['WORKER_BATCH_SIZE', '2.5', /WORKER_BATCH_SIZE="2.5" is invalid: must be a whole number/],
    ['METRICS_PORT', '70000', /METRICS_PORT="70000" is invalid/],
    ['METRICS_PORT', '-1', /METRICS_PORT="-1" is invalid/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL="loud" is invalid: must be one of fatal, error/],
    ['DATABASE_URL', 'mysql://x/y', /DATABASE_URL="mysql:\/\/x\/y" is invalid: protocol must be/],
    ['DATABASE_URL', 'not a url', /DATABASE_URL="not a url" is invalid: not a URL/],
    ['REDIS_URL', 'http://127.0.0.1', /REDIS_URL=.* is invalid: protocol must be one of redis:, rediss:/],
    ['QUEUE_PREFIX', 'a:b', /QUEUE_PREFIX="a:b" is invalid/],
    [
      'ROLLUP_RECONCILE_INTERVAL',
      '15',
      /ROLLUP_RECONCILE_INTERVAL="15" is invalid: must be a whole number with a unit \(ms, s, m or h\), e\.g\. 15m; from 1s to 24h/,
    ],
    [
      'ROLLUP_RECONCILE_INTERVAL',
      '2d',
      /ROLLUP_RECONCILE_INTERVAL="2d" is invalid: must be a whole number with a unit/,
    ],
    [
      'ROLLUP_RECONCILE_INTERVAL',
      '25h',
      /ROLLUP_RECONCILE_INTERVAL="25h" is invalid: must be from 1s to 24h/,
    ],
    [
      'ROLLUP_RECONCILE_INTERVAL',
      '500ms',
      /ROLLUP_RECONCILE_INTERVAL="500ms" is invalid: must be from 1s to 24h/,
    ],
    [
      'ROLLUP_RECONCILE_LOOKBACK_HOURS',
      '0',
      /ROLLUP_RECONCILE_LOOKBACK_HOURS="0" is invalid: must be from 1 to 2160/,
    ],
    [
      'ROLLUP_RECONCILE_LOOKBACK_HOURS',
      '2d',
      /ROLLUP_RECONCILE_LOOKBACK_HOURS="2d" is invalid: must be a whole number/,
    ],
    [
      'METRICS_UTILIZATION_INTERVAL',
      '2h',
      /METRICS_UTILIZATION_INTERVAL="2h" is invalid: must be from 1s to 1h/,
    ],
  ];
  for (const [name, value, message] of bad) {
    it(`rejects ${name}=${value} with a message naming the variable`, () => {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (error: unknown) =>
          error instanceof ConfigError && error.variable === name && message.test(error.message),
      );
    });
  }

  it('never shows a password from a URL in its error messages', () => {
    assert.throws(
      () => loadConfig({ DATABASE_URL: 'mysql://admin:s3cret@db/provdb' }),
      (error: unknown) => error instanceof ConfigError && !error.message.includes('s3cret'),
    );
    assert.equal(redactUrl('postgres://admin:s3cret@db/provdb'), 'postgres://admin:***@db/provdb');
  });
});
