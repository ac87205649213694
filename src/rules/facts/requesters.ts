/**
 * The `requester` fact from the database, for any number of users in three queries: their
 * `user_table` rows, every `admin_roles` row (the approval ladder needs all roles) and the
 * admin_settings `rules.approvalLimits` value. The meaning of the rows (role, approval limits)
 * is decided by the pure functions of ./limits.ts and ./settings.ts, as for bookings.
 *
 * - `role`: the user's `admin_roles.role` when that row's status is `active`, else `user`;
 * - `isAdmin`: `user_table.is_admin` (null counts as false);
 * - `approvalLimits`: their own row's `approval_limits` when configured there, else their
 *   role's on the ladder (admin_settings first), else null.
 *
 * A setting that cannot be read is ignored (its default applies) and returned in `problems` for
 * the caller to log.
 */
import type { Knex } from 'knex';
import type { z } from 'zod';
import { approvalLadder, requesterApprovalLimits } from './limits';
import type { requesterFact } from './people';
import { parseRuleSettings, SETTING_KEYS } from './settings';

export type RequesterFact = z.infer<typeof requesterFact>;

export interface LoadedRequesters {
  /** By user id; users that do not exist are absent. */
  requesters: Map<number, RequesterFact>;
  /** Settings that could not be read (ignored). */
  problems: string[];
}

interface UserRow {
  id: number;
  username: string;
  is_admin: boolean | null;
}

interface RoleRow {
  user_id: number;
  role: string;
  status: string | null;
  approval_limits: unknown;
}

const isActive = (status: string | null) => (status ?? 'active').trim().toLowerCase() === 'active';

export async function loadRequesters(db: Knex, userIds: readonly number[]): Promise<LoadedRequesters> {
  const ids = [...new Set(userIds)];
  if (ids.length === 0) return { requesters: new Map(), problems: [] };
  const { rows: users } = await db.raw<{ rows: UserRow[] }>(
    'SELECT id, username, is_admin FROM user_table WHERE id = ANY(?::int[])',
    [ids],
  );
  const { rows: roles } = await db.raw<{ rows: RoleRow[] }>(
    'SELECT user_id, role, status, approval_limits FROM admin_roles ORDER BY id',
  );
  const { rows: settingRows } = await db.raw<{ rows: Array<{ key: string; value: unknown }> }>(
    'SELECT key, value FROM admin_settings WHERE key = ?',
    [SETTING_KEYS.approvalLimits],
  );
  const { settings, problems } = parseRuleSettings(settingRows);
  const ladder = approvalLadder(
    roles.map((r) => ({ role: r.role, status: r.status, approvalLimits: r.approval_limits })),
    settings.approvalLimits,
  );
  const roleOf = new Map<number, RoleRow>();
  for (const row of roles) if (isActive(row.status)) roleOf.set(row.user_id, row);

  const requesters = new Map<number, RequesterFact>();
  for (const user of users) {
    const own = roleOf.get(user.id);
    const role = own?.role ?? 'user';
    requesters.set(user.id, {
      id: user.id,
      username: user.username,
      role,
      isAdmin: user.is_admin === true,
      approvalLimits: requesterApprovalLimits(
        { role, ownApprovalLimits: own?.approval_limits ?? null },
        ladder,
      ),
    });
  }
  return { requesters, problems };
}
