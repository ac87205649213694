/**
 * What the review needs to know from the database, loaded up front in set-based queries (all
 * devices a topology names in one query, their bookings in another...) so that the review
 * itself is pure, fast and testable without a database. The DB loader fills `TopologyFacts`;
 * `topologyDeviceRefs` tells it which devices to fetch.
 */
import type { ParsedTopology } from './types';

/** A period during which a device is unavailable. Half-open: [startsAt, endsAt). */
export interface MaintenanceWindow {
  startsAt: Date;
  endsAt: Date;
  /**
   * `device_table` for the scheduler's typed window (`maintenance_starts_at/ends_at`),
   * `maintenance_record` for a scheduled inventory `maintenance_records` row.
   */
  source: 'device_table' | 'maintenance_record';
  /** `maintenance_records.id` when the source is a record. */
  recordId?: number;
  /** Shown in messages, e.g. the record's maintenance_type. */
  label?: string | null;
}

/** One scheduler device (`linked_devices` row) as the review sees it. */
export interface TopologyDeviceFacts {
  /** `device_table.id`. */
  deviceId: number;
  /** `deviceName`, else the inventory name; for messages. */
  name: string | null;
  /** `device_table.polatis_name`. */
  polatisName: string | null;
  /** Device type name, for messages. */
  deviceType: string | null;
  /** `device_types.category` of its type (what `appliesTo: topology` policies count). */
  category?: string | null;
  /** `linked_devices.is_schedulable`; null when the device has no type at all. */
  isSchedulable: boolean | null;
  /** `device_table.status`. */
  schedulerStatus: string | null;
  /** Inventory `devices.status` of the linked inventory device. */
  inventoryStatus: string | null;
  /** `In_Port`: switch port carrying light into the device; null or <= 0 when not patched. */
  inPort: number | null;
  /** `Out_Port`: switch port carrying light out of the device; null or <= 0 when not patched. */
  outPort: number | null;
  /** Inventory `polatis_port_range` text, parsed (strictly) by the review. */
  polatisPortRange: string | null;
  /** Maintenance windows that end after the review's `now` (older ones are irrelevant). */
  maintenance: readonly MaintenanceWindow[];
}

/** A `booking_table` row. Half-open window [startsAt, endsAt). */
export interface BookingFact {
  bookingId: number;
  groupedBookingId: string;
  deviceId: number;
  userId: number;
  startsAt: Date;
  endsAt: Date;
  /** `status_canonical`. */
  status: string | null;
}

/** A switch port another approved topology uses while its owner has the device booked. */
export interface PortUsageFact {
  topologyId: number;
  deviceId: number;
  port: number;
  startsAt: Date;
  endsAt: Date;
  /** The booking that gives the window. */
  bookingId?: number;
}

export interface TopologyFacts {
  topologyId: number;
  /** `topology_table.user_id`: the person who submitted the topology. */
  requesterId: number;
  /** Every device the topology names that exists, by `device_table.id`. */
  devices: ReadonlyMap<number, TopologyDeviceFacts>;
  /** Device ids by polatis name, keyed by `polatisNameKey(name)`; several ids = ambiguous. */
  deviceIdsByPolatisName: ReadonlyMap<string, readonly number[]>;
  /**
   * The requester's bookings of these devices that end after `now` (any status but
   * rejected/cancelled; collaborator rows included: they are the requester's reservation too).
   * Their windows are the windows the topology is needed in.
   */
  requesterBookings: readonly BookingFact[];
  /** Other users' confirmed, non-collaborator bookings of these devices that end after `now`. */
  otherBookings: readonly BookingFact[];
  /** Port usage of the other topologies whose review is `approved`, with their windows. */
  otherTopologyPorts: readonly PortUsageFact[];
}

/** Polatis names match case-insensitively, ignoring surrounding spaces. */
export function polatisNameKey(name: string): string {
  return name.trim().toLowerCase();
}

export interface TopologyFactsInput {
  topologyId: number;
  requesterId: number;
  devices: readonly TopologyDeviceFacts[];
  requesterBookings?: readonly BookingFact[];
  otherBookings?: readonly BookingFact[];
  otherTopologyPorts?: readonly PortUsageFact[];
}

/** Builds the facts' lookup maps from plain lists (what the loader's queries return). */
export function buildTopologyFacts(input: TopologyFactsInput): TopologyFacts {
  const devices = new Map<number, TopologyDeviceFacts>();
  const byName = new Map<string, number[]>();
  for (const device of input.devices) {
    if (devices.has(device.deviceId)) continue;
    devices.set(device.deviceId, device);
    if (device.polatisName && device.polatisName.trim() !== '') {
      const key = polatisNameKey(device.polatisName);
      const ids = byName.get(key);
      if (ids) ids.push(device.deviceId);
      else byName.set(key, [device.deviceId]);
    }
  }
  return {
    topologyId: input.topologyId,
    requesterId: input.requesterId,
    devices,
    deviceIdsByPolatisName: byName,
    requesterBookings: input.requesterBookings ?? [],
    otherBookings: input.otherBookings ?? [],
    otherTopologyPorts: input.otherTopologyPorts ?? [],
  };
}

/** The device ids and polatis names a parsed topology names: what the loader must fetch. */
export function topologyDeviceRefs(graph: Pick<ParsedTopology, 'nodes'>): {
  deviceIds: number[];
  polatisNames: string[];
} {
  const ids = new Set<number>();
  const names = new Set<string>();
  for (const node of graph.nodes) {
    if (node.deviceId !== null) ids.add(node.deviceId);
    if (node.polatisName !== null) names.add(polatisNameKey(node.polatisName));
  }
  return { deviceIds: [...ids], polatisNames: [...names] };
}
