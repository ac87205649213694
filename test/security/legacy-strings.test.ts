// Hostile legacy maintenance strings (device_table.maintenance_start/end, free text written by the
// legacy backend) and topology JSON: the SQL parser behind the typed columns never raises (a
// raise would block the legacy backend's own UPDATE through the trigger), and the topology
// parser never throws, whatever the text.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseInstant } from '../../src/rollups/parse';
import { MESSAGE_CHARS } from '../../src/topologies/findings';
import { parseTopology } from '../../src/topologies/parse';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { insertSchedulerDevice } from '../support/legacy';
import {
  CASE_MS,
  HOSTILE_DATES,
  hostileString,
  mutate,
  ODD_STRINGS,
  PROTO_KEYS,
  SQL_STRINGS,
  timed,
} from './hostile';

const STATES = new Set(['parsed', 'partial', 'empty', 'unparseable', 'end_before_start']);

/** Strings shaped like the accepted formats, with every field possibly out of range. */
const nearDate: fc.Arbitrary<string> = fc
  .tuple(
    fc.integer({ min: 0, max: 99999 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.stringMatching(/^(|\.\d{1,30})$/),
    fc.constantFrom('', 'Z', '+14:00', '-14:59', '+15:00', '+99:99', '-00:00'),
    fc.constantFrom('T', ' ', 't', '  '),
    fc.boolean(),
  )
  .map(([y, mo, d, h, mi, s, frac, offset, sep, us]) => {
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    return us
      ? `${p(mo)}/${p(d)}/${p(y, 4)} ${p(h)}:${p(mi)}`
      : `${p(y, 4)}-${p(mo)}-${p(d)}${sep}${p(h)}:${p(mi)}:${p(s)}${frac}${offset}`;
  });

// Postgres text cannot hold NUL: the legacy backend cannot write it either.
const storable = (value: string) => !value.includes('\u0000');
/** Real instants in the accepted formats, so every state (parsed, partial, ...) is reached. */
const realDate: fc.Arbitrary<string> = fc
  .tuple(
    fc.date({
      min: new Date('1970-01-01T00:00:00Z'),
      max: new Date('2100-01-01T00:00:00Z'),
      noInvalidDate: true,
    }),
    fc.constantFrom('iso', 'date', 'space', 'us'),
  )
  .map(([d, style]) => {
    const iso = d.toISOString();
    if (style === 'iso') return iso;
    if (style === 'date') return iso.slice(0, 10);
    if (style === 'space') return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
    return `${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(0, 4)} ${iso.slice(11, 16)}`;
  });

const legacyText = fc
  .oneof(
    { weight: 3, arbitrary: realDate },
    { weight: 1, arbitrary: fc.constantFrom('', '   ', '\t\n') },
    { weight: 2, arbitrary: nearDate },
    { weight: 2, arbitrary: hostileString },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...HOSTILE_DATES, ...SQL_STRINGS, ...ODD_STRINGS, ...PROTO_KEYS),
    },
  )
  .filter(storable);

describe('hostile legacy maintenance strings (property-based, real Postgres)', function () {
  this.timeout(120_000);
  let db: TestDatabase;

  before(async () => {
    db = await migratedDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  it('classifies any pair of strings without raising; parsed windows are real and ordered', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(legacyText, legacyText), { minLength: 1, maxLength: 50 }),
        async (pairs) => {
          const started = performance.now();
          const { rows } = await db.knex.raw<{
            rows: Array<{ state: string; starts_at: Date | null; ends_at: Date | null; s: string }>;
          }>(
            `SELECT w.state, w.starts_at, w.ends_at, t.s
             FROM unnest(?::text[], ?::text[]) WITH ORDINALITY AS t(s, e, n)
            CROSS JOIN LATERAL alignment_maintenance_window(t.s, t.e) w ORDER BY t.n`,
            [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
          );
          assert.ok(performance.now() - started < CASE_MS * 5, 'a batch took too long');
          assert.equal(rows.length, pairs.length);
          for (const row of rows) {
            assert.ok(STATES.has(row.state), row.state);
            seen.add(row.state);
            if (row.state === 'parsed') {
              assert.ok(
                row.starts_at && row.ends_at && row.ends_at > row.starts_at,
                JSON.stringify(row).slice(0, 200),
              );
            } else if (row.state !== 'partial') {
              assert.equal(row.starts_at, null);
              assert.equal(row.ends_at, null);
            }
          }
        },
      ),
      { numRuns: 40 },
    );
    // The generator reaches every branch, not only "unparseable".
    assert.deepEqual([...seen].sort(), [...STATES].sort());
  });

  it('never blocks the legacy backend: hostile maintenance writes go through the trigger', async () => {
    const id = await insertSchedulerDevice(db.knex, {});
    const samples = fc.sample(legacyText, { numRuns: 150, seed: 20261124 }).map((s) => s.slice(0, 100));
    for (const [i, start] of samples.entries()) {
      const end = samples[(i + 1) % samples.length] as string;
      await db.knex('device_table').where({ id }).update({ maintenance_start: start, maintenance_end: end });
      const row = await db.knex('device_table').where({ id }).first('maintenance_start');
      assert.equal(
        row.maintenance_start,
        start.replace(/[\ud800-\udfff]/g, (c, at, all) => keepPair(c, at, all)),
      );
    }
  });
});

/** node-postgres sends a lone surrogate as U+FFFD; a proper pair is kept. */
function keepPair(c: string, at: number, all: string): string {
  const code = c.charCodeAt(0);
  if (code <= 0xdbff) return /[\udc00-\udfff]/.test(all[at + 1] ?? '') ? c : '\ufffd';
  return /[\ud800-\udbff]/.test(all[at - 1] ?? '') ? c : '\ufffd';
}

describe('hostile topology JSON (property-based)', function () {
  this.timeout(60_000);
  const valid = {
    nodes: [
      { id: 'a', data: { deviceId: 1 } },
      { id: 'b', data: { deviceId: 2 } },
    ],
    edges: [{ id: 'e1', source: 'a', target: 'b', sourceHandle: 'out-1', targetHandle: 'in-2' }],
  };

  it('never throws or hangs, and every finding is a bounded message with a kind', () => {
    fc.assert(
      fc.property(mutate(valid), fc.boolean(), (topology, asText) => {
        const input = topology as { nodes?: unknown; edges?: unknown };
        let nodes: unknown = input?.nodes;
        let edges: unknown = input?.edges;
        if (asText) {
          try {
            nodes = JSON.stringify(nodes);
            edges = JSON.stringify(edges);
          } catch {
            // too deep for JSON.stringify: parse the values themselves
          }
        }
        const { value, ms } = timed(() => parseTopology({ nodes, edges }));
        assert.ok(ms < CASE_MS, `parsing took ${Math.round(ms)} ms`);
        for (const finding of value.findings) {
          assert.equal(typeof finding.kind, 'string');
          assert.ok(finding.message.length >= 10 && finding.message.length <= MESSAGE_CHARS, finding.message);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('names the column or the element of what is wrong', () => {
    const cases: Array<[unknown, unknown, RegExp]> = [
      ['{"__proto__": 1', '[]', /^nodes is not valid JSON/],
      ['[]', `${'['.repeat(50_000)}${']'.repeat(50_000)}`, /edges/],
      [[{ id: '__proto__', data: { deviceId: "1' OR '1'='1" } }], [], /node "__proto__"/],
      [['x'.repeat(1_000_000)], [], /^nodes\[0\] is "x+…", not a node object$/],
    ];
    for (const [nodes, edges, expected] of cases) {
      const { findings } = parseTopology({ nodes, edges });
      assert.ok(
        findings.some((f) => expected.test(f.message)),
        `${String(expected)}: ${findings
          .map((f) => f.message)
          .join(' | ')
          .slice(0, 500)}`,
      );
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('dates typed on the command line (rollup --from/--to)', () => {
  it('reads every real instant of years 1-9999 exactly, years 0-99 included', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0001-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        (date) => {
          assert.equal(parseInstant(date.toISOString()).toISOString(), date.toISOString());
        },
      ),
      { numRuns: 300 },
    );
    assert.equal(parseInstant('0005-01-01').toISOString(), '0005-01-01T00:00:00.000Z');
  });

  it('rejects anything else with an Error quoting the value', () => {
    fc.assert(
      fc.property(legacyText, (text) => {
        let result: Date | undefined;
        try {
          result = parseInstant(text);
        } catch (error) {
          assert.ok(error instanceof Error);
          assert.ok(error.message.startsWith(JSON.stringify(text)), error.message.slice(0, 200));
          return;
        }
        assert.ok(!Number.isNaN(result.getTime()), `${JSON.stringify(text)} gave an invalid date`);
      }),
      { numRuns: 300 },
    );
    assert.throws(() => parseInstant('0000-01-01'), /"0000-01-01" is not a real date: there is no year 0/);
  });
});
