/**
 * Replay: how the decisions on stored bookings would change under a candidate rule set, without
 * writing anything. The what-if an admin runs before deploying an edit.
 *
 * - Which reservations: those with an owner row (not a collaborator row) that is not cancelled
 *   and starts in [since, until); without `since`, those not over yet (an owner row ending after
 *   `now`). Read in one REPEATABLE READ, READ ONLY transaction, so the whole replay sees one
 *   state of the database and cannot write.
 * - Facts: loaded once per reservation, in batches (`batchSize` reservations per
 *   loadBookingFacts call), with `now` the time of the replay: both rule sets are evaluated
 *   against the very same facts, so every difference comes from the rules.
 * - Evaluation: first which rules fire (./match.ts: the conditions compiled to plain functions,
 *   the engine's operators and paths): the rules in use, and the candidate's rules that differ
 *   from them (a rule with the same policy, name and definition fires the same way with the same
 *   message on the same facts). Only where that shows a difference does the engine run, with
 *   both rule sets, to give the reasons with their explanations, as evaluateGroup would (checked
 *   by the tests). Transitions of unchanged reservations come from the fired rules' types.
 */
import type { Knex } from 'knex';
import { combineOutcome, evaluate, type Outcome, type Reason, SEVERITY } from './evaluate';
import type { BookingFacts } from './facts/catalog';
import { createBookingFactsCache, loadBookingFacts } from './facts/load';
import { type DeviceReasons, mergeReasons } from './group';
import { type FactsRecord, firingRules } from './match';
import type { EventType } from './policy';
import type { PreparedRule, RuleSetSnapshot } from './snapshot';
import { interpolate } from './template';

export const OUTCOMES: readonly Outcome[] = ['allow', 'require_approval', 'deny'];
export const DEFAULT_REPLAY_BATCH = 500;

export interface ReplayOptions {
  /** The rules in use. */
  readonly current: RuleSetSnapshot;
  /** The rules the admin considers deploying. */
  readonly candidate: RuleSetSnapshot;
  /** Reservations starting at or after (default: those not over at `now`). */
  readonly since?: Date;
  /** Reservations starting before (default: no bound). */
  readonly until?: Date;
  /** The decision time of the facts (default: now). */
  readonly now?: Date;
  /** Reservations per fact-loading batch (default 500). */
  readonly batchSize?: number;
  /** Called after each batch with the reservations done so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** A reservation whose decision would change: another outcome, or other reasons. */
export interface ReplayChange {
  readonly groupedBookingId: string;
  /** The owner rows decided on (booking ids), by device. */
  readonly bookingIds: readonly number[];
  readonly deviceIds: readonly number[];
  readonly requesterId: number;
  readonly requester: string;
  readonly status: string | null;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly before: Outcome;
  readonly after: Outcome;
  /** Reasons only the rules in use give. */
  readonly removed: readonly Reason[];
  /** Reasons only the candidate gives. */
  readonly added: readonly Reason[];
  /** Every reason the candidate gives. */
  readonly reasons: readonly Reason[];
}

export type TransitionKey = `${Outcome}->${Outcome}`;

export interface ReplayReport {
  readonly currentRevision: string;
  readonly candidateRevision: string;
  readonly now: string;
  readonly since: string | null;
  readonly until: string | null;
  readonly reservations: number;
  /** Reservations per outcome before -> after, every pair listed (zero included). */
  readonly transitions: Readonly<Record<TransitionKey, number>>;
  /** Reservations whose outcome changes. */
  readonly outcomeChanges: number;
  /** Reservations whose outcome or reasons change, in the order of their start. */
  readonly changes: readonly ReplayChange[];
  /** admin_settings values that could not be read (their defaults were used), once each. */
  readonly settingsProblems: readonly string[];
  readonly elapsedMs: number;
}

const ruleKey = (rule: PreparedRule) => JSON.stringify(rule.rule);

/**
 * The candidate's booking rules split into those that behave exactly as in the rules in use
 * (same id and definition) and the others, which alone are evaluated again.
 */
export function diffRules(current: RuleSetSnapshot, candidate: RuleSetSnapshot) {
  const inUse = new Map(current.rules.booking.map((r) => [r.id, ruleKey(r)]));
  const same = new Set<string>();
  const changed: PreparedRule[] = [];
  for (const rule of candidate.rules.booking) {
    if (inUse.get(rule.id) === ruleKey(rule)) same.add(rule.id);
    else changed.push(rule);
  }
  const changedSnapshot: RuleSetSnapshot = Object.freeze({
    ...candidate,
    rules: Object.freeze({ booking: Object.freeze(changed), topology: Object.freeze([]) }),
  });
  const order = new Map(candidate.rules.booking.map((r, i) => [r.id, i]));
  return { same, changed: changedSnapshot, order };
}

/** Reservations to replay, in the order of their first start. */
async function reservationsToReplay(
  db: Knex.Transaction,
  options: { since?: Date; until?: Date; now: Date },
): Promise<string[]> {
  const where: string[] = ['NOT is_collaborator', "status_canonical IS DISTINCT FROM 'cancelled'"];
  const bindings: string[] = [];
  if (options.since) {
    where.push('start_time >= ?::timestamp');
    bindings.push(options.since.toISOString());
  } else {
    where.push('end_time > ?::timestamp');
    bindings.push(options.now.toISOString());
  }
  if (options.until) {
    where.push('start_time < ?::timestamp');
    bindings.push(options.until.toISOString());
  }
  const { rows } = await db.raw<{ rows: Array<{ grouped_booking_id: string }> }>(
    `SELECT grouped_booking_id FROM booking_table WHERE ${where.join(' AND ')}
      GROUP BY grouped_booking_id ORDER BY min(start_time), grouped_booking_id`,
    bindings,
  );
  return rows.map((r) => r.grouped_booking_id);
}

function emptyTransitions(): Record<TransitionKey, number> {
  const out = {} as Record<TransitionKey, number>;
  for (const a of OUTCOMES) for (const b of OUTCOMES) out[`${a}->${b}`] = 0;
  return out;
}

const reasonKey = (r: Reason) =>
  JSON.stringify([r.policy, r.rule, r.type, r.message, r.approver ?? null, r.deviceIds ?? []]);

export async function replay(db: Knex, options: ReplayOptions): Promise<ReplayReport> {
  const started = performance.now();
  const now = options.now ?? new Date();
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_REPLAY_BATCH);
  const { current, candidate } = options;
  const diff = diffRules(current, candidate);
  const transitions = emptyTransitions();
  const changes: ReplayChange[] = [];
  let reservations = 0;
  const settingsProblems = new Set<string>();

  const trx = await db.transaction({ isolationLevel: 'repeatable read', readOnly: true });
  let next: Promise<Map<string, BookingFacts[]>> | undefined;
  try {
    const ids = await reservationsToReplay(trx, { since: options.since, until: options.until, now });
    // One snapshot, one now: what does not depend on the reservations is read once.
    const cache = createBookingFactsCache(now);
    const load = (from: number) => {
      const loading = loadBookingFacts(trx, ids.slice(from, from + batchSize), {
        now,
        cache,
        onSettingsProblem: (problem) => settingsProblems.add(problem),
      });
      // Awaited below; until then a failure must not count as unhandled.
      loading.catch(() => undefined);
      return loading;
    };
    // The next batch loads (in Postgres, mostly) while this one is evaluated (in Node).
    next = ids.length > 0 ? load(0) : undefined;
    for (let i = 0; i < ids.length; i += batchSize) {
      const batch = ids.slice(i, i + batchSize);
      const facts = await next!;
      next = i + batchSize < ids.length ? load(i + batchSize) : undefined;
      for (const id of batch) {
        const list = facts.get(id);
        if (!list) continue;
        reservations += 1;
        const quick = quickCompare(list, current, diff);
        if (!quick.changed) {
          transitions[`${quick.before}->${quick.after}`] += 1;
          continue;
        }
        const change = await compare(list, current, diff);
        transitions[`${change.before}->${change.after}`] += 1;
        if (change.changed) changes.push(change.describe());
      }
      options.onProgress?.(Math.min(i + batchSize, ids.length), ids.length);
    }
  } finally {
    await next?.catch(() => undefined);
    await trx.rollback();
  }
  return {
    currentRevision: current.revision,
    candidateRevision: candidate.revision,
    now: now.toISOString(),
    since: options.since?.toISOString() ?? null,
    until: options.until?.toISOString() ?? null,
    reservations,
    transitions,
    outcomeChanges: changes.filter((c) => c.before !== c.after).length,
    changes,
    settingsProblems: [...settingsProblems],
    elapsedMs: Math.round(performance.now() - started),
  };
}

/**
 * The outcomes before and after from which rules fire (./match.ts), and whether the decision may
 * change at all: it can only when, on some device, the rules in use that the candidate changes
 * or drops fire differently (type, message, approver) from the candidate's changed rules. The
 * engine runs (in `compare`) only for those reservations.
 */
function quickCompare(
  facts: readonly BookingFacts[],
  current: RuleSetSnapshot,
  diff: ReturnType<typeof diffRules>,
): { before: Outcome; after: Outcome; changed: boolean } {
  const beforeTypes: EventType[] = [];
  const afterTypes: EventType[] = [];
  let changed = false;
  for (const f of facts) {
    const record = f as unknown as FactsRecord;
    const fired = firingRules(current.rules.booking, record);
    const firedChanged = firingRules(diff.changed.rules.booking, record);
    const entry = (r: PreparedRule) => {
      const { type, params } = r.rule.event;
      const approver = params.approver === undefined ? null : interpolate(params.approver, record);
      return JSON.stringify([r.id, type, interpolate(params.message, record), approver]);
    };
    const gone: string[] = [];
    for (const rule of fired) {
      beforeTypes.push(rule.rule.event.type);
      if (diff.same.has(rule.id)) afterTypes.push(rule.rule.event.type);
      else gone.push(entry(rule));
    }
    for (const rule of firedChanged) afterTypes.push(rule.rule.event.type);
    if (!changed && (gone.length > 0 || firedChanged.length > 0)) {
      const come = firedChanged.map(entry);
      changed = gone.sort().join('\n') !== come.sort().join('\n');
    }
  }
  return { before: combineOutcome(beforeTypes), after: combineOutcome(afterTypes), changed };
}

async function compare(
  facts: readonly BookingFacts[],
  current: RuleSetSnapshot,
  diff: ReturnType<typeof diffRules>,
): Promise<{ before: Outcome; after: Outcome; changed: boolean; describe: () => ReplayChange }> {
  const beforeDevices: DeviceReasons[] = [];
  const afterDevices: DeviceReasons[] = [];
  for (const f of facts) {
    const deviceId = f.booking.deviceId;
    const inUse = await evaluate(current, 'booking', f);
    const changed = diff.changed.rules.booking.length > 0 ? await evaluate(diff.changed, 'booking', f) : null;
    const kept = inUse.reasons.filter((r) => diff.same.has(`${r.policy}/${r.rule}`));
    const after = [...kept, ...(changed?.reasons ?? [])].sort(
      (a, b) =>
        SEVERITY[a.type] - SEVERITY[b.type] ||
        diff.order.get(`${a.policy}/${a.rule}`)! - diff.order.get(`${b.policy}/${b.rule}`)!,
    );
    beforeDevices.push({ deviceId, reasons: inUse.reasons });
    afterDevices.push({ deviceId, reasons: after });
  }
  const beforeReasons = mergeReasons(beforeDevices);
  const afterReasons = mergeReasons(afterDevices);
  const before = combineOutcome(beforeReasons.map((r) => r.type));
  const after = combineOutcome(afterReasons.map((r) => r.type));
  const beforeKeys = new Set(beforeReasons.map(reasonKey));
  const afterKeys = new Set(afterReasons.map(reasonKey));
  const changed =
    before !== after || beforeKeys.size !== afterKeys.size || [...beforeKeys].some((k) => !afterKeys.has(k));
  return {
    before,
    after,
    changed,
    describe: () => {
      const first = facts[0]!;
      return {
        groupedBookingId: first.groupedBooking.id,
        bookingIds: facts.map((f) => f.booking.id!).filter((id) => id !== null),
        deviceIds: first.groupedBooking.deviceIds,
        requesterId: first.requester.id,
        requester: first.requester.username,
        status: first.booking.status,
        startsAt: facts.map((f) => f.booking.startsAt).sort()[0]!,
        endsAt: facts
          .map((f) => f.booking.endsAt)
          .sort()
          .at(-1)!,
        before,
        after,
        removed: beforeReasons.filter((r) => !afterKeys.has(reasonKey(r))),
        added: afterReasons.filter((r) => !beforeKeys.has(reasonKey(r))),
        reasons: afterReasons,
      };
    },
  };
}
