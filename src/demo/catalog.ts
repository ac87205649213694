/**
 * The vocabulary of the seeded lab: sites, manufacturers, device types with their models, tags,
 * people's names, roles and their limits. Plain data; `seed-*.ts` turn it into rows.
 */

export interface SiteSpec {
  name: string;
  /** One letter, used in Polatis names (`ROADM-N01`) and host names. */
  code: string;
  address: string;
}

export const SITES: readonly SiteSpec[] = [
  { name: 'North Campus Optics Lab', code: 'N', address: '800 W Campbell Rd, Richardson, TX' },
  { name: 'Data Center Testbed', code: 'D', address: '2400 Technology Blvd, Dallas, TX' },
  { name: 'Field Fiber Hut', code: 'F', address: 'Hut 7, County Rd 2170, Plano, TX' },
];

export const MANUFACTURERS: ReadonlyArray<{ name: string; website: string | null }> = [
  { name: 'Polatis', website: 'https://www.polatis.com' },
  { name: 'Keysight', website: 'https://www.keysight.com' },
  { name: 'Ciena', website: 'https://www.ciena.com' },
  { name: 'Cisco', website: 'https://www.cisco.com' },
  { name: 'Juniper', website: 'https://www.juniper.net' },
  { name: 'EXFO', website: 'https://www.exfo.com' },
  { name: 'Viavi', website: 'https://www.viavisolutions.com' },
  { name: 'Lumentum', website: 'https://www.lumentum.com' },
  { name: 'Anritsu', website: null },
  { name: 'Corning', website: null },
  { name: 'Dell', website: 'https://www.dell.com' },
];

export interface TypeSpec {
  name: string;
  category: string;
  description: string;
  schedulable: boolean;
  hasPorts: boolean;
  /** Start of the Polatis names of this type. */
  prefix: string;
  /** Share of the lab's ordinary devices (switches and servers are counted apart). */
  weight: number;
  models: ReadonlyArray<readonly [manufacturer: string | null, model: string]>;
  /** Sizes of the extra switch-port range (`polatis_port_range`); 0 = none. */
  rangeSizes: readonly number[];
  /** Whether devices of the type have a management interface (host name, IP). */
  managed: boolean;
}

export const SWITCH_TYPE = 'Optical Switch';
export const SERVER_TYPE = 'Server';

export const DEVICE_TYPES: readonly TypeSpec[] = [
  {
    name: SWITCH_TYPE,
    category: 'switch',
    description: 'All-optical matrix switch patching every device of a site',
    schedulable: false,
    hasPorts: true,
    prefix: 'POL',
    weight: 0,
    models: [['Polatis', 'Series 7000 384x384']],
    rangeSizes: [0],
    managed: true,
  },
  {
    name: 'ROADM',
    category: 'optical-transport',
    description: 'Reconfigurable optical add-drop multiplexer',
    schedulable: true,
    hasPorts: true,
    prefix: 'ROADM',
    weight: 3,
    models: [
      ['Ciena', '6500 CDC ROADM'],
      ['Lumentum', 'TrueFlex ROADM'],
    ],
    rangeSizes: [8, 16],
    managed: true,
  },
  {
    name: 'Transceiver',
    category: 'transceiver',
    description: 'Coherent pluggable or line card',
    schedulable: true,
    hasPorts: true,
    prefix: 'XCVR',
    weight: 5,
    models: [
      ['Cisco', 'QDD-400G-ZRP-S'],
      ['Juniper', 'QDD-400G-ZR-M'],
      ['Ciena', 'WaveLogic 5 Nano'],
    ],
    rangeSizes: [0],
    managed: false,
  },
  {
    name: 'Optical Amplifier',
    category: 'amplifier',
    description: 'C-band EDFA',
    schedulable: true,
    hasPorts: true,
    prefix: 'AMP',
    weight: 3,
    models: [
      ['Lumentum', 'LightRider EDFA'],
      ['Ciena', '6500 SLA'],
    ],
    rangeSizes: [0],
    managed: true,
  },
  {
    name: 'OTDR',
    category: 'test-equipment',
    description: 'Optical time-domain reflectometer',
    schedulable: true,
    hasPorts: true,
    prefix: 'OTDR',
    weight: 2,
    models: [
      ['EXFO', 'FTBx-740C'],
      ['Viavi', 'MTS-4000 V2'],
    ],
    rangeSizes: [0],
    managed: true,
  },
  {
    name: 'Optical Spectrum Analyzer',
    category: 'test-equipment',
    description: 'Measures power over wavelength',
    schedulable: true,
    hasPorts: true,
    prefix: 'OSA',
    weight: 2,
    models: [
      ['Anritsu', 'MS9740B'],
      ['EXFO', 'OSA20'],
    ],
    rangeSizes: [0],
    managed: true,
  },
  {
    name: 'Traffic Generator',
    category: 'test-equipment',
    description: 'Ethernet/OTN traffic generator and analyzer',
    schedulable: true,
    hasPorts: true,
    prefix: 'TGEN',
    weight: 2,
    models: [
      ['Keysight', 'IxNetwork XGS2'],
      ['EXFO', 'FTBx-88480'],
    ],
    rangeSizes: [4, 8],
    managed: true,
  },
  {
    name: 'Router',
    category: 'packet',
    description: 'Packet-optical router',
    schedulable: true,
    hasPorts: true,
    prefix: 'RTR',
    weight: 2,
    models: [
      ['Cisco', 'NCS 5504'],
      ['Juniper', 'PTX10001-36MR'],
    ],
    rangeSizes: [8],
    managed: true,
  },
  {
    name: 'Patch Panel',
    category: 'passive',
    description: 'Fibre patch panel (not bookable)',
    schedulable: false,
    hasPorts: true,
    prefix: 'PATCH',
    weight: 1,
    models: [['Corning', 'CCH-04U']],
    rangeSizes: [0],
    managed: false,
  },
  {
    name: SERVER_TYPE,
    category: 'compute',
    description: 'Lab server (inventory only)',
    schedulable: false,
    hasPorts: false,
    prefix: 'SRV',
    weight: 0,
    models: [['Dell', 'PowerEdge R760']],
    rangeSizes: [0],
    managed: true,
  },
];

/** Inventory tags (`tags`), with their UI colour. */
export const INVENTORY_TAGS: ReadonlyArray<{ name: string; color: string; description: string }> = [
  { name: 'c-band', color: '#1f77b4', description: 'Operates in the C band' },
  { name: 'l-band', color: '#ff7f0e', description: 'Operates in the L band' },
  { name: '400g', color: '#2ca02c', description: '400G capable' },
  { name: 'coherent', color: '#d62728', description: 'Coherent optics' },
  { name: 'long-haul', color: '#9467bd', description: 'Long-haul span' },
  { name: 'metro', color: '#8c564b', description: 'Metro span' },
  { name: 'calibrated', color: '#e377c2', description: 'Calibration current' },
  { name: 'shared', color: '#7f7f7f', description: 'Shared between groups' },
];

/**
 * Scheduler tag strings (`device_tags.tag`) as people typed them: some match an inventory tag
 * only after trimming and lower-casing, some exist nowhere in `tags` (alignment creates them).
 */
export const SCHEDULER_TAGS: readonly string[] = [
  'C-Band',
  'coherent',
  'shared ',
  'Teaching',
  'demo-rack',
  '400G',
  'fragile',
  'metro',
];

export const OWNER_GROUPS: readonly string[] = [
  'Optical Networking Group',
  'Photonics Research',
  'Network Operations',
  'Teaching Lab',
];

export const FIRST_NAMES: readonly string[] = [
  'Ava',
  'Ben',
  'Chen',
  'Diego',
  'Elena',
  'Farah',
  'Gita',
  'Hiro',
  'Ines',
  'Jamal',
  'Kofi',
  'Lena',
  'Mateo',
  'Nadia',
  'Omar',
  'Priya',
  'Quinn',
  'Rosa',
  'Sven',
  'Tariq',
  'Uma',
  'Viktor',
  'Wen',
  'Yara',
  'Zoe',
  'Arjun',
  'Bianca',
  'Dmitri',
  'Esther',
  'Felix',
];

export const LAST_NAMES: readonly string[] = [
  'Vasquez',
  'Chen',
  'Okafor',
  'Novak',
  'Haddad',
  'Kim',
  'Rossi',
  'Singh',
  'Muller',
  'Tanaka',
  'Silva',
  'Nguyen',
  'Kowalski',
  'Ahmed',
  'Larsen',
  'Moreau',
  'Petrov',
  'Garcia',
  'Osei',
  'Ito',
];

/** Roles (`admin_roles.role`) as the scheduler spells them. */
export const ROLES = {
  admin: 'Admin',
  manager: 'Lab Manager',
  researcher: 'Researcher',
  student: 'Student',
  viewer: 'Viewer',
} as const;

export type RoleKey = keyof typeof ROLES;

/**
 * `admin_roles.approval_limits`: what a role may approve for itself (longest window in hours,
 * devices in one reservation). Beyond them, the lowest role whose limits cover the request
 * approves; beyond every role, or `rules.maxBooking`, the request is denied.
 */
export const APPROVAL_LIMITS: Readonly<Record<RoleKey, { max_hours: number; max_devices: number }>> = {
  student: { max_hours: 8, max_devices: 2 },
  researcher: { max_hours: 24, max_devices: 4 },
  manager: { max_hours: 72, max_devices: 8 },
  admin: { max_hours: 168, max_devices: 16 },
  viewer: { max_hours: 0, max_devices: 0 },
};

export const PERMISSIONS: Readonly<Record<RoleKey, readonly string[]>> = {
  admin: ['*'],
  manager: ['bookings.approve', 'devices.manage', 'topologies.review', 'users.invite'],
  researcher: ['bookings.create', 'topologies.submit', 'devices.own'],
  student: ['bookings.create', 'topologies.submit'],
  viewer: ['bookings.view'],
};

/**
 * Fair-use limits of `admin_settings` `rules.limits`, most specific scope first when read; in the
 * format the rules read (docs/rules.md, "Limits").
 */
export const USAGE_LIMITS = {
  global: {
    maxActiveBookings: 6,
    maxBookedHours: 60,
    bookedHoursWindowDays: 7,
    maxDevicesAtOnce: 4,
  },
  roles: {
    [ROLES.student]: { maxActiveBookings: 3, maxBookedHours: 24 },
    [ROLES.researcher]: { maxActiveBookings: 8, maxBookedHours: 80 },
  },
  deviceTypes: { OTDR: { maxBookedHours: 24 } },
  users: {},
} as const;

/** Global maximum of one reservation (`admin_settings` `rules.maxBooking`). */
export const MAX_BOOKING = { hours: 72, devices: 8 } as const;

/** Minutes a device type needs between bookings (`admin_settings` `rules.turnaroundMinutes`). */
export const TURNAROUND_MINUTES = { OTDR: 30, 'Optical Spectrum Analyzer': 15 } as const;

export const BOOKING_COMMENTS: readonly string[] = [
  'BER sweep',
  'OSNR characterisation',
  'coherent DSP firmware test',
  'lab session: intro to optical networks',
  'long-haul span emulation',
  'ROADM express path test',
  'amplifier gain flatness',
  'fiber cut drill',
  'thesis measurements',
  'vendor interop',
];

export const MAINTENANCE_TYPES: readonly string[] = [
  'calibration',
  'firmware upgrade',
  'fiber cleaning',
  'connector replacement',
  'repair',
];
