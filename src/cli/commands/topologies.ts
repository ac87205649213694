/**
 * `provdb-worker topologies reindex`: rebuilds the `topology_devices` fan-out index for every
 * topology (after upgrading, or when topologies were written while no worker ran).
 * `provdb-worker topologies review <id>`: reviews one topology now, as the worker would (same
 * checks, the policies of RULES_DIR), records the outcome unless `--dry-run`, and prints the
 * findings.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { formatRuleFileError } from '../../rules/errors';
import { loadRuleSet } from '../../rules/load';
import { backfillTopologyDevices } from '../../topologies/deviceIndex';
import { topologyPolicyFindings } from '../../topologies/policies';
import { reviewTopologyById, type TopologyCheck } from '../../topologies/service';
import { TopologyNotFoundError } from '../../topologies/store';
import type { TopologyFinding } from '../../topologies/types';
import { action, type CliContext, EXIT, UsageError } from '../context';

const MAX_ID = 2147483647;

function wholeNumber(option: string, value: string, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new UsageError(
      `topologies: ${option} ${JSON.stringify(value)} must be a whole number from 1 to ${max}`,
    );
  }
  return Number(value);
}

async function reindex(ctx: CliContext, opts: { chunkSize: string }): Promise<number> {
  const chunkSize = wholeNumber('--chunk-size', opts.chunkSize, 10_000);
  const started = Date.now();
  const total = await backfillTopologyDevices(ctx.knex, {
    chunkSize,
    onChunk: (p) =>
      process.stderr.write(
        `topologies reindex: ${p.topologies} topologies, ${p.rows} rows (up to topology ${p.lastTopologyId})\n`,
      ),
  });
  console.log(
    `topologies reindex: ${total.topologies} topologies indexed, ${total.rows} rows in topology_devices, ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return EXIT.ok;
}

interface ReviewOptions {
  dryRun?: boolean;
  json?: boolean;
  rules?: string;
}

function findingLine(f: TopologyFinding): string {
  const where = [
    f.nodeId !== undefined ? `node ${JSON.stringify(f.nodeId)}` : null,
    f.edgeId !== undefined ? `edge ${JSON.stringify(f.edgeId)}` : null,
    f.deviceId !== undefined ? `device ${f.deviceId}` : null,
  ].filter((x) => x !== null);
  const policy =
    f.kind === 'policy' && typeof f.detail.code === 'string'
      ? ` [${f.detail.code}${typeof f.detail.approver === 'string' ? `, approver: ${f.detail.approver}` : ''}]`
      : '';
  return `  ${f.severity.padEnd(7)} ${f.kind.padEnd(22)} ${where.length ? `(${where.join(', ')}) ` : ''}${f.message}${policy}`;
}

function printCheck(check: TopologyCheck, written: boolean): void {
  const { result, recorded } = check;
  const status = !written
    ? 'dry run: nothing written'
    : recorded.stale
      ? 'not written: the review holds a later check'
      : recorded.statusKept
        ? `written to review ${recorded.reviewId}; status kept as "${recorded.status}" (resolved by a person)`
        : `written to review ${recorded.reviewId}`;
  console.log(`topology ${check.topologyId}: ${result.outcome} (${status})`);
  for (const finding of result.findings) console.log(findingLine(finding));
  console.log(`notes: ${result.notes}`);
}

async function review(ctx: CliContext, idText: string, opts: ReviewOptions): Promise<number> {
  const topologyId = wholeNumber('<id>', idText, MAX_ID);
  const rulesDir = path.resolve(opts.rules ?? ctx.config.rulesDir);
  const loaded = await loadRuleSet(rulesDir);
  if (!loaded.ok) {
    for (const error of loaded.errors) process.stderr.write(`${formatRuleFileError(error)}\n`);
    throw new UsageError(`topologies review: ${loaded.errors.length} problem(s) in ${rulesDir}`);
  }
  const snapshot = loaded.snapshot;
  const trx = await ctx.knex.transaction();
  let check: TopologyCheck;
  try {
    check = await reviewTopologyById(trx, topologyId, {
      now: new Date(),
      trigger: { job: 'cli: topologies review' },
      policyFindings: topologyPolicyFindings({
        rules: () => snapshot,
        onSettingsProblem: (problems) => {
          for (const p of problems) process.stderr.write(`warning: ${p}\n`);
        },
      }),
    });
    if (opts.dryRun) await trx.rollback();
    else await trx.commit();
  } catch (error) {
    if (!trx.isCompleted()) await trx.rollback();
    if (error instanceof TopologyNotFoundError) throw new UsageError(`topologies review: ${error.message}`);
    throw error;
  }
  const written = !opts.dryRun;
  if (opts.json) {
    const { usedPorts: _ports, ...result } = check.result;
    console.log(
      JSON.stringify(
        {
          topologyId,
          revision: snapshot.revision,
          written: written && !check.recorded.stale,
          review: written ? check.recorded : null,
          ...result,
        },
        null,
        2,
      ),
    );
  } else {
    printCheck(check, written);
  }
  return EXIT.ok;
}

export function register(program: Command): void {
  const group = program
    .command('topologies')
    .description('topology reviews: rebuild the device index, review a topology now');
  group
    .command('reindex')
    .description(
      'rebuild topology_devices (which devices each topology names) for every topology; safe while workers run',
    )
    .option('--chunk-size <n>', 'topologies read and written per transaction', '200')
    .action(action(reindex));
  group
    .command('review <id>')
    .description(
      'review topology <id> now with the policies of RULES_DIR, record the outcome and findings, and print them',
    )
    .option('--dry-run', 'print the findings without writing anything')
    .option('--json', 'print the result as JSON')
    .option('--rules <dir>', 'policies to use instead of RULES_DIR')
    .action(action(review));
}
