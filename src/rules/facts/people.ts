/**
 * Facts about the requester and what they already hold: role and approval limits, ownership of
 * the device, usage, the limits that apply to them, approval thresholds, device utilization and
 * the rule settings from admin_settings.
 *
 * Usage numbers always *include the booking being decided*: they say what the requester would
 * hold if it were accepted, so a rule compares them straight to a limit.
 */
import { z } from 'zod';
import { field } from './shape';

export const LIMIT_SCOPES = ['user', 'role', 'deviceType', 'global'] as const;
export type LimitScope = (typeof LIMIT_SCOPES)[number];

const approvalLimits = z.strictObject({
  maxHours: z.number().nullable(),
  maxDevices: z.number().nullable(),
});

export const requesterFact = z.strictObject({
  id: field(z.int(), 'The requesting user (user_table.id).', 7),
  username: field(z.string(), 'Their user name.', 'avasquez'),
  role: field(
    z.string(),
    'Their admin role (admin_roles.role) when that role is active, otherwise "user". Compared as written, e.g. "Operator".',
    'user',
  ),
  isAdmin: field(z.boolean(), 'Whether the user is an administrator (user_table.is_admin).', false),
  approvalLimits: field(
    approvalLimits.nullable(),
    'What they may approve for themselves: maxHours (window length) and maxDevices; null inside means no limit on that measure; null means no approval limits are configured for them.',
    { maxHours: 8, maxDevices: 2 },
  ),
});

export const ownershipFact = z.strictObject({
  ownerIds: field(z.array(z.int()), 'Current owners of the device (device_ownership rows not revoked).', [3]),
  ownerNames: field(z.array(z.string()), 'Their user names.', ['jchen']),
  requesterIsOwner: field(z.boolean(), 'Whether the requester is one of the owners.', false),
  ownedByAnother: field(
    z.boolean(),
    'Whether the device has owners and the requester is not one of them.',
    true,
  ),
});

export const usageFact = z.strictObject({
  activeFutureBookings: field(
    z.int(),
    'Reservations the requester owns that are pending, awaiting approval or confirmed and not yet over, counting this one. Collaborator rows do not count for the collaborator.',
    3,
  ),
  bookedHours: field(
    z.number(),
    'The most device-hours the requester owns (pending, awaiting approval, confirmed or completed) in any window of windowDays days that overlaps this booking, counting this one.',
    26,
  ),
  windowDays: field(z.number(), 'Length of that rolling window (limits.bookedHoursWindowDays).', 7),
  devicesAtOnce: field(
    z.int(),
    'The most devices the requester holds at the same moment during this booking, counting this reservation.',
    2,
  ),
});

const limitSource = z.enum(LIMIT_SCOPES).nullable();

export const limitsFact = z.strictObject({
  maxActiveBookings: field(
    z.number().nullable(),
    'Most reservations a user may have active at once; null: no limit.',
    5,
  ),
  maxBookedHours: field(
    z.number().nullable(),
    'Most device-hours a user may book in the rolling window; null: no limit.',
    40,
  ),
  bookedHoursWindowDays: field(z.number(), 'Length of the rolling window in days (default 7).', 7),
  maxDevicesAtOnce: field(
    z.number().nullable(),
    'Most devices a user may hold at the same moment; null: no limit.',
    4,
  ),
  sources: field(
    z.strictObject({
      maxActiveBookings: limitSource,
      maxBookedHours: limitSource,
      bookedHoursWindowDays: limitSource,
      maxDevicesAtOnce: limitSource,
    }),
    'Where each limit came from: "user", "role", "deviceType", "global", or null (not set anywhere).',
    {
      maxActiveBookings: 'role',
      maxBookedHours: 'global',
      bookedHoursWindowDays: null,
      maxDevicesAtOnce: 'user',
    },
  ),
});

export const approvalFact = z.strictObject({
  requestedHours: field(z.number(), 'Length of the longest window of the reservation, in hours.', 4),
  requestedDevices: field(z.int(), 'Number of devices in the reservation.', 2),
  withinRequesterLimits: field(
    z.boolean(),
    "Whether the requester's own approval limits cover the reservation (true when they have none configured).",
    true,
  ),
  approverRole: field(
    z.string().nullable(),
    'The lowest role whose approval limits cover the reservation; null when no role covers it.',
    'Operator',
  ),
  withinAnyRoleLimits: field(z.boolean(), "Whether any role's approval limits cover the reservation.", true),
});

export const utilizationFact = z.strictObject({
  ratio7d: field(
    z.number().nullable(),
    'Share of the last 7 days the device was booked (0 to 1, from the utilization rollups); null when not known yet.',
    0.42,
  ),
  ratio30d: field(
    z.number().nullable(),
    'Share of the last 30 days the device was booked; null when not known yet.',
    0.35,
  ),
  nextWeekRatio: field(
    z.number(),
    'Share of the next 7 days (168 hours from now) the device is booked, counting this booking.',
    0.3,
  ),
  requesterNextWeekHours: field(
    z.number(),
    "Hours of the device's next 7 days held by the requester, counting this booking.",
    4,
  ),
  requesterNextWeekShare: field(
    z.number(),
    "The requester's part of the device's booked hours in the next 7 days (0 to 1), counting this booking.",
    0.08,
  ),
});

export const ENFORCEMENT_MODES = ['advisory', 'enforce'] as const;

export const settingsFact = z.strictObject({
  enforcement: field(
    z.enum(ENFORCEMENT_MODES),
    'admin_settings "rules.enforcement": "advisory" (decisions recorded only) or "enforce" (booking status follows the decision).',
    'advisory',
  ),
  maxBookingHours: field(
    z.number().nullable(),
    'Global maximum window length in hours (admin_settings "rules.maxBooking"); null: none.',
    72,
  ),
  maxBookingDevices: field(
    z.number().nullable(),
    'Global maximum number of devices in one reservation (admin_settings "rules.maxBooking"); null: none.',
    8,
  ),
  turnaroundMinutes: field(
    z.number(),
    'Turnaround time between bookings for this device\'s type (admin_settings "rules.turnaroundMinutes"); 0: none.',
    0,
  ),
});
