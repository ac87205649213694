import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type App, createApp } from '../../src/app';
import type { FailedJob } from '../../src/queues/admin';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { TEST_REDIS_URL } from '../support/env';
import { ChildWorker } from '../support/process';
import { deletePrefix, uniquePrefix } from '../support/redis';
import { auditModule, captureLogs, EVENT_AT, effectCounts, testConfig, waitUntil } from '../support/runtime';

async function cli(args: string[], env: Record<string, string>) {
  const child = ChildWorker.cli(args, env);
  const { code } = await child.exited;
  // stdout lines that are not JSON are kept as { msg: line }.
  const stdout = child.logs.map((l) => (Object.keys(l).length === 1 ? l.msg : JSON.stringify(l))).join('\n');
  return { code, stdout, stderr: child.stderr, logs: child.logs };
}

describe('provdb-worker jobs failed / jobs retry', function () {
  this.slow(10_000);
  this.timeout(60_000);
  let db: TestDatabase;
  const prefix = uniquePrefix('cli-jobs');
  const env = { REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix };
  const apps: App[] = [];
  const created: string[] = [];
  let heartbeat = '';
  let invalid = '';

  async function app(withHandlers: boolean): Promise<App> {
    const a = await createApp(testConfig(db.url, prefix), {
      logger: captureLogs().logger,
      handlerModules: withHandlers ? [auditModule({ jobs: ['booking.created', 'device.heartbeat'] })] : [],
    });
    apps.push(a);
    await a.start({ queues: ['bookings', 'devices'] });
    return a;
  }

  before(async () => {
    db = await migratedDatabase();
    // A worker deployed before the handlers: every job fails ("no handler").
    const early = await app(false);
    for (let i = 0; i < 3; i++) {
      created.push((await early.deps.producer.enqueue('booking.created', { bookingId: 500 + i })).jobId);
    }
    heartbeat = (await early.deps.producer.enqueue('device.heartbeat', { deviceId: 9 })).jobId;
    invalid = randomUUID();
    await early.deps.producer
      .queue('bookings')
      .add('booking.created', { eventId: invalid, occurredAt: EVENT_AT, bookingId: -1 }, { jobId: invalid });
    await waitUntil('the jobs to fail', async () => {
      const [b, d] = await Promise.all(
        ['bookings', 'devices'].map((q) => early.deps.producer.queue(q as 'bookings').getFailedCount()),
      );
      return b === 4 && d === 1;
    });
    await early.close();
  });

  after(async () => {
    for (const a of apps) await a.close();
    await deletePrefix(prefix);
    await db?.drop();
  });

  it('lists failed jobs with their reasons', async () => {
    const { code, stdout } = await cli(['jobs', 'failed'], env);
    assert.equal(code, 0);
    for (const id of [...created, heartbeat, invalid])
      assert.ok(stdout.includes(id), `${id} missing from:\n${stdout}`);
    assert.match(stdout, /reason: no handler is registered for booking.created/);
    assert.match(stdout, /reason: no handler is registered for device.heartbeat/);
    assert.match(
      stdout,
      /reason: invalid booking.created payload: bookingId: expected a positive integer, got -1/,
    );
    assert.match(stdout, /5 failed job\(s\)$/);
  });

  it('lists the failed jobs of one queue as JSON, with their payloads', async () => {
    const { code, stdout } = await cli(['jobs', 'failed', '--queue', 'devices', '--json'], env);
    assert.equal(code, 0);
    const jobs = JSON.parse(stdout) as FailedJob[];
    assert.equal(jobs.length, 1);
    assert.deepEqual(
      [
        jobs[0]?.queue,
        jobs[0]?.id,
        jobs[0]?.name,
        jobs[0]?.eventId,
        (jobs[0]?.data as { deviceId?: number } | undefined)?.deviceId,
      ],
      ['devices', heartbeat, 'device.heartbeat', heartbeat, 9],
    );
    assert.match(jobs[0]?.reason ?? '', /no handler/);
  });

  it('rejects bad arguments with exit code 2', async () => {
    assert.equal((await cli(['jobs', 'retry'], env)).code, 2);
    assert.equal((await cli(['jobs', 'retry', 'x', '--all'], env)).code, 2);
    const badQueue = await cli(['jobs', 'failed', '--queue', 'nope'], env);
    assert.equal(badQueue.code, 2);
    assert.match(badQueue.stderr, /--queue: unknown queue "nope"/);
  });

  it('retries jobs by id, or all of a queue, once the handlers are deployed', async () => {
    const byId = await cli(['jobs', 'retry', created[0] as string, heartbeat, 'no-such-job'], env);
    assert.equal(byId.code, 1, 'an unknown id is reported');
    assert.match(byId.stdout, new RegExp(`retrying bookings ${created[0]}`));
    assert.match(byId.stdout, new RegExp(`retrying devices ${heartbeat}`));
    assert.match(byId.stdout, /not found: no-such-job/);
    const all = await cli(['jobs', 'retry', '--all', '--queue', 'bookings'], env);
    assert.equal(all.code, 0);
    assert.match(all.stdout, /3 job\(s\) moved back to waiting/);

    const fixed = await app(true);
    const counts = await waitUntil('the retried jobs to be processed', async () => {
      const c = await effectCounts(db.knex);
      return [...created, heartbeat].every((id) => c.get(id) === 1) ? c : undefined;
    });
    assert.equal(counts.get(invalid), undefined);
    // The invalid payload fails again: a retry does not make bad data good.
    await waitUntil('the invalid job to fail again', async () => {
      const job = await fixed.deps.producer.queue('bookings').getJob(invalid);
      return (await job?.getState()) === 'failed';
    });
    const after = await cli(['jobs', 'failed'], env);
    assert.match(after.stdout, /1 failed job\(s\)$/);
  });
});
