import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { JOB_NAMES, JOBS } from '../../src/contracts';
import { renderJsonSchemas, updateContractDoc } from '../../src/contracts/export';

const root = path.resolve(__dirname, '../..');

describe('exported contract', () => {
  it('has /contracts up to date with src/contracts (run `npm run contracts` when this fails)', () => {
    const expected = renderJsonSchemas();
    const present = fs.readdirSync(path.join(root, 'contracts')).filter((f) => f.endsWith('.json'));
    assert.deepEqual(
      present.sort(),
      [...expected.keys()].sort(),
      'contracts/ holds other files than expected',
    );
    for (const [file, content] of expected) {
      assert.equal(
        fs.readFileSync(path.join(root, 'contracts', file), 'utf8'),
        content,
        `contracts/${file} is stale`,
      );
    }
  });

  it('has the job reference of docs/contract.md up to date (run `npm run contracts` when this fails)', () => {
    const doc = fs.readFileSync(path.join(root, 'docs/contract.md'), 'utf8');
    assert.equal(doc, updateContractDoc(doc), 'docs/contract.md is stale');
  });

  it('documents every job with a Python and a TypeScript example', () => {
    const doc = fs.readFileSync(path.join(root, 'docs/contract.md'), 'utf8');
    for (const name of JOB_NAMES) {
      assert.ok(doc.includes(`.add("${name}", {`), `no Python example for ${name}`);
      assert.ok(doc.includes(`producer.enqueue('${name}'`), `no TypeScript example for ${name}`);
    }
  });

  it('exports strict JSON Schema 2020-12 with the queue and an example', () => {
    for (const name of JOB_NAMES) {
      const schema = JSON.parse(renderJsonSchemas().get(`${name}.json`) ?? '{}');
      assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
      assert.equal(schema.title, name);
      assert.equal(schema['x-queue'], JOBS[name].queue);
      assert.equal(schema.additionalProperties, false);
      assert.deepEqual(schema.required.slice(0, 2), ['eventId', 'occurredAt']);
      assert.deepEqual(schema.examples, [JOBS[name].example]);
    }
  });
});
