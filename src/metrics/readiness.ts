/**
 * `/readyz`: the process is ready when every check passes within its time limit. The runtime
 * registers `postgres` and `redis`; other parts add theirs (`rules`: "rules loaded") with
 * `deps.readiness.add(name, check)`. A check resolves when fine and throws (or rejects) with the
 * reason otherwise.
 */
export type ReadinessCheck = () => Promise<void>;

export interface CheckResult {
  readonly ok: boolean;
  readonly ms: number;
  readonly error?: string;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly status: 'ready' | 'not ready' | 'shutting down';
  readonly checks: Readonly<Record<string, CheckResult>>;
}

export class ReadinessChecks {
  private readonly checks = new Map<string, { check: ReadinessCheck; timeoutMs: number }>();
  private shuttingDown = false;

  constructor(private readonly defaultTimeoutMs = 2_000) {}

  add(name: string, check: ReadinessCheck, timeoutMs = this.defaultTimeoutMs): this {
    if (this.checks.has(name)) throw new Error(`readiness check ${name} is already registered`);
    this.checks.set(name, { check, timeoutMs });
    return this;
  }

  /** From now on the process reports "shutting down" (503) whatever the checks say. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  async run(): Promise<ReadinessReport> {
    // Connections are being closed: probing them now could reopen one.
    if (this.shuttingDown) return { ready: false, status: 'shutting down', checks: {} };
    const entries = await Promise.all(
      [...this.checks].map(
        async ([name, { check, timeoutMs }]) => [name, await runCheck(check, timeoutMs)] as const,
      ),
    );
    const checks = Object.fromEntries(entries);
    const allOk = entries.every(([, r]) => r.ok);
    return { ready: allOk, status: allOk ? 'ready' : 'not ready', checks };
  }
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(check),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, ms: Math.round(performance.now() - start) };
  } catch (error) {
    return {
      ok: false,
      ms: Math.round(performance.now() - start),
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    clearTimeout(timer);
  }
}
