import assert from 'node:assert/strict';
import { loadRuleSet } from '../../src/rules/load';
import { topologyPolicyFindings } from '../../src/topologies/policies';
import { type ReviewByIdOptions, reviewTopologyById, type TopologyCheck } from '../../src/topologies/service';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { SHIPPED_RULES_DIR } from '../support/rules';
import { NOW } from './lab';
import { buildWorld, type World } from './world';

const SIZE = 10_000;

describe('topologies/service: a 10,000-node topology from the database', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let conflicting: World;
  let clean: World;

  before(async () => {
    db = await migratedDatabase();
    conflicting = await buildWorld(db.knex, 'busy', SIZE);
    clean = await buildWorld(db.knex, 'calm', SIZE, true);
    await db.knex.raw('ANALYZE');
  });
  after(async () => {
    await db?.drop();
  });

  async function timedCheck(
    world: World,
    label: string,
    options: Partial<ReviewByIdOptions> = {},
    extraQueries = 0,
  ): Promise<{ check: TopologyCheck; queries: number }> {
    let queries = 0;
    const listener = () => {
      queries += 1;
    };
    db.knex.on('query', listener);
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    let check: TopologyCheck;
    try {
      check = await db.knex.transaction((trx) =>
        reviewTopologyById(trx, world.topologyId, { now: NOW, ...options }),
      );
    } finally {
      db.knex.off('query', listener);
    }
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const used = process.cpuUsage(cpu);
    console.log(
      `      ${label}: ${SIZE} nodes, ${SIZE} edges: ${wallMs.toFixed(0)} ms wall, ` +
        `${((used.user + used.system) / 1000).toFixed(0)} ms worker CPU, ${queries} queries, ` +
        `${check.result.counts.error} errors, ${check.result.counts.warning} warnings`,
    );
    // Generous: the machine is shared; the point is seconds, not minutes, and no per-device query.
    assert.ok(wallMs < 20_000, `${wallMs} ms`);
    // BEGIN, the row, the loader's 6, the store's 5-6 (+1 per 500 findings), the index's 2, COMMIT.
    assert.ok(queries <= 20 + extraQueries, `${queries} queries`);
    const [row] = await db
      .knex('topology_devices')
      .where({ topology_id: world.topologyId })
      .count({ n: '*' });
    assert.equal(Number(row?.n), SIZE);
    return { check, queries };
  }

  it('reviews one where every device conflicts, end to end (read, load, review, record, index)', async () => {
    const { check } = await timedCheck(conflicting, 'every device conflicting');
    // Every device: a booking conflict and 2 optical-path conflicts (its In_Port and Out_Port),
    // and 2 maintenance warnings (typed window, record).
    assert.equal(check.result.outcome, 'conflicts');
    assert.equal(check.result.counts.error, 3 * SIZE);
    assert.equal(check.result.counts.warning, 2 * SIZE);
    const review = await db.knex('topology_review').where({ topology_id: conflicting.topologyId }).first();
    assert.equal(review.conflict_count, 3 * SIZE);
  });

  it('reviews a clean one end to end', async () => {
    const { check } = await timedCheck(clean, 'clean');
    assert.equal(check.result.outcome, 'approved', check.result.notes);
    assert.deepEqual(check.result.counts, { error: 0, warning: 0, info: 0 });
  });

  it('reviews a clean one with the shipped topology policies: four more queries, whatever the size', async () => {
    const loaded = await loadRuleSet(SHIPPED_RULES_DIR);
    assert.ok(loaded.ok);
    const snapshot = loaded.snapshot;
    const policyFindings = topologyPolicyFindings({ rules: () => snapshot });
    // The author (user, roles, settings) and the devices' owners.
    const { check } = await timedCheck(clean, 'clean, with policies', { policyFindings }, 4);
    assert.equal(check.result.outcome, 'conflicts');
    const codes = check.result.findings.filter((f) => f.kind === 'policy').map((f) => f.detail.code);
    assert.ok(codes.includes('TOPOLOGY_TOO_LARGE'), codes.join(', '));
  });
});
