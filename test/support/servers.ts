/**
 * Private Redis and Postgres servers for fault tests: each test file starts its own, on free
 * loopback ports in a temporary folder, so it can kill and restart them without disturbing
 * the shared services (or other engineers' tests). Nothing is persisted: Redis runs with
 * `--save '' --appendonly no`, Postgres with `fsync=off`.
 *
 * Binaries: `redis-server` from PATH (or REDIS_SERVER), the Postgres server binaries from
 * PG_BINDIR, else the folder of `initdb` on PATH, else the newest /usr/lib/postgresql/<v>/bin.
 * `.ci/run` makes sure they are installed. initdb refuses to run as root: as root, the
 * Postgres commands run as the `postgres` system user, who owns the cluster's folder.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { createKnex, ident } from '../../src/db/knex';

/** A free TCP port on 127.0.0.1 (free when asked; the server binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, binary);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

const MISSING_HELP =
  'the fault tests start their own servers: install them (Debian: apt-get install redis-server postgresql) ' +
  'or point REDIS_SERVER / PG_BINDIR at them; .ci/run checks this';

export function redisServerBinary(): string {
  const binary = process.env.REDIS_SERVER ?? onPath('redis-server');
  if (!binary || !existsSync(binary)) throw new Error(`redis-server not found: ${MISSING_HELP}`);
  return binary;
}

export function postgresBinDir(): string {
  const candidates: string[] = [];
  if (process.env.PG_BINDIR) candidates.push(process.env.PG_BINDIR);
  const initdb = onPath('initdb');
  if (initdb) candidates.push(path.dirname(initdb));
  const lib = '/usr/lib/postgresql';
  if (existsSync(lib)) {
    const versions = readdirSync(lib)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => path.join(lib, v, 'bin')));
  }
  const found = candidates.find(
    (dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')),
  );
  if (!found)
    throw new Error(
      `initdb and pg_ctl not found (looked in ${candidates.join(', ') || 'PATH'}): ${MISSING_HELP}`,
    );
  return found;
}

/** uid/gid of the `postgres` system user when running as root (initdb refuses root). */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root and there is no `postgres` user to run initdb as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

async function poll(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every server still running at exit is killed (a failed test must not leave one behind). */
const running = new Set<{ kill(): void }>();
process.once('exit', () => {
  for (const server of running) server.kill();
});

export class PrivateRedis {
  private child: ChildProcess | undefined;
  private log = '';
  private readonly guard = { kill: () => this.child?.kill('SIGKILL') };

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateRedis> {
    const binary = redisServerBinary();
    const dir = await mkdtemp(path.join(tmpdir(), 'provdb-fault-redis-'));
    const redis = new PrivateRedis(await freePort(), dir);
    await redis.launch(binary);
    return redis;
  }

  private async launch(binary = redisServerBinary()): Promise<void> {
    // noeviction, as in production: BullMQ must never lose keys to eviction.
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    args.push('--dir', this.dir, '--maxmemory-policy', 'noeviction');
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    running.add(this.guard);
    child.stdout?.on('data', (chunk: Buffer) => {
      this.log = (this.log + chunk.toString()).slice(-4000);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.log = (this.log + chunk.toString()).slice(-4000);
    });
    try {
      await poll(`redis-server on port ${this.port}`, () => this.ping(), 10_000);
    } catch (error) {
      throw new Error(`${(error as Error).message}; its output: ${this.log}`);
    }
  }

  async ping(): Promise<boolean> {
    const client = new Redis(this.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } finally {
      client.disconnect();
    }
  }

  /** SIGKILL: everything in memory is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    running.delete(this.guard);
  }

  /** Starts an empty server again on the same port. */
  restart(): Promise<void> {
    return this.launch();
  }

  async destroy(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export class PrivatePostgres {
  private readonly guard = { kill: () => this.pgCtlSync('stop', '-m', 'immediate') };

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly bin: string,
    private readonly user: { uid: number; gid: number } | undefined,
  ) {}

  get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  /** Connection string of a database of this cluster (trust auth, user postgres). */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  static async start(): Promise<PrivatePostgres> {
    const bin = postgresBinDir();
    const user = postgresUser();
    const dir = await mkdtemp(path.join(tmpdir(), 'provdb-fault-pg-'));
    if (user) await chown(dir, user.uid, user.gid);
    const pg = new PrivatePostgres(await freePort(), dir, bin, user);
    pg.run('initdb', [
      '-D',
      pg.dataDir,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    await pg.startServer();
    return pg;
  }

  private run(command: string, args: string[]): string {
    try {
      return execFileSync(path.join(this.bin, command), args, {
        cwd: this.dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
        ...(this.user ?? {}),
      });
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string };
      const log = existsSync(path.join(this.dir, 'server.log'))
        ? readFileSync(path.join(this.dir, 'server.log'), 'utf8').slice(-2000)
        : '';
      throw new Error(`${command} ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}\n${log}`);
    }
  }

  private pgCtlSync(...args: string[]): void {
    spawnSync(path.join(this.bin, 'pg_ctl'), ['-D', this.dataDir, ...args], {
      cwd: this.dir,
      stdio: 'ignore',
      timeout: 10_000,
      ...(this.user ?? {}),
    });
  }

  /** `pg_ctl start`, waiting until it accepts connections. */
  async startServer(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      `-k ${this.dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c full_page_writes=off',
      '-c max_connections=100',
    ].join(' ');
    running.add(this.guard);
    this.run('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      path.join(this.dir, 'server.log'),
      '-w',
      '-t',
      '30',
      '-o',
      options,
      'start',
    ]);
  }

  /** `pg_ctl stop -m <mode>`; `immediate` is a crash: no checkpoint, recovery at the next start. */
  async stopServer(mode: 'immediate' | 'fast' = 'fast'): Promise<void> {
    this.run('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', 'stop']);
    running.delete(this.guard);
  }

  /** Creates a database and returns a knex on it (the caller destroys the knex). */
  async createDatabase(name: string): Promise<Knex> {
    const admin = createKnex(this.url(), { poolMax: 1, applicationName: 'provdb-fault-admin' });
    try {
      await admin.raw(`CREATE DATABASE ${ident(name)}`);
    } finally {
      await admin.destroy();
    }
    // The tests crash this server on purpose: knex's lost-connection warnings are expected.
    const quiet = () => undefined;
    return createKnex(this.url(name), {
      applicationName: 'provdb-fault-test',
      log: { warn: quiet, error: quiet, deprecate: quiet, debug: quiet },
    });
  }

  async destroy(): Promise<void> {
    try {
      if (existsSync(path.join(this.dataDir, 'postmaster.pid'))) await this.stopServer('immediate');
    } finally {
      running.delete(this.guard);
      await rm(this.dir, { recursive: true, force: true });
    }
  }
}
