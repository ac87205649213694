/**
 * The booking fact loader: everything the booking policies may ask about, for any number of
 * reservations at once, in a fixed number of set-based queries (see below), never one per
 * reservation, device or fact.
 *
 * For each reservation (grouped_booking_id) found, one `BookingFacts` per distinct device,
 * ordered by device id, decided on the owner's row for that device (the lowest booking id among
 * the non-collaborator rows; a device with collaborator rows only is decided on its lowest
 * collaborator row, with `booking.isCollaborator` true). Reservations not found are absent.
 *
 * The reads, in order (thirteen, in at most nine statements, inside the caller's transaction or
 * one of its own; the first turns JIT off for the rest of it):
 *  1. the reservations' rows (booking_table by grouped_booking_id);
 *  2-3. the `rules.*` rows of admin_settings and every admin role's approval limits (the
 *     approval ladder), in one statement;
 *  4-6. in one statement: the devices (linked_devices: type, category, site, manufacturer, tags,
 *     both statuses, typed maintenance window); the requesters with their admin role; the
 *     devices' current owners;
 *  7. maintenance records of the devices' inventory devices that may meet the windows;
 *  8. confirmed owner rows of the devices within the turnaround time of each window (conflicts;
 *     one index range per window, via unnest + LATERAL);
 *  9. for the windows something blocks, confirmed owner rows up to the 90-day horizon of the
 *     next-free-window search (a window nothing blocks is its own next free window; not run
 *     when nothing is blocked);
 * 10. the requesters' own bookings that count toward usage;
 * 11-12. utilization of the last 7 and 30 days from the rollups, in one statement
 *     (../../rollups/facts.ts);
 * 13. the coming week's booked time per device and user (../../rollups/facts.ts).
 * With a cache (options.cache) shared by calls, 2-3 are not read again, 4 and 6 only for the
 * devices not cached, and 11-13 only what is not cached. Without one, 2-3 are read and parsed
 * only when their version (returned by read 1) changed since the last load of the process.
 *
 * The meaning of each number is in docs/rules.md, "Where the numbers come from"; the pure parts
 * live in ./limits.ts, ./usage.ts and ./settings.ts and are tested there.
 */
import type { Knex } from 'knex';
import { groupBy } from '../../collections';
import type { Logger } from '../../logger';
import { comingWeekShares, deviceUtilizationFacts } from '../../rollups/facts';
import { deviceTableWindow, maintenanceRecordWindow } from '../../topologies/loadDevices';
import type { BookingFacts } from './catalog';
import { approvalLadder, requesterApprovalLimits, resolveApproval, resolveLimits } from './limits';
import { parseRuleSettings, type RuleSettings, turnaroundFor } from './settings';
import {
  ACTIVE_STATUSES,
  BOOKED_STATUSES,
  type BookingStatus,
  type BookingWindow,
  FREE_WINDOW_HORIZON_DAYS,
  hoursBetween,
  isStatusBookable,
  nextFreeWindow,
  normalizeStatus,
  summarizeUsage,
  type UsageFact,
  type UsageRow,
} from './usage';

export interface LoadBookingFactsOptions {
  /** The decision time: "now" for startsInHours, active bookings and the coming week. */
  readonly now: Date;
  /** Where unreadable admin_settings values are logged (they are ignored either way). */
  readonly logger?: Logger;
  /** Also called with each such problem, e.g. to show it once in a report. */
  readonly onSettingsProblem?: (problem: string) => void;
  /**
   * What does not depend on the reservations asked for (settings, approval ladder, devices,
   * owners, utilization, the coming week without the decided rows), kept between calls. Only for
   * calls that read one snapshot with one `now`, such as the batches of a replay in one
   * repeatable-read transaction (./../replay.ts); see createBookingFactsCache.
   */
  readonly cache?: BookingFactsCache;
}

type ShareRow = Awaited<ReturnType<typeof comingWeekShares>>[number];
type UtilizationRow = Awaited<ReturnType<typeof deviceUtilizationFacts>>[number];
type OwnerRow = { device_id: number; owner_id: number; username: string };

/** See LoadBookingFactsOptions.cache. Opaque to callers. */
export interface BookingFactsCache {
  readonly now: number;
  settings?: { settings: RuleSettings; problems: string[]; ladder: RoleLadder };
  readonly devices: Map<number, DeviceRow | null>;
  readonly owners: Map<number, OwnerRow[]>;
  readonly utilization: Map<number, UtilizationRow>;
  /** Coming-week rows per device (all users), none of the decided rows assumed booked. */
  readonly week: Map<number, ShareRow[]>;
}

export function createBookingFactsCache(now: Date): BookingFactsCache {
  return {
    now: now.getTime(),
    devices: new Map(),
    owners: new Map(),
    utilization: new Map(),
    week: new Map(),
  };
}

type RoleLadder = ReturnType<typeof approvalLadder>;

/**
 * The `rules.*` settings and every role's approval limits, each as one JSON array (small tables,
 * read whole, in a fixed order), and their version: the md5 of exactly that text. The first read
 * of every load returns the version (computed in Postgres, nothing else sent back); the lists are
 * read and parsed again only when it differs from the version of the last ones parsed, kept
 * below for the whole process. Equal text parses to equal settings and ladder, so the cached ones
 * are exactly what reading them again would give: a change made by the legacy backend is seen by
 * the next load, as before.
 */
const SETTINGS_SQL = `(SELECT coalesce(json_agg(json_build_object('key', key, 'value', value) ORDER BY key), '[]')
    FROM admin_settings WHERE key LIKE 'rules.%')`;
const ROLES_SQL = `(SELECT coalesce(json_agg(json_build_object('role', role, 'status', status,
                                               'approval_limits', approval_limits) ORDER BY id), '[]')
    FROM admin_roles WHERE approval_limits IS NOT NULL)`;
/** Over a row `x` with the two lists as columns `settings` and `roles`. */
const SETTINGS_VERSION_SQL = `md5(x.settings::text || ':' || x.roles::text)`;

type CachedSettings = NonNullable<BookingFactsCache['settings']>;
let lastSettings: { version: string; value: CachedSettings } | undefined;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const MINUTE_MS = 60_000;

/** Statuses of maintenance records that are counted by `maintenance.scheduledCount`. */
const SCHEDULED_RECORD_STATUS = 'scheduled';

interface ReservationRow {
  booking_id: number;
  device_id: number;
  user_id: number;
  is_collaborator: boolean;
  grouped_booking_id: string;
  start_time: Date;
  end_time: Date;
  status_canonical: BookingStatus | null;
}

interface DeviceRow {
  device_id: number;
  device_name: string | null;
  inventory_name: string | null;
  device_type_name: string | null;
  category: string | null;
  is_schedulable: boolean;
  site_name: string | null;
  manufacturer_name: string | null;
  tags: string[] | null;
  scheduler_status: string | null;
  inventory_status: string | null;
  inventory_device_id: number | null;
  maintenance_starts_at: Date | null;
  maintenance_ends_at: Date | null;
}

/** The devices' timestamptz columns as JSON gives them (ISO 8601 text, session time zone UTC). */
interface DeviceTimes {
  maintenance_starts_at: string | null;
  maintenance_ends_at: string | null;
}

/** A timestamptz read through JSON, as the driver would give it (a Date, millisecond precision). */
const jsonTime = (value: string | null): Date | null => (value === null ? null : new Date(value));

interface RequesterRow {
  id: number;
  username: string;
  is_admin: boolean | null;
  role: string | null;
  role_status: string | null;
  approval_limits: unknown;
}

interface RecordRow {
  device_id: number;
  record_id: number;
  maintenance_type: string;
  status: string;
  scheduled_date: Date | null;
  performed_date: Date | null;
}

interface BusyRow {
  booking_id: number;
  device_id: number;
  user_id: number;
  grouped_booking_id: string;
  start_time: Date;
  end_time: Date;
}

/** One device of one reservation: the row decided on. */
interface Decided {
  readonly reservation: string;
  readonly row: ReservationRow;
}

/** Time as the facts carry it: ISO 8601 UTC, without milliseconds when they are zero. */
export function isoTime(date: Date): string {
  const iso = date.toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

const sortNumbers = (values: Iterable<number>): number[] => [...new Set(values)].sort((a, b) => a - b);

/** The row of a device a reservation is decided on: the owner's, else a collaborator's. */
function pickRows(rows: readonly ReservationRow[]): ReservationRow[] {
  const byDevice = new Map<number, ReservationRow>();
  for (const row of rows) {
    const seen = byDevice.get(row.device_id);
    const better =
      !seen ||
      (seen.is_collaborator && !row.is_collaborator) ||
      (seen.is_collaborator === row.is_collaborator && row.booking_id < seen.booking_id);
    if (better) byDevice.set(row.device_id, row);
  }
  return [...byDevice.values()].sort((a, b) => a.device_id - b.device_id);
}

const windowOf = (row: { device_id: number; start_time: Date; end_time: Date }): BookingWindow => ({
  deviceId: row.device_id,
  startsAt: row.start_time,
  endsAt: row.end_time,
});

/**
 * Loads the booking facts of the given reservations. `db` may be a transaction: the queries run
 * one after the other on it (never in parallel on one connection).
 */
export async function loadBookingFacts(
  db: Knex | Knex.Transaction,
  groupedBookingIds: readonly string[],
  options: LoadBookingFactsOptions,
): Promise<Map<string, BookingFacts[]>> {
  if (Number.isNaN(options.now.getTime()))
    throw new Error('loadBookingFacts: options.now is not a valid date');
  const ids = [...new Set(groupedBookingIds)];
  if (ids.length === 0) return new Map();
  // The utilization statements look expensive to the planner (multiranges, generate_series):
  // JIT would spend seconds compiling them on every call, for nothing. The first read turns it
  // off for the rest of the transaction (set_config(..., true), as SET LOCAL, without a round
  // trip of its own): the caller's transaction, where it stays in force until its end, or one
  // of our own.
  return db.isTransaction ? load(db, ids, options) : db.transaction((trx) => load(trx, ids, options));
}

async function load(
  db: Knex | Knex.Transaction,
  ids: readonly string[],
  options: LoadBookingFactsOptions,
): Promise<Map<string, BookingFacts[]>> {
  const now = options.now;
  const result = new Map<string, BookingFacts[]>();

  // 1. The reservations' rows (and JIT off, see loadBookingFacts).
  const { rows: fetched } = await db.raw<{
    rows: Array<ReservationRow & { jit?: string; settings_version: string | null }>;
  }>(
    `SELECT booking_id, device_id, user_id, is_collaborator, grouped_booking_id, start_time, end_time,
            status_canonical, set_config('jit', 'off', true) AS jit,
            CASE WHEN ?::boolean THEN (SELECT ${SETTINGS_VERSION_SQL}
                                         FROM (SELECT ${SETTINGS_SQL} AS settings, ${ROLES_SQL} AS roles) x)
            END AS settings_version
       FROM booking_table
      WHERE grouped_booking_id = ANY(?::varchar[])
      ORDER BY grouped_booking_id, device_id, booking_id`,
    [options.cache?.settings === undefined, [...ids]],
  );
  const reservationRows: ReservationRow[] = fetched.map(
    ({ jit: _jit, settings_version: _version, ...row }) => row,
  );
  if (reservationRows.length === 0) return result;
  const rowsByReservation = groupBy(reservationRows, (r) => r.grouped_booking_id);
  const decided: Decided[] = [];
  for (const [reservation, rows] of rowsByReservation) {
    for (const row of pickRows(rows)) decided.push({ reservation, row });
  }
  const deviceIds = sortNumbers(decided.map((d) => d.row.device_id));
  const requesterIds = sortNumbers(decided.map((d) => d.row.user_id));

  const cache = options.cache ?? createBookingFactsCache(now);
  if (cache.now !== now.getTime()) throw new Error('loadBookingFacts: the cache was made for another now');
  const missing = <T>(map: Map<number, T>) => deviceIds.filter((id) => !map.has(id));

  // 2. Settings and 3. the approval ladder (every role's limits): read and parsed again only when
  // the version the first read returned differs from the last one parsed (see SETTINGS_SQL).
  if (!cache.settings) {
    const version = fetched[0]!.settings_version;
    if (lastSettings && version !== null && lastSettings.version === version) {
      cache.settings = lastSettings.value;
    } else {
      const { rows: both } = await db.raw<{
        rows: Array<{
          settings: Array<{ key: string; value: unknown }>;
          roles: Array<{ role: string; status: string | null; approval_limits: unknown }>;
          version: string;
        }>;
      }>(
        `SELECT x.settings, x.roles, ${SETTINGS_VERSION_SQL} AS version
           FROM (SELECT ${SETTINGS_SQL} AS settings, ${ROLES_SQL} AS roles) x`,
      );
      const { settings: settingRows, roles: roleRows, version: read } = both[0]!;
      const parsed = parseRuleSettings(settingRows);
      const ladder = approvalLadder(
        roleRows.map((r) => ({ role: r.role, status: r.status, approvalLimits: r.approval_limits })),
        parsed.settings.approvalLimits,
      );
      cache.settings = { ...parsed, ladder };
      lastSettings = { version: read, value: cache.settings };
    }
  }
  const { settings, problems, ladder } = cache.settings;
  for (const problem of problems) {
    options.logger?.warn({ setting: problem }, problem);
    options.onSettingsProblem?.(problem);
  }

  // 4. Devices, 5. requesters with their admin role, 6. the devices' current owners: one
  // statement, each list as a JSON array (devices and owners only for ids not cached yet).
  const newDevices = missing(cache.devices);
  const newOwners = missing(cache.owners);
  const { rows: lists } = await db.raw<{
    rows: Array<{
      devices: Array<Omit<DeviceRow, 'maintenance_starts_at' | 'maintenance_ends_at'> & DeviceTimes>;
      requesters: RequesterRow[];
      owners: OwnerRow[];
    }>;
  }>(
    `SELECT (SELECT coalesce(json_agg(d), '[]')
               FROM (SELECT device_id, device_name, inventory_name, device_type_name, category, is_schedulable,
                            site_name, manufacturer_name, tags, scheduler_status, inventory_status,
                            inventory_device_id, maintenance_starts_at, maintenance_ends_at
                       FROM linked_devices
                      WHERE device_id = ANY(?::int[])) d) AS devices,
            (SELECT coalesce(json_agg(u), '[]')
               FROM (SELECT u.id, u.username, u.is_admin, r.role, r.status AS role_status, r.approval_limits
                       FROM user_table u
                       LEFT JOIN admin_roles r ON r.user_id = u.id
                      WHERE u.id = ANY(?::int[])) u) AS requesters,
            (SELECT coalesce(json_agg(o ORDER BY o.device_id, o.owner_id), '[]')
               FROM (SELECT o.device_id, o.owner_id, u.username
                       FROM device_ownership o
                       JOIN user_table u ON u.id = o.owner_id
                      WHERE o.device_id = ANY(?::int[]) AND o.revoked_at IS NULL) o) AS owners`,
    [newDevices, requesterIds, newOwners],
  );
  const { devices: deviceRows, requesters: requesterRows, owners: ownerRows } = lists[0]!;
  for (const id of newDevices) cache.devices.set(id, null);
  for (const d of deviceRows) {
    cache.devices.set(d.device_id, {
      ...d,
      maintenance_starts_at: jsonTime(d.maintenance_starts_at),
      maintenance_ends_at: jsonTime(d.maintenance_ends_at),
    });
  }
  const devices = new Map<number, DeviceRow>();
  for (const id of deviceIds) {
    const d = cache.devices.get(id);
    if (d) devices.set(id, d);
  }
  const requesters = new Map(requesterRows.map((r) => [r.id, r]));
  const byDevice = groupBy(ownerRows, (o) => o.device_id);
  for (const id of newOwners) cache.owners.set(id, byDevice.get(id) ?? []);
  const ownersByDevice = cache.owners;

  // What each decided row needs: its device type's turnaround, the limits and the search range.
  const turnaroundMs = (deviceId: number): number =>
    turnaroundFor(settings, devices.get(deviceId)?.device_type_name ?? null) * MINUTE_MS;
  const roleOf = (userId: number): string => {
    const r = requesters.get(userId);
    return r?.role && (r.role_status ?? 'active').trim().toLowerCase() === 'active' ? r.role : 'user';
  };
  const limitsOf = (row: ReservationRow) =>
    resolveLimits(settings.limits, {
      userId: row.user_id,
      role: roleOf(row.user_id),
      deviceType: devices.get(row.device_id)?.device_type_name ?? null,
    });
  // The span the free-window search may look at, per window.
  const ranges = decided.map(({ row }) => {
    const pad = turnaroundMs(row.device_id);
    const start = row.start_time.getTime();
    const end = row.end_time.getTime();
    return {
      deviceId: row.device_id,
      lo: Math.min(start, end) - pad,
      hi: Math.max(start + FREE_WINDOW_HORIZON_DAYS * DAY_MS, end) + pad,
    };
  });

  // 7. Maintenance records that may meet any window (a record lasts at least a day from its date).
  const inventoryIds = deviceIds.filter((id) => devices.get(id)?.inventory_device_id != null);
  const overallLo = Math.min(...ranges.map((r) => r.lo));
  const overallHi = Math.max(...ranges.map((r) => r.hi));
  const { rows: recordRows } =
    inventoryIds.length === 0
      ? { rows: [] as RecordRow[] }
      : await db.raw<{ rows: RecordRow[] }>(
          `SELECT t.id AS device_id, r.id AS record_id, r.maintenance_type, r.status, r.scheduled_date,
                  r.performed_date
             FROM device_table t
             JOIN maintenance_records r ON r.device_id = t.inventory_device_id
            WHERE t.id = ANY(?::int[])
              AND lower(btrim(r.status)) <> ALL(?::text[])
              AND least(r.scheduled_date, r.performed_date) < ?::timestamp
              AND (greatest(r.scheduled_date, r.performed_date) > ?::timestamp - interval '1 day'
                   OR lower(btrim(r.status)) IN ('in_progress', 'in progress', 'in-progress'))
            ORDER BY t.id, r.id`,
          [
            inventoryIds,
            ['cancelled', 'canceled', 'completed', 'complete', 'done'],
            new Date(overallHi).toISOString(),
            new Date(overallLo).toISOString(),
          ],
        );
  const recordsByDevice = groupBy(
    recordRows.flatMap((r) => {
      const window = maintenanceRecordWindow(
        { status: r.status, scheduledDate: r.scheduled_date, performedDate: r.performed_date },
        now,
      );
      return window ? [{ ...r, window }] : [];
    }),
    (r) => r.device_id,
  );

  // 8. Confirmed owner rows of the devices within the turnaround time of each window: the
  // conflicts. 9. Only for the windows something blocks, the rows up to the free-window horizon
  // (a window nothing blocks is its own next free window).
  const near = await busyRowsIn(
    db,
    decided.map(({ row }) => {
      const pad = turnaroundMs(row.device_id);
      const start = row.start_time.getTime();
      const end = row.end_time.getTime();
      return { deviceId: row.device_id, lo: Math.min(start, end) - pad, hi: Math.max(start, end) + pad };
    }),
  );
  const nearByDevice = groupBy(near, (b) => b.device_id);
  const blocked = decided.filter(({ row }) => {
    const pad = turnaroundMs(row.device_id);
    const start = row.start_time.getTime();
    const end = row.end_time.getTime();
    if (!(end > start)) return false;
    const meets = (s: number, e: number) => s < end + pad && e > start - pad;
    const device = devices.get(row.device_id);
    const typed = device
      ? deviceTableWindow(device.maintenance_starts_at, device.maintenance_ends_at, now)
      : null;
    return (
      (nearByDevice.get(row.device_id) ?? []).some(
        (b) =>
          b.grouped_booking_id !== row.grouped_booking_id &&
          meets(b.start_time.getTime(), b.end_time.getTime()),
      ) ||
      (typed !== null && meets(typed.startsAt.getTime(), typed.endsAt.getTime())) ||
      (recordsByDevice.get(row.device_id) ?? []).some((r) =>
        meets(r.window.startsAt.getTime(), r.window.endsAt.getTime()),
      )
    );
  });
  // (A window nothing blocks is its own next free window: no read when none is blocked.)
  const horizon =
    blocked.length === 0
      ? []
      : await busyRowsIn(
          db,
          blocked.map(({ row }) => ({
            deviceId: row.device_id,
            lo: row.start_time.getTime() - turnaroundMs(row.device_id),
            hi:
              Math.max(row.start_time.getTime() + FREE_WINDOW_HORIZON_DAYS * DAY_MS, row.end_time.getTime()) +
              turnaroundMs(row.device_id),
          })),
        );
  const horizonByDevice = groupBy(horizon, (b) => b.device_id);
  const blockedRows = new Set(blocked.map((d) => d.row));

  // 10. The requesters' own bookings that count toward usage: active and not over, or booked
  // (completed too) within the rolling window around the requests.
  const windowMsOf = new Map(decided.map(({ row }) => [row, limitsOf(row).bookedHoursWindowDays * DAY_MS]));
  const userRange = new Map<number, { lo: number; hi: number }>();
  for (const { row } of decided) {
    const w = windowMsOf.get(row)!;
    const lo = Math.min(row.start_time.getTime(), row.end_time.getTime()) - w;
    const hi = Math.max(row.start_time.getTime(), row.end_time.getTime()) + w;
    const seen = userRange.get(row.user_id);
    userRange.set(row.user_id, seen ? { lo: Math.min(seen.lo, lo), hi: Math.max(seen.hi, hi) } : { lo, hi });
  }
  const users = [...userRange.entries()];
  // Selected as UsageRow objects: thousands of rows per call, not worth copying.
  const { rows: usageRows } = await db.raw<{ rows: UsageRow[] }>(
    `SELECT b.device_id AS "deviceId", b.user_id AS "userId", b.grouped_booking_id AS "groupedBookingId",
            b.start_time AS "startsAt", b.end_time AS "endsAt", false AS "isCollaborator",
            b.status_canonical AS status
       FROM booking_table b
       JOIN unnest(?::int[], ?::timestamp[], ?::timestamp[]) AS q(user_id, lo, hi) ON q.user_id = b.user_id
      WHERE NOT b.is_collaborator
        AND b.status_canonical = ANY(?::text[])
        AND ((b.status_canonical = ANY(?::text[]) AND b.end_time > ?::timestamp)
             OR (b.start_time < q.hi AND b.end_time > q.lo))`,
    [
      users.map(([u]) => u),
      users.map(([, r]) => new Date(r.lo).toISOString()),
      users.map(([, r]) => new Date(r.hi).toISOString()),
      [...BOOKED_STATUSES],
      [...ACTIVE_STATUSES],
      now.toISOString(),
    ],
  );
  const usageByUser = userRows(usageRows, now);

  // 11-13. Utilization: the rollups' last 7 and 30 days, and the coming week counting pending
  // bookings, and the decided rows in that week that do not count already (assumed booked: what
  // the device's week would be if they were accepted).
  const newUtilization = missing(cache.utilization);
  if (newUtilization.length > 0) {
    for (const u of await deviceUtilizationFacts(db, newUtilization, now))
      cache.utilization.set(u.device_id, u);
  }
  const weekEnd = now.getTime() + 7 * DAY_MS;
  const assumed = decided.filter(
    ({ row }) =>
      !row.is_collaborator &&
      !ACTIVE_STATUSES.has(row.status_canonical!) &&
      row.start_time.getTime() < weekEnd &&
      row.end_time.getTime() > now.getTime(),
  );
  const assumedDevices = new Set(assumed.map(({ row }) => row.device_id));
  const weekDevices = deviceIds.filter((id) => assumedDevices.has(id) || !cache.week.has(id));
  const weekRows = new Map<number, ShareRow[]>();
  if (weekDevices.length > 0) {
    const shares = await comingWeekShares(db, {
      deviceIds: weekDevices,
      asOf: now,
      bookedStatuses: [...ACTIVE_STATUSES],
      assumeBookedIds: assumed.map(({ row }) => row.booking_id),
      // Only the requesters' shares are facts (and one row per device for its week): without a
      // cache kept for later calls, the rows of a device's other users are not worth sending.
      ...(options.cache ? {} : { reportUserIds: requesterIds }),
    });
    const byDevice = groupBy(shares, (x) => x.device_id);
    for (const id of weekDevices) {
      const list = byDevice.get(id) ?? [];
      weekRows.set(id, list);
      if (!assumedDevices.has(id)) cache.week.set(id, list);
    }
  }
  const weekOf = (deviceId: number) => weekRows.get(deviceId) ?? cache.week.get(deviceId) ?? [];

  // Assemble.
  const decidedByReservation = groupBy(decided, (d) => d.reservation);
  for (const [reservation, list] of decidedByReservation) {
    const rows = list.map((d) => d.row);
    const all = rowsByReservation.get(reservation)!;
    const ownerIds = new Set(rows.filter((r) => !r.is_collaborator).map((r) => r.user_id));
    const windows = rows.map(windowOf);
    const hours = rows.map((r) => hoursBetween(r.start_time, r.end_time));
    const groupedBooking = {
      id: reservation,
      deviceCount: rows.length,
      deviceIds: rows.map((r) => r.device_id),
      durationHours: Math.max(...hours),
      totalHours: hours.reduce((sum, h) => sum + Math.max(0, h), 0),
      collaboratorIds: sortNumbers(
        all.filter((r) => r.is_collaborator && !ownerIds.has(r.user_id)).map((r) => r.user_id),
      ),
    };
    const usageCache = new Map<string, UsageFact>();
    const facts: BookingFacts[] = [];
    for (const row of rows) {
      const device = devices.get(row.device_id);
      const requester = requesters.get(row.user_id);
      if (!device || !requester) {
        throw new Error(
          `loadBookingFacts: booking ${row.booking_id} refers to ${device ? `user ${row.user_id}` : `device ${row.device_id}`}, which does not exist`,
        );
      }
      facts.push(
        deviceFacts({
          row,
          reservationRows: rows,
          windows,
          groupedBooking,
          device,
          requester,
          role: roleOf(row.user_id),
          settings,
          ladder,
          owners: ownersByDevice.get(row.device_id) ?? [],
          records: recordsByDevice.get(row.device_id) ?? [],
          busy: nearByDevice.get(row.device_id) ?? [],
          horizon: blockedRows.has(row) ? (horizonByDevice.get(row.device_id) ?? []) : null,
          pad: turnaroundMs(row.device_id),
          limits: limitsOf(row),
          usage: (windowDays) => {
            const key = `${row.user_id}:${windowDays}`;
            let usage = usageCache.get(key);
            if (!usage) {
              usage = usageFor(
                row.user_id,
                reservation,
                windows,
                usageByUser.get(row.user_id),
                now,
                windowDays,
              );
              usageCache.set(key, usage);
            }
            return usage;
          },
          utilization: cache.utilization.get(row.device_id),
          week: weekOf(row.device_id)[0],
          share: weekOf(row.device_id).find((x) => x.user_id === row.user_id),
          now,
        }),
      );
    }
    result.set(reservation, facts);
  }
  return result;
}

/** Confirmed owner rows (not collaborator rows) of each device within each range. */
async function busyRowsIn(
  db: Knex | Knex.Transaction,
  ranges: ReadonlyArray<{ deviceId: number; lo: number; hi: number }>,
): Promise<BusyRow[]> {
  const { rows } = await db.raw<{ rows: BusyRow[] }>(
    `SELECT DISTINCT b.booking_id, b.device_id, b.user_id, b.grouped_booking_id, b.start_time, b.end_time
       FROM unnest(?::int[], ?::timestamp[], ?::timestamp[]) AS q(device_id, lo, hi)
      CROSS JOIN LATERAL (
        SELECT b.booking_id, b.device_id, b.user_id, b.grouped_booking_id, b.start_time, b.end_time
          FROM booking_table b
         WHERE b.device_id = q.device_id AND b.start_time < q.hi AND b.end_time > q.lo
           AND b.status_canonical = 'confirmed' AND NOT b.is_collaborator AND b.end_time > b.start_time
        OFFSET 0) b
      ORDER BY b.device_id, b.start_time, b.booking_id`,
    [
      ranges.map((r) => r.deviceId),
      ranges.map((r) => new Date(r.lo).toISOString()),
      ranges.map((r) => new Date(r.hi).toISOString()),
    ],
  );
  return rows;
}

interface UserRows {
  /** The user's counting rows, by start. */
  readonly byStart: readonly UsageRow[];
  /** Those active and not over at `now`. */
  readonly activeFuture: readonly UsageRow[];
}

function userRows(rows: readonly UsageRow[], now: Date): Map<number, UserRows> {
  const out = new Map<number, UserRows>();
  for (const [userId, list] of groupBy(rows, (r) => r.userId)) {
    const byStart = [...list].sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
    out.set(userId, {
      byStart,
      activeFuture: byStart.filter(
        (r) => ACTIVE_STATUSES.has(r.status!) && r.endsAt.getTime() > now.getTime(),
      ),
    });
  }
  return out;
}

function usageFor(
  userId: number,
  reservation: string,
  windows: readonly BookingWindow[],
  rows: UserRows | undefined,
  now: Date,
  windowDays: number,
): UsageFact {
  // Only rows that can matter to this request: booked near it, or active and not over.
  const w = windowDays * DAY_MS;
  const from = Math.min(...windows.map((x) => Math.min(x.startsAt.getTime(), x.endsAt.getTime()))) - w;
  const to = Math.max(...windows.map((x) => Math.max(x.startsAt.getTime(), x.endsAt.getTime()))) + w;
  const near = (r: UsageRow) => r.startsAt.getTime() < to && r.endsAt.getTime() > from;
  const relevant: UsageRow[] = [];
  for (const r of rows?.byStart ?? []) {
    if (r.startsAt.getTime() >= to) break;
    if (r.endsAt.getTime() > from) relevant.push(r);
  }
  for (const r of rows?.activeFuture ?? []) if (!near(r)) relevant.push(r);
  return summarizeUsage({
    requesterId: userId,
    request: { groupedBookingId: reservation, windows },
    rows: relevant,
    now,
    windowDays,
  });
}

interface DeviceFactsInput {
  row: ReservationRow;
  reservationRows: readonly ReservationRow[];
  windows: readonly BookingWindow[];
  groupedBooking: BookingFacts['groupedBooking'];
  device: DeviceRow;
  requester: RequesterRow;
  role: string;
  settings: RuleSettings;
  ladder: RoleLadder;
  owners: ReadonlyArray<{ owner_id: number; username: string }>;
  records: ReadonlyArray<RecordRow & { window: { startsAt: Date; endsAt: Date } }>;
  /** Confirmed owner rows of the device within the turnaround time of the window. */
  busy: readonly BusyRow[];
  /** Those up to the free-window horizon, when something blocks the window; else null. */
  horizon: readonly BusyRow[] | null;
  pad: number;
  limits: BookingFacts['limits'];
  usage: (windowDays: number) => UsageFact;
  utilization: UtilizationRow | undefined;
  week: ShareRow | undefined;
  share: ShareRow | undefined;
  now: Date;
}

function deviceFacts(input: DeviceFactsInput): BookingFacts {
  const { row, device, requester, settings, now, pad } = input;
  const start = row.start_time.getTime();
  const end = row.end_time.getTime();
  const valid = end > start;
  const meets = (s: number, e: number, padMs = 0) => valid && s < end + padMs && e > start - padMs;

  // Conflicts: other reservations' confirmed owner rows.
  const others = input.busy.filter((b) => b.grouped_booking_id !== row.grouped_booking_id);
  const overlapping = others.filter((b) => meets(b.start_time.getTime(), b.end_time.getTime()));
  const tooClose =
    pad > 0
      ? others.filter(
          (b) =>
            !meets(b.start_time.getTime(), b.end_time.getTime()) &&
            meets(b.start_time.getTime(), b.end_time.getTime(), pad),
        )
      : [];

  // Maintenance: the device's own window and the inventory's records.
  const typed = deviceTableWindow(device.maintenance_starts_at, device.maintenance_ends_at, now);
  const scheduled = input.records.filter(
    (r) =>
      r.status.trim().toLowerCase() === SCHEDULED_RECORD_STATUS &&
      meets(r.window.startsAt.getTime(), r.window.endsAt.getTime()),
  );
  const free = nextFreeWindow({
    from: row.start_time,
    durationMs: end - start,
    busy: [
      ...(input.horizon ?? input.busy)
        .filter((b) => b.grouped_booking_id !== row.grouped_booking_id)
        .map((b) => ({ startsAt: b.start_time, endsAt: b.end_time })),
      ...(typed ? [typed] : []),
      ...input.records.map((r) => r.window),
    ],
    turnaroundMs: pad,
  });

  const owners = input.owners;
  const requesterIsOwner = owners.some((o) => o.owner_id === row.user_id);
  const ownApprovalLimits = input.role === 'user' ? null : requester.approval_limits;
  const approvalLimits = requesterApprovalLimits({ role: input.role, ownApprovalLimits }, input.ladder);
  const week = input.week;
  const share = input.share;

  return {
    booking: {
      id: row.booking_id,
      groupedBookingId: row.grouped_booking_id,
      deviceId: row.device_id,
      userId: row.user_id,
      startsAt: isoTime(row.start_time),
      endsAt: isoTime(row.end_time),
      durationHours: hoursBetween(row.start_time, row.end_time),
      startsInHours: (start - now.getTime()) / HOUR_MS,
      isCollaborator: row.is_collaborator,
      status: row.status_canonical,
    },
    groupedBooking: input.groupedBooking,
    device: {
      id: device.device_id,
      name: device.device_name ?? device.inventory_name,
      type: device.device_type_name,
      category: device.category,
      isSchedulable: device.is_schedulable,
      site: device.site_name,
      manufacturer: device.manufacturer_name,
      tags: device.tags ?? [],
      schedulerStatus: normalizeStatus(device.scheduler_status),
      inventoryStatus: normalizeStatus(device.inventory_status),
      statusBookable: isStatusBookable(device.scheduler_status, device.inventory_status),
      inventoryDeviceId: device.inventory_device_id,
    },
    requester: {
      id: requester.id,
      username: requester.username,
      role: input.role,
      isAdmin: requester.is_admin === true,
      approvalLimits,
    },
    ownership: {
      ownerIds: owners.map((o) => o.owner_id),
      ownerNames: owners.map((o) => o.username),
      requesterIsOwner,
      ownedByAnother: owners.length > 0 && !requesterIsOwner,
    },
    conflicts: {
      count: overlapping.length,
      bookingIds: overlapping.map((b) => b.booking_id),
      windows: overlapping.map((b) => ({
        bookingId: b.booking_id,
        userId: b.user_id,
        startsAt: isoTime(b.start_time),
        endsAt: isoTime(b.end_time),
      })),
      turnaroundCount: tooClose.length,
      turnaroundBookingIds: tooClose.map((b) => b.booking_id),
      nextFreeStartsAt: free ? isoTime(free.startsAt) : null,
      nextFreeEndsAt: free ? isoTime(free.endsAt) : null,
    },
    maintenance: {
      windowOverlaps: typed !== null && meets(typed.startsAt.getTime(), typed.endsAt.getTime()),
      windowStartsAt: device.maintenance_starts_at ? isoTime(device.maintenance_starts_at) : null,
      windowEndsAt: device.maintenance_ends_at ? isoTime(device.maintenance_ends_at) : null,
      scheduledCount: scheduled.length,
      scheduledRecordIds: scheduled.map((r) => r.record_id),
      records: scheduled.map((r) => ({
        id: r.record_id,
        type: r.maintenance_type,
        scheduledAt: isoTime(r.window.startsAt),
      })),
    },
    usage: input.usage(input.limits.bookedHoursWindowDays),
    limits: input.limits,
    approval: resolveApproval({
      requestedHours: input.groupedBooking.durationHours,
      requestedDevices: input.groupedBooking.deviceCount,
      requesterLimits: approvalLimits,
      ladder: input.ladder,
    }),
    utilization: {
      ratio7d: input.utilization?.last7d.utilization ?? null,
      ratio30d: input.utilization?.last30d.utilization ?? null,
      nextWeekRatio: week?.device_utilization ?? 0,
      requesterNextWeekHours: (share?.user_booked_seconds ?? 0) / 3600,
      requesterNextWeekShare: share?.share_of_booked ?? 0,
    },
    settings: {
      enforcement: settings.enforcement,
      maxBookingHours: settings.maxBookingHours,
      maxBookingDevices: settings.maxBookingDevices,
      turnaroundMinutes: pad / MINUTE_MS,
    },
  };
}
