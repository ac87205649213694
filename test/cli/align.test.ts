import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { emptyDatabase, migratedDatabase, type TestDatabase } from '../support/db';
import { insertDeviceTag, insertSchedulerDevice, migrateToBaseline } from '../support/legacy';

const BIN = path.resolve(__dirname, '../../bin/provdb-worker.cjs');

async function cli(
  databaseUrl: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('cli: align report', () => {
  let aligned: TestDatabase;
  let baseline: TestDatabase;
  let device: number;

  before(async () => {
    aligned = await migratedDatabase();
    baseline = await emptyDatabase();
    await migrateToBaseline(baseline.knex);
    device = await insertSchedulerDevice(aligned.knex, {
      polatis_name: 'nowhere',
      maintenance_start: 'soon',
    });
    await insertDeviceTag(aligned.knex, device, 'A');
    await insertDeviceTag(aligned.knex, device, 'B');
  });
  after(async () => {
    await aligned?.drop();
    await baseline?.drop();
  });

  it('prints one JSON object with --json, and the ids with --ids', async () => {
    const plain = await cli(aligned.url, ['align', 'report', '--json']);
    assert.equal(plain.code, 0, plain.stderr);
    const report = JSON.parse(plain.stdout);
    assert.equal(report.devices.total, 1);
    assert.equal(report.devices.unmatched, 1);
    assert.equal(report.maintenance.unparseable, 1);
    assert.equal(report.tags.created, 2);
    assert.equal(report.ids, undefined);
    const withIds = JSON.parse((await cli(aligned.url, ['align', 'report', '--json', '--ids'])).stdout);
    assert.deepEqual(withIds.ids.devices.unmatched, [device]);
  });

  it('prints a table by default', async () => {
    const { code, stdout } = await cli(aligned.url, ['align', 'report']);
    assert.equal(code, 0);
    assert.match(stdout, /^devices: /m);
    assert.match(stdout, /^ {2}unmatched +1$/m);
    assert.match(stdout, /^ {2}status confirmed +0$/m);
  });

  it('says what to do on a database that is not aligned (exit 2)', async () => {
    const { code, stderr } = await cli(baseline.url, ['align', 'report']);
    assert.equal(code, 2);
    assert.match(stderr, /not aligned \(missing alignment_quarantine.*run `provdb-worker migrate` first/);
  });
});
