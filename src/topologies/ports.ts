/**
 * Edge ends -> switch ports, with the port checks: in the device's range, on the right side,
 * light running from an out port to an in port, no port used twice, no port looped to itself.
 *
 * Sides: a handle may state one (`in-3`, `out-3`); a bare port equal to exactly one of the
 * device's In_Port / Out_Port takes that side. An end without a side takes the opposite of the
 * other end's; when neither end has one the edge runs source (out) -> target (in). An end
 * without a port uses the device's In_Port or Out_Port for its side.
 *
 * Ports are keyed by device (by node when the device is unknown): two nodes placing the same
 * device share its ports.
 */
import type { TopologyFacts } from './facts';
import { detail, type FindingList } from './findings';
import { portLabel } from './handles';
import { type PortRange, rangeHas } from './portRange';
import type { DeviceResolution } from './resolve';
import { quoteId } from './text';
import type { EdgeEnd, EdgeEndName, ParsedTopology, PortSide, TopologyEdge } from './types';

/** A switch port the topology needs on a known device. */
export interface UsedPort {
  edgeId: string;
  end: EdgeEndName;
  nodeId: string;
  deviceId: number;
  port: number;
  side: PortSide;
}

interface EndContext {
  end: EdgeEnd;
  deviceId: number | null;
  inPort: number | null;
  outPort: number | null;
  range: PortRange | null;
  /** Side stated by the handle or implied by In_Port/Out_Port; null when unknown. */
  declared: PortSide | null;
}

interface ResolvedEnd {
  key: string;
  deviceId: number | null;
  port: number | null;
  side: PortSide;
}

const opposite = (side: PortSide): PortSide => (side === 'in' ? 'out' : 'in');
const patched = (port: number | null): number | null =>
  port !== null && Number.isInteger(port) && port > 0 ? port : null;

export function checkPorts(
  graph: Pick<ParsedTopology, 'edges'>,
  resolution: DeviceResolution,
  facts: Pick<TopologyFacts, 'devices'>,
  ranges: ReadonlyMap<number, PortRange | null>,
  findings: FindingList,
): UsedPort[] {
  const used: UsedPort[] = [];
  const firstUse = new Map<string, string>();

  const context = (end: EdgeEnd): EndContext => {
    const deviceId = resolution.deviceOfNode.get(end.nodeId) ?? null;
    const device = deviceId === null ? undefined : facts.devices.get(deviceId);
    const inPort = patched(device?.inPort ?? null);
    const outPort = patched(device?.outPort ?? null);
    let declared = end.side;
    if (declared === null && end.port !== null && inPort !== outPort) {
      if (end.port === inPort) declared = 'in';
      else if (end.port === outPort) declared = 'out';
    }
    return {
      end,
      deviceId: device ? deviceId : null,
      inPort,
      outPort,
      range: ranges.get(deviceId ?? -1) ?? null,
      declared,
    };
  };

  for (const edge of graph.edges) {
    const source = context(edge.source);
    const target = context(edge.target);
    let sourceSide: PortSide;
    let targetSide: PortSide;
    if (source.declared && target.declared) {
      sourceSide = source.declared;
      targetSide = target.declared;
      if (sourceSide === targetSide) {
        findings.add({
          kind: 'edge_direction',
          severity: 'error',
          edgeId: edge.id,
          nodeId: edge.source.nodeId,
          deviceId: source.deviceId ?? undefined,
          message:
            `edge ${quoteId(edge.id)} joins two ${sourceSide} ports (${describeEnd(source)} and ` +
            `${describeEnd(target)}); light runs from an out port to an in port`,
          detail: detail({ side: sourceSide, sourcePort: edge.source.port, targetPort: edge.target.port }),
        });
      }
    } else if (source.declared) {
      sourceSide = source.declared;
      targetSide = opposite(sourceSide);
    } else if (target.declared) {
      targetSide = target.declared;
      sourceSide = opposite(targetSide);
    } else {
      sourceSide = 'out';
      targetSide = 'in';
    }
    const a = resolveEnd(edge, source, sourceSide, findings);
    const b = resolveEnd(edge, target, targetSide, findings);
    if (a && b && a.port !== null && a.key === b.key && a.port === b.port) {
      findings.add({
        kind: 'self_loop',
        severity: 'error',
        edgeId: edge.id,
        nodeId: edge.source.nodeId,
        deviceId: a.deviceId ?? undefined,
        message: `edge ${quoteId(edge.id)} connects port ${a.port} of ${describeEnd(source)} to itself`,
        detail: detail({ port: a.port }),
      });
      continue;
    }
    for (const [resolved, ctx] of [
      [a, source],
      [b, target],
    ] as const) {
      if (!resolved || resolved.port === null) continue;
      const portKey = `${resolved.key}|${resolved.port}`;
      const earlier = firstUse.get(portKey);
      if (earlier !== undefined) {
        findings.add({
          kind: 'port_reused',
          severity: 'error',
          edgeId: edge.id,
          nodeId: ctx.end.nodeId,
          deviceId: resolved.deviceId ?? undefined,
          message:
            `edge ${quoteId(edge.id)} uses port ${resolved.port} of ${describeEnd(ctx)}, already used by ` +
            `edge ${quoteId(earlier)}; a switch port carries one connection`,
          detail: detail({ port: resolved.port, otherEdgeId: earlier }),
        });
        continue;
      }
      firstUse.set(portKey, edge.id);
      if (resolved.deviceId !== null) {
        used.push({
          edgeId: edge.id,
          end: ctx.end.end,
          nodeId: ctx.end.nodeId,
          deviceId: resolved.deviceId,
          port: resolved.port,
          side: resolved.side,
        });
      }
    }
  }
  return used;
}

function describeEnd(ctx: EndContext): string {
  const node = `node ${quoteId(ctx.end.nodeId)}`;
  return ctx.deviceId === null ? node : `${node} (device ${ctx.deviceId})`;
}

function describePorts(ctx: EndContext): string {
  const parts = [`In_Port ${ctx.inPort ?? 'none'}`, `Out_Port ${ctx.outPort ?? 'none'}`];
  parts.push(ctx.range ? `polatis_port_range ${ctx.range.text}` : 'no polatis_port_range');
  return parts.join(', ');
}

function resolveEnd(
  edge: TopologyEdge,
  ctx: EndContext,
  side: PortSide,
  findings: FindingList,
): ResolvedEnd | null {
  const { end } = ctx;
  if (ctx.deviceId === null) {
    // Unknown or unnamed device: already reported; its ports cannot be checked, only compared.
    return { key: `node:${end.nodeId}`, deviceId: null, port: end.port, side };
  }
  const key = `device:${ctx.deviceId}`;
  const base = { edgeId: edge.id, nodeId: end.nodeId, deviceId: ctx.deviceId };
  if (end.port === null) {
    const port = side === 'in' ? ctx.inPort : ctx.outPort;
    if (port === null) {
      findings.add({
        ...base,
        kind: 'port_missing',
        severity: 'error',
        message:
          `edge ${quoteId(edge.id)}: its ${end.end} ${describeEnd(ctx)} names no port and device ` +
          `${ctx.deviceId} has no ${side === 'in' ? 'In_Port' : 'Out_Port'} (${describePorts(ctx)}); ` +
          `name the port with ${end.end}Handle`,
        detail: detail({ end: end.end, side }),
      });
      return null;
    }
    return { key, deviceId: ctx.deviceId, port, side };
  }
  const port = end.port;
  const inRange = ctx.range !== null && rangeHas(ctx.range, port);
  const isIn = port === ctx.inPort;
  const isOut = port === ctx.outPort;
  if (!inRange && !isIn && !isOut) {
    findings.add({
      ...base,
      kind: 'port_out_of_range',
      severity: 'error',
      message:
        `edge ${quoteId(edge.id)}: ${end.end} port ${port} is not a port of device ${ctx.deviceId} ` +
        `(${describePorts(ctx)})`,
      detail: detail({
        end: end.end,
        port,
        inPort: ctx.inPort,
        outPort: ctx.outPort,
        range: ctx.range?.text ?? null,
      }),
    });
    return null;
  }
  // A range port may serve either side; In_Port and Out_Port only their own.
  if (!inRange && ((side === 'in' && !isIn) || (side === 'out' && !isOut))) {
    findings.add({
      ...base,
      kind: 'port_side_mismatch',
      severity: 'error',
      message:
        `edge ${quoteId(edge.id)}: ${end.end} ${portLabel(port, side)} uses port ${port} of device ` +
        `${ctx.deviceId} as its ${side} side, but port ${port} is its ${isIn ? 'In_Port' : 'Out_Port'}`,
      detail: detail({ end: end.end, port, side, inPort: ctx.inPort, outPort: ctx.outPort }),
    });
    return null;
  }
  return { key, deviceId: ctx.deviceId, port, side };
}
