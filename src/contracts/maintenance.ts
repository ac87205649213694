/**
 * The worker's own jobs, on the `maintenance` queue: follow-ups that one event fans out to many
 * rows (re-evaluations) and periodic work (reconciliation). The scheduler never sends these;
 * they are in the contract so that operators can enqueue, inspect and retry them like any other.
 */
import { z } from 'zod';
import { oneOf, shortText } from './common';
import { defineJob, event } from './job';

const REEVALUATION_CAUSES = [
  'device.status_changed',
  'device.maintenance_changed',
  'rules.changed',
  'booking.cancelled',
  'booking.updated',
] as const;

const revision = shortText(64, 'A rule-set revision (the hash `rules check` prints).');

export const MAINTENANCE_JOBS = [
  defineJob({
    name: 'rules.changed',
    queue: 'maintenance',
    description:
      'The policies in use changed (a worker loaded a new revision of RULES_DIR). The worker re-evaluates the bookings that have not started yet and re-checks the open topology reviews, one follow-up job each.',
    schema: event({
      revision,
      previousRevision: revision
        .nullable()
        .meta({ description: 'The revision in use before; null at first load.' }),
    }),
    example: {
      eventId: '3d1e5f7a-9b2c-4d4e-8f60-718293a4b5c1',
      occurredAt: '2026-11-24T12:00:00Z',
      revision: '9f2c4e1a7b3d',
      previousRevision: '1a2b3c4d5e6f',
    },
  }),
  defineJob({
    name: 'booking.reevaluate',
    queue: 'maintenance',
    description:
      'Something a decision depends on changed (a device, the policies, a cancelled or moved booking that blocked others): the worker decides the reservation again with the current rows and rules, as for booking.updated.',
    schema: event({
      groupedBookingId: shortText(64, 'booking_table.grouped_booking_id of the reservation.').min(1),
      cause: oneOf(REEVALUATION_CAUSES, 'The kind of event that made the decision stale.'),
    }),
    example: {
      eventId: '3d1e5f7a-9b2c-4d4e-8f60-718293a4b5c2',
      occurredAt: '2026-11-24T12:00:01Z',
      groupedBookingId: 'a3f1c2d4-0000-4000-8000-000000000001',
      cause: 'device.maintenance_changed',
    },
  }),
  defineJob({
    name: 'rollups.reconcile',
    queue: 'maintenance',
    description:
      'Periodic (a BullMQ job scheduler adds one every ROLLUP_RECONCILE_INTERVAL): recomputes the utilization rollups of the recent past and near future, catching rows the scheduler wrote without sending an event.',
    schema: event({
      lookbackHours: z
        .int({ error: 'expected a whole number of hours from 1 to 2160' })
        .min(1, { error: 'expected a whole number of hours from 1 to 2160' })
        .max(2160, { error: 'expected a whole number of hours from 1 to 2160' })
        .meta({ description: 'How far back from now the buckets are recomputed.' }),
    }),
    example: {
      eventId: '3d1e5f7a-9b2c-4d4e-8f60-718293a4b5c3',
      occurredAt: '2026-11-24T12:15:00Z',
      lookbackHours: 48,
    },
  }),
] as const;
