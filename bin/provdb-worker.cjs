#!/usr/bin/env node
// Runs the TypeScript sources through tsx: knex records migration files by their .ts names,
// so the CLI and its migrations always run from source.
require('tsx/cjs');
require('../src/cli/main.ts')
  .run(process.argv)
  .catch((error) => {
    process.stderr.write(`provdb-worker: ${error?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
