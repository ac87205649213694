/**
 * The rules' event handlers (module `rules`, FIRST in src/handlers.ts, so that the handlers after
 * it, rollups and topology rechecks, see the status enforcement gave the booking in the same
 * transaction). See docs/rules.md, "Decisions", and docs/runtime.md for the job table.
 *
 * - `booking.created` / `booking.updated`: decide the booking's reservation. A created booking
 *   that is not visible yet is `RowNotFoundError` (retried, like the rollups); an updated one that
 *   is gone (deleted meanwhile) is skipped and the skip recorded: a later cancel event follows.
 * - `booking.updated` of a booking moved to another device or window: also, as for a cancel,
 *   the reservations its previous window may have blocked get a `booking.reevaluate`.
 * - `booking.cancelled`: decides nothing about the cancelled booking; pending and
 *   pending-approval reservations of the same device meeting its previous window (widened by
 *   the turnaround time) may have been blocked by it, and each gets a `booking.reevaluate`.
 * - `booking.reevaluate` (maintenance queue): decide the reservation again, unless it has
 *   started, or is cancelled, rejected or gone (the skip is recorded in the event's results).
 *   When enforcement moved a status, the owner rows' utilization rollups are recomputed in the
 *   same transaction (booking events have the rollups' own handler for that).
 * - `device.status_changed`: every live upcoming reservation of the device is re-evaluated;
 *   `device.maintenance_changed`: those meeting the previous or the new maintenance window.
 * - `rules.changed`: every live upcoming reservation is re-evaluated.
 *
 * "Live upcoming" (./affected.ts): a row pending, pending approval or confirmed that has not
 * started. A reservation under way is not decided again: the only news would be that it starts
 * in the past.
 *
 * Fan-outs send one `booking.reevaluate` per reservation per event, with an eventId derived from
 * the source event and the reservation (./event-ids.ts): a redelivered source event sends the
 * same jobs, which run once.
 */
import type { Knex } from 'knex';
import type { JobName } from '../contracts';
import { ADMIN_SETTING_TABLE, BOOKING_TABLE, DEVICE_TABLE } from '../db/models';
import { RowNotFoundError } from '../errors';
import type { RulesMetrics } from '../metrics/rules';
import type { HandlerContext, HandlerModule, HandlerRegistry, HandlerResult } from '../queues/handlers';
import { recomputeForBookingEvent } from '../rollups/incremental';
import { parseRuleSettings, type RuleSettings, SETTING_KEYS } from '../rules/facts/settings';
import type { RuleSetSnapshot } from '../rules/snapshot';
import {
  isUpcoming,
  reservationsBlockedBy,
  reservationsOfDevice,
  upcomingOf,
  upcomingReservations,
  type Window,
} from './affected';
import { type DecideResult, decideReservation, decideReservations } from './decide';
import { reevaluationEventId } from './event-ids';
import {
  type ReservationRow,
  reservationOfBooking,
  reservationRowsOf,
  reservationsOfBookings,
} from './reservation';

const HANDLER = 'rules';

/** What the helpers below need of a handler's context (whatever the job). */
type EventContext = Pick<
  HandlerContext,
  'trx' | 'eventId' | 'jobName' | 'logger' | 'enqueueAfterCommit' | 'afterCommit'
>;

type Cause =
  | 'device.status_changed'
  | 'device.maintenance_changed'
  | 'rules.changed'
  | 'booking.cancelled'
  | 'booking.updated';

export interface BookingRuleHandlerOptions {
  /** The decision clock (tests pin it); the current time by default. */
  readonly now?: () => Date;
  /** The rule set in use; deps.rules by default. */
  readonly rules?: { current(): RuleSetSnapshot };
  /** Where committed decisions are counted; deps.metrics.rules by default. */
  readonly metrics?: RulesMetrics;
}

function summary(result: DecideResult): HandlerResult {
  if (!result.decided) return { groupedBookingId: result.groupedBookingId, skipped: result.skipped };
  return {
    groupedBookingId: result.groupedBookingId,
    outcome: result.outcome,
    revision: result.revision,
    mode: result.mode,
    decisions: result.decisions.length,
    statusChanged: result.statusChanged,
    ...(result.conflict ? { conflict: true } : {}),
  };
}

async function groupOfBooking(trx: Knex.Transaction, bookingId: number): Promise<string | undefined> {
  const row = (await trx(BOOKING_TABLE).where({ booking_id: bookingId }).first('grouped_booking_id')) as
    | { grouped_booking_id: string }
    | undefined;
  return row?.grouped_booking_id;
}

function fanOut(ctx: EventContext, groups: readonly string[], cause: Cause): HandlerResult {
  for (const groupedBookingId of groups) {
    ctx.enqueueAfterCommit('booking.reevaluate', {
      eventId: reevaluationEventId(ctx.eventId, groupedBookingId),
      groupedBookingId,
      cause,
    });
  }
  return { reevaluations: groups.length };
}

/** One `rules.*` admin setting, parsed as the fact loader parses it (unreadable: the default). */
async function ruleSetting<K extends keyof typeof SETTING_KEYS & keyof RuleSettings>(
  trx: Knex.Transaction,
  name: K,
): Promise<RuleSettings[K]> {
  const key = SETTING_KEYS[name];
  const row = (await trx(ADMIN_SETTING_TABLE).where({ key }).first('value')) as
    | { value: unknown }
    | undefined;
  return parseRuleSettings(row ? [{ key, value: row.value }] : []).settings[name];
}

/** True when admin_settings `rules.enforcement` says "enforce" (anything unreadable is advisory). */
async function enforcing(trx: Knex.Transaction): Promise<boolean> {
  return (await ruleSetting(trx, 'enforcement')) === 'enforce';
}

/** A batch's events through the single-event handler, one after the other. */
async function inTurn<N extends JobName>(
  contexts: readonly HandlerContext<N>[],
  handle: (ctx: HandlerContext<N>) => Promise<HandlerResult>,
): Promise<HandlerResult[]> {
  const results: HandlerResult[] = [];
  for (const ctx of contexts) results.push(await handle(ctx));
  return results;
}

/** The largest turnaround time of any device type (admin_settings rules.turnaroundMinutes). */
async function maxTurnaroundMinutes(trx: Knex.Transaction): Promise<number> {
  return Math.max(0, ...Object.values(await ruleSetting(trx, 'turnaroundMinutes')));
}

async function maintenanceWindows(
  trx: Knex.Transaction,
  deviceId: number,
  previous: { startsAt: string | null; endsAt: string | null },
): Promise<Window[]> {
  const windows: Window[] = [];
  if (previous.startsAt) {
    windows.push({
      startsAt: new Date(previous.startsAt),
      endsAt: previous.endsAt ? new Date(previous.endsAt) : null,
    });
  }
  const device = (await trx(DEVICE_TABLE)
    .where({ id: deviceId })
    .first('maintenance_starts_at', 'maintenance_ends_at')) as
    | { maintenance_starts_at: Date | null; maintenance_ends_at: Date | null }
    | undefined;
  if (device?.maintenance_starts_at) {
    windows.push({ startsAt: device.maintenance_starts_at, endsAt: device.maintenance_ends_at });
  }
  return windows;
}

export function createBookingRuleHandlers(options: BookingRuleHandlerOptions = {}): HandlerModule {
  const now = options.now ?? (() => new Date());
  return {
    name: HANDLER,
    register(registry: HandlerRegistry, deps) {
      const rules = options.rules ?? deps.rules;
      const metrics = options.metrics ?? deps.metrics.rules;

      /** Counts (after commit) and logs a decision of the event; returns its summary. */
      const report = (ctx: EventContext, groupedBookingId: string, result: DecideResult): HandlerResult => {
        if (result.decided) {
          const { outcome, decisions, evaluations } = result;
          ctx.afterCommit(() => metrics.countDecision(outcome, decisions.length, evaluations));
          const log = result.statusChanged > 0 || result.conflict ? 'info' : 'debug';
          ctx.logger[log](
            {
              groupedBookingId,
              outcome,
              revision: result.revision,
              mode: result.mode,
              codes: result.reasons.map((r) => r.code),
              statusChanged: result.statusChanged,
            },
            `reservation ${groupedBookingId} decided: ${outcome} (rules ${result.revision}, ${result.mode})`,
          );
        }
        return summary(result);
      };

      const decide = async (
        ctx: EventContext,
        groupedBookingId: string,
        options: { recomputeRollups?: boolean; rows?: readonly ReservationRow[] } = {},
      ): Promise<HandlerResult> => {
        const result = await decideReservation(ctx.trx, groupedBookingId, {
          snapshot: rules.current(),
          now: now(),
          eventId: ctx.eventId,
          trigger: ctx.jobName,
          logger: ctx.logger,
          ...(options.rows ? { rows: options.rows } : {}),
        });
        const reported = report(ctx, groupedBookingId, result);
        if (result.decided && options.recomputeRollups && result.statusChanged > 0) {
          // Booked time counts confirmed bookings: a status moved outside a booking event has no
          // rollups handler after this one, so the buckets of the owner rows are recomputed here.
          let buckets = 0;
          for (const d of result.decisions)
            buckets += (await recomputeForBookingEvent(ctx.trx, d.bookingId, null)).buckets;
          return { ...reported, rollupBuckets: buckets };
        }
        return reported;
      };

      // The booking's reservation and its rows in one read (decideReservation would read the rows).
      registry.register(
        'booking.created',
        HANDLER,
        async (ctx) => {
          const reservation = await reservationOfBooking(ctx.trx, ctx.payload.bookingId);
          // The scheduler may enqueue before its own insert is visible: retried with backoff.
          if (reservation === undefined) throw new RowNotFoundError(BOOKING_TABLE, ctx.payload.bookingId);
          return decide(ctx, reservation.groupedBookingId, { rows: reservation.rows });
        },
        {
          // Several events in one transaction: one read of their reservations, one fact load.
          batch: async (contexts) => {
            const first = contexts[0]!;
            const reservations = await reservationsOfBookings(
              first.trx,
              contexts.map((ctx) => ctx.payload.bookingId),
            );
            const items = contexts.map((ctx) => {
              const reservation = reservations.get(ctx.payload.bookingId);
              if (reservation === undefined) throw new RowNotFoundError(BOOKING_TABLE, ctx.payload.bookingId);
              return { ...reservation, eventId: ctx.eventId, logger: ctx.logger };
            });
            const results = await decideReservations(first.trx, items, {
              snapshot: rules.current(),
              now: now(),
              trigger: first.jobName,
              logger: first.logger,
            });
            return results.map((result, i) => report(contexts[i]!, items[i]!.groupedBookingId, result));
          },
        },
      );
      /** Pending reservations the booking's previous window may have blocked, each re-evaluated. */
      const releasePrevious = async (
        ctx: EventContext,
        previous: { deviceId: number; startTime: string; endTime: string },
        group: string | null,
        cause: 'booking.updated' | 'booking.cancelled',
      ): Promise<HandlerResult> => {
        const blocked = await reservationsBlockedBy(
          ctx.trx,
          {
            deviceId: previous.deviceId,
            startsAt: new Date(previous.startTime),
            endsAt: new Date(previous.endTime),
            groupedBookingId: group,
          },
          now(),
          await maxTurnaroundMinutes(ctx.trx),
        );
        return fanOut(ctx, blocked, cause);
      };

      /** The rest of a booking.updated once its reservation is decided: release what it moved from. */
      const afterUpdate = async (
        ctx: HandlerContext<'booking.updated'>,
        reservation: { groupedBookingId: string; rows: readonly ReservationRow[] },
        decided: HandlerResult,
      ): Promise<HandlerResult> => {
        const { bookingId, previous } = ctx.payload;
        const row = reservation.rows.find((r) => r.bookingId === bookingId);
        const moved =
          row?.deviceId !== previous.deviceId ||
          row.startsAt?.getTime() !== Date.parse(previous.startTime) ||
          row.endsAt?.getTime() !== Date.parse(previous.endTime);
        if (!moved) return decided;
        // Moved away: what its previous window held back may fit now.
        return {
          ...decided,
          ...(await releasePrevious(ctx, previous, reservation.groupedBookingId, 'booking.updated')),
        };
      };
      const updated = async (ctx: HandlerContext<'booking.updated'>): Promise<HandlerResult> => {
        const { bookingId } = ctx.payload;
        const reservation = await reservationOfBooking(ctx.trx, bookingId);
        if (reservation === undefined) return { bookingId, skipped: 'booking_not_found' };
        const decided = await decide(ctx, reservation.groupedBookingId, { rows: reservation.rows });
        return afterUpdate(ctx, reservation, decided);
      };
      registry.register('booking.updated', HANDLER, updated, {
        // Advisory mode: one read of the reservations, one fact load, then each event's release of
        // its previous window. Enforce mode: a decision moves statuses that the next event's facts
        // and release must see, so the events go one after the other, as without a batch.
        batch: async (contexts) => {
          const first = contexts[0]!;
          if (await enforcing(first.trx)) return inTurn(contexts, updated);
          const reservations = await reservationsOfBookings(
            first.trx,
            contexts.map((ctx) => ctx.payload.bookingId),
          );
          const present = contexts.filter((ctx) => reservations.has(ctx.payload.bookingId));
          const items = present.map((ctx) => ({
            ...reservations.get(ctx.payload.bookingId)!,
            eventId: ctx.eventId,
            logger: ctx.logger,
          }));
          const decided = await decideReservations(first.trx, items, {
            snapshot: rules.current(),
            now: now(),
            trigger: first.jobName,
            logger: first.logger,
          });
          const results: HandlerResult[] = [];
          for (const ctx of contexts) {
            const at = present.indexOf(ctx);
            if (at < 0) {
              results.push({ bookingId: ctx.payload.bookingId, skipped: 'booking_not_found' });
              continue;
            }
            const item = items[at]!;
            results.push(await afterUpdate(ctx, item, report(ctx, item.groupedBookingId, decided[at]!)));
          }
          return results;
        },
      });
      registry.register('booking.cancelled', HANDLER, async (ctx) => {
        const group = (await groupOfBooking(ctx.trx, ctx.payload.bookingId)) ?? null;
        return releasePrevious(ctx, ctx.payload.previous, group, 'booking.cancelled');
      });
      const reevaluate = async (ctx: HandlerContext<'booking.reevaluate'>): Promise<HandlerResult> => {
        const { groupedBookingId } = ctx.payload;
        if (!(await isUpcoming(ctx.trx, groupedBookingId, now()))) {
          return { groupedBookingId, skipped: 'started_or_not_live' };
        }
        return decide(ctx, groupedBookingId, { recomputeRollups: true });
      };
      registry.register('booking.reevaluate', HANDLER, reevaluate, {
        // A fan-out (rules.changed, a device's maintenance) sends many at once. Advisory mode: one
        // read of which are still upcoming and of their rows, one fact load, one insert. Enforce
        // mode: one after the other (statuses move, and the rollups of moved rows are recomputed).
        batch: async (contexts) => {
          const first = contexts[0]!;
          if (await enforcing(first.trx)) return inTurn(contexts, reevaluate);
          const at = now();
          const groups = contexts.map((ctx) => ctx.payload.groupedBookingId);
          const live = await upcomingOf(first.trx, groups, at);
          const rows = await reservationRowsOf(
            first.trx,
            groups.filter((g) => live.has(g)),
          );
          const decidable = contexts.filter((ctx) => live.has(ctx.payload.groupedBookingId));
          const decided = await decideReservations(
            first.trx,
            decidable.map((ctx) => ({
              groupedBookingId: ctx.payload.groupedBookingId,
              rows: rows.get(ctx.payload.groupedBookingId) ?? [],
              eventId: ctx.eventId,
              logger: ctx.logger,
            })),
            { snapshot: rules.current(), now: at, trigger: first.jobName, logger: first.logger },
          );
          return contexts.map((ctx) => {
            const { groupedBookingId } = ctx.payload;
            const i = decidable.indexOf(ctx);
            return i < 0
              ? { groupedBookingId, skipped: 'started_or_not_live' }
              : report(ctx, groupedBookingId, decided[i]!);
          });
        },
      });
      registry.register('device.status_changed', HANDLER, async (ctx) =>
        fanOut(
          ctx,
          await reservationsOfDevice(ctx.trx, ctx.payload.deviceId, now()),
          'device.status_changed',
        ),
      );
      registry.register('device.maintenance_changed', HANDLER, async (ctx) => {
        const windows = await maintenanceWindows(ctx.trx, ctx.payload.deviceId, ctx.payload.previous);
        const groups = await reservationsOfDevice(ctx.trx, ctx.payload.deviceId, now(), windows);
        return fanOut(ctx, groups, 'device.maintenance_changed');
      });
      registry.register('rules.changed', HANDLER, async (ctx) =>
        fanOut(ctx, await upcomingReservations(ctx.trx, now()), 'rules.changed'),
      );
    },
  };
}

export const bookingRuleHandlers: HandlerModule = createBookingRuleHandlers();
