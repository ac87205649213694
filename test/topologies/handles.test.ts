import assert from 'node:assert/strict';
import { parsePortSpec } from '../../src/topologies/handles';
import { parsePortRange, rangeHas } from '../../src/topologies/portRange';

describe('topologies/handles', () => {
  const accepted: Array<[unknown, number | null, 'in' | 'out' | null]> = [
    [3, 3, null],
    ['3', 3, null],
    [' 03 ', 3, null],
    ['port-3', 3, null],
    ['Port:3', 3, null],
    ['port_12', 12, null],
    ['in-3', 3, 'in'],
    ['in:3', 3, 'in'],
    ['IN3', 3, 'in'],
    ['input-3', 3, 'in'],
    ['target-3', 3, 'in'],
    ['out-3', 3, 'out'],
    ['out:3', 3, 'out'],
    ['output_3', 3, 'out'],
    ['source-3', 3, 'out'],
    ['in', null, 'in'],
    ['out', null, 'out'],
    ['source', null, 'out'],
    ['target', null, 'in'],
    [null, null, null],
    [undefined, null, null],
    ['', null, null],
    [65535, 65535, null],
  ];
  for (const [value, port, side] of accepted) {
    it(`reads ${JSON.stringify(value)} as ${side ?? 'no side'} ${port ?? 'no port'}`, () => {
      const spec = parsePortSpec(value);
      assert.ok(spec.ok, JSON.stringify(spec));
      assert.deepEqual([spec.port, spec.side], [port, side]);
    });
  }

  for (const value of [
    0,
    -1,
    3.5,
    65536,
    '0',
    '3.5',
    'eth0',
    'port',
    'in-',
    'in-3-4',
    '3 4',
    'p3',
    'x'.repeat(50),
    true,
    {},
    [3],
    Number.NaN,
  ]) {
    it(`refuses ${JSON.stringify(value)} with a reason naming it`, () => {
      const spec = parsePortSpec(value);
      assert.equal(spec.ok, false);
      if (!spec.ok) assert.ok(spec.reason.length > 10 && spec.reason.length < 200, spec.reason);
    });
  }
});

describe('topologies/portRange', () => {
  it('reads single ports, ranges and lists, with spaces', () => {
    const result = parsePortRange(' 17-24, 1 - 8 ,30');
    assert.ok(result.ok && result.range);
    assert.equal(result.range.text, '1-8,17-24,30');
    const has = (p: number) => rangeHas(result.range as NonNullable<typeof result.range>, p);
    assert.deepEqual([0, 1, 8, 9, 16, 17, 24, 25, 30, 31].map(has), [
      false,
      true,
      true,
      false,
      false,
      true,
      true,
      false,
      true,
      false,
    ]);
  });

  it('treats no text as no range', () => {
    for (const value of [null, undefined, '', '   '])
      assert.deepEqual(parsePortRange(value), { ok: true, range: null });
  });

  for (const [value, reason] of [
    ['1-8,,9', 'item 2 is empty'],
    ['1-8,', 'item 2 is empty'],
    ['8-1', 'item "8-1" runs backwards'],
    ['0-4', 'item "0-4" is outside 1..65535'],
    ['1-70000', 'item "1-70000" is outside 1..65535'],
    ['1-8,5-9', 'items 1-8 and 5-9 overlap'],
    ['1..16', 'item "1..16" is not a port or a range such as 1-16'],
    ['1–16', 'item "1–16" is not a port or a range such as 1-16'],
    ['ports 1-16', 'item "ports 1-16" is not a port or a range such as 1-16'],
    ['-3', 'item "-3" is not a port or a range such as 1-16'],
  ] as const) {
    it(`refuses ${JSON.stringify(value)}: ${reason}`, () => {
      assert.deepEqual(parsePortRange(value), { ok: false, reason });
    });
  }

  it('refuses a value that is not text', () => {
    assert.deepEqual(parsePortRange(16), { ok: false, reason: '16 is not text' });
  });
});
