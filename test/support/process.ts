/** Child processes running a worker (the CLI or test/support/worker-process.ts), with their JSON logs. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class ChildWorker {
  readonly logs: Array<Record<string, unknown> & { msg: string }> = [];
  stderr = '';
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;

  private constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffer = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines.filter(Boolean)) {
        try {
          this.logs.push(JSON.parse(line));
        } catch {
          this.logs.push({ msg: line });
        }
      }
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** A worker with the test handler module (see worker-process.ts). */
  static test(env: Record<string, string>): ChildWorker {
    return new ChildWorker(['--require', 'tsx/cjs', 'test/support/worker-process.ts'], env);
  }

  /** The real CLI: `provdb-worker <args>`. */
  static cli(args: string[], env: Record<string, string>): ChildWorker {
    return new ChildWorker(['bin/provdb-worker.cjs', ...args], env);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Still running (neither exited nor killed). */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Waits for a log line matching `test`; fails with the logs so far when it does not come. */
  async waitForLog(
    what: string,
    test: (line: Record<string, unknown> & { msg: string }) => boolean,
    timeoutMs = 20_000,
  ): Promise<Record<string, unknown> & { msg: string }> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => {
      exited = true;
    });
    for (;;) {
      const line = this.logs.find(test);
      if (line) return line;
      if (exited || Date.now() > deadline) {
        throw new Error(
          `no log line ${what} (${exited ? 'process exited' : 'timed out'}); stderr: ${this.stderr.slice(-2000)}; last logs: ${this.logs
            .slice(-5)
            .map((l) => l.msg)
            .join(' | ')}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Kills the process if it is still running (for `after` hooks). */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}
