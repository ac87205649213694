/**
 * The overlap marking (a sorted pass per device in the migration) and the report's overlapping
 * pairs agree with the plain definition, checked pair by pair on a few hundred random bookings.
 */
import assert from 'node:assert/strict';
import { alignmentReport } from '../../src/db/alignment/report';
import { migrateTo } from '../../src/db/migrator';
import { emptyDatabase, type TestDatabase } from '../support/db';
import { insertSchedulerDevice, insertUser, migrateToBaseline } from '../support/legacy';

const LAST_ALIGNMENT = '20261124010010_maintenance_records_device_id';

interface B {
  id: number;
  device: number;
  start: number;
  end: number;
  confirmed: boolean;
  collaborator: boolean;
  group: string;
}

/** Small deterministic PRNG (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('alignment: overlap marking and overlapping pairs match the definition', () => {
  let db: TestDatabase;
  const planted: B[] = [];

  before(async function () {
    this.timeout(60_000);
    db = await emptyDatabase();
    await migrateToBaseline(db.knex);
    const user = await insertUser(db.knex);
    const devices = [await insertSchedulerDevice(db.knex), await insertSchedulerDevice(db.knex)];
    const random = rng(20261124);
    const statuses = ['confirmed', 'Confirmed', 'CONFIRMED ', 'pending', 'canceled', null];
    const rows = [];
    for (let i = 0; i < 400; i += 1) {
      const device = devices[Math.floor(random() * devices.length)]!;
      const start = Math.floor(random() * 2000); // minutes
      const length = Math.floor(random() * 40) - 5; // some zero-length and inverted windows
      const status = statuses[Math.floor(random() * statuses.length)]!;
      const collaborator = random() < 0.15;
      const group = `g${Math.floor(random() * 300)}`;
      rows.push({
        device_id: device,
        user_id: user,
        is_collaborator: collaborator,
        grouped_booking_id: group,
        start_time: new Date(Date.UTC(2026, 0, 1, 0, start)),
        end_time: new Date(Date.UTC(2026, 0, 1, 0, start + length)),
        status,
        collaborators: '[]',
        created_at: new Date(Date.UTC(2026, 0, 1)),
      });
      planted.push({
        id: 0,
        device,
        start,
        end: start + length,
        confirmed: status?.trim().toLowerCase() === 'confirmed',
        collaborator,
        group,
      });
    }
    const ids = await db.knex('booking_table').insert(rows).returning('booking_id');
    ids.forEach((r: { booking_id: number }, i: number) => {
      planted[i]!.id = r.booking_id;
    });
    await migrateTo(db.knex, LAST_ALIGNMENT);
  });
  after(() => db?.drop());

  const qualifies = (b: B) => b.confirmed && !b.collaborator && b.end > b.start;
  const overlap = (a: B, b: B) => a.device === b.device && a.start < b.end && b.start < a.end;

  it('marks exactly the confirmed bookings that overlap another one', async () => {
    const expected = planted
      .filter((a) => qualifies(a) && planted.some((b) => b !== a && qualifies(b) && overlap(a, b)))
      .map((b) => b.id)
      .sort((x, y) => x - y);
    const { rows } = await db.knex.raw(
      'SELECT booking_id FROM booking_table WHERE legacy_overlap ORDER BY 1',
    );
    assert.ok(expected.length > 10, `the data has overlaps (${expected.length})`);
    assert.deepEqual(
      rows.map((r: { booking_id: number }) => r.booking_id),
      expected,
    );
  });

  it('reports exactly the overlapping pairs of different reservations', async () => {
    const expected: Array<[number, number]> = [];
    for (const a of planted) {
      for (const b of planted) {
        if (a.id < b.id && qualifies(a) && qualifies(b) && a.group !== b.group && overlap(a, b)) {
          expected.push([a.id, b.id]);
        }
      }
    }
    expected.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    const report = await alignmentReport(db.knex, { ids: true });
    assert.equal(report.bookings.overlapping_confirmed_pairs, expected.length);
    assert.deepEqual(report.ids?.bookings.overlapping_confirmed_pairs, expected);
  });
});
