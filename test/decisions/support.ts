// Driving the rules' handlers through processEvent (the runtime's path minus BullMQ and Redis),
// with the shipped rules, a pinned clock, a private metrics registry and captured logs.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { Registry } from 'prom-client';
import { type EventInput, type JobName, parsePayload, queueOf } from '../../src/contracts';
import { createBookingRuleHandlers } from '../../src/decisions/handlers';
import { createRulesMetrics, type RulesMetrics } from '../../src/metrics/rules';
import { type HandlerModule, HandlerRegistry } from '../../src/queues/handlers';
import {
  type FollowUp,
  type ProcessResult,
  processEvent,
  processEventBatch,
} from '../../src/queues/process-event';
import { RuleSetStore } from '../../src/rules/store';
import { SHIPPED_RULES_DIR } from '../support/rules';
import { type CapturedLogs, captureLogs } from '../support/runtime';

export interface RulesHarness {
  readonly store: RuleSetStore;
  readonly registry: Registry;
  readonly metrics: RulesMetrics;
  readonly handlers: HandlerRegistry;
  readonly logs: CapturedLogs;
  deliver<N extends JobName>(name: N, input: EventInput<N>): Promise<ProcessResult>;
  /** Delivers the events together, as a busy worker batches them (processEventBatch). */
  deliverBatch<N extends JobName>(name: N, inputs: readonly EventInput<N>[]): Promise<ProcessResult[]>;
  /** Processes follow-ups (as the runtime would after commit); returns their results. */
  runFollowUps(followUps: readonly FollowUp[]): Promise<ProcessResult[]>;
  close(): Promise<void>;
}

export async function rulesHarness(
  knex: Knex,
  now: () => Date,
  options: { dir?: string; extraModules?: readonly HandlerModule[] } = {},
): Promise<RulesHarness> {
  const store = await RuleSetStore.open({ dir: options.dir ?? SHIPPED_RULES_DIR, watch: false });
  const registry = new Registry();
  const metrics = createRulesMetrics(registry);
  const handlers = new HandlerRegistry();
  const modules = [
    createBookingRuleHandlers({ now, rules: store, metrics }),
    ...(options.extraModules ?? []),
  ];
  // These modules take what they need from their options, not from the application's deps.
  for (const m of modules) await m.register(handlers, undefined as never);
  const logs = captureLogs('debug');
  const run = <N extends JobName>(name: N, payload: Record<string, unknown>) => {
    const parsed = parsePayload(name, payload);
    const eventId = (parsed as { eventId: string }).eventId;
    return processEvent(
      { knex, handlers, logger: logs.logger },
      { jobName: name, payload: parsed, queue: queueOf(name), jobId: eventId, attempt: 1 },
    );
  };
  return {
    store,
    registry,
    metrics,
    handlers,
    logs,
    deliver: (name, input) => run(name, { eventId: randomUUID(), occurredAt: now().toISOString(), ...input }),
    deliverBatch: (name, inputs) =>
      processEventBatch(
        { knex, handlers, logger: logs.logger },
        inputs.map((input) => {
          const payload = parsePayload(name, {
            eventId: randomUUID(),
            occurredAt: now().toISOString(),
            ...input,
          });
          const eventId = (payload as { eventId: string }).eventId;
          return { jobName: name, payload, queue: queueOf(name), jobId: eventId, attempt: 1 };
        }),
      ),
    async runFollowUps(followUps) {
      const results: ProcessResult[] = [];
      for (const f of followUps) results.push(await run(f.name, f.payload));
      return results;
    },
    close: () => store.close(),
  };
}

export interface DecisionRow {
  id: number;
  booking_id: number;
  grouped_booking_id: string;
  outcome: string;
  reasons: Array<{
    policy: string;
    rule: string;
    type: string;
    code: string;
    message: string;
    approver?: string;
    values: Record<string, unknown>;
    conditions: Array<{
      fact: string;
      path?: string;
      operator: string;
      factValue: unknown;
      comparedValue: unknown;
    }>;
    deviceIds?: number[];
  }>;
  ruleset_revision: string;
  event_id: string;
  trigger: string;
  mode: string;
  status_before: string | null;
  status_after: string | null;
  evaluated_at: Date;
}

export async function decisionsOf(knex: Knex, groupedBookingId: string): Promise<DecisionRow[]> {
  return (await knex('booking_decisions')
    .where({ grouped_booking_id: groupedBookingId })
    .orderBy('id')) as DecisionRow[];
}

export async function statusOf(knex: Knex, bookingId: number): Promise<string | null> {
  const row = await knex('booking_table').where({ booking_id: bookingId }).first('status');
  return (row as { status: string | null }).status;
}

/** Counter value of a metric with these labels (0 when never counted). */
export async function counter(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return hit?.value ?? 0;
}
