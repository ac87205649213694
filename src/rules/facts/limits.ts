/**
 * Limits and approval thresholds, computed for the `limits` and `approval` facts. Pure
 * functions: the fact loader reads the rows, these decide what they mean, so the meaning is
 * defined (and tested) in one place.
 *
 * Usage limits: for each limit separately, the most specific scope that sets it wins:
 * user, then role, then device type, then global. A scope sets a limit when it has the key,
 * even with null ("no limit for this user"); a scope without the key inherits.
 *
 * Approval limits: what a role may approve (window length in hours, devices per reservation).
 * Roles are ranked by their limits; the approver of a reservation is the lowest role whose
 * limits cover it.
 */
import type { z } from 'zod';
import type { approvalFact, LimitScope, limitsFact } from './people';
import type { ApprovalLimits, LimitScopes, LimitValues } from './settings';

export type LimitsFact = z.infer<typeof limitsFact>;
export type ApprovalFact = z.infer<typeof approvalFact>;

const LIMIT_KEYS = [
  'maxActiveBookings',
  'maxBookedHours',
  'bookedHoursWindowDays',
  'maxDevicesAtOnce',
] as const;
export const DEFAULT_BOOKED_HOURS_WINDOW_DAYS = 7;

export function resolveLimits(
  scopes: LimitScopes,
  who: { userId: number; role: string; deviceType: string | null },
): LimitsFact {
  const pick = <T>(record: Record<string, T> | undefined, key: string | null): T | undefined =>
    record && key !== null && Object.hasOwn(record, key) ? record[key] : undefined;
  const ordered: Array<[LimitScope, LimitValues | undefined]> = [
    ['user', pick(scopes.users, String(who.userId))],
    ['role', pick(scopes.roles, who.role)],
    ['deviceType', pick(scopes.deviceTypes, who.deviceType)],
    ['global', scopes.global],
  ];
  const values: Record<string, number | null> = {};
  const sources: Record<string, LimitScope | null> = {};
  for (const key of LIMIT_KEYS) {
    const hit = ordered.find(([, v]) => v !== undefined && Object.hasOwn(v, key) && v[key] !== undefined);
    values[key] = hit ? (hit[1]![key] ?? null) : null;
    sources[key] = hit ? hit[0] : null;
  }
  return {
    maxActiveBookings: values.maxActiveBookings ?? null,
    maxBookedHours: values.maxBookedHours ?? null,
    // The window has a length even when no scope sets it.
    bookedHoursWindowDays: values.bookedHoursWindowDays ?? DEFAULT_BOOKED_HOURS_WINDOW_DAYS,
    maxDevicesAtOnce: values.maxDevicesAtOnce ?? null,
    sources: {
      maxActiveBookings: sources.maxActiveBookings ?? null,
      maxBookedHours: sources.maxBookedHours ?? null,
      bookedHoursWindowDays: sources.bookedHoursWindowDays ?? null,
      maxDevicesAtOnce: sources.maxDevicesAtOnce ?? null,
    },
  };
}

const HOURS_KEYS = ['maxHours', 'max_hours', 'hours'];
const DEVICES_KEYS = ['maxDevices', 'max_devices', 'devices'];

/**
 * Reads admin_roles.approval_limits as the scheduler stores it. Accepted keys: maxHours,
 * max_hours or hours; maxDevices, max_devices or devices. A missing or null measure is
 * unlimited. Null when no recognised key is present (nothing configured) or the value is not
 * an object; a value that is not a non-negative number makes that measure 0 (approves nothing),
 * so a typo never widens what a role may approve.
 */
export function parseApprovalLimits(raw: unknown): ApprovalLimits | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const record = raw as Record<string, unknown>;
  const read = (keys: string[]): { present: boolean; value: number | null } => {
    const key = keys.find((k) => Object.hasOwn(record, k));
    if (key === undefined) return { present: false, value: null };
    const v = record[key];
    if (v === null) return { present: true, value: null };
    return { present: true, value: typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0 };
  };
  const hours = read(HOURS_KEYS);
  const devices = read(DEVICES_KEYS);
  if (!hours.present && !devices.present) return null;
  return { maxHours: hours.value, maxDevices: devices.value };
}

export interface RoleLimits {
  readonly role: string;
  readonly limits: ApprovalLimits;
}

const measure = (v: number | null) => (v === null ? Number.POSITIVE_INFINITY : v);
const smaller = (a: number | null, b: number | null) => (measure(a) <= measure(b) ? a : b);

/**
 * The roles that can approve, least generous first. A role's limits come from admin_settings
 * "rules.approvalLimits" when set there, else from its active admin_roles rows (the smallest
 * of each measure across the rows: what every holder of the role may approve). Roles with no
 * limits configured anywhere are not approvers.
 */
export function approvalLadder(
  rows: ReadonlyArray<{ role: string; status: string | null; approvalLimits: unknown }>,
  fromSettings: Readonly<Record<string, ApprovalLimits>>,
): RoleLimits[] {
  const byRole = new Map<string, ApprovalLimits>();
  for (const row of rows) {
    if ((row.status ?? 'active').trim().toLowerCase() !== 'active') continue;
    const limits = parseApprovalLimits(row.approvalLimits);
    if (!limits) continue;
    const seen = byRole.get(row.role);
    byRole.set(
      row.role,
      seen
        ? {
            maxHours: smaller(seen.maxHours, limits.maxHours),
            maxDevices: smaller(seen.maxDevices, limits.maxDevices),
          }
        : limits,
    );
  }
  for (const [role, limits] of Object.entries(fromSettings)) byRole.set(role, limits);
  return [...byRole.entries()]
    .map(([role, limits]) => ({ role, limits }))
    .sort(
      (a, b) =>
        measure(a.limits.maxHours) - measure(b.limits.maxHours) ||
        measure(a.limits.maxDevices) - measure(b.limits.maxDevices) ||
        (a.role < b.role ? -1 : a.role > b.role ? 1 : 0),
    );
}

export function covers(limits: ApprovalLimits, hours: number, devices: number): boolean {
  return hours <= measure(limits.maxHours) && devices <= measure(limits.maxDevices);
}

/**
 * The requester's own approval limits: their admin_roles row's, if configured there, else
 * their role's on the ladder, else null (none configured: approval thresholds do not limit them).
 */
export function requesterApprovalLimits(
  requester: { role: string; ownApprovalLimits: unknown },
  ladder: readonly RoleLimits[],
): ApprovalLimits | null {
  return (
    parseApprovalLimits(requester.ownApprovalLimits) ??
    ladder.find((r) => r.role === requester.role)?.limits ??
    null
  );
}

export function resolveApproval(input: {
  requestedHours: number;
  requestedDevices: number;
  requesterLimits: ApprovalLimits | null;
  ladder: readonly RoleLimits[];
}): ApprovalFact {
  const { requestedHours: hours, requestedDevices: devices } = input;
  const approver = input.ladder.find((r) => covers(r.limits, hours, devices));
  return {
    requestedHours: hours,
    requestedDevices: devices,
    withinRequesterLimits: input.requesterLimits === null || covers(input.requesterLimits, hours, devices),
    approverRole: approver?.role ?? null,
    withinAnyRoleLimits: approver !== undefined,
  };
}
