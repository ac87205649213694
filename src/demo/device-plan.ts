/**
 * The lab's devices, planned in memory before anything is written: how many of each type, at
 * which site, their Polatis names and switch ports, and which devices play a part in the demo.
 *
 * Of `devices` inventory devices: one Polatis switch per site, 4% servers (at least 1,
 * inventory only), the rest split over the other types by weight (largest remainder, so the
 * counts are exact). Each device but the servers and one spare transceiver also has a
 * scheduler row (`device_table`); one more scheduler row, an old BERT tester, has no inventory
 * device at all.
 */
import { DEVICE_TYPES, SERVER_TYPE, SITES, type SiteSpec, SWITCH_TYPE, type TypeSpec } from './catalog';
import type { Random } from './prng';

/** The part a device plays in the lab (most are `ordinary`). */
export type DeviceRole =
  | 'ordinary'
  | 'switch'
  | 'server'
  /** in storage: inventory only */
  | 'spare'
  | 'retired'
  /** under maintenance now */
  | 'maintenance_now'
  /** maintenance window in three days */
  | 'maintenance_soon';

/** Devices kept free of random bookings from a week ago on, for the event script. */
export const SCENARIO_DEVICES = {
  conflict: 'ROADM',
  owned: 'OTDR',
  maintenance: 'Transceiver',
  freeGenerator: 'Traffic Generator',
  freeAnalyzer: 'Optical Spectrum Analyzer',
  freeAmplifier: 'Optical Amplifier',
} as const;

export type ScenarioDeviceKey = keyof typeof SCENARIO_DEVICES;

export interface PlannedDevice {
  /** Position in the plan; inventory devices are inserted in this order. */
  index: number;
  type: TypeSpec;
  site: SiteSpec;
  siteIndex: number;
  role: DeviceRole;
  scenario: ScenarioDeviceKey | null;
  oiId: string;
  /** Inventory `devices.polatis_name` (null for servers). */
  polatisName: string | null;
  manufacturer: string | null;
  model: string;
  /** Polatis switch port carrying light into the device (0: not patched). */
  inPort: number;
  outPort: number;
  /** Inventory `polatis_port_range` as written (null: none). */
  portRange: string | null;
  hasSchedulerRow: boolean;
  /** What the scheduler's `device_table` says, dirt included. */
  scheduler: {
    polatisName: string | null;
    deviceType: string | null;
    deviceName: string | null;
    status: string;
  };
  hostname: string | null;
  mgmtIp: string | null;
}

export interface DevicePlan {
  devices: PlannedDevice[];
  /** Scheduler device without an inventory device (reported as `unmatched` by alignment). */
  unmatched: { polatisName: string; deviceType: string; deviceName: string; siteIndex: number };
  /** Scheduler devices whose legacy values need alignment's normalising, by what is odd. */
  dirt: {
    polatisNameCase: PlannedDevice | null;
    deviceTypeSpaces: PlannedDevice | null;
    deviceTypeCase: PlannedDevice | null;
    deviceTypeUnknown: PlannedDevice | null;
    badPortRange: PlannedDevice | null;
  };
  /** Next free switch port per site (after every device is patched). */
  nextPort: number[];
}

/** Exact counts per type, by weight, with at least one device of each weighted type. */
export function typeCounts(ordinary: number): Map<TypeSpec, number> {
  const weighted = DEVICE_TYPES.filter((t) => t.weight > 0);
  const total = weighted.reduce((n, t) => n + t.weight, 0);
  const counts = new Map<TypeSpec, number>();
  const remainders: Array<[TypeSpec, number]> = [];
  let assigned = 0;
  for (const type of weighted) {
    const exact = (ordinary * type.weight) / total;
    const n = Math.max(1, Math.floor(exact));
    counts.set(type, n);
    assigned += n;
    remainders.push([type, exact - Math.floor(exact)]);
  }
  remainders.sort((a, b) => b[1] - a[1]);
  for (let i = 0; assigned < ordinary; i = (i + 1) % remainders.length) {
    const type = (remainders[i] as [TypeSpec, number])[0];
    counts.set(type, (counts.get(type) ?? 0) + 1);
    assigned += 1;
  }
  return counts;
}

function typeByName(name: string): TypeSpec {
  const type = DEVICE_TYPES.find((t) => t.name === name);
  if (!type) throw new Error(`device type ${name} is not in the catalog`);
  return type;
}

export function planDevices(rng: Random, options: { devices: number; sites: number }): DevicePlan {
  const sites = SITES.slice(0, options.sites);
  const servers = Math.max(1, Math.round(options.devices * 0.04));
  const ordinary = options.devices - sites.length - servers;
  const kinds: TypeSpec[] = [];
  for (const [type, n] of typeCounts(ordinary)) for (let i = 0; i < n; i++) kinds.push(type);

  const order: TypeSpec[] = [
    ...sites.map(() => typeByName(SWITCH_TYPE)),
    ...rng.shuffle(kinds),
    ...Array.from({ length: servers }, () => typeByName(SERVER_TYPE)),
  ];
  const nextPort = sites.map(() => 1);
  const perName = new Map<string, number>();
  let ordinaryIndex = 0;

  const devices = order.map((type, index): PlannedDevice => {
    const isSwitch = type.name === SWITCH_TYPE;
    const isServer = type.name === SERVER_TYPE;
    const siteIndex = isSwitch ? index : ordinaryIndex++ % sites.length;
    const site = sites[siteIndex] as SiteSpec;
    const [manufacturer, model] = rng.pick(type.models);
    const key = `${type.prefix}-${site.code}`;
    const n = (perName.get(key) ?? 0) + 1;
    perName.set(key, n);
    const polatisName = isServer ? null : `${key}${String(n).padStart(2, '0')}`;

    let inPort = 0;
    let outPort = 0;
    let portRange: string | null = null;
    if (!isSwitch && !isServer) {
      const p = nextPort[siteIndex] as number;
      inPort = p;
      outPort = p + 1;
      let next = p + 2;
      const size = rng.pick(type.rangeSizes);
      if (size > 0) {
        if (size >= 8 && rng.chance(0.3)) {
          // Two blocks with a gap, as ports get freed and reused over the years.
          const half = size / 2;
          portRange = `${next}-${next + half - 1},${next + half + 4}-${next + size + 3}`;
          next += size + 4;
        } else {
          portRange = `${next}-${next + size - 1}`;
          next += size;
        }
      }
      nextPort[siteIndex] = next;
    }
    const lower = polatisName?.toLowerCase() ?? null;
    const managed = type.managed;
    return {
      index,
      type,
      site,
      siteIndex,
      role: isSwitch ? 'switch' : isServer ? 'server' : 'ordinary',
      scenario: null,
      oiId: `OI-${String(index + 1).padStart(6, '0')}`,
      polatisName,
      manufacturer,
      model,
      inPort,
      outPort,
      portRange,
      hasSchedulerRow: !isServer,
      scheduler: {
        polatisName,
        deviceType: type.name,
        deviceName: lower,
        status: rng.chance(0.15) ? 'Available' : 'available',
      },
      hostname: managed
        ? `${lower ?? `srv-${site.code.toLowerCase()}${index}`}.${site.code.toLowerCase()}.lab.example`
        : null,
      mgmtIp: managed ? `10.${siteIndex + 1}.${Math.floor(index / 200)}.${(index % 200) + 20}` : null,
    };
  });

  const ofType = (name: string) => devices.filter((d) => d.type.name === name && d.role === 'ordinary');
  const first = (name: string) => ofType(name)[0] ?? null;
  const last = (name: string) => {
    const list = ofType(name);
    return list.length >= 2 ? (list[list.length - 1] as PlannedDevice) : null;
  };

  // Scenario devices: the first ordinary device of each named type.
  for (const [key, typeName] of Object.entries(SCENARIO_DEVICES) as Array<[ScenarioDeviceKey, string]>) {
    const device = first(typeName);
    if (!device) throw new Error(`the lab has no ${typeName} for the scenario (${key}); seed more devices`);
    device.scenario = key;
  }
  const spare = last('Transceiver');
  if (spare) {
    spare.role = 'spare';
    spare.hasSchedulerRow = false;
  }
  const retired = last('Router') ?? last('Optical Spectrum Analyzer') ?? last('OTDR');
  if (retired) {
    retired.role = 'retired';
    retired.scheduler.status = 'retired';
  }
  const inRepair = last('Optical Amplifier');
  if (inRepair) {
    inRepair.role = 'maintenance_now';
    inRepair.scheduler.status = 'maintenance';
  }
  const soon = last('ROADM');
  if (soon) soon.role = 'maintenance_soon';

  // Legacy dirt on scheduler rows, on devices without a scenario part.
  const plain = (name: string) => ofType(name).filter((d) => d.scenario === null && d.role === 'ordinary');
  const polatisNameCase = plain('Transceiver')[0] ?? null;
  if (polatisNameCase?.polatisName) {
    polatisNameCase.scheduler.polatisName = ` ${polatisNameCase.polatisName.toLowerCase()} `;
  }
  const deviceTypeSpaces = plain('Transceiver')[1] ?? null;
  if (deviceTypeSpaces) deviceTypeSpaces.scheduler.deviceType = '  Transceiver ';
  const deviceTypeCase = soon;
  if (deviceTypeCase) deviceTypeCase.scheduler.deviceType = 'roadm';
  const deviceTypeUnknown = inRepair;
  if (deviceTypeUnknown) deviceTypeUnknown.scheduler.deviceType = 'Optical  Amplifier';
  const badPortRange =
    devices.find((d) => d.scenario === null && d.role === 'ordinary' && d.portRange) ?? null;
  if (badPortRange?.portRange) badPortRange.portRange = badPortRange.portRange.replace('-', ' to ');

  return {
    devices,
    unmatched: {
      polatisName: 'BERT-LEGACY-1',
      deviceType: 'BERT',
      deviceName: 'old bert tester',
      siteIndex: 0,
    },
    dirt: { polatisNameCase, deviceTypeSpaces, deviceTypeCase, deviceTypeUnknown, badPortRange },
    nextPort,
  };
}
