import path from 'node:path';
import type { Command } from 'commander';
import { parseInstant } from '../../rollups/parse';
import { formatRuleFileError } from '../../rules/errors';
import type { Reason } from '../../rules/evaluate';
import { loadRuleSet } from '../../rules/load';
import { OUTCOMES, type ReplayChange, type ReplayReport, replay } from '../../rules/replay';
import { action, type CliContext, EXIT, UsageError } from '../context';
import { rulesCommand } from './rules-group';

interface ReplayCliOptions {
  rules: string;
  since?: string;
  until?: string;
  json?: boolean;
  batch: string;
}

function instant(option: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  try {
    return parseInstant(value);
  } catch (error) {
    throw new UsageError(`rules replay: ${option} ${(error as Error).message}`);
  }
}

export function register(program: Command): void {
  rulesCommand(program)
    .command('replay')
    .description(
      'evaluate a candidate rules folder against the stored bookings next to the rules in use (RULES_DIR) and report which decisions would change; writes nothing',
    )
    .requiredOption('--rules <dir>', 'the candidate rules folder')
    .option('--since <date>', 'reservations starting at or after this time (default: those not over yet)')
    .option('--until <date>', 'reservations starting before this time')
    .option('--json', 'print the report as JSON')
    .option('--batch <n>', 'reservations per fact-loading batch', '500')
    .action(action((ctx, opts: ReplayCliOptions) => run(ctx, opts)));
}

async function run(ctx: CliContext, opts: ReplayCliOptions): Promise<number> {
  const since = instant('--since', opts.since);
  const until = instant('--until', opts.until);
  if (since && until && until <= since) {
    throw new UsageError(`rules replay: --until ${opts.until} must be after --since ${opts.since}`);
  }
  if (!/^\d+$/.test(opts.batch) || Number(opts.batch) < 1 || Number(opts.batch) > 10_000) {
    throw new UsageError(
      `rules replay: --batch ${JSON.stringify(opts.batch)} must be a whole number from 1 to 10000`,
    );
  }
  const candidateDir = path.resolve(opts.rules);
  const currentDir = ctx.config.rulesDir;
  const candidate = await loadRuleSet(candidateDir);
  const current = await loadRuleSet(currentDir);
  for (const [label, dir, loaded] of [
    ['candidate rules', candidateDir, candidate],
    ['rules in use (RULES_DIR)', currentDir, current],
  ] as const) {
    if (loaded.ok) continue;
    if (opts.json) {
      console.log(JSON.stringify({ ok: false, which: label, dir, errors: loaded.errors }, null, 2));
    } else {
      for (const error of loaded.errors) console.log(formatRuleFileError(error));
      console.log(`${loaded.errors.length} problem(s) in the ${label}, ${dir}: nothing was replayed`);
    }
    return EXIT.badInput;
  }
  if (!candidate.ok || !current.ok) return EXIT.badInput;
  const report = await replay(ctx.knex, {
    current: current.snapshot,
    candidate: candidate.snapshot,
    since,
    until,
    batchSize: Number(opts.batch),
    onProgress: opts.json
      ? undefined
      : (done, total) => process.stderr.write(`rules replay: ${done}/${total} reservation(s)\n`),
  });
  if (opts.json) {
    console.log(JSON.stringify({ ok: true, currentDir, candidateDir, ...report }, null, 2));
    return EXIT.ok;
  }
  for (const line of formatReport(report, { currentDir, candidateDir })) console.log(line);
  return EXIT.ok;
}

const arrow = (before: string, after: string) => `${before} -> ${after}`;

function reasonLine(sign: string, r: Reason): string {
  const devices = r.deviceIds && r.deviceIds.length > 0 ? ` [device(s) ${r.deviceIds.join(', ')}]` : '';
  const approver = r.approver ? ` (approver: ${r.approver})` : '';
  return `    ${sign} ${r.type} ${r.code} (${r.policy}/${r.rule})${devices}: ${r.message}${approver}`;
}

/** The human report: the transitions table, then each reservation that changes. */
export function formatReport(
  report: ReplayReport,
  dirs: { currentDir: string; candidateDir: string },
): string[] {
  const lines: string[] = [];
  const scope = report.since
    ? `starting from ${report.since}${report.until ? ` until ${report.until}` : ''}`
    : `not over at ${report.now}${report.until ? `, starting before ${report.until}` : ''}`;
  lines.push(
    `replayed ${report.reservations} reservation(s) ${scope}`,
    `  rules in use: revision ${report.currentRevision} (${dirs.currentDir})`,
    `  candidate:    revision ${report.candidateRevision} (${dirs.candidateDir})`,
    `  facts as of ${report.now}; nothing was written`,
    ...report.settingsProblems.map((p) => `  note: ${p}`),
    '',
  );
  const rows = OUTCOMES.flatMap((a) =>
    OUTCOMES.map((b) => [arrow(a, b), report.transitions[`${a}->${b}`]] as const),
  );
  const width = Math.max(...rows.map(([label]) => label.length), 'transition'.length);
  lines.push(`${'transition'.padEnd(width)}  reservations`);
  for (const [label, count] of rows) lines.push(`${label.padEnd(width)}  ${String(count).padStart(12)}`);
  lines.push('');
  const reasonOnly = report.changes.length - report.outcomeChanges;
  lines.push(
    `${report.outcomeChanges} reservation(s) change outcome` +
      (reasonOnly > 0 ? `, ${reasonOnly} more keep it with other reasons` : ''),
  );
  for (const change of report.changes) lines.push(...formatChange(change));
  return lines;
}

function formatChange(c: ReplayChange): string[] {
  return [
    '',
    `${c.groupedBookingId}: ${arrow(c.before, c.after)}  booking(s) ${c.bookingIds.join(', ')}, device(s) ${c.deviceIds.join(', ')}, ` +
      `${c.requester} (user ${c.requesterId}), ${c.startsAt} to ${c.endsAt}, status ${c.status ?? 'unknown'}`,
    ...c.removed.map((r) => reasonLine('-', r)),
    ...c.added.map((r) => reasonLine('+', r)),
  ];
}
