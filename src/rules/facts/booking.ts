/**
 * Facts about the booking being decided and the device it is for. One evaluation decides one
 * device of a (possibly grouped) booking; a grouped booking is decided as a whole by evaluating
 * each of its devices and combining the outcomes (see ../evaluate.ts).
 *
 * Glossary: a *reservation* is one grouped booking (`grouped_booking_id`): the owner's row per
 * device plus a collaborator row per device and collaborator, all sharing the id. *Device-hours*
 * are hours times devices (2 devices for 3 hours = 6 device-hours).
 */
import { z } from 'zod';
import { field } from './shape';

const timestamp = () => z.iso.datetime({ offset: true });

export const BOOKING_STATUSES = [
  'pending',
  'pending_approval',
  'confirmed',
  'rejected',
  'cancelled',
  'completed',
] as const;

export const bookingFact = z.strictObject({
  id: field(
    z.int().nullable(),
    "The requester's booking row for this device (booking_table.booking_id); null for a request not stored yet.",
    4711,
  ),
  groupedBookingId: field(
    z.string(),
    'The reservation this row belongs to (grouped_booking_id).',
    'a3f1c2d4',
  ),
  deviceId: field(z.int(), 'The scheduler device booked (device_table.id).', 12),
  userId: field(z.int(), 'The user who made the booking (the requester).', 7),
  startsAt: field(timestamp(), 'Start of the booked window.', '2026-12-01T09:00:00Z'),
  endsAt: field(timestamp(), 'End of the booked window (exclusive).', '2026-12-01T13:00:00Z'),
  durationHours: field(
    z.number(),
    'Length of the window in hours; 0 for an empty window, negative when the end is before the start.',
    4,
  ),
  startsInHours: field(
    z.number(),
    'Hours from the decision time to the start; negative when the start is in the past.',
    20,
  ),
  isCollaborator: field(
    z.boolean(),
    'Whether the row decided is a collaborator row (decisions are normally made on the owner rows).',
    false,
  ),
  status: field(
    z.enum(BOOKING_STATUSES).nullable(),
    "The booking's status (status_canonical); null when the legacy status is unrecognised.",
    'pending',
  ),
});

export const groupedBookingFact = z.strictObject({
  id: field(z.string(), 'The grouped_booking_id shared by all rows of the reservation.', 'a3f1c2d4'),
  deviceCount: field(z.int(), 'Number of distinct devices in the reservation.', 2),
  deviceIds: field(z.array(z.int()), 'The devices of the reservation.', [12, 15]),
  durationHours: field(z.number(), 'Length of the longest window of the reservation, in hours.', 4),
  totalHours: field(z.number(), 'Device-hours of the reservation (sum over its devices).', 8),
  collaboratorIds: field(
    z.array(z.int()),
    'Users added as collaborators (their rows share the reservation; they do not book on their own).',
    [9],
  ),
});

export const deviceFact = z.strictObject({
  id: field(z.int(), 'The scheduler device (device_table.id).', 12),
  name: field(z.string().nullable(), 'Device name as the scheduler shows it.', 'otdr-03'),
  type: field(
    z.string().nullable(),
    'Device type name (device_types.name, through the linked inventory device when needed).',
    'OTDR',
  ),
  category: field(
    z.string().nullable(),
    'Category of the device type (device_types.category).',
    'test-equipment',
  ),
  isSchedulable: field(
    z.boolean(),
    "Whether the device's type may be booked (device_types.is_schedulable); false when it has no type.",
    true,
  ),
  site: field(z.string().nullable(), 'Site name of the linked inventory device.', 'Lab B'),
  manufacturer: field(z.string().nullable(), 'Manufacturer name of the linked inventory device.', 'EXFO'),
  tags: field(
    z.array(z.string()),
    'Tags from both tag systems, trimmed and lower-cased, sorted, without repeats.',
    ['fragile', 'shared'],
  ),
  schedulerStatus: field(
    z.string().nullable(),
    'Scheduler status (device_table.status), trimmed and lower-cased.',
    'available',
  ),
  inventoryStatus: field(
    z.string().nullable(),
    'Inventory status of the linked device (devices.status), trimmed and lower-cased.',
    'active',
  ),
  statusBookable: field(
    z.boolean(),
    'False when either status says the device is out of service (see "Bookable statuses").',
    true,
  ),
  inventoryDeviceId: field(z.int().nullable(), 'The linked inventory device (devices.id), if any.', 301),
});

const conflictWindow = z.strictObject({
  bookingId: z.int(),
  userId: z.int(),
  startsAt: timestamp(),
  endsAt: timestamp(),
});

export const conflictsFact = z.strictObject({
  count: field(
    z.int(),
    'Confirmed bookings of this device overlapping the window (other reservations, owner rows only).',
    1,
  ),
  bookingIds: field(z.array(z.int()), 'Their booking ids.', [4650]),
  windows: field(z.array(conflictWindow), 'Their windows and users.', [
    { bookingId: 4650, userId: 3, startsAt: '2026-12-01T08:00:00Z', endsAt: '2026-12-01T10:00:00Z' },
  ]),
  turnaroundCount: field(
    z.int(),
    "Confirmed bookings that do not overlap but are closer than the device type's turnaround time.",
    0,
  ),
  turnaroundBookingIds: field(z.array(z.int()), 'Their booking ids.', []),
  nextFreeStartsAt: field(
    timestamp().nullable(),
    'Start of the next free window of the same length on this device (turnaround and maintenance respected), within 90 days; null if none.',
    '2026-12-01T10:00:00Z',
  ),
  nextFreeEndsAt: field(timestamp().nullable(), 'End of that free window.', '2026-12-01T14:00:00Z'),
});

const maintenanceRecord = z.strictObject({
  id: z.int(),
  type: z.string(),
  scheduledAt: timestamp(),
});

export const maintenanceFact = z.strictObject({
  windowOverlaps: field(
    z.boolean(),
    "Whether the device's maintenance window (maintenance_starts_at..maintenance_ends_at) overlaps the booking.",
    false,
  ),
  windowStartsAt: field(timestamp().nullable(), "Start of the device's maintenance window, if any.", null),
  windowEndsAt: field(timestamp().nullable(), "End of the device's maintenance window, if any.", null),
  scheduledCount: field(
    z.int(),
    'Scheduled maintenance records (status "scheduled") of the linked inventory device whose day (24 hours from the scheduled date) overlaps the booking window.',
    0,
  ),
  scheduledRecordIds: field(z.array(z.int()), 'Their maintenance record ids.', []),
  records: field(z.array(maintenanceRecord), 'Those records: id, maintenance type, scheduled date.', []),
});
