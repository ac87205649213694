/**
 * Nodes -> devices. A node names its device by `data.deviceId` (a `device_table.id`) or
 * `data.polatisName` (matched case-insensitively); when it gives both they must name the same
 * device. Problems are reported once per device (or name), listing the nodes concerned, so a
 * device placed a hundred times gives one finding, not a hundred.
 */
import { polatisNameKey, type TopologyFacts } from './facts';
import { detail, type FindingList } from './findings';
import { describeValue, listForMessage, quoteId } from './text';
import type { ParsedTopology, TopologyNode } from './types';

export interface DeviceResolution {
  /** Node id -> `device_table.id`, for nodes whose device is known and unambiguous. */
  deviceOfNode: Map<string, number>;
  /** `device_table.id` -> ids of the nodes placing it, in node order. */
  nodesOfDevice: Map<number, string[]>;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function nodeList(nodeIds: readonly string[]): string {
  return `${nodeIds.length === 1 ? 'node' : 'nodes'} ${listForMessage(nodeIds.map(quoteId))}`;
}

export function resolveDevices(
  graph: Pick<ParsedTopology, 'nodes'>,
  facts: Pick<TopologyFacts, 'devices' | 'deviceIdsByPolatisName'>,
  findings: FindingList,
): DeviceResolution {
  const deviceOfNode = new Map<string, number>();
  const nodesOfDevice = new Map<number, string[]>();
  const unknownIds = new Map<number, string[]>();
  const unknownNames = new Map<string, { name: string; nodes: string[] }>();
  const ambiguous = new Map<string, { name: string; ids: readonly number[]; nodes: string[] }>();

  const byName = (node: TopologyNode): number | null => {
    const name = node.polatisName as string;
    const key = polatisNameKey(name);
    const ids = facts.deviceIdsByPolatisName.get(key) ?? [];
    if (ids.length === 1) return ids[0] as number;
    if (ids.length === 0) {
      const entry = unknownNames.get(key);
      if (entry) entry.nodes.push(node.id);
      else unknownNames.set(key, { name, nodes: [node.id] });
    } else {
      const entry = ambiguous.get(key);
      if (entry) entry.nodes.push(node.id);
      else ambiguous.set(key, { name, ids, nodes: [node.id] });
    }
    return null;
  };

  for (const node of graph.nodes) {
    let deviceId: number | null = null;
    if (node.deviceId !== null) {
      if (facts.devices.has(node.deviceId)) deviceId = node.deviceId;
      else push(unknownIds, node.deviceId, node.id);
      if (deviceId !== null && node.polatisName !== null) {
        const device = facts.devices.get(deviceId);
        const actual = device?.polatisName ?? null;
        if (actual === null || polatisNameKey(actual) !== polatisNameKey(node.polatisName)) {
          findings.add({
            kind: 'device_ref_mismatch',
            severity: 'error',
            nodeId: node.id,
            deviceId,
            message:
              `node ${quoteId(node.id)}: data.deviceId ${deviceId} is a device with polatis name ` +
              `${describeValue(actual)}, but data.polatisName is ${describeValue(node.polatisName)}`,
            detail: detail({ polatisName: node.polatisName, devicePolatisName: actual }),
          });
        }
      }
    } else if (node.polatisName !== null) {
      deviceId = byName(node);
    }
    if (deviceId !== null) {
      deviceOfNode.set(node.id, deviceId);
      push(nodesOfDevice, deviceId, node.id);
    }
  }

  for (const [deviceId, nodes] of unknownIds) {
    findings.add({
      kind: 'unknown_device',
      severity: 'error',
      nodeId: nodes[0],
      deviceId,
      message: `${nodeList(nodes)} ${nodes.length === 1 ? 'names' : 'name'} device ${deviceId}, which does not exist`,
      detail: detail({ by: 'deviceId', nodeIds: nodes.slice(0, 20), nodeCount: nodes.length }),
    });
  }
  for (const { name, nodes } of unknownNames.values()) {
    findings.add({
      kind: 'unknown_device',
      severity: 'error',
      nodeId: nodes[0],
      message: `${nodeList(nodes)} ${nodes.length === 1 ? 'names' : 'name'} polatis name ${describeValue(name)}, which no device has`,
      detail: detail({
        by: 'polatisName',
        polatisName: name,
        nodeIds: nodes.slice(0, 20),
        nodeCount: nodes.length,
      }),
    });
  }
  for (const { name, ids, nodes } of ambiguous.values()) {
    findings.add({
      kind: 'ambiguous_device',
      severity: 'error',
      nodeId: nodes[0],
      message:
        `${nodeList(nodes)}: polatis name ${describeValue(name)} belongs to ${ids.length} devices ` +
        `(${listForMessage(ids.map(String))}); name the device by data.deviceId`,
      detail: detail({ polatisName: name, deviceIds: ids.slice(0, 20), nodeIds: nodes.slice(0, 20) }),
    });
  }
  for (const [deviceId, nodes] of nodesOfDevice) {
    if (nodes.length < 2) continue;
    findings.add({
      kind: 'duplicate_device',
      severity: 'warning',
      nodeId: nodes[1],
      deviceId,
      message: `device ${deviceId} is placed on ${nodes.length} nodes (${listForMessage(nodes.map(quoteId))})`,
      detail: detail({ nodeIds: nodes.slice(0, 20), nodeCount: nodes.length }),
    });
  }
  return { deviceOfNode, nodesOfDevice };
}
