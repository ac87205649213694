/**
 * Property: the rollups Postgres computes equal an independent interval-arithmetic model on
 * random histories, after a backfill and after incremental changes (see scenario.ts), starting
 * with a hand-written history holding every case the issue lists (EVERY_CASE).
 */
import fc from 'fast-check';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { EVERY_CASE, historyArb, runScenario } from './scenario';

describe('rollups match an independent interval model (property)', function () {
  this.timeout(240_000);
  let db: TestDatabase;

  before(async () => {
    db = await migratedDatabase();
  });
  after(() => db?.drop());

  it('after a backfill and after incremental changes', async () => {
    await fc.assert(
      fc.asyncProperty(historyArb, (input) => runScenario(db.knex, input)),
      // The hand-written history with every listed case runs first, then random ones.
      { numRuns: Number(process.env.ROLLUP_PROPERTY_RUNS ?? 40), examples: [[EVERY_CASE]] },
    );
  });
});
