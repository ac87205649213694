/**
 * `npm run contracts`: writes the JSON Schema of every job to /contracts and refreshes the job
 * reference in docs/contract.md, from src/contracts (the source of truth).
 */
import fs from 'node:fs';
import path from 'node:path';
import { renderJsonSchemas, updateContractDoc } from '../src/contracts/export';

const root = path.resolve(__dirname, '..');
const dir = path.join(root, 'contracts');
const doc = path.join(root, 'docs', 'contract.md');

fs.mkdirSync(dir, { recursive: true });
const files = renderJsonSchemas();
for (const stale of fs.readdirSync(dir).filter((f) => f.endsWith('.json') && !files.has(f))) {
  fs.rmSync(path.join(dir, stale));
  console.log(`removed contracts/${stale}`);
}
for (const [name, content] of files) fs.writeFileSync(path.join(dir, name), content);
console.log(`wrote ${files.size} file(s) to contracts/`);
fs.writeFileSync(doc, updateContractDoc(fs.readFileSync(doc, 'utf8')));
console.log('updated docs/contract.md');
