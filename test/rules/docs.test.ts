import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { updateRulesDoc, withoutTablePadding } from '../../src/rules/docs';
import { FACT_CATALOG } from '../../src/rules/facts/catalog';
import { objectFields } from '../../src/rules/facts/shape';
import { buildRuleSet } from '../../src/rules/load';
import { OPERATORS } from '../../src/rules/operators';
import { SHIPPED_RULES_DIR } from '../support/rules';

const DOC = path.resolve(__dirname, '../../docs/rules.md');

const unpadded = withoutTablePadding;

describe('docs/rules.md', () => {
  const doc = readFileSync(DOC, 'utf8');

  it('is current with the fact catalog and operators (run `npm run docs:rules` if not)', () => {
    assert.equal(unpadded(doc), unpadded(updateRulesDoc(doc)));
  });

  it('lists every fact field and every operator', () => {
    for (const fact of FACT_CATALOG) {
      for (const field of Object.keys(objectFields(fact.schema) ?? {})) {
        assert.ok(unpadded(doc).includes(`|\`${fact.name}.${field}\`|`), `${fact.name}.${field}`);
      }
    }
    for (const op of OPERATORS) assert.ok(unpadded(doc).includes(`|\`${op.name}\`|`), op.name);
  });

  it('shows worked-example rules that are valid', () => {
    const examples = [...doc.matchAll(/```json\n(\{\n {2}"name": [\s\S]*?)\n```/g)]
      .flatMap((m) => JSON.parse(`[${m[1]!}]`) as Array<{ name: string; conditions?: unknown }>)
      .filter((block) => block.conditions !== undefined);
    assert.deepEqual(
      examples.map((e) => e.name),
      ['amplifiers-for-users', 'amplifier-ceiling', 'fragile-long-booking', 'switch-needs-review'],
      'the amplifier, fragile and switch examples',
    );
    const booking = examples.filter((e) => e.name === 'fragile-long-booking');
    const topology = examples.filter((e) => e.name !== 'fragile-long-booking');
    const loaded = buildRuleSet([
      {
        name: 'a.json',
        content: JSON.stringify({ policy: 'a', appliesTo: 'booking', description: 'x', rules: booking }),
      },
      {
        name: 'b.json',
        content: JSON.stringify({ policy: 'b', appliesTo: 'topology', description: 'x', rules: topology }),
      },
    ]);
    assert.ok(loaded.ok, loaded.ok ? '' : JSON.stringify(loaded.errors));
  });

  it('quotes the shipped ownership-limits rule as it is', () => {
    const shipped = JSON.parse(readFileSync(path.join(SHIPPED_RULES_DIR, 'ownership-limits.json'), 'utf8'));
    const quoted = JSON.parse(doc.match(/```json\n(\{\n {2}"policy": "ownership-limits"[\s\S]*?)\n```/)![1]!);
    assert.deepEqual(quoted.rules[0].conditions, shipped.rules[0].conditions);
  });
});
