/**
 * CPU cost of parsing and reviewing a topology of 10, 1,000 and 10,000 nodes (and as many
 * edges), with facts for every device (a booking, another user's booking, another topology's
 * port usage and a maintenance window each, none conflicting), from JSON text as a legacy
 * writer stores it. A second shape has every edge on the same port: a finding per edge, to
 * show the cost when everything is wrong.
 *
 *   npx tsx bench/topology.ts [--runs 7]
 *
 * Prints the median CPU (user + system, all threads) and wall milliseconds per review.
 */
import {
  type BookingFact,
  buildTopologyFacts,
  type PortUsageFact,
  type TopologyDeviceFacts,
  type TopologyFacts,
} from '../src/topologies/facts';
import { parseTopology } from '../src/topologies/parse';
import { reviewTopology } from '../src/topologies/review';

const NOW = new Date('2026-11-24T12:00:00Z');
const at = (hours: number) => new Date(NOW.getTime() + hours * 3_600_000);

function setup(
  size: number,
  shape: 'clean' | 'conflicting',
): { nodes: string; edges: string; facts: TopologyFacts } {
  const nodes = [];
  const edges = [];
  const devices: TopologyDeviceFacts[] = [];
  const requesterBookings: BookingFact[] = [];
  const otherBookings: BookingFact[] = [];
  const otherTopologyPorts: PortUsageFact[] = [];
  for (let i = 1; i <= size; i++) {
    nodes.push({
      id: `n${i}`,
      type: 'device',
      position: { x: i, y: i },
      data: { deviceId: i, label: `dev ${i}` },
    });
    const next = (i % size) + 1;
    edges.push(
      shape === 'clean'
        ? {
            id: `e${i}`,
            source: `n${i}`,
            target: `n${next}`,
            sourceHandle: `out-${2 * i}`,
            targetHandle: `in-${2 * next - 1}`,
          }
        : { id: `e${i}`, source: 'n1', target: `n${next}`, sourceHandle: 'out-2' },
    );
    devices.push({
      deviceId: i,
      name: `dev ${i}`,
      polatisName: `pol-${i}`,
      deviceType: 'transceiver',
      isSchedulable: true,
      schedulerStatus: 'available',
      inventoryStatus: 'active',
      inPort: 2 * i - 1,
      outPort: 2 * i,
      polatisPortRange: `${2 * i - 1}-${2 * i}`,
      maintenance: [{ startsAt: at(24 * 30), endsAt: at(24 * 31), source: 'device_table' }],
    });
    const booking = { deviceId: i, status: 'confirmed' };
    requesterBookings.push({
      ...booking,
      bookingId: i,
      groupedBookingId: 'g1',
      userId: 1,
      startsAt: at(1),
      endsAt: at(5),
    });
    otherBookings.push({
      ...booking,
      bookingId: size + i,
      groupedBookingId: `g${i}`,
      userId: 2,
      startsAt: at(5),
      endsAt: at(9),
    });
    otherTopologyPorts.push({ topologyId: 2, deviceId: i, port: 2 * i, startsAt: at(6), endsAt: at(8) });
  }
  return {
    nodes: JSON.stringify(nodes),
    edges: JSON.stringify(edges),
    facts: buildTopologyFacts({
      topologyId: 1,
      requesterId: 1,
      devices,
      requesterBookings,
      otherBookings,
      otherTopologyPorts,
    }),
  };
}

/** CPU of the whole process (includes V8's parallel GC threads) and wall time, in ms. */
function measure(fn: () => void): { cpu: number; wall: number } {
  const before = process.cpuUsage();
  const started = process.hrtime.bigint();
  fn();
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  const used = process.cpuUsage(before);
  return { cpu: (used.user + used.system) / 1000, wall };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

function main(): void {
  const runsArg = process.argv.indexOf('--runs');
  const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;
  console.log(
    `node ${process.version}, median of ${runs} runs (after one warm-up), CPU ms per parse + review`,
  );
  console.log('shape        nodes  edges  findings  outcome      cpu_ms  wall_ms');
  for (const shape of ['clean', 'conflicting'] as const) {
    for (const size of [10, 1_000, 10_000]) {
      const { nodes, edges, facts } = setup(size, shape);
      let last = reviewTopology(parseTopology({ nodes, edges }), facts, { now: NOW });
      const times: Array<{ cpu: number; wall: number }> = [];
      for (let run = 0; run < runs; run++) {
        times.push(
          measure(() => {
            last = reviewTopology(parseTopology({ nodes, edges }), facts, { now: NOW });
          }),
        );
      }
      const cpu = median(times.map((t) => t.cpu));
      const wall = median(times.map((t) => t.wall));
      console.log(
        `${shape.padEnd(11)} ${String(size).padStart(6)} ${String(size).padStart(6)} ${String(last.counts.error + last.counts.warning + last.counts.info).padStart(9)}  ${last.outcome.padEnd(11)} ${cpu.toFixed(1).padStart(7)} ${wall.toFixed(1).padStart(8)}`,
      );
    }
  }
}

main();
