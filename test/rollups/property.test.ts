/**
 * Property: the rollups Postgres computes equal an independent interval-arithmetic model on
 * random histories, after a backfill and after incremental changes (see scenario.ts).
 */
import fc from 'fast-check';
import { migratedDatabase, type TestDatabase } from '../support/db';
import { historyArb, runScenario } from './scenario';

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
      { numRuns: Number(process.env.ROLLUP_PROPERTY_RUNS ?? 40) },
    );
  });
});
