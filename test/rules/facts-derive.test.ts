import assert from 'node:assert/strict';
import {
  approvalLadder,
  parseApprovalLimits,
  requesterApprovalLimits,
  resolveApproval,
  resolveLimits,
} from '../../src/rules/facts/limits';
import { parseRuleSettings, SETTING_KEYS, turnaroundFor } from '../../src/rules/facts/settings';
import { isStatusBookable, nextFreeWindow, summarizeUsage, type UsageRow } from '../../src/rules/facts/usage';

const t = (iso: string) => new Date(`2026-12-${iso}:00Z`);

describe('rules/facts: limits, approval, usage', () => {
  describe('limits: the most specific scope wins, limit by limit', () => {
    const scopes = {
      global: { maxActiveBookings: 3, maxBookedHours: 20, maxDevicesAtOnce: 2 },
      deviceTypes: { OTDR: { maxBookedHours: 10, bookedHoursWindowDays: 14 } },
      roles: { Operator: { maxActiveBookings: 8, maxDevicesAtOnce: null } },
      users: { '7': { maxActiveBookings: 1 } },
    };

    it('takes user, then role, then device type, then global', () => {
      const limits = resolveLimits(scopes, { userId: 7, role: 'Operator', deviceType: 'OTDR' });
      assert.deepEqual(limits, {
        maxActiveBookings: 1,
        maxBookedHours: 10,
        bookedHoursWindowDays: 14,
        maxDevicesAtOnce: null,
        sources: {
          maxActiveBookings: 'user',
          maxBookedHours: 'deviceType',
          bookedHoursWindowDays: 'deviceType',
          maxDevicesAtOnce: 'role',
        },
      });
    });

    it('falls back to global, and to no limit (null) with a 7-day window when nothing is set', () => {
      assert.deepEqual(resolveLimits(scopes, { userId: 9, role: 'user', deviceType: 'EDFA' }), {
        maxActiveBookings: 3,
        maxBookedHours: 20,
        bookedHoursWindowDays: 7,
        maxDevicesAtOnce: 2,
        sources: {
          maxActiveBookings: 'global',
          maxBookedHours: 'global',
          bookedHoursWindowDays: null,
          maxDevicesAtOnce: 'global',
        },
      });
      assert.equal(resolveLimits({}, { userId: 9, role: 'user', deviceType: null }).maxActiveBookings, null);
    });

    it('lets an explicit null at a more specific scope lift a limit', () => {
      const limits = resolveLimits(
        { global: { maxActiveBookings: 3 }, users: { '5': { maxActiveBookings: null } } },
        { userId: 5, role: 'user', deviceType: null },
      );
      assert.deepEqual([limits.maxActiveBookings, limits.sources.maxActiveBookings], [null, 'user']);
    });
  });

  describe('settings', () => {
    it('parses the rules settings and reports bad or unknown ones without failing', () => {
      const { settings, problems } = parseRuleSettings([
        { key: SETTING_KEYS.enforcement, value: 'enforce' },
        { key: SETTING_KEYS.maxBooking, value: { hours: 72 } },
        { key: SETTING_KEYS.turnaroundMinutes, value: { OTDR: 30, '*': 5 } },
        { key: SETTING_KEYS.limits, value: { global: { maxActiveBookings: 'five' } } },
        { key: SETTING_KEYS.approvalLimits, value: { Operator: { maxHours: 24 } } },
        { key: 'rules.enforcment', value: 'enforce' },
        { key: 'ui.theme', value: 'dark' },
      ]);
      assert.equal(settings.enforcement, 'enforce');
      assert.deepEqual([settings.maxBookingHours, settings.maxBookingDevices], [72, null]);
      assert.deepEqual(settings.limits, {}, 'an invalid value falls back to the default');
      assert.deepEqual(settings.approvalLimits, { Operator: { maxHours: 24, maxDevices: null } });
      assert.deepEqual(
        [turnaroundFor(settings, 'OTDR'), turnaroundFor(settings, 'EDFA'), turnaroundFor(settings, null)],
        [30, 5, 5],
      );
      assert.equal(problems.length, 2, problems.join('\n'));
      assert.match(problems[0]!, /"rules\.limits" = .* is invalid at global\.maxActiveBookings/);
      assert.match(problems[1]!, /"rules\.enforcment" is not a rules setting/);
    });

    it('defaults to advisory with no maximums', () => {
      const { settings } = parseRuleSettings([]);
      assert.deepEqual(
        [settings.enforcement, settings.maxBookingHours, turnaroundFor(settings, 'OTDR')],
        ['advisory', null, 0],
      );
    });
  });

  describe('approval thresholds', () => {
    it('reads approval_limits as the scheduler stores them, never widening on a typo', () => {
      assert.deepEqual(parseApprovalLimits({ max_hours: 8, max_devices: 2 }), { maxHours: 8, maxDevices: 2 });
      assert.deepEqual(parseApprovalLimits({ hours: 4 }), { maxHours: 4, maxDevices: null });
      assert.deepEqual(parseApprovalLimits({ maxHours: '8', maxDevices: -1 }), {
        maxHours: 0,
        maxDevices: 0,
      });
      assert.equal(parseApprovalLimits({ note: 'x' }), null);
      assert.equal(parseApprovalLimits(null), null);
      assert.equal(parseApprovalLimits([8]), null);
    });

    const ladder = approvalLadder(
      [
        { role: 'Admin', status: 'active', approvalLimits: { maxHours: 72, maxDevices: 16 } },
        { role: 'Operator', status: 'active', approvalLimits: { maxHours: 24, maxDevices: 8 } },
        { role: 'Operator', status: 'active', approvalLimits: { maxHours: 48, maxDevices: 4 } },
        { role: 'Operator', status: 'suspended', approvalLimits: { maxHours: 1, maxDevices: 1 } },
        { role: 'Viewer', status: 'active', approvalLimits: null },
      ],
      { user: { maxHours: 4, maxDevices: 2 } },
    );

    it('ranks roles by their limits: settings first, else the smallest across active rows', () => {
      assert.deepEqual(ladder, [
        { role: 'user', limits: { maxHours: 4, maxDevices: 2 } },
        { role: 'Operator', limits: { maxHours: 24, maxDevices: 4 } },
        { role: 'Admin', limits: { maxHours: 72, maxDevices: 16 } },
      ]);
    });

    it('names the lowest role whose limits cover the reservation', () => {
      const requesterLimits = requesterApprovalLimits({ role: 'user', ownApprovalLimits: null }, ladder);
      const decide = (hours: number, devices: number) =>
        resolveApproval({ requestedHours: hours, requestedDevices: devices, requesterLimits, ladder });
      assert.deepEqual(decide(4, 2), {
        requestedHours: 4,
        requestedDevices: 2,
        withinRequesterLimits: true,
        approverRole: 'user',
        withinAnyRoleLimits: true,
      });
      assert.deepEqual(
        [decide(10, 1).withinRequesterLimits, decide(10, 1).approverRole],
        [false, 'Operator'],
      );
      assert.equal(decide(10, 6).approverRole, 'Admin', 'devices beyond the Operator limit');
      assert.deepEqual([decide(100, 1).approverRole, decide(100, 1).withinAnyRoleLimits], [null, false]);
    });

    it("uses the requester's own row before their role, and no limits at all when none are configured", () => {
      assert.deepEqual(
        requesterApprovalLimits({ role: 'Operator', ownApprovalLimits: { maxHours: 2 } }, ladder),
        {
          maxHours: 2,
          maxDevices: null,
        },
      );
      const none = requesterApprovalLimits({ role: 'Viewer', ownApprovalLimits: null }, ladder);
      assert.equal(none, null);
      assert.equal(
        resolveApproval({ requestedHours: 500, requestedDevices: 1, requesterLimits: none, ladder })
          .withinRequesterLimits,
        true,
      );
    });
  });

  describe('usage and collaborator rows', () => {
    const now = t('01T00:00');
    const row = (over: Partial<UsageRow>): UsageRow => ({
      groupedBookingId: 'g1',
      deviceId: 1,
      userId: 7,
      isCollaborator: false,
      status: 'confirmed',
      startsAt: t('02T09:00'),
      endsAt: t('02T11:00'),
      ...over,
    });
    const request = {
      groupedBookingId: 'new',
      windows: [{ deviceId: 5, startsAt: t('02T10:00'), endsAt: t('02T12:00') }],
    };
    const usage = (rows: UsageRow[]) => summarizeUsage({ requesterId: 7, request, rows, now, windowDays: 7 });

    it('counts each reservation the requester owns once, plus this request', () => {
      const u = usage([
        row({ groupedBookingId: 'g1', deviceId: 1 }),
        row({ groupedBookingId: 'g1', deviceId: 2 }),
        row({ groupedBookingId: 'g2', status: 'pending', startsAt: t('05T09:00'), endsAt: t('05T10:00') }),
      ]);
      assert.equal(u.activeFutureBookings, 3);
      assert.equal(u.bookedHours, 2 + 2 + 1 + 2, 'device-hours');
      assert.equal(u.devicesAtOnce, 3, 'devices 1 and 2 overlap the request on device 5');
    });

    it("does not count collaborator rows toward the collaborator's limits", () => {
      const asCollaborator = row({ groupedBookingId: 'g9', isCollaborator: true });
      const otherOwner = row({ groupedBookingId: 'g9', userId: 3 });
      const u = usage([asCollaborator, otherOwner]);
      assert.deepEqual([u.activeFutureBookings, u.bookedHours, u.devicesAtOnce], [1, 2, 1]);
    });

    it('ignores cancelled, rejected and unrecognised rows, past rows for active counts, and the stored request', () => {
      const u = usage([
        row({ status: 'cancelled' }),
        row({ groupedBookingId: 'g3', status: 'rejected' }),
        row({ groupedBookingId: 'g4', status: null }),
        row({ groupedBookingId: 'g5', status: 'completed', startsAt: t('01T00:00'), endsAt: t('01T03:00') }),
        row({
          groupedBookingId: 'new',
          deviceId: 5,
          status: 'pending',
          startsAt: t('02T10:00'),
          endsAt: t('02T12:00'),
        }),
      ]);
      assert.equal(u.activeFutureBookings, 1);
      assert.equal(u.bookedHours, 3 + 2, 'completed hours in the window count; the request counts once');
    });

    it('counts the busiest window of windowDays days around the request, earlier or later bookings alike', () => {
      const earlier = row({
        groupedBookingId: 'old',
        status: 'completed',
        startsAt: t('01T00:00'),
        endsAt: t('01T12:00'),
      });
      const later = row({ groupedBookingId: 'later', startsAt: t('03T00:00'), endsAt: t('03T12:00') });
      const within = (windowDays: number, rows: UsageRow[]) =>
        summarizeUsage({ requesterId: 7, request, rows, now, windowDays }).bookedHours;
      assert.equal(within(1.5, [earlier]), 12 + 2, 'a booking finished the day before counts');
      assert.equal(within(1.5, [later]), 12 + 2, 'booking later slots first cannot dodge the limit');
      assert.equal(within(1.5, [earlier, later]), 12 + 2, 'no 36-hour window holds both');
      assert.equal(within(3, [earlier, later]), 12 + 2 + 12);
      assert.equal(within(0.05, []), 1.2, 'a window shorter than the request holds part of it');
    });
  });

  describe('next free window', () => {
    const busy = [
      { startsAt: t('01T12:00'), endsAt: t('01T14:00') },
      { startsAt: t('01T09:00'), endsAt: t('01T11:00') },
    ];
    it('finds the first gap long enough, in any order of busy windows', () => {
      const w = nextFreeWindow({ from: t('01T09:00'), durationMs: 3_600_000, busy });
      assert.deepEqual(w, { startsAt: t('01T11:00'), endsAt: t('01T12:00') });
      const longer = nextFreeWindow({ from: t('01T09:00'), durationMs: 2 * 3_600_000, busy });
      assert.deepEqual(longer, { startsAt: t('01T14:00'), endsAt: t('01T16:00') });
    });

    it('keeps the turnaround time away from busy windows', () => {
      const w = nextFreeWindow({
        from: t('01T09:00'),
        durationMs: 3_600_000,
        busy,
        turnaroundMs: 30 * 60_000,
      });
      assert.deepEqual(w, { startsAt: t('01T14:30'), endsAt: t('01T15:30') });
    });

    it('gives none beyond the horizon or for an empty window', () => {
      assert.equal(nextFreeWindow({ from: t('01T09:00'), durationMs: 0, busy }), null);
      const blocked = [
        { startsAt: t('01T00:00'), endsAt: new Date(t('01T00:00').getTime() + 100 * 86_400_000) },
      ];
      assert.equal(nextFreeWindow({ from: t('01T09:00'), durationMs: 3_600_000, busy: blocked }), null);
    });
  });

  it('treats only known out-of-service statuses as not bookable', () => {
    assert.equal(isStatusBookable('Available', 'active'), true);
    assert.equal(isStatusBookable(null, null), true);
    assert.equal(isStatusBookable('  Maintenance ', 'active'), false);
    assert.equal(isStatusBookable('available', 'RMA'), false);
    assert.equal(isStatusBookable('something new', 'in stock'), true);
  });
});
