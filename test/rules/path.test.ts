import assert from 'node:assert/strict';
import { createPathResolver, parsePath, resolvePath } from '../../src/rules/path';

describe('rules/path', () => {
  const facts = {
    usage: { activeFutureBookings: 3 },
    conflicts: { windows: [{ bookingId: 4650 }, { bookingId: 4651 }] },
    topology: { categoryCounts: { 'test-equipment': 2 } },
  };

  it('follows dot paths, list positions and names with dashes', () => {
    assert.equal(resolvePath(facts, 'usage.activeFutureBookings'), 3);
    assert.equal(resolvePath(facts, 'conflicts.windows.1.bookingId'), 4651);
    assert.equal(resolvePath(facts, 'topology.categoryCounts.test-equipment'), 2);
    assert.equal(resolvePath(facts.usage, '$.activeFutureBookings'), 3, 'a leading $. is accepted');
    assert.equal(resolvePath(facts, 'usage.missing'), undefined);
    assert.equal(resolvePath(facts, 'conflicts.windows.7.bookingId'), undefined);
  });

  it('never reaches prototypes or inherited properties', () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "a": {}}');
    for (const path of [
      '__proto__',
      '__proto__.polluted',
      'constructor',
      'a.constructor.prototype',
      'a.toString',
    ]) {
      assert.equal(resolvePath(hostile, path), undefined, path);
      assert.equal(createPathResolver()(hostile, path), undefined, path);
    }
    assert.equal(resolvePath([1, 2], 'length'), undefined, 'only positions index lists');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('rejects malformed paths with a reason', () => {
    for (const path of ['a..b', 'a.', 'a[0]', 'a.b c', 'a.__proto__', '$..a']) {
      const parsed = parsePath(path);
      assert.equal(parsed.ok, false, path);
    }
    assert.deepEqual(parsePath('a.b.0'), { ok: true, segments: ['a', 'b', '0'] });
  });
});
