import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { parsePayload } from '../../src/contracts';
import { InvalidPayloadError } from '../../src/errors';
import { HandlerRegistry } from '../../src/queues/handlers';
import { HandlerError, NoHandlerError, processEvent } from '../../src/queues/process-event';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { auditModule, EVENT_AT, effectCounts } from '../support/runtime';

const logger = pino({ level: 'silent' });

function created(bookingId: number, eventId = randomUUID()) {
  return {
    jobName: 'booking.created' as const,
    payload: parsePayload('booking.created', { eventId, occurredAt: EVENT_AT, bookingId }),
    queue: 'bookings' as const,
    jobId: eventId,
    attempt: 1,
  };
}

describe('processEvent (exactly-once core)', () => {
  let db: TestDatabase;
  before(async () => {
    db = await migratedDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  function registry(...modules: ReturnType<typeof auditModule>[]): HandlerRegistry {
    const handlers = new HandlerRegistry();
    for (const m of modules) m.register(handlers, undefined as never);
    return handlers;
  }

  it('commits the effect and the processed_events row together', async () => {
    const handlers = registry(auditModule({ jobs: ['booking.created'] }));
    const event = created(11);
    const result = await processEvent({ knex: db.knex, handlers, logger }, event);
    assert.equal(result.outcome, 'completed');
    assert.deepEqual(result.outcome === 'completed' && result.results, {
      audit: { wrote: 'admin_audit_log' },
    });
    const row = await db.knex('processed_events').where({ event_id: event.payload.eventId }).first();
    assert.equal(row.job_name, 'booking.created');
    assert.equal(row.outcome, 'completed');
    assert.equal(row.queue, 'bookings');
    assert.equal(row.attempt, 1);
    assert.deepEqual(row.results, { audit: { wrote: 'admin_audit_log' } });
    assert.equal((await effectCounts(db.knex)).get(event.payload.eventId), 1);
  });

  it('does nothing for an event processed before, and says when it was', async () => {
    const handlers = registry(auditModule({ jobs: ['booking.created'] }));
    const event = created(12);
    await processEvent({ knex: db.knex, handlers, logger }, event);
    const again = await processEvent(
      { knex: db.knex, handlers, logger },
      { ...event, jobId: 'other', attempt: 2 },
    );
    assert.equal(again.outcome, 'duplicate');
    assert.equal(again.outcome === 'duplicate' && again.firstJobId, event.jobId);
    assert.equal((await effectCounts(db.knex)).get(event.payload.eventId), 1);
  });

  it('has one effect when the same event is processed by two workers at the same moment', async () => {
    const handlers = registry(auditModule({ jobs: ['booking.created'], sleepMs: 200 }));
    const event = created(13);
    const outcomes = await Promise.all([
      processEvent({ knex: db.knex, handlers, logger }, event),
      processEvent({ knex: db.knex, handlers, logger }, event),
    ]);
    assert.deepEqual(outcomes.map((o) => o.outcome).sort(), ['completed', 'duplicate']);
    assert.equal((await effectCounts(db.knex)).get(event.payload.eventId), 1);
  });

  it('runs every handler of a job in registration order, in one transaction', async () => {
    const order: string[] = [];
    let failSecond = true;
    const handlers = registry(
      auditModule({ jobs: ['booking.created'], name: 'rules', before: () => void order.push('rules') }),
      auditModule({
        jobs: ['booking.created'],
        name: 'rollups',
        before: () => {
          order.push('rollups');
          if (failSecond) throw new Error('rollup query failed');
        },
      }),
    );
    const event = created(14);
    await assert.rejects(processEvent({ knex: db.knex, handlers, logger }, event), (error: unknown) => {
      assert.ok(error instanceof HandlerError);
      assert.equal(error.message, 'rollups handler: rollup query failed');
      return true;
    });
    // The first handler's write rolled back with the second's failure, and the event is not marked.
    assert.equal((await effectCounts(db.knex)).get(event.payload.eventId), undefined);
    assert.equal(
      await db.knex('processed_events').where({ event_id: event.payload.eventId }).first(),
      undefined,
    );
    failSecond = false;
    const result = await processEvent({ knex: db.knex, handlers, logger }, { ...event, attempt: 2 });
    assert.deepEqual(Object.keys(result.outcome === 'completed' ? result.results : {}), ['rules', 'rollups']);
    assert.deepEqual(order, ['rules', 'rollups', 'rules', 'rollups']);
    assert.equal((await effectCounts(db.knex)).get(event.payload.eventId), 2);
  });

  it('fails clearly when no handler is registered for the job', async () => {
    await assert.rejects(
      processEvent({ knex: db.knex, handlers: new HandlerRegistry(), logger }, created(15)),
      (error: unknown) =>
        error instanceof NoHandlerError && /no handler is registered for booking.created/.test(error.message),
    );
  });

  it('records follow-ups with the event and hands them back when it is delivered again', async () => {
    const handlers = new HandlerRegistry().register('booking.created', 'fanout', async (ctx) => {
      ctx.enqueueAfterCommit('topology.recheck', { topologyId: 9 });
      ctx.enqueueAfterCommit(
        'device.status_changed',
        { deviceId: 3, previous: { status: null } },
        { delayMs: 500 },
      );
    });
    const event = created(16);
    const first = await processEvent({ knex: db.knex, handlers, logger }, event);
    assert.equal(first.followUps.length, 2);
    assert.equal(first.followUps[0]?.name, 'topology.recheck');
    assert.equal(first.followUps[1]?.delayMs, 500);
    const again = await processEvent({ knex: db.knex, handlers, logger }, event);
    assert.equal(again.outcome, 'duplicate');
    // Same eventIds: re-sending them is harmless.
    assert.deepEqual(again.followUps, first.followUps);
  });

  it('refuses a follow-up that breaks its contract, as a handler bug', async () => {
    const handlers = new HandlerRegistry().register('booking.created', 'fanout', async (ctx) => {
      ctx.enqueueAfterCommit('topology.recheck', { topologyId: -1 });
    });
    await assert.rejects(processEvent({ knex: db.knex, handlers, logger }, created(17)), (error: unknown) => {
      assert.ok(error instanceof HandlerError);
      assert.ok(!(error.cause instanceof InvalidPayloadError), 'the event itself is not invalid');
      assert.match(error.message, /follow-up topology.recheck: invalid topology.recheck payload: topologyId/);
      return true;
    });
  });

  it('refuses an eventId reused by a different job', async () => {
    const handlers = registry(auditModule({ jobs: ['booking.created', 'booking.cancelled'] }));
    const event = created(18);
    await processEvent({ knex: db.knex, handlers, logger }, event);
    const cancelled = {
      jobName: 'booking.cancelled' as const,
      payload: parsePayload('booking.cancelled', {
        eventId: event.payload.eventId,
        occurredAt: EVENT_AT,
        bookingId: 18,
        previous: { deviceId: 1, startTime: EVENT_AT, endTime: EVENT_AT },
      }),
      queue: 'bookings' as const,
      jobId: 'x',
      attempt: 1,
    };
    await assert.rejects(
      processEvent({ knex: db.knex, handlers, logger }, cancelled),
      /eventId .* was already used by a booking.created event .*: every event needs its own eventId/,
    );
  });
});
