/**
 * The rollups' event handlers (docs/rollups.md, "Events, incrementally"): each booking or device
 * event recomputes the hour and day buckets its old and new windows touch, in the event's
 * transaction, so the rollups commit together with the event's `processed_events` row.
 */
import type { Knex } from 'knex';
import { RowNotFoundError } from '../errors';
import type { HandlerModule } from '../queues/handlers';
import type { ComputeResult } from './compute';
import type { PreviousDeviceWindow } from './incremental';
import { recomputeForBookingEvent, recomputeForDeviceEvent } from './incremental';

const HANDLER = 'rollups';

/** What a handler reports (recorded in processed_events.results): how much it recomputed. */
function summary(result: ComputeResult): { buckets: number; written: number } {
  return { buckets: result.buckets, written: result.written };
}

async function bookingExists(trx: Knex.Transaction, bookingId: number): Promise<boolean> {
  const row = await trx('booking_table').where('booking_id', bookingId).first('booking_id');
  return row !== undefined;
}

export const rollupHandlers: HandlerModule = {
  name: HANDLER,
  register(registry) {
    registry.register('booking.created', HANDLER, async ({ trx, payload }) => {
      // The scheduler may enqueue before its own insert is visible: not_found makes the runtime
      // retry with backoff instead of counting nothing. (updated/cancelled need no row: their
      // previous window is recomputed either way.)
      if (!(await bookingExists(trx, payload.bookingId))) {
        throw new RowNotFoundError('booking_table', payload.bookingId);
      }
      return summary(await recomputeForBookingEvent(trx, payload.bookingId, null));
    });
    registry.register('booking.updated', HANDLER, async ({ trx, payload }) =>
      summary(await recomputeForBookingEvent(trx, payload.bookingId, payload.previous ?? null)),
    );
    registry.register('booking.cancelled', HANDLER, async ({ trx, payload }) =>
      summary(await recomputeForBookingEvent(trx, payload.bookingId, payload.previous ?? null)),
    );

    registry.register('device.status_changed', HANDLER, async ({ trx, payload, occurredAt }) =>
      summary(await recomputeForDeviceEvent(trx, payload.deviceId, occurredAt)),
    );
    registry.register('device.maintenance_changed', HANDLER, async ({ trx, payload, occurredAt }) => {
      // The old window is recomputed too, so maintenance seconds it held are released.
      const { startsAt, endsAt } = payload.previous;
      const previous: PreviousDeviceWindow[] = startsAt ? [{ start: startsAt, end: endsAt }] : [];
      return summary(await recomputeForDeviceEvent(trx, payload.deviceId, occurredAt, { previous }));
    });
    registry.register('device.heartbeat', HANDLER, async ({ trx, payload, occurredAt }) =>
      summary(await recomputeForDeviceEvent(trx, payload.deviceId, occurredAt)),
    );
  },
};
