/**
 * `npm run audit:check` (CI): runs `npm audit --omit=dev --json` and decides.
 *
 * - an advisory of severity high or critical in a runtime dependency: exit 1, naming each
 *   package, its severity, the advisory titles and links, and whether a fix is available;
 * - no such advisory (lower ones are listed, not fatal): exit 0;
 * - the audit service could not answer (a registry that does not implement the bulk advisory
 *   endpoint answers 405, no network, a proxy error): a clear warning, exit 0, so CI in a
 *   sandbox without the service goes on (the check is not silently "passed": the warning says
 *   nothing was checked);
 * - output npm audit should not produce (not JSON, an unknown shape): exit 2, so a change in
 *   npm cannot turn the check into a silent pass.
 */
import { execFile } from 'node:child_process';

export const FATAL_SEVERITIES = ['high', 'critical'] as const;
const SEVERITY_ORDER = ['info', 'low', 'moderate', 'high', 'critical'] as const;
type Severity = (typeof SEVERITY_ORDER)[number];

export interface VulnerablePackage {
  readonly name: string;
  readonly severity: Severity;
  /** Advisory titles with their links; for a package affected only through others, those names. */
  readonly advisories: readonly string[];
  readonly fix: string;
}

export type AuditVerdict =
  | { readonly kind: 'clean'; readonly packages: readonly VulnerablePackage[] }
  | {
      readonly kind: 'vulnerable';
      readonly fatal: readonly VulnerablePackage[];
      readonly packages: readonly VulnerablePackage[];
    }
  | { readonly kind: 'unavailable'; readonly reason: string }
  | { readonly kind: 'unrecognised'; readonly reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function severityOf(value: unknown): Severity {
  return (SEVERITY_ORDER as readonly unknown[]).includes(value) ? (value as Severity) : 'info';
}

function describeFix(fix: unknown): string {
  if (fix === true) return 'fix available (npm audit fix)';
  if (isRecord(fix) && typeof fix.name === 'string') {
    return `fix available: ${fix.name}@${String(fix.version)}${fix.isSemVerMajor ? ' (semver-major)' : ''}`;
  }
  return 'no fix available';
}

function packageOf(name: string, entry: Record<string, unknown>): VulnerablePackage {
  const via = Array.isArray(entry.via) ? entry.via : [];
  const advisories = via.map((v) =>
    isRecord(v)
      ? `${String(v.title ?? 'advisory')}${v.url ? ` (${String(v.url)})` : ''}${v.range ? `, affected ${String(v.range)}` : ''}`
      : `through ${String(v)}`,
  );
  return { name, severity: severityOf(entry.severity), advisories, fix: describeFix(entry.fixAvailable) };
}

/** Decides from the text `npm audit --json` printed on stdout. */
export function checkAudit(stdout: string): AuditVerdict {
  let report: unknown;
  try {
    report = JSON.parse(stdout);
  } catch {
    const first = stdout.trim().split('\n')[0] ?? '';
    return {
      kind: 'unrecognised',
      reason: `npm audit did not print JSON: ${JSON.stringify(first.slice(0, 200))}`,
    };
  }
  if (!isRecord(report))
    return { kind: 'unrecognised', reason: 'npm audit printed JSON that is not an object' };

  if (isRecord(report.vulnerabilities)) {
    const packages = Object.entries(report.vulnerabilities)
      .filter((e): e is [string, Record<string, unknown>] => isRecord(e[1]))
      .map(([name, entry]) => packageOf(typeof entry.name === 'string' ? entry.name : name, entry))
      .sort(
        (a, b) =>
          SEVERITY_ORDER.indexOf(b.severity) - SEVERITY_ORDER.indexOf(a.severity) ||
          a.name.localeCompare(b.name),
      );
    const fatal = packages.filter((p) => (FATAL_SEVERITIES as readonly string[]).includes(p.severity));
    return fatal.length > 0 ? { kind: 'vulnerable', fatal, packages } : { kind: 'clean', packages };
  }

  // The error shapes: a failed HTTP request (statusCode, message) or npm's own error object.
  const status = typeof report.statusCode === 'number' ? report.statusCode : undefined;
  const error = isRecord(report.error) ? report.error : undefined;
  if (status !== undefined || error !== undefined) {
    const message =
      (typeof report.message === 'string' && report.message) ||
      (error && typeof error.summary === 'string' && error.summary) ||
      (error && typeof error.code === 'string' && error.code) ||
      `HTTP ${status}`;
    return { kind: 'unavailable', reason: message };
  }
  return { kind: 'unrecognised', reason: 'npm audit printed JSON without "vulnerabilities" or an error' };
}

function line(p: VulnerablePackage): string {
  return `  ${p.name} (${p.severity}): ${p.advisories.join('; ') || 'no details'}; ${p.fix}`;
}

/** The lines to print and the exit code for a verdict. */
export function report(verdict: AuditVerdict): { lines: string[]; exitCode: number } {
  switch (verdict.kind) {
    case 'clean':
      return {
        lines: [
          'npm audit --omit=dev: no high or critical advisory in the runtime dependencies',
          ...(verdict.packages.length > 0
            ? ['lower advisories (not fatal):', ...verdict.packages.map(line)]
            : []),
        ],
        exitCode: 0,
      };
    case 'vulnerable':
      return {
        lines: [
          `npm audit --omit=dev: ${verdict.fatal.length} runtime package(s) with a high or critical advisory: ${verdict.fatal.map((p) => p.name).join(', ')}`,
          ...verdict.packages.map(line),
        ],
        exitCode: 1,
      };
    case 'unavailable':
      return {
        lines: [
          `WARNING: npm audit could not reach the advisory service (${verdict.reason}).`,
          'WARNING: the runtime dependencies were NOT checked for advisories; run `npm audit --omit=dev` where the registry answers.',
        ],
        exitCode: 0,
      };
    case 'unrecognised':
      return { lines: [`npm audit --omit=dev: ${verdict.reason}`], exitCode: 2 };
  }
}

function runAudit(): Promise<string> {
  return new Promise((resolve) => {
    // npm audit exits non-zero both when it finds advisories and when it fails: the JSON decides.
    execFile('npm', ['audit', '--omit=dev', '--json'], { maxBuffer: 64 * 1024 * 1024 }, (_error, stdout) =>
      resolve(stdout),
    );
  });
}

if (require.main === module) {
  runAudit().then((stdout) => {
    const { lines, exitCode } = report(checkAudit(stdout));
    for (const text of lines) console.log(text);
    process.exitCode = exitCode;
  });
}
