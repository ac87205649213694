import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger';
import { evaluate } from '../../src/rules/evaluate';
import type { TopologyFacts } from '../../src/rules/facts/catalog';
import {
  type ReloadFailure,
  type ReloadSuccess,
  RuleSetInvalidError,
  RuleSetStore,
} from '../../src/rules/store';
import { copyShippedRules, type TempRules } from '../support/tmp-rules';

const topology = (deviceCount: number): TopologyFacts => ({
  topology: {
    id: 1,
    name: 'big',
    nodeCount: deviceCount,
    edgeCount: 0,
    deviceCount,
    deviceIds: [],
    unknownNodeCount: 0,
    categories: [],
    categoryCounts: {},
    deviceTypes: [],
    unschedulableCount: 0,
    ownedByAnotherCount: 0,
    ownedByAnotherIds: [],
  },
  requester: { id: 1, username: 'root', role: 'Admin', isAdmin: true, approvalLimits: null },
});

async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('rules/store (hot reload)', () => {
  let rules: TempRules;
  let store: RuleSetStore | undefined;
  const logLines: string[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _enc, done) {
        logLines.push(String(chunk));
        done();
      },
    }),
  );

  beforeEach(async () => {
    rules = await copyShippedRules();
    logLines.length = 0;
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    await rules.remove();
  });

  it('swaps in a valid edit, then keeps the last good set when a broken file is saved', async () => {
    store = await RuleSetStore.open({ dir: rules.dir, logger, debounceMs: 50 });
    const first = store.current();
    assert.equal((await evaluate(first, 'topology', topology(35))).outcome, 'deny');

    const original = await rules.read('topology-limits.json');
    const reloaded = once(store, 'reloaded');
    await rules.write('topology-limits.json', original.replaceAll('"value": 32', '"value": 40'));
    const [success] = (await within(5000, 'the reload of a valid edit', reloaded)) as [ReloadSuccess];
    assert.equal(success.changed, true);
    assert.equal(success.previousRevision, first.revision);
    const second = store.current();
    assert.equal(second.revision, success.revision);
    assert.notEqual(second.revision, first.revision);
    assert.equal(
      (await evaluate(second, 'topology', topology(35))).outcome,
      'allow',
      'the new limit applies',
    );
    assert.equal(
      (await evaluate(first, 'topology', topology(35))).outcome,
      'deny',
      'a held snapshot never changes',
    );

    const failed = once(store, 'reloadFailed');
    await rules.write(
      'topology-limits.json',
      original.replace('"appliesTo": "topology",', '"appliesTo": "topology"'),
    );
    const [failure] = (await within(5000, 'the failed reload of a broken file', failed)) as [ReloadFailure];
    assert.equal(failure.keptRevision, second.revision);
    assert.match(`${failure.errors[0]!.file}:${failure.errors[0]!.line}`, /^topology-limits\.json:4$/);
    assert.equal(store.current(), second, 'the last good set stays in use');
    assert.equal((await evaluate(store.current(), 'topology', topology(35))).outcome, 'allow');
    const logged = logLines.map((l) => JSON.parse(l)).find((l) => l.msg.startsWith('rules reload failed'));
    assert.equal(logged?.level, 50);
    assert.match(logged.errors[0], /^topology-limits\.json:4:3: JSON syntax error/);
    assert.equal(logged.keptRevision, second.revision);
  });

  it('reloads on request (SIGHUP) without watching, reporting success and failure', async () => {
    store = await RuleSetStore.open({ dir: rules.dir, watch: false });
    const before = store.revision;
    assert.deepEqual(
      await store.reload('SIGHUP').then((r) => [r.ok, r.ok && r.changed]),
      [true, false],
      'unchanged files: nothing to swap',
    );
    await rules.write('utilization.json', '{"policy": "utilization", "appliesTo": "booking"}');
    const failed = await store.reload('SIGHUP');
    assert.equal(failed.ok, false);
    assert.ok(!failed.ok && failed.errors.some((e) => /missing "description"/.test(e.message)));
    assert.equal(store.revision, before);
    await rules.write(
      'utilization.json',
      JSON.stringify({
        policy: 'utilization',
        appliesTo: 'booking',
        description: 'one rule',
        rules: [
          {
            name: 'hoarding',
            conditions: {
              all: [
                { fact: 'utilization', path: 'requesterNextWeekShare', operator: 'greaterThan', value: 0.9 },
              ],
            },
            event: { type: 'flag', params: { code: 'HOARDING', message: 'hoarding' } },
          },
        ],
      }),
    );
    const ok = await store.reload('SIGHUP');
    assert.ok(ok.ok && ok.changed);
    assert.notEqual(store.revision, before);
    assert.equal(store.current().rules.booking.filter((r) => r.policy === 'utilization').length, 1);
  });

  it('folds a burst of reload requests into one, and never loses an edit made during a reload', async () => {
    store = await RuleSetStore.open({ dir: rules.dir, watch: false });
    const burst = await Promise.all([store.reload('a'), store.reload('b'), store.reload('c')]);
    assert.deepEqual(
      burst.map((r) => r.reason),
      ['a', 'a', 'a'],
    );
    const running = store.reload('first');
    await rules.write(
      'conflicts.json',
      (await rules.read('conflicts.json')).replace('"value": -0.25', '"value": -1'),
    );
    const next = store.reload('second');
    await Promise.all([running, next]);
    const expected = await RuleSetStore.open({ dir: rules.dir, watch: false });
    await expected.close();
    assert.equal(store.revision, expected.revision, 'the edit is in use');
  });

  it('refuses to start on an invalid folder, listing every problem', async () => {
    await rules.write('conflicts.json', '{');
    await rules.write('utilization.json', '[]');
    await assert.rejects(RuleSetStore.open({ dir: rules.dir, watch: false }), (error: unknown) => {
      assert.ok(error instanceof RuleSetInvalidError);
      assert.equal(error.errors.length, 2);
      assert.match(error.message, /conflicts\.json:1:2: JSON syntax error/);
      assert.match(error.message, /utilization\.json: a policy file must hold one object/);
      return true;
    });
  });

  it('stops watching when closed: later edits change nothing', async () => {
    store = await RuleSetStore.open({ dir: rules.dir, debounceMs: 20 });
    const revision = store.revision;
    let events = 0;
    store.on('reloaded', () => {
      events += 1;
    });
    await store.close();
    await store.close();
    await rules.write('conflicts.json', `${await rules.read('conflicts.json')}\n`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(events, 0);
    assert.equal(store.revision, revision);
  });
});
