// Property tests: no input makes the parser or the review throw, hang or write an unreadable finding.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MESSAGE_CHARS } from '../../src/topologies/findings';
import { NOTES_CHARS } from '../../src/topologies/outcome';
import { parseTopology } from '../../src/topologies/parse';
import { reviewTopology } from '../../src/topologies/review';
import { OUTCOMES, PARSE_KINDS, type ReviewResult, SEVERITIES } from '../../src/topologies/types';
import { booking, device, facts, NOW, OTHER_USER } from './fixtures';

const FACTS = facts(
  [
    device(1),
    device(2, { polatisPortRange: '1-8,17-24' }),
    device(3, { polatisPortRange: 'garbage', isSchedulable: null }),
    device(4, { polatisName: 'dup' }),
    device(5, { polatisName: 'DUP', schedulerStatus: 'retired' }),
  ],
  {
    requesterBookings: [booking(1, 1, 10), booking(2, 5, 15)],
    otherBookings: [booking(1, 8, 12, { userId: OTHER_USER })],
    otherTopologyPorts: [
      { topologyId: 9, deviceId: 2, port: 3, startsAt: NOW, endsAt: new Date(NOW.getTime() + 86_400_000) },
    ],
  },
);

// NUL or an unpaired surrogate: what Postgres text and jsonb refuse.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what is looked for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const PARSE = new Set<string>(PARSE_KINDS);

function reviewOf(nodes: unknown, edges: unknown): ReviewResult {
  return reviewTopology(parseTopology({ nodes, edges }), FACTS, { now: NOW });
}

/** Every key and string inside a JSON value. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      out.push(key);
      strings(item, out);
    }
  }
  return out;
}

function assertReadable(result: ReviewResult): void {
  assert.ok(OUTCOMES.includes(result.outcome), result.outcome);
  assert.equal(result.conflictCount, result.counts.error);
  assert.ok(result.notes.length > 0 && result.notes.length <= NOTES_CHARS, result.notes);
  assert.doesNotMatch(result.notes, UNSTORABLE);
  let keptErrors = 0;
  for (const finding of result.findings) {
    assert.ok(SEVERITIES.includes(finding.severity));
    assert.equal(typeof finding.message, 'string');
    assert.ok(finding.message.length >= 10 && finding.message.length <= MESSAGE_CHARS, finding.message);
    assert.doesNotMatch(finding.message, UNSTORABLE);
    const detailText = JSON.stringify(finding.detail);
    assert.ok(detailText.length <= 4500, `${finding.kind}: detail of ${detailText.length}`);
    for (const text of strings(finding.detail)) assert.doesNotMatch(text, UNSTORABLE);
    for (const id of [finding.nodeId, finding.edgeId])
      if (id !== undefined) assert.doesNotMatch(id, UNSTORABLE);
    if (finding.severity === 'error') keptErrors += 1;
  }
  assert.ok(keptErrors <= result.conflictCount);
  if (result.outcome === 'invalid')
    assert.ok(result.findings.some((f) => f.severity === 'error' && PARSE.has(f.kind)));
  if (result.outcome === 'approved') assert.equal(result.counts.error + result.counts.warning, 0);
  if (result.counts.error > 0) assert.ok(result.outcome === 'conflicts' || result.outcome === 'invalid');
}

const anything = fc.anything({
  withNullPrototype: true,
  withObjectString: true,
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withSparseArray: true,
  withBoxedValues: true,
  maxDepth: 4,
});

const ids = fc.constantFrom(
  'a',
  'b',
  'c',
  '__proto__',
  'constructor',
  'toString',
  '',
  ' ',
  1,
  2,
  '\u0000',
  '\ud800',
);
const handle = fc.oneof(
  fc.constantFrom('in', 'out', 'in-1', 'out-2', 'port-3', '17', 'source-24', 'in-99', '0', '3.5', 'x', null),
  fc.integer({ min: -2, max: 30 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  anything,
);
const deviceRef = fc.oneof(
  fc.integer({ min: -1, max: 7 }),
  fc.constantFrom('1', '2', ' 3 ', '1e2', 'x'),
  anything,
);
const reactFlowNode = fc.record(
  {
    id: fc.oneof(ids, anything),
    type: fc.constantFrom('device', 'group', undefined),
    position: fc.constant({ x: 1, y: 2 }),
    data: fc.oneof(
      fc.record(
        {
          deviceId: deviceRef,
          polatisName: fc.oneof(fc.constantFrom('pol-1', 'dup', 'POL-2', ''), anything),
        },
        { requiredKeys: [] },
      ),
      anything,
    ),
  },
  { requiredKeys: [] },
);
const reactFlowEdge = fc.record(
  {
    id: fc.oneof(ids, anything),
    source: fc.oneof(ids, anything),
    target: fc.oneof(ids, anything),
    sourceHandle: handle,
    targetHandle: handle,
    data: fc.oneof(fc.record({ sourcePort: handle, targetPort: handle }, { requiredKeys: [] }), anything),
  },
  { requiredKeys: [] },
);
// The same values as a legacy writer would store them: as JSON text, sometimes cut short.
const maybeText = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof(
    arb,
    arb.map((v) => {
      try {
        return JSON.stringify(v) ?? 'undefined';
      } catch {
        return 'not serialisable';
      }
    }),
    fc.tuple(arb, fc.nat()).map(([v, cut]) => {
      try {
        const text = JSON.stringify(v) ?? '';
        return text.slice(0, cut % (text.length + 1));
      } catch {
        return '';
      }
    }),
  );

describe('topologies/properties', () => {
  it('never throws on arbitrary values, and every finding is readable', () => {
    fc.assert(
      fc.property(anything, anything, (nodes, edges) => assertReadable(reviewOf(nodes, edges))),
      { numRuns: 400 },
    );
  });

  it('never throws on adversarial text', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.json({ maxDepth: 5 }),
      fc.constantFrom(
        '',
        ' ',
        'null',
        '[',
        '[]]',
        '{"__proto__": []}',
        '"[]"',
        '"\\"[]\\""',
        '[1e309]',
        '\u0000',
        '\ud800',
      ),
    );
    fc.assert(
      fc.property(text, text, (nodes, edges) => assertReadable(reviewOf(nodes, edges))),
      { numRuns: 400 },
    );
  });

  it('never throws on React-Flow-shaped topologies with arbitrary parts, and the outcome follows the findings', () => {
    fc.assert(
      fc.property(
        maybeText(fc.array(fc.oneof(reactFlowNode, anything), { maxLength: 12 })),
        maybeText(fc.array(fc.oneof(reactFlowEdge, anything), { maxLength: 12 })),
        (nodes, edges) => assertReadable(reviewOf(nodes, edges)),
      ),
      { numRuns: 600 },
    );
  });

  it('approves only topologies whose every edge uses two distinct, existing ports; text and values agree', () => {
    const id = fc.constantFrom('a', 'b', 'c', 'd');
    const port = fc.constantFrom(
      'in',
      'out',
      'in-1',
      'out-2',
      'port-3',
      '17',
      'source-24',
      'in-5',
      null,
      undefined,
    );
    const wellFormedNode = fc.record({
      id,
      type: fc.constant('device'),
      data: fc.record({ deviceId: fc.constantFrom(1, 2, '2') }),
    });
    const wellFormedEdge = fc.record({ id, source: id, target: id, sourceHandle: port, targetHandle: port });
    const allowed = (deviceId: number, p: number) =>
      deviceId === 1 ? p === 1 || p === 2 : p === 3 || p === 4 || (p >= 1 && p <= 8) || (p >= 17 && p <= 24);
    fc.assert(
      fc.property(
        fc.array(wellFormedNode, { maxLength: 4 }),
        fc.array(wellFormedEdge, { maxLength: 4 }),
        (nodes, edges) => {
          const result = reviewTopology(parseTopology({ nodes, edges }), FACTS, { now: NOW });
          assertReadable(result);
          const fromText = reviewTopology(
            parseTopology({ nodes: JSON.stringify(nodes), edges: JSON.stringify(edges) }),
            FACTS,
            {
              now: NOW,
            },
          );
          assert.deepEqual(fromText, result);
          const seen = new Set(result.usedPorts.map((p) => `${p.deviceId}|${p.port}`));
          assert.equal(seen.size, result.usedPorts.length, 'a port is listed once');
          if (result.outcome === 'approved' || result.outcome === 'needs_approval') {
            assert.equal(result.usedPorts.length, 2 * edges.length);
            for (const p of result.usedPorts) assert.ok(allowed(p.deviceId, p.port), JSON.stringify(p));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  describe('hostile sizes finish quickly', () => {
    const DEPTH = 100_000;
    const timed = (nodes: unknown, edges: unknown) => {
      const started = process.hrtime.bigint();
      const result = reviewOf(nodes, edges);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assertReadable(result);
      assert.ok(ms < 2000, `took ${ms} ms`);
      return result;
    };

    it('deeply nested JSON text', () => {
      const result = timed(
        `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`,
        `${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`,
      );
      assert.equal(result.outcome, 'invalid');
    });

    it('deeply nested values', () => {
      let deep: unknown = 'bottom';
      for (let i = 0; i < DEPTH; i++) deep = i % 2 ? [deep] : { data: deep, id: deep };
      const result = timed(
        [deep, { id: 'n', data: deep }],
        [{ id: deep, source: deep, data: deep, sourceHandle: deep }],
      );
      assert.equal(result.outcome, 'invalid');
    });

    it('a well-formed 10,000-node ring (cost grows linearly, not quadratically)', () => {
      const size = 10_000;
      const devices = Array.from({ length: size }, (_, i) => device(i + 1));
      const ring = facts(devices, { requesterBookings: devices.map((d) => booking(d.deviceId, 1, 2)) });
      const nodes = devices.map((d) => ({ id: `n${d.deviceId}`, data: { deviceId: d.deviceId } }));
      const edges = devices.map((d) => ({
        id: `e${d.deviceId}`,
        source: `n${d.deviceId}`,
        target: `n${(d.deviceId % size) + 1}`,
      }));
      const started = process.hrtime.bigint();
      const result = reviewTopology(parseTopology({ nodes, edges }), ring, { now: NOW });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.equal(result.outcome, 'approved');
      assert.equal(result.usedPorts.length, 2 * size);
      // About 0.1 s on a laptop core; the bound leaves room for a loaded CI machine.
      assert.ok(ms < 1500, `took ${ms} ms`);
    });

    it('huge lists and texts', () => {
      const huge = Array.from({ length: 200_000 }, (_, i) => i);
      assert.deepEqual(
        timed(huge, huge).findings.map((f) => f.kind),
        ['too_large', 'too_large'],
      );
      const junk = Array.from({ length: 40_000 }, (_, i) => (i % 2 ? { id: 'same' } : 'x'));
      const result = timed(junk, JSON.stringify(junk));
      // nodes: 20,000 not objects + 19,999 repeated ids; edges: 20,000 not objects + 20,000
      // without source and target.
      assert.equal(result.counts.error, 20_000 + 19_999 + 20_000 + 2 * 20_000);
      assert.ok(result.findings.length <= 2001);
      timed(`[${'"x",'.repeat(1_000_000)}"x"]`, '[]');
    });
  });
});
