// Builders for topology review tests: devices, bookings, facts and small topologies.
import {
  type BookingFact,
  buildTopologyFacts,
  type PortUsageFact,
  type TopologyDeviceFacts,
  type TopologyFacts,
} from '../../src/topologies/facts';
import { parseTopology } from '../../src/topologies/parse';
import { type ReviewDetails, type ReviewOptions, reviewTopology } from '../../src/topologies/review';
import type { FindingKind, TopologyFinding } from '../../src/topologies/types';

export const NOW = new Date('2026-11-24T12:00:00Z');
export const hours = (n: number) => new Date(NOW.getTime() + n * 3_600_000);

export function device(deviceId: number, overrides: Partial<TopologyDeviceFacts> = {}): TopologyDeviceFacts {
  return {
    deviceId,
    name: `dev-${deviceId}`,
    polatisName: `pol-${deviceId}`,
    deviceType: 'transceiver',
    isSchedulable: true,
    schedulerStatus: 'available',
    inventoryStatus: 'active',
    // Device N is patched to switch ports 2N-1 (in) and 2N (out).
    inPort: 2 * deviceId - 1,
    outPort: 2 * deviceId,
    polatisPortRange: null,
    maintenance: [],
    ...overrides,
  };
}

let bookingSeq = 1000;
export function booking(
  deviceId: number,
  fromHour: number,
  toHour: number,
  overrides: Partial<BookingFact> = {},
) {
  bookingSeq += 1;
  return {
    bookingId: bookingSeq,
    groupedBookingId: `g-${bookingSeq}`,
    deviceId,
    userId: REQUESTER,
    startsAt: hours(fromHour),
    endsAt: hours(toHour),
    status: 'confirmed',
    ...overrides,
  } satisfies BookingFact;
}

export const REQUESTER = 7;
export const OTHER_USER = 8;

export function facts(
  devices: TopologyDeviceFacts[],
  more: {
    requesterBookings?: BookingFact[];
    otherBookings?: BookingFact[];
    otherTopologyPorts?: PortUsageFact[];
    topologyId?: number;
  } = {},
): TopologyFacts {
  return buildTopologyFacts({ topologyId: more.topologyId ?? 1, requesterId: REQUESTER, devices, ...more });
}

/** Nodes placing devices: `node('a', 1)` -> `{id: 'a', data: {deviceId: 1}}`. */
export function node(id: string, deviceId: number | string, extra: Record<string, unknown> = {}) {
  return { id, type: 'device', position: { x: 0, y: 0 }, data: { deviceId, ...extra } };
}

export function edge(id: string, source: string, target: string, extra: Record<string, unknown> = {}) {
  return { id, source, target, ...extra };
}

export function review(
  nodes: unknown,
  edges: unknown,
  factsValue: TopologyFacts,
  options: Partial<ReviewOptions> = {},
): ReviewDetails {
  return reviewTopology(parseTopology({ nodes, edges }), factsValue, { now: NOW, ...options });
}

export function ofKind(findings: readonly TopologyFinding[], kind: FindingKind): TopologyFinding[] {
  return findings.filter((f) => f.kind === kind);
}

export function kinds(findings: readonly TopologyFinding[]): string[] {
  return findings.map((f) => f.kind);
}
