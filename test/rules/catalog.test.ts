import assert from 'node:assert/strict';
import {
  checkFacts,
  exampleFacts,
  FACT_CATALOG,
  factsFor,
  factsSchema,
  POLICY_KINDS,
} from '../../src/rules/facts/catalog';
import { metaOf, objectFields } from '../../src/rules/facts/shape';
import { cleanBooking } from '../support/rules';

describe('rules/facts/catalog', () => {
  it('documents every fact and every field with a description and an example', () => {
    for (const fact of FACT_CATALOG) {
      assert.ok(fact.description.length > 10, fact.name);
      assert.ok(fact.appliesTo.length > 0, fact.name);
      for (const [name, schema] of Object.entries(objectFields(fact.schema) ?? {})) {
        const meta = metaOf(schema);
        assert.ok(meta && meta.description.length > 5, `${fact.name}.${name} has a description`);
        assert.ok(meta && meta.example !== undefined, `${fact.name}.${name} has an example`);
      }
    }
    assert.equal(new Set(FACT_CATALOG.map((f) => f.name)).size, FACT_CATALOG.length, 'names are unique');
  });

  it('has examples that are valid facts of each kind', () => {
    for (const kind of POLICY_KINDS) {
      assert.deepEqual(checkFacts(kind, exampleFacts(kind)), { ok: true }, kind);
      assert.deepEqual(
        Object.keys(exampleFacts(kind)).sort(),
        Object.keys((factsSchema(kind) as unknown as { shape: object }).shape).sort(),
        `${kind}: the catalog and the facts type list the same facts`,
      );
    }
    assert.ok(factsFor('topology').some((f) => f.name === 'topology'));
    assert.ok(!factsFor('topology').some((f) => f.name === 'booking'));
  });

  it('rejects facts with a misspelt or missing field, naming the field', () => {
    const facts = cleanBooking() as unknown as Record<string, Record<string, unknown>>;
    facts.usage!.activeBookings = 3;
    delete facts.device!.tags;
    const check = checkFacts('booking', facts);
    assert.equal(check.ok, false);
    assert.ok(!check.ok && check.problems.some((p) => /^usage: Unrecognized key: "activeBookings"/.test(p)));
    assert.ok(!check.ok && check.problems.some((p) => /^device\.tags: /.test(p)));
  });
});
