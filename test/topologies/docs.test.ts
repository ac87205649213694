import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PARSE_KINDS, REVIEW_KINDS } from '../../src/topologies/types';

describe('docs/topologies.md', () => {
  const doc = readFileSync(path.resolve(__dirname, '../../docs/topologies.md'), 'utf8');

  it('documents every finding kind with its severity and an example message', () => {
    const undocumented = [...PARSE_KINDS, ...REVIEW_KINDS].filter(
      (kind) => !new RegExp(`^\\| \`${kind}\` +\\| (error|warning|info)[^|]*\\| \`.+\` +\\|$`, 'm').test(doc),
    );
    assert.deepEqual(undocumented, []);
  });
});
