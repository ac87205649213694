/**
 * pg_dump of a test database (schema and data) in a form that can be compared byte for byte:
 * the rows of each COPY block are sorted, since heap order is not part of a table's contents
 * (an UPDATE moves a row within the heap, and rolling alignment back does not move it back).
 * knex's own bookkeeping (migration list, its id sequence) is left out: it records the
 * migrations themselves, not the data.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

function pgDumpBinary(): string {
  const bundled = '/usr/lib/postgresql/15/bin/pg_dump';
  return existsSync(bundled) ? bundled : 'pg_dump';
}

export async function comparableDump(databaseUrl: string): Promise<string> {
  const { stdout } = await run(
    pgDumpBinary(),
    ['--no-owner', '--no-privileges', '--exclude-table=provdb_worker_migrations*', `--dbname=${databaseUrl}`],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  const out: string[] = [];
  let block: string[] | null = null;
  for (const line of stdout.split('\n')) {
    // pg_dump 15.14+ brackets its output with a random \restrict key.
    if (/^\\(un)?restrict /.test(line)) continue;
    if (block) {
      if (line === '\\.') {
        out.push(...block.sort(), line);
        block = null;
      } else {
        block.push(line);
      }
    } else {
      out.push(line);
      if (/^COPY .* FROM stdin;$/.test(line)) block = [];
    }
  }
  return out.join('\n');
}
