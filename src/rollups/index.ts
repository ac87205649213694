/**
 * Utilization rollups (docs/rollups.md). What other parts call:
 * - event handlers: recomputeForBookingEvent, recomputeForDeviceEvent (in the event's transaction);
 * - the reconciliation job: reconcileRecent;
 * - the CLI: backfill;
 * - dashboards and reports: utilizationBy, utilizationByUser;
 * - rule facts: deviceUtilizationFacts, comingWeekShares, userShares.
 */
export {
  type BackfillOptions,
  type BackfillResult,
  backfill,
  RollupInputError,
  reconcileRecent,
} from './backfill';
export { computeTargets, ROLLUP_LOCK_CLASS } from './compute';
export { comingWeekShares, deviceUtilizationFacts } from './facts';
export {
  bookingEventWindows,
  deviceEventWindows,
  recomputeForBookingEvent,
  recomputeForDeviceEvent,
  recomputeForWindows,
} from './incremental';
export {
  BUCKET_SECONDS,
  type DeviceWindow,
  GRANULARITIES,
  type Granularity,
  MODEL,
  type RollupRow,
} from './model';
export { DIMENSIONS, type Dimension, planRange, utilizationBy } from './query';
export { userShares, utilizationByUser } from './users';
