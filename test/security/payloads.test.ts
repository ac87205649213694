// Hostile job payloads against every contract: parsePayload either accepts a value the contract
// allows or throws InvalidPayloadError naming each bad field, quickly, whatever it is given.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JOB_NAMES, JOBS, type JobName, parseJobName, parsePayload } from '../../src/contracts';
import { fieldPath } from '../../src/contracts/format';
import { InvalidPayloadError } from '../../src/errors';
import {
  CASE_MS,
  deeplyNested,
  HOSTILE_DATES,
  hostileValue,
  mutate,
  ODD_STRINGS,
  PROTO_KEYS,
  SQL_STRINGS,
  timed,
} from './hostile';

/** The outcome of parsing: accepted, or rejected with problem lines. Anything else fails. */
function check(name: JobName, data: unknown): { ok: true } | { ok: false; problems: readonly string[] } {
  const { value, ms } = timed(() => {
    try {
      parsePayload(name, data);
      return { ok: true as const };
    } catch (error) {
      if (!(error instanceof InvalidPayloadError)) throw error;
      return { ok: false as const, message: error.message, problems: error.problems };
    }
  });
  assert.ok(ms < CASE_MS, `${name}: parsing took ${Math.round(ms)} ms`);
  if (value.ok) return value;
  assert.ok(value.message.startsWith(`invalid ${name} payload: `), value.message);
  assert.ok(value.problems.length >= 1 && value.problems.length <= 9, value.message.slice(0, 500));
  for (const line of value.problems) {
    // `<field path>: <what is wrong>`; the path is `payload` for the value itself.
    assert.match(
      line,
      /^((payload|[[A-Za-z_$]).*: (expected |missing \(|unknown field, got )|… and \d+ more problem\(s\)$)/s,
      line.slice(0, 200),
    );
    assert.ok(line.length <= 400, `a problem line of ${line.length} characters: ${line.slice(0, 200)}`);
  }
  return { ok: false, problems: value.problems };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function problemsOf(result: ReturnType<typeof check>): readonly string[] {
  assert.equal(result.ok, false, 'the payload was accepted');
  return result.ok ? [] : result.problems;
}

const exampleOf = (name: JobName) => JOBS[name].example as Record<string, unknown>;

describe('hostile job payloads (property-based)', function () {
  this.timeout(120_000);

  it('never throws anything but InvalidPayloadError, never hangs, for any value as a payload', () => {
    fc.assert(
      fc.property(fc.constantFrom(...JOB_NAMES), hostileValue, (name, data) => {
        check(name, data);
      }),
      { numRuns: 400 },
    );
  });

  it('names the field that was changed when a valid payload gets one hostile value', () => {
    for (const name of JOB_NAMES) {
      fc.assert(
        fc.property(mutate(exampleOf(name)), (data) => {
          const result = check(name, data);
          if (result.ok) return;
          // Every problem names a field the payload has, or one the contract requires.
          const keys = [...Object.keys(exampleOf(name)), ...(isRecord(data) ? Object.keys(data) : [])];
          const heads = ['payload', ...keys.map((key) => fieldPath([key]))];
          for (const line of result.problems) {
            if (line.startsWith('…')) continue;
            assert.ok(
              heads.some(
                (head) =>
                  line.startsWith(`${head}: `) || line.startsWith(`${head}.`) || line.startsWith(`${head}[`),
              ),
              `${name}: "${line.slice(0, 120)}" names no field of the payload`,
            );
          }
        }),
        { numRuns: 60 },
      );
    }
  });

  it('rejects prototype keys as unknown fields and never lets them reach Object.prototype', () => {
    for (const name of JOB_NAMES) {
      for (const key of PROTO_KEYS) {
        const text = JSON.stringify(exampleOf(name)).replace(
          /^\{/,
          `{${JSON.stringify(key)}: {"polluted": true},`,
        );
        const result = check(name, JSON.parse(text));
        assert.equal(result.ok, false, `${name} accepted ${key}`);
        assert.match(problemsOf(result).join('; '), new RegExp(`^${key}: unknown field`));
      }
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('takes SQL metacharacters and odd strings as plain values, naming the field', () => {
    for (const value of [...SQL_STRINGS, ...ODD_STRINGS]) {
      const payload = { ...exampleOf('booking.created'), bookingId: value };
      const result = check('booking.created', payload);
      assert.equal(result.ok, false);
      assert.match(problemsOf(result)[0] ?? '', /^bookingId: expected a positive integer, got /);
      // Free-text fields accept them as data (they are bound as parameters, never spliced).
      const reevaluate = { ...exampleOf('booking.reevaluate'), groupedBookingId: value };
      const accepted = check('booking.reevaluate', reevaluate);
      if (!accepted.ok) assert.match(accepted.problems.join('; '), /^groupedBookingId: /);
    }
  });

  it('rejects non-finite and out-of-range numbers, saying what was sent', () => {
    const cases: Array<[unknown, string]> = [
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
      [Number.NEGATIVE_INFINITY, '-Infinity'],
      [2 ** 31, '2147483648'],
      [0, '0'],
      [1.5, '1.5'],
    ];
    for (const [value, shown] of cases) {
      const result = check('device.heartbeat', { ...exampleOf('device.heartbeat'), deviceId: value });
      assert.deepEqual(problemsOf(result), [`deviceId: expected a positive integer, got ${shown}`]);
    }
  });

  it('rejects dates Postgres cannot store or no event can have, naming the field', () => {
    for (const date of HOSTILE_DATES) {
      const occurred = check('booking.created', { ...exampleOf('booking.created'), occurredAt: date });
      assert.equal(occurred.ok, false, `occurredAt ${date} was accepted`);
      assert.match(problemsOf(occurred).join('; '), /^occurredAt: expected /);
      const previous = { deviceId: 1, startTime: date, endTime: '2026-11-25T12:00:00Z' };
      const updated = check('booking.updated', { ...exampleOf('booking.updated'), previous });
      assert.equal(updated.ok, false, `previous.startTime ${date} was accepted`);
      assert.match(problemsOf(updated).join('; '), /^previous\.startTime: expected /);
    }
    // The bounds themselves are accepted, with or without an offset.
    for (const date of [
      '1970-01-01T00:00:00Z',
      '2199-12-31T23:59:59.999+14:00',
      '2026-11-24T09:00:00-05:30',
    ]) {
      assert.deepEqual(check('booking.created', { ...exampleOf('booking.created'), occurredAt: date }), {
        ok: true,
      });
    }
  });

  it('rejects deep nesting quickly, naming the field, without overflowing the stack', () => {
    for (const kind of ['array', 'object'] as const) {
      const payload = { ...exampleOf('booking.updated'), previous: deeplyNested(200_000, kind) };
      const result = check('booking.updated', payload);
      assert.equal(result.ok, false);
      const problems = problemsOf(result).join('; ');
      if (kind === 'array') {
        assert.equal(problems, 'previous: expected an object, got […] (a list nested too deeply to show)');
      } else {
        assert.match(problems, /^previous\.deviceId: missing/);
        assert.match(
          problems,
          /previous\.a: unknown field, got \{…\} \(an object nested too deeply to show\)$/,
        );
      }
    }
  });

  it('cuts a very long unknown key in the message', () => {
    const key = 'k'.repeat(100_000);
    const result = check('booking.created', { ...exampleOf('booking.created'), [key]: 1 });
    assert.equal(result.ok, false);
    assert.match(problemsOf(result)[0] ?? '', /^k{40}… \(100000 characters\): unknown field, got 1$/);
  });

  it('rejects hostile job names with the list of known ones', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 30 }),
          fc.constantFrom(...PROTO_KEYS, ...SQL_STRINGS, 'x'.repeat(100_000)),
        ),
        (name) => {
          if ((JOB_NAMES as readonly string[]).includes(name)) return;
          assert.throws(
            () => parseJobName(name),
            (error: Error) =>
              error instanceof InvalidPayloadError &&
              /^unknown job name .*: expected one of booking\.created, /.test(error.message) &&
              error.message.length < 1_000,
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
