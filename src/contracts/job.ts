/**
 * What a job contract is: a name `<entity>.<verb>`, the queue it travels on, a description for
 * the docs, the zod schema of its payload (the source of truth) and an example payload.
 */
import type { z } from 'zod';
import { eventId, object, occurredAt } from './common';

/** BullMQ queue names. `maintenance` carries the worker's own jobs (reconciliation, fan-out). */
export const QUEUE_NAMES = ['bookings', 'devices', 'topologies', 'maintenance'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export function isQueueName(value: string): value is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(value);
}

export interface JobContract<N extends string = string, S extends z.ZodType = z.ZodType> {
  readonly name: N;
  readonly queue: QueueName;
  /** What happened, and what the worker does about it (rendered into docs/contract.md). */
  readonly description: string;
  readonly schema: S;
  /** A valid payload, used in the docs, the JSON Schema `examples` and the tests. */
  readonly example: z.input<S>;
}

/** The envelope every event shares (`eventId`, `occurredAt`) plus the job's own fields. */
export function event<S extends z.ZodRawShape>(fields: S) {
  return object({ eventId, occurredAt, ...fields });
}

export function defineJob<const N extends string, S extends z.ZodType>(
  contract: JobContract<N, S>,
): JobContract<N, S> {
  if (!/^[a-z]+\.[a-z_]+$/.test(contract.name)) {
    throw new Error(`job name ${JSON.stringify(contract.name)} must read <entity>.<verb>`);
  }
  // `.meta()` returns a copy carrying the metadata that the JSON Schema export writes out.
  const schema = contract.schema.meta({
    title: contract.name,
    description: contract.description,
    'x-queue': contract.queue,
    examples: [contract.example],
  });
  return Object.freeze({ ...contract, schema });
}
