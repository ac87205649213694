// End to end: hostile payloads enqueued to a real worker runtime (real handlers, Redis and
// Postgres) fail at once as invalid, are not retried, write nothing; valid jobs after them are
// processed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { type App, createApp } from '../../src/app';
import { JOB_NAMES, JOBS, type JobName, parsePayload, type QueueName } from '../../src/contracts';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { deletePrefix, uniquePrefix } from '../support/redis';
import { captureLogs, jobIn, testConfig } from '../support/runtime';
import { Lab } from '../topologies/lab';
import { mutate } from './hostile';

const QUEUES: readonly QueueName[] = ['bookings', 'devices', 'topologies'];
const EVENT_JOBS = JOB_NAMES.filter((name) => QUEUES.includes(JOBS[name].queue));

/** Invalid by the contract as the worker receives it: after the JSON round trip through Redis. */
function isInvalid(name: JobName, data: unknown): boolean {
  let received: unknown;
  try {
    const text = JSON.stringify(data);
    if (text === undefined) return false;
    received = JSON.parse(text);
  } catch {
    return false; // nested too deeply for any producer to serialise
  }
  try {
    parsePayload(name, received);
    return false;
  } catch {
    return true;
  }
}

/** What the worker may write: none of it may change for an invalid job. */
async function written(db: TestDatabase): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of [
    'processed_events',
    'utilization_rollups',
    'topology_review',
    'topology_review_findings',
    'admin_audit_log',
    'booking_decisions',
  ]) {
    out[table] = Number((await db.knex(table).count('* as n').first())?.n);
  }
  return out;
}

describe('hostile jobs through a real worker runtime', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let app: App;
  const prefix = uniquePrefix('hostile');

  before(async () => {
    db = await migratedDatabase();
    app = await createApp(testConfig(db.url, prefix), { logger: captureLogs().logger });
    await app.start({ queues: QUEUES });
  });
  after(async () => {
    await app?.close();
    await deletePrefix(prefix);
    await db?.drop();
  });

  it('fails every hostile payload as invalid without a retry or a write, and goes on', async () => {
    const lab = new Lab(db.knex);
    const user = await lab.user();
    const device = await lab.device();
    const bookingId = await lab.booking({
      deviceId: device.id,
      userId: user,
      from: new Date('2026-10-05T10:00:00Z'),
      to: new Date('2026-10-05T12:00:00Z'),
    });

    // Random hostile variants of every event's example, plus the cases that once reached
    // Postgres: dates it cannot store, and a window of thousands of years.
    const example = (name: JobName) => JOBS[name].example as Record<string, unknown>;
    const hostile: Array<[JobName, unknown]> = fc
      .sample(
        fc
          .constantFrom(...EVENT_JOBS)
          .chain((name) => mutate(example(name)).map((data) => [name, data] as [JobName, unknown])),
        { numRuns: 120, seed: 1124 },
      )
      .filter(([name, data]) => isInvalid(name, data));
    hostile.push(
      [
        'device.heartbeat',
        { ...example('device.heartbeat'), deviceId: device.id, occurredAt: '0000-01-01T00:00:00Z' },
      ],
      [
        'booking.updated',
        {
          ...example('booking.updated'),
          bookingId,
          previous: {
            deviceId: device.id,
            startTime: '0001-01-01T00:00:00Z',
            endTime: '9999-12-31T23:59:59Z',
          },
        },
      ],
      [
        'booking.created',
        JSON.parse(
          `{"__proto__": {"bookingId": ${bookingId}}, "eventId": "${randomUUID()}", "occurredAt": "2026-11-24T09:00:00Z"}`,
        ),
      ],
      [
        'booking.created',
        { ...example('booking.created'), bookingId: `${bookingId}; DELETE FROM booking_table` },
      ],
    );
    assert.ok(hostile.length >= 60, `only ${hostile.length} hostile cases`);

    const before = await written(db);
    const jobs: Array<[JobName, string]> = [];
    for (const [name, data] of hostile) {
      const jobId = randomUUID();
      jobs.push([name, jobId]);
      await app.deps.producer.queue(JOBS[name].queue).add(name, data, { jobId, attempts: 5 });
    }
    const { eventId: good } = await app.deps.producer.enqueue('booking.created', { bookingId });

    for (const [name, jobId] of jobs) {
      const job = await jobIn(app.deps.producer.queue(JOBS[name].queue), jobId);
      assert.equal(await job.getState(), 'failed', `${name} ${jobId} was not failed`);
      assert.match(
        job.failedReason,
        new RegExp(`^invalid ${name.replace('.', '\\.')} payload: `),
        job.failedReason,
      );
      assert.equal(job.attemptsStarted, 1, `${name}: retried`);
    }
    const done = await jobIn(app.deps.producer.queue('bookings'), good);
    assert.equal(done.returnvalue.outcome, 'completed');

    const after = await written(db);
    assert.equal(
      after.processed_events,
      (before.processed_events ?? 0) + 1,
      'only the valid event is recorded',
    );
    assert.ok(
      (after.utilization_rollups ?? 0) > (before.utilization_rollups ?? 0),
      'the valid event wrote its rollups',
    );
    // The valid booking is decided once: one decision and its audit entry, nothing else.
    assert.equal(after.booking_decisions, (before.booking_decisions ?? 0) + 1, 'one decision');
    assert.equal(after.admin_audit_log, (before.admin_audit_log ?? 0) + 1, "the decision's audit entry");
    for (const table of ['topology_review', 'topology_review_findings']) {
      assert.equal(after[table], before[table], `${table} changed`);
    }
    assert.equal(Number((await db.knex('booking_table').count('* as n').first())?.n), 1);
  });
});
