import path from 'node:path';
import type { Command } from 'commander';
import { formatRuleFileError } from '../../rules/errors';
import { loadRuleSet } from '../../rules/load';
import { action, EXIT } from '../context';
import { rulesCommand } from './rules-group';

export function register(program: Command): void {
  rulesCommand(program)
    .command('check [dir]')
    .description(
      'validate the policy files (default: RULES_DIR); exit 0 only when all are valid, 2 otherwise',
    )
    .option('--json', 'print the result as JSON')
    .action(
      action(async (ctx, dir: string | undefined, opts: { json?: boolean }) => {
        const rulesDir = path.resolve(dir ?? ctx.config.rulesDir);
        const loaded = await loadRuleSet(rulesDir);
        if (opts.json) {
          console.log(
            JSON.stringify(
              loaded.ok
                ? { ok: true, dir: rulesDir, revision: loaded.snapshot.revision, errors: [] }
                : { ok: false, dir: rulesDir, errors: loaded.errors },
              null,
              2,
            ),
          );
          return loaded.ok ? EXIT.ok : EXIT.badInput;
        }
        if (!loaded.ok) {
          for (const error of loaded.errors) console.log(formatRuleFileError(error));
          console.log(`${loaded.errors.length} problem(s) in ${rulesDir}`);
          return EXIT.badInput;
        }
        const { snapshot } = loaded;
        const count = snapshot.rules.booking.length + snapshot.rules.topology.length;
        console.log(
          `${rulesDir}: ${snapshot.policies.length} policies, ${count} rules, all valid (revision ${snapshot.revision})`,
        );
        return EXIT.ok;
      }),
    );
}
