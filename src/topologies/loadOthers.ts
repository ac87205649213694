/**
 * Port usage of the other approved topologies, for the optical-path check: which switch ports
 * they use on the devices being checked, and when. A few set-based queries for any number of
 * devices and topologies:
 *
 * 1. the windows: through `topology_devices`, the topologies whose review is `approved` that
 *    name one of these devices, with their owner's confirmed bookings of that device overlapping
 *    one of the requester's windows (anything else cannot conflict, so it is never read);
 * 2. their JSON, parsed the same way as the topology under review;
 * 3. the devices they name that are not loaded yet (ports and polatis names only).
 *
 * Each is then resolved with `topologyUsedPorts`, exactly as its own review does.
 */
import type { Knex } from 'knex';
import {
  buildTopologyFacts,
  type PortUsageFact,
  type TopologyDeviceFacts,
  topologyDeviceRefs,
} from './facts';
import { devicesByName, loadDevices } from './loadDevices';
import { parseTopology } from './parse';
import { topologyUsedPorts } from './review';

/** A window the topology under review needs a device in: one of its requester's bookings. */
export interface NeededWindow {
  deviceId: number;
  startsAt: Date;
  endsAt: Date;
}

interface WindowRow {
  topology_id: number;
  booking_id: number;
  device_id: number;
  start_time: Date;
  end_time: Date;
}

interface TopologyRow {
  id: number;
  user_id: number;
  nodes: unknown;
  edges: unknown;
}

/** Loaded devices shared between the topologies of one load, by id and by name. */
export interface DeviceCache {
  byId: Map<number, TopologyDeviceFacts>;
  /** Polatis name keys already looked up by name: every device with that name is in `byId`. */
  namesLoaded: Set<string>;
}

export async function loadOtherTopologyPorts(
  db: Knex,
  needed: readonly NeededWindow[],
  cache: DeviceCache,
  now: Date,
): Promise<PortUsageFact[]> {
  if (needed.length === 0) return [];
  const { rows: windows } = await db.raw<{ rows: WindowRow[] }>(
    `SELECT DISTINCT td.topology_id, b.booking_id, b.device_id, b.start_time, b.end_time
       FROM unnest(?::int[], ?::timestamp[], ?::timestamp[]) AS m(device_id, starts_at, ends_at)
       JOIN topology_devices td ON td.device_id = m.device_id
       JOIN topology_review r ON r.topology_id = td.topology_id
       JOIN topology_table t ON t.id = td.topology_id
       JOIN booking_table b ON b.device_id = td.device_id AND b.user_id = t.user_id
      WHERE lower(btrim(r.status)) = 'approved'
        AND b.status_canonical = 'confirmed'
        AND b.end_time > b.start_time
        AND b.start_time < m.ends_at AND m.starts_at < b.end_time
      ORDER BY td.topology_id, b.device_id, b.start_time`,
    [
      needed.map((w) => w.deviceId),
      needed.map((w) => w.startsAt.toISOString()),
      needed.map((w) => w.endsAt.toISOString()),
    ],
  );
  if (windows.length === 0) return [];

  const windowsOf = new Map<number, Map<number, WindowRow[]>>();
  for (const row of windows) {
    let byDevice = windowsOf.get(row.topology_id);
    if (!byDevice) {
      byDevice = new Map();
      windowsOf.set(row.topology_id, byDevice);
    }
    const list = byDevice.get(row.device_id);
    if (list) list.push(row);
    else byDevice.set(row.device_id, [row]);
  }

  const { rows: topologies } = await db.raw<{ rows: TopologyRow[] }>(
    'SELECT id, user_id, nodes, edges FROM topology_table WHERE id = ANY(?::int[]) ORDER BY id',
    [[...windowsOf.keys()]],
  );
  const parsed = topologies.map((row) => {
    const graph = parseTopology({ nodes: row.nodes, edges: row.edges });
    return { row, graph, refs: topologyDeviceRefs(graph) };
  });

  const missingIds = new Set<number>();
  const missingNames = new Set<string>();
  for (const { refs } of parsed) {
    for (const id of refs.deviceIds) if (!cache.byId.has(id)) missingIds.add(id);
    for (const name of refs.polatisNames) if (!cache.namesLoaded.has(name)) missingNames.add(name);
  }
  if (missingIds.size > 0 || missingNames.size > 0) {
    const devices = await loadDevices(db, {
      deviceIds: [...missingIds],
      polatisNames: [...missingNames],
      now,
      maintenance: false,
    });
    for (const device of devices)
      if (!cache.byId.has(device.deviceId)) cache.byId.set(device.deviceId, device);
    for (const name of missingNames) cache.namesLoaded.add(name);
  }
  const byName = devicesByName(cache.byId.values());

  const usages: PortUsageFact[] = [];
  for (const { row, graph, refs } of parsed) {
    const devices: TopologyDeviceFacts[] = [];
    for (const id of refs.deviceIds) {
      const device = cache.byId.get(id);
      if (device) devices.push(device);
    }
    for (const name of refs.polatisNames) devices.push(...(byName.get(name) ?? []));
    const facts = buildTopologyFacts({ topologyId: row.id, requesterId: row.user_id, devices });
    const byDevice = windowsOf.get(row.id) ?? new Map<number, WindowRow[]>();
    for (const used of topologyUsedPorts(graph, facts)) {
      for (const window of byDevice.get(used.deviceId) ?? []) {
        usages.push({
          topologyId: row.id,
          deviceId: used.deviceId,
          port: used.port,
          startsAt: window.start_time,
          endsAt: window.end_time,
          bookingId: window.booking_id,
        });
      }
    }
  }
  return usages;
}
