/**
 * The admins' `appliesTo: topology` policies (rules/*.json) in the review: the `topology` and
 * `requester` facts of the fact catalog are built from what the review already loaded (devices
 * matched to nodes the same way), plus the author and the devices' owners (three and one
 * set-based queries), then evaluated by the same engine as bookings (src/rules/evaluate.ts).
 *
 * Each fired rule becomes one finding of kind `policy`:
 *   deny              error    (counts in conflict_count; the outcome is `conflicts`)
 *   require_approval  warning  (the outcome is at least `needs_approval`)
 *   flag              info     (a note: the engine's outcome for a flag is allow)
 * with the rule's message, and policy, rule, code, approver and the rule-set revision in its
 * detail.
 */
import type { Knex } from 'knex';
import { type Decision, evaluate, type Reason } from '../rules/evaluate';
import type { FactsOf } from '../rules/facts/catalog';
import { loadRequesters, type RequesterFact } from '../rules/facts/requesters';
import type { EventType } from '../rules/policy';
import type { RuleSetSnapshot } from '../rules/snapshot';
import type { TopologyFacts } from './facts';
import { detail, FindingList } from './findings';
import { resolveDevices } from './resolve';
import type { PolicyContext, PolicyFindingsSource } from './service';
import { type JsonObject, type JsonValue, POLICY_KIND, type Severity, type TopologyFinding } from './types';

export type TopologyRuleFacts = FactsOf<'topology'>;

export const SEVERITY_OF_EVENT: Readonly<Record<EventType, Severity>> = {
  deny: 'error',
  require_approval: 'warning',
  flag: 'info',
};

export interface RuleFactsInput {
  topologyId: number;
  name: string;
  graph: PolicyContext['graph'];
  facts: TopologyFacts;
  requester: RequesterFact;
  /** Current owners (user ids) of the devices, by device id; devices without owners absent. */
  ownersByDevice: ReadonlyMap<number, readonly number[]>;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The catalog's `topology` and `requester` facts of a topology. Pure. */
export function topologyRuleFacts(input: RuleFactsInput): TopologyRuleFacts {
  const { graph, facts, requester } = input;
  const resolution = resolveDevices(graph, facts, new FindingList({ maxFindings: 0 }));
  const deviceIds = [...resolution.nodesOfDevice.keys()].sort((a, b) => a - b);
  const categoryCounts: Record<string, number> = {};
  const deviceTypes = new Set<string>();
  let unschedulableCount = 0;
  const ownedByAnotherIds: number[] = [];
  for (const id of deviceIds) {
    const device = facts.devices.get(id);
    if (!device) continue;
    if (device.category) categoryCounts[device.category] = (categoryCounts[device.category] ?? 0) + 1;
    if (device.deviceType) deviceTypes.add(device.deviceType);
    if (device.isSchedulable === false) unschedulableCount += 1;
    const owners = input.ownersByDevice.get(id) ?? [];
    if (owners.length > 0 && !owners.includes(requester.id)) ownedByAnotherIds.push(id);
  }
  const categories = Object.keys(categoryCounts).sort(byText);
  return {
    topology: {
      id: input.topologyId,
      name: input.name,
      nodeCount: graph.nodes.length,
      edgeCount: graph.edges.length,
      deviceCount: deviceIds.length,
      deviceIds,
      unknownNodeCount: graph.nodes.length - resolution.deviceOfNode.size,
      categories,
      categoryCounts: Object.fromEntries(categories.map((c) => [c, categoryCounts[c] as number])),
      deviceTypes: [...deviceTypes].sort(byText),
      unschedulableCount,
      ownedByAnotherCount: ownedByAnotherIds.length,
      ownedByAnotherIds,
    },
    requester,
  };
}

/** Current owners of these devices (`device_ownership` rows not revoked): one query. */
export async function loadOwners(db: Knex, deviceIds: readonly number[]): Promise<Map<number, number[]>> {
  const owners = new Map<number, number[]>();
  if (deviceIds.length === 0) return owners;
  const { rows } = await db.raw<{ rows: Array<{ device_id: number; owner_id: number }> }>(
    `SELECT DISTINCT device_id, owner_id FROM device_ownership
      WHERE device_id = ANY(?::int[]) AND revoked_at IS NULL
      ORDER BY device_id, owner_id`,
    [[...new Set(deviceIds)]],
  );
  for (const row of rows) {
    const list = owners.get(row.device_id);
    if (list) list.push(row.owner_id);
    else owners.set(row.device_id, [row.owner_id]);
  }
  return owners;
}

function jsonOf(value: unknown): JsonValue {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value, (_k, v) => (v instanceof Date ? v.toISOString() : v))) as JsonValue;
}

/** One finding per fired rule (deny first, then require_approval, then flag). */
export function policyFindingsOf(decision: Decision): TopologyFinding[] {
  return decision.reasons.map((reason: Reason) => ({
    kind: POLICY_KIND,
    severity: SEVERITY_OF_EVENT[reason.type],
    message: reason.message,
    detail: detail({
      policy: reason.policy,
      rule: reason.rule,
      code: reason.code,
      type: reason.type,
      approver: reason.approver,
      revision: decision.revision,
      values: jsonOf(reason.values) as JsonObject,
    }),
  }));
}

/** The author of the topology is not in user_table: the policies cannot be evaluated. */
function authorMissing(requesterId: number, revision: string): TopologyFinding {
  return {
    kind: POLICY_KIND,
    severity: 'warning',
    message: `the topology's author (user ${requesterId}) does not exist, so the topology policies were not evaluated; a person must review it`,
    detail: detail({ code: 'AUTHOR_MISSING', requesterId, revision }),
  };
}

export interface TopologyPolicyOptions {
  /** The rule set in use, read once per review (a reload between reviews is picked up). */
  rules: () => RuleSetSnapshot;
  /** Told about admin_settings values that could not be read (their defaults were used). */
  onSettingsProblem?: (problems: readonly string[]) => void;
}

/**
 * The `policyFindings` hook of `reviewTopologyById` that evaluates the rule set's topology
 * policies on the review's loaded facts. A rule set without topology policies costs nothing.
 */
export function topologyPolicyFindings(options: TopologyPolicyOptions): PolicyFindingsSource {
  return async (context: PolicyContext) => {
    const snapshot = options.rules();
    if (snapshot.rules.topology.length === 0) return [];
    const { requesters, problems } = await loadRequesters(context.trx, [context.requesterId]);
    if (problems.length > 0) options.onSettingsProblem?.(problems);
    const requester = requesters.get(context.requesterId);
    if (!requester) return [authorMissing(context.requesterId, snapshot.revision)];
    const ownersByDevice = await loadOwners(context.trx, [...context.facts.devices.keys()]);
    const facts = topologyRuleFacts({
      topologyId: context.topologyId,
      name: context.name,
      graph: context.graph,
      facts: context.facts,
      requester,
      ownersByDevice,
    });
    return policyFindingsOf(await evaluate(snapshot, 'topology', facts));
  };
}
