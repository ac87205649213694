/**
 * The topology review's event handlers (docs/topologies.md):
 * - `topology.submitted|updated|recheck`: review the topology, with the `appliesTo: topology`
 *   policies of the rule set in use, and record outcome and findings, in the event's
 *   transaction;
 * - `device.status_changed|maintenance_changed|ownership_changed`: a device the reviews depend on
 *   changed, so every topology naming it (the `topology_devices` index) gets a
 *   `topology.recheck` after commit;
 * - `booking.updated` of a booking that is now confirmed: the same rechecks for its device (a
 *   confirmed booking is what a review checks the requester's use of a device against);
 *   `booking.created` of a booking whose reservation is confirmed: the same for its devices;
 * - `rules.changed`: a new revision of the policies is in use, so every open (unresolved)
 *   review gets a `topology.recheck`.
 *
 * Fan-outs are deduplicated: one recheck per topology per triggering event, whatever the number
 * of nodes placing the device, and the recheck's eventId is derived from the triggering event's
 * and the topology's ids, so a redelivered trigger sends the same rechecks again, which
 * `processed_events` then ignores.
 *
 * Reviews run against the time the job is processed, not the event's `occurredAt`: the review
 * reads current rows (bookings, maintenance, statuses), and `last_checked_at` (which keeps a slow,
 * older check from replacing a newer one) then orders checks by when they actually looked.
 *
 * The rule set comes from `deps.rules` (the worker's RuleSetStore) when the application has one;
 * otherwise the module opens its own store on RULES_DIR at registration.
 */
import type { Knex } from 'knex';
import { groupBy } from '../collections';
import type { AppDeps } from '../deps';
import { createTopologyMetrics, type TopologyMetrics } from '../metrics/topologies';
import { uuidV5 } from '../queues/event-ids';
import type { HandlerContext, HandlerModule, HandlerRegistry } from '../queues/handlers';
import type { RuleSetSnapshot } from '../rules/snapshot';
import { RuleSetStore } from '../rules/store';
import { reviewsUsingDevices, reviewsUsingEachDevice } from './deviceIndex';
import { topologyPolicyFindings } from './policies';
import { type PolicyFindingsSource, reviewTopologyById } from './service';
import { TOPOLOGY_REVIEW_TABLE } from './store';

const HANDLER = 'topologies';

/** A rule set: a store (its current snapshot is read at each review) or a snapshot getter. */
export type RulesSource = Pick<RuleSetStore, 'current'> | (() => RuleSetSnapshot);

export interface TopologyHandlerOptions {
  /** The review's clock (tests pin it); the current time by default. */
  now?: () => Date;
  /** The rule set in use; by default `deps.rules`, else RULES_DIR opened at registration. */
  rules?: RulesSource;
  /** Where reviews are counted; by default on `deps.metrics.registry` (none without deps). */
  metrics?: TopologyMetrics;
}

/**
 * The eventId of a fan-out job: the version 5 UUID of `<key>:<triggering eventId>`, so the same
 * trigger always yields the same follow-ups.
 */
export function derivedEventId(parentEventId: string, key: string): string {
  return uuidV5(`${key}:${parentEventId}`);
}

function snapshotGetter(source: RulesSource): () => RuleSetSnapshot {
  return typeof source === 'function' ? source : () => source.current();
}

const REVIEW_JOBS = ['topology.submitted', 'topology.updated', 'topology.recheck'] as const;
const DEVICE_JOBS = [
  'device.status_changed',
  'device.maintenance_changed',
  // Ownership is a fact of the topology policies (topology.ownedByAnotherCount).
  'device.ownership_changed',
] as const;

interface ReviewSetup {
  now: () => Date;
  policies: PolicyFindingsSource;
  metrics: () => TopologyMetrics | undefined;
}

function registerReviews(registry: HandlerRegistry, setup: ReviewSetup): void {
  for (const job of REVIEW_JOBS) {
    registry.register(job, HANDLER, async ({ trx, payload, eventId, afterCommit }) => {
      const check = await reviewTopologyById(trx, payload.topologyId, {
        now: setup.now(),
        trigger: { eventId, job },
        policyFindings: setup.policies,
      });
      const metrics = setup.metrics();
      if (metrics && !check.recorded.stale) {
        afterCommit(() => metrics.reviewed(check.result.outcome, check.result.findings));
      }
      return {
        outcome: check.result.outcome,
        reviewId: check.recorded.reviewId,
        stale: check.recorded.stale,
        findings: check.recorded.findingsWritten,
      };
    });
  }
}

/** Sends, after commit, one `topology.recheck` per topology (ids distinct and ascending). */
function recheckAll(
  topologyIds: readonly number[],
  eventId: string,
  enqueueAfterCommit: HandlerContext['enqueueAfterCommit'],
): { rechecks: number } {
  for (const topologyId of topologyIds) {
    enqueueAfterCommit('topology.recheck', {
      topologyId,
      eventId: derivedEventId(eventId, `topology.recheck:${topologyId}`),
    });
  }
  return { rechecks: topologyIds.length };
}

/** Sends, after commit, one `topology.recheck` per topology that uses the device. */
async function recheckTopologiesUsing(
  trx: Knex.Transaction,
  deviceId: number,
  eventId: string,
  enqueueAfterCommit: HandlerContext['enqueueAfterCommit'],
): Promise<{ rechecks: number }> {
  return recheckAll(await reviewsUsingDevices(trx, [deviceId]), eventId, enqueueAfterCommit);
}

/**
 * One recheck per topology using the device, however many of its nodes place it. Two device
 * events in a row review a topology twice (cheap, and the later check wins); a redelivered
 * device event re-sends the same rechecks (same eventIds), which change nothing.
 */
function registerFanOut(registry: HandlerRegistry, job: (typeof DEVICE_JOBS)[number]): void {
  registry.register(job, HANDLER, ({ trx, payload, eventId, enqueueAfterCommit }) =>
    recheckTopologiesUsing(trx, payload.deviceId, eventId, enqueueAfterCommit),
  );
}

/**
 * The payload carries no previous status, so any update leaving the booking confirmed rechecks
 * (a moved confirmed booking matters as much as a newly confirmed one).
 */
function registerBookingFanOut(registry: HandlerRegistry): void {
  registry.register(
    'booking.updated',
    HANDLER,
    async ({ trx, payload, eventId, enqueueAfterCommit }) => {
      const device = (await confirmedDevicesOf(trx, [payload.bookingId])).get(payload.bookingId);
      if (device === undefined) return { rechecks: 0 };
      return recheckTopologiesUsing(trx, device, eventId, enqueueAfterCommit);
    },
    {
      // Several events in one transaction: one read of the bookings, one of the topologies.
      batch: async (contexts) => {
        const trx = contexts[0]!.trx;
        const devices = await confirmedDevicesOf(
          trx,
          contexts.map((ctx) => ctx.payload.bookingId),
        );
        const using = await reviewsUsingEachDevice(trx, [...devices.values()]);
        return contexts.map(({ payload, eventId, enqueueAfterCommit }) => {
          const device = devices.get(payload.bookingId);
          if (device === undefined) return { rechecks: 0 };
          return recheckAll(using.get(device) ?? [], eventId, enqueueAfterCommit);
        });
      },
    },
  );
}

/** The device of each booking row that is a confirmed owner row (others are absent). */
async function confirmedDevicesOf(
  trx: Knex.Transaction,
  bookingIds: readonly number[],
): Promise<Map<number, number>> {
  const rows = (await trx('booking_table')
    .whereIn('booking_id', [...new Set(bookingIds)])
    .where({ status_canonical: 'confirmed', is_collaborator: false })
    .whereNotNull('device_id')
    .select('booking_id', 'device_id')) as Array<{ booking_id: number; device_id: number }>;
  return new Map(rows.map((r) => [r.booking_id, r.device_id]));
}

/**
 * A booking created confirmed (by an administrator, or confirmed in the same transaction by the
 * rules' handlers in enforce mode, which run first): the topologies using any device its
 * reservation now holds confirmed are re-checked, each once.
 */
function registerBookingCreatedFanOut(registry: HandlerRegistry): void {
  registry.register(
    'booking.created',
    HANDLER,
    async ({ trx, payload, eventId, enqueueAfterCommit }) => {
      const devices = (await confirmedDevicesOfReservations(trx, [payload.bookingId])).get(payload.bookingId);
      if (!devices) return { rechecks: 0 };
      return recheckAll(await reviewsUsingDevices(trx, devices), eventId, enqueueAfterCommit);
    },
    {
      // Several events in one transaction: one read for all of them (most hold nothing confirmed).
      batch: async (contexts) => {
        const trx = contexts[0]!.trx;
        const held = await confirmedDevicesOfReservations(
          trx,
          contexts.map((ctx) => ctx.payload.bookingId),
        );
        const results: Array<{ rechecks: number }> = [];
        for (const { payload, eventId, enqueueAfterCommit } of contexts) {
          const devices = held.get(payload.bookingId);
          results.push(
            devices
              ? recheckAll(await reviewsUsingDevices(trx, devices), eventId, enqueueAfterCommit)
              : { rechecks: 0 },
          );
        }
        return results;
      },
    },
  );
}

/**
 * For each booking row, the devices its reservation holds confirmed (owner rows), ascending;
 * bookings whose reservation holds none are absent.
 */
async function confirmedDevicesOfReservations(
  trx: Knex.Transaction,
  bookingIds: readonly number[],
): Promise<Map<number, number[]>> {
  const { rows } = await trx.raw<{ rows: Array<{ booking_id: number; device_id: number }> }>(
    `SELECT DISTINCT b.booking_id, r.device_id
       FROM booking_table b
       JOIN booking_table r ON r.grouped_booking_id = b.grouped_booking_id
      WHERE b.booking_id = ANY(?::int[]) AND r.status_canonical = 'confirmed' AND r.is_collaborator = false
        AND r.device_id IS NOT NULL
      ORDER BY b.booking_id, r.device_id`,
    [[...new Set(bookingIds)]],
  );
  const byBooking = groupBy(rows, (row) => row.booking_id);
  return new Map([...byBooking].map(([bookingId, list]) => [bookingId, list.map((r) => r.device_id)]));
}

/**
 * A new rule-set revision: every open review (not resolved by a person) is checked again with
 * it. A `rules.changed` whose revision equals the previous one changes nothing.
 */
function registerRulesChanged(registry: HandlerRegistry): void {
  registry.register('rules.changed', HANDLER, async ({ trx, payload, eventId, enqueueAfterCommit }) => {
    if (payload.previousRevision === payload.revision) return { rechecks: 0 };
    const { rows } = await trx.raw<{ rows: Array<{ topology_id: number }> }>(
      `SELECT r.topology_id FROM ${TOPOLOGY_REVIEW_TABLE} r
         JOIN topology_table t ON t.id = r.topology_id
        WHERE r.resolved_at IS NULL
        ORDER BY r.topology_id`,
    );
    return recheckAll(
      rows.map((r) => r.topology_id),
      eventId,
      enqueueAfterCommit,
    );
  });
}

export function createTopologyHandlers(options: TopologyHandlerOptions = {}): HandlerModule {
  const now = options.now ?? (() => new Date());
  return {
    name: HANDLER,
    register(registry, deps?: AppDeps & { rules?: RulesSource }) {
      // Handlers are registered at once; the rule set and metrics they use are settled below.
      let rules: (() => RuleSetSnapshot) | undefined;
      let metrics = options.metrics;
      const policies = topologyPolicyFindings({
        rules: () => {
          if (!rules) throw new Error('the topology handlers have no rule set yet');
          return rules();
        },
        onSettingsProblem: (problems) =>
          deps?.logger?.warn({ problems }, 'admin_settings rules values ignored (defaults used)'),
      });
      registerReviews(registry, { now, policies, metrics: () => metrics });
      for (const job of DEVICE_JOBS) registerFanOut(registry, job);
      registerBookingFanOut(registry);
      registerBookingCreatedFanOut(registry);
      registerRulesChanged(registry);

      if (!metrics && deps?.metrics) metrics = createTopologyMetrics(deps.metrics.registry);
      const source = options.rules ?? deps?.rules;
      if (source) {
        rules = snapshotGetter(source);
        return;
      }
      if (!deps) {
        throw new Error('topology handlers: no rule set (pass options.rules, or register with the app deps)');
      }
      return RuleSetStore.open({ dir: deps.config.rulesDir, logger: deps.logger }).then((store) => {
        deps.onClose('topology rules', () => store.close());
        rules = () => store.current();
      });
    },
  };
}

export const topologyHandlers: HandlerModule = createTopologyHandlers();
