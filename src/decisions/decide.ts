/**
 * Deciding a reservation: load its facts (a few set-based queries), evaluate every device of it
 * against ONE rule-set snapshot, enforce the outcome when admin_settings `rules.enforcement` is
 * "enforce", and record it: one `booking_decisions` row per owner booking row, one
 * `admin_audit_log` entry (actor_role `system:rules`) per decision row. Everything happens in
 * the caller's transaction (the event's), so the decision commits with the event or not at all.
 *
 * Enforcement moves rows that are still `pending` (all rows of the reservation, collaborator
 * rows too) with one conditional UPDATE: a status the scheduler set meanwhile wins. Confirming
 * runs in a savepoint: when Postgres rejects it because another reservation's confirmed booking
 * of the same device overlaps (`booking_table_no_confirmed_overlap`, SQLSTATE 23P01, committed
 * by another worker or the scheduler after the facts were read), the reservation is decided
 * again with fresh facts, recorded as a `deny` naming the blocking booking(s) and the next free
 * window, and rejected. The job does not fail.
 */
import type { Knex } from 'knex';
import {
  ADMIN_AUDIT_LOG_TABLE,
  BOOKING_DECISION_TABLE,
  BOOKING_TABLE,
  type DecisionMode,
} from '../db/models';
import type { Logger } from '../logger';
import type { Decision, Outcome, Reason } from '../rules/evaluate';
import type { BookingFacts } from '../rules/facts/catalog';
import { loadBookingFacts } from '../rules/facts/load';
import { SETTING_KEYS } from '../rules/facts/settings';
import { evaluateGroup, type GroupDecision } from '../rules/group';
import type { RuleSetSnapshot } from '../rules/snapshot';
import { blockingBookings, type ReservationRow, reservationRows, statusesOf } from './reservation';

export const AUDIT_ACTOR_ROLE = 'system:rules';
export const AUDIT_ACTION = 'booking.decision';
/** The constraint (and its guard trigger) that keeps confirmed bookings of a device apart. */
export const OVERLAP_CONSTRAINT = 'booking_table_no_confirmed_overlap';
/** The code of the deny reason added when confirming meets a booking confirmed meanwhile. */
export const CONFIRM_CONFLICT_CODE = 'OVERLAP_CONFIRMED';

/** The status a pending booking moves to in enforce mode. */
export const STATUS_FOR: Readonly<Record<Outcome, string>> = Object.freeze({
  allow: 'confirmed',
  require_approval: 'pending_approval',
  deny: 'rejected',
});

export interface DecideOptions {
  /** The rule set to decide with: one snapshot for the whole reservation. */
  readonly snapshot: RuleSetSnapshot;
  /** The decision time ("now" of the facts; evaluated_at). */
  readonly now: Date;
  /** The event deciding (booking_decisions.event_id). */
  readonly eventId: string;
  /** The job name that caused it (booking_decisions.trigger). */
  readonly trigger: string;
  readonly logger?: Logger;
  /** The reservation's rows, when the caller has just read them in the same transaction. */
  readonly rows?: readonly ReservationRow[];
}

export interface RecordedDecision {
  readonly id: number;
  readonly bookingId: number;
  readonly statusBefore: string | null;
  readonly statusAfter: string | null;
}

export interface ReservationDecision {
  readonly decided: true;
  readonly groupedBookingId: string;
  readonly outcome: Outcome;
  readonly revision: string;
  readonly mode: DecisionMode;
  readonly reasons: readonly Reason[];
  readonly decisions: readonly RecordedDecision[];
  /** Rows whose status enforcement changed. */
  readonly statusChanged: number;
  /** True when confirming met a booking confirmed meanwhile, which turned the decision into a deny. */
  readonly conflict: boolean;
  /** The per-device evaluations recorded (for the rule metrics). */
  readonly evaluations: readonly Decision[];
}

export interface ReservationSkipped {
  readonly decided: false;
  readonly groupedBookingId: string;
  /** `not_found`: no row has the id; `no_owner_rows`: only collaborator rows are left. */
  readonly skipped: 'not_found' | 'no_owner_rows';
}

export type DecideResult = ReservationDecision | ReservationSkipped;

export async function decideReservation(
  trx: Knex.Transaction,
  groupedBookingId: string,
  options: DecideOptions,
): Promise<DecideResult> {
  const rows = options.rows ?? (await reservationRows(trx, groupedBookingId));
  if (rows.length === 0) return { decided: false, groupedBookingId, skipped: 'not_found' };
  const owners = rows.filter((r) => !r.isCollaborator);
  const facts = await loadFacts(trx, groupedBookingId, options);
  if (owners.length === 0 || !facts || facts.length === 0) {
    return { decided: false, groupedBookingId, skipped: 'no_owner_rows' };
  }
  let group = await evaluateGroup(options.snapshot, facts);
  let reasons: readonly Reason[] = group.reasons;
  // Read with the facts, in the same transaction: a change of the setting applies at once.
  const mode: DecisionMode = facts[0]!.settings.enforcement;

  let statusChanged = 0;
  let conflict = false;
  let statuses: Map<number, string | null> | undefined;
  if (mode === 'enforce') {
    if (group.outcome === 'allow') {
      try {
        statusChanged = await confirmPending(trx, groupedBookingId);
      } catch (error) {
        if (!isConfirmedOverlap(error)) throw error;
        conflict = true;
        ({ group, reasons } = await decideAfterConflict(trx, groupedBookingId, options));
        options.logger?.info(
          { groupedBookingId, blocking: reasons.find((r) => r.code === CONFIRM_CONFLICT_CODE)?.values },
          `reservation ${groupedBookingId}: a booking of the same device was confirmed meanwhile; denied`,
        );
      }
    }
    if (!conflict && group.outcome !== 'allow') {
      statusChanged = await movePending(trx, groupedBookingId, group.outcome);
    } else if (conflict) {
      statusChanged = await movePending(trx, groupedBookingId, 'deny');
    }
    statuses = await statusesOf(trx, groupedBookingId);
  }
  const outcome: Outcome = conflict ? 'deny' : group.outcome;

  const input: RecordInput = {
    groupedBookingId,
    owners,
    outcome,
    reasons,
    revision: options.snapshot.revision,
    mode,
    statuses,
    options,
  };
  return decisionOf(input, group, await record(trx, input), statusChanged, conflict);
}

/** What deciding a reservation returns, from what was recorded. */
function decisionOf(
  input: RecordInput,
  group: GroupDecision,
  decisions: readonly RecordedDecision[],
  statusChanged: number,
  conflict: boolean,
): ReservationDecision {
  return {
    decided: true,
    groupedBookingId: input.groupedBookingId,
    outcome: input.outcome,
    revision: input.revision,
    mode: input.mode,
    reasons: input.reasons,
    decisions,
    statusChanged,
    conflict,
    evaluations: group.devices.map((d) => d.decision),
  };
}

/** One reservation to decide in a batch, for the event that asks for it. */
export interface BatchItem {
  readonly groupedBookingId: string;
  /** The reservation's rows, read in the same transaction. */
  readonly rows: readonly ReservationRow[];
  /** The event deciding it (booking_decisions.event_id). */
  readonly eventId: string;
  readonly logger?: Logger;
}

/**
 * decideReservation for the reservations of several events, in the caller's transaction, with the
 * same effects as deciding them one after the other: one fact load for all of them, and in
 * advisory mode one insert of the decisions and one of their audit entries. In enforce mode each
 * decision may move statuses that the next one's facts must see, so the reservations are
 * decided one after the other by decideReservation (after the one fact load that told the mode).
 * Returns one result per item, in order.
 */
export async function decideReservations(
  trx: Knex.Transaction,
  items: readonly BatchItem[],
  options: Omit<DecideOptions, 'eventId' | 'rows'>,
): Promise<DecideResult[]> {
  const factsOf = await loadBookingFacts(
    trx,
    items.map((item) => item.groupedBookingId),
    { now: options.now, onSettingsProblem: settingsProblemLogger(options.logger) },
  );
  const first = [...factsOf.values()].find((facts) => facts.length > 0)?.[0];
  if (first?.settings.enforcement === 'enforce') {
    // Device by device: two workers confirming reservations of the same devices then take the
    // rows (and wait on each other's overlaps) in the same order, rather than deadlock.
    const order = items
      .map((item, at) => ({ item, at, key: deviceOrderKey(item.rows) }))
      .sort((x, y) => x.key[0] - y.key[0] || x.key[1] - y.key[1] || x.at - y.at);
    const results: DecideResult[] = new Array(items.length);
    for (const { item, at } of order) {
      results[at] = await decideReservation(trx, item.groupedBookingId, {
        ...options,
        eventId: item.eventId,
        logger: item.logger ?? options.logger,
      });
    }
    return results;
  }

  const results: Array<DecideResult | undefined> = [];
  const pending: Array<{ at: number; input: RecordInput; group: GroupDecision }> = [];
  for (const [at, item] of items.entries()) {
    const { groupedBookingId, rows } = item;
    const owners = rows.filter((r) => !r.isCollaborator);
    const facts = factsOf.get(groupedBookingId);
    if (rows.length === 0) {
      results.push({ decided: false, groupedBookingId, skipped: 'not_found' });
      continue;
    }
    if (owners.length === 0 || !facts || facts.length === 0) {
      results.push({ decided: false, groupedBookingId, skipped: 'no_owner_rows' });
      continue;
    }
    const group = await evaluateGroup(options.snapshot, facts);
    results.push(undefined);
    pending.push({
      at,
      group,
      input: {
        groupedBookingId,
        owners,
        outcome: group.outcome,
        reasons: group.reasons,
        revision: options.snapshot.revision,
        mode: 'advisory',
        statuses: undefined,
        options: { eventId: item.eventId, trigger: options.trigger, now: options.now },
      },
    });
  }
  const recorded = await recordAll(
    trx,
    pending.map((p) => p.input),
  );
  for (const [i, { at, input, group }] of pending.entries()) {
    results[at] = decisionOf(input, group, recorded[i]!, 0, false);
  }
  return results as DecideResult[];
}

/** A reservation's smallest device id and earliest start, for a stable locking order. */
function deviceOrderKey(rows: readonly ReservationRow[]): [number, number] {
  let device = Number.POSITIVE_INFINITY;
  let start = Number.POSITIVE_INFINITY;
  for (const row of rows) {
    device = Math.min(device, row.deviceId);
    start = Math.min(start, row.startsAt?.getTime() ?? Number.POSITIVE_INFINITY);
  }
  return [device, start];
}

/** Logs an unreadable `rules.*` setting (the enforcement mode's says what it falls back to). */
function settingsProblemLogger(logger: Logger | undefined): (problem: string) => void {
  return (problem) => {
    const isMode = problem.startsWith(`admin_settings "${SETTING_KEYS.enforcement}"`);
    logger?.warn({ setting: problem }, isMode ? `${problem}: deciding in advisory mode` : problem);
  };
}

/**
 * The facts of one reservation. They carry the `rules.*` admin_settings, the enforcement mode
 * among them (an unreadable value counts as advisory). Unreadable settings are logged as warnings
 * (`quiet` on the second load of a decision, so each is logged once per decision).
 */
async function loadFacts(
  trx: Knex.Transaction,
  groupedBookingId: string,
  options: DecideOptions,
  quiet = false,
): Promise<BookingFacts[] | undefined> {
  const facts = await loadBookingFacts(trx, [groupedBookingId], {
    now: options.now,
    onSettingsProblem: quiet ? () => undefined : settingsProblemLogger(options.logger),
  });
  return facts.get(groupedBookingId);
}

/** Moves the reservation's rows that are still pending; returns how many moved. */
async function movePending(
  db: Knex.Transaction,
  groupedBookingId: string,
  outcome: Outcome,
): Promise<number> {
  const moved = await db(BOOKING_TABLE)
    .where({ grouped_booking_id: groupedBookingId, status_canonical: 'pending' })
    .update({ status: STATUS_FOR[outcome] })
    .returning('booking_id');
  return moved.length;
}

/** Times a confirmation chosen as a deadlock victim is tried again before the error is thrown. */
const CONFIRM_ATTEMPTS = 3;

/**
 * Confirms the reservation's pending rows in a savepoint. Two transactions confirming overlapping
 * bookings at the same moment can each wait for the other's new row (how Postgres checks an
 * exclusion constraint) until one is chosen as a deadlock victim (40P01). The victim's savepoint
 * rolls back and it tries again: now it waits for the other transaction, then confirms (the other
 * rolled back) or meets its committed booking (23P01, a deny). So the deadlock costs neither the
 * event's other work nor, in a batch, the other events' (docs/runtime.md, "Batches").
 */
async function confirmPending(trx: Knex.Transaction, groupedBookingId: string): Promise<number> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await trx.transaction((savepoint) => movePending(savepoint, groupedBookingId, 'allow'));
    } catch (error) {
      if ((error as { code?: unknown })?.code !== '40P01' || attempt >= CONFIRM_ATTEMPTS) throw error;
    }
  }
}

function isConfirmedOverlap(error: unknown): boolean {
  const e = error as { code?: unknown; constraint?: unknown };
  return e?.code === '23P01' && e.constraint === OVERLAP_CONSTRAINT;
}

/**
 * After confirming failed: the facts read before no longer hold (a blocking booking is
 * confirmed now), so the reservation is evaluated again on fresh facts with the same snapshot.
 * When the rules themselves name the overlap, their reasons stand; otherwise (a rule set without
 * the overlap rule, or the guard of a legacy overlap) a deny reason naming the blocking bookings
 * and the next free window is added.
 */
async function decideAfterConflict(
  trx: Knex.Transaction,
  groupedBookingId: string,
  options: DecideOptions,
): Promise<{ group: GroupDecision; reasons: readonly Reason[] }> {
  const fresh = await loadFacts(trx, groupedBookingId, options, true);
  if (!fresh || fresh.length === 0) {
    throw new Error(`reservation ${groupedBookingId} vanished while its confirmation was being checked`);
  }
  const group = await evaluateGroup(options.snapshot, fresh);
  if (group.reasons.some((r) => r.type === 'deny' && r.code === CONFIRM_CONFLICT_CODE)) {
    return { group, reasons: group.reasons };
  }
  const blocking = await blockingBookings(trx, groupedBookingId);
  return { group, reasons: [conflictReason(blocking, fresh), ...group.reasons] };
}

function conflictReason(
  blocking: Awaited<ReturnType<typeof blockingBookings>>,
  facts: readonly BookingFacts[],
): Reason {
  const ids = blocking.map((b) => b.bookingId);
  const deviceIds = [...new Set(blocking.map((b) => b.deviceId))];
  const first = facts.find((f) => deviceIds.includes(f.booking.deviceId)) ?? facts[0]!;
  const names = facts
    .filter((f) => deviceIds.includes(f.device.id))
    .map((f) => f.device.name ?? `device ${f.device.id}`);
  const next =
    first.conflicts.nextFreeStartsAt && first.conflicts.nextFreeEndsAt
      ? `Next free window of the same length: ${first.conflicts.nextFreeStartsAt} to ${first.conflicts.nextFreeEndsAt}.`
      : 'No free window of the same length in the next 90 days.';
  return {
    policy: 'enforcement',
    rule: 'confirm-overlap',
    type: 'deny',
    code: CONFIRM_CONFLICT_CODE,
    message: `${names.join(', ') || 'The device'} was booked in this window while the decision was made: confirmed booking(s) ${ids.join(', ')}. ${next}`,
    values: {
      blockingBookingIds: ids,
      blocking,
      nextFreeStartsAt: first.conflicts.nextFreeStartsAt,
      nextFreeEndsAt: first.conflicts.nextFreeEndsAt,
    },
    conditions: [],
    deviceIds,
  };
}

interface RecordInput {
  readonly groupedBookingId: string;
  readonly owners: readonly ReservationRow[];
  readonly outcome: Outcome;
  readonly reasons: readonly Reason[];
  readonly revision: string;
  readonly mode: DecisionMode;
  /** The statuses after enforcement (enforce mode); undefined in advisory mode. */
  readonly statuses: Map<number, string | null> | undefined;
  readonly options: Pick<DecideOptions, 'eventId' | 'trigger' | 'now'>;
}

async function record(trx: Knex.Transaction, input: RecordInput): Promise<RecordedDecision[]> {
  return (await recordAll(trx, [input]))[0]!;
}

/**
 * Records decisions: one `booking_decisions` row per owner row and one audit entry per decision
 * row, for every input in two statements. Returns each input's recorded rows, in order.
 */
async function recordAll(
  trx: Knex.Transaction,
  inputs: readonly RecordInput[],
): Promise<RecordedDecision[][]> {
  const rows = inputs.flatMap((input) => {
    const reasonsJson = JSON.stringify(input.reasons);
    const { options } = input;
    return input.owners.map((owner) => ({
      booking_id: owner.bookingId,
      grouped_booking_id: input.groupedBookingId,
      outcome: input.outcome,
      reasons: reasonsJson,
      ruleset_revision: input.revision,
      event_id: options.eventId,
      trigger: options.trigger,
      mode: input.mode,
      status_before: owner.status,
      status_after: input.statuses ? (input.statuses.get(owner.bookingId) ?? null) : owner.status,
      evaluated_at: options.now,
    }));
  });
  if (rows.length === 0) return inputs.map(() => []);
  // One multi-row INSERT ... VALUES returns its rows in the order given.
  const inserted = (await trx(BOOKING_DECISION_TABLE).insert(rows).returning(['id', 'booking_id'])) as Array<{
    id: number;
    booking_id: number;
  }>;
  const recorded: RecordedDecision[][] = [];
  const audits: Array<Record<string, unknown>> = [];
  let at = 0;
  for (const input of inputs) {
    const { options } = input;
    const decisions = input.owners.map((_, i) => {
      const r = inserted[at + i]!;
      return {
        id: r.id,
        bookingId: r.booking_id,
        statusBefore: rows[at + i]!.status_before,
        statusAfter: rows[at + i]!.status_after,
      };
    });
    at += input.owners.length;
    recorded.push(decisions);
    const codes = [...new Set(input.reasons.map((r) => r.code))];
    for (const d of decisions) {
      audits.push({
        actor_id: null,
        actor_role: AUDIT_ACTOR_ROLE,
        action: AUDIT_ACTION,
        entity_type: 'booking',
        entity_id: String(d.bookingId),
        payload: JSON.stringify({
          decisionId: d.id,
          groupedBookingId: input.groupedBookingId,
          outcome: input.outcome,
          codes,
          revision: input.revision,
          mode: input.mode,
          trigger: options.trigger,
          eventId: options.eventId,
          statusBefore: d.statusBefore,
          statusAfter: d.statusAfter,
        }),
        outcome: 'success',
        message: auditMessage(input, d, codes),
        created_at: options.now,
      });
    }
  }
  await trx(ADMIN_AUDIT_LOG_TABLE).insert(audits);
  return recorded;
}

function auditMessage(input: RecordInput, d: RecordedDecision, codes: readonly string[]): string {
  const why = codes.length > 0 ? ` (${codes.join(', ')})` : '';
  const status =
    d.statusBefore === d.statusAfter
      ? `status ${d.statusBefore ?? 'none'} unchanged`
      : `status ${d.statusBefore ?? 'none'} -> ${d.statusAfter ?? 'none'}`;
  return `booking ${d.bookingId} (reservation ${input.groupedBookingId}): ${input.outcome}${why}; rules revision ${input.revision}, ${input.mode} mode, ${status}`;
}
