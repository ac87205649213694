/**
 * The readable picture of a seeded lab that the demo prints: sites, device types, people and
 * their limits, bookings, the busiest devices, maintenance, topologies, and the rows the event
 * stream will use. Read from the database through the aligned schema (`linked_devices`,
 * `status_canonical`, typed maintenance windows), so it also shows alignment at work.
 */
import type { Knex } from 'knex';
import type { SeedSummary } from './seed';

type Cell = string | number | boolean | null;

/** A plain text table: a header line, then one line per row, columns padded. */
export function table(
  headers: readonly string[],
  rows: ReadonlyArray<readonly Cell[]>,
  indent = '  ',
): string {
  const text = (c: Cell) => (c === null ? '-' : typeof c === 'boolean' ? (c ? 'yes' : 'no') : String(c));
  const all = [headers.map(String), ...rows.map((r) => r.map(text))];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  return all
    .map((r) =>
      `${indent}${r.map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd(),
    )
    .join('\n');
}

async function rows<T>(db: Knex, sql: string, bindings: readonly unknown[] = []): Promise<T[]> {
  return (await db.raw<{ rows: T[] }>(sql, [...bindings] as Knex.RawBinding[])).rows;
}

const minute = (d: Date | string | null) =>
  d === null ? null : new Date(d).toISOString().slice(0, 16).replace('T', ' ');

export async function labOverview(db: Knex, summary: SeedSummary): Promise<string> {
  const out: string[] = [];
  const section = (title: string, body: string) => out.push(`${title}\n${body}\n`);

  const sites = await rows<{ name: string; inventory: number; scheduler: number }>(
    db,
    `SELECT s.name, count(DISTINCT d.id)::int AS inventory, count(DISTINCT l.device_id)::int AS scheduler
       FROM sites s LEFT JOIN devices d ON d.site_id = s.id
       LEFT JOIN linked_devices l ON l.site_id = s.id
      GROUP BY s.id, s.name ORDER BY s.id`,
  );
  section(
    'Sites',
    table(
      ['site', 'inventory devices', 'scheduler devices'],
      sites.map((s) => [s.name, s.inventory, s.scheduler]),
    ),
  );

  const types = await rows<{ type: string | null; category: string | null; schedulable: boolean; n: number }>(
    db,
    `SELECT device_type_name AS type, category, is_schedulable AS schedulable, count(*)::int AS n
       FROM linked_devices GROUP BY 1, 2, 3 ORDER BY 3 DESC, 4 DESC, 1`,
  );
  section(
    'Scheduler devices by type (linked_devices)',
    table(
      ['type', 'category', 'schedulable', 'devices'],
      types.map((t) => [t.type ?? '(no type)', t.category, t.schedulable, t.n]),
    ),
  );

  const people = await rows<{ role: string | null; status: string | null; n: number; limits: unknown }>(
    db,
    `SELECT r.role, r.status, count(*)::int AS n, r.approval_limits::text AS limits
       FROM user_table u LEFT JOIN admin_roles r ON r.user_id = u.id
      GROUP BY 1, 2, 4 ORDER BY 3 DESC, 1`,
  );
  section(
    'People (admin_roles)',
    table(
      ['role', 'status', 'users', 'approval limits'],
      people.map((p) => [
        p.role ?? '(no role)',
        p.status,
        p.n,
        p.limits === 'null' ? null : (p.limits as string),
      ]),
    ),
  );

  const b = summary.bookings;
  const spellings = await rows<{ status: string | null; canonical: string | null; n: number }>(
    db,
    `SELECT status, status_canonical AS canonical, count(*)::int AS n FROM booking_table
      GROUP BY 1, 2 ORDER BY 2 NULLS LAST, 3 DESC`,
  );
  section(
    `Bookings: ${b.reservations} reservations in ${b.rows} rows (${b.collaboratorRows} collaborator rows, ` +
      `${b.multiDeviceReservations} on several devices), ${minute(b.firstStart)} to ${minute(b.lastEnd)}`,
    table(
      ['status as written', 'canonical', 'rows'],
      spellings.map((s) => [
        s.status === null ? '(NULL)' : JSON.stringify(s.status),
        s.canonical ?? '(unrecognised)',
        s.n,
      ]),
    ),
  );

  const busiest = await rows<{
    device: string;
    type: string | null;
    site: string | null;
    hours: number;
    share: number;
  }>(
    db,
    `SELECT btrim(coalesce(l.polatis_name, l.device_name)) AS device, l.device_type_name AS type, l.site_name AS site,
            round(sum(extract(epoch FROM b.end_time - b.start_time)) / 3600)::int AS hours,
            round(100 * sum(extract(epoch FROM b.end_time - b.start_time)) / (30 * 86400))::int AS share
       FROM booking_table b JOIN linked_devices l ON l.device_id = b.device_id
      WHERE NOT b.is_collaborator AND b.status_canonical IN ('confirmed', 'completed')
        AND b.start_time >= ?::timestamptz - interval '30 days' AND b.end_time <= ?::timestamptz
      GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1 LIMIT 5`,
    [summary.now, summary.now],
  );
  section(
    'Busiest devices, last 30 days (confirmed and completed hours; the rollups will keep this per hour and day)',
    table(
      ['device', 'type', 'site', 'hours', '% of time'],
      busiest.map((d) => [d.device, d.type, d.site, d.hours, d.share]),
    ),
  );

  const maintenance = await rows<{
    device: string;
    starts: string | null;
    ends: string | null;
    raw_start: string | null;
    raw_end: string | null;
  }>(
    db,
    `SELECT coalesce(t.polatis_name, t."deviceName") AS device, t.maintenance_starts_at AS starts,
            t.maintenance_ends_at AS ends, t.maintenance_start AS raw_start, t.maintenance_end AS raw_end
       FROM device_table t WHERE t.maintenance_start IS NOT NULL OR t.maintenance_end IS NOT NULL ORDER BY t.id`,
  );
  section(
    'Maintenance windows (legacy strings in device_table, and what alignment parsed)',
    table(
      ['device', 'written', 'parsed (UTC)'],
      maintenance.map((m) => [
        m.device.trim(),
        `${JSON.stringify(m.raw_start)} .. ${JSON.stringify(m.raw_end)}`,
        m.starts || m.ends ? `${minute(m.starts) ?? '?'} .. ${minute(m.ends) ?? '?'}` : '(not parsed)',
      ]),
    ),
  );

  const topologies = await rows<{
    id: number;
    name: string;
    owner: string;
    status: string | null;
    resolved: boolean;
  }>(
    db,
    `SELECT t.id, t.name, u.username AS owner, r.status, r.resolved_at IS NOT NULL AS resolved
       FROM topology_table t JOIN user_table u ON u.id = t.user_id
       LEFT JOIN topology_review r ON r.topology_id = t.id ORDER BY t.id`,
  );
  section(
    'Topologies (topology_review)',
    table(
      ['id', 'name', 'owner', 'review', 'resolved by a person'],
      topologies.map((t) => [t.id, t.name, t.owner, t.status ?? '(no review yet)', t.resolved]),
    ),
  );
  return out.join('\n');
}
