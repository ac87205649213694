/**
 * `provdb-worker`: the command line of the worker. Each command lives in its own module under
 * ./commands and registers itself here.
 */
import { Command, CommanderError } from 'commander';
import { register as align } from './commands/align';
import { register as demo } from './commands/demo';
import { register as enqueue } from './commands/enqueue';
import { register as jobs } from './commands/jobs';
import { register as migrate } from './commands/migrate';
import { register as rollup } from './commands/rollup';
import { register as rulesCheck } from './commands/rules-check';
import { register as rulesReplay } from './commands/rules-replay';
import { register as rulesTest } from './commands/rules-test';
import { register as start } from './commands/start';
import { register as topologies } from './commands/topologies';
import { EXIT } from './context';

export function buildProgram(): Command {
  const program = new Command('provdb-worker')
    .description('Background worker and policy engine of the lab scheduler (provdb)')
    .showHelpAfterError()
    .exitOverride();
  const commands = [
    migrate,
    align,
    start,
    enqueue,
    jobs,
    rulesCheck,
    rulesTest,
    rulesReplay,
    rollup,
    topologies,
    demo,
  ];
  for (const register of commands) register(program);
  return program;
}

export async function run(argv: string[] = process.argv): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; a usage error (unknown command, missing argument) exits 2.
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
      return;
    }
    throw error;
  }
}

if (require.main === module) {
  run().catch((error: unknown) => {
    process.stderr.write(`provdb-worker: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = EXIT.failed;
  });
}
