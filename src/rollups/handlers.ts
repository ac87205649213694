/**
 * The rollups' event handlers (docs/rollups.md, "Events, incrementally"): each booking or device
 * event recomputes the hour and day buckets its old and new windows touch, in the event's
 * transaction, so the rollups commit together with the event's `processed_events` row.
 */
import { RowNotFoundError } from '../errors';
import type { HandlerModule } from '../queues/handlers';
import { bucketCount, windowTargets } from './buckets';
import type { ComputeResult } from './compute';
import type { PreviousDeviceWindow } from './incremental';
import {
  bookingEventWindows,
  bookingWindows,
  previousWindow,
  recomputeForBookingEvent,
  recomputeForDeviceEvent,
  recomputeForWindows,
} from './incremental';
import { type DeviceWindow, GRANULARITIES } from './model';

const HANDLER = 'rollups';

/** What a handler reports (recorded in processed_events.results): how much it recomputed. */
function summary(result: ComputeResult): { buckets: number; written: number } {
  return { buckets: result.buckets, written: result.written };
}

/** An event's part of a batch's recompute: its own buckets, and what the batch wrote. */
function batchSummary(windows: readonly DeviceWindow[], result: ComputeResult, events: number) {
  return {
    buckets: windowTargets(windows, GRANULARITIES).reduce((n, t) => n + bucketCount(t), 0),
    written: result.written,
    batchEvents: events,
  };
}

export const rollupHandlers: HandlerModule = {
  name: HANDLER,
  register(registry) {
    registry.register(
      'booking.created',
      HANDLER,
      async ({ trx, payload }) => {
        // The scheduler may enqueue before its own insert is visible: not_found makes the runtime
        // retry with backoff instead of counting nothing. (updated/cancelled need no row: their
        // previous window is recomputed either way.) One read: the row's window is what is
        // recomputed, and its absence is the not-found.
        const windows = await bookingEventWindows(trx, payload.bookingId, null);
        if (windows.length === 0) throw new RowNotFoundError('booking_table', payload.bookingId);
        return summary(await recomputeForWindows(trx, windows));
      },
      {
        // Several events in one transaction: one read of their windows, one recompute of every
        // bucket they touch (each once). Each event reports its own buckets; `written` is what
        // the batch's recompute wrote, for `batchEvents` events.
        batch: async (contexts) => {
          const trx = contexts[0]!.trx;
          const found = await bookingWindows(
            trx,
            contexts.map((ctx) => ctx.payload.bookingId),
          );
          const windows = contexts.map(({ payload }) => {
            const window = found.get(payload.bookingId);
            if (!window) throw new RowNotFoundError('booking_table', payload.bookingId);
            return window;
          });
          const result = await recomputeForWindows(trx, windows);
          return windows.map((window) => batchSummary([window], result, contexts.length));
        },
      },
    );
    registry.register(
      'booking.updated',
      HANDLER,
      async ({ trx, payload }) =>
        summary(await recomputeForBookingEvent(trx, payload.bookingId, payload.previous ?? null)),
      {
        // Several events in one transaction: one read of the current windows, one recompute of
        // every bucket their current and previous windows touch.
        batch: async (contexts) => {
          const trx = contexts[0]!.trx;
          const current = await bookingWindows(
            trx,
            contexts.map((ctx) => ctx.payload.bookingId),
          );
          const perEvent = contexts.map(({ payload }) => [
            ...(current.has(payload.bookingId) ? [current.get(payload.bookingId)!] : []),
            ...(payload.previous ? [previousWindow(payload.previous)] : []),
          ]);
          const result = await recomputeForWindows(trx, perEvent.flat());
          return perEvent.map((windows) => batchSummary(windows, result, contexts.length));
        },
      },
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
