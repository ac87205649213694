/**
 * Topology review, as the event handler uses it:
 *
 *   const parsed = parseTopology({ nodes: row.nodes, edges: row.edges });
 *   const refs = topologyDeviceRefs(parsed);            // what to load, in set-based queries
 *   const facts = buildTopologyFacts({ ...loaded });     // devices, bookings, other topologies
 *   const policyFindings = ...;                          // `appliesTo: topology` rules, same facts
 *   const result = reviewTopology(parsed, facts, { now, policyFindings });
 *   await knex.transaction((trx) => recordReviewOutcome(trx, { topologyId, result, checkedAt: now }));
 *
 * See docs/topologies.md for the accepted JSON, the findings and the outcomes.
 */
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
  AUDIT_ACTION,
  AUDIT_ACTOR_ROLE,
  FINDINGS_TABLE,
  type RecordedReview,
  type RecordReviewInput,
  recordReviewOutcome,
  TopologyNotFoundError,
} from './store';
export * from './types';
