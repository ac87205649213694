/**
 * Types of the topology review.
 *
 * Glossary
 * - topology: a row of `topology_table`; `nodes` and `edges` are React Flow JSON drawn in the
 *   scheduler's editor. A node stands for a device, an edge for a fibre connection between two
 *   device ports patched through the Polatis switch.
 * - device: a row of the scheduler's `device_table` (bookings reference it), named by a node's
 *   `data.deviceId` or `data.polatisName`.
 * - port: a Polatis switch port number (integer >= 1) a device is patched to. `In_Port` is the
 *   switch port carrying light into the device, `Out_Port` the one carrying light out of it; an
 *   inventory `polatis_port_range` lists further switch ports of a multi-port device.
 * - side: `in` or `out`, the direction of a port as seen from its device. Light runs from an
 *   `out` port to an `in` port.
 * - finding: one thing the review found, with a severity; `error` findings are conflicts.
 * - outcome: what the review concludes (`approved`, `needs_approval`, `conflicts`, `invalid`),
 *   written to `topology_review.status` unless a person has resolved the review.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export const SEVERITIES = ['error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Findings about the shape of the JSON; an `error` among them makes the outcome `invalid`. */
export const PARSE_KINDS = [
  'not_json',
  'not_a_list',
  'too_large',
  'double_encoded',
  'node_not_object',
  'node_bad_id',
  'duplicate_node_id',
  'bad_device_ref',
  'node_without_device',
  'edge_not_object',
  'edge_bad_id',
  'duplicate_edge_id',
  'edge_missing_endpoint',
  'edge_unknown_node',
  'bad_port',
  'port_disagreement',
] as const;
export type ParseKind = (typeof PARSE_KINDS)[number];

/** Findings of the review against the database's facts. */
export const REVIEW_KINDS = [
  'unknown_device',
  'ambiguous_device',
  'device_ref_mismatch',
  'duplicate_device',
  'device_not_schedulable',
  'device_retired',
  'device_maintenance',
  'bad_port_range',
  'port_missing',
  'port_out_of_range',
  'port_side_mismatch',
  'edge_direction',
  'port_reused',
  'self_loop',
  'booking_conflict',
  'optical_path_conflict',
  'device_not_booked',
  'findings_truncated',
] as const;
export type ReviewKind = (typeof REVIEW_KINDS)[number];

/**
 * The kind of findings of the admins' `appliesTo: topology` policies (merged in through
 * `ReviewOptions.policyFindings`); which policy and rule fired is in the finding's detail.
 */
export const POLICY_KIND = 'policy';

/** Every finding kind: a bounded set (metrics are labelled with it). */
export const FINDING_KINDS = [...PARSE_KINDS, ...REVIEW_KINDS, POLICY_KIND] as const;
export type FindingKind = ParseKind | ReviewKind | typeof POLICY_KIND;

export interface TopologyFinding {
  kind: FindingKind;
  severity: Severity;
  nodeId?: string;
  edgeId?: string;
  /** `device_table.id` the finding is about (not necessarily an existing one). */
  deviceId?: number;
  /** One sentence naming the ids and values concerned. */
  message: string;
  detail: JsonObject;
}

export type PortSide = 'in' | 'out';
export type EdgeEndName = 'source' | 'target';

export interface TopologyNode {
  id: string;
  /** Position in the `nodes` array, for messages when ids are odd. */
  index: number;
  /** React Flow node type, informative only. */
  type: string | null;
  /** `data.deviceId`: a `device_table.id`. */
  deviceId: number | null;
  /** `data.polatisName`, trimmed. */
  polatisName: string | null;
}

export interface EdgeEnd {
  end: EdgeEndName;
  nodeId: string;
  /** Switch port named by the handle or `data.<end>Port`; null when the edge names none. */
  port: number | null;
  /** Side the handle states (`in-3`, `out:3`); null when it states none. */
  side: PortSide | null;
  /** The text the port came from, for messages. */
  spec: string | null;
}

export interface TopologyEdge {
  id: string;
  index: number;
  source: EdgeEnd;
  target: EdgeEnd;
}

/** The normalized graph plus the findings about malformed input. */
export interface ParsedTopology {
  nodes: TopologyNode[];
  edges: TopologyEdge[];
  findings: TopologyFinding[];
}

export const OUTCOMES = ['approved', 'needs_approval', 'conflicts', 'invalid'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface SeverityCounts {
  error: number;
  warning: number;
  info: number;
}

export interface ReviewResult {
  outcome: Outcome;
  /** Number of `error` findings, including any left out by the findings cap. */
  conflictCount: number;
  /** All findings counted, including any left out by the cap. */
  counts: SeverityCounts;
  findings: TopologyFinding[];
  /** Short human summary for `topology_review.notes`. */
  notes: string;
}
