/**
 * The fact catalog: the fixed list of facts a policy may use. Rule files name facts and paths
 * into them; they never run code or queries. The fact loader reads what one decision needs in a
 * few set-based queries and hands the whole object to the engine as runtime facts, so no fact
 * is ever fetched per condition.
 *
 * Everything about a fact lives in its zod schema (./booking.ts, ./people.ts, ./topology.ts):
 * the shape checked when a rule file is validated, the TypeScript type the loader must produce,
 * the description and example printed in docs/rules.md, and the validation of test-case facts.
 */
import { z } from 'zod';
import { bookingFact, conflictsFact, deviceFact, groupedBookingFact, maintenanceFact } from './booking';
import {
  approvalFact,
  limitsFact,
  ownershipFact,
  requesterFact,
  settingsFact,
  usageFact,
  utilizationFact,
} from './people';
import { metaOf, objectFields } from './shape';
import { topologyFact } from './topology';

export const POLICY_KINDS = ['booking', 'topology'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

export interface FactDefinition {
  readonly name: string;
  readonly appliesTo: readonly PolicyKind[];
  readonly description: string;
  readonly schema: z.ZodType;
  /** Built from the examples of the fields; checked against the schema by the tests. */
  readonly example: unknown;
}

function fact(
  name: string,
  appliesTo: readonly PolicyKind[],
  description: string,
  schema: z.ZodType,
): FactDefinition {
  return Object.freeze({ name, appliesTo, description, schema, example: exampleOf(schema) });
}

function exampleOf(schema: z.ZodType): unknown {
  const fields = objectFields(schema);
  if (!fields) return metaOf(schema)?.example;
  const out: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(fields)) out[name] = metaOf(child)?.example ?? exampleOf(child);
  return out;
}

const BOOKING: readonly PolicyKind[] = ['booking'];

export const FACT_CATALOG: readonly FactDefinition[] = Object.freeze([
  fact('booking', BOOKING, 'The booking row being decided (one device of a reservation).', bookingFact),
  fact('groupedBooking', BOOKING, 'The whole reservation the booking belongs to.', groupedBookingFact),
  fact('device', BOOKING, 'The device booked: type, category, site, manufacturer, tags, status.', deviceFact),
  fact(
    'requester',
    ['booking', 'topology'],
    'The user asking: for a booking the booking owner, for a topology its author.',
    requesterFact,
  ),
  fact('ownership', BOOKING, 'Who owns the device and whether the requester does.', ownershipFact),
  fact(
    'conflicts',
    BOOKING,
    'Confirmed bookings of the same device that overlap the window or violate the turnaround time, and the next free window.',
    conflictsFact,
  ),
  fact(
    'maintenance',
    BOOKING,
    "The device's maintenance window and scheduled maintenance records that meet the booking.",
    maintenanceFact,
  ),
  fact('usage', BOOKING, 'What the requester holds, counting this booking.', usageFact),
  fact(
    'limits',
    BOOKING,
    'The usage limits that apply to this requester and device: for each limit the most specific of user, role, device type and global settings.',
    limitsFact,
  ),
  fact(
    'approval',
    BOOKING,
    'The reservation measured against the approval limits of the roles (admin_roles.approval_limits).',
    approvalFact,
  ),
  fact('utilization', BOOKING, 'How busy the device was and will be.', utilizationFact),
  fact('settings', BOOKING, 'Rule settings from admin_settings.', settingsFact),
  fact('topology', ['topology'], 'The topology being reviewed.', topologyFact),
]);

const BY_NAME: ReadonlyMap<string, FactDefinition> = new Map(FACT_CATALOG.map((f) => [f.name, f]));

export function findFact(name: string): FactDefinition | undefined {
  return BY_NAME.get(name);
}

export function factsFor(kind: PolicyKind): readonly FactDefinition[] {
  return FACT_CATALOG.filter((f) => f.appliesTo.includes(kind));
}

export const bookingFactsSchema = z.strictObject({
  booking: bookingFact,
  groupedBooking: groupedBookingFact,
  device: deviceFact,
  requester: requesterFact,
  ownership: ownershipFact,
  conflicts: conflictsFact,
  maintenance: maintenanceFact,
  usage: usageFact,
  limits: limitsFact,
  approval: approvalFact,
  utilization: utilizationFact,
  settings: settingsFact,
});

export const topologyFactsSchema = z.strictObject({
  topology: topologyFact,
  requester: requesterFact,
});

/** Everything a booking evaluation needs, as the fact loader must produce it. */
export type BookingFacts = z.infer<typeof bookingFactsSchema>;
/** Everything a topology evaluation needs. */
export type TopologyFacts = z.infer<typeof topologyFactsSchema>;
export type FactsOf<K extends PolicyKind> = K extends 'booking' ? BookingFacts : TopologyFacts;

export function factsSchema(kind: PolicyKind): z.ZodType {
  return kind === 'booking' ? bookingFactsSchema : topologyFactsSchema;
}

/** An example facts object for a kind, assembled from the catalog's examples. */
export function exampleFacts(kind: PolicyKind): Record<string, unknown> {
  return Object.fromEntries(factsFor(kind).map((f) => [f.name, structuredClone(f.example)]));
}

export type FactsCheck = { ok: true } | { ok: false; problems: string[] };

/** Checks a facts object against the catalog (every fact present, every field typed). */
export function checkFacts(kind: PolicyKind, facts: unknown): FactsCheck {
  const result = factsSchema(kind).safeParse(facts);
  if (result.success) return { ok: true };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => {
      const at = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      return `${at.replace(/^\./, '') || '(facts)'}: ${issue.message}`;
    }),
  };
}
