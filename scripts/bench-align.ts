/**
 * How long schema alignment takes on a large legacy database: creates a scratch database on the
 * DATABASE_URL server, migrates it to the legacy baseline, fills it with set-based SQL (500,000
 * bookings by default, with the usual dirt: status spellings, collaborator rows, overlaps,
 * inverted windows), then times each alignment migration, `align report`, and the rollback.
 *
 *   npm run bench:align                      # 500,000 bookings
 *   npm run bench:align -- --bookings 100000 --keep
 *
 * Not part of `npm test` (it takes a minute or more). The database is dropped at the end unless
 * --keep is given.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { alignmentReport } from '../src/db/alignment/report';
import { createKnex, ident, withDatabase } from '../src/db/knex';
import { migrateTo, migrationStatus, rollbackTo } from '../src/db/migrator';
import { ensureDatabase } from '../src/db/scratch';

const BASELINE = '20261124000000_legacy_baseline';
const ALIGNMENT = /^20261124010\d{3}_.*\.ts$/;

const { values } = parseArgs({
  options: {
    bookings: { type: 'string', default: '500000' },
    devices: { type: 'string', default: '200' },
    keep: { type: 'boolean', default: false },
  },
});
const bookings = Number(values.bookings);
const devices = Number(values.devices);
if (!Number.isInteger(bookings) || bookings < 1)
  throw new Error(`--bookings ${values.bookings}: a positive integer`);
if (!Number.isInteger(devices) || devices < 1)
  throw new Error(`--devices ${values.devices}: a positive integer`);

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const serverUrl = loadConfig().databaseUrl;
  const name = `provdb_bench_align_${process.pid}`;
  const { url } = await ensureDatabase(serverUrl, name);
  const knex = createKnex(url, { poolMax: 2, applicationName: 'provdb-worker-bench' });
  try {
    await migrateTo(knex, BASELINE);
    let t = performance.now();
    await fill(knex);
    console.log(
      `filled ${name}: ${bookings} bookings on ${devices} devices in ${seconds(performance.now() - t)}`,
    );

    const { pending } = await migrationStatus(knex);
    const steps = pending.filter((f) => ALIGNMENT.test(f));
    const total = performance.now();
    for (const step of steps) {
      t = performance.now();
      await migrateTo(knex, step);
      console.log(`  ${step.padEnd(56)} ${seconds(performance.now() - t).padStart(10)}`);
    }
    console.log(`alignment (${steps.length} migrations): ${seconds(performance.now() - total)}`);

    t = performance.now();
    const report = await alignmentReport(knex);
    console.log(`align report: ${seconds(performance.now() - t)}`);
    console.log(JSON.stringify({ bookings: report.bookings, devices: report.devices }));

    t = performance.now();
    await rollbackTo(knex, BASELINE);
    console.log(`rollback of alignment: ${seconds(performance.now() - t)}`);
  } finally {
    await knex.destroy();
    if (!values.keep) {
      const admin = createKnex(withDatabase(serverUrl, 'postgres'), { poolMax: 1 });
      await admin.raw(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
      await admin.destroy();
    }
  }
}

async function fill(knex: ReturnType<typeof createKnex>): Promise<void> {
  const at = `'2026-01-01 00:00:00'::timestamp`;
  await knex.raw(`INSERT INTO user_table (username, password, is_admin)
    SELECT 'bench' || g, 'x', false FROM generate_series(1, 50) g`);
  await knex.raw(`INSERT INTO device_types (name, category, is_schedulable, is_has_ports, created_at, updated_at)
    VALUES ('Switch', 'network', true, true, ${at}, ${at}), ('OTDR', 'test', true, false, ${at}, ${at})`);
  await knex.raw(
    `INSERT INTO devices (name, device_type_id, status, polatis_name, created_at, updated_at)
     SELECT 'inv-' || g, 1, 'active', 'POL-' || g, ${at}, ${at} FROM generate_series(1, :devices) g`,
    { devices },
  );
  // Every tenth name differs in case and spacing; every twentieth maintenance window is junk.
  await knex.raw(
    `INSERT INTO device_table (polatis_name, "deviceType", maintenance_start, maintenance_end, "Out_Port", "In_Port")
     SELECT CASE WHEN g % 10 = 0 THEN ' pol-' || g ELSE 'POL-' || g END,
            CASE WHEN g % 7 = 0 THEN 'otdr ' ELSE 'Switch' END,
            CASE WHEN g % 20 = 0 THEN 'next week' ELSE '2026-03-01 10:00' END,
            '03/01/2026 12:00', g, g
       FROM generate_series(1, :devices) g`,
    { devices },
  );
  // Booking o of a device starts 2 h after booking o-1 and lasts 90 min; every tenth row is the
  // collaborator row of the one before (same device, window and group); every 997th starts an
  // hour late and so overlaps the next; every 499th is inverted.
  await knex.raw(
    `INSERT INTO booking_table (device_id, user_id, is_collaborator, grouped_booking_id,
                                start_time, end_time, status, collaborators, created_at)
     SELECT 1 + (o % :devices), 1 + (g % 50), g % 10 = 0, 'grp-' || o,
            s, CASE WHEN g % 499 = 0 THEN s - interval '1 hour' ELSE s + interval '90 minutes' END,
            CASE g % 50 WHEN 1 THEN 'pending' WHEN 2 THEN 'Cancelled' WHEN 3 THEN 'canceled'
                        WHEN 4 THEN NULL WHEN 5 THEN 'approved' WHEN 6 THEN 'completed'
                        WHEN 7 THEN 'Pending Approval' ELSE 'confirmed' END,
            '[]', ${at}
       FROM (SELECT g, o, ${at} + (o / :devices) * interval '2 hours'
                           + CASE WHEN o % 997 = 0 THEN interval '1 hour' ELSE interval '0' END AS s
               FROM (SELECT g, CASE WHEN g % 10 = 0 THEN g - 1 ELSE g END AS o
                       FROM generate_series(1, :bookings) g) x) y`,
    { devices, bookings },
  );
  await knex.raw(
    `INSERT INTO device_tags (device_id, tag, created_at)
     SELECT 1 + (g % :devices), (ARRAY['optical', ' Optical', 'rack-' || (g % 5), 'LAB'])[1 + g % 4], ${at}
       FROM generate_series(1, :devices * 8) g`,
    { devices },
  );
  await knex.raw(
    `INSERT INTO device_ownership (device_id, owner_id, assigned_at)
     SELECT 1 + (g % :devices), 1 + (g % 50), ${at} + g * interval '1 minute' FROM generate_series(1, :devices * 3) g`,
    { devices },
  );
  await knex.raw(
    `INSERT INTO device_health_snapshot (device_id, status, updated_at)
     SELECT 1 + (g % :devices), 'up', ${at} + g * interval '1 minute' FROM generate_series(1, 100000) g`,
    { devices },
  );
  await knex.raw(`INSERT INTO admin_audit_log (action, entity_type, entity_id, outcome, created_at)
    SELECT 'update', 'booking', CASE WHEN g % 9 = 0 THEN 'x' || g ELSE g::text END, 'success', ${at}
      FROM generate_series(1, 100000) g`);
  await knex.raw('ANALYZE');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench-align: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
