/**
 * Device events: a scheduler device (`device_table` row) changed status, maintenance window or
 * owner, or reported a heartbeat. `deviceId` is always `device_table.id`.
 */
import { dateTime, object, oneOf, rowId, shortText } from './common';
import { defineJob, event } from './job';

const deviceId = rowId('device_table.id of the device.');

export const DEVICE_JOBS = [
  defineJob({
    name: 'device.status_changed',
    queue: 'devices',
    description:
      "device_table.status changed. The worker re-checks the device's upcoming bookings and the topologies that use it.",
    schema: event({
      deviceId,
      previous: object(
        {
          status: shortText(50, 'device_table.status before the change (null when it was empty).').nullable(),
        },
        'The status the device had before this event.',
      ),
    }),
    example: {
      eventId: '7c2d4e6f-1a3b-4c5d-8e9f-0a1b2c3d4e01',
      occurredAt: '2026-11-24T10:00:00Z',
      deviceId: 17,
      previous: { status: 'available' },
    },
  }),
  defineJob({
    name: 'device.maintenance_changed',
    queue: 'devices',
    description:
      "The device's maintenance window (device_table.maintenance_start/end) was set, moved or cleared. The worker re-checks bookings overlapping the previous and the current window.",
    schema: event({
      deviceId,
      previous: object(
        {
          startsAt: dateTime('Start of the maintenance window before the change.').nullable(),
          endsAt: dateTime('End of the maintenance window before the change.').nullable(),
        },
        'The maintenance window before this event (nulls when there was none, or it was not a valid date).',
      ),
    }),
    example: {
      eventId: '7c2d4e6f-1a3b-4c5d-8e9f-0a1b2c3d4e02',
      occurredAt: '2026-11-24T10:05:00Z',
      deviceId: 17,
      previous: { startsAt: null, endsAt: null },
    },
  }),
  defineJob({
    name: 'device.ownership_changed',
    queue: 'devices',
    description:
      'A device_ownership row was assigned or revoked. The worker re-checks the topologies that use the device (ownership is a fact of the topology policies).',
    schema: event({
      deviceId,
      ownershipId: rowId('device_ownership.id of the assignment that changed.'),
      ownerId: rowId('user_table.id of the owner (device_ownership.owner_id).'),
      change: oneOf(['assigned', 'revoked'], 'What happened to the assignment.'),
    }),
    example: {
      eventId: '7c2d4e6f-1a3b-4c5d-8e9f-0a1b2c3d4e03',
      occurredAt: '2026-11-24T10:10:00Z',
      deviceId: 17,
      ownershipId: 301,
      ownerId: 12,
      change: 'assigned',
    },
  }),
  defineJob({
    name: 'device.heartbeat',
    queue: 'devices',
    description:
      'The device reported its health (occurredAt is the heartbeat time). The worker refreshes what depends on device health.',
    schema: event({
      deviceId,
      snapshotId: rowId(
        'device_health_snapshot.id written for this heartbeat, when there is one.',
      ).optional(),
    }),
    example: {
      eventId: '7c2d4e6f-1a3b-4c5d-8e9f-0a1b2c3d4e04',
      occurredAt: '2026-11-24T10:11:30Z',
      deviceId: 17,
      snapshotId: 98012,
    },
  }),
] as const;
