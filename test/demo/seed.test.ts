import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { alignmentReport } from '../../src/db/alignment/report';
import { LEGACY_TABLES } from '../../src/demo/counts';
import { resolveSeedOptions, SeedOptionsError } from '../../src/demo/options';
import { type SeedSummary, SeedTargetError, seedLab } from '../../src/demo/seed';
import { emptyDatabase, migratedDatabase, type TestDatabase } from '../support/db';

const NOW = new Date('2026-11-24T14:00:00Z');

/** Every legacy table's rows, in a stable order; tags alignment created carry a wall-clock time. */
async function contents(knex: Knex): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const table of LEGACY_TABLES) {
    const drop = table === 'tags' ? " - 'created_at'" : '';
    const { rows } = await knex.raw<{ rows: Array<{ r: unknown }> }>(
      `SELECT coalesce(jsonb_agg(to_jsonb(t)${drop} ORDER BY to_jsonb(t)::text), '[]') AS r FROM ${table} t`,
    );
    out[table] = rows[0]?.r;
  }
  return out;
}

const withoutTimings = (s: SeedSummary) => ({ ...s, timingsMs: undefined });

describe('demo seed', () => {
  const dbs: TestDatabase[] = [];
  let lab: TestDatabase;
  let summary: SeedSummary;

  before(async () => {
    lab = await migratedDatabase();
    dbs.push(lab);
    summary = await seedLab(lab.knex, { seed: 1, now: NOW });
  });

  after(async () => {
    for (const db of dbs) await db.drop();
  });

  it('seeds the documented lab with the default options', () => {
    const c = summary.counts;
    assert.deepEqual(
      {
        users: c.user_table,
        roles: c.admin_roles,
        settings: c.admin_settings,
        invitations: c.admin_invitations,
        sites: c.sites,
        manufacturers: c.manufacturers,
        deviceTypes: c.device_types,
        inventoryDevices: c.devices,
        schedulerDevices: c.device_table,
        healthSnapshots: c.device_health_snapshot,
        topologies: c.topology_table,
        reviews: c.topology_review,
        reservations: summary.bookings.reservations,
      },
      {
        users: 24,
        roles: 23,
        settings: 6,
        invitations: 2,
        sites: 3,
        manufacturers: 11,
        deviceTypes: 10,
        inventoryDevices: 36,
        schedulerDevices: 35,
        healthSnapshots: 69,
        topologies: 5,
        reviews: 4,
        // 30 days x 20, the coming 7 days x 10, and the scenario's 15
        reservations: 685,
      },
    );
    assert.equal(summary.bookings.rows, c.booking_table);
    assert.ok(summary.bookings.collaboratorRows > 0, 'some reservations have collaborator rows');
    assert.ok(summary.bookings.multiDeviceReservations > 0, 'some reservations span devices');
    for (const table of LEGACY_TABLES) assert.ok(c[table] > 0, `${table} has rows`);
  });

  it('writes legacy spellings that alignment reads as the canonical statuses', async () => {
    const { rows } = await lab.knex.raw<{ rows: Array<{ status: string }> }>(
      'SELECT DISTINCT status FROM booking_table WHERE status IS NOT NULL',
    );
    const written = rows.map((r) => r.status);
    for (const spelling of ['Confirmed', 'canceled', 'Cancelled', 'Completed', 'Pending Approval']) {
      assert.ok(written.includes(spelling), `legacy spelling ${spelling} is used`);
    }
    assert.deepEqual(Object.keys(summary.bookings.byStatus).sort(), [
      'cancelled',
      'completed',
      'confirmed',
      'none',
      'pending',
      'pending_approval',
      'rejected',
      'unknown',
    ]);
  });

  it('holds under every constraint of the aligned schema, with the legacy dirt alignment reports', async () => {
    const report = await alignmentReport(lab.knex, { ids: true });
    assert.equal(report.bookings.overlapping_confirmed_pairs, 0);
    assert.equal(report.bookings.legacy_overlap_flagged, 0);
    assert.deepEqual(
      { matched_normalized: report.devices.matched_normalized, unmatched: report.devices.unmatched },
      { matched_normalized: 1, unmatched: 1 },
    );
    assert.deepEqual(report.maintenance, {
      parsed: 4,
      unparseable: 1,
      end_before_start: 1,
      partial: 1,
      empty: 28,
    });
    assert.deepEqual(
      { normalized: report.device_types.normalized, unknown: report.device_types.unknown },
      { normalized: 2, unknown: 2 },
    );
    assert.equal(report.maintenance_records.item_id_without_device, 1);
    assert.ok(report.tags.created > 0, 'some scheduler tags were new to the inventory');
    assert.deepEqual(report.quarantine, {});
    // The constraint itself: a confirmed copy of a confirmed booking is refused.
    await assert.rejects(
      lab.knex.raw(
        `INSERT INTO booking_table (device_id, user_id, is_collaborator, grouped_booking_id,
                      start_time, end_time, status, comment, collaborators, created_at)
                    SELECT device_id, user_id, false, 'copy', start_time, end_time, 'confirmed', NULL, '[]', created_at
                      FROM booking_table WHERE booking_id = ?`,
        [summary.notable.conflict.held.bookingIds[0] as number],
      ),
      (error: { code?: string }) => error.code === '23P01',
    );
  });

  it("keeps the scenario's people and devices to their placed bookings from a week ago on", async () => {
    const n = summary.notable;
    const scenarioUsers = [
      n.conflict.holder,
      n.conflict.challenger,
      n.ownedDevice.owner,
      n.ownedDevice.requester,
      n.nearLimit.user,
    ].map((u) => u.id);
    const scenarioDevices = [
      n.conflict.device,
      n.ownedDevice.device,
      n.maintenance.device,
      n.overLimit.device,
    ].map((d) => d.id);
    const { rows } = await lab.knex.raw<{ rows: Array<{ grouped_booking_id: string }> }>(
      `SELECT DISTINCT grouped_booking_id FROM booking_table
        WHERE end_time > ?::timestamp - interval '7 days'
          AND (user_id = ANY(?::int[]) OR device_id = ANY(?::int[]))`,
      ['2026-11-24 00:00:00', scenarioUsers, scenarioDevices],
    );
    // Only the hand-placed reservations (15 of them; the maintenance one has a collaborator).
    assert.equal(rows.length, 15);

    const active = await lab.knex.raw<{ rows: Array<{ n: number }> }>(
      `SELECT count(*)::int AS n FROM booking_table
        WHERE user_id = ? AND NOT is_collaborator AND end_time > ?
          AND status_canonical IN ('pending', 'pending_approval', 'confirmed')`,
      [n.nearLimit.user.id, NOW],
    );
    assert.equal(active.rows[0]?.n, n.nearLimit.activeFutureBookings);
    assert.equal(n.nearLimit.maxActiveBookings, 3);

    const held = n.conflict.held;
    assert.ok(n.conflict.request.startsAt < held.endsAt && held.startsAt < n.conflict.request.endsAt);
    const owner = await lab
      .knex('device_ownership')
      .where({ device_id: n.ownedDevice.device.id, revoked_at: null });
    assert.deepEqual(
      owner.map((o: { owner_id: number }) => o.owner_id),
      [n.ownedDevice.owner.id],
    );
    const affected = await lab.knex('booking_table').whereIn('booking_id', n.maintenance.affected.bookingIds);
    assert.deepEqual(
      affected.map((b: { device_id: number; status_canonical: string }) => [b.device_id, b.status_canonical]),
      [[n.maintenance.device.id, 'confirmed']],
    );
  });

  it('gives the same lab for the same seed and now, and another lab for another seed', async () => {
    const again = await migratedDatabase();
    const other = await migratedDatabase();
    dbs.push(again, other);
    const againSummary = await seedLab(again.knex, { seed: 1, now: NOW });
    await seedLab(other.knex, { seed: 2, now: NOW });
    assert.deepEqual(withoutTimings(againSummary), withoutTimings(summary));
    const first = await contents(lab.knex);
    assert.deepEqual(await contents(again.knex), first);
    const different = await contents(other.knex);
    assert.notDeepEqual(different.booking_table, first.booking_table);
    assert.notDeepEqual(different.user_table, first.user_table);
  });

  it('grows with the options, in several chunks, with the same guarantees', async function () {
    this.timeout(120_000);
    const big = await migratedDatabase();
    dbs.push(big);
    const options = {
      seed: 7,
      now: NOW,
      devices: 120,
      users: 60,
      sites: 2,
      historyDays: 400,
      bookingsPerDay: 120,
    };
    const steps: number[] = [];
    const s = await seedLab(big.knex, options, (e) => {
      if (e.step === 'bookings' && e.done) steps.push(e.done);
    });
    assert.ok(steps.length >= 3, `progress reported per chunk (${steps.join(', ')})`);
    assert.equal(s.bookings.reservations, 400 * 120 + 7 * 60 + 15);
    assert.equal(s.counts.devices, 120);
    // 120 inventory devices - 5 servers - 1 spare + 1 unmatched scheduler device
    assert.equal(s.counts.device_table, 115);
    assert.equal(s.counts.user_table, 60);
    assert.equal(s.counts.sites, 2);
    const report = await alignmentReport(big.knex);
    assert.equal(report.bookings.overlapping_confirmed_pairs, 0);
  });

  it('refuses a database that is not migrated or already has a lab', async () => {
    const empty = await emptyDatabase();
    dbs.push(empty);
    await assert.rejects(seedLab(empty.knex, { now: NOW }), SeedTargetError);
    await assert.rejects(
      seedLab(lab.knex, { now: NOW }),
      (error: Error) => error instanceof SeedTargetError && /user_table has 24 rows/.test(error.message),
    );
  });

  it('names the option and value it cannot use', async () => {
    assert.throws(
      () => resolveSeedOptions({ devices: 5 }),
      /seed option devices is 5; expected a whole number from 20/,
    );
    assert.throws(() => resolveSeedOptions({ historyDays: 1.5 }), SeedOptionsError);
    const db = await migratedDatabase();
    dbs.push(db);
    await assert.rejects(
      seedLab(db.knex, { now: NOW, devices: 20, bookingsPerDay: 5_000 }),
      /bookingsPerDay is 5000, but \d+ bookable devices hold at most \d+ reservations a day/,
    );
  });
});
