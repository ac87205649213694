/**
 * The human-readable form of the alignment report: one line per category, grouped by section,
 * zero counts included (a zero is information too). With ids, each non-empty category is
 * followed by the ids of its rows.
 */
import type { AlignmentReport } from './report';

type Entry = [label: string, count: number, ids: readonly unknown[] | undefined];

function entries(counts: Record<string, number>, ids?: Record<string, readonly unknown[]>): Entry[] {
  return Object.entries(counts).map(([key, n]) => [key, n, ids?.[key]]);
}

function idText(id: unknown): string {
  return typeof id === 'object' ? JSON.stringify(id) : String(id);
}

export function formatAlignmentReport(report: AlignmentReport): string {
  const { ids } = report;
  const b = report.bookings;
  const sections: Array<[string, string, Entry[]]> = [
    [
      'devices',
      'scheduler devices (device_table) and their inventory devices',
      entries(report.devices, ids?.devices),
    ],
    ['device_types', 'scheduler device types', entries(report.device_types, ids?.device_types)],
    ['maintenance', 'device_table maintenance windows', entries(report.maintenance, ids?.maintenance)],
    [
      'bookings',
      'booking_table',
      [
        ...Object.entries(b.by_status).map(([s, n]): Entry => [`status ${s}`, n, ids?.bookings.by_status[s]]),
        ...Object.entries(b.unknown_statuses).map(
          ([v, n]): Entry => [`  unknown value ${JSON.stringify(v)}`, n, []],
        ),
        [
          'overlapping_confirmed_pairs',
          b.overlapping_confirmed_pairs,
          ids?.bookings.overlapping_confirmed_pairs,
        ],
        ['legacy_overlap_flagged', b.legacy_overlap_flagged, ids?.bookings.legacy_overlap_flagged],
      ],
    ],
    ['ownership', 'device_ownership', entries(report.ownership, ids?.ownership)],
    ['tags', 'scheduler tags (device_tags)', entries(report.tags, ids?.tags)],
    [
      'maintenance_records',
      'maintenance_records',
      entries(report.maintenance_records, ids?.maintenance_records),
    ],
    [
      'quarantine',
      'rows kept in alignment_quarantine, per table',
      entries(report.quarantine, ids?.quarantine),
    ],
  ];
  const lines: string[] = [];
  for (const [name, title, rows] of sections) {
    lines.push(`${name}: ${title}`);
    if (rows.length === 0) lines.push('  (none)');
    for (const [label, count, rowIds] of rows) {
      lines.push(`  ${label.padEnd(40)} ${String(count).padStart(9)}`);
      if (rowIds && rowIds.length > 0) lines.push(`      ids: ${rowIds.map(idText).join(', ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
