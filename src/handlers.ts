/**
 * The handler modules of this build, in the order their handlers run when several handle the
 * same job (all of an event's handlers share one transaction). Each part adds its module here:
 *
 *     import { bookingRuleHandlers } from './decisions/handlers';
 *     export const HANDLER_MODULES = [bookingRuleHandlers, rollupHandlers, topologyHandlers];
 *
 * A job whose name has no handler fails with "no handler is registered for <name>" and stays
 * in the failed set, to be retried (`provdb-worker jobs retry`) once its handler is deployed.
 */
import { bookingRuleHandlers } from './decisions/handlers';
import type { HandlerModule } from './queues/handlers';
import { rollupHandlers } from './rollups/handlers';
import { rollupReconcileHandlers } from './rollups/reconcile';
import { topologyHandlers } from './topologies/handlers';

// The rules first: in enforce mode a decision moves the booking's status, and the rollups and the
// topology rechecks after it (same transaction) must see the status the event ends with. Rollups
// before topologies: on a shared device event they recompute before the review fan-out is
// recorded; neither reads what the other writes, so that order is only for predictable logs.
export const HANDLER_MODULES: readonly HandlerModule[] = [
  bookingRuleHandlers,
  rollupHandlers,
  topologyHandlers,
  rollupReconcileHandlers,
];
