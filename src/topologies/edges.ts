/**
 * `topology_table.edges` entries -> normalized edges: endpoints that are nodes of the topology,
 * and each end's port and side from its handle or `data.<end>Port` (grammar in handles.ts).
 * An edge with a shape error is reported and left out of the graph.
 */
import { detail, type FindingList } from './findings';
import { type PortSpec, parsePortSpec, portLabel } from './handles';
import { describeValue, detailValue, isRecord, own, quoteId, readId } from './text';
import type { EdgeEnd, EdgeEndName, TopologyEdge } from './types';

export function parseEdges(
  list: unknown[],
  nodeIds: Set<string> | null,
  findings: FindingList,
): TopologyEdge[] {
  const edges: TopologyEdge[] = [];
  const firstIndex = new Map<string, number>();
  for (let index = 0; index < list.length; index++) {
    const item = list[index];
    if (!isRecord(item)) {
      findings.add({
        kind: 'edge_not_object',
        severity: 'error',
        message: `edges[${index}] is ${describeValue(item)}, not an edge object`,
        detail: detail({ index, got: detailValue(item) }),
      });
      continue;
    }
    const rawId = own(item, 'id');
    let id = readId(rawId);
    if (id === null) {
      id = `#${index}`;
      findings.add({
        kind: 'edge_bad_id',
        severity: 'info',
        edgeId: id,
        message:
          rawId === undefined
            ? `edges[${index}] has no id; it is called "${id}" in these findings`
            : `edges[${index}] has id ${describeValue(rawId)}, not a non-empty string; it is called "${id}" in these findings`,
        detail: detail({ index, id: detailValue(rawId) }),
      });
    } else {
      const earlier = firstIndex.get(id);
      if (earlier !== undefined) {
        findings.add({
          kind: 'duplicate_edge_id',
          severity: 'info',
          edgeId: id,
          message: `edges[${index}] repeats edge id ${quoteId(id)} of edges[${earlier}]`,
          detail: detail({ index, firstIndex: earlier }),
        });
      } else firstIndex.set(id, index);
    }
    const edge = parseEdge(item, id, index, nodeIds, findings);
    if (edge) edges.push(edge);
  }
  return edges;
}

function parseEdge(
  item: object,
  id: string,
  index: number,
  nodeIds: Set<string> | null,
  findings: FindingList,
): TopologyEdge | null {
  let ok = true;
  const endpoints: Record<EdgeEndName, string | null> = { source: null, target: null };
  for (const end of ['source', 'target'] as const) {
    const raw = own(item, end);
    const nodeId = readId(raw);
    if (nodeId === null) {
      ok = false;
      findings.add({
        kind: 'edge_missing_endpoint',
        severity: 'error',
        edgeId: id,
        message:
          raw === undefined
            ? `edge ${quoteId(id)} has no ${end}`
            : `edge ${quoteId(id)} has ${end} ${describeValue(raw)}; expected a node id`,
        detail: detail({ index, end, got: detailValue(raw) }),
      });
    } else if (nodeIds && !nodeIds.has(nodeId)) {
      ok = false;
      findings.add({
        kind: 'edge_unknown_node',
        severity: 'error',
        edgeId: id,
        nodeId,
        message: `edge ${quoteId(id)}: ${end} ${quoteId(nodeId)} is not a node of this topology`,
        detail: detail({ index, end }),
      });
    } else endpoints[end] = nodeId;
  }
  const rawData = own(item, 'data');
  let data: object | null = null;
  if (isRecord(rawData)) data = rawData;
  else if (rawData !== undefined && rawData !== null) {
    ok = false;
    findings.add({
      kind: 'bad_port',
      severity: 'error',
      edgeId: id,
      message: `edge ${quoteId(id)}: data is ${describeValue(rawData)}; expected an object (with sourcePort, targetPort)`,
      detail: detail({ index, field: 'data', got: detailValue(rawData) }),
    });
  }
  const source = readEnd('source', item, data, id, index, findings);
  const target = readEnd('target', item, data, id, index, findings);
  if (!ok || !source || !target || endpoints.source === null || endpoints.target === null) return null;
  return {
    id,
    index,
    source: { ...source, nodeId: endpoints.source },
    target: { ...target, nodeId: endpoints.target },
  };
}

/**
 * One end's port: the handle (`sourceHandle`) and `data.sourcePort` may both name it. When both
 * do and they disagree, the handle wins (it is what the edge is drawn attached to on the canvas)
 * and the disagreement is a finding.
 */
function readEnd(
  end: EdgeEndName,
  item: object,
  data: object | null,
  edgeId: string,
  index: number,
  findings: FindingList,
): Omit<EdgeEnd, 'nodeId'> | null {
  const handleField = `${end}Handle`;
  const dataField = `${end}Port`;
  const rawHandle = own(item, handleField);
  const rawData = data ? own(data, dataField) : undefined;
  const handle = parsePortSpec(rawHandle);
  const fromData = parsePortSpec(rawData);
  if (!handle.ok || !fromData.ok) {
    reportBadPorts(
      [
        [handleField, handle, rawHandle],
        [`data.${dataField}`, fromData, rawData],
      ],
      edgeId,
      index,
      findings,
    );
    return null;
  }
  const portsDiffer = handle.port !== null && fromData.port !== null && handle.port !== fromData.port;
  const sidesDiffer = handle.side !== null && fromData.side !== null && handle.side !== fromData.side;
  if (portsDiffer || sidesDiffer) {
    findings.add({
      kind: 'port_disagreement',
      severity: 'error',
      edgeId,
      message:
        `edge ${quoteId(edgeId)}: ${handleField} ${describeValue(rawHandle)} names ` +
        `${portLabel(handle.port, handle.side)} but data.${dataField} ${describeValue(rawData)} names ` +
        `${portLabel(fromData.port, fromData.side)}; the handle is used`,
      detail: detail({ index, end, handle: detailValue(rawHandle), dataPort: detailValue(rawData) }),
    });
  }
  return {
    end,
    port: handle.port ?? fromData.port,
    side: handle.side ?? fromData.side,
    spec: handle.text ?? fromData.text,
  };
}

function reportBadPorts(
  specs: Array<[string, PortSpec, unknown]>,
  edgeId: string,
  index: number,
  findings: FindingList,
): void {
  for (const [field, spec, raw] of specs) {
    if (spec.ok) continue;
    findings.add({
      kind: 'bad_port',
      severity: 'error',
      edgeId,
      message: `edge ${quoteId(edgeId)}: ${field} ${spec.reason}`,
      detail: detail({ index, field, got: detailValue(raw) }),
    });
  }
}
