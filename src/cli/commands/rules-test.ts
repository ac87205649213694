import path from 'node:path';
import type { Command } from 'commander';
import { formatRuleFileError } from '../../rules/errors';
import { loadRuleSet } from '../../rules/load';
import { coverageGaps, explainFailure, loadRuleTests, runRuleTests } from '../../rules/rule-tests';
import { action, EXIT } from '../context';
import { rulesCommand } from './rules-group';

export function register(program: Command): void {
  rulesCommand(program)
    .command('test [dir]')
    .description(
      'run the policy test cases in <dir>/tests (default: RULES_DIR); exit 0 when all pass, 1 when one fails, 2 on invalid files',
    )
    .option('-v, --verbose', 'list passing cases too')
    .option('--require-coverage', 'fail unless every rule fires in some case and stays silent in a near miss')
    .action(
      action(async (ctx, dir: string | undefined, opts: { verbose?: boolean; requireCoverage?: boolean }) => {
        const rulesDir = path.resolve(dir ?? ctx.config.rulesDir);
        const loaded = await loadRuleSet(rulesDir);
        const tests = await loadRuleTests(rulesDir);
        const errors = [...(loaded.ok ? [] : loaded.errors), ...tests.errors];
        if (errors.length > 0 || !loaded.ok) {
          for (const error of errors) console.log(formatRuleFileError(error));
          console.log(`${errors.length} problem(s) in ${rulesDir}: no test was run`);
          return EXIT.badInput;
        }
        const report = await runRuleTests(loaded.snapshot, tests.cases);
        let failed = 0;
        for (const result of report.results) {
          if (result.passed) {
            if (opts.verbose) console.log(`PASS ${result.case.file}: ${result.case.name}`);
            continue;
          }
          failed += 1;
          console.log(`FAIL ${result.case.file}: ${result.case.name}`);
          for (const line of explainFailure(result)) console.log(`  ${line}`);
        }
        const gaps = coverageGaps(report);
        for (const gap of gaps) console.log(`not covered: ${gap}`);
        const total = report.results.length;
        console.log(
          `${total - failed}/${total} cases passed (revision ${loaded.snapshot.revision}); ` +
            `${report.coverage.length - new Set(gaps.map((g) => g.split(':')[0])).size}/${report.coverage.length} rules covered`,
        );
        if (failed > 0) return EXIT.failed;
        return opts.requireCoverage && gaps.length > 0 ? EXIT.failed : EXIT.ok;
      }),
    );
}
