/**
 * `topology_table.nodes` / `edges` -> a normalized graph plus findings for everything
 * malformed. Never throws: any value (parsed JSON from the json column, text from a legacy
 * writer, or anything else) gives a graph, possibly empty, and findings that say what is wrong.
 * Elements with a shape error are left out of the graph; the rest is still reviewed so the
 * person fixing the topology sees every problem at once. See docs/topologies.md.
 */

import { parseEdges } from './edges';
import { detail, type FindingLimits, FindingList, type OmittedFindings } from './findings';
import { describeValue, detailValue, isRecord, own, quoteId, readId, VALUE_CHARS } from './text';
import type { ParsedTopology, TopologyNode } from './types';

export const DEFAULT_MAX_ELEMENTS = 50_000;
export const DEFAULT_MAX_TEXT_CHARS = 16 * 1024 * 1024;
/** Largest value of a Postgres integer, the type of `device_table.id`. */
const MAX_DEVICE_ID = 2147483647;

export interface ParseOptions extends FindingLimits {
  /** Most nodes, and most edges, reviewed; a longer list is refused as `too_large`. */
  maxElements?: number;
  /** Most characters of JSON text read per column. */
  maxTextChars?: number;
}

export interface TopologyInput {
  nodes: unknown;
  edges: unknown;
}

export interface ParseResult extends ParsedTopology {
  /** Findings counted but not kept (see FindingList). */
  omitted: OmittedFindings;
}

type Column = 'nodes' | 'edges';

export function parseTopology(input: TopologyInput, options: ParseOptions = {}): ParseResult {
  const findings = new FindingList(options);
  const nodeList = decodeColumn('nodes', input.nodes, findings, options);
  const edgeList = decodeColumn('edges', input.edges, findings, options);
  const nodes = nodeList ? parseNodes(nodeList, findings) : [];
  // When the node list itself is unusable, every edge would point at a missing node: say
  // nothing about edge endpoints then, the nodes finding is the one to fix.
  const nodeIds = nodeList ? new Set(nodes.map((n) => n.id)) : null;
  const edges = edgeList ? parseEdges(edgeList, nodeIds, findings) : [];
  return { nodes, edges, findings: findings.kept, omitted: findings.omitted };
}

/** The column as a list, decoding JSON text (at most twice: some legacy writers double-encode). */
function decodeColumn(
  column: Column,
  raw: unknown,
  findings: FindingList,
  options: ParseOptions,
): unknown[] | null {
  let value = raw;
  for (let decoded = 0; typeof value === 'string'; decoded++) {
    const text: string = value;
    const maxChars = options.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS;
    if (text.length > maxChars) {
      findings.add({
        kind: 'too_large',
        severity: 'error',
        message: `${column} is ${text.length} characters of text; at most ${maxChars} are read`,
        detail: detail({ field: column, chars: text.length, maxChars }),
      });
      return null;
    }
    if (decoded === 2) break;
    try {
      value = JSON.parse(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      findings.add({
        kind: 'not_json',
        severity: 'error',
        message: `${column} is not valid JSON (${reason.slice(0, 120)}): text starts ${describeValue(text)}`,
        detail: detail({ field: column, error: reason.slice(0, 200), start: detailValue(text) }),
      });
      return null;
    }
    if (decoded === 1) {
      findings.add({
        kind: 'double_encoded',
        severity: 'info',
        message: `${column} holds JSON text encoded twice; it was decoded twice`,
        detail: detail({ field: column }),
      });
    }
  }
  if (!Array.isArray(value)) {
    findings.add({
      kind: 'not_a_list',
      severity: 'error',
      message: `${column} must be a list of ${column === 'nodes' ? 'nodes' : 'edges'}, got ${describeValue(value)}`,
      detail: detail({ field: column, got: detailValue(value) }),
    });
    return null;
  }
  const maxElements = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
  if (value.length > maxElements) {
    findings.add({
      kind: 'too_large',
      severity: 'error',
      message: `${column} holds ${value.length} entries; at most ${maxElements} are reviewed`,
      detail: detail({ field: column, entries: value.length, maxElements }),
    });
    return null;
  }
  return value;
}

function parseNodes(list: unknown[], findings: FindingList): TopologyNode[] {
  const nodes: TopologyNode[] = [];
  const firstIndex = new Map<string, number>();
  for (let index = 0; index < list.length; index++) {
    const item = list[index];
    if (!isRecord(item)) {
      findings.add({
        kind: 'node_not_object',
        severity: 'error',
        message: `nodes[${index}] is ${describeValue(item)}, not a node object`,
        detail: detail({ index, got: detailValue(item) }),
      });
      continue;
    }
    const rawId = own(item, 'id');
    const id = readId(rawId);
    if (id === null) {
      findings.add({
        kind: 'node_bad_id',
        severity: 'error',
        message:
          rawId === undefined
            ? `nodes[${index}] has no id`
            : `nodes[${index}] has id ${describeValue(rawId)}; a node id is a non-empty string`,
        detail: detail({ index, id: detailValue(rawId) }),
      });
      continue;
    }
    const earlier = firstIndex.get(id);
    if (earlier !== undefined) {
      findings.add({
        kind: 'duplicate_node_id',
        severity: 'error',
        nodeId: id,
        message: `nodes[${index}] repeats node id ${quoteId(id)} of nodes[${earlier}]; the later node is ignored`,
        detail: detail({ index, firstIndex: earlier }),
      });
      continue;
    }
    firstIndex.set(id, index);
    const rawType = own(item, 'type');
    const type = typeof rawType === 'string' ? rawType.slice(0, VALUE_CHARS) : null;
    nodes.push({ id, index, type, ...readDeviceRef(id, index, type, own(item, 'data'), findings) });
  }
  return nodes;
}

function readDeviceRef(
  nodeId: string,
  index: number,
  type: string | null,
  data: unknown,
  findings: FindingList,
): { deviceId: number | null; polatisName: string | null } {
  const bad = (field: string, value: unknown, expected: string) =>
    findings.add({
      kind: 'bad_device_ref',
      severity: 'error',
      nodeId,
      message: `node ${quoteId(nodeId)}: ${field} is ${describeValue(value)}; expected ${expected}`,
      detail: detail({ index, field, got: detailValue(value) }),
    });
  // React Flow's `group` nodes are containers drawn around devices, not devices.
  const container = type === 'group';
  if (data === undefined || data === null) {
    if (!container) warnNoDevice(nodeId, index, findings);
    return { deviceId: null, polatisName: null };
  }
  if (!isRecord(data)) {
    bad('data', data, 'an object with deviceId or polatisName');
    return { deviceId: null, polatisName: null };
  }
  let deviceId: number | null = null;
  let polatisName: string | null = null;
  let broken = false;
  const rawId = own(data, 'deviceId');
  if (rawId !== undefined && rawId !== null) {
    deviceId = readDeviceId(rawId);
    if (deviceId === null) {
      bad(
        'data.deviceId',
        rawId,
        `a device id (a whole number from 1 to ${MAX_DEVICE_ID}, or such a number as text)`,
      );
      broken = true;
    }
  }
  const rawName = own(data, 'polatisName');
  if (rawName !== undefined && rawName !== null) {
    if (typeof rawName === 'string' && rawName.trim() !== '') polatisName = rawName.trim();
    else {
      bad('data.polatisName', rawName, 'a non-empty text');
      broken = true;
    }
  }
  if (!broken && !container && deviceId === null && polatisName === null)
    warnNoDevice(nodeId, index, findings);
  return { deviceId, polatisName };
}

function readDeviceId(value: unknown): number | null {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*\d{1,10}\s*$/.test(value)) n = Number(value);
  else return null;
  return Number.isInteger(n) && n >= 1 && n <= MAX_DEVICE_ID ? n : null;
}

function warnNoDevice(nodeId: string, index: number, findings: FindingList): void {
  findings.add({
    kind: 'node_without_device',
    severity: 'warning',
    nodeId,
    message: `node ${quoteId(nodeId)} names no device (data.deviceId or data.polatisName); it is not checked`,
    detail: detail({ index }),
  });
}
