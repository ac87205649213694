// Batches: several events of one job in one transaction (processEventBatch), and the runner that
// forms them from the events waiting (createEventRunner), on real Postgres. What users rely on:
// every event's effects commit exactly once, a bad event fails alone, an idle worker does not
// wait for a batch to fill, and no more transactions run at once than WORKER_CONCURRENCY.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { parsePayload } from '../../src/contracts';
import { RowNotFoundError } from '../../src/errors';
import { createEventRunner } from '../../src/queues/batcher';
import { type HandlerContext, HandlerRegistry } from '../../src/queues/handlers';
import { HandlerError, processEvent, processEventBatch } from '../../src/queues/process-event';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { EFFECT_ACTION, EVENT_AT, effectCounts } from '../support/runtime';

const logger = pino({ level: 'silent' });

function created(bookingId: number, eventId: string = randomUUID()) {
  return {
    jobName: 'booking.created' as const,
    payload: parsePayload('booking.created', { eventId, occurredAt: EVENT_AT, bookingId }),
    queue: 'bookings' as const,
    jobId: `job-${eventId}`,
    attempt: 1,
  };
}

function cancelled(bookingId: number) {
  const eventId = randomUUID();
  return {
    jobName: 'booking.cancelled' as const,
    payload: parsePayload('booking.cancelled', {
      eventId,
      occurredAt: EVENT_AT,
      bookingId,
      previous: { deviceId: 1, startTime: '2026-12-01T10:00:00Z', endTime: '2026-12-01T11:00:00Z' },
    }),
    queue: 'bookings' as const,
    jobId: `job-${eventId}`,
    attempt: 1,
  };
}

interface Probe {
  /** Sizes of the batches the batch form was called with (1 for the single form). */
  readonly calls: number[];
  /** Transactions running at once, at most. */
  peak: number;
  running: number;
  /** Booking ids whose event fails (as a handler would for a bad row). */
  readonly failFor: Set<number>;
  /** Booking ids that are "not visible yet": RowNotFoundError. */
  readonly missing: Set<number>;
  sleepMs: number;
}

/**
 * A handler with a batch form writing one effect row per event (the audit log stands for any
 * effect): one multi-row insert for a batch. Both forms fail the same way for a bad booking id.
 */
function registryWithProbe(probe: Probe, options: { cancelledToo?: boolean } = {}): HandlerRegistry {
  const handlers = new HandlerRegistry();
  const effect = (ctx: HandlerContext<'booking.created'>) => ({
    action: EFFECT_ACTION,
    entity_type: 'booking',
    entity_id: String(ctx.payload.bookingId),
    payload: JSON.stringify({ eventId: ctx.eventId }),
    outcome: 'success',
    message: ctx.eventId,
    created_at: new Date(),
  });
  const check = (ctx: HandlerContext<'booking.created'>) => {
    if (probe.missing.has(ctx.payload.bookingId))
      throw new RowNotFoundError('booking_table', ctx.payload.bookingId);
    if (probe.failFor.has(ctx.payload.bookingId))
      throw new Error(`booking ${ctx.payload.bookingId} is broken`);
  };
  const enter = async (ctx: Pick<HandlerContext, 'trx'>, size: number) => {
    probe.calls.push(size);
    probe.running += 1;
    probe.peak = Math.max(probe.peak, probe.running);
    if (probe.sleepMs) await ctx.trx.raw('SELECT pg_sleep(?)', [probe.sleepMs / 1000]);
  };
  handlers.register(
    'booking.created',
    'probe',
    async (ctx) => {
      await enter(ctx, 1);
      try {
        check(ctx);
        await ctx.trx('admin_audit_log').insert(effect(ctx));
        return { booking: ctx.payload.bookingId };
      } finally {
        probe.running -= 1;
      }
    },
    {
      batch: async (contexts) => {
        await enter(contexts[0]!, contexts.length);
        try {
          for (const ctx of contexts) check(ctx);
          await contexts[0]!.trx('admin_audit_log').insert(contexts.map(effect));
          return contexts.map((ctx) => ({ booking: ctx.payload.bookingId }));
        } finally {
          probe.running -= 1;
        }
      },
    },
  );
  if (options.cancelledToo) {
    // No batch form: booking.cancelled events run alone.
    handlers.register('booking.cancelled', 'probe', async (ctx) => {
      probe.calls.push(1);
      await ctx.trx('admin_audit_log').insert({
        action: EFFECT_ACTION,
        entity_type: 'booking',
        entity_id: String(ctx.payload.bookingId),
        payload: '{}',
        outcome: 'success',
        message: ctx.eventId,
        created_at: new Date(),
      });
    });
  }
  return handlers;
}

const newProbe = (): Probe => ({
  calls: [],
  peak: 0,
  running: 0,
  failFor: new Set(),
  missing: new Set(),
  sleepMs: 0,
});

describe('batches of events (processEventBatch, createEventRunner)', function () {
  this.timeout(30_000);
  let db: TestDatabase;
  before(async () => {
    db = await migratedDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  describe('processEventBatch', () => {
    it('commits every event of the batch once, each with its own processed_events row and results', async () => {
      const probe = newProbe();
      const handlers = registryWithProbe(probe);
      const events = [101, 102, 103].map((id) => created(id));
      const results = await processEventBatch({ knex: db.knex, handlers, logger }, events);
      assert.deepEqual(probe.calls, [3], 'one call of the batch form for the three events');
      assert.deepEqual(
        results.map((r) => r.outcome === 'completed' && r.results),
        [{ probe: { booking: 101 } }, { probe: { booking: 102 } }, { probe: { booking: 103 } }],
      );
      const rows = await db
        .knex('processed_events')
        .whereIn(
          'event_id',
          events.map((e) => e.payload.eventId),
        )
        .orderBy('job_id');
      assert.equal(rows.length, 3);
      for (const [i, event] of events.entries()) {
        const row = rows.find((r) => r.event_id === event.payload.eventId);
        assert.equal(row.job_id, event.jobId);
        assert.equal(row.job_name, 'booking.created');
        assert.deepEqual(row.results, { probe: { booking: 101 + i } });
      }
      const effects = await effectCounts(db.knex);
      for (const e of events) assert.equal(effects.get(e.payload.eventId), 1);
    });

    it('reports an event processed before as a duplicate, naming its first job, and processes the others', async () => {
      const probe = newProbe();
      const handlers = registryWithProbe(probe);
      const first = created(111);
      await processEvent({ knex: db.knex, handlers, logger }, first);
      const again = { ...first, jobId: 'redelivered', attempt: 2 };
      const other = created(112);
      const results = await processEventBatch({ knex: db.knex, handlers, logger }, [again, other]);
      assert.equal(results[0]!.outcome, 'duplicate');
      assert.equal(results[0]!.outcome === 'duplicate' && results[0]!.firstJobId, first.jobId);
      assert.equal(results[1]!.outcome, 'completed');
      assert.deepEqual(probe.calls, [1, 1], 'the batch form ran for the new event only');
      const effects = await effectCounts(db.knex);
      assert.equal(effects.get(first.payload.eventId), 1);
      assert.equal(effects.get(other.payload.eventId), 1);
    });

    it('rolls the whole batch back when one event fails, naming the handler', async () => {
      const probe = newProbe();
      probe.failFor.add(122);
      const handlers = registryWithProbe(probe);
      const events = [121, 122, 123].map((id) => created(id));
      await assert.rejects(
        processEventBatch({ knex: db.knex, handlers, logger }, events),
        (error: Error) =>
          error instanceof HandlerError && /probe handler: booking 122 is broken/.test(error.message),
      );
      const rows = await db.knex('processed_events').whereIn(
        'event_id',
        events.map((e) => e.payload.eventId),
      );
      assert.equal(rows.length, 0, 'no event of the batch is recorded as processed');
      const effects = await effectCounts(db.knex);
      for (const e of events) assert.equal(effects.get(e.payload.eventId), undefined);
    });

    it('refuses a batch holding one eventId twice, or a job without a batch form', async () => {
      const probe = newProbe();
      const handlers = registryWithProbe(probe, { cancelledToo: true });
      const event = created(131);
      await assert.rejects(
        processEventBatch({ knex: db.knex, handlers, logger }, [event, { ...event, jobId: 'other' }]),
        /the same eventId twice/,
      );
      await assert.rejects(
        processEventBatch({ knex: db.knex, handlers, logger }, [cancelled(1), cancelled(2)]),
        /booking.cancelled has a handler without a batch form/,
      );
    });
  });

  describe('createEventRunner', () => {
    it('runs an event alone and at once when nothing else waits', async () => {
      const probe = newProbe();
      const handlers = registryWithProbe(probe);
      const runner = createEventRunner({ knex: db.knex, handlers, logger }, { maxBatch: 50, maxInFlight: 4 });
      const result = await runner.run(created(201));
      assert.equal(result.outcome, 'completed');
      assert.deepEqual(probe.calls, [1]);
    });

    it('decides the events that waited together, never more than maxBatch, never more transactions than maxInFlight', async () => {
      const probe = newProbe();
      probe.sleepMs = 50;
      const handlers = registryWithProbe(probe);
      const batches: number[] = [];
      const runner = createEventRunner(
        { knex: db.knex, handlers, logger },
        {
          maxBatch: 10,
          maxInFlight: 2,
          onBatch: (_job, size, outcome) => batches.push(outcome === 'committed' ? size : -size),
        },
      );
      const events = Array.from({ length: 40 }, (_, i) => created(300 + i));
      const results = await Promise.all(events.map((e) => runner.run(e)));
      assert.ok(results.every((r) => r.outcome === 'completed'));
      assert.equal(
        probe.calls.reduce((a, b) => a + b, 0),
        40,
        'each event handled once',
      );
      assert.ok(Math.max(...probe.calls) <= 10, `batches of at most 10: ${probe.calls.join(', ')}`);
      assert.ok(
        probe.calls.length <= 6,
        `40 events waiting go in few transactions: ${probe.calls.join(', ')}`,
      );
      assert.ok(probe.peak <= 2, `at most 2 transactions at once, saw ${probe.peak}`);
      assert.ok(
        batches.every((b) => b > 0),
        'every batch committed',
      );
      const effects = await effectCounts(db.knex);
      for (const e of events) assert.equal(effects.get(e.payload.eventId), 1);
    });

    it('splits a batch that fails: the bad event fails alone with its own error, the others commit', async () => {
      const probe = newProbe();
      probe.sleepMs = 30;
      probe.failFor.add(405);
      probe.missing.add(407);
      const handlers = registryWithProbe(probe);
      const split: number[] = [];
      const runner = createEventRunner(
        { knex: db.knex, handlers, logger },
        {
          maxBatch: 20,
          maxInFlight: 1,
          onBatch: (_job, size, outcome) => outcome === 'split' && split.push(size),
        },
      );
      // The first event occupies the only transaction; the other nine wait and go together.
      const events = Array.from({ length: 10 }, (_, i) => created(400 + i));
      const settled = await Promise.allSettled(events.map((e) => runner.run(e)));
      assert.deepEqual(split, [9], 'the batch of the nine waiting events was split');
      for (const [i, s] of settled.entries()) {
        const bookingId = 400 + i;
        if (bookingId === 405) {
          assert.equal(s.status, 'rejected');
          assert.match(String((s as PromiseRejectedResult).reason.message), /booking 405 is broken/);
        } else if (bookingId === 407) {
          assert.equal(s.status, 'rejected');
          assert.ok(
            (s as PromiseRejectedResult).reason.cause instanceof RowNotFoundError,
            'still a not-found, retried as such',
          );
        } else {
          assert.equal(s.status, 'fulfilled', `event of booking ${bookingId}`);
        }
      }
      const effects = await effectCounts(db.knex);
      for (const [i, e] of events.entries()) {
        assert.equal(effects.get(e.payload.eventId), [405, 407].includes(400 + i) ? undefined : 1);
      }
    });

    it('runs jobs without a batch form alone, and a second delivery of a waiting event as a duplicate', async () => {
      const probe = newProbe();
      probe.sleepMs = 30;
      const handlers = registryWithProbe(probe, { cancelledToo: true });
      const runner = createEventRunner({ knex: db.knex, handlers, logger }, { maxBatch: 20, maxInFlight: 1 });
      const busy = created(500);
      const twice = created(501);
      const runs = [
        runner.run(busy),
        runner.run(cancelled(502)),
        runner.run(cancelled(503)),
        runner.run(twice),
        runner.run({ ...twice, jobId: 'second-delivery' }),
      ];
      const results = await Promise.all(runs);
      assert.deepEqual(
        results.map((r) => r.outcome),
        ['completed', 'completed', 'completed', 'completed', 'duplicate'],
      );
      const effects = await effectCounts(db.knex);
      assert.equal(effects.get(twice.payload.eventId), 1);
    });

    it('with maxBatch 1, runs every event alone', async () => {
      const probe = newProbe();
      probe.sleepMs = 20;
      const handlers = registryWithProbe(probe);
      const runner = createEventRunner({ knex: db.knex, handlers, logger }, { maxBatch: 1, maxInFlight: 2 });
      await Promise.all(Array.from({ length: 6 }, (_, i) => runner.run(created(600 + i))));
      assert.deepEqual(probe.calls, [1, 1, 1, 1, 1, 1]);
      assert.ok(probe.peak <= 2);
    });

    it('refuses nonsense limits', () => {
      const handlers = new HandlerRegistry();
      assert.throws(
        () => createEventRunner({ knex: db.knex, handlers, logger }, { maxBatch: 0, maxInFlight: 1 }),
        /maxBatch/,
      );
      assert.throws(
        () => createEventRunner({ knex: db.knex, handlers, logger }, { maxBatch: 2, maxInFlight: 1.5 }),
        /maxInFlight/,
      );
    });
  });
});
