/**
 * The admin_settings keys the rules read, and their values (JSON in admin_settings.value).
 * The fact loader reads the rows whose key starts with `rules.` and parses them here. A value
 * that does not parse is ignored (its default applies) and reported as a problem: a typo in a
 * setting must not stop the worker, but it must be visible in the logs.
 */
import { z } from 'zod';
import { ENFORCEMENT_MODES } from './people';

export const SETTING_KEYS = Object.freeze({
  /** "advisory" (default) or "enforce". */
  enforcement: 'rules.enforcement',
  /** {"hours": 72, "devices": 8}: global maximum window length and devices per reservation. */
  maxBooking: 'rules.maxBooking',
  /** {"OTDR": 30, "*": 0}: turnaround minutes by device type name; "*" for any other type. */
  turnaroundMinutes: 'rules.turnaroundMinutes',
  /** Usage limits by scope, see LimitScopes. */
  limits: 'rules.limits',
  /** {"user": {"maxHours": 4, "maxDevices": 1}, "Operator": {...}}: approval limits by role. */
  approvalLimits: 'rules.approvalLimits',
});

const count = z.number().min(0);

/** One scope's limits. An absent key inherits from the next scope; null means "no limit". */
export const limitValuesSchema = z.strictObject({
  maxActiveBookings: count.nullable().optional(),
  maxBookedHours: count.nullable().optional(),
  bookedHoursWindowDays: z.number().positive().max(366).optional(),
  maxDevicesAtOnce: count.nullable().optional(),
});
export type LimitValues = z.infer<typeof limitValuesSchema>;

export const limitScopesSchema = z.strictObject({
  global: limitValuesSchema.optional(),
  roles: z.record(z.string(), limitValuesSchema).optional(),
  deviceTypes: z.record(z.string(), limitValuesSchema).optional(),
  /** Keyed by user id. */
  users: z.record(z.string().regex(/^\d+$/), limitValuesSchema).optional(),
});
export type LimitScopes = z.infer<typeof limitScopesSchema>;

export const approvalLimitsSchema = z.strictObject({
  maxHours: count.nullable(),
  maxDevices: count.nullable(),
});
export type ApprovalLimits = z.infer<typeof approvalLimitsSchema>;

const settingSchemas = {
  enforcement: z.enum(ENFORCEMENT_MODES),
  maxBooking: z.strictObject({ hours: count.nullable().optional(), devices: count.nullable().optional() }),
  turnaroundMinutes: z.record(z.string(), count),
  limits: limitScopesSchema,
  approvalLimits: z.record(z.string(), approvalLimitsSchema.partial()),
};

export interface RuleSettings {
  readonly enforcement: (typeof ENFORCEMENT_MODES)[number];
  readonly maxBookingHours: number | null;
  readonly maxBookingDevices: number | null;
  readonly turnaroundMinutes: Readonly<Record<string, number>>;
  readonly limits: LimitScopes;
  /** Role -> approval limits set in admin_settings (they take precedence over admin_roles rows). */
  readonly approvalLimits: Readonly<Record<string, ApprovalLimits>>;
}

export const DEFAULT_RULE_SETTINGS: RuleSettings = Object.freeze({
  enforcement: 'advisory',
  maxBookingHours: null,
  maxBookingDevices: null,
  turnaroundMinutes: {},
  limits: {},
  approvalLimits: {},
});

/** Parses the `rules.*` rows of admin_settings; unknown keys under `rules.` are reported. */
export function parseRuleSettings(rows: ReadonlyArray<{ key: string; value: unknown }>): {
  settings: RuleSettings;
  problems: string[];
} {
  const problems: string[] = [];
  const out: { -readonly [K in keyof RuleSettings]: RuleSettings[K] } = { ...DEFAULT_RULE_SETTINGS };
  const byKey = new Map<string, keyof typeof SETTING_KEYS>(
    Object.entries(SETTING_KEYS).map(([name, key]) => [key, name as keyof typeof SETTING_KEYS]),
  );
  for (const { key, value } of rows) {
    const name = byKey.get(key);
    if (!name) {
      if (key.startsWith('rules.')) problems.push(`admin_settings "${key}" is not a rules setting (ignored)`);
      continue;
    }
    const parsed = settingSchemas[name].safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const at = issue.path.length ? ` at ${issue.path.join('.')}` : '';
      problems.push(
        `admin_settings "${key}" = ${JSON.stringify(value)} is invalid${at}: ${issue.message} (the default is used)`,
      );
      continue;
    }
    switch (name) {
      case 'enforcement':
        out.enforcement = parsed.data as RuleSettings['enforcement'];
        break;
      case 'maxBooking': {
        const data = parsed.data as { hours?: number | null; devices?: number | null };
        out.maxBookingHours = data.hours ?? null;
        out.maxBookingDevices = data.devices ?? null;
        break;
      }
      case 'turnaroundMinutes':
        out.turnaroundMinutes = parsed.data as Record<string, number>;
        break;
      case 'limits':
        out.limits = parsed.data as LimitScopes;
        break;
      case 'approvalLimits': {
        const data = parsed.data as Record<string, Partial<ApprovalLimits>>;
        out.approvalLimits = Object.fromEntries(
          Object.entries(data).map(([role, l]) => [
            role,
            { maxHours: l.maxHours ?? null, maxDevices: l.maxDevices ?? null },
          ]),
        );
        break;
      }
    }
  }
  return { settings: Object.freeze(out), problems };
}

/** Turnaround minutes for a device type: its own entry, else "*", else 0. */
export function turnaroundFor(settings: RuleSettings, deviceType: string | null): number {
  const table = settings.turnaroundMinutes;
  if (deviceType !== null && Object.hasOwn(table, deviceType)) return table[deviceType]!;
  return Object.hasOwn(table, '*') ? table['*']! : 0;
}
