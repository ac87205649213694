/**
 * Schema alignment, `linked_devices`: one row per scheduler device (`device_table`) with its
 * inventory device, type, category, schedulability, site, manufacturer, tags from both tag
 * systems and the status from both sides. The one place rules and rollups read device metadata.
 *
 * - `device_type_id` is the scheduler device's linked type, else its inventory device's.
 * - `is_schedulable` and `has_ports` are false when the device has no type.
 * - `tags`: normalised (trimmed, lower-cased) names from `device_tags` and from the linked
 *   inventory device's `inventory_device_tags`, distinct, sorted bytewise; empty when none.
 *
 * Frozen once landed: change the schema with a new migration. Imports no application code.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE VIEW linked_devices AS
    SELECT t.id AS device_id,
           t.polatis_name,
           t."deviceName" AS device_name,
           t."deviceType" AS legacy_device_type,
           t.status AS scheduler_status,
           t.ip_address,
           t."In_Port" AS in_port,
           t."Out_Port" AS out_port,
           t.maintenance_starts_at,
           t.maintenance_ends_at,
           t.inventory_device_id,
           d.name AS inventory_name,
           d.status AS inventory_status,
           d.oi_id,
           d.hostname,
           d.mgmt_ip,
           d.polatis_port_range,
           d.owner_group,
           ty.id AS device_type_id,
           ty.name AS device_type_name,
           ty.category,
           coalesce(ty.is_schedulable, false) AS is_schedulable,
           coalesce(ty.is_has_ports, false) AS has_ports,
           d.site_id,
           s.name AS site_name,
           d.manufacturer_id,
           mf.name AS manufacturer_name,
           ARRAY(
             SELECT x.name FROM (
               SELECT alignment_normalize_name(g.tag) AS name
                 FROM device_tags g WHERE g.device_id = t.id
               UNION
               SELECT alignment_normalize_name(tg.name)
                 FROM inventory_device_tags it JOIN tags tg ON tg.id = it.tag_id
                WHERE it.device_id = t.inventory_device_id) x
              WHERE x.name IS NOT NULL
              ORDER BY x.name COLLATE "C") AS tags
      FROM device_table t
      LEFT JOIN devices d ON d.id = t.inventory_device_id
      LEFT JOIN device_types ty ON ty.id = coalesce(t.device_type_id, d.device_type_id)
      LEFT JOIN sites s ON s.id = d.site_id
      LEFT JOIN manufacturers mf ON mf.id = d.manufacturer_id`);
  await knex.raw(`COMMENT ON VIEW linked_devices IS
    'provdb-worker: one row per scheduler device with its inventory device, type, site, manufacturer and tags of both systems'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP VIEW linked_devices');
}
