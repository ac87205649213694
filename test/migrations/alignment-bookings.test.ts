import assert from 'node:assert/strict';
import { migrateTo, rollbackTo } from '../../src/db/migrator';
import { emptyDatabase, type TestDatabase } from '../support/db';
import {
  BASELINE,
  insertBooking,
  insertSchedulerDevice,
  insertUser,
  migrateToBaseline,
  sqlstateOf,
} from '../support/legacy';

const STEP = '20261124010001_booking_status_and_overlap';

describe('alignment: bookings (status_canonical, legacy_overlap, exclusion constraint)', () => {
  let db: TestDatabase;
  let user: number;
  let d1: number;
  let d2: number;
  const ids: Record<string, number> = {};
  let planted: unknown[];

  const day = (h: number) => `2026-02-01 ${String(h).padStart(2, '0')}:00:00`;

  before(async () => {
    db = await emptyDatabase();
    await migrateToBaseline(db.knex);
    const k = db.knex;
    user = await insertUser(k);
    d1 = await insertSchedulerDevice(k, { polatis_name: 'P1' });
    d2 = await insertSchedulerDevice(k, { polatis_name: 'P2' });
    const b = (name: string, row: Parameters<typeof insertBooking>[1]) =>
      insertBooking(k, row).then((id) => {
        ids[name] = id;
      });
    await b('a', { device_id: d1, user_id: user, start_time: day(10), end_time: day(12) });
    await b('overlapsA', {
      device_id: d1,
      user_id: user,
      start_time: day(11),
      end_time: day(13),
      status: 'Confirmed ',
    });
    await b('collabOfA', {
      device_id: d1,
      user_id: user,
      start_time: day(10),
      end_time: day(12),
      is_collaborator: true,
    });
    await b('overlapsB', {
      device_id: d1,
      user_id: user,
      start_time: day(12),
      end_time: day(13),
      status: 'CONFIRMED',
    });
    await b('inverted', { device_id: d1, user_id: user, start_time: day(14), end_time: day(13) });
    await b('canceled', {
      device_id: d1,
      user_id: user,
      start_time: day(10),
      end_time: day(12),
      status: 'canceled',
    });
    await b('otherDevice', { device_id: d2, user_id: user, start_time: day(10), end_time: day(12) });
    await b('adjacent', { device_id: d2, user_id: user, start_time: day(12), end_time: day(14) });
    await b('nullStatus', {
      device_id: d2,
      user_id: user,
      start_time: day(10),
      end_time: day(12),
      status: null,
    });
    await b('approved', {
      device_id: d2,
      user_id: user,
      start_time: day(10),
      end_time: day(12),
      status: 'approved',
    });
    await b('pendingApproval', {
      device_id: d2,
      user_id: user,
      start_time: day(10),
      end_time: day(12),
      status: ' Pending Approval',
    });
    await b('pendingDash', {
      device_id: d2,
      user_id: user,
      start_time: day(1),
      end_time: day(2),
      status: 'pending-approval',
    });
    await b('completed', {
      device_id: d2,
      user_id: user,
      start_time: day(1),
      end_time: day(2),
      status: '\tcompleted\n',
    });
    await b('rejected', {
      device_id: d2,
      user_id: user,
      start_time: day(1),
      end_time: day(2),
      status: 'REJECTED',
    });
    await b('pending', {
      device_id: d2,
      user_id: user,
      start_time: day(1),
      end_time: day(2),
      status: 'pending',
    });
    await b('sameGroup1', {
      device_id: d2,
      user_id: user,
      start_time: day(20),
      end_time: day(22),
      grouped_booking_id: 'dup',
    });
    await b('sameGroup2', {
      device_id: d2,
      user_id: user,
      start_time: day(21),
      end_time: day(23),
      grouped_booking_id: 'dup',
    });
    planted = (await k.raw('SELECT * FROM booking_table ORDER BY booking_id')).rows;
    await migrateTo(k, STEP);
  });

  after(() => db?.drop());

  async function rowsById(): Promise<
    Map<number, { status_canonical: string | null; legacy_overlap: boolean }>
  > {
    const { rows } = await db.knex.raw(
      'SELECT booking_id, status_canonical, legacy_overlap FROM booking_table',
    );
    return new Map(rows.map((r: { booking_id: number }) => [r.booking_id, r]));
  }

  it('derives the canonical status without rewriting the legacy one', async () => {
    const byId = await rowsById();
    const expected: Record<string, string | null> = {
      a: 'confirmed',
      overlapsA: 'confirmed',
      overlapsB: 'confirmed',
      canceled: 'cancelled',
      nullStatus: null,
      approved: null,
      pendingApproval: 'pending_approval',
      pendingDash: 'pending_approval',
      completed: 'completed',
      rejected: 'rejected',
      pending: 'pending',
    };
    for (const [name, status] of Object.entries(expected)) {
      assert.equal(byId.get(ids[name]!)?.status_canonical, status, name);
    }
    const { rows } = await db.knex.raw('SELECT booking_id, status FROM booking_table ORDER BY booking_id');
    assert.deepEqual(
      rows.map((r: { status: string | null }) => r.status),
      (planted as Array<{ status: string | null }>).map((r) => r.status),
    );
  });

  it('marks exactly the bookings that already overlapped', async () => {
    const byId = await rowsById();
    const flagged = Object.entries(ids)
      .filter(([, id]) => byId.get(id)?.legacy_overlap)
      .map(([name]) => name)
      .sort();
    assert.deepEqual(flagged, ['a', 'overlapsA', 'overlapsB', 'sameGroup1', 'sameGroup2']);
  });

  it('has the composite conflict index', async () => {
    const { rows } = await db.knex.raw(
      `SELECT indexdef FROM pg_indexes WHERE tablename = 'booking_table' AND indexname = 'ix_booking_table_device_window'`,
    );
    assert.match(rows[0].indexdef, /\(device_id, start_time, end_time\)/);
  });

  it('rejects a new confirmed booking that overlaps a confirmed one (23P01)', async () => {
    const error = await insertBooking(db.knex, {
      device_id: d2,
      user_id: user,
      start_time: day(11),
      end_time: day(13),
    }).catch((e: { code: string; constraint: string }) => e);
    assert.equal((error as { code: string }).code, '23P01');
    assert.equal((error as { constraint: string }).constraint, 'booking_table_no_confirmed_overlap');
  });

  it('accepts a collaborator row and a pending booking over the same window', async () => {
    await insertBooking(db.knex, {
      device_id: d2,
      user_id: user,
      start_time: day(11),
      end_time: day(13),
      is_collaborator: true,
    });
    await insertBooking(db.knex, {
      device_id: d2,
      user_id: user,
      start_time: day(11),
      end_time: day(13),
      status: 'pending',
    });
  });

  it('accepts back-to-back bookings and inverted windows', async () => {
    await insertBooking(db.knex, { device_id: d2, user_id: user, start_time: day(14), end_time: day(15) });
    await insertBooking(db.knex, { device_id: d2, user_id: user, start_time: day(15), end_time: day(11) });
  });

  it('rejects a booking overlapping a marked legacy overlap, with the same error', async () => {
    const error = await insertBooking(db.knex, {
      device_id: d1,
      user_id: user,
      start_time: '2026-02-01 09:00:00',
      end_time: '2026-02-01 10:30:00',
    }).catch((e: { code: string; constraint: string }) => e);
    assert.equal((error as { code: string }).code, '23P01');
    assert.equal((error as { constraint: string }).constraint, 'booking_table_no_confirmed_overlap');
  });

  it('rejects confirming a pending booking into an overlap', async () => {
    const id = await insertBooking(db.knex, {
      device_id: d2,
      user_id: user,
      start_time: day(16),
      end_time: day(18),
      status: 'pending',
    });
    await insertBooking(db.knex, { device_id: d2, user_id: user, start_time: day(17), end_time: day(19) });
    const code = await sqlstateOf(
      db.knex('booking_table').where({ booking_id: id }).update({ status: 'confirmed' }),
    );
    assert.equal(code, '23P01');
  });

  it('rolls back to the legacy rows as they were', async () => {
    // Rows added by the tests above are legacy writes too; drop them to compare with the plant.
    await db
      .knex('booking_table')
      .where('booking_id', '>', Math.max(...Object.values(ids)))
      .delete();
    await rollbackTo(db.knex, BASELINE);
    const { rows } = await db.knex.raw('SELECT * FROM booking_table ORDER BY booking_id');
    assert.deepEqual(rows, planted);
    const { rows: ext } = await db.knex.raw(`SELECT 1 FROM pg_extension WHERE extname = 'btree_gist'`);
    assert.equal(ext.length, 0);
  });
});
