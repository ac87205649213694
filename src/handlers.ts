/**
 * The handler modules of this build, in the order their handlers run when several handle the
 * same job (all of an event's handlers share one transaction). Each part adds its module here:
 *
 *     import { bookingHandlers } from './bookings/handlers';
 *     export const HANDLER_MODULES = [bookingHandlers, rollupHandlers, topologyHandlers];
 *
 * A job whose name has no handler fails with "no handler is registered for <name>" and stays
 * in the failed set, to be retried (`provdb-worker jobs retry`) once its handler is deployed.
 */
import type { HandlerModule } from './queues/handlers';
import { rollupHandlers } from './rollups/handlers';
import { rollupReconcileHandlers } from './rollups/reconcile';
import { topologyHandlers } from './topologies/handlers';

// Rollups first: on a shared device event they recompute before the review fan-out is recorded;
// neither reads what the other writes, so the order is only for predictable logs and results.
export const HANDLER_MODULES: readonly HandlerModule[] = [
  rollupHandlers,
  topologyHandlers,
  rollupReconcileHandlers,
];
