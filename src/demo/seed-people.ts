/**
 * People of the seeded lab: users (`user_table`), their roles and approval limits
 * (`admin_roles`), the rule settings (`admin_settings`) and two invitations.
 *
 * Of `users` users: 1 administrator, 8% lab managers (at least 1), 33% researchers (at least 5),
 * 1 viewer whose role is inactive, the rest students (at least 5), so the demo's
 * scenario (four researchers, three students) always has its people. The last researcher's role is
 * suspended and the last student has no role row at all (a user from before roles existed).
 */
import {
  APPROVAL_LIMITS,
  FIRST_NAMES,
  LAST_NAMES,
  MAX_BOOKING,
  PERMISSIONS,
  ROLES,
  type RoleKey,
  TURNAROUND_MINUTES,
  USAGE_LIMITS,
} from './catalog';
import { fromNow, insertRows, json, type SeedContext } from './context';

export interface SeededUser {
  id: number;
  username: string;
  /** Which kind of person; `role` is what their admin_roles row says (null: no row). */
  kind: RoleKey;
  role: string | null;
  roleStatus: string | null;
  approvalLimits: { max_hours: number; max_devices: number } | null;
}

export interface SeededPeople {
  users: SeededUser[];
  admin: SeededUser;
  managers: SeededUser[];
  researchers: SeededUser[];
  students: SeededUser[];
  viewer: SeededUser;
  /** admin_settings keys and values as stored. */
  settings: Record<string, unknown>;
}

/** The setting keys the rule engine reads, and a few the scheduler itself keeps. */
export const SETTINGS = Object.freeze({
  'rules.enforcement': 'advisory',
  'rules.maxBooking': MAX_BOOKING,
  'rules.limits': USAGE_LIMITS,
  'rules.turnaroundMinutes': TURNAROUND_MINUTES,
  'scheduler.lab_name': 'Optical Testbed Lab',
  'scheduler.booking_horizon_days': 30,
});

function composition(total: number): RoleKey[] {
  const managers = Math.max(1, Math.round(total * 0.08));
  const researchers = Math.max(5, Math.round(total * 0.33));
  const students = total - 2 - managers - researchers;
  return [
    'admin',
    ...Array<RoleKey>(managers).fill('manager'),
    ...Array<RoleKey>(researchers).fill('researcher'),
    'viewer',
    ...Array<RoleKey>(students).fill('student'),
  ];
}

function usernames(ctx: SeedContext, count: number): string[] {
  const taken = new Set<string>(['admin']);
  const out = ['admin'];
  while (out.length < count) {
    const first = ctx.rng.pick(FIRST_NAMES);
    const last = ctx.rng.pick(LAST_NAMES);
    const base = `${first[0]}${last}`.toLowerCase();
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}${n}`;
    taken.add(name);
    out.push(name);
  }
  return out;
}

export async function seedPeople(ctx: SeedContext): Promise<SeededPeople> {
  const { rng } = ctx;
  const kinds = composition(ctx.options.users);
  const names = usernames(ctx, kinds.length);
  const userRows = kinds.map((kind, i) => ({
    discord_id: rng.chance(0.4)
      ? String(rng.int(100_000_000, 999_999_999)) + rng.chars(9, '0123456789')
      : null,
    username: names[i],
    // A few legacy accounts have no address.
    email: i > 0 && rng.chance(0.08) ? null : `${names[i]}@lab.example`,
    // bcrypt-shaped placeholders: nobody can log in with them.
    password: `$2b$12$${rng.chars(53, './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}`,
    // The legacy column is nullable and some old rows left it NULL.
    is_admin: kind === 'admin' ? true : rng.chance(0.1) ? null : false,
  }));
  const inserted = await insertRows<{ id: number; username: string }>(ctx.db, 'user_table', userRows, [
    'id',
    'username',
  ]);
  const idOf = new Map(inserted.map((r) => [r.username, r.id]));

  const lastResearcher = kinds.lastIndexOf('researcher');
  const lastStudent = kinds.lastIndexOf('student');
  const users: SeededUser[] = kinds.map((kind, i) => {
    const username = names[i] as string;
    const hasRole = i !== lastStudent;
    const status =
      kind === 'viewer' ? 'inactive' : i === lastResearcher ? 'suspended' : hasRole ? 'active' : null;
    return {
      id: idOf.get(username) as number,
      username,
      kind,
      role: hasRole ? ROLES[kind] : null,
      roleStatus: status,
      approvalLimits: hasRole ? APPROVAL_LIMITS[kind] : null,
    };
  });
  const admin = users[0] as SeededUser;

  const created = fromNow(ctx, -24 * 400);
  const roleRows = await insertRows<{ id: number; user_id: number }>(
    ctx.db,
    'admin_roles',
    users
      .filter((u) => u.role !== null)
      .map((u) => ({
        user_id: u.id,
        role: u.role,
        status: u.roleStatus,
        permissions: json(PERMISSIONS[u.kind]),
        approval_limits: json(u.approvalLimits),
        created_at: created,
        updated_at: u.roleStatus === 'active' ? created : fromNow(ctx, -24 * 20),
      })),
    ['id', 'user_id'],
  );
  const roleOf = new Map(users.map((u) => [u.id, u]));
  // The admin's trail of role grants; entity_id is text in the legacy schema.
  await insertRows(
    ctx.db,
    'admin_audit_log',
    roleRows
      .sort((a, b) => a.id - b.id)
      .map((r) => ({
        actor_id: admin.id,
        actor_role: ROLES.admin,
        action: 'role.assigned',
        entity_type: 'admin_roles',
        entity_id: String(r.id),
        payload: json({ user_id: r.user_id, role: roleOf.get(r.user_id)?.role }),
        outcome: 'success',
        message: `${roleOf.get(r.user_id)?.username} is ${roleOf.get(r.user_id)?.role}`,
        created_at: created,
      })),
  );

  await insertRows(
    ctx.db,
    'admin_settings',
    Object.entries(SETTINGS).map(([key, value], i) => ({
      key,
      value: json(value),
      updated_at: fromNow(ctx, -24 * 60 + i),
      updated_by: admin.id,
    })),
  );

  const manager = users.find((u) => u.kind === 'manager') as SeededUser;
  await insertRows(ctx.db, 'admin_invitations', [
    {
      email: 'visiting.scholar@partner.example',
      handle: 'vscholar',
      role: ROLES.researcher,
      invited_by: manager.id,
      token: rng.hex(64),
      expires_at: fromNow(ctx, 24 * 6),
      created_at: fromNow(ctx, -24),
      accepted_at: null,
    },
    {
      email: `${(users[users.length - 1] as SeededUser).username}@lab.example`,
      handle: null,
      role: ROLES.student,
      invited_by: admin.id,
      token: rng.hex(64),
      expires_at: fromNow(ctx, -24 * 300),
      created_at: fromNow(ctx, -24 * 307),
      accepted_at: fromNow(ctx, -24 * 305),
    },
  ]);

  return {
    users,
    admin,
    managers: users.filter((u) => u.kind === 'manager'),
    researchers: users.filter((u) => u.kind === 'researcher'),
    students: users.filter((u) => u.kind === 'student'),
    viewer: users.find((u) => u.kind === 'viewer') as SeededUser,
    settings: { ...SETTINGS },
  };
}
