import assert from 'node:assert/strict';
import { migrationConfig } from '../../src/db/migrator';
import { migratedDatabase, type TestDatabase } from '../support/db';

const MIGRATION = '20261124040000_utilization_rollups.ts';

async function relationExists(db: TestDatabase, name: string): Promise<boolean> {
  const { rows } = await db.knex.raw<{ rows: Array<{ r: string | null }> }>('SELECT to_regclass(?) AS r', [
    name,
  ]);
  return rows[0]?.r != null;
}

describe('migration utilization_rollups', () => {
  let db: TestDatabase;
  let deviceId: number;

  before(async () => {
    db = await migratedDatabase();
    const [row] = await db.knex('device_table').insert({ Out_Port: 1, In_Port: 2 }).returning('id');
    deviceId = (row as { id: number }).id;
  });
  after(() => db?.drop());

  const row = (over: Record<string, unknown> = {}) => ({
    device_id: deviceId,
    granularity: 'hour',
    bucket_start: '2026-01-05T10:00:00Z',
    booked_seconds: 1800,
    maintenance_seconds: 600,
    down_seconds: 0,
    idle_seconds: 1200,
    capacity_seconds: 3000,
    booking_count: 1,
    user_count: 1,
    ...over,
  });

  async function rejects(over: Record<string, unknown>, constraint: string | RegExp): Promise<void> {
    await assert.rejects(
      db.knex('utilization_rollups').insert(row(over)),
      (error: { constraint?: string }) => {
        if (typeof constraint === 'string') assert.equal(error.constraint, constraint);
        else assert.match(error.constraint ?? '', constraint);
        return true;
      },
    );
  }

  it('accepts a consistent bucket and rejects one whose categories do not fill it', async () => {
    await db.knex('utilization_rollups').insert(row());
    await rejects(
      { bucket_start: '2026-01-05T11:00:00Z', idle_seconds: 1000 },
      'utilization_rollups_seconds_check',
    );
    await rejects(
      { bucket_start: '2026-01-05T11:00:00Z', capacity_seconds: 3600 },
      'utilization_rollups_seconds_check',
    );
  });

  it('rejects unknown granularities and buckets that are not whole UTC hours or days', async () => {
    await rejects(
      { granularity: 'week' },
      /^utilization_rollups_(granularity|bucket_aligned|seconds)_check$/,
    );
    await rejects(
      { granularity: 'week', bucket_start: '2026-01-05T00:00:00Z' },
      /^utilization_rollups_(granularity|seconds)_check$/,
    );
    await rejects({ bucket_start: '2026-01-05T10:30:00Z' }, 'utilization_rollups_bucket_aligned_check');
    await rejects(
      {
        granularity: 'day',
        bucket_start: '2026-01-05T10:00:00Z',
        idle_seconds: 86400 - 2400,
        capacity_seconds: 86400 - 600,
      },
      'utilization_rollups_bucket_aligned_check',
    );
    // Midnight in another zone is not a UTC day.
    await rejects(
      {
        granularity: 'day',
        bucket_start: '2026-01-05T00:00:00+01:00',
        idle_seconds: 86400 - 2400,
        capacity_seconds: 86400 - 600,
      },
      'utilization_rollups_bucket_aligned_check',
    );
  });

  it("goes away with its device, not blocking the legacy backend's delete", async () => {
    const [other] = await db.knex('device_table').insert({ Out_Port: 1, In_Port: 2 }).returning('id');
    const id = (other as { id: number }).id;
    await db.knex('utilization_rollups').insert(row({ device_id: id }));
    await db.knex('device_table').where({ id }).delete();
    assert.equal((await db.knex('utilization_rollups').where({ device_id: id })).length, 0);
  });

  it('rolls back and re-applies', async () => {
    await db.knex.migrate.down({ ...migrationConfig, name: MIGRATION });
    assert.equal(await relationExists(db, 'utilization_rollups'), false);
    assert.equal(await relationExists(db, 'ix_device_health_snapshot_device_observed'), false);
    await db.knex.migrate.up({ ...migrationConfig, name: MIGRATION });
    assert.equal(await relationExists(db, 'utilization_rollups'), true);
    assert.equal(await relationExists(db, 'ix_device_health_snapshot_device_observed'), true);
  });
});
