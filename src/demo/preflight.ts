/**
 * Before the demo starts: are Postgres and Redis reachable? Each is tried once with a short
 * timeout; when one is not, the message says which, at which URL (password hidden), and how to
 * start it, instead of a stack trace after the demo has half run.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { redactUrl } from '../config';
import { withDatabase } from '../db/knex';

export interface ServiceCheck {
  service: 'Postgres' | 'Redis';
  /** The URL tried, password replaced by `***`. */
  url: string;
  /** Which setting the URL came from. */
  variable: 'DATABASE_URL' | 'REDIS_URL';
  ok: boolean;
  /** Server version when reachable, else what went wrong. */
  detail: string;
  /** Reached, but the server refused us (credentials, missing database): starting it will not help. */
  refused?: boolean;
  /** Works, but not as it should run (e.g. Redis evicting keys). */
  warning?: string;
}

export interface PreflightOptions {
  /** Per service, in milliseconds. */
  timeoutMs?: number;
}

export const PREFLIGHT_TIMEOUT_MS = 3_000;

/** SQLSTATEs meaning "the server answered and said no", as opposed to "nobody answered". */
const REFUSALS = new Set(['28000', '28P01', '3D000', '53300', '57P03']);

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms (${what})`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Connects to the `postgres` database of DATABASE_URL's server: the demo creates its own. */
export async function checkPostgres(
  databaseUrl: string,
  options: PreflightOptions = {},
): Promise<ServiceCheck> {
  const timeoutMs = options.timeoutMs ?? PREFLIGHT_TIMEOUT_MS;
  const url = withDatabase(databaseUrl, 'postgres');
  const base = { service: 'Postgres', url: redactUrl(url), variable: 'DATABASE_URL' } as const;
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: 'provdb-worker-demo-preflight',
  });
  // A connection dropped after connect must not become an unhandled 'error' event.
  client.on('error', () => {});
  try {
    await withTimeout(client.connect(), timeoutMs + 500, 'connect');
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return { ...base, ok: true, detail: `Postgres ${rows[0]?.server_version ?? '?'}` };
  } catch (error) {
    const err = error as Error & { code?: string };
    return {
      ...base,
      ok: false,
      detail: err.message || String(error),
      refused: REFUSALS.has(err.code ?? ''),
    };
  } finally {
    await client.end().catch(() => {});
  }
}

export async function checkRedis(redisUrl: string, options: PreflightOptions = {}): Promise<ServiceCheck> {
  const timeoutMs = options.timeoutMs ?? PREFLIGHT_TIMEOUT_MS;
  const base = { service: 'Redis', url: redactUrl(redisUrl), variable: 'REDIS_URL' } as const;
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    disconnectTimeout: 100,
    connectionName: 'provdb-worker-demo-preflight',
  });
  let lastError: Error | undefined;
  redis.on('error', (error: Error) => {
    lastError = error;
  });
  try {
    await withTimeout(redis.connect(), timeoutMs + 500, 'connect');
    await withTimeout(redis.ping(), timeoutMs, 'PING');
    const info = await withTimeout(redis.info('server'), timeoutMs, 'INFO');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
    let warning: string | undefined;
    try {
      const policy = (await withTimeout(
        redis.config('GET', 'maxmemory-policy'),
        timeoutMs,
        'CONFIG',
      )) as string[];
      if (policy[1] && policy[1] !== 'noeviction') {
        warning = `maxmemory-policy is ${policy[1]}; BullMQ needs noeviction (an evicted key is a lost job)`;
      }
    } catch {
      // Managed Redis services often disable CONFIG; nothing to check then.
    }
    return { ...base, ok: true, detail: `Redis ${version}`, ...(warning ? { warning } : {}) };
  } catch (error) {
    const err = (lastError ?? error) as Error;
    const refused = /NOAUTH|WRONGPASS|invalid password|ERR AUTH/i.test(err.message);
    return { ...base, ok: false, detail: err.message || String(error), refused };
  } finally {
    redis.disconnect();
  }
}

/** Both checks, side by side. */
export async function preflight(
  config: { databaseUrl: string; redisUrl: string },
  options: PreflightOptions = {},
): Promise<ServiceCheck[]> {
  return Promise.all([checkPostgres(config.databaseUrl, options), checkRedis(config.redisUrl, options)]);
}

const HOW_TO_START = `How to start them:
  Debian/Ubuntu:     sudo apt-get install postgresql redis-server
                     sudo systemctl start postgresql redis-server
                     (without systemd: sudo pg_ctlcluster <version> main start
                      and redis-server --daemonize yes --maxmemory-policy noeviction)
  macOS (Homebrew):  brew install postgresql@15 redis
                     brew services start postgresql@15 && brew services start redis
  Docker:            docker compose up -d
                     (this repository's docker-compose.yml: Postgres, Redis, Prometheus, Grafana;
                      docker compose up -d postgres redis starts only the two the demo needs)`;

const REFUSED_HELP = {
  Postgres: `Postgres answered but refused the connection: check the user, password and host in DATABASE_URL
  (the demo connects to the server's postgres database to create its own).
  A fresh Debian/Ubuntu Postgres lets user postgres in only through the local socket; give it a password
  (sudo -u postgres psql -c "ALTER USER postgres PASSWORD 'postgres'") and set
  DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/provdb. Homebrew's superuser is your login
  name: DATABASE_URL=postgres://$USER@127.0.0.1:5432/provdb.`,
  Redis:
    'Redis answered but refused the connection: put its password in REDIS_URL (redis://:PASSWORD@host:6379).',
} as const;

/** The message for failed checks (empty when all passed): what, where, and how to fix it. */
export function formatPreflightFailure(checks: readonly ServiceCheck[]): string {
  const failed = checks.filter((c) => !c.ok);
  if (failed.length === 0) return '';
  const lines = [
    `The demo needs Postgres and Redis; ${failed.map((c) => c.service).join(' and ')} ${failed.length === 1 ? 'is' : 'are'} not available:`,
  ];
  for (const c of failed) {
    lines.push(`  ${c.service} at ${c.url} (${c.variable}): ${c.detail}`);
  }
  const unreachable = failed.filter((c) => !c.refused);
  if (unreachable.length > 0) lines.push('', HOW_TO_START);
  for (const c of failed.filter((f) => f.refused)) lines.push('', REFUSED_HELP[c.service]);
  lines.push(
    '',
    'Then run the demo again. DATABASE_URL and REDIS_URL point it at other servers ' +
      '(defaults: postgres://postgres@127.0.0.1:5432/provdb, redis://127.0.0.1:6379).',
  );
  return `${lines.join('\n')}\n`;
}
