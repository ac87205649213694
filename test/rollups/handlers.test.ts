import assert from 'node:assert/strict';
import { classifyError } from '../../src/errors';
import { HandlerError } from '../../src/queues/process-event';
import { rollupHandlers } from '../../src/rollups/handlers';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { deliver, registryOf } from '../support/events';
import { Lab } from '../topologies/lab';

// Past hours, so the buckets are settled (nothing is "until now").
const H = (hour: number) => new Date(Date.UTC(2026, 9, 5, hour));

describe('rollups/handlers: booking and device events update the rollups', () => {
  let db: TestDatabase;
  let lab: Lab;
  let user: number;
  const handlers = registryOf(rollupHandlers);

  before(async () => {
    db = await migratedDatabase();
    lab = new Lab(db.knex);
    user = await lab.user();
  });
  after(async () => {
    await db?.drop();
  });

  async function booked(
    deviceId: number,
    granularity: 'hour' | 'day',
    start: Date,
  ): Promise<number | undefined> {
    const row = await db
      .knex('utilization_rollups')
      .where({ device_id: deviceId, granularity, bucket_start: start.toISOString() })
      .first('booked_seconds');
    return row?.booked_seconds;
  }

  it('counts a created booking in the hour and day buckets it covers', async () => {
    const device = await lab.device();
    const bookingId = await lab.booking({ deviceId: device.id, userId: user, from: H(10), to: H(12) });
    const result = await deliver(db.knex, handlers, 'booking.created', { bookingId });
    assert.equal(result.outcome, 'completed');
    assert.equal(await booked(device.id, 'hour', H(10)), 3600);
    assert.equal(await booked(device.id, 'hour', H(11)), 3600);
    assert.equal((await booked(device.id, 'hour', H(12))) ?? 0, 0);
    assert.equal(await booked(device.id, 'day', H(0)), 7200);
  });

  it('removes the booked seconds of a cancelled booking', async () => {
    const device = await lab.device();
    const bookingId = await lab.booking({ deviceId: device.id, userId: user, from: H(14), to: H(15) });
    await deliver(db.knex, handlers, 'booking.created', { bookingId });
    assert.equal(await booked(device.id, 'hour', H(14)), 3600);

    await db.knex('booking_table').where({ booking_id: bookingId }).update({ status: 'cancelled' });
    const previous = { deviceId: device.id, startTime: H(14).toISOString(), endTime: H(15).toISOString() };
    await deliver(db.knex, handlers, 'booking.cancelled', { bookingId, previous });
    assert.equal(await booked(device.id, 'hour', H(14)), 0);
    assert.equal(await booked(device.id, 'day', H(0)), 0);
  });

  it('releases the previous window of a booking that is gone (deleted) by the time of the event', async () => {
    const device = await lab.device();
    const bookingId = await lab.booking({ deviceId: device.id, userId: user, from: H(16), to: H(17) });
    await deliver(db.knex, handlers, 'booking.created', { bookingId });
    await db.knex('booking_table').where({ booking_id: bookingId }).delete();
    const previous = { deviceId: device.id, startTime: H(16).toISOString(), endTime: H(17).toISOString() };
    const result = await deliver(db.knex, handlers, 'booking.cancelled', { bookingId, previous });
    assert.equal(result.outcome, 'completed');
    assert.equal(await booked(device.id, 'hour', H(16)), 0);
  });

  it('classifies booking.created for a booking not (yet) visible as not_found, and records nothing', async () => {
    const processed = async () => Number((await db.knex('processed_events').count('* as n').first())?.n);
    const before = await processed();
    await assert.rejects(
      deliver(db.knex, handlers, 'booking.created', { bookingId: 987_654 }),
      (error: unknown) => {
        assert.ok(error instanceof HandlerError);
        // What the runtime classifies (processor.ts): the handler's own error, retried with backoff.
        assert.equal(classifyError(error.cause), 'not_found');
        assert.match(error.message, /booking_table row 987654 not found/);
        return true;
      },
    );
    // Rolled back: the event is not marked processed, so the retry runs it again.
    assert.equal(await processed(), before);
  });

  it('counts maintenance from a maintenance_changed event and releases the previous window', async () => {
    const device = await lab.device();
    await db
      .knex('device_table')
      .where({ id: device.id })
      .update({ maintenance_starts_at: H(2).toISOString(), maintenance_ends_at: H(3).toISOString() });
    await deliver(db.knex, handlers, 'device.maintenance_changed', {
      deviceId: device.id,
      previous: { startsAt: null, endsAt: null },
    });
    const maintenance = async (hour: number) =>
      (
        await db
          .knex('utilization_rollups')
          .where({ device_id: device.id, granularity: 'hour', bucket_start: H(hour).toISOString() })
          .first('maintenance_seconds')
      )?.maintenance_seconds;
    assert.equal(await maintenance(2), 3600);

    // Moved to 05:00-06:00: the old hour is released, the new one counted.
    await db
      .knex('device_table')
      .where({ id: device.id })
      .update({ maintenance_starts_at: H(5).toISOString(), maintenance_ends_at: H(6).toISOString() });
    await deliver(db.knex, handlers, 'device.maintenance_changed', {
      deviceId: device.id,
      previous: { startsAt: H(2).toISOString(), endsAt: H(3).toISOString() },
    });
    assert.equal(await maintenance(2), 0);
    assert.equal(await maintenance(5), 3600);
  });
});
