/**
 * Fills `TopologyFacts` from the database for one topology, or for many at once (fan-out
 * re-checks), in a fixed number of set-based queries whatever the number of devices or
 * topologies (at most seven; none is made per device):
 *
 * 1-2. devices by id and by polatis name from `linked_devices`, with their maintenance windows
 *      (`loadDevices`);
 * 3.   the requesters' bookings of those devices that still reserve them;
 * 4.   other users' confirmed, non-collaborator bookings of those devices overlapping them;
 * 5-7. the other approved topologies' switch-port usage in overlapping windows
 *      (`loadOtherTopologyPorts`).
 *
 * Queries run one after the other: callers pass a transaction, and one connection never runs
 * two queries at once.
 */
import type { Knex } from 'knex';
import { groupBy } from '../collections';
import {
  type BookingFact,
  buildTopologyFacts,
  type PortUsageFact,
  type TopologyDeviceFacts,
  type TopologyFacts,
  topologyDeviceRefs,
} from './facts';
import { devicesByName, loadDevices } from './loadDevices';
import { type DeviceCache, loadOtherTopologyPorts, type NeededWindow } from './loadOthers';
import type { ParsedTopology } from './types';
import { INACTIVE_BOOKING_STATUSES } from './windows';

export interface TopologyToLoad {
  topologyId: number;
  /** `topology_table.user_id`: whose bookings are the topology's windows. */
  requesterId: number;
  /** The parsed topology (only its nodes are read here). */
  graph: Pick<ParsedTopology, 'nodes'>;
}

export interface LoadOptions {
  /** The check's clock: bookings and maintenance over by then are left out. */
  now: Date;
}

export interface LoadedTopologyFacts {
  facts: TopologyFacts;
  /**
   * Every device id the topology names, for `topology_devices`: its `data.deviceId` values
   * (existing or not) and every device whose polatis name one of its nodes uses. Sorted.
   */
  deviceIds: number[];
}

interface BookingRow {
  booking_id: number;
  grouped_booking_id: string;
  device_id: number;
  user_id: number;
  start_time: Date;
  end_time: Date;
  status_canonical: string | null;
}

const BOOKING_COLUMNS = `b.booking_id, b.grouped_booking_id, b.device_id, b.user_id, b.start_time, b.end_time,
  b.status_canonical`;

function bookingFact(row: BookingRow): BookingFact {
  return {
    bookingId: row.booking_id,
    groupedBookingId: row.grouped_booking_id,
    deviceId: row.device_id,
    userId: row.user_id,
    startsAt: row.start_time,
    endsAt: row.end_time,
    status: row.status_canonical,
  };
}

export async function loadTopologyFacts(
  db: Knex,
  topology: TopologyToLoad,
  options: LoadOptions,
): Promise<LoadedTopologyFacts> {
  const loaded = await loadTopologyFactsMany(db, [topology], options);
  return loaded.get(topology.topologyId) as LoadedTopologyFacts;
}

/** Facts for several topologies, sharing the queries. Keyed by topology id. */
export async function loadTopologyFactsMany(
  db: Knex,
  topologies: readonly TopologyToLoad[],
  options: LoadOptions,
): Promise<Map<number, LoadedTopologyFacts>> {
  const { now } = options;
  const refs = topologies.map((topology) => ({ topology, ...topologyDeviceRefs(topology.graph) }));
  const ids = new Set<number>();
  const names = new Set<string>();
  for (const ref of refs) {
    for (const id of ref.deviceIds) ids.add(id);
    for (const name of ref.polatisNames) names.add(name);
  }
  const cache: DeviceCache = { byId: new Map(), namesLoaded: new Set(names) };
  for (const device of await loadDevices(db, { deviceIds: [...ids], polatisNames: [...names], now })) {
    cache.byId.set(device.deviceId, device);
  }
  const byName = devicesByName(cache.byId.values());

  // Each topology's devices: those it names by id, and every device carrying a name it uses.
  const scoped = refs.map(({ topology, deviceIds, polatisNames }) => {
    const indexed = new Set<number>(deviceIds);
    const devices = new Map<number, TopologyDeviceFacts>();
    for (const id of deviceIds) {
      const device = cache.byId.get(id);
      if (device) devices.set(id, device);
    }
    for (const name of polatisNames) {
      for (const device of byName.get(name) ?? []) {
        indexed.add(device.deviceId);
        devices.set(device.deviceId, device);
      }
    }
    return { topology, devices, indexed };
  });

  const requesterRows = await loadRequesterBookings(
    db,
    scoped.flatMap(({ topology, devices }) =>
      [...devices.keys()].map((deviceId) => ({ deviceId, userId: topology.requesterId })),
    ),
    now,
  );
  const needed = uniqueWindows(requesterRows);
  const otherRows = await loadOtherBookings(db, needed);
  const ports = await loadOtherTopologyPorts(db, needed, cache, now);

  const requesterOf = groupBy(requesterRows, (b) => `${b.deviceId}|${b.userId}`);
  const othersOf = groupBy(otherRows, (b) => b.deviceId);
  const portsOf = groupBy(ports, (p) => p.deviceId);
  const result = new Map<number, LoadedTopologyFacts>();
  for (const { topology, devices, indexed } of scoped) {
    const requesterBookings: BookingFact[] = [];
    const otherBookings: BookingFact[] = [];
    const otherTopologyPorts: PortUsageFact[] = [];
    for (const deviceId of devices.keys()) {
      requesterBookings.push(...(requesterOf.get(`${deviceId}|${topology.requesterId}`) ?? []));
      for (const booking of othersOf.get(deviceId) ?? []) {
        if (booking.userId !== topology.requesterId) otherBookings.push(booking);
      }
      for (const usage of portsOf.get(deviceId) ?? []) {
        if (usage.topologyId !== topology.topologyId) otherTopologyPorts.push(usage);
      }
    }
    result.set(topology.topologyId, {
      facts: buildTopologyFacts({
        topologyId: topology.topologyId,
        requesterId: topology.requesterId,
        devices: [...devices.values()],
        requesterBookings,
        otherBookings,
        otherTopologyPorts,
      }),
      deviceIds: [...indexed].sort((a, b) => a - b),
    });
  }
  return result;
}

/**
 * The requesters' bookings that still reserve their topologies' devices: ending after `now`,
 * not rejected, cancelled or completed (an unrecognised legacy status counts as reserving),
 * collaborator rows included.
 */
async function loadRequesterBookings(
  db: Knex,
  pairs: ReadonlyArray<{ deviceId: number; userId: number }>,
  now: Date,
): Promise<BookingFact[]> {
  const unique = new Map(pairs.map((p) => [`${p.deviceId}|${p.userId}`, p]));
  if (unique.size === 0) return [];
  const list = [...unique.values()];
  const { rows } = await db.raw<{ rows: BookingRow[] }>(
    `SELECT ${BOOKING_COLUMNS}
       FROM unnest(?::int[], ?::int[]) AS p(device_id, user_id)
       JOIN booking_table b ON b.device_id = p.device_id AND b.user_id = p.user_id
      WHERE b.end_time > ?::timestamp AND b.end_time > b.start_time
        AND (b.status_canonical IS NULL OR b.status_canonical <> ALL(?::text[]))
      ORDER BY b.device_id, b.start_time, b.booking_id`,
    [
      list.map((p) => p.deviceId),
      list.map((p) => p.userId),
      now.toISOString(),
      [...INACTIVE_BOOKING_STATUSES],
    ],
  );
  return rows.map(bookingFact);
}

/** Other users' confirmed, non-collaborator bookings overlapping one of the requesters' windows. */
async function loadOtherBookings(db: Knex, needed: readonly RequesterWindow[]): Promise<BookingFact[]> {
  if (needed.length === 0) return [];
  const { rows } = await db.raw<{ rows: BookingRow[] }>(
    `SELECT DISTINCT ${BOOKING_COLUMNS}
       FROM unnest(?::int[], ?::int[], ?::timestamp[], ?::timestamp[]) AS m(device_id, user_id, starts_at, ends_at)
       JOIN booking_table b ON b.device_id = m.device_id AND b.user_id <> m.user_id
                           AND b.start_time < m.ends_at AND m.starts_at < b.end_time
      WHERE b.status_canonical = 'confirmed' AND NOT b.is_collaborator AND b.end_time > b.start_time
      ORDER BY b.device_id, b.start_time, b.booking_id`,
    [
      needed.map((w) => w.deviceId),
      needed.map((w) => w.userId),
      needed.map((w) => w.startsAt.toISOString()),
      needed.map((w) => w.endsAt.toISOString()),
    ],
  );
  return rows.map(bookingFact);
}

interface RequesterWindow extends NeededWindow {
  userId: number;
}

function uniqueWindows(bookings: readonly BookingFact[]): RequesterWindow[] {
  const unique = new Map<string, RequesterWindow>();
  for (const b of bookings) {
    const key = `${b.deviceId}|${b.userId}|${b.startsAt.getTime()}|${b.endsAt.getTime()}`;
    if (!unique.has(key)) {
      unique.set(key, { deviceId: b.deviceId, userId: b.userId, startsAt: b.startsAt, endsAt: b.endsAt });
    }
  }
  return [...unique.values()];
}
