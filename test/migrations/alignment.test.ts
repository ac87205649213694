/**
 * The whole of schema alignment on a legacy database full of the dirt a lab accumulates: what
 * the report says matches what was planted, no legacy row is lost, rolling back restores every
 * table byte for byte, and after migrating again the legacy backend's writes are linked, parsed
 * and checked.
 */
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { type AlignmentReport, alignmentReport } from '../../src/db/alignment/report';
import { migrateTo, rollbackTo } from '../../src/db/migrator';
import { emptyDatabase, type TestDatabase } from '../support/db';
import { comparableDump } from '../support/dump';
import {
  BASELINE,
  insertAuditLog,
  insertBooking,
  insertDeviceTag,
  insertDeviceType,
  insertHealthSnapshot,
  insertInventoryDevice,
  insertMaintenanceRecord,
  insertManufacturer,
  insertOwnership,
  insertSchedulerDevice,
  insertSite,
  insertTag,
  insertUser,
  migrateToBaseline,
  sqlstateOf,
  tagInventoryDevice,
} from '../support/legacy';

const LAST_ALIGNMENT = '20261124010010_maintenance_records_device_id';

const LEGACY_TABLES = [
  'user_table',
  'device_table',
  'device_types',
  'manufacturers',
  'sites',
  'tags',
  'booking_table',
  'booking_favorite',
  'topology_table',
  'topology_review',
  'admin_roles',
  'admin_audit_log',
  'admin_settings',
  'admin_invitations',
  'device_ownership',
  'device_tags',
  'device_health_snapshot',
  'devices',
  'inventory_device_tags',
  'device_history',
  'maintenance_records',
];

interface Planted {
  s: Record<string, number>;
  inv: Record<string, number>;
  user: number;
  bookings: Record<string, number>;
}

const T = '2026-01-05 08:00:00';

/** Every kind of dirt the audit describes, written as the legacy backend writes. */
async function plant(k: Knex): Promise<Planted> {
  const [u1, u2, u3] = [await insertUser(k), await insertUser(k), await insertUser(k)];
  const type = {
    otdr: await insertDeviceType(k, { name: 'OTDR' }),
    switch: await insertDeviceType(k, { name: 'Switch' }),
    amp: await insertDeviceType(k, { name: 'amp' }),
    ampUpper: await insertDeviceType(k, { name: 'AMP' }),
    laser: await insertDeviceType(k, { name: 'Laser' }),
  };
  const site = await insertSite(k, 'Lab A');
  const maker = await insertManufacturer(k, 'Polatis');
  const optical = await insertTag(k, 'Optical');
  await insertTag(k, 'lab');

  const inv = {
    pol1: await insertInventoryDevice(k, {
      polatis_name: 'POL-1',
      device_type_id: type.switch,
      site_id: site,
      manufacturer_id: maker,
    }),
    pol2: await insertInventoryDevice(k, { polatis_name: 'Pol-2', device_type_id: type.otdr }),
    twinA: await insertInventoryDevice(k, {
      name: 'twin a',
      polatis_name: 'TWIN',
      device_type_id: type.otdr,
    }),
    twinB: await insertInventoryDevice(k, {
      name: 'twin b',
      polatis_name: 'TWIN',
      device_type_id: type.otdr,
    }),
    shared: await insertInventoryDevice(k, { polatis_name: 'Shared', device_type_id: type.otdr }),
    clash: await insertInventoryDevice(k, { polatis_name: 'CLASH', device_type_id: type.switch }),
    unnamed: await insertInventoryDevice(k, { name: 'no polatis', device_type_id: type.laser }),
  };
  await tagInventoryDevice(k, inv.pol1, optical);

  const dev = (
    polatis_name: string | null,
    deviceType: string | null,
    start: string | null,
    end: string | null,
  ) => insertSchedulerDevice(k, { polatis_name, deviceType, maintenance_start: start, maintenance_end: end });
  const s = {
    exact: await dev('POL-1', 'Switch', '2026-03-01T10:00:00Z', '2026-03-01T12:00:00+01:30'),
    loose: await dev(' pol-2 ', ' otdr', '2026-03-02', '   '),
    twin: await dev('TWIN', 'Amp', '2026-02-30 10:00', '2026-03-01'),
    claimant1: await dev('Shared', 'Mystery', '2026-03-05', '2026-03-04'),
    claimant2: await dev('shared ', '', '', null),
    nobody: await dev('POL-404', null, null, 'TBD'),
    noName: await dev(null, 'Laser', null, null),
    blankName: await dev('   ', 'laser', '03/01/2026 08:00', '03/01/2026 09:30'),
    clash: await dev('CLASH', 'OTDR', '2026-03-01 25:00', '2026-03-02 01:00'),
  };

  const b = async (device_id: number, start: number, end: number, status: string | null, extra = {}) =>
    insertBooking(k, {
      device_id,
      user_id: u1,
      start_time: `2026-02-01 ${String(start).padStart(2, '0')}:00:00`,
      end_time: `2026-02-01 ${String(end).padStart(2, '0')}:00:00`,
      status,
      ...extra,
    });
  const bookings = {
    a1: await b(s.exact, 10, 12, 'confirmed', { grouped_booking_id: 'g-a1' }),
    a1collab: await b(s.exact, 10, 12, 'confirmed', { grouped_booking_id: 'g-a1', is_collaborator: true }),
    a2: await b(s.exact, 11, 13, ' Confirmed'),
    a3: await b(s.exact, 12, 14, 'CONFIRMED'),
    sameGroup1: await b(s.loose, 10, 12, 'confirmed', { grouped_booking_id: 'g-dup' }),
    sameGroup2: await b(s.loose, 11, 13, 'confirmed', { grouped_booking_id: 'g-dup' }),
    inverted: await b(s.loose, 15, 14, 'confirmed'),
    adjacent: await b(s.loose, 13, 15, 'confirmed'),
    null1: await b(s.exact, 1, 2, null),
    null2: await b(s.exact, 1, 2, null),
    approved: await b(s.exact, 1, 2, 'approved'),
    pendingApproval: await b(s.exact, 1, 2, 'Pending Approval'),
    canceled: await b(s.exact, 10, 12, 'canceled'),
    cancelled: await b(s.exact, 10, 12, 'Cancelled '),
    completed: await b(s.exact, 1, 2, 'completed'),
    rejected: await b(s.exact, 1, 2, 'rejected'),
    pending: await b(s.exact, 1, 2, 'pending'),
  };

  // ownership: three active for one pair, two (plus a revoked one) for another
  await insertOwnership(k, { device_id: s.exact, owner_id: u1, assigned_at: '2026-01-01 00:00:00' });
  await insertOwnership(k, { device_id: s.exact, owner_id: u1, assigned_at: '2026-01-02 00:00:00' });
  await insertOwnership(k, { device_id: s.exact, owner_id: u1, assigned_at: '2026-01-03 00:00:00' });
  await insertOwnership(k, { device_id: s.loose, owner_id: u2, assigned_at: '2026-01-01 00:00:00' });
  await insertOwnership(k, { device_id: s.loose, owner_id: u2, assigned_at: '2026-01-02 00:00:00' });
  await insertOwnership(k, { device_id: s.loose, owner_id: u2, revoked_at: '2026-01-02 00:00:00' });
  await insertOwnership(k, { device_id: s.exact, owner_id: u2, assigned_by: u3 });

  // tags: case/space duplicates, a tag missing from the vocabulary, blanks
  for (const tag of ['optical', ' Optical ', 'OPTICAL', 'rack-3']) await insertDeviceTag(k, s.exact, tag);
  for (const tag of ['Rack-3', 'rack-3 ', 'lab']) await insertDeviceTag(k, s.loose, tag);
  for (const tag of ['', '  ']) await insertDeviceTag(k, s.twin, tag);

  await insertHealthSnapshot(k, {
    device_id: s.exact,
    status: 'up',
    metrics: '{"rx_dbm": -3.2,  "ok": true}',
  });
  await insertHealthSnapshot(k, { device_id: s.exact, status: 'down', updated_at: '2026-01-06 00:00:00' });
  for (const entity_id of ['17', 'abc', null]) await insertAuditLog(k, { entity_id, actor_id: u1 });
  await insertMaintenanceRecord(k, { item_id: inv.pol1, parts_used: '["fuse",  "cable"]', cost: 12.5 });
  await insertMaintenanceRecord(k, { item_id: 9999 });
  await insertMaintenanceRecord(k, { item_id: 0 });

  // The tables alignment does not touch, with JSON exactly as the backend wrote it.
  const [topology] = await k('topology_table')
    .insert({ user_id: u1, name: 't', nodes: '[ {"id": 1} ]', edges: '[]', created_at: T, updated_at: T })
    .returning('id');
  await k('topology_review').insert({
    topology_id: (topology as { id: number }).id,
    status: 'submitted',
    conflict_count: 0,
    created_at: T,
    updated_at: T,
  });
  await k('admin_roles').insert({
    user_id: u1,
    role: 'Admin',
    status: 'active',
    approval_limits: '{"max_hours": 8}',
    created_at: T,
    updated_at: T,
  });
  await k('admin_settings').insert({ key: 'booking.max_hours', value: '12', updated_at: T, updated_by: u1 });
  await k('admin_invitations').insert({
    email: 'a@lab',
    role: 'Viewer',
    token: 'tok',
    expires_at: T,
    created_at: T,
  });
  await k('booking_favorite').insert({
    user_id: u1,
    name: 'fav',
    grouped_booking_id: 'g-a1',
    device_snapshot: '{"devices":[1, 2]}',
    created_at: T,
    updated_at: T,
  });
  await k('device_history').insert({
    device_id: inv.pol1,
    action: 'create',
    created_at: T,
    changed_by_id: u1,
  });

  return { s, inv, user: u1, bookings };
}

const EXPECTED_COUNTS: Omit<AlignmentReport, 'ids'> = {
  devices: {
    total: 9,
    linked: 3,
    matched_exact: 2,
    matched_normalized: 1,
    linked_other: 0,
    ambiguous: 3,
    unmatched: 1,
    no_polatis_name: 2,
    linkable: 0,
  },
  device_types: { exact: 3, normalized: 2, unknown: 2, missing: 2, mismatch_with_inventory: 1 },
  maintenance: { parsed: 2, unparseable: 3, end_before_start: 1, partial: 1, empty: 2 },
  bookings: {
    by_status: {
      pending: 1,
      pending_approval: 1,
      confirmed: 8,
      rejected: 1,
      cancelled: 2,
      completed: 1,
      unknown: 1,
      null: 2,
    },
    unknown_statuses: { approved: 1 },
    overlapping_confirmed_pairs: 2,
    legacy_overlap_flagged: 5,
  },
  ownership: { duplicate_active_revoked: 3 },
  tags: { duplicate_pairs_quarantined: 4, created: 1, blank: 1 },
  maintenance_records: { item_id_without_device: 2 },
  quarantine: { device_ownership: 3, device_tags: 4 },
};

/** Each legacy table's rows as JSON, legacy columns only, keyed by primary key. */
async function legacyRows(
  k: Knex,
  columns: Map<string, string[]>,
): Promise<Map<string, Map<string, unknown>>> {
  const out = new Map<string, Map<string, unknown>>();
  for (const table of LEGACY_TABLES) {
    const cols = columns.get(table)!;
    const pk =
      table === 'booking_table'
        ? ['booking_id']
        : table === 'inventory_device_tags'
          ? ['device_id', 'tag_id']
          : ['id'];
    const { rows } = await k.raw(
      `SELECT jsonb_build_object(${pk.map((c) => `'${c}', ${c}`).join(', ')})::text AS pk, to_jsonb(x) AS row
         FROM (SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM ${table}) x`,
    );
    out.set(table, new Map(rows.map((r: { pk: string; row: unknown }) => [r.pk, r.row])));
  }
  return out;
}

describe('alignment of a dirty legacy database, end to end', () => {
  let db: TestDatabase;
  let planted: Planted;
  let columns: Map<string, string[]>;
  let rowsBefore: Map<string, Map<string, unknown>>;
  let dumpBefore: string;
  let firstReport: AlignmentReport;

  before(async function () {
    this.timeout(120_000);
    db = await emptyDatabase();
    await migrateToBaseline(db.knex);
    planted = await plant(db.knex);
    const { rows } = await db.knex.raw(
      `SELECT table_name, array_agg(column_name::text ORDER BY ordinal_position) AS cols
         FROM information_schema.columns WHERE table_schema = current_schema() GROUP BY table_name`,
    );
    columns = new Map(rows.map((r: { table_name: string; cols: string[] }) => [r.table_name, r.cols]));
    rowsBefore = await legacyRows(db.knex, columns);
    dumpBefore = await comparableDump(db.url);
    await migrateTo(db.knex, LAST_ALIGNMENT);
  });
  after(() => db?.drop());

  it('reports what was planted', async () => {
    firstReport = await alignmentReport(db.knex);
    assert.deepEqual(firstReport, EXPECTED_COUNTS);
  });

  it('lists the rows behind each count', async () => {
    const { ids } = await alignmentReport(db.knex, { ids: true });
    const { s, bookings: bk } = planted;
    assert.ok(ids);
    assert.deepEqual(ids.devices.ambiguous, [s.twin, s.claimant1, s.claimant2]);
    assert.deepEqual(ids.devices.linked, [s.exact, s.loose, s.clash]);
    assert.deepEqual(ids.devices.no_polatis_name, [s.noName, s.blankName]);
    assert.deepEqual(ids.device_types.mismatch_with_inventory, [s.clash]);
    assert.deepEqual(ids.maintenance.unparseable, [s.twin, s.nobody, s.clash]);
    assert.deepEqual(ids.maintenance.end_before_start, [s.claimant1]);
    assert.deepEqual(ids.bookings.overlapping_confirmed_pairs, [
      [bk.a1, bk.a2],
      [bk.a2, bk.a3],
    ]);
    assert.deepEqual(ids.bookings.by_status.null, [bk.null1, bk.null2]);
    assert.deepEqual(ids.bookings.by_status.unknown, [bk.approved]);
    assert.equal(ids.tags.duplicate_pairs_quarantined.length, 4);
    assert.equal(ids.quarantine.device_ownership?.length, 3);
    // Each id list is as long as its count.
    const idLists = ids as unknown as Record<string, Record<string, unknown[]>>;
    for (const [section, counts] of Object.entries(EXPECTED_COUNTS)) {
      if (section === 'bookings' || section === 'quarantine') continue;
      for (const [key, n] of Object.entries(counts as Record<string, number>)) {
        if (key === 'total') continue;
        const list: unknown[] | undefined = idLists[section]?.[key];
        assert.equal(list?.length, n, `${section}.${key}`);
      }
    }
  });

  it('loses no legacy row: each is unchanged, or its original is in quarantine', async () => {
    const now = await legacyRows(db.knex, columns);
    const { rows: quarantined } = await db.knex.raw(
      'SELECT table_name, row_pk::text AS pk, row_data FROM alignment_quarantine',
    );
    const kept = new Map(
      quarantined.map((q: { table_name: string; pk: string; row_data: unknown }) => [
        `${q.table_name} ${q.pk}`,
        q.row_data,
      ]),
    );
    let checked = 0;
    for (const [table, rows] of rowsBefore) {
      for (const [pk, row] of rows) {
        checked += 1;
        const original = kept.get(`${table} ${pk}`);
        if (original !== undefined) {
          assert.deepEqual(original, row, `${table} ${pk}: quarantined as it was`);
        } else {
          assert.deepEqual(now.get(table)?.get(pk), row, `${table} ${pk}: unchanged`);
        }
      }
    }
    assert.ok(checked > 60, `checked ${checked} rows`);
  });

  it('rolls back to a database identical to the baseline, byte for byte', async function () {
    this.timeout(60_000);
    const { files } = await rollbackTo(db.knex, BASELINE);
    assert.equal(files.length, 11);
    const dumpAfter = await comparableDump(db.url);
    if (dumpAfter !== dumpBefore) {
      const a = dumpBefore.split('\n');
      const b = dumpAfter.split('\n');
      const i = a.findIndex((line, n) => line !== b[n]);
      assert.fail(`dumps differ from line ${i + 1}:\n- ${a[i]}\n+ ${b[i]}`);
    }
  });

  it('migrates again to the same report', async () => {
    await migrateTo(db.knex, LAST_ALIGNMENT);
    assert.deepEqual(await alignmentReport(db.knex), firstReport);
  });

  it('links, types, parses and tags a device the legacy backend adds afterwards', async () => {
    const type = await insertDeviceType(db.knex, { name: 'Amplifier', category: 'optical' });
    const invId = await insertInventoryDevice(db.knex, { polatis_name: 'AMP-9', device_type_id: type });
    const id = await insertSchedulerDevice(db.knex, {
      polatis_name: 'amp-9',
      deviceType: 'AMPLIFIER',
      maintenance_start: '2026-05-01 06:00',
      maintenance_end: '05/01/2026 08:30',
    });
    await insertDeviceTag(db.knex, id, ' Night-Shift ');
    const { rows } = await db.knex.raw(
      `SELECT inventory_device_id, device_type_id, category, tags,
              maintenance_starts_at, maintenance_ends_at FROM linked_devices WHERE device_id = ?`,
      [id],
    );
    assert.deepEqual(rows[0], {
      inventory_device_id: invId,
      device_type_id: type,
      category: 'optical',
      tags: ['night-shift'],
      maintenance_starts_at: new Date('2026-05-01T06:00:00Z'),
      maintenance_ends_at: new Date('2026-05-01T08:30:00Z'),
    });
    const report = await alignmentReport(db.knex);
    assert.equal(report.devices.total, 10);
    assert.equal(report.devices.matched_normalized, 2);
    assert.equal(report.maintenance.parsed, 3);
    assert.equal(report.tags.created, 2);
  });

  it('rejects an overlapping confirmed booking and accepts its collaborator row', async () => {
    const { s, user } = planted;
    const window = { device_id: s.blankName!, user_id: user, start_time: '2026-06-01 10:00:00' };
    await insertBooking(db.knex, { ...window, end_time: '2026-06-01 12:00:00', grouped_booking_id: 'g-new' });
    const overlap = insertBooking(db.knex, {
      ...window,
      end_time: '2026-06-01 11:00:00',
      status: 'Confirmed',
    });
    assert.equal(await sqlstateOf(overlap), '23P01');
    await insertBooking(db.knex, {
      ...window,
      end_time: '2026-06-01 12:00:00',
      grouped_booking_id: 'g-new',
      is_collaborator: true,
    });
    const report = await alignmentReport(db.knex);
    assert.equal(report.bookings.overlapping_confirmed_pairs, 2, 'no new overlap got in');
  });
});
