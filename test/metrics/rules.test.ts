import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createRulesMetrics } from '../../src/metrics/rules';
import { RuleSetStore } from '../../src/rules/store';
import { copyShippedRules, type TempRules } from '../support/tmp-rules';

describe('metrics/rules', () => {
  let rules: TempRules;
  let store: RuleSetStore;

  before(async () => {
    rules = await copyShippedRules();
    store = await RuleSetStore.open({ dir: rules.dir, watch: false });
  });
  after(async () => {
    await store.close();
    await rules.remove();
  });

  it('exports the revision in use, the last good reload and reload failures', async () => {
    const registry = new Registry();
    const metrics = createRulesMetrics(registry);
    const stop = metrics.observe(store);
    const value = async (name: string) => (await registry.getSingleMetric(name)!.get()).values;

    assert.deepEqual(
      (await value('provdb_rules_revision_info')).map((v) => [v.labels.revision, v.value]),
      [[store.revision, 1]],
    );
    const loadedAt = (await value('provdb_rules_last_reload_timestamp_seconds'))[0]!.value;
    assert.ok(Math.abs(loadedAt - Date.now() / 1000) < 60);

    const original = await rules.read('conflicts.json');
    await rules.write('conflicts.json', '{ broken');
    await store.reload('test');
    assert.equal((await value('provdb_rules_reload_failures_total'))[0]!.value, 1);

    await rules.write('conflicts.json', original.replace('"value": -0.25', '"value": -0.5'));
    const result = await store.reload('test');
    assert.ok(result.ok && result.changed);
    assert.deepEqual(
      (await value('provdb_rules_revision_info')).map((v) => [v.labels.revision, v.value]),
      [[result.revision, 1]],
      'only the revision in use is exported',
    );
    assert.equal(
      (await value('provdb_rules_last_reload_timestamp_seconds'))[0]!.value,
      result.at.getTime() / 1000,
    );

    stop();
    await rules.write('conflicts.json', '{ broken again');
    await store.reload('test');
    assert.equal((await value('provdb_rules_reload_failures_total'))[0]!.value, 1, 'no longer observed');
    assert.match(await registry.metrics(), /# TYPE provdb_rules_reload_failures_total counter/);
  });
});
