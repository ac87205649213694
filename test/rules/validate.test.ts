import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatRuleFileError } from '../../src/rules/errors';
import { buildRuleSet, loadRuleSet } from '../../src/rules/load';

/** A small valid policy; each test breaks one thing. */
function policy(): Record<string, unknown> {
  return {
    policy: 'limits',
    appliesTo: 'booking',
    description: 'Test policy',
    rules: [
      {
        name: 'too-many',
        conditions: {
          all: [
            {
              fact: 'usage',
              path: 'activeFutureBookings',
              operator: 'greaterThan',
              value: { fact: 'limits', path: 'maxActiveBookings' },
            },
          ],
        },
        event: {
          type: 'deny',
          params: { code: 'TOO_MANY', message: '{{usage.activeFutureBookings}} bookings' },
        },
      },
      {
        name: 'owner',
        conditions: { any: [{ fact: 'ownership', path: 'ownedByAnother', operator: 'equal', value: true }] },
        event: {
          type: 'require_approval',
          params: { code: 'OWNER', message: 'owner', approver: 'device-owner' },
        },
      },
    ],
  };
}

type Rule = {
  name?: unknown;
  conditions: { all?: Array<Record<string, unknown>>; any?: unknown[] };
  event: { type: string; params: Record<string, unknown> };
};
const rule0 = (p: Record<string, unknown>) => (p.rules as Rule[])[0]!;
const leaf0 = (p: Record<string, unknown>) => rule0(p).conditions.all![0]!;

function problems(files: Record<string, string | Record<string, unknown>>): string[] {
  const loaded = buildRuleSet(
    Object.entries(files).map(([name, content]) => ({
      name,
      content: typeof content === 'string' ? content : JSON.stringify(content, null, 2),
    })),
  );
  return loaded.ok ? [] : loaded.errors.map(formatRuleFileError);
}

function onlyProblem(mutate: (p: Record<string, unknown>) => void): string {
  const p = policy();
  mutate(p);
  const found = problems({ 'limits.json': p });
  assert.equal(found.length, 1, `expected one problem, got:\n${found.join('\n')}`);
  return found[0]!;
}

describe('rules/validate', () => {
  it('accepts a valid policy and the shipped rules folder', async () => {
    assert.deepEqual(problems({ 'limits.json': policy() }), []);
    const shipped = await loadRuleSet(path.resolve(__dirname, '../../rules'));
    assert.ok(shipped.ok, shipped.ok ? '' : shipped.errors.map(formatRuleFileError).join('\n'));
    assert.ok(shipped.snapshot.rules.booking.length > 0 && shipped.snapshot.rules.topology.length > 0);
  });

  it('reports a JSON syntax error with file, line and column', () => {
    const text = JSON.stringify(policy(), null, 2).replace(
      '"appliesTo": "booking",',
      '"appliesTo": "booking"',
    );
    const [problem, ...rest] = problems({ 'limits.json': text });
    assert.deepEqual(rest, []);
    assert.match(problem!, /^limits\.json:4:3: JSON syntax error: /);
  });

  it('reports an unknown fact with the rule, the JSON path and a suggestion', () => {
    const problem = onlyProblem((p) => {
      leaf0(p).fact = 'usgae';
    });
    assert.match(
      problem,
      /^limits\.json: rule "too-many" at rules\[0\]\.conditions\.all\[0\]\.fact: unknown fact "usgae" \(did you mean "usage"\?\)/,
    );
  });

  it('reports an unknown path inside a fact, listing its fields', () => {
    const problem = onlyProblem((p) => {
      leaf0(p).path = 'activeBookings';
    });
    assert.match(
      problem,
      /rules\[0\]\.conditions\.all\[0\]\.path: path "activeBookings": "activeBookings" is not a field of usage/,
    );
    assert.match(problem, /its fields are: activeFutureBookings, bookedHours/);
  });

  it('reports an unknown path in a compared fact reference', () => {
    const problem = onlyProblem((p) => {
      leaf0(p).value = { fact: 'limits', path: 'maxActive' };
    });
    assert.match(problem, /all\[0\]\.value\.path: path "maxActive": "maxActive" is not a field of limits/);
  });

  it('reports an unknown operator, and decorators as unsupported', () => {
    assert.match(
      onlyProblem((p) => {
        leaf0(p).operator = 'greaterThen';
      }),
      /all\[0\]\.operator: unknown operator "greaterThen" \(did you mean "greaterThan"\?\); operators: equal, /,
    );
    assert.match(
      onlyProblem((p) => {
        leaf0(p).operator = 'not:greaterThan';
      }),
      /operator decorators such as "not:" are not supported/,
    );
  });

  it('reports a value of the wrong type for the operator and the fact', () => {
    assert.match(
      onlyProblem((p) => {
        leaf0(p).value = '5';
      }),
      /all\[0\]\.value: "greaterThan" needs a number as value; got "5"/,
    );
    assert.match(
      onlyProblem((p) => {
        Object.assign(leaf0(p), { fact: 'booking', path: 'status', operator: 'equal', value: 'confirmd' });
      }),
      /"confirmd" is not a possible value of booking.status \(did you mean "confirmed"\?\)/,
    );
    assert.match(
      onlyProblem((p) => {
        Object.assign(leaf0(p), { fact: 'device', path: 'tags', operator: 'equal', value: 'x' });
      }),
      /"equal" compares single values, but device.tags is a list of texts: use "contains"/,
    );
    assert.match(
      onlyProblem((p) => {
        Object.assign(leaf0(p), { fact: 'booking', path: 'startsAt', operator: 'lessThan', value: 0 });
      }),
      /compares numbers, but booking.startsAt is a time .* use an hours fact such as booking.startsInHours/,
    );
    assert.match(
      onlyProblem((p) => {
        Object.assign(leaf0(p), { fact: 'requester', path: 'role', operator: 'in', value: 'Admin' });
      }),
      /"in" needs a list as value/,
    );
    assert.match(
      onlyProblem((p) => {
        Object.assign(leaf0(p), { fact: 'requester', path: 'isAdmin', operator: 'equal', value: null });
      }),
      /requester.isAdmin is never null/,
    );
    assert.match(
      onlyProblem((p) => {
        leaf0(p).value = { fact: 'device', path: 'name' };
      }),
      /"greaterThan" cannot compare usage.activeFutureBookings \(whole number\) with device.name \(text or null\)/,
    );
  });

  it('reports an event type that does not exist', () => {
    const problem = onlyProblem((p) => {
      rule0(p).event.type = 'reject';
    });
    assert.equal(
      problem,
      'limits.json: rule "too-many" at rules[0].event.type: must be one of "deny", "require_approval", "flag"; got "reject"',
    );
  });

  it('reports a rule without a name by its position', () => {
    const problem = onlyProblem((p) => {
      delete rule0(p).name;
    });
    assert.equal(problem, 'limits.json: rules[0]: missing "name"');
  });

  it('reports a missing or empty message, and a missing code', () => {
    assert.equal(
      onlyProblem((p) => {
        delete rule0(p).event.params.message;
      }),
      'limits.json: rule "too-many" at rules[0].event.params: missing "message"',
    );
    assert.match(
      onlyProblem((p) => {
        rule0(p).event.params.message = '';
      }),
      /rules\[0\]\.event\.params\.message: must not be empty/,
    );
    assert.match(
      onlyProblem((p) => {
        delete rule0(p).event.params.code;
      }),
      /rules\[0\]\.event\.params: missing "code"/,
    );
  });

  it('requires an approver exactly for require_approval', () => {
    assert.match(
      onlyProblem((p) => {
        delete (p.rules as Rule[])[1]!.event.params.approver;
      }),
      /rule "owner" at rules\[1\]\.event\.params: missing "approver"/,
    );
    assert.match(
      onlyProblem((p) => {
        rule0(p).event.params.approver = 'admin';
      }),
      /"approver" only makes sense for require_approval, not deny/,
    );
  });

  it('reports a wrong appliesTo, and facts used by the wrong kind of policy', () => {
    const problem = onlyProblem((p) => {
      p.appliesTo = 'bookings';
    });
    assert.equal(problem, 'limits.json: appliesTo: must be one of "booking", "topology"; got "bookings"');
    const wrongKind = problems({
      'limits.json': { ...policy(), appliesTo: 'topology', rules: [(policy().rules as Rule[])[1]] },
    });
    assert.equal(wrongKind.length, 1, wrongKind.join('\n'));
    assert.match(
      wrongKind[0]!,
      /fact "ownership" is not available in topology policies \(only in booking policies\)/,
    );
  });

  it('reports unknown placeholders in messages and approvers', () => {
    assert.match(
      onlyProblem((p) => {
        rule0(p).event.params.message = 'You have {{usage.activeFutureBooking}} bookings';
      }),
      /event\.params\.message: \{\{usage\.activeFutureBooking\}\}: "activeFutureBooking" is not a field of usage \(did you mean "activeFutureBookings"\?\)/,
    );
    assert.match(
      onlyProblem((p) => {
        rule0(p).event.params.message = 'oops {{ process.env }}';
      }),
      /unknown fact "process"/,
    );
    assert.match(
      onlyProblem((p) => {
        rule0(p).event.params.message = 'oops {{usage.bookedHours + 1}}';
      }),
      /is not a fact reference/,
    );
  });

  it('rejects anything that could run code or queries: unknown keys, params, shared conditions', () => {
    assert.match(
      onlyProblem((p) => {
        leaf0(p).params = { sql: 'select 1' };
      }),
      /"params": fact parameters are not supported/,
    );
    assert.match(
      onlyProblem((p) => {
        rule0(p).conditions = { all: [{ condition: 'shared' }] };
      }),
      /shared conditions \("condition": name\) are not supported/,
    );
    assert.match(
      onlyProblem((p) => {
        rule0(p).event.params.script = 'x';
      }),
      /event\.params\.script: unknown property "script"; allowed here: code, message, approver/,
    );
    assert.match(
      onlyProblem((p) => {
        leaf0(p).path = '__proto__.polluted';
      }),
      /the segment "__proto__" is not allowed in a path/,
    );
  });

  it('reports condition structure problems', () => {
    assert.match(
      onlyProblem((p) => {
        rule0(p).conditions = leaf0(p);
      }),
      /rules\[0\]\.conditions: the top level of "conditions" must be an "all", "any" or "not" block/,
    );
    assert.match(
      onlyProblem((p) => {
        rule0(p).conditions = { any: [] };
      }),
      /conditions\.any: "any" must not be empty/,
    );
  });

  it('lists every problem of every file at once, and duplicate names', () => {
    const a = policy();
    leaf0(a).fact = 'nope';
    rule0(a).event.type = 'block';
    (a.rules as Rule[])[1]!.name = 'too-many';
    const found = problems({ 'a.json': a, 'b.json': policy(), 'c.json': '{' });
    assert.ok(found.some((p) => /^a\.json: .*unknown fact "nope"/.test(p)));
    assert.ok(found.some((p) => /^a\.json: .*event\.type: must be one of/.test(p)));
    assert.ok(
      found.some((p) =>
        /^a\.json: rule "too-many" at rules\[1\]\.name: the name "too-many" is already used by rules\[0\]/.test(
          p,
        ),
      ),
    );
    assert.ok(found.some((p) => /^c\.json:1:2: JSON syntax error/.test(p)));
    const dup = problems({ 'a.json': policy(), 'b.json': policy() });
    assert.deepEqual(dup, ['b.json: policy: the policy name "limits" is already used by a.json']);
  });

  it('refuses an empty or missing rules folder', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'provdb-rules-'));
    try {
      await writeFile(path.join(dir, 'notes.txt'), 'not a policy');
      const empty = await loadRuleSet(dir);
      assert.equal(empty.ok, false);
      assert.match(formatRuleFileError(empty.ok ? ({} as never) : empty.errors[0]!), /no policy files/);
      const missing = await loadRuleSet(path.join(dir, 'nope'));
      assert.match(missing.ok ? '' : formatRuleFileError(missing.errors[0]!), /folder does not exist/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives the same revision for the same files, and another for any change', () => {
    const files = [
      { name: 'a.json', content: JSON.stringify(policy()) },
      { name: 'b.json', content: JSON.stringify({ ...policy(), policy: 'other' }) },
    ];
    const one = buildRuleSet(files);
    const two = buildRuleSet([...files].reverse());
    assert.ok(one.ok && two.ok);
    assert.equal(one.snapshot.revision, two.snapshot.revision);
    const changed = buildRuleSet([files[0]!, { name: 'b.json', content: `${files[1]!.content}\n` }]);
    assert.ok(changed.ok);
    assert.notEqual(changed.snapshot.revision, one.snapshot.revision);
  });
});
