/**
 * Checks in time: the topology is needed during the requester's bookings of its devices. Those
 * bookings must not overlap another user's confirmed booking of the same device, and the switch
 * ports the topology uses must not be used, in an overlapping window, by another approved
 * topology.
 */
import type { BookingFact, PortUsageFact, TopologyFacts } from './facts';
import { detail, type FindingList } from './findings';
import { formatWindow, IntervalIndex, isValidInterval } from './intervals';
import type { UsedPort } from './ports';
import type { DeviceResolution } from './resolve';
import { listForMessage, plural } from './text';

/** Requester booking statuses (`status_canonical`) that do not reserve anything. */
export const INACTIVE_BOOKING_STATUSES: readonly string[] = ['rejected', 'cancelled', 'completed'];
const INACTIVE_STATUSES = new Set(INACTIVE_BOOKING_STATUSES);

/** The requester's bookings that still reserve one of the topology's devices, by device. */
export function activeRequesterBookings(
  facts: Pick<TopologyFacts, 'requesterBookings'>,
  resolution: DeviceResolution,
  now: Date,
): Map<number, BookingFact[]> {
  const byDevice = new Map<number, BookingFact[]>();
  for (const booking of facts.requesterBookings) {
    if (!resolution.nodesOfDevice.has(booking.deviceId)) continue;
    if (booking.status !== null && INACTIVE_STATUSES.has(booking.status)) continue;
    if (!isValidInterval(booking) || booking.endsAt.getTime() <= now.getTime()) continue;
    const list = byDevice.get(booking.deviceId);
    if (list) list.push(booking);
    else byDevice.set(booking.deviceId, [booking]);
  }
  return byDevice;
}

export function checkBookingConflicts(
  facts: Pick<TopologyFacts, 'otherBookings' | 'requesterId'>,
  resolution: DeviceResolution,
  bookingsOfDevice: ReadonlyMap<number, readonly BookingFact[]>,
  findings: FindingList,
): void {
  const others = new Map<number, BookingFact[]>();
  for (const booking of facts.otherBookings) {
    if (booking.status !== 'confirmed' || booking.userId === facts.requesterId) continue;
    if (!bookingsOfDevice.has(booking.deviceId)) continue;
    const list = others.get(booking.deviceId);
    if (list) list.push(booking);
    else others.set(booking.deviceId, [booking]);
  }
  for (const [deviceId, list] of others) {
    const index = new IntervalIndex(list);
    for (const mine of bookingsOfDevice.get(deviceId) ?? []) {
      for (const theirs of index.overlapping(mine)) {
        // Collaborator rows share the owner's grouped booking: the same reservation.
        if (theirs.groupedBookingId === mine.groupedBookingId) continue;
        findings.add({
          kind: 'booking_conflict',
          severity: 'error',
          nodeId: resolution.nodesOfDevice.get(deviceId)?.[0],
          deviceId,
          message:
            `the requester's booking ${mine.bookingId} of device ${deviceId} (${formatWindow(mine)}) ` +
            `overlaps user ${theirs.userId}'s confirmed booking ${theirs.bookingId} (${formatWindow(theirs)})`,
          detail: detail({
            bookingId: mine.bookingId,
            groupedBookingId: mine.groupedBookingId,
            otherBookingId: theirs.bookingId,
            otherUserId: theirs.userId,
            otherStartsAt: theirs.startsAt.toISOString(),
            otherEndsAt: theirs.endsAt.toISOString(),
          }),
        });
      }
    }
  }
}

export function checkOpticalPaths(
  facts: Pick<TopologyFacts, 'otherTopologyPorts' | 'topologyId'>,
  used: readonly UsedPort[],
  bookingsOfDevice: ReadonlyMap<number, readonly BookingFact[]>,
  findings: FindingList,
): void {
  const byPort = new Map<string, PortUsageFact[]>();
  for (const usage of facts.otherTopologyPorts) {
    if (usage.topologyId === facts.topologyId) continue;
    const key = `${usage.deviceId}|${usage.port}`;
    const list = byPort.get(key);
    if (list) list.push(usage);
    else byPort.set(key, [usage]);
  }
  const indexes = new Map<string, IntervalIndex<PortUsageFact>>();
  for (const port of used) {
    const key = `${port.deviceId}|${port.port}`;
    const usages = byPort.get(key);
    const bookings = bookingsOfDevice.get(port.deviceId);
    if (!usages || !bookings) continue;
    let index = indexes.get(key);
    if (!index) {
      index = new IntervalIndex(usages);
      indexes.set(key, index);
    }
    const reported = new Set<number>();
    for (const mine of bookings) {
      for (const theirs of index.overlapping(mine)) {
        if (reported.has(theirs.topologyId)) continue;
        reported.add(theirs.topologyId);
        findings.add({
          kind: 'optical_path_conflict',
          severity: 'error',
          edgeId: port.edgeId,
          nodeId: port.nodeId,
          deviceId: port.deviceId,
          message:
            `switch port ${port.port} of device ${port.deviceId} (edge "${port.edgeId}") is needed during ` +
            `booking ${mine.bookingId} (${formatWindow(mine)}) but approved topology ${theirs.topologyId} ` +
            `uses it ${formatWindow(theirs)}`,
          detail: detail({
            port: port.port,
            side: port.side,
            bookingId: mine.bookingId,
            otherTopologyId: theirs.topologyId,
            otherBookingId: theirs.bookingId,
            otherStartsAt: theirs.startsAt.toISOString(),
            otherEndsAt: theirs.endsAt.toISOString(),
          }),
        });
      }
    }
  }
}

/** One note listing the devices the requester has not booked: their windows were not checked. */
export function noteUnbooked(
  resolution: DeviceResolution,
  bookingsOfDevice: ReadonlyMap<number, readonly BookingFact[]>,
  findings: FindingList,
): void {
  const unbooked: number[] = [];
  for (const deviceId of resolution.nodesOfDevice.keys())
    if (!bookingsOfDevice.has(deviceId)) unbooked.push(deviceId);
  if (unbooked.length === 0) return;
  findings.add({
    kind: 'device_not_booked',
    severity: 'info',
    deviceId: unbooked.length === 1 ? unbooked[0] : undefined,
    message:
      `${plural(unbooked.length, 'device')} ${unbooked.length === 1 ? 'has' : 'have'} no current booking by the ` +
      `requester (${listForMessage(unbooked.map(String), 10)}); booking and optical-path conflicts were not ` +
      'checked for them',
    detail: detail({ deviceIds: unbooked.slice(0, 50), deviceCount: unbooked.length }),
  });
}
