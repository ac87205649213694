// Drives events through processEvent, the runtime's own path minus BullMQ and Redis.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { type EventInput, type JobName, parsePayload, queueOf } from '../../src/contracts';
import type { AppDeps } from '../../src/deps';
import { createMetrics, createRegistry } from '../../src/metrics';
import { type HandlerModule, HandlerRegistry } from '../../src/queues/handlers';
import { type ProcessResult, processEvent, processEventBatch } from '../../src/queues/process-event';
import { RuleSetStore } from '../../src/rules/store';
import { SHIPPED_RULES_DIR } from './rules';

const logger = pino({ level: 'silent' });

export function registryOf(...modules: HandlerModule[]): HandlerRegistry {
  const registry = new HandlerRegistry();
  // The modules driven this way use no application dependency beyond the event context, but
  // may read the configuration while registering (a schedule's interval): they get the defaults.
  const deps = { config: loadConfig({}) } as unknown as AppDeps;
  for (const m of modules) void m.register(registry, deps);
  return registry;
}

/**
 * Registers modules that take what they need from the application's dependencies (the build's
 * HANDLER_MODULES: the rules read `deps.rules` and `deps.metrics`), with the shipped rules and
 * a private metrics registry. Close the returned store when done.
 */
export async function registryWithDeps(
  ...modules: HandlerModule[]
): Promise<{ handlers: HandlerRegistry; rules: RuleSetStore }> {
  const rules = await RuleSetStore.open({ dir: SHIPPED_RULES_DIR, watch: false });
  const deps = {
    config: loadConfig({}),
    rules,
    metrics: createMetrics(createRegistry({ defaultMetrics: false })),
  } as Partial<AppDeps>;
  const handlers = new HandlerRegistry();
  for (const m of modules) await m.register(handlers, deps as AppDeps);
  return { handlers, rules };
}

export function deliver<N extends JobName>(
  knex: Knex,
  handlers: HandlerRegistry,
  jobName: N,
  input: EventInput<N>,
): Promise<ProcessResult> {
  const eventId = randomUUID();
  const payload = parsePayload(jobName, { eventId, occurredAt: new Date().toISOString(), ...input });
  return processEvent(
    { knex, handlers, logger },
    { jobName, payload, queue: queueOf(jobName), jobId: eventId, attempt: 1 },
  );
}

/** Delivers events of one job together, as a busy worker batches them (processEventBatch). */
export function deliverBatch<N extends JobName>(
  knex: Knex,
  handlers: HandlerRegistry,
  jobName: N,
  inputs: readonly EventInput<N>[],
): Promise<ProcessResult[]> {
  return processEventBatch(
    { knex, handlers, logger },
    inputs.map((input) => {
      const eventId = randomUUID();
      const payload = parsePayload(jobName, { eventId, occurredAt: new Date().toISOString(), ...input });
      return { jobName, payload, queue: queueOf(jobName), jobId: eventId, attempt: 1 };
    }),
  );
}
