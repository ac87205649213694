import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import * as migration from '../../migrations/20261124050000_topology_review_findings';
import { buildTopologyFacts } from '../../src/topologies/facts';
import { parseTopology } from '../../src/topologies/parse';
import { reviewTopology } from '../../src/topologies/review';
import {
  AUDIT_ACTOR_ROLE,
  type RecordReviewInput,
  recordReviewOutcome,
  TopologyNotFoundError,
} from '../../src/topologies/store';
import type { ReviewResult, TopologyFinding } from '../../src/topologies/types';
import { migratedDatabase, type TestDatabase } from '../support/db';

const T0 = new Date('2026-11-24T10:00:00Z');
const T1 = new Date('2026-11-24T11:30:00Z');

function result(outcome: ReviewResult['outcome'], findings: TopologyFinding[]): RecordReviewInput['result'] {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity] += 1;
  return { outcome, conflictCount: counts.error, counts, findings, notes: `${outcome} notes` };
}

const unknownDevice: TopologyFinding = {
  kind: 'unknown_device',
  severity: 'error',
  nodeId: 'n1',
  deviceId: 999,
  message: 'node "n1" names device 999, which does not exist',
  detail: { by: 'deviceId', nodeIds: ['n1'] },
};
const portReused: TopologyFinding = {
  kind: 'port_reused',
  severity: 'error',
  nodeId: 'n2',
  edgeId: 'e2',
  deviceId: 4,
  message: 'edge "e2" uses port 8 ...',
  detail: { port: 8, otherEdgeId: 'e1' },
};

describe('topologies/store', () => {
  let db: TestDatabase;
  let knex: Knex;
  let userId: number;
  let adminId: number;

  before(async () => {
    db = await migratedDatabase();
    knex = db.knex;
    const users = await Promise.all(
      ['alice', 'admin'].map(async (username) => {
        const [row] = await knex('user_table')
          .insert({ username, password: 'x', is_admin: false })
          .returning('id');
        return (row as { id: number }).id;
      }),
    );
    [userId, adminId] = users as [number, number];
  });
  after(async () => {
    await db?.drop();
  });

  async function topology(name: string): Promise<number> {
    const [row] = await knex('topology_table')
      .insert({
        user_id: userId,
        name,
        nodes: '[]',
        edges: '[]',
        created_at: T0.toISOString(),
        updated_at: T0.toISOString(),
      })
      .returning('id');
    return (row as { id: number }).id;
  }

  const record = (input: RecordReviewInput) => knex.transaction((trx) => recordReviewOutcome(trx, input));
  const reviewRow = (topologyId: number) =>
    knex('topology_review').where({ topology_id: topologyId }).first();
  const findingRows = (reviewId: number) =>
    knex('topology_review_findings').where({ review_id: reviewId }).orderBy('id').select();
  const auditRows = (reviewId: number) =>
    knex('admin_audit_log')
      .where({ entity_type: 'topology_review', entity_id: String(reviewId) })
      .orderBy('id');

  it('creates the review when the topology has none, with its findings and an audit entry', async () => {
    const topologyId = await topology('created');
    const recorded = await record({
      topologyId,
      result: result('conflicts', [unknownDevice, portReused]),
      checkedAt: T0,
      trigger: { eventId: '0b8f7c1e-5d3a-4c55-9a44-1f6f3e2a9b10', job: 'topology.submitted' },
    });
    assert.equal(recorded.created, true);
    assert.equal(recorded.status, 'conflicts');

    const review = await reviewRow(topologyId);
    assert.deepEqual(
      {
        id: review.id,
        status: review.status,
        conflict_count: review.conflict_count,
        notes: review.notes,
        last_checked_at: review.last_checked_at.toISOString(),
        created_at: review.created_at.toISOString(),
        updated_at: review.updated_at.toISOString(),
        resolved_at: review.resolved_at,
      },
      {
        id: recorded.reviewId,
        status: 'conflicts',
        conflict_count: 2,
        notes: 'conflicts notes',
        last_checked_at: T0.toISOString(),
        created_at: T0.toISOString(),
        updated_at: T0.toISOString(),
        resolved_at: null,
      },
    );

    const rows = await findingRows(recorded.reviewId);
    assert.deepEqual(
      rows.map((r) => [r.kind, r.severity, r.node_id, r.edge_id, r.device_id, r.message, r.detail]),
      [
        ['unknown_device', 'error', 'n1', null, 999, unknownDevice.message, unknownDevice.detail],
        ['port_reused', 'error', 'n2', 'e2', 4, portReused.message, portReused.detail],
      ],
    );

    const [audit] = await auditRows(recorded.reviewId);
    assert.equal(audit.id, recorded.auditId);
    assert.equal(audit.actor_role, AUDIT_ACTOR_ROLE);
    assert.equal(audit.actor_id, null);
    assert.equal(audit.action, 'topology_review.checked');
    assert.equal(audit.outcome, 'success');
    assert.equal(audit.created_at.toISOString(), T0.toISOString());
    assert.match(audit.message, new RegExp(`^topology ${topologyId} checked: conflicts notes$`));
    assert.equal(audit.payload.outcome, 'conflicts');
    assert.equal(audit.payload.created, true);
    assert.deepEqual(audit.payload.kinds, { unknown_device: 1, port_reused: 1 });
    assert.equal(audit.payload.trigger.job, 'topology.submitted');
  });

  it('replaces the findings and the outcome on a re-check, keeping one review row', async () => {
    const topologyId = await topology('rechecked');
    const first = await record({
      topologyId,
      result: result('conflicts', [unknownDevice, portReused]),
      checkedAt: T0,
    });
    const second = await record({ topologyId, result: result('approved', []), checkedAt: T1 });
    assert.equal(second.created, false);
    assert.equal(second.reviewId, first.reviewId);

    const review = await reviewRow(topologyId);
    assert.deepEqual(
      [review.status, review.conflict_count, review.notes, review.last_checked_at.toISOString()],
      ['approved', 0, 'approved notes', T1.toISOString()],
    );
    assert.equal(review.created_at.toISOString(), T0.toISOString());
    assert.deepEqual(await findingRows(first.reviewId), []);
    const audits = await auditRows(first.reviewId);
    assert.deepEqual(
      audits.map((a) => [a.payload.outcome, a.payload.previousStatus, a.payload.conflictCount]),
      [
        ['conflicts', null, 2],
        ['approved', 'conflicts', 0],
      ],
    );
  });

  it("never overwrites a person's resolution: status and notes kept, findings and check time recorded", async () => {
    const topologyId = await topology('resolved');
    const resolvedAt = new Date('2026-11-20T09:00:00Z');
    await knex('topology_review').insert({
      topology_id: topologyId,
      status: 'approved',
      conflict_count: 0,
      notes: 'Checked with the lab manager: fine.',
      resolved_at: resolvedAt.toISOString(),
      resolved_by: adminId,
      created_at: T0.toISOString(),
      updated_at: T0.toISOString(),
    });
    const recorded = await record({ topologyId, result: result('conflicts', [portReused]), checkedAt: T1 });
    assert.deepEqual([recorded.status, recorded.statusKept, recorded.created], ['approved', true, false]);

    const review = await reviewRow(topologyId);
    assert.deepEqual(
      [review.status, review.notes, review.resolved_at.toISOString(), review.resolved_by],
      ['approved', 'Checked with the lab manager: fine.', resolvedAt.toISOString(), adminId],
    );
    assert.deepEqual([review.conflict_count, review.last_checked_at.toISOString()], [1, T1.toISOString()]);
    assert.deepEqual(
      (await findingRows(recorded.reviewId)).map((r) => r.kind),
      ['port_reused'],
    );
    const [audit] = await auditRows(recorded.reviewId);
    assert.equal(audit.payload.statusKept, true);
    assert.equal(audit.payload.outcome, 'conflicts');
    assert.match(audit.message, /status "approved" kept \(resolved by a person\)$/);
  });

  it('keeps a newer check when an older one finishes later', async () => {
    const topologyId = await topology('out of order');
    const newer = await record({ topologyId, result: result('conflicts', [portReused]), checkedAt: T1 });
    const older = await record({ topologyId, result: result('approved', []), checkedAt: T0 });
    assert.deepEqual([older.stale, older.auditId, older.findingsWritten], [true, null, 0]);
    const review = await reviewRow(topologyId);
    assert.deepEqual([review.status, review.last_checked_at.toISOString()], ['conflicts', T1.toISOString()]);
    assert.deepEqual(
      (await findingRows(newer.reviewId)).map((r) => r.kind),
      ['port_reused'],
    );
    assert.equal((await auditRows(newer.reviewId)).length, 1);
  });

  it('serializes concurrent checks of one topology: one review row, one set of findings', async () => {
    const topologyId = await topology('concurrent');
    const checks = [T0, T1, T0, T1].map((checkedAt, i) =>
      record({
        topologyId,
        result: result('conflicts', i % 2 ? [unknownDevice] : [unknownDevice, portReused]),
        checkedAt,
      }),
    );
    const recorded = await Promise.all(checks);
    assert.equal(new Set(recorded.map((r) => r.reviewId)).size, 1);
    assert.equal(recorded.filter((r) => r.created).length, 1);
    const counted = await knex('topology_review').where({ topology_id: topologyId }).count({ count: '*' });
    assert.equal(counted[0]?.count, 1);
    const rows = await findingRows(recorded[0]?.reviewId as number);
    // Whatever the order, the set is one check's set: the T1 check's single finding wins.
    assert.deepEqual(
      rows.map((r) => r.kind),
      ['unknown_device'],
    );
    assert.equal((await reviewRow(topologyId)).last_checked_at.toISOString(), T1.toISOString());
  });

  it('writes UTC times whatever the time zone of the host', async () => {
    const topologyId = await topology('time zone');
    const saved = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      await record({ topologyId, result: result('approved', []), checkedAt: T1 });
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
    const review = await reviewRow(topologyId);
    assert.deepEqual(
      [review.last_checked_at.toISOString(), review.created_at.toISOString()],
      [T1.toISOString(), T1.toISOString()],
    );
  });

  it('writes nothing when the surrounding transaction rolls back', async () => {
    const topologyId = await topology('rolled back');
    await assert.rejects(
      knex.transaction(async (trx) => {
        await recordReviewOutcome(trx, {
          topologyId,
          result: result('conflicts', [unknownDevice]),
          checkedAt: T0,
        });
        throw new Error('handler failed later');
      }),
      /handler failed later/,
    );
    assert.equal(await reviewRow(topologyId), undefined);
  });

  it('refuses a topology that does not exist, naming it', async () => {
    await assert.rejects(
      record({ topologyId: 987654, result: result('approved', []), checkedAt: T0 }),
      (error: Error) =>
        error instanceof TopologyNotFoundError && error.message === 'topology 987654 does not exist',
    );
  });

  it('stores the findings of a hostile topology (NUL, lone surrogates, __proto__ keys) as they read', async () => {
    const topologyId = await topology('hostile');
    const nodes = `[{"id":"a\\u0000b","data":{"deviceId":"\\ud800"}},{"id":"__proto__","data":{"polatisName":"x\\u0000"}},7]`;
    const edges = [{ id: '\udc00', source: '__proto__', target: 'nowhere', sourceHandle: 'in-\u0000' }];
    const parsed = parseTopology({ nodes, edges });
    const reviewed = reviewTopology(
      parsed,
      buildTopologyFacts({ topologyId, requesterId: userId, devices: [] }),
      {
        now: T0,
        policyFindings: [
          {
            kind: 'policy',
            severity: 'warning',
            message: 'policy \u0000 message',
            detail: JSON.parse(
              '{"__proto__": {"polluted": true}, "deep": [[[[[[[[[[["x"]]]]]]]]]]], "s": "\\ud83d"}',
            ),
          },
        ],
      },
    );
    const recorded = await record({ topologyId, result: reviewed, checkedAt: T0 });
    const rows = await findingRows(recorded.reviewId);
    assert.equal(rows.length, reviewed.findings.length);
    assert.equal((await reviewRow(topologyId)).status, 'invalid');
    for (const row of rows) {
      assert.ok(row.message.length > 10 && !row.message.includes('\u0000'), row.message);
    }
    const policy = rows.find((r) => r.kind === 'policy');
    assert.equal(policy.message, 'policy \ufffd message');
    assert.deepEqual(Object.keys(policy.detail).sort(), ['__proto__', 'deep', 's']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(policy.detail, '__proto__')?.value, { polluted: true });
    assert.equal(policy.detail.s, '\ufffd');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('cascades findings when a review is deleted, and its migration goes down and up again', async () => {
    const topologyId = await topology('cascade');
    const { reviewId } = await record({
      topologyId,
      result: result('conflicts', [unknownDevice]),
      checkedAt: T0,
    });
    await knex('topology_review').where({ id: reviewId }).delete();
    assert.deepEqual(await findingRows(reviewId), []);

    await migration.down(knex);
    assert.equal(await knex.schema.hasTable('topology_review_findings'), false);
    await migration.up(knex);
    assert.equal(await knex.schema.hasTable('topology_review_findings'), true);
    const { rows } = await knex.raw(
      `SELECT indexdef FROM pg_indexes WHERE tablename = 'topology_review_findings' AND indexdef LIKE '%(review_id)%'`,
    );
    assert.equal(rows.length, 1);
  });
});
