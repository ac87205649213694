// Replay on a known history: a candidate rule change gives exactly the expected transitions,
// and the candidate's decisions are those evaluateGroup gives on the same facts.
import assert from 'node:assert/strict';
import { loadBookingFacts } from '../../src/rules/facts/load';
import { evaluateGroup } from '../../src/rules/group';
import { loadRuleSet } from '../../src/rules/load';
import { replay } from '../../src/rules/replay';
import type { RuleSetSnapshot } from '../../src/rules/snapshot';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { SHIPPED_RULES_DIR } from '../support/rules';
import { copyShippedRules, type TempRules } from '../support/tmp-rules';
import { at, BookingLab, NOW } from './booking-lab';
import { writeCandidate } from './candidate';

async function snapshot(dir: string): Promise<RuleSetSnapshot> {
  const loaded = await loadRuleSet(dir);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.snapshot;
}

describe('rules replay on a known history', () => {
  let db: TestDatabase;
  let rules: TempRules;
  let current: RuleSetSnapshot;
  let candidate: RuleSetSnapshot;
  const r: Record<string, string> = {};

  before(async () => {
    db = await migratedDatabase();
    rules = await copyShippedRules();
    await writeCandidate(rules);
    current = await snapshot(SHIPPED_RULES_DIR);
    candidate = await snapshot(rules.dir);

    const lab = new BookingLab(db.knex);
    const ava = await lab.user('ava');
    const ben = await lab.user('ben');
    const owner = await lab.user('olga');
    const plain = await lab.device({ inventory: {} });
    const fragile = await lab.device({ inventory: {}, tags: ['fragile'] });
    const owned = await lab.device({ inventory: {} });
    await lab.owner(owned, owner);
    const ownedFragile = await lab.device({ inventory: {}, tags: ['Fragile'] });
    await lab.owner(ownedFragile, owner);
    const busy = await lab.device({ inventory: {} });
    const one = async (
      key: string,
      device: number,
      user: number,
      start: number,
      end: number,
      status = 'pending',
    ) => {
      r[key] = (await lab.reservation([{ device, user, start: at(start), end: at(end), status }])).group;
    };
    await one('plain', plain, ava, 20, 24); // allow -> allow
    await one('fragileLong', fragile, ava, 30, 36); // allow -> deny
    await one('fragileShort', fragile, ben, 40, 43); // allow -> allow
    await one('owned', owned, ava, 20, 24); // require_approval -> allow
    await one('ownedFragile', ownedFragile, ben, 20, 26); // require_approval -> deny
    await one('confirmed', busy, ben, 50, 54, 'confirmed'); // allow -> allow
    await one('conflicting', busy, ava, 52, 56); // deny -> deny
    await one('cancelled', fragile, ava, 60, 66, 'cancelled'); // not replayed
    await one('past', fragile, ava, -30, -24, 'completed'); // over: replayed only with --since
  });
  after(async () => {
    await rules.remove();
    await db.drop();
  });

  it('reports exactly the expected transitions and changes for bookings not over yet', async () => {
    const report = await replay(db.knex, { current, candidate, now: NOW, batchSize: 2 });
    assert.equal(report.reservations, 7);
    assert.equal(report.currentRevision, current.revision);
    assert.equal(report.candidateRevision, candidate.revision);
    const nonZero = Object.fromEntries(Object.entries(report.transitions).filter(([, n]) => n > 0));
    assert.deepEqual(nonZero, {
      'allow->allow': 3,
      'allow->deny': 1,
      'require_approval->allow': 1,
      'require_approval->deny': 1,
      'deny->deny': 1,
    });
    assert.equal(report.outcomeChanges, 3);
    const byGroup = new Map(report.changes.map((c) => [c.groupedBookingId, c]));
    assert.deepEqual([...byGroup.keys()].sort(), [r.fragileLong, r.owned, r.ownedFragile].sort());

    const fragileLong = byGroup.get(r.fragileLong!)!;
    assert.equal(fragileLong.before, 'allow');
    assert.equal(fragileLong.after, 'deny');
    assert.deepEqual(fragileLong.removed, []);
    assert.deepEqual(
      fragileLong.added.map((x) => x.code),
      ['FRAGILE_TOO_LONG'],
    );
    assert.match(
      fragileLong.added[0]!.message,
      /is fragile: bookings of more than 4 hours are for its owners \(none\)/,
    );

    const owned = byGroup.get(r.owned!)!;
    assert.deepEqual([owned.before, owned.after], ['require_approval', 'allow']);
    assert.deepEqual(
      owned.removed.map((x) => [x.type, x.code]),
      [['require_approval', 'OWNER_APPROVAL']],
    );
    assert.deepEqual(
      owned.added.map((x) => [x.type, x.code]),
      [['flag', 'OWNER_APPROVAL']],
    );

    const ownedFragile = byGroup.get(r.ownedFragile!)!;
    assert.deepEqual([ownedFragile.before, ownedFragile.after], ['require_approval', 'deny']);
    assert.deepEqual(
      ownedFragile.reasons.map((x) => x.code),
      ['FRAGILE_TOO_LONG', 'OWNER_APPROVAL'],
    );
  });

  it('gives the decisions evaluateGroup gives with each rule set on the same facts', async () => {
    const report = await replay(db.knex, { current, candidate, now: NOW });
    const facts = await loadBookingFacts(db.knex, Object.values(r), { now: NOW });
    const changes = new Map(report.changes.map((c) => [c.groupedBookingId, c]));
    let compared = 0;
    for (const [key, group] of Object.entries(r)) {
      if (key === 'cancelled' || key === 'past') continue;
      const list = facts.get(group)!;
      const before = await evaluateGroup(current, list);
      const after = await evaluateGroup(candidate, list);
      const change = changes.get(group);
      if (change) {
        assert.equal(change.before, before.outcome, key);
        assert.equal(change.after, after.outcome, key);
        assert.deepEqual(change.reasons, after.reasons, key);
      } else {
        assert.equal(before.outcome, after.outcome, key);
        assert.deepEqual(before.reasons, after.reasons, key);
      }
      compared += 1;
    }
    assert.equal(compared, 7);
  });

  it('replays the bookings starting in [since, until), past ones included', async () => {
    const past = await replay(db.knex, { current, candidate, now: NOW, since: at(-48), until: at(0) });
    assert.equal(past.reservations, 1);
    // Denied as in the past by both sets, and newly as fragile and long.
    assert.equal(past.transitions['deny->deny'], 1);
    assert.deepEqual(
      past.changes.map((c) => [c.groupedBookingId, c.added.map((x) => x.code)]),
      [[r.past, ['FRAGILE_TOO_LONG']]],
    );
    const window = await replay(db.knex, { current, candidate, now: NOW, since: at(25), until: at(45) });
    assert.equal(window.reservations, 2);
    assert.equal(window.transitions['allow->deny'], 1);
    assert.equal(window.transitions['allow->allow'], 1);
  });

  it('finds nothing to change when the candidate is the rules in use', async () => {
    const same = await replay(db.knex, { current, candidate: current, now: NOW });
    assert.equal(same.reservations, 7);
    assert.deepEqual(same.changes, []);
    assert.equal(same.transitions['deny->deny'], 1);
    assert.equal(same.transitions['require_approval->require_approval'], 2);
  });

  it('reports an unreadable setting once, whatever the number of batches', async () => {
    const lab = new BookingLab(db.knex);
    await lab.setting('rules.maxBooking', { max_hours: 72 });
    try {
      const report = await replay(db.knex, { current, candidate, now: NOW, batchSize: 1 });
      assert.equal(report.reservations, 7);
      assert.equal(report.settingsProblems.length, 1);
      assert.match(
        report.settingsProblems[0]!,
        /admin_settings "rules\.maxBooking" = \{"max_hours":72\} is invalid/,
      );
    } finally {
      await db.knex('admin_settings').where({ key: 'rules.maxBooking' }).delete();
    }
  });
});
