/**
 * The event contract between the scheduler (producer) and provdb-worker (consumer): every job
 * name, its queue and its payload schema. This folder is the source of truth; `npm run
 * contracts` exports it as JSON Schema to /contracts and renders the job list of
 * docs/contract.md.
 *
 * Strictness: payloads with unknown fields are rejected (see docs/contract.md, "Evolving the
 * contract"): a misspelt optional field would otherwise be dropped silently.
 *
 * To add a job: define it in the module of its entity (or a new `<entity>.ts`), add that list
 * to ALL_JOBS below, run `npm run contracts`.
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { InvalidPayloadError } from '../errors';
import { BOOKING_JOBS } from './booking';
import { DEVICE_JOBS } from './device';
import { formatIssues, preview } from './format';
import { isQueueName, type JobContract, QUEUE_NAMES, type QueueName } from './job';
import { MAINTENANCE_JOBS } from './maintenance';
import { TOPOLOGY_JOBS } from './topology';

export { isQueueName, type JobContract, QUEUE_NAMES, type QueueName };

const ALL_JOBS = [...BOOKING_JOBS, ...DEVICE_JOBS, ...TOPOLOGY_JOBS, ...MAINTENANCE_JOBS] as const;

type AllJobs = (typeof ALL_JOBS)[number];
export type JobName = AllJobs['name'];
type ContractOf<N extends JobName> = Extract<AllJobs, { name: N }>;

/** The validated payload of a job (what handlers receive). */
export type JobPayload<N extends JobName> = z.output<ContractOf<N>['schema']>;
/** What a producer passes; the same shape as the payload (the contract has no defaults). */
export type JobInput<N extends JobName> = z.input<ContractOf<N>['schema']>;

/** A payload whose `eventId` and `occurredAt` may be left out (filled by completeEvent). */
export type EventInput<N extends JobName> = Omit<JobInput<N>, 'eventId' | 'occurredAt'> &
  Partial<Pick<JobInput<N>, 'eventId' | 'occurredAt'>>;

export const JOBS: { readonly [N in JobName]: ContractOf<N> } = Object.freeze(
  Object.fromEntries(ALL_JOBS.map((job) => [job.name, job])),
) as { readonly [N in JobName]: ContractOf<N> };

export const JOB_NAMES = Object.freeze(ALL_JOBS.map((job) => job.name)) as readonly JobName[];

export function isJobName(value: string): value is JobName {
  return Object.hasOwn(JOBS, value);
}

export function contractOf<N extends JobName>(name: N): JobContract<N> {
  return JOBS[name] as unknown as JobContract<N>;
}

export function queueOf(name: JobName): QueueName {
  return JOBS[name].queue;
}

export function jobsOfQueue(queue: QueueName): JobName[] {
  return JOB_NAMES.filter((name) => JOBS[name].queue === queue);
}

/** Checks a job name, with a message listing the known ones. */
export function parseJobName(value: string): JobName {
  if (isJobName(value)) return value;
  throw new InvalidPayloadError(
    `unknown job name ${preview(value)}: expected one of ${JOB_NAMES.join(', ')}`,
  );
}

/**
 * Validates a payload against its job's contract. Throws InvalidPayloadError whose message
 * names every bad field and its value, e.g. `invalid booking.created payload: bookingId:
 * expected a positive integer, got "abc"`.
 */
export function parsePayload<N extends JobName>(name: N, data: unknown): JobPayload<N> {
  const result = JOBS[name].schema.safeParse(data, { reportInput: true });
  if (result.success) return result.data as JobPayload<N>;
  const problems = formatIssues(result.error.issues);
  throw new InvalidPayloadError(`invalid ${name} payload: ${problems.join('; ')}`, problems, {
    cause: result.error,
  });
}

/**
 * Fills in a new `eventId` (random UUID) and `occurredAt` (now) when the input has none, then
 * validates the result. For producers written in TypeScript; the Python side sends both.
 */
export function completeEvent<N extends JobName>(
  name: N,
  input: EventInput<N>,
  now: Date = new Date(),
): JobPayload<N> {
  const candidate =
    typeof input === 'object' && input !== null && !Array.isArray(input)
      ? { eventId: randomUUID(), occurredAt: now.toISOString(), ...input }
      : input;
  return parsePayload(name, candidate);
}
