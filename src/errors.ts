/**
 * The error taxonomy handlers throw, and how the queue runtime treats each kind:
 *
 * | kind        | thrown as                                  | the job...                                  |
 * | ----------- | ------------------------------------------ | ------------------------------------------- |
 * | `invalid`   | `InvalidPayloadError`                      | fails at once, no retry (stays inspectable) |
 * | `not_found` | `RowNotFoundError`                         | retries with backoff, then fails            |
 * | `transient` | `TransientError`, or recognised I/O errors | retries with exponential backoff            |
 * | `fatal`     | anything else                              | fails with its message                      |
 *
 * Recognised transient errors need no wrapping: Postgres connection loss and `40001`/`40P01`
 * (serialization failure, deadlock), pool timeouts and Redis connection errors are detected here
 * from their codes, anywhere in the `cause` chain. Nothing in this file knows about BullMQ.
 */

/** A payload (or other input) that can never be processed as it is: retrying cannot help. */
export class InvalidPayloadError extends Error {
  override readonly name = 'InvalidPayloadError';
  constructor(
    message: string,
    /** One line per problem, each naming the field and the value. */
    readonly problems: readonly string[] = [message],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The event refers to a row that does not exist (yet): the scheduler may enqueue before its own
 * transaction is visible, so the job is retried for a while before it fails with this message.
 */
export class RowNotFoundError extends Error {
  override readonly name = 'RowNotFoundError';
  constructor(
    /** Table (or entity) name, e.g. `booking_table`. */
    readonly table: string,
    readonly id: string | number,
    options?: ErrorOptions,
  ) {
    super(`${table} row ${JSON.stringify(id)} not found`, options);
  }
}

/** A failure that is expected to go away by itself (a service restarting, a lock held). */
export class TransientError extends Error {
  override readonly name = 'TransientError';
}

export type ErrorKind = 'invalid' | 'not_found' | 'transient' | 'fatal';

/**
 * SQLSTATEs worth retrying: connection exceptions (class 08), serialization failure, deadlock,
 * lock timeout, server shutting down or not accepting connections yet, too many connections.
 */
const TRANSIENT_SQLSTATES = new Set([
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '08007',
  '40001',
  '40P01',
  '55P03',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** Socket-level failures (Node `code`s): the peer went away or could not be reached. */
const TRANSIENT_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

/** Errors without a code that pg, knex and ioredis raise when a connection is lost. */
const TRANSIENT_NAMES = new Set(['KnexTimeoutError', 'MaxRetriesPerRequestError', 'TransientError']);
const TRANSIENT_MESSAGES = [
  // pg: server closed the connection; knex prefixes the statement it was running ("BEGIN; - ...")
  /Connection terminated/,
  /Connection ended unexpectedly/, // pg: server crashed mid-query
  // pg: a query on a client whose connection broke; knex prefixes the statement ("ROLLBACK - ...")
  // when the transaction's rollback is what hits it (Postgres stopped with -m immediate)
  /Client has encountered a connection error and is not queryable/,
  /^Connection is closed/, // ioredis
  /Stream isn't writeable and enableOfflineQueue options is false/, // ioredis, while reconnecting
  /timeout exceeded when trying to connect/, // pg pool
  /Knex: Timeout acquiring a connection/,
];

function* causes(error: unknown): Generator<unknown> {
  const seen = new Set<unknown>();
  const stack: unknown[] = [error];
  while (stack.length > 0) {
    const current = stack.pop();
    if (current === undefined || current === null || seen.has(current)) continue;
    seen.add(current);
    yield current;
    if (typeof current === 'object') {
      const { cause, errors } = current as { cause?: unknown; errors?: unknown };
      if (cause !== undefined) stack.push(cause);
      // Node reports a refused connection to several addresses as an AggregateError.
      if (Array.isArray(errors)) stack.push(...errors);
    }
  }
}

/** True when the error, or anything in its `cause` chain, is a recognised transient failure. */
export function isTransientError(error: unknown): boolean {
  for (const e of causes(error)) {
    if (typeof e !== 'object' || e === null) continue;
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === 'string' && (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_SOCKET_CODES.has(code))) {
      return true;
    }
    if (typeof name === 'string' && TRANSIENT_NAMES.has(name)) return true;
    if (typeof message === 'string' && TRANSIENT_MESSAGES.some((re) => re.test(message))) return true;
  }
  return false;
}

/** Decides how the runtime treats an error thrown while processing a job. */
export function classifyError(error: unknown): ErrorKind {
  if (error instanceof InvalidPayloadError) return 'invalid';
  if (error instanceof RowNotFoundError) return 'not_found';
  if (isTransientError(error)) return 'transient';
  return 'fatal';
}

/** Longest description kept: it ends up in logs and in BullMQ's failedReason. */
const MAX_DESCRIPTION = 2_000;

/**
 * The message of anything thrown, with the message of its first cause when that adds something
 * (not for InvalidPayloadError: its message already names every problem), cut to a sane length.
 */
export function describeError(error: unknown): string {
  let text: string;
  if (!(error instanceof Error)) text = String(error);
  else {
    const cause =
      error.cause instanceof Error && !(error instanceof InvalidPayloadError)
        ? error.cause.message
        : undefined;
    text = cause && !error.message.includes(cause) ? `${error.message} (caused by: ${cause})` : error.message;
  }
  return text.length <= MAX_DESCRIPTION
    ? text
    : `${text.slice(0, MAX_DESCRIPTION)}… (${text.length} characters)`;
}
