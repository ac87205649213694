/**
 * Fills a baseline database with a large, dirty legacy data set using set-based SQL only
 * (generate_series): the scale benchmark (`npm run bench:align`) and the opt-in scale test use
 * it. Booking o of a device starts 2 h after booking o-1 and lasts 90 min; every tenth row is
 * the collaborator row of the one before (same device, window and group); every 997th starts an
 * hour late and so overlaps the next; every 499th is inverted; statuses come in 8 spellings.
 */
import type { Knex } from 'knex';

export async function fillLegacyBulk(knex: Knex, size: { bookings: number; devices: number }): Promise<void> {
  const { bookings, devices } = size;
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
