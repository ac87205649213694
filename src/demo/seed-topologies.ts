/**
 * Topologies of the seeded lab (React Flow `nodes`/`edges`, see docs/topologies.md) and their
 * `topology_review` rows, as the scheduler's editor leaves them:
 *
 * - `approved`: a generator -> amplifier -> analyzer path, approved by a lab manager;
 * - `conflicting`: submitted; its ROADM booking overlaps another user's confirmed booking and
 *   one edge names a port the analyzer does not have;
 * - `clean`: submitted; a loop between generator and analyzer within its owner's booking;
 * - `invalid`: imported from an old tool that stored its nodes as JSON text inside the JSON
 *   column, with an edge to a missing node, and no review row yet (the scheduler creates one
 *   lazily);
 * - `stale` (when the lab has a retired device): approved weeks ago, before one of its devices
 *   was retired; the person's approval stands until someone looks again.
 */
import { fromNow, insertRows, json, type SeedContext } from './context';
import type { SeededBookings } from './seed-bookings';
import type { SeededDevice, SeededDevices } from './seed-devices';
import type { SeededPeople } from './seed-people';

export interface SeededTopologies {
  approved: number;
  conflicting: number;
  clean: number;
  invalid: number;
  stale: number | null;
}

interface NodeSpec {
  id: string;
  device: SeededDevice;
  byName?: boolean;
}

function nodes(list: NodeSpec[]): unknown[] {
  return list.map((n, i) => ({
    id: n.id,
    type: 'device',
    position: { x: 80 + 220 * i, y: 120 + (i % 2) * 60 },
    data: {
      ...(n.byName ? { polatisName: n.device.plan.polatisName } : { deviceId: n.device.schedulerId }),
      label: n.device.plan.scheduler.deviceName,
    },
  }));
}

/** An edge from `from`'s out port to `to`'s in port, by handle. */
function edge(id: string, from: NodeSpec, to: NodeSpec, outPort?: number) {
  return {
    id,
    source: from.id,
    target: to.id,
    sourceHandle: `out-${outPort ?? from.device.plan.outPort}`,
    targetHandle: `in-${to.device.plan.inPort}`,
    type: 'smoothstep',
  };
}

/** The first port of a device's `polatis_port_range`, or its Out_Port. */
function rangePort(device: SeededDevice): number {
  const match = /^\s*(\d+)/.exec(device.plan.portRange ?? '');
  return match ? Number(match[1]) : device.plan.outPort;
}

export async function seedTopologies(
  ctx: SeedContext,
  people: SeededPeople,
  devices: SeededDevices,
  bookings: SeededBookings,
): Promise<SeededTopologies> {
  const s = devices.scenario;
  const p = bookings.people;
  const manager = people.managers[0] ?? people.admin;
  const gen: NodeSpec = { id: 'tgen', device: s.freeGenerator };
  const amp: NodeSpec = { id: 'amp', device: s.freeAmplifier };
  const osa: NodeSpec = { id: 'osa', device: s.freeAnalyzer };
  const roadm: NodeSpec = { id: 'roadm', device: s.conflict, byName: true };
  const retired = devices.devices.find((d) => d.plan.role === 'retired' && d.schedulerId !== null);
  const stranger = devices.bookable.find((d) => d.plan.scenario === null) ?? s.conflict;

  const specs: Array<{
    key: keyof SeededTopologies;
    userId: number;
    name: string;
    nodes: unknown;
    edges: unknown;
    createdDaysAgo: number;
  }> = [
    {
      key: 'approved',
      userId: p.maintenanceBooker.id,
      name: 'Amplified span: generator, EDFA, OSA',
      nodes: nodes([gen, amp, osa]),
      edges: [edge('e1', gen, amp), edge('e2', amp, osa)],
      createdDaysAgo: 6,
    },
    {
      key: 'conflicting',
      userId: p.topologyStudent.id,
      name: 'ROADM express path to OSA',
      nodes: nodes([roadm, osa]),
      edges: [edge('e1', roadm, osa, rangePort(s.conflict)), edge('e2', osa, roadm, 999)],
      createdDaysAgo: 1,
    },
    {
      key: 'clean',
      userId: p.challenger.id,
      name: 'Generator/analyzer loopback',
      nodes: nodes([gen, osa]),
      edges: [edge('e1', gen, osa), edge('e2', osa, gen)],
      createdDaysAgo: 2,
    },
    {
      key: 'invalid',
      userId: manager.id,
      name: 'Old ring (imported)',
      // An old writer stored JSON text (a JSON string) where the editor stores a list.
      nodes: JSON.stringify(nodes([{ id: 'a', device: stranger }])),
      edges: [{ id: 'e1', source: 'a', target: 'zz' }],
      createdDaysAgo: 200,
    },
  ];
  if (retired) {
    const r: NodeSpec = { id: 'old', device: retired };
    specs.push({
      key: 'stale',
      userId: p.holder.id,
      name: 'Teaching lab path',
      nodes: nodes([r, gen]),
      edges: [edge('e1', r, gen)],
      createdDaysAgo: 45,
    });
  }

  const inserted = await insertRows<{ id: number; name: string }>(
    ctx.db,
    'topology_table',
    specs.map((t) => ({
      user_id: t.userId,
      name: t.name,
      nodes: json(t.nodes),
      edges: json(t.edges),
      created_at: fromNow(ctx, -24 * t.createdDaysAgo),
      updated_at: fromNow(ctx, -24 * t.createdDaysAgo + 1),
    })),
    ['id', 'name'],
  );
  const idOf = new Map(inserted.map((r) => [r.name, r.id]));
  const ids = Object.fromEntries(specs.map((t) => [t.key, idOf.get(t.name) as number])) as Record<
    keyof SeededTopologies,
    number
  >;

  const review = (
    topologyId: number,
    status: string,
    daysAgo: number,
    resolved: boolean,
    notes: string | null,
  ) => ({
    topology_id: topologyId,
    status,
    conflict_count: 0,
    last_checked_at: resolved ? fromNow(ctx, -24 * daysAgo) : null,
    resolved_at: resolved ? fromNow(ctx, -24 * daysAgo) : null,
    resolved_by: resolved ? manager.id : null,
    notes,
    created_at: fromNow(ctx, -24 * daysAgo - 2),
    updated_at: fromNow(ctx, -24 * daysAgo),
  });
  const reviews = [
    review(ids.approved, 'approved', 5, true, 'Approved for the span measurements.'),
    review(ids.conflicting, 'submitted', 1, false, null),
    review(ids.clean, 'submitted', 2, false, null),
  ];
  if (retired) reviews.push(review(ids.stale, 'approved', 40, true, 'Approved for the spring teaching lab.'));
  await insertRows(ctx.db, 'topology_review', reviews);

  return {
    approved: ids.approved,
    conflicting: ids.conflicting,
    clean: ids.clean,
    invalid: ids.invalid,
    stale: retired ? ids.stale : null,
  };
}
