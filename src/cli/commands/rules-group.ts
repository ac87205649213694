/**
 * The `rules` command group: `rules check`, `rules test` and `rules replay` each live in
 * their own file and attach themselves to the one `rules` command.
 */
import type { Command } from 'commander';

export function rulesCommand(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'rules') ??
    program.command('rules').description('check, test and replay the policies in RULES_DIR')
  );
}
