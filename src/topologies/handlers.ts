/**
 * The topology review's event handlers (docs/topologies.md):
 * - `topology.submitted|updated|recheck`: review the topology and record outcome and findings,
 *   in the event's transaction;
 * - `device.status_changed|maintenance_changed`: a device the reviews depend on changed, so every
 *   topology naming it (the `topology_devices` index) gets a `topology.recheck` after commit;
 * - `booking.updated` of a booking that is now confirmed: the same rechecks for its device (a
 *   confirmed booking is what a review checks the requester's use of a device against).
 *
 * Reviews run against the time the job is processed, not the event's `occurredAt`: the review
 * reads current rows (bookings, maintenance, statuses), and `last_checked_at` (which keeps a slow,
 * older check from replacing a newer one) then orders checks by when they actually looked.
 */
import type { Knex } from 'knex';
import type { HandlerContext, HandlerModule, HandlerRegistry } from '../queues/handlers';
import { reviewsUsingDevices } from './deviceIndex';
import { reviewTopologyById } from './service';

const HANDLER = 'topologies';

export interface TopologyHandlerOptions {
  /** The review's clock (tests pin it); the current time by default. */
  now?: () => Date;
}

const REVIEW_JOBS = ['topology.submitted', 'topology.updated', 'topology.recheck'] as const;
const DEVICE_JOBS = ['device.status_changed', 'device.maintenance_changed'] as const;

function registerReviews(registry: HandlerRegistry, now: () => Date): void {
  for (const job of REVIEW_JOBS) {
    registry.register(job, HANDLER, async ({ trx, payload, eventId }) => {
      const check = await reviewTopologyById(trx, payload.topologyId, {
        now: now(),
        trigger: { eventId, job },
      });
      return {
        outcome: check.result.outcome,
        reviewId: check.recorded.reviewId,
        stale: check.recorded.stale,
        findings: check.recorded.findingsWritten,
      };
    });
  }
}

/** Sends, after commit, one `topology.recheck` per topology that uses the device. */
async function recheckTopologiesUsing(
  trx: Knex.Transaction,
  deviceId: number,
  enqueueAfterCommit: HandlerContext['enqueueAfterCommit'],
): Promise<{ rechecks: number }> {
  const topologyIds = await reviewsUsingDevices(trx, [deviceId]);
  for (const topologyId of topologyIds) enqueueAfterCommit('topology.recheck', { topologyId });
  return { rechecks: topologyIds.length };
}

/**
 * One recheck per topology using the device. Each recheck gets a fresh eventId, so two device
 * events in a row review a topology twice (cheap, and the later check wins); a redelivered
 * device event re-sends the same recorded rechecks, which their eventIds make harmless.
 */
function registerFanOut(registry: HandlerRegistry, job: (typeof DEVICE_JOBS)[number]): void {
  registry.register(job, HANDLER, ({ trx, payload, enqueueAfterCommit }) =>
    recheckTopologiesUsing(trx, payload.deviceId, enqueueAfterCommit),
  );
}

/**
 * The payload carries no previous status, so any update leaving the booking confirmed rechecks
 * (a moved confirmed booking matters as much as a newly confirmed one).
 */
function registerBookingFanOut(registry: HandlerRegistry): void {
  registry.register('booking.updated', HANDLER, async ({ trx, payload, enqueueAfterCommit }) => {
    const booking = (await trx('booking_table')
      .where({ booking_id: payload.bookingId, status_canonical: 'confirmed', is_collaborator: false })
      .first('device_id')) as { device_id: number | null } | undefined;
    if (!booking || booking.device_id === null) return { rechecks: 0 };
    return recheckTopologiesUsing(trx, booking.device_id, enqueueAfterCommit);
  });
}

export function createTopologyHandlers(options: TopologyHandlerOptions = {}): HandlerModule {
  const now = options.now ?? (() => new Date());
  return {
    name: HANDLER,
    register(registry) {
      registerReviews(registry, now);
      for (const job of DEVICE_JOBS) registerFanOut(registry, job);
      registerBookingFanOut(registry);
    },
  };
}

export const topologyHandlers: HandlerModule = createTopologyHandlers();
