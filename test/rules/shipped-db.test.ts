// Each shipped booking rule fires and does not fire where it should, from real Postgres rows:
// rows -> loadBookingFacts -> evaluateGroup with the rules shipped in rules/. Every case runs in
// its own transaction, rolled back afterwards, so settings and rows never leak between cases.
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { computeTargets } from '../../src/rollups/compute';
import { bookingFactsSchema } from '../../src/rules/facts/catalog';
import { loadBookingFacts } from '../../src/rules/facts/load';
import { evaluateGroup, type GroupDecision } from '../../src/rules/group';
import { loadRuleSet } from '../../src/rules/load';
import type { RuleSetSnapshot } from '../../src/rules/snapshot';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { SHIPPED_RULES_DIR } from '../support/rules';
import { at, BookingLab, NOW } from './booking-lab';

const OPERATOR_LADDER = {
  user: { maxHours: 4, maxDevices: 1 },
  Operator: { maxHours: 24, maxDevices: 4 },
};

describe('shipped booking rules on real rows', () => {
  let db: TestDatabase;
  let rules: RuleSetSnapshot;

  before(async () => {
    db = await migratedDatabase();
    const loaded = await loadRuleSet(SHIPPED_RULES_DIR);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    rules = loaded.snapshot;
  });
  after(async () => {
    await db.drop();
  });

  /** Runs `build` in a transaction that is rolled back; it returns the reservation to decide. */
  async function decide(
    build: (lab: BookingLab, trx: Knex.Transaction) => Promise<string>,
  ): Promise<GroupDecision> {
    const trx = await db.knex.transaction();
    try {
      const group = await build(new BookingLab(trx), trx);
      const facts = (await loadBookingFacts(trx, [group], { now: NOW })).get(group);
      assert.ok(facts, `reservation ${group} was not loaded`);
      for (const f of facts) {
        const parsed = bookingFactsSchema.safeParse(f);
        assert.ok(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues));
      }
      return await evaluateGroup(rules, facts);
    } finally {
      await trx.rollback();
    }
  }

  const codes = (d: GroupDecision) => d.reasons.map((r) => r.code).sort();

  /** A plain user, an OTDR with a linked inventory device, and a booking 20 h from now. */
  async function plain(
    lab: BookingLab,
    change: { start?: Date; end?: Date; device?: Parameters<BookingLab['device']>[0] } = {},
  ) {
    const user = await lab.user();
    const device = await lab.device({ inventory: {}, ...change.device });
    const { group } = await lab.reservation([
      { device, user, start: change.start ?? at(20), end: change.end ?? at(24) },
    ]);
    return { user, device, group };
  }

  it('allows a plain booking: no rule fires', async () => {
    const decision = await decide(async (lab) => (await plain(lab)).group);
    assert.equal(decision.outcome, 'allow');
    assert.deepEqual(codes(decision), []);
  });

  describe('conflicts', () => {
    it('window-empty-or-inverted: an empty window is denied, a one-hour window is not', async () => {
      const empty = await decide(async (lab) => (await plain(lab, { start: at(20), end: at(20) })).group);
      assert.equal(empty.outcome, 'deny');
      assert.deepEqual(codes(empty), ['WINDOW_INVALID']);
      const inverted = await decide(async (lab) => (await plain(lab, { start: at(20), end: at(18) })).group);
      assert.deepEqual(codes(inverted), ['WINDOW_INVALID']);
      const hour = await decide(async (lab) => (await plain(lab, { start: at(20), end: at(21) })).group);
      assert.deepEqual(codes(hour), []);
    });

    it('window-in-past: an hour ago is denied, ten minutes ago is within the grace', async () => {
      const past = await decide(async (lab) => (await plain(lab, { start: at(-1), end: at(3) })).group);
      assert.deepEqual(codes(past), ['WINDOW_IN_PAST']);
      const grace = await decide(async (lab) => (await plain(lab, { start: at(-1 / 6), end: at(3) })).group);
      assert.deepEqual(codes(grace), []);
    });

    it('overlaps-confirmed-booking: names the blocking booking and the next free window', async () => {
      let blocking = 0;
      const decision = await decide(async (lab) => {
        const { device, group } = await plain(lab);
        const other = await lab.user();
        blocking = await lab.booking({
          device,
          user: other,
          start: at(18),
          end: at(22),
          status: 'confirmed',
        });
        return group;
      });
      assert.equal(decision.outcome, 'deny');
      assert.deepEqual(codes(decision), ['OVERLAP_CONFIRMED']);
      const reason = decision.reasons[0]!;
      assert.match(reason.message, new RegExp(`confirmed booking\\(s\\) ${blocking}\\.`));
      // 4 hours from the end of the blocking booking: 2026-11-25T10:00Z..14:00Z.
      assert.match(
        reason.message,
        /Next free window of the same length: 2026-11-25T10:00:00Z to 2026-11-25T14:00:00Z/,
      );
    });

    it('overlaps-confirmed-booking does not fire for a pending or an adjacent booking', async () => {
      const decision = await decide(async (lab) => {
        const { device, group } = await plain(lab);
        const other = await lab.user();
        await lab.booking({ device, user: other, start: at(18), end: at(22), status: 'pending' });
        await lab.booking({ device, user: other, start: at(24), end: at(26), status: 'confirmed' });
        await lab.booking({ device, user: other, start: at(16), end: at(20), status: 'Confirmed ' });
        return group;
      });
      assert.deepEqual(codes(decision), []);
    });

    it('collaborator rows are not conflicts: of the same reservation, nor of another one', async () => {
      const decision = await decide(async (lab) => {
        const user = await lab.user();
        const colleague = await lab.user();
        const device = await lab.device({ inventory: {} });
        const { group } = await lab.reservation([
          { device, user, start: at(20), end: at(24), status: 'confirmed' },
          { device, user: colleague, start: at(20), end: at(24), status: 'confirmed', collaborator: true },
        ]);
        // Another reservation's collaborator row overlapping (its owner row is elsewhere).
        const other = await lab.user();
        const elsewhere = await lab.device({ inventory: {} });
        await lab.reservation([
          { device: elsewhere, user: other, start: at(20), end: at(24), status: 'confirmed' },
          { device, user: other, start: at(20), end: at(24), status: 'confirmed', collaborator: true },
        ]);
        return group;
      });
      assert.deepEqual(codes(decision), []);
    });

    it('turnaround-too-short: 15 minutes after an OTDR booking is denied, 30 minutes is not', async () => {
      const close = await decide(async (lab) => {
        await lab.setting('rules.turnaroundMinutes', { OTDR: 30, '*': 0 });
        const { device, group } = await plain(lab);
        const other = await lab.user();
        await lab.booking({ device, user: other, start: at(16), end: at(19.75), status: 'confirmed' });
        return group;
      });
      assert.deepEqual(codes(close), ['TURNAROUND_TOO_SHORT']);
      // The next free window keeps the 30 minutes: 19:45 + 0:30.
      assert.match(
        close.reasons[0]!.message,
        /Next free window: 2026-11-25T08:15:00Z to 2026-11-25T12:15:00Z/,
      );
      const enough = await decide(async (lab) => {
        await lab.setting('rules.turnaroundMinutes', { OTDR: 30, '*': 0 });
        const { device, group } = await plain(lab);
        const other = await lab.user();
        await lab.booking({ device, user: other, start: at(16), end: at(19.5), status: 'confirmed' });
        return group;
      });
      assert.deepEqual(codes(enough), []);
      const otherType = await decide(async (lab) => {
        await lab.setting('rules.turnaroundMinutes', { OTDR: 30, '*': 0 });
        const { device, group } = await plain(lab, { device: { type: 'EDFA' } });
        const other = await lab.user();
        await lab.booking({ device, user: other, start: at(16), end: at(19.75), status: 'confirmed' });
        return group;
      });
      assert.deepEqual(codes(otherType), []);
    });

    it("maintenance-window: the device's maintenance window overlapping is denied, ending at the start is not", async () => {
      const inside = await decide(
        async (lab) =>
          (
            await plain(lab, {
              device: { maintenanceStart: '2026-11-25 07:00', maintenanceEnd: '2026-11-25 09:00' },
            })
          ).group,
      );
      assert.deepEqual(codes(inside), ['MAINTENANCE_WINDOW']);
      assert.match(inside.reasons[0]!.message, /from 2026-11-25T07:00:00Z to 2026-11-25T09:00:00Z/);
      const before = await decide(
        async (lab) =>
          (
            await plain(lab, {
              device: { maintenanceStart: '2026-11-25 06:00', maintenanceEnd: '2026-11-25 08:00' },
            })
          ).group,
      );
      assert.deepEqual(codes(before), []);
    });

    it('maintenance-scheduled: a record scheduled on the booked day is denied; completed or another day is not', async () => {
      let recordId = 0;
      const scheduled = await decide(async (lab) => {
        const { device, group } = await plain(lab);
        recordId = await lab.maintenanceRecord(device, new Date('2026-11-25T00:00:00Z'));
        return group;
      });
      assert.deepEqual(codes(scheduled), ['MAINTENANCE_SCHEDULED']);
      assert.match(scheduled.reasons[0]!.message, new RegExp(`record\\(s\\) ${recordId} are scheduled`));
      const completed = await decide(async (lab) => {
        const { device, group } = await plain(lab);
        await lab.maintenanceRecord(device, new Date('2026-11-25T00:00:00Z'), 'completed');
        await lab.maintenanceRecord(device, new Date('2026-11-26T00:00:00Z'));
        return group;
      });
      assert.deepEqual(codes(completed), []);
    });

    it('device-not-schedulable: a type that is not schedulable, or none, is denied', async () => {
      const server = await decide(async (lab) => (await plain(lab, { device: { type: 'Server' } })).group);
      assert.deepEqual(codes(server), ['DEVICE_NOT_SCHEDULABLE']);
      const untyped = await decide(
        async (lab) => (await plain(lab, { device: { type: null, inventory: undefined } })).group,
      );
      assert.deepEqual(codes(untyped), ['DEVICE_NOT_SCHEDULABLE']);
      const otdr = await decide(async (lab) => (await plain(lab, { device: { type: 'OTDR' } })).group);
      assert.deepEqual(codes(otdr), []);
    });

    it('device-out-of-service: a scheduler or inventory status out of service is denied, others are not', async () => {
      const scheduler = await decide(
        async (lab) => (await plain(lab, { device: { status: ' Maintenance' } })).group,
      );
      assert.deepEqual(codes(scheduler), ['DEVICE_OUT_OF_SERVICE']);
      const inventory = await decide(
        async (lab) => (await plain(lab, { device: { inventory: { status: 'RMA' } } })).group,
      );
      assert.deepEqual(codes(inventory), ['DEVICE_OUT_OF_SERVICE']);
      const inUse = await decide(
        async (lab) =>
          (await plain(lab, { device: { status: 'in use', inventory: { status: 'deployed' } } })).group,
      );
      assert.deepEqual(codes(inUse), []);
    });
  });

  describe('ownership limits', () => {
    it('max-active-bookings: a third active reservation over a limit of 2 is denied; a cancelled one does not count', async () => {
      const over = await decide(async (lab) => {
        await lab.setting('rules.limits', { global: { maxActiveBookings: 2 } });
        const { user, device, group } = await plain(lab);
        await lab.booking({ device, user, start: at(100), end: at(101), status: 'confirmed' });
        await lab.booking({ device, user, start: at(200), end: at(201), status: 'pending' });
        return group;
      });
      assert.deepEqual(codes(over), ['LIMIT_ACTIVE_BOOKINGS']);
      assert.match(
        over.reasons[0]!.message,
        /booking number 3 not yet over; the limit is 2 \(set for your global\)/,
      );
      const within = await decide(async (lab) => {
        await lab.setting('rules.limits', { global: { maxActiveBookings: 2 } });
        const { user, device, group } = await plain(lab);
        await lab.booking({ device, user, start: at(100), end: at(101), status: 'confirmed' });
        await lab.booking({ device, user, start: at(200), end: at(201), status: 'cancelled' });
        await lab.booking({ device, user, start: at(-10), end: at(-9), status: 'confirmed' });
        return group;
      });
      assert.deepEqual(codes(within), []);
    });

    it('max-booked-hours: 8 + 4 hours over a limit of 10 is denied; 6 + 4 is not', async () => {
      const hours = async (existing: number) =>
        decide(async (lab) => {
          await lab.setting('rules.limits', { global: { maxBookedHours: 10 } });
          const { user, device, group } = await plain(lab);
          await lab.booking({ device, user, start: at(48), end: at(48 + existing), status: 'confirmed' });
          return group;
        });
      const over = await hours(8);
      assert.deepEqual(codes(over), ['LIMIT_BOOKED_HOURS']);
      assert.match(over.reasons[0]!.message, /12 device-hours in 7 days; the limit is 10/);
      assert.deepEqual(codes(await hours(6)), []);
    });

    it('max-devices-at-once: two devices at once over a limit of 1 is denied; one after the other is not', async () => {
      const run = async (overlapping: boolean) =>
        decide(async (lab) => {
          await lab.setting('rules.limits', { global: { maxDevicesAtOnce: 1 } });
          const { user, group } = await plain(lab);
          const second = await lab.device({ inventory: {} });
          const start = overlapping ? at(22) : at(24);
          await lab.booking({ device: second, user, start, end: at(30), status: 'confirmed' });
          return group;
        });
      const both = await run(true);
      assert.deepEqual(codes(both), ['LIMIT_DEVICES_AT_ONCE']);
      assert.deepEqual(codes(await run(false)), []);
    });

    it('device-owned-by-another: needs the owner; not for the owner, nor for an administrator', async () => {
      const other = await decide(async (lab) => {
        const owner = await lab.user('owner-jchen');
        const { device, group } = await plain(lab);
        await lab.owner(device, owner);
        return group;
      });
      assert.equal(other.outcome, 'require_approval');
      assert.deepEqual(codes(other), ['OWNER_APPROVAL']);
      assert.equal(other.reasons[0]!.approver, 'device-owner');
      assert.match(other.reasons[0]!.message, /belongs to owner-jchen/);
      const own = await decide(async (lab) => {
        const { user, device, group } = await plain(lab);
        await lab.owner(device, user);
        return group;
      });
      assert.deepEqual(codes(own), []);
      const admin = await decide(async (lab) => {
        const owner = await lab.user();
        const user = await lab.user(undefined, { admin: true });
        const device = await lab.device({ inventory: {} });
        await lab.owner(device, owner);
        return (await lab.reservation([{ device, user, start: at(20), end: at(24) }])).group;
      });
      assert.deepEqual(codes(admin), []);
    });

    it('the most specific scope of a limit wins: user, then role, then device type, then global', async () => {
      const trx = await db.knex.transaction();
      try {
        const lab = new BookingLab(trx);
        const operator = await lab.user(undefined, { role: 'Operator' });
        const freeUser = await lab.user();
        const plainUser = await lab.user();
        await lab.setting('rules.limits', {
          global: { maxActiveBookings: 1, maxBookedHours: 40, maxDevicesAtOnce: 4 },
          roles: { Operator: { maxActiveBookings: 3 } },
          deviceTypes: { OTDR: { maxActiveBookings: 2, maxBookedHours: 20 } },
          users: { [String(freeUser)]: { maxActiveBookings: null } },
        });
        const otdr = await lab.device({ inventory: {} });
        const edfa = await lab.device({ type: 'EDFA' });
        const groups = {
          operatorOtdr: (
            await lab.reservation([{ device: otdr, user: operator, start: at(20), end: at(22) }])
          ).group,
          freeOtdr: (await lab.reservation([{ device: otdr, user: freeUser, start: at(30), end: at(32) }]))
            .group,
          plainOtdr: (await lab.reservation([{ device: otdr, user: plainUser, start: at(40), end: at(42) }]))
            .group,
          plainEdfa: (await lab.reservation([{ device: edfa, user: plainUser, start: at(40), end: at(42) }]))
            .group,
        };
        const facts = await loadBookingFacts(trx, Object.values(groups), { now: NOW });
        const limits = (g: string) => facts.get(g)![0]!.limits;
        assert.equal(limits(groups.operatorOtdr).maxActiveBookings, 3);
        assert.equal(limits(groups.operatorOtdr).sources.maxActiveBookings, 'role');
        assert.equal(limits(groups.operatorOtdr).maxBookedHours, 20);
        assert.equal(limits(groups.operatorOtdr).sources.maxBookedHours, 'deviceType');
        assert.equal(limits(groups.freeOtdr).maxActiveBookings, null);
        assert.equal(limits(groups.freeOtdr).sources.maxActiveBookings, 'user');
        assert.equal(limits(groups.plainOtdr).maxActiveBookings, 2);
        assert.equal(limits(groups.plainOtdr).sources.maxActiveBookings, 'deviceType');
        assert.equal(limits(groups.plainEdfa).maxActiveBookings, 1);
        assert.equal(limits(groups.plainEdfa).sources.maxActiveBookings, 'global');
        assert.equal(limits(groups.plainEdfa).maxDevicesAtOnce, 4);
        assert.equal(limits(groups.plainEdfa).sources.bookedHoursWindowDays, null);
        assert.equal(limits(groups.plainEdfa).bookedHoursWindowDays, 7);
        // The plain user's two reservations (one per device) against the device type's 2 and the
        // global 1: the OTDR one is within, the EDFA one is over.
        const decideOne = async (g: string) => evaluateGroup(rules, facts.get(g)!);
        assert.deepEqual(codes(await decideOne(groups.plainOtdr)), []);
        assert.deepEqual(codes(await decideOne(groups.plainEdfa)), ['LIMIT_ACTIVE_BOOKINGS']);
      } finally {
        await trx.rollback();
      }
    });

    it("collaborator rows count toward the owner's limits once, never toward the collaborator's", async () => {
      const trx = await db.knex.transaction();
      try {
        const lab = new BookingLab(trx);
        await lab.setting('rules.limits', { global: { maxActiveBookings: 1 } });
        const owner = await lab.user();
        const colleague = await lab.user();
        const a = await lab.device({ inventory: {} });
        const b = await lab.device({ inventory: {} });
        // The owner's earlier reservation of two devices, with the colleague on both.
        await lab.reservation([
          { device: a, user: owner, start: at(50), end: at(52), status: 'confirmed' },
          { device: b, user: owner, start: at(50), end: at(52), status: 'confirmed' },
          { device: a, user: colleague, start: at(50), end: at(52), status: 'confirmed', collaborator: true },
          { device: b, user: colleague, start: at(50), end: at(52), status: 'confirmed', collaborator: true },
        ]);
        const mine = (await lab.reservation([{ device: a, user: colleague, start: at(20), end: at(22) }]))
          .group;
        const owners = (await lab.reservation([{ device: a, user: owner, start: at(20), end: at(22) }]))
          .group;
        const facts = await loadBookingFacts(trx, [mine, owners], { now: NOW });
        assert.equal(facts.get(mine)![0]!.usage.activeFutureBookings, 1);
        assert.equal(facts.get(mine)![0]!.usage.bookedHours, 2);
        assert.equal(facts.get(owners)![0]!.usage.activeFutureBookings, 2);
        assert.equal(facts.get(owners)![0]!.usage.bookedHours, 6);
        assert.deepEqual(codes(await evaluateGroup(rules, facts.get(mine)!)), []);
        assert.deepEqual(codes(await evaluateGroup(rules, facts.get(owners)!)), ['LIMIT_ACTIVE_BOOKINGS']);
      } finally {
        await trx.rollback();
      }
    });
  });

  describe('approval thresholds', () => {
    const withLadder = async (lab: BookingLab, hours: number, devices = 1, role?: string) => {
      await lab.setting('rules.approvalLimits', OPERATOR_LADDER);
      const user = await lab.user(undefined, role ? { role } : {});
      const rows = [];
      for (let i = 0; i < devices; i += 1) {
        rows.push({ device: await lab.device({ inventory: {} }), user, start: at(20), end: at(20 + hours) });
      }
      return (await lab.reservation(rows)).group;
    };

    it("beyond-own-limits: 6 hours is beyond a user's 4 and needs an Operator; 4 hours does not", async () => {
      const six = await decide((lab) => withLadder(lab, 6));
      assert.equal(six.outcome, 'require_approval');
      assert.deepEqual(codes(six), ['APPROVAL_THRESHOLD']);
      assert.equal(six.reasons[0]!.approver, 'Operator');
      assert.deepEqual(codes(await decide((lab) => withLadder(lab, 4))), []);
      // An Operator approves their own 6 hours.
      assert.deepEqual(codes(await decide((lab) => withLadder(lab, 6, 1, 'Operator'))), []);
      // Two devices are beyond a user's one device.
      assert.deepEqual(codes(await decide((lab) => withLadder(lab, 2, 2))), ['APPROVAL_THRESHOLD']);
    });

    it('beyond-every-role: 30 hours is beyond every role and denied; 24 hours only needs approval', async () => {
      const thirty = await decide((lab) => withLadder(lab, 30));
      assert.equal(thirty.outcome, 'deny');
      assert.deepEqual(codes(thirty), ['BEYOND_ALL_APPROVAL_LIMITS']);
      assert.deepEqual(codes(await decide((lab) => withLadder(lab, 24))), ['APPROVAL_THRESHOLD']);
    });

    it('reads the ladder from admin_roles.approval_limits when the setting is absent', async () => {
      const decision = await decide(async (lab) => {
        await lab.user(undefined, { role: 'Operator', approvalLimits: { max_hours: 24, max_devices: 4 } });
        await lab.user(undefined, { role: 'Lead', approvalLimits: { hours: 72 } });
        const user = await lab.user(undefined, {
          role: 'Student',
          approvalLimits: { max_hours: 2, max_devices: 1 },
        });
        const device = await lab.device({ inventory: {} });
        return (await lab.reservation([{ device, user, start: at(20), end: at(50) }])).group;
      });
      assert.deepEqual(codes(decision), ['APPROVAL_THRESHOLD']);
      assert.equal(decision.reasons[0]!.approver, 'Lead');
    });

    it('global-max-hours: 73 hours over the maximum of 72 is denied; 72 is not', async () => {
      const run = (hours: number) =>
        decide(async (lab) => {
          await lab.setting('rules.maxBooking', { hours: 72 });
          return (await plain(lab, { start: at(20), end: at(20 + hours) })).group;
        });
      assert.deepEqual(codes(await run(73)), ['GLOBAL_MAX_HOURS']);
      assert.deepEqual(codes(await run(72)), []);
    });

    it('global-max-devices: 3 devices over the maximum of 2 is denied; 2 are not', async () => {
      const run = (devices: number) =>
        decide(async (lab) => {
          await lab.setting('rules.maxBooking', { devices: 2 });
          const user = await lab.user();
          const rows = [];
          for (let i = 0; i < devices; i += 1) {
            rows.push({ device: await lab.device({ inventory: {} }), user, start: at(20), end: at(22) });
          }
          return (await lab.reservation(rows)).group;
        });
      const three = await run(3);
      assert.deepEqual(codes(three), ['GLOBAL_MAX_DEVICES']);
      assert.equal(three.reasons[0]!.deviceIds?.length, 3);
      assert.deepEqual(codes(await run(2)), []);
    });
  });

  describe('utilization', () => {
    it('long-booking-on-busy-device: 10 hours on a device booked 77% of the next week needs an admin; 8 hours does not', async () => {
      const run = (hours: number) =>
        decide(async (lab) => {
          const { device, group } = await plain(lab, { start: at(130), end: at(130 + hours) });
          const other = await lab.user();
          await lab.booking({ device, user: other, start: NOW, end: at(120), status: 'confirmed' });
          return group;
        });
      const ten = await run(10);
      assert.equal(ten.outcome, 'require_approval');
      assert.deepEqual(codes(ten), ['BUSY_DEVICE_LONG_BOOKING']);
      assert.equal(ten.reasons[0]!.approver, 'admin');
      assert.match(ten.reasons[0]!.message, /0\.77 of the next 7/);
      assert.deepEqual(codes(await run(8)), []);
    });

    it('long-booking-on-busy-device from the rollups: 80% of the last 7 days needs an admin; 70% does not', async () => {
      const run = (bookedUntil: number) =>
        decide(async (lab, trx) => {
          const { device, group } = await plain(lab, { start: at(20), end: at(30) });
          const other = await lab.user();
          await lab.booking({
            device,
            user: other,
            start: at(-168),
            end: at(bookedUntil),
            status: 'confirmed',
          });
          // The rollups of the last days, as the rollup handlers keep them: days and hours.
          await computeTargets(
            trx,
            [
              { deviceId: device, granularity: 'hour', start: at(-200), end: NOW },
              {
                deviceId: device,
                granularity: 'day',
                start: new Date('2026-11-15T00:00:00Z'),
                end: new Date('2026-11-24T00:00:00Z'),
              },
            ],
            { asOf: NOW },
          );
          return group;
        });
      const busy = await run(-34);
      // The requester alone in the device's coming week of a busy device: hoarding too.
      assert.deepEqual(codes(busy), ['BUSY_DEVICE_LONG_BOOKING', 'HOARDING']);
      assert.equal(busy.outcome, 'require_approval');
      assert.match(busy.reasons[0]!.message, /booked 0\.8 of the last 7 days/);
      const quieter = await run(-50);
      assert.deepEqual(codes(quieter), []);
    });

    it('hoarding: holding two thirds of a busy week is flagged; 44% is not', async () => {
      const run = (mine: number) =>
        decide(async (lab) => {
          const { user, device, group } = await plain(lab, { start: at(90), end: at(100) });
          const other = await lab.user();
          await lab.booking({ device, user, start: NOW, end: at(mine), status: 'confirmed' });
          await lab.booking({ device, user: other, start: at(mine), end: at(80), status: 'confirmed' });
          return group;
        });
      const hoarding = await run(50);
      assert.equal(hoarding.outcome, 'allow');
      assert.deepEqual(codes(hoarding), ['HOARDING']);
      assert.match(hoarding.reasons[0]!.message, /would hold 60 hours \(0\.67 of the booked time\)/);
      assert.deepEqual(codes(await run(30)), []);
    });
  });

  describe('grouped bookings', () => {
    it('decides a reservation as a whole: one device in maintenance denies all of it', async () => {
      let devices: number[] = [];
      const decision = await decide(async (lab) => {
        const user = await lab.user();
        const ok = await lab.device({ inventory: {} });
        const down = await lab.device({ inventory: {}, status: 'offline' });
        devices = [ok, down];
        return (
          await lab.reservation([
            { device: ok, user, start: at(20), end: at(24) },
            { device: down, user, start: at(20), end: at(24) },
          ])
        ).group;
      });
      assert.equal(decision.outcome, 'deny');
      assert.deepEqual(
        decision.devices.map((d) => [d.deviceId, d.decision.outcome]),
        [
          [devices[0], 'allow'],
          [devices[1], 'deny'],
        ],
      );
      assert.deepEqual(codes(decision), ['DEVICE_OUT_OF_SERVICE']);
      assert.deepEqual(decision.reasons[0]!.deviceIds, [devices[1]]);
    });
  });
});
