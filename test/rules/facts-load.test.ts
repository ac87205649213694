import assert from 'node:assert/strict';
import { type BookingFacts, bookingFactsSchema } from '../../src/rules/facts/catalog';
import { createBookingFactsCache, loadBookingFacts } from '../../src/rules/facts/load';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { at, BookingLab, NOW } from './booking-lab';

function valid(facts: BookingFacts): BookingFacts {
  const parsed = bookingFactsSchema.safeParse(facts);
  assert.ok(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues, null, 2));
  return facts;
}

async function one(db: TestDatabase, group: string): Promise<BookingFacts[]> {
  const map = await loadBookingFacts(db.knex, [group], { now: NOW });
  const list = map.get(group);
  assert.ok(list, `reservation ${group} not loaded`);
  return list.map(valid);
}

describe('rules/facts/load: booking facts from real rows', () => {
  let db: TestDatabase;
  let lab: BookingLab;

  before(async () => {
    db = await migratedDatabase();
    lab = new BookingLab(db.knex);
  });
  after(async () => {
    await db.drop();
  });

  it('loads a reservation of two devices: booking, grouped booking, device, requester', async () => {
    const requester = await lab.user('facts-ava', {
      role: 'Operator',
      approvalLimits: { max_hours: 8, max_devices: 2 },
    });
    const colleague = await lab.user('facts-col');
    const a = await lab.device({
      name: 'otdr-03',
      inventory: { site: 'Lab B', manufacturer: 'EXFO', tags: ['Shared'] },
      tags: ['fragile ', 'shared'],
    });
    const b = await lab.device({ type: 'EDFA' });
    const { group, ids } = await lab.reservation([
      { device: b, user: requester, start: at(20), end: at(24) },
      { device: a, user: requester, start: at(20), end: at(26) },
      { device: a, user: colleague, start: at(20), end: at(26), collaborator: true },
    ]);
    const facts = await one(db, group);
    assert.deepEqual(
      facts.map((f) => f.booking.deviceId),
      [a, b],
    );
    const [fa, fb] = facts as [BookingFacts, BookingFacts];
    assert.deepEqual(fa.booking, {
      id: ids[1],
      groupedBookingId: group,
      deviceId: a,
      userId: requester,
      startsAt: '2026-11-25T08:00:00Z',
      endsAt: '2026-11-25T14:00:00Z',
      durationHours: 6,
      startsInHours: 20,
      isCollaborator: false,
      status: 'pending',
    });
    assert.equal(fb.booking.id, ids[0]);
    assert.deepEqual(fa.groupedBooking, {
      id: group,
      deviceCount: 2,
      deviceIds: [a, b],
      durationHours: 6,
      totalHours: 10,
      collaboratorIds: [colleague],
    });
    assert.equal(fa.device.name, 'otdr-03');
    assert.equal(fa.device.type, 'OTDR');
    assert.equal(fa.device.site, 'Lab B');
    assert.equal(fa.device.manufacturer, 'EXFO');
    assert.deepEqual(fa.device.tags, ['fragile', 'shared']);
    assert.equal(fa.device.statusBookable, true);
    assert.equal(fb.device.type, 'EDFA');
    assert.equal(fb.device.site, null);
    assert.deepEqual(fa.requester, {
      id: requester,
      username: 'facts-ava',
      role: 'Operator',
      isAdmin: false,
      approvalLimits: { maxHours: 8, maxDevices: 2 },
    });
    assert.equal(fa.approval.requestedHours, 6);
    assert.equal(fa.approval.requestedDevices, 2);
    assert.equal(fa.approval.withinRequesterLimits, true);
  });

  it('suggests the next free window past confirmed bookings, maintenance and the turnaround time', async () => {
    const trx = await db.knex.transaction();
    try {
      const l = new BookingLab(trx);
      await l.setting('rules.turnaroundMinutes', { OTDR: 30 });
      const user = await l.user();
      const other = await l.user();
      // Maintenance 2026-11-25 10:00-11:00 (at(22)..at(23)).
      const device = await l.device({
        inventory: {},
        maintenanceStart: '2026-11-25 10:00',
        maintenanceEnd: '2026-11-25 11:00',
      });
      const free = await l.device({ inventory: {} });
      await l.booking({ device, user: other, start: at(18), end: at(22), status: 'confirmed' });
      await l.booking({ device, user: other, start: at(25), end: at(27), status: 'confirmed' });
      // Another reservation of the user's own, pending: not busy.
      await l.booking({ device, user: other, start: at(28), end: at(30), status: 'pending' });
      const blocked = (await l.reservation([{ device, user, start: at(20), end: at(24) }])).group;
      const clear = (await l.reservation([{ device: free, user, start: at(20), end: at(24) }])).group;
      const facts = await loadBookingFacts(trx, [blocked, clear], { now: NOW });
      const c = valid(facts.get(blocked)![0]!).conflicts;
      assert.equal(c.count, 1);
      // 11:00 + 30 min is 11:30, but 13:00 - 30 min leaves less than 4 hours: after 15:00 + 30 min.
      assert.deepEqual(
        [c.nextFreeStartsAt, c.nextFreeEndsAt],
        ['2026-11-25T15:30:00Z', '2026-11-25T19:30:00Z'],
      );
      const m = facts.get(blocked)![0]!.maintenance;
      assert.deepEqual(
        [m.windowOverlaps, m.windowStartsAt, m.windowEndsAt],
        [true, '2026-11-25T10:00:00Z', '2026-11-25T11:00:00Z'],
      );
      // Nothing in the way: the window itself.
      const own = valid(facts.get(clear)![0]!).conflicts;
      assert.deepEqual(
        [own.count, own.nextFreeStartsAt, own.nextFreeEndsAt],
        [0, '2026-11-25T08:00:00Z', '2026-11-25T12:00:00Z'],
      );
    } finally {
      await trx.rollback();
    }
  });

  it('runs the same number of queries for 1 reservation as for 50', async () => {
    await lab.setting('rules.turnaroundMinutes', { OTDR: 15 });
    const owner = await lab.user('facts-owner');
    const groups: string[] = [];
    for (let i = 0; i < 50; i += 1) {
      const user = await lab.user(`facts-many-${i}`, i % 3 === 0 ? { role: 'Operator' } : {});
      const a = await lab.device({ inventory: { tags: ['many'] } });
      const b = await lab.device({ type: 'EDFA' });
      await lab.owner(a, owner);
      if (i % 5 === 0) await lab.maintenanceRecord(a, at(30 + i));
      await lab.booking({ device: a, user: owner, start: at(10 + i), end: at(12 + i), status: 'confirmed' });
      await lab.booking({ device: b, user, start: at(-100), end: at(-90), status: 'completed' });
      const { group } = await lab.reservation([
        { device: a, user, start: at(20 + i), end: at(24 + i) },
        { device: b, user, start: at(20 + i), end: at(22 + i) },
      ]);
      groups.push(group);
    }
    const count = async (ids: string[]) => {
      let queries = 0;
      const onQuery = () => {
        queries += 1;
      };
      db.knex.on('query', onQuery);
      try {
        const map = await loadBookingFacts(db.knex, ids, { now: NOW });
        assert.equal(map.size, ids.length);
        for (const list of map.values()) for (const f of list) valid(f);
      } finally {
        db.knex.off('query', onQuery);
      }
      return queries;
    };
    await loadBookingFacts(db.knex, groups.slice(0, 1), { now: NOW }); // settings parsed (see below)
    const single = await count(groups.slice(0, 1));
    const fifty = await count(groups);
    assert.equal(fifty, single);
    // Seven statements in a transaction of its own (BEGIN, ..., COMMIT): the settings and the
    // approval ladder are unchanged since the last load, so not read again (eight when they
    // changed), and nothing blocks these windows, so the free-window horizon is not read (one
    // more when some window is blocked).
    assert.equal(single, 9);
    // Nothing asked: no query.
    assert.equal(await count([]), 0);

    // Batches sharing a cache (one now, one snapshot) give the same facts as one call.
    const whole = await loadBookingFacts(db.knex, groups, { now: NOW });
    const cache = createBookingFactsCache(NOW);
    const batched = new Map<string, BookingFacts[]>();
    for (let i = 0; i < groups.length; i += 7) {
      for (const [k, v] of await loadBookingFacts(db.knex, groups.slice(i, i + 7), { now: NOW, cache })) {
        batched.set(k, v);
      }
    }
    assert.deepEqual(batched, whole);
    await assert.rejects(
      loadBookingFacts(db.knex, groups.slice(0, 1), { now: new Date(NOW.getTime() + 1), cache }),
      /the cache was made for another now/,
    );
  });

  it("sees a change of the rules settings or of a role's approval limits at the next load", async () => {
    const requester = await lab.user('facts-settings');
    const device = await lab.device();
    const { group } = await lab.reservation([{ device, user: requester, start: at(20), end: at(520) }]);
    const first = (await one(db, group))[0]!;
    assert.equal(first.approval.approverRole, null);
    await lab.setting('rules.limits', { global: { maxActiveBookings: 2 } });
    assert.equal((await one(db, group))[0]!.limits.maxActiveBookings, 2);
    await lab.setting('rules.limits', { global: { maxActiveBookings: 3 } });
    assert.equal((await one(db, group))[0]!.limits.maxActiveBookings, 3);
    await lab.user('facts-lead', { role: 'Facts-Lead', approvalLimits: { max_hours: 1000, max_devices: 5 } });
    assert.equal((await one(db, group))[0]!.approval.approverRole, 'Facts-Lead');
    await db.knex('admin_roles').where({ role: 'Facts-Lead' }).update({ status: 'suspended' });
    assert.equal((await one(db, group))[0]!.approval.approverRole, null);
    // The same rows again: the same facts.
    assert.deepEqual(await one(db, group), await one(db, group));
  });

  it('leaves reservations that do not exist out of the map', async () => {
    const map = await loadBookingFacts(db.knex, ['no-such-reservation'], { now: NOW });
    assert.equal(map.size, 0);
  });
});
