/**
 * Runs `promtool` (Debian/Ubuntu package `prometheus`; `.ci/run` installs it) for the checks of
 * the Prometheus files and the metrics surface. Tests skip, saying why, when it is missing.
 */
import { spawnSync } from 'node:child_process';

export interface PromtoolResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for assertion messages. */
  output: string;
}

let found: boolean | undefined;

export function promtoolAvailable(): boolean {
  found ??= spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
  return found;
}

export const PROMTOOL_MISSING =
  'promtool is not installed: the Prometheus checks are skipped ' +
  '(install it with `apt-get install --no-install-recommends prometheus`; .ci/run does)';

/** Skips the calling suite, with the reason on stderr, when promtool is not installed. */
export function skipWithoutPromtool(context: Mocha.Context): void {
  if (promtoolAvailable()) return;
  process.stderr.write(`      ${PROMTOOL_MISSING}\n`);
  context.skip();
}

export function promtool(args: string[], options: { cwd?: string; input?: string } = {}): PromtoolResult {
  const result = spawnSync('promtool', args, {
    cwd: options.cwd,
    input: options.input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw new Error(`promtool ${args.join(' ')} could not run`, { cause: result.error });
  const stdout = result.stdout ?? '';
  const stderr = result.stderr ?? '';
  return { status: result.status, stdout, stderr, output: `${stdout}${stderr}` };
}

/**
 * prom-client's default metrics include three gauges whose names end in `_total`, which
 * `promtool check metrics` reports; they are prom-client's names, not ours.
 */
export const PROM_CLIENT_LINT = [
  'nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_resources_total non-counter metrics should not have "_total" suffix',
];

/**
 * `promtool check metrics` on a /metrics exposition: the problems it reports, without the known
 * ones of prom-client's default metrics. Empty when the exposition is clean.
 */
export function metricsLintProblems(exposition: string): string[] {
  const result = promtool(['check', 'metrics'], { input: exposition });
  const problems = result.output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !PROM_CLIENT_LINT.some((known) => line.endsWith(known)));
  // Status 3 means "lint problems", all listed in the output; any other failure is a parse
  // error or a crash, reported even if its output says nothing.
  if (result.status === 0 || result.status === 3 || problems.length > 0) return problems;
  return [`promtool check metrics exited with status ${result.status}`];
}
