/** Rewrites the generated sections of docs/rules.md (fact and operator tables), then formats it. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { updateRulesDoc, withoutTablePadding } from '../src/rules/docs';

const file = path.resolve(__dirname, '../docs/rules.md');
const before = readFileSync(file, 'utf8');
const after = updateRulesDoc(before);
if (withoutTablePadding(after) === withoutTablePadding(before)) {
  console.log('docs/rules.md is current');
} else {
  writeFileSync(file, after);
  // The formatter pads the tables as `npm run lint` expects them.
  execFileSync(path.resolve(__dirname, '../node_modules/.bin/biome'), ['format', '--write', file], {
    stdio: 'ignore',
  });
  console.log('docs/rules.md updated');
}
