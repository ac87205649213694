/**
 * Alignment of 500,000 bookings finishes in minutes. Opt-in (about a minute with the data
 * generation): PROVDB_SCALE_TEST=1 npx mocha test/migrations/alignment-scale.test.ts
 * `npm run bench:align` prints the same measurement step by step.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { alignmentReport } from '../../src/db/alignment/report';
import { migrateTo } from '../../src/db/migrator';
import { fillLegacyBulk } from '../support/bulk';
import { emptyDatabase, type TestDatabase } from '../support/db';
import { migrateToBaseline } from '../support/legacy';

const LAST_ALIGNMENT = '20261124010010_maintenance_records_device_id';
const LIMIT_MS = 5 * 60_000;

describe('alignment at scale (PROVDB_SCALE_TEST=1)', function () {
  this.timeout(30 * 60_000);
  let db: TestDatabase | undefined;

  before(function () {
    if (process.env.PROVDB_SCALE_TEST !== '1') this.skip();
  });
  after(() => db?.drop());

  it('aligns 500,000 bookings in minutes, not hours', async () => {
    db = await emptyDatabase();
    await migrateToBaseline(db.knex);
    const size = { bookings: 500_000, devices: 200 };
    await fillLegacyBulk(db.knex, size);
    const start = performance.now();
    await migrateTo(db.knex, LAST_ALIGNMENT);
    const elapsed = performance.now() - start;
    console.log(`      alignment of ${size.bookings} bookings: ${(elapsed / 1000).toFixed(1)} s`);
    assert.ok(elapsed < LIMIT_MS, `took ${elapsed} ms`);
    const report = await alignmentReport(db.knex);
    const total = Object.values(report.bookings.by_status).reduce((a, b) => a + b, 0);
    assert.equal(total, size.bookings);
    assert.ok(report.bookings.legacy_overlap_flagged > 0, 'the generated overlaps are marked');
    assert.equal(report.devices.linked, size.devices);
  });
});
