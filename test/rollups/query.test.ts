import assert from 'node:assert/strict';
import { backfill } from '../../src/rollups/backfill';
import { comingWeekShares, deviceUtilizationFacts } from '../../src/rollups/facts';
import { planRange, utilizationBy } from '../../src/rollups/query';
import { userShares, utilizationByUser } from '../../src/rollups/users';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { bookingRow, resetHistory } from './history';
import type { HistoryBooking } from './oracle';

const T = '2026-01-01T00:00:00Z';
const at = (iso: string) => new Date(iso);

describe('rollups queries, dimensions and facts', () => {
  let db: TestDatabase;
  let nextBooking = 1;

  async function book(
    b: Partial<HistoryBooking> & { deviceId: number; start: Date; end: Date },
  ): Promise<number> {
    const id = nextBooking++;
    await db
      .knex('booking_table')
      .insert(bookingRow({ id, userId: 1, isCollaborator: false, status: 'confirmed', ...b }));
    return id;
  }

  before(async () => {
    db = await migratedDatabase();
    const k = db.knex;
    await resetHistory(k);
    await k('device_types').insert({
      id: 2,
      name: 'amplifier',
      category: 'active',
      is_schedulable: true,
      is_has_ports: true,
      created_at: T,
      updated_at: T,
    });
    await k('sites').insert([
      { id: 1, name: 'north', created_at: T, updated_at: T },
      { id: 2, name: 'south', created_at: T, updated_at: T },
    ]);
    await k('manufacturers').insert({ id: 1, name: 'Acme', created_at: T, updated_at: T });
    await k('tags').insert([
      { id: 1, name: 'core', created_at: T },
      { id: 2, name: 'edge', created_at: T },
    ]);
    const inv = (id: number, type: number, site: number, mf: number | null) => ({
      id,
      name: `inv${id}`,
      device_type_id: type,
      site_id: site,
      manufacturer_id: mf,
      status: 'active',
      created_at: T,
      updated_at: T,
    });
    await k('devices').insert([inv(101, 1, 1, 1), inv(102, 2, 1, 1), inv(103, 2, 2, null)]);
    await k('inventory_device_tags').insert([
      { device_id: 101, tag_id: 1, created_at: T },
      { device_id: 101, tag_id: 2, created_at: T },
      { device_id: 102, tag_id: 1, created_at: T },
    ]);
    await k('device_table').insert([
      { id: 1, Out_Port: 1, In_Port: 2, inventory_device_id: 101 },
      { id: 2, Out_Port: 1, In_Port: 2, inventory_device_id: 102 },
      { id: 3, Out_Port: 1, In_Port: 2, inventory_device_id: 103 },
      { id: 4, Out_Port: 1, In_Port: 2 },
    ]);
    // Device 1: 12 h on Mar 2 (10:00-22:00), device 2: 6 h on Mar 3, device 3: 3 h on Mar 4.
    await book({
      deviceId: 1,
      userId: 1,
      start: at('2026-03-02T10:00:00Z'),
      end: at('2026-03-02T22:00:00Z'),
    });
    await book({
      deviceId: 2,
      userId: 2,
      start: at('2026-03-03T06:00:00Z'),
      end: at('2026-03-03T12:00:00Z'),
    });
    await book({
      deviceId: 3,
      userId: 1,
      start: at('2026-03-04T01:00:00Z'),
      end: at('2026-03-04T04:00:00Z'),
    });
    await backfill(k, {
      from: at('2026-02-01T00:00:00Z'),
      to: at('2026-03-10T00:00:00Z'),
      asOf: at('2026-04-01T00:00:00Z'),
    });
  });
  after(() => db?.drop());

  it('plans whole days from day rows and the edges from hour rows', () => {
    const p = planRange(at('2026-03-02T10:20:00Z'), at('2026-03-05T04:10:00Z'));
    assert.deepEqual(
      [p.from, p.dayFrom, p.dayTo, p.to].map((d) => d.toISOString()),
      [
        '2026-03-02T10:00:00.000Z',
        '2026-03-03T00:00:00.000Z',
        '2026-03-05T00:00:00.000Z',
        '2026-03-05T05:00:00.000Z',
      ],
    );
    const short = planRange(at('2026-03-02T10:00:00Z'), at('2026-03-02T12:00:00Z'));
    assert.equal(short.dayFrom.getTime(), short.dayTo.getTime());
  });

  it('covers a range exactly: whole days from day rows, the edges from hour rows', async () => {
    const from = at('2026-03-02T12:00:00Z');
    const to = at('2026-03-04T02:00:00Z');
    const { groups } = await utilizationBy(db.knex, 'device', { from, to });
    const d1 = groups.find((g) => g.key === '1')!;
    assert.equal(d1.booked_seconds, 10 * 3600);
    assert.equal(groups.find((g) => g.key === '2')!.booked_seconds, 6 * 3600);
    assert.equal(groups.find((g) => g.key === '3')!.booked_seconds, 3600);
    const range = (to.getTime() - from.getTime()) / 1000;
    for (const g of groups) assert.equal(g.covered_seconds, range, `device ${g.key} fully covered`);
    // Drop the hour rows of the whole day in the middle: still fully covered, by its day row.
    await db
      .knex('utilization_rollups')
      .where({ granularity: 'hour' })
      .andWhere('bucket_start', '>=', '2026-03-03T00:00:00Z')
      .andWhere('bucket_start', '<', '2026-03-04T00:00:00Z')
      .delete();
    const again = await utilizationBy(db.knex, 'device', { from, to });
    assert.deepEqual(again.groups, groups);
    await backfill(db.knex, {
      from: at('2026-03-03T00:00:00Z'),
      to: at('2026-03-04T00:00:00Z'),
      asOf: at('2026-04-01T00:00:00Z'),
    });
  });

  it('reports coverage when part of the range was never computed', async () => {
    const { groups } = await utilizationBy(db.knex, 'category', {
      from: at('2026-03-09T00:00:00Z'),
      to: at('2026-03-11T00:00:00Z'),
    });
    for (const g of groups) assert.equal(g.covered_seconds * 2, g.expected_seconds);
  });

  it('groups by device type, category, site, manufacturer and tag', async () => {
    const q = { from: at('2026-03-02T00:00:00Z'), to: at('2026-03-05T00:00:00Z') };
    const pick = (
      gs: Array<{ key: string | null; label: string | null; devices: number; booked_seconds: number }>,
    ) => gs.map((g) => [g.key, g.label, g.devices, g.booked_seconds / 3600]);
    assert.deepEqual(pick((await utilizationBy(db.knex, 'device_type', q)).groups), [
      ['1', 'otdr', 1, 12],
      ['2', 'amplifier', 2, 9],
      [null, null, 1, 0],
    ]);
    assert.deepEqual(pick((await utilizationBy(db.knex, 'category', q)).groups), [
      ['active', 'active', 2, 9],
      ['optical', 'optical', 1, 12],
      [null, null, 1, 0],
    ]);
    assert.deepEqual(pick((await utilizationBy(db.knex, 'site', q)).groups), [
      ['1', 'north', 2, 18],
      ['2', 'south', 1, 3],
      [null, null, 1, 0],
    ]);
    assert.deepEqual(pick((await utilizationBy(db.knex, 'manufacturer', q)).groups), [
      ['1', 'Acme', 2, 18],
      [null, null, 2, 3],
    ]);
    // Device 1 has two tags and counts under both.
    assert.deepEqual(pick((await utilizationBy(db.knex, 'tag', q)).groups), [
      ['core', 'core', 2, 18],
      ['edge', 'edge', 1, 12],
      [null, null, 2, 3],
    ]);
    const site = (await utilizationBy(db.knex, 'site', { ...q, deviceIds: [1] })).groups;
    assert.deepEqual(pick(site), [['1', 'north', 1, 12]]);
    assert.equal(site[0]!.utilization, (12 * 3600) / (3 * 86400));
  });

  it('gives each user their booked seconds, from the bookings', async () => {
    const users = await utilizationByUser(db.knex, {
      from: at('2026-03-02T00:00:00Z'),
      to: at('2026-03-05T00:00:00Z'),
      asOf: at('2026-04-01T00:00:00Z'),
    });
    assert.deepEqual(
      users.map((u) => [u.username, u.devices, u.booking_count, u.booked_seconds / 3600]),
      [
        ['user1', 2, 2, 15],
        ['user2', 1, 1, 6],
      ],
    );
  });

  it("computes a user's share of a device's booked time for many devices at once", async () => {
    await book({
      deviceId: 4,
      userId: 1,
      start: at('2026-03-20T00:00:00Z'),
      end: at('2026-03-20T06:00:00Z'),
    });
    await book({
      deviceId: 4,
      userId: 1,
      start: at('2026-03-20T03:00:00Z'),
      end: at('2026-03-20T08:00:00Z'),
    });
    await book({
      deviceId: 4,
      userId: 2,
      start: at('2026-03-21T00:00:00Z'),
      end: at('2026-03-21T02:00:00Z'),
    });
    const pending = await book({
      deviceId: 4,
      userId: 3,
      status: 'pending',
      start: at('2026-03-22T00:00:00Z'),
      end: at('2026-03-22T10:00:00Z'),
    });
    const asOf = at('2026-03-19T00:00:00Z');
    const week = await comingWeekShares(db.knex, { deviceIds: [1, 4], asOf });
    assert.deepEqual(
      week.map((s) => [s.device_id, s.user_id, s.user_booked_seconds / 3600, s.device_booked_seconds / 3600]),
      [
        [4, 1, 8, 10],
        [4, 2, 2, 10],
      ],
    );
    assert.equal(week[0]!.share_of_booked, 0.8);
    assert.equal(week[0]!.share_of_capacity, 8 / (7 * 24));
    assert.equal(week[0]!.device_utilization, 10 / (7 * 24));
    const decided = await comingWeekShares(db.knex, {
      deviceIds: [4],
      asOf,
      userIds: [3],
      assumeBookedIds: [pending],
    });
    assert.deepEqual(
      decided.map((s) => [s.user_id, s.user_booked_seconds / 3600, s.share_of_booked]),
      [[3, 10, 0.5]],
    );
    // Only some users' rows (a decision's requesters), and each device's first row for its
    // device-wide figures: every user still counts towards the device.
    const reported = await comingWeekShares(db.knex, { deviceIds: [1, 4], asOf, reportUserIds: [2] });
    assert.deepEqual(
      reported.map((s) => [
        s.device_id,
        s.user_id,
        s.user_booked_seconds / 3600,
        s.device_booked_seconds / 3600,
      ]),
      [
        [4, 1, 8, 10],
        [4, 2, 2, 10],
      ],
    );
    const onlyFirst = await comingWeekShares(db.knex, { deviceIds: [1, 4], asOf, reportUserIds: [7] });
    assert.deepEqual(
      onlyFirst.map((s) => [s.device_id, s.user_id, s.device_booked_seconds / 3600, s.device_utilization]),
      [[4, 1, 10, 10 / (7 * 24)]],
      'a device none of the users booked still has its row of device-wide figures',
    );
    const past = await userShares(db.knex, {
      deviceIds: [1, 2],
      from: at('2026-03-01T00:00:00Z'),
      to: at('2026-03-08T00:00:00Z'),
    });
    assert.deepEqual(
      past.map((s) => [s.device_id, s.user_id, s.share_of_booked]),
      [
        [1, 1, 1],
        [2, 2, 1],
      ],
    );
  });

  it("gives each device's utilization over the last 7 and 30 days, with coverage", async () => {
    const facts = await deviceUtilizationFacts(db.knex, [1, 4], at('2026-03-09T00:30:00Z'));
    const d1 = facts.find((f) => f.device_id === 1)!;
    assert.equal(d1.last7d.booked_seconds, 12 * 3600);
    assert.equal(d1.last7d.utilization, (12 * 3600) / (7 * 86400));
    assert.equal(d1.last7d.coverage, 1);
    assert.equal(d1.last30d.utilization, (12 * 3600) / (30 * 86400));
    const late = await deviceUtilizationFacts(db.knex, [1], at('2026-03-20T00:00:00Z'));
    assert.ok(late[0]!.last7d.coverage < 1, 'days after the backfilled range are not covered');
  });
});
