import assert from 'node:assert/strict';
import { backfill } from '../../src/rollups/backfill';
import { computeTargets } from '../../src/rollups/compute';
import {
  recomputeForBookingEvent,
  recomputeForDeviceEvent,
  recomputeForWindows,
} from '../../src/rollups/incremental';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { bookingRow, recordRow, resetHistory, snapshotRow } from './history';
import type { HistoryBooking } from './oracle';

const DAY = '2026-03-02';
const at = (time: string, day = DAY) => new Date(`${day}T${time}:00Z`);
const AS_OF = new Date('2026-04-01T00:00:00Z');

describe('rollups compute', () => {
  let db: TestDatabase;
  let nextBooking = 1;

  before(async () => {
    db = await migratedDatabase();
  });
  after(() => db?.drop());

  beforeEach(async () => {
    await resetHistory(db.knex);
    await db.knex('devices').insert({
      id: 101,
      name: 'inv101',
      device_type_id: 1,
      status: 'active',
      created_at: '2026-01-01',
      updated_at: '2026-01-01',
    });
    await db.knex('device_table').insert([
      { id: 1, Out_Port: 1, In_Port: 2, inventory_device_id: 101 },
      { id: 2, Out_Port: 3, In_Port: 4 },
    ]);
  });

  async function book(b: Partial<HistoryBooking> & { start: Date; end: Date }): Promise<number> {
    const id = nextBooking++;
    await db
      .knex('booking_table')
      .insert(bookingRow({ id, deviceId: 1, userId: 1, isCollaborator: false, status: 'confirmed', ...b }));
    return id;
  }

  async function run(from = at('00:00'), to = at('00:00', '2026-03-03')): Promise<void> {
    await backfill(db.knex, { from, to, asOf: AS_OF });
  }

  async function bucket(granularity: 'hour' | 'day', start: Date, deviceId = 1) {
    const row = await db
      .knex('utilization_rollups')
      .first()
      .where({ device_id: deviceId, granularity, bucket_start: start.toISOString() });
    assert.ok(row, `no ${granularity} row at ${start.toISOString()}`);
    return row as Record<string, number>;
  }

  it('counts overlapping legacy bookings once, so utilization never exceeds 100%', async () => {
    await book({ start: at('10:00'), end: at('11:30'), userId: 1 });
    await book({ start: at('10:30'), end: at('12:00'), userId: 2 });
    await book({ start: at('10:45'), end: at('11:00'), userId: 2, status: 'completed' });
    await run();
    const h10 = await bucket('hour', at('10:00'));
    assert.equal(h10.booked_seconds, 3600);
    assert.equal(h10.idle_seconds, 0);
    assert.equal(h10.booking_count, 3);
    assert.equal(h10.user_count, 2);
    assert.equal((await bucket('hour', at('11:00'))).booked_seconds, 3600);
    assert.equal((await bucket('day', at('00:00'))).booked_seconds, 2 * 3600);
  });

  it('splits a booking across hour and day boundaries', async () => {
    await book({ start: at('22:15'), end: at('01:30', '2026-03-03') });
    await run(at('00:00'), at('00:00', '2026-03-04'));
    assert.equal((await bucket('hour', at('22:00'))).booked_seconds, 2700);
    assert.equal((await bucket('hour', at('23:00'))).booked_seconds, 3600);
    assert.equal((await bucket('hour', at('01:00', '2026-03-03'))).booked_seconds, 1800);
    assert.equal((await bucket('day', at('00:00'))).booked_seconds, 6300);
    assert.equal((await bucket('day', at('00:00', '2026-03-03'))).booked_seconds, 5400);
  });

  it('counts nothing for zero-length, inverted, collaborator, cancelled, pending or unknown rows', async () => {
    await book({ start: at('09:00'), end: at('09:00') });
    await book({ start: at('10:00'), end: at('09:00') });
    await book({ start: at('11:00'), end: at('12:00'), isCollaborator: true });
    await book({ start: at('12:00'), end: at('13:00'), status: 'Cancelled' });
    await book({ start: at('13:00'), end: at('14:00'), status: 'pending' });
    await book({ start: at('14:00'), end: at('15:00'), status: 'on hold' });
    await run();
    const day = await bucket('day', at('00:00'));
    assert.equal(day.booked_seconds, 0);
    assert.equal(day.booking_count, 0);
    assert.equal(day.idle_seconds, 86400);
  });

  it('gives maintenance precedence over down, and down over booked', async () => {
    await book({ start: at('08:00'), end: at('12:00') });
    await db
      .knex('device_table')
      .where({ id: 1 })
      .update({
        maintenance_starts_at: at('08:30').toISOString(),
        maintenance_ends_at: at('09:30').toISOString(),
      });
    await db
      .knex('device_health_snapshot')
      .insert([
        snapshotRow({ id: 1, deviceId: 1, status: 'down', heartbeatAt: at('09:00'), updatedAt: at('09:05') }),
        snapshotRow({ id: 2, deviceId: 1, status: 'up', heartbeatAt: null, updatedAt: at('10:15') }),
      ]);
    await run();
    const h8 = await bucket('hour', at('08:00'));
    assert.deepEqual(
      [h8.booked_seconds, h8.maintenance_seconds, h8.down_seconds, h8.idle_seconds, h8.capacity_seconds],
      [1800, 1800, 0, 0, 1800],
    );
    const h9 = await bucket('hour', at('09:00'));
    assert.deepEqual(
      [h9.booked_seconds, h9.maintenance_seconds, h9.down_seconds, h9.idle_seconds],
      [0, 1800, 1800, 0],
    );
    const h10 = await bucket('hour', at('10:00'));
    assert.deepEqual([h10.booked_seconds, h10.down_seconds], [2700, 900]);
    // The booking still touches every hour it was booked in.
    assert.equal(h9.booking_count, 1);
  });

  it('reads maintenance records of the linked inventory device', async () => {
    const records = [
      // performed after scheduled: scheduled .. performed
      { id: 1, inventoryDeviceId: 101, scheduled: at('02:00'), performed: at('03:30'), status: 'completed' },
      // not performed yet: a day from the scheduled date
      {
        id: 2,
        inventoryDeviceId: 101,
        scheduled: at('00:00', '2026-03-04'),
        performed: null,
        status: 'scheduled',
      },
      { id: 3, inventoryDeviceId: 101, scheduled: at('12:00'), performed: null, status: ' Cancelled ' },
      { id: 4, inventoryDeviceId: null, scheduled: at('14:00'), performed: null, status: 'scheduled' },
    ];
    await db.knex('maintenance_records').insert(records.map((r) => recordRow(r)));
    await run(at('00:00'), at('00:00', '2026-03-06'));
    assert.equal((await bucket('day', at('00:00'))).maintenance_seconds, 5400);
    assert.equal((await bucket('day', at('00:00', '2026-03-04'))).maintenance_seconds, 86400);
    assert.equal((await bucket('day', at('00:00', '2026-03-04'))).capacity_seconds, 0);
    assert.equal((await bucket('day', at('00:00', '2026-03-05'))).maintenance_seconds, 0);
    assert.equal((await bucket('day', at('00:00'), 2)).maintenance_seconds, 0);
  });

  it('counts a device down from its last down snapshot until as-of, never into the future', async () => {
    await db
      .knex('device_health_snapshot')
      .insert(
        snapshotRow({ id: 1, deviceId: 2, status: ' Offline ', heartbeatAt: null, updatedAt: at('20:00') }),
      );
    await backfill(db.knex, {
      from: at('00:00'),
      to: at('00:00', '2026-03-04'),
      asOf: at('06:30', '2026-03-03'),
      deviceIds: [2],
    });
    assert.equal((await bucket('day', at('00:00'), 2)).down_seconds, 4 * 3600);
    assert.equal((await bucket('hour', at('06:00', '2026-03-03'), 2)).down_seconds, 1800);
    assert.equal((await bucket('hour', at('07:00', '2026-03-03'), 2)).down_seconds, 0);
  });

  it('ends a status at the next snapshot even when one call recomputes far-apart windows', async () => {
    await db.knex('device_health_snapshot').insert([
      snapshotRow({
        id: 1,
        deviceId: 1,
        status: 'down',
        heartbeatAt: at('23:45', '2026-03-01'),
        updatedAt: at('00:00'),
      }),
      snapshotRow({ id: 2, deviceId: 1, status: 'ok', heartbeatAt: at('00:00'), updatedAt: at('00:00') }),
    ]);
    await recomputeForWindows(
      db.knex,
      [
        { deviceId: 1, start: at('23:45', '2026-03-01'), end: at('23:46', '2026-03-01') },
        { deviceId: 1, start: at('00:00', '2026-03-03'), end: at('00:15', '2026-03-03') },
      ],
      { asOf: at('00:15', '2026-03-03') },
    );
    assert.equal((await bucket('hour', at('23:00', '2026-03-01'))).down_seconds, 900);
    assert.equal((await bucket('hour', at('00:00', '2026-03-03'))).down_seconds, 0);
    assert.equal((await bucket('day', at('00:00', '2026-03-03'))).down_seconds, 0);
  });

  it('is safe to rerun: a second run writes nothing and changes nothing', async () => {
    await book({ start: at('10:00'), end: at('11:30') });
    await run();
    const before = await db.knex('utilization_rollups').orderBy(['device_id', 'granularity', 'bucket_start']);
    const again = await backfill(db.knex, { from: at('00:00'), to: at('00:00', '2026-03-03'), asOf: AS_OF });
    assert.equal(again.written, 0);
    assert.equal(again.buckets, 2 * 25);
    assert.deepEqual(
      await db.knex('utilization_rollups').orderBy(['device_id', 'granularity', 'bucket_start']),
      before,
    );
  });

  it('gives the same rows whether chunks run one at a time or several at once', async () => {
    await book({ start: at('10:00'), end: at('11:30'), userId: 1 });
    await book({ deviceId: 2, start: at('09:00'), end: at('03:00', '2026-03-03'), userId: 2 });
    const rows = () => db.knex('utilization_rollups').orderBy(['device_id', 'granularity', 'bucket_start']);
    const options = { from: at('00:00'), to: at('00:00', '2026-03-05'), asOf: AS_OF, chunkBuckets: 30 };
    const serial = await backfill(db.knex, options);
    const one = (await rows()).map(({ computed_at: _, ...r }) => r);
    await db.knex('utilization_rollups').delete();
    const parallel = await backfill(db.knex, { ...options, concurrency: 3 });
    assert.ok(serial.chunks > 3);
    assert.equal(parallel.written, serial.written);
    assert.deepEqual(
      (await rows()).map(({ computed_at: _, ...r }) => r),
      one,
    );
  });

  it('takes a cancellation after the bucket was computed out again, incrementally', async () => {
    const id = await book({ start: at('10:00'), end: at('11:30') });
    await book({ start: at('16:00'), end: at('17:00') });
    await run();
    await db.knex.transaction(async (trx) => {
      await trx('booking_table').where({ booking_id: id }).update({ status: 'cancelled' });
      const result = await recomputeForBookingEvent(
        trx,
        id,
        { deviceId: 1, startTime: at('10:00'), endTime: at('11:30') },
        { asOf: AS_OF },
      );
      // Two hours and one day, for the one device.
      assert.equal(result.buckets, 3);
      assert.equal(result.written, 3);
    });
    assert.equal((await bucket('hour', at('10:00'))).booked_seconds, 0);
    assert.equal((await bucket('hour', at('10:00'))).booking_count, 0);
    assert.equal((await bucket('day', at('00:00'))).booked_seconds, 3600);
  });

  it('moves a booking between devices: both old and new buckets are recomputed', async () => {
    const id = await book({ start: at('10:00'), end: at('11:00') });
    await run();
    await db.knex.transaction(async (trx) => {
      await trx('booking_table')
        .where({ booking_id: id })
        .update({ device_id: 2, start_time: '2026-03-02T13:00:00', end_time: '2026-03-02T14:00:00' });
      await recomputeForBookingEvent(
        trx,
        id,
        { deviceId: 1, startTime: '2026-03-02T10:00:00Z', endTime: '2026-03-02T11:00:00Z' },
        { asOf: AS_OF },
      );
    });
    assert.equal((await bucket('hour', at('10:00'))).booked_seconds, 0);
    assert.equal((await bucket('hour', at('13:00'), 2)).booked_seconds, 3600);
    assert.equal((await bucket('day', at('00:00'))).booked_seconds, 0);
    assert.equal((await bucket('day', at('00:00'), 2)).booked_seconds, 3600);
  });

  it('recomputes the old and new maintenance window of a device event', async () => {
    await book({ start: at('00:00'), end: at('00:00', '2026-03-03') });
    await db
      .knex('device_table')
      .where({ id: 1 })
      .update({
        maintenance_starts_at: at('01:00').toISOString(),
        maintenance_ends_at: at('02:00').toISOString(),
      });
    await run();
    assert.equal((await bucket('hour', at('01:00'))).maintenance_seconds, 3600);
    await db.knex.transaction(async (trx) => {
      await trx('device_table')
        .where({ id: 1 })
        .update({
          maintenance_starts_at: at('05:00').toISOString(),
          maintenance_ends_at: at('05:30').toISOString(),
        });
      await recomputeForDeviceEvent(trx, 1, new Date(), {
        asOf: AS_OF,
        previous: [{ start: at('01:00'), end: at('02:00') }],
      });
    });
    assert.equal((await bucket('hour', at('01:00'))).maintenance_seconds, 0);
    assert.equal((await bucket('hour', at('01:00'))).booked_seconds, 3600);
    assert.equal((await bucket('hour', at('05:00'))).maintenance_seconds, 1800);
    assert.equal((await bucket('day', at('00:00'))).maintenance_seconds, 1800);
  });

  it('serialises writers of one device, so the last write is computed from the latest data', async () => {
    await run();
    const first = await db.knex.transaction();
    await first('booking_table').insert(
      bookingRow({
        id: nextBooking++,
        deviceId: 1,
        userId: 1,
        isCollaborator: false,
        status: 'confirmed',
        start: at('10:00'),
        end: at('11:00'),
      }),
    );
    await recomputeForWindows(first, [{ deviceId: 1, start: at('10:00'), end: at('11:00') }], {
      asOf: AS_OF,
    });
    // A second writer of the same bucket, started while the first has not committed, waits.
    const second = recomputeForWindows(db.knex, [{ deviceId: 1, start: at('10:00'), end: at('11:00') }], {
      asOf: AS_OF,
    });
    for (let i = 0; i < 100; i += 1) {
      const { rows } = await db.knex.raw<{ rows: unknown[] }>(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (rows.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await first.commit();
    await second;
    // Without the lock, the second writer would have read the data before the first committed
    // and overwritten the bucket with a booked time of 0.
    assert.equal((await bucket('hour', at('10:00'))).booked_seconds, 3600);
  });

  it('skips devices that do not exist and rejects unaligned targets', async () => {
    const result = await computeTargets(db.knex, [
      { deviceId: 999, granularity: 'hour', start: at('00:00'), end: at('01:00') },
    ]);
    assert.equal(result.written, 0);
    await assert.rejects(
      computeTargets(db.knex, [{ deviceId: 1, granularity: 'day', start: at('01:00'), end: at('02:00') }]),
      /must be day-aligned/,
    );
  });
});
