import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type Job, Worker } from 'bullmq';
import { type App, createApp } from '../../src/app';
import type { QueueName } from '../../src/contracts';
import { TransientError } from '../../src/errors';
import { createMetrics, createRegistry } from '../../src/metrics';
import { createRedis, workerConnection } from '../../src/queues/connection';
import { type HandlerContext, HandlerRegistry } from '../../src/queues/handlers';
import { createProcessor } from '../../src/queues/processor';
import { createProducer } from '../../src/queues/producer';
import { DEFAULT_RETRY_POLICY } from '../../src/queues/retry';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { TEST_REDIS_URL } from '../support/env';
import { deletePrefix, uniquePrefix } from '../support/redis';
import {
  auditModule,
  type CapturedLogs,
  captureLogs,
  EVENT_AT,
  effectCounts,
  jobIn,
  markerRow,
  testConfig,
  waitUntil,
} from '../support/runtime';

describe('queue runtime (worker in this process, real Redis and Postgres)', () => {
  let db: TestDatabase;
  let app: App;
  let logs: CapturedLogs;
  const prefix = uniquePrefix('runtime');
  /** eventId -> what the handler does before writing its effect. */
  const behaviour = new Map<string, (ctx: HandlerContext) => Promise<void> | void>();

  before(async () => {
    db = await migratedDatabase();
    logs = captureLogs();
    app = await createApp(testConfig(db.url, prefix), {
      logger: logs.logger,
      handlerModules: [
        auditModule({
          jobs: ['booking.created', 'booking.cancelled', 'topology.submitted'],
          before: (ctx) => behaviour.get(ctx.eventId)?.(ctx),
        }),
        auditModule({ jobs: ['topology.updated'], requireMarkerRow: true }),
      ],
      tuning: {
        retry: {
          notFound: { attempts: 3, baseDelayMs: 100, maxDelayMs: 200 },
          transient: { attempts: 4, baseDelayMs: 100, maxDelayMs: 200 },
        },
      },
    });
    await app.start({ queues: ['bookings', 'devices', 'topologies'] });
  });

  after(async () => {
    await app?.close();
    await deletePrefix(prefix);
    await db?.drop();
  });

  const queue = (name: QueueName) => app.deps.producer.queue(name);

  const finished = (name: QueueName, jobId: string): Promise<Job> => jobIn(queue(name), jobId);

  it('processes a job enqueued by the producer and commits its effect', async () => {
    const {
      jobId,
      eventId,
      queue: q,
    } = await app.deps.producer.enqueue('booking.created', { bookingId: 101 });
    assert.equal(jobId, eventId);
    assert.equal(q, 'bookings');
    const job = await finished('bookings', jobId);
    assert.equal(await job.getState(), 'completed');
    assert.deepEqual(job.returnvalue, {
      outcome: 'completed',
      eventId,
      results: { audit: { wrote: 'admin_audit_log' } },
    });
    assert.equal((await effectCounts(db.knex)).get(eventId), 1);
    const row = await db.knex('processed_events').where({ event_id: eventId }).first();
    assert.deepEqual(
      [row.job_name, row.queue, row.job_id, row.attempt],
      ['booking.created', 'bookings', jobId, 1],
    );
  });

  it('logs one line per job outcome with queue, job name, job id, eventId, attempt and duration', async () => {
    const { eventId } = await app.deps.producer.enqueue('booking.created', { bookingId: 102 });
    await finished('bookings', eventId);
    const line = await waitUntil('the outcome line', () =>
      logs.lines.find((l) => l.eventId === eventId && l.outcome === 'completed'),
    );
    assert.equal(line.queue, 'bookings');
    assert.equal(line.job, 'booking.created');
    assert.equal(line.jobId, eventId);
    assert.equal(line.attempt, 1);
    assert.equal(typeof line.durationMs, 'number');
    assert.equal(logs.lines.filter((l) => l.eventId === eventId && l.outcome).length, 1);
  });

  it('makes one job, and one effect, of the same eventId enqueued twice', async () => {
    const eventId = randomUUID();
    await app.deps.producer.enqueue('booking.created', { eventId, bookingId: 103 });
    await app.deps.producer.enqueue('booking.created', { eventId, bookingId: 103 });
    await finished('bookings', eventId);
    // Once more after it completed: BullMQ still holds the completed job, so nothing is added.
    await app.deps.producer.enqueue('booking.created', { eventId, bookingId: 103 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await effectCounts(db.knex)).get(eventId), 1);
    assert.equal(logs.lines.filter((l) => l.eventId === eventId && l.outcome).length, 1);
  });

  it('has one effect when an event comes again after BullMQ forgot its job', async () => {
    const eventId = randomUUID();
    await app.deps.producer.enqueue('booking.created', { eventId, bookingId: 104 });
    const first = await finished('bookings', eventId);
    await first.remove(); // what retention does after 24 hours
    await app.deps.producer.enqueue('booking.created', { eventId, bookingId: 104 });
    const second = await jobIn(queue('bookings'), eventId, ['completed']);
    assert.equal(second.returnvalue.outcome, 'duplicate');
    assert.equal((await effectCounts(db.knex)).get(eventId), 1);
  });

  const malformed: Array<[string, unknown, RegExp]> = [
    [
      'a missing field',
      { eventId: randomUUID(), occurredAt: EVENT_AT },
      /bookingId: missing \(expected a positive integer\)/,
    ],
    [
      'a wrong type',
      { eventId: randomUUID(), occurredAt: EVENT_AT, bookingId: 'abc' },
      /bookingId: expected a positive integer, got "abc"/,
    ],
    [
      'a JSON string instead of an object',
      '{"bookingId": 1}',
      /payload: expected an object, got "\{\\"bookingId\\": 1\}"/,
    ],
    ['null', null, /payload: expected an object, got null/],
    ['an array', [1, 2, 3], /payload: expected an object, got \[1,2,3\]/],
    [
      'a huge string',
      { eventId: randomUUID(), occurredAt: 'x'.repeat(2_000_000), bookingId: 1 },
      /occurredAt: expected an ISO 8601 date-time .*, got "x{20,}… \(2000000 characters\)/,
    ],
    [
      'an unknown field',
      { eventId: randomUUID(), occurredAt: EVENT_AT, bookingId: 1, booking_id: 1 },
      /booking_id: unknown field, got 1/,
    ],
  ];

  it('fails each malformed payload at once, with a readable reason, and goes on with the next job', async () => {
    const ids: string[] = [];
    for (const [, data] of malformed) {
      const jobId = randomUUID();
      ids.push(jobId);
      await queue('bookings').add('booking.created', data, { jobId, attempts: 5 });
    }
    const { eventId: good } = await app.deps.producer.enqueue('booking.created', { bookingId: 105 });
    for (const [i, [what, data, reason]] of malformed.entries()) {
      const job = await finished('bookings', ids[i] as string);
      assert.equal(await job.getState(), 'failed', what);
      assert.match(job.failedReason, /^invalid booking.created payload: /, what);
      assert.match(job.failedReason, reason, what);
      assert.ok(job.failedReason.length < 400, `${what}: reason is ${job.failedReason.length} characters`);
      assert.equal(job.attemptsStarted, 1, `${what}: was retried`);
      assert.deepEqual(job.data, data, `${what}: the data was not kept for inspection`);
    }
    assert.equal((await finished('bookings', good)).returnvalue.outcome, 'completed');
    assert.equal((await effectCounts(db.knex)).get(good), 1);
  });

  it('fails an unknown job name, or a job on the wrong queue, as invalid', async () => {
    const unknown = await queue('bookings').add(
      'booking.deleted',
      { eventId: randomUUID() },
      { jobId: randomUUID() },
    );
    const misplaced = await queue('devices').add(
      'booking.created',
      { eventId: randomUUID(), occurredAt: EVENT_AT, bookingId: 1 },
      { jobId: randomUUID() },
    );
    assert.match(
      (await finished('bookings', unknown.id as string)).failedReason,
      /unknown job name "booking.deleted"/,
    );
    assert.match(
      (await finished('devices', misplaced.id as string)).failedReason,
      /booking.created jobs belong on queue bookings, not devices/,
    );
  });

  it('fails a job that has no handler yet, naming it', async () => {
    const { jobId } = await app.deps.producer.enqueue('device.heartbeat', { deviceId: 5 });
    const job = await finished('devices', jobId);
    assert.equal(await job.getState(), 'failed');
    assert.match(job.failedReason, /no handler is registered for device.heartbeat/);
    assert.equal(job.attemptsStarted, 1);
  });

  it('retries an event whose row is missing, and completes it once the row appears', async () => {
    const { jobId } = await app.deps.producer.enqueue('topology.updated', { topologyId: 701 });
    await waitUntil('a first not-found attempt', () =>
      logs.lines.find((l) => l.jobId === jobId && l.outcome === 'retry'),
    );
    await markerRow(db.knex, 701);
    const job = await finished('topologies', jobId);
    assert.equal(await job.getState(), 'completed');
    assert.ok(job.attemptsStarted >= 2);
    assert.equal((await effectCounts(db.knex)).get(jobId), 1);
  });

  it('gives up on a row that never appears, failing with that reason after its retries', async () => {
    const { jobId } = await app.deps.producer.enqueue('topology.updated', { topologyId: 702 });
    const job = await finished('topologies', jobId);
    assert.equal(await job.getState(), 'failed');
    assert.equal(
      job.failedReason,
      'audit handler: admin_settings row "test-row-702" not found (gave up after 3 attempts)',
    );
    assert.equal(job.attemptsStarted, 3);
  });

  it('retries a serialization failure and a lost connection with backoff, then completes once', async () => {
    const eventId = randomUUID();
    let calls = 0;
    behaviour.set(eventId, () => {
      calls += 1;
      if (calls === 1) throw Object.assign(new Error('could not serialize access'), { code: '40001' });
      if (calls === 2) throw new TransientError('Redis unreachable');
    });
    await app.deps.producer.enqueue('booking.created', { eventId, bookingId: 106 });
    const job = await finished('bookings', eventId);
    assert.equal(await job.getState(), 'completed');
    assert.equal(calls, 3);
    assert.equal(job.attemptsStarted, 3);
    assert.equal((await effectCounts(db.knex)).get(eventId), 1);
    const retries = logs.lines.filter((l) => l.eventId === eventId && l.outcome === 'retry');
    assert.deepEqual(
      retries.map((l) => l.attempt),
      [1, 2],
    );
  });

  it('fails an unexpected handler error with its message, rolls back, and keeps processing', async () => {
    const eventId = randomUUID();
    behaviour.set(eventId, async (ctx) => {
      await ctx.trx('admin_audit_log').insert({
        action: 'worker.test_partial',
        entity_type: 'booking',
        outcome: 'success',
        created_at: new Date(),
      });
      throw new TypeError("Cannot read properties of undefined (reading 'deviceId')");
    });
    await app.deps.producer.enqueue('booking.created', { eventId, bookingId: 107 });
    const { eventId: next } = await app.deps.producer.enqueue('booking.created', { bookingId: 108 });
    const job = await finished('bookings', eventId);
    assert.equal(job.failedReason, "audit handler: Cannot read properties of undefined (reading 'deviceId')");
    assert.equal(job.attemptsStarted, 1);
    assert.equal((await db.knex('admin_audit_log').where({ action: 'worker.test_partial' })).length, 0);
    assert.equal(await db.knex('processed_events').where({ event_id: eventId }).first(), undefined);
    assert.equal((await finished('bookings', next)).returnvalue.outcome, 'completed');
  });

  it('enqueues follow-ups after the commit', async () => {
    const eventId = randomUUID();
    let followUp = '';
    behaviour.set(eventId, (ctx) => {
      followUp = ctx.enqueueAfterCommit('topology.submitted', { topologyId: 77 });
    });
    await app.deps.producer.enqueue('booking.created', { eventId, bookingId: 109 });
    const job = await finished('bookings', eventId);
    assert.deepEqual(job.returnvalue.followUps, [followUp]);
    assert.equal((await finished('topologies', followUp)).returnvalue.outcome, 'completed');
    assert.equal((await effectCounts(db.knex)).get(followUp), 1);
  });

  it('answers /healthz and /readyz while running', async () => {
    const health = await fetch(`${app.http.url}/healthz`);
    assert.equal(health.status, 200);
    const ready = await fetch(`${app.http.url}/readyz`);
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as { checks: Record<string, { ok: boolean }> };
    assert.deepEqual(Object.keys(body.checks).sort(), ['postgres', 'redis', 'rules loaded']);
  });

  it('never logs the password of DATABASE_URL or REDIS_URL', async () => {
    const { logger, raw } = captureLogs('debug');
    const url = new URL(db.url);
    url.password = 'Sup3rSecretPw';
    const unreachable = await createApp(
      testConfig(url.toString(), prefix, { REDIS_URL: 'redis://:R3disSecret@127.0.0.1:1' }),
      {
        logger,
        handlerModules: [],
        tuning: { startupRetryInitialMs: 50, startupRetryMaxMs: 50 },
      },
    );
    const starting = unreachable.start({ queues: ['bookings'] }).catch(() => undefined);
    await waitUntil('a retry line about Redis', () =>
      raw.some((l) => l.includes('Redis at redis://:***@127.0.0.1:1')),
    );
    await unreachable.close();
    await starting;
    assert.ok(raw.length > 0);
    for (const line of raw) {
      assert.ok(!line.includes('Sup3rSecretPw') && !line.includes('R3disSecret'), line);
    }
  });
});

describe('redelivery after the commit but before the acknowledgement', () => {
  let db: TestDatabase;
  const prefix = uniquePrefix('ack');

  before(async () => {
    db = await migratedDatabase();
  });
  after(async () => {
    await deletePrefix(prefix);
    await db?.drop();
  });

  it('has one effect: the second delivery finds the event processed', async () => {
    const { logger } = captureLogs();
    const connection = createRedis(TEST_REDIS_URL, 'producer');
    await connection.connect();
    const producer = createProducer({ connection, prefix });
    const handlers = new HandlerRegistry();
    auditModule({ jobs: ['booking.created'] }).register(handlers, undefined as never);
    const processor = createProcessor({
      knex: db.knex,
      handlers,
      logger,
      producer,
      metrics: createMetrics(createRegistry({ defaultMetrics: false })).jobs,
      retry: DEFAULT_RETRY_POLICY,
    });
    let deliveries = 0;
    // The effect commits, then the acknowledgement is lost (as when a worker dies right after
    // its commit): BullMQ delivers the job again.
    const worker = new Worker(
      'bookings',
      async (job: Job, token?: string) => {
        deliveries += 1;
        const result = await processor(job, token);
        if (deliveries === 1) throw new Error('connection to Redis lost before the acknowledgement');
        return result;
      },
      { connection: workerConnection(TEST_REDIS_URL), prefix },
    );
    try {
      const eventId = randomUUID();
      await producer
        .queue('bookings')
        .add(
          'booking.created',
          { eventId, occurredAt: EVENT_AT, bookingId: 1 },
          { jobId: eventId, attempts: 2 },
        );
      const job = await jobIn(producer.queue('bookings'), eventId, ['completed']);
      assert.equal(deliveries, 2);
      assert.equal(job.returnvalue.outcome, 'duplicate');
      assert.equal((await effectCounts(db.knex)).get(eventId), 1);
    } finally {
      await worker.close();
      await producer.close();
      connection.disconnect();
    }
  });
});
