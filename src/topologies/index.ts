/**
 * Topology review, as the event handler uses it:
 *
 *   await knex.transaction((trx) =>
 *     reviewTopologyById(trx, topologyId, { now, policyFindings: (ctx) => policies(ctx.facts) }));
 *
 * which reads the row, then runs the steps it is made of:
 *
 *   const parsed = parseTopology({ nodes: row.nodes, edges: row.edges });
 *   const { facts, deviceIds } = await loadTopologyFacts(trx, { topologyId, requesterId, graph: parsed }, { now });
 *   const result = reviewTopology(parsed, facts, { now, policyFindings });
 *   await recordReviewOutcome(trx, { topologyId, result, checkedAt: now });
 *   await refreshTopologyDevices(trx, topologyId, deviceIds);    // the fan-out index
 *
 * Fan-out: `reviewsUsingDevices(knex, [deviceId])` lists the topologies to re-check.
 *
 * See docs/topologies.md for the accepted JSON, the findings and the outcomes.
 */

export {
  type BackfillOptions,
  type BackfillProgress,
  backfillTopologyDevices,
  refreshTopologyDevices,
  reviewsUsingDevices,
  TOPOLOGY_DEVICES_TABLE,
} from './deviceIndex';
export {
  DEFAULT_MAINTENANCE_STATUSES,
  DEFAULT_RETIRED_STATUSES,
} from './devices';
export {
  type BookingFact,
  buildTopologyFacts,
  type MaintenanceWindow,
  type PortUsageFact,
  polatisNameKey,
  type TopologyDeviceFacts,
  type TopologyFacts,
  type TopologyFactsInput,
  topologyDeviceRefs,
} from './facts';
export { MAX_PORT, parsePortSpec } from './handles';
export {
  type LoadedTopologyFacts,
  type LoadOptions,
  loadTopologyFacts,
  loadTopologyFactsMany,
  type TopologyToLoad,
} from './load';
export {
  CANCELLED_RECORD_STATUSES,
  COMPLETED_RECORD_STATUSES,
  deviceTableWindow,
  IN_PROGRESS_RECORD_STATUSES,
  maintenanceRecordWindow,
} from './loadDevices';
export { type ParseOptions, type ParseResult, parseTopology, type TopologyInput } from './parse';
export { type PortRange, parsePortRange, rangeHas } from './portRange';
export type { UsedPort } from './ports';
export {
  DEFAULT_HORIZON_MS,
  type ReviewDetails,
  type ReviewOptions,
  reviewTopology,
  topologyUsedPorts,
} from './review';
export {
  type PolicyContext,
  type PolicyFindingsSource,
  type ReviewByIdOptions,
  reviewTopologyById,
  type TopologyCheck,
} from './service';
export {
  AUDIT_ACTION,
  AUDIT_ACTOR_ROLE,
  FINDINGS_TABLE,
  type RecordedReview,
  type RecordReviewInput,
  recordReviewOutcome,
  TopologyNotFoundError,
} from './store';
export * from './types';
