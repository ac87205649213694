// `provdb-worker start` and the rules: an invalid rules folder stops the start with exit code 2
// and every problem named; SIGHUP reloads the rules of a running worker without stopping it.
import assert from 'node:assert/strict';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { TEST_REDIS_URL } from '../support/env';
import { ChildWorker } from '../support/process';
import { deletePrefix, uniquePrefix } from '../support/redis';
import { copyShippedRules, type TempRules } from '../support/tmp-rules';

describe('provdb-worker start with the rules', function () {
  this.timeout(60_000);
  this.slow(10_000);
  let db: TestDatabase;
  let rules: TempRules;
  const prefix = uniquePrefix('decisions-start');
  const children: ChildWorker[] = [];

  before(async () => {
    db = await migratedDatabase();
    rules = await copyShippedRules();
  });
  after(async () => {
    for (const child of children) await child.stop();
    await rules?.remove();
    await deletePrefix(prefix);
    await db?.drop();
  });

  const env = () => ({
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    RULES_DIR: rules.dir,
  });

  it('exits 2 naming the file, line and column when the rules are invalid at start', async () => {
    const original = await rules.read('conflicts.json');
    await rules.write('conflicts.json', '{\n  "policy": "conflicts",\n  oops\n}');
    try {
      const child = ChildWorker.cli(['start', '--queues', 'bookings'], env());
      children.push(child);
      assert.deepEqual(await child.exited, { code: 2, signal: null });
      assert.match(child.stderr, /cannot start: the rules in .* are invalid/);
      assert.match(child.stderr, /conflicts\.json:3:3/);
    } finally {
      await rules.write('conflicts.json', original);
    }
  });

  it('reloads the rules on SIGHUP and keeps running', async () => {
    const child = ChildWorker.cli(['start', '--queues', 'bookings'], env());
    children.push(child);
    const started = await child.waitForLog('of the start', (l) => /^provdb-worker started/.test(l.msg));
    assert.match(String(started.rulesRevision), /^[0-9a-f]{12}$/);
    child.kill('SIGHUP');
    await child.waitForLog('of the reload', (l) => l.msg === 'SIGHUP received: reloading the rules');
    child.kill('SIGINT');
    assert.deepEqual(await child.exited, { code: 0, signal: null }, 'SIGHUP did not end the process');
  });
});
