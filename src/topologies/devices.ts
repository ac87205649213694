/**
 * Checks of each device a topology places (once per device, however many nodes place it):
 * schedulable, not retired, not under maintenance when it is needed, a readable port range.
 */
import type { BookingFact, TopologyDeviceFacts, TopologyFacts } from './facts';
import { detail, type FindingList } from './findings';
import {
  formatDuration,
  formatTime,
  formatWindow,
  type Interval,
  isValidInterval,
  overlaps,
} from './intervals';
import { type PortRange, parsePortRange } from './portRange';
import type { DeviceResolution } from './resolve';
import { describeValue } from './text';

/** Device statuses (scheduler or inventory, compared trimmed and lower-cased) meaning retired. */
export const DEFAULT_RETIRED_STATUSES = ['retired', 'decommissioned', 'disposed', 'scrapped'];
/** Statuses meaning the device is under maintenance right now. */
export const DEFAULT_MAINTENANCE_STATUSES = [
  'maintenance',
  'under maintenance',
  'under_maintenance',
  'in repair',
];

export interface DeviceCheckOptions {
  now: Date;
  /** How far ahead maintenance is reported, in milliseconds. */
  horizonMs: number;
  retiredStatuses: ReadonlySet<string>;
  maintenanceStatuses: ReadonlySet<string>;
}

export function deviceLabel(device: Pick<TopologyDeviceFacts, 'deviceId' | 'name' | 'polatisName'>): string {
  const name = device.name ?? device.polatisName;
  return name ? `device ${device.deviceId} (${describeValue(name)})` : `device ${device.deviceId}`;
}

function normStatus(status: string | null): string | null {
  return status === null ? null : status.trim().toLowerCase();
}

/**
 * Runs the device checks; returns each device's parsed port range (null when it has none or
 * it is unreadable) for the port checks.
 */
export function checkDevices(
  resolution: DeviceResolution,
  facts: Pick<TopologyFacts, 'devices'>,
  bookingsOfDevice: ReadonlyMap<number, readonly BookingFact[]>,
  options: DeviceCheckOptions,
  findings: FindingList,
): Map<number, PortRange | null> {
  const ranges = new Map<number, PortRange | null>();
  for (const [deviceId, nodeIds] of resolution.nodesOfDevice) {
    const device = facts.devices.get(deviceId);
    if (!device) continue;
    const nodeId = nodeIds[0];

    if (device.isSchedulable === false) {
      findings.add({
        kind: 'device_not_schedulable',
        severity: 'error',
        nodeId,
        deviceId,
        message: `${deviceLabel(device)} is of type ${describeValue(device.deviceType)}, which cannot be scheduled`,
        detail: detail({ deviceType: device.deviceType }),
      });
    } else if (device.isSchedulable === null) {
      findings.add({
        kind: 'device_not_schedulable',
        severity: 'warning',
        nodeId,
        deviceId,
        message: `${deviceLabel(device)} has no device type, so whether it may be scheduled is unknown`,
        detail: detail({ deviceType: null }),
      });
    }

    for (const [field, status] of [
      ['status', device.schedulerStatus],
      ['inventory status', device.inventoryStatus],
    ] as const) {
      const norm = normStatus(status);
      if (norm !== null && options.retiredStatuses.has(norm)) {
        findings.add({
          kind: 'device_retired',
          severity: 'error',
          nodeId,
          deviceId,
          message: `${deviceLabel(device)} has ${field} ${describeValue(status)}`,
          detail: detail({ field, status }),
        });
        break;
      }
    }

    const bookings = bookingsOfDevice.get(deviceId) ?? [];
    checkMaintenance(device, nodeId, bookings, options, findings);

    const parsed = parsePortRange(device.polatisPortRange);
    if (parsed.ok) ranges.set(deviceId, parsed.range);
    else {
      ranges.set(deviceId, null);
      findings.add({
        kind: 'bad_port_range',
        severity: 'warning',
        nodeId,
        deviceId,
        message:
          `${deviceLabel(device)}: polatis_port_range ${describeValue(device.polatisPortRange)} cannot be read ` +
          `(${parsed.reason}); only its In_Port and Out_Port are accepted`,
        detail: detail({ polatisPortRange: device.polatisPortRange, reason: parsed.reason }),
      });
    }
  }
  return ranges;
}

/**
 * Maintenance is an error when it overlaps one of the requester's bookings of the device, or,
 * when the requester has none, when it is under way now; otherwise, maintenance under way now
 * or starting within the horizon is a warning.
 */
function checkMaintenance(
  device: TopologyDeviceFacts,
  nodeId: string | undefined,
  bookings: readonly BookingFact[],
  options: DeviceCheckOptions,
  findings: FindingList,
): void {
  const status = normStatus(device.schedulerStatus);
  if (status !== null && options.maintenanceStatuses.has(status)) {
    findings.add({
      kind: 'device_maintenance',
      severity: 'error',
      nodeId,
      deviceId: device.deviceId,
      message: `${deviceLabel(device)} has status ${describeValue(device.schedulerStatus)}`,
      detail: detail({ status: device.schedulerStatus }),
    });
  }
  const now = options.now.getTime();
  const horizon: Interval = { startsAt: options.now, endsAt: new Date(now + options.horizonMs) };
  for (const window of device.maintenance) {
    if (!isValidInterval(window)) continue;
    const what =
      window.source === 'maintenance_record'
        ? `maintenance record ${window.recordId ?? '?'}${window.label ? ` (${describeValue(window.label)})` : ''}`
        : 'maintenance';
    const base = detail({
      source: window.source,
      recordId: window.recordId,
      startsAt: window.startsAt.toISOString(),
      endsAt: window.endsAt.toISOString(),
    });
    const booking = bookings.find((b) => overlaps(b, window));
    if (booking) {
      findings.add({
        kind: 'device_maintenance',
        severity: 'error',
        nodeId,
        deviceId: device.deviceId,
        message:
          `${deviceLabel(device)} has ${what} ${formatWindow(window)} during the requester's booking ` +
          `${booking.bookingId} (${formatWindow(booking)})`,
        detail: { ...base, bookingId: booking.bookingId },
      });
      continue;
    }
    const underWay = window.startsAt.getTime() <= now && now < window.endsAt.getTime();
    if (underWay || overlaps(window, horizon)) {
      const error = underWay && bookings.length === 0;
      findings.add({
        kind: 'device_maintenance',
        severity: error ? 'error' : 'warning',
        nodeId,
        deviceId: device.deviceId,
        message: underWay
          ? `${deviceLabel(device)} is under ${what} now (${formatWindow(window)})`
          : `${deviceLabel(device)} has ${what} starting ${formatTime(window.startsAt)}, within ${formatDuration(options.horizonMs)} (${formatWindow(window)})`,
        detail: base,
      });
    }
  }
}
