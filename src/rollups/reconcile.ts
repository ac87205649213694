/**
 * Periodic reconciliation of the rollups (docs/rollups.md, "How the rows stay current"): a
 * BullMQ job scheduler on the `maintenance` queue adds a `rollups.reconcile` job every
 * ROLLUP_RECONCILE_INTERVAL; its handler recomputes every device's buckets from
 * ROLLUP_RECONCILE_LOOKBACK_HOURS back to a week ahead, catching rows written without an event.
 *
 * The recomputation does NOT run in the event's transaction: it runs chunk by chunk on the pool
 * (reconcileRecent), each chunk a short transaction holding the advisory locks of about 20
 * devices, so a booking event waits at most one chunk for its device. The event's transaction
 * only holds its `processed_events` row, which commits once every chunk has: a run that fails
 * half-way leaves correct (recomputed) buckets behind and is retried as a whole.
 */
import type { AppDeps } from '../deps';
import type { HandlerModule } from '../queues/handlers';
import { reconcileRecent } from './backfill';

/** The job scheduler's id on the maintenance queue (one scheduler, whichever worker upserts it). */
export const RECONCILE_SCHEDULER_ID = 'rollups-reconcile';

const HANDLER = 'rollups';

export const rollupReconcileHandlers: HandlerModule = {
  name: 'rollups-reconcile',
  register(registry, deps: AppDeps) {
    registry.schedule({
      id: RECONCILE_SCHEDULER_ID,
      jobName: 'rollups.reconcile',
      everyMs: deps.config.rollupReconcileIntervalMs,
      data: { lookbackHours: deps.config.rollupReconcileLookbackHours },
    });
    registry.register('rollups.reconcile', HANDLER, async ({ payload, logger }) => {
      const result = await reconcileRecent(deps.knex, {
        asOf: new Date(),
        lookbackHours: payload.lookbackHours,
      });
      const summary = {
        devices: result.devices,
        chunks: result.chunks,
        buckets: result.buckets,
        written: result.written,
        elapsedMs: result.elapsedMs,
      };
      logger.info(
        summary,
        `rollups reconciled: ${result.devices} devices, ${result.buckets} buckets, ${result.written} rewritten in ${result.elapsedMs} ms`,
      );
      return summary;
    });
  },
};
