/** Booking events: the scheduler inserted, changed or cancelled a `booking_table` row. */
import { dateTime, object, rowId } from './common';
import { defineJob, event } from './job';

const bookingId = rowId('booking_table.booking_id of the booking.');

const previous = object(
  {
    deviceId: rowId('device_table.id the booking was for before this event.'),
    startTime: dateTime('Start of the booking window before this event.'),
    endTime: dateTime('End of the booking window before this event.'),
  },
  'The device and window the booking had before this event: the row may have changed again, or be gone, by the time the worker reads it.',
);

export const BOOKING_JOBS = [
  defineJob({
    name: 'booking.created',
    queue: 'bookings',
    description:
      'A booking row was inserted. The worker evaluates it against the policies, records the decision and counts it in the utilization rollups.',
    schema: event({ bookingId }),
    example: {
      eventId: '5b0f1c9e-8d4a-4f3e-9a51-0c6f2e7d1a01',
      occurredAt: '2026-11-24T09:15:00Z',
      bookingId: 4211,
    },
  }),
  defineJob({
    name: 'booking.updated',
    queue: 'bookings',
    description:
      'A booking row changed (window, device or status). The worker re-evaluates it and corrects the rollups of both the previous and the current window.',
    schema: event({ bookingId, previous }),
    example: {
      eventId: '5b0f1c9e-8d4a-4f3e-9a51-0c6f2e7d1a02',
      occurredAt: '2026-11-24T09:20:00Z',
      bookingId: 4211,
      previous: { deviceId: 17, startTime: '2026-11-25T08:00:00Z', endTime: '2026-11-25T12:00:00Z' },
    },
  }),
  defineJob({
    name: 'booking.cancelled',
    queue: 'bookings',
    description:
      'A booking was cancelled (or deleted). The worker releases what it held: rollups of the previous window, pending decisions.',
    schema: event({ bookingId, previous }),
    example: {
      eventId: '5b0f1c9e-8d4a-4f3e-9a51-0c6f2e7d1a03',
      occurredAt: '2026-11-24T09:30:00Z',
      bookingId: 4211,
      previous: { deviceId: 17, startTime: '2026-11-25T09:00:00Z', endTime: '2026-11-25T12:00:00Z' },
    },
  }),
] as const;
