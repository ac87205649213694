/**
 * `topology_devices`, the fan-out index: which devices each topology names. The references
 * live only in the topology's JSON, so "re-check the reviews that use device 12" (after a
 * maintenance or status change, or a newly confirmed booking) reads this table instead of
 * parsing every topology.
 *
 * It is kept current by every review (`refreshTopologyDevices`, in the review's transaction)
 * and built for topologies never reviewed by `backfillTopologyDevices`. A topology edited in
 * the scheduler is re-indexed when its `topology.updated` check runs.
 */
import type { Knex } from 'knex';
import { groupBy } from '../collections';
import { InvalidPayloadError } from '../errors';
import { topologyDeviceRefs } from './facts';
import { polatisNameKeySql } from './loadDevices';
import { parseTopology } from './parse';

export const TOPOLOGY_DEVICES_TABLE = 'topology_devices';
const MAX_DEVICE_ID = 2147483647;
const DEFAULT_CHUNK = 200;

function checkIds(field: string, ids: readonly number[]): void {
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 1 || id > MAX_DEVICE_ID) {
      throw new InvalidPayloadError(
        `${field} must hold ids from 1 to ${MAX_DEVICE_ID}, got ${JSON.stringify(id)}`,
      );
    }
  }
}

/** Ids of the topologies naming any of these devices, ascending, each once. */
export async function reviewsUsingDevices(db: Knex, deviceIds: readonly number[]): Promise<number[]> {
  checkIds('deviceIds', deviceIds);
  if (deviceIds.length === 0) return [];
  const { rows } = await db.raw<{ rows: Array<{ topology_id: number }> }>(
    `SELECT DISTINCT topology_id FROM ${TOPOLOGY_DEVICES_TABLE}
      WHERE device_id = ANY(?::int[]) ORDER BY topology_id`,
    [[...new Set(deviceIds)]],
  );
  return rows.map((r) => r.topology_id);
}

/** reviewsUsingDevices per device, in one read: device -> topology ids, ascending. */
export async function reviewsUsingEachDevice(
  db: Knex,
  deviceIds: readonly number[],
): Promise<Map<number, number[]>> {
  checkIds('deviceIds', deviceIds);
  if (deviceIds.length === 0) return new Map();
  const { rows } = await db.raw<{ rows: Array<{ device_id: number; topology_id: number }> }>(
    `SELECT DISTINCT device_id, topology_id FROM ${TOPOLOGY_DEVICES_TABLE}
      WHERE device_id = ANY(?::int[]) ORDER BY device_id, topology_id`,
    [[...new Set(deviceIds)]],
  );
  const byDevice = groupBy(rows, (row) => row.device_id);
  return new Map([...byDevice].map(([deviceId, list]) => [deviceId, list.map((r) => r.topology_id)]));
}

/**
 * Sets a topology's indexed devices to exactly `deviceIds`, in the caller's transaction: rows
 * no longer named are deleted, new ones inserted, the others left alone (two statements).
 */
export async function refreshTopologyDevices(
  trx: Knex,
  topologyId: number,
  deviceIds: readonly number[],
): Promise<void> {
  checkIds('deviceIds', deviceIds);
  const ids = [...new Set(deviceIds)];
  await trx.raw(
    `DELETE FROM ${TOPOLOGY_DEVICES_TABLE} WHERE topology_id = ? AND device_id <> ALL(?::int[])`,
    [topologyId, ids],
  );
  if (ids.length === 0) return;
  await trx.raw(
    `INSERT INTO ${TOPOLOGY_DEVICES_TABLE} (topology_id, device_id)
     SELECT ?, d FROM unnest(?::int[]) AS d ON CONFLICT DO NOTHING`,
    [topologyId, ids],
  );
}

export interface BackfillOptions {
  /** Topologies read, parsed and written per transaction (default 200). */
  chunkSize?: number;
  /** Called after each chunk, for progress reports. */
  onChunk?: (progress: BackfillProgress) => void;
}

export interface BackfillProgress {
  /** Topologies indexed so far. */
  topologies: number;
  /** `topology_devices` rows written so far. */
  rows: number;
  /** Highest topology id indexed so far. */
  lastTopologyId: number;
}

/**
 * Rebuilds `topology_devices` for every topology: reads topologies in id order, a chunk at a
 * time, parses their nodes, resolves polatis names in one query per chunk and replaces the
 * chunk's rows in one transaction (four statements per chunk). Safe to run while the worker
 * reviews: both write what the topology's JSON names. Returns the totals.
 */
export async function backfillTopologyDevices(
  db: Knex,
  options: BackfillOptions = {},
): Promise<BackfillProgress> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new InvalidPayloadError(
      `chunkSize must be a whole number of at least 1, got ${JSON.stringify(chunkSize)}`,
    );
  }
  const progress: BackfillProgress = { topologies: 0, rows: 0, lastTopologyId: 0 };
  for (;;) {
    const { rows: chunk } = await db.raw<{ rows: Array<{ id: number; nodes: unknown }> }>(
      'SELECT id, nodes FROM topology_table WHERE id > ? ORDER BY id LIMIT ?',
      [progress.lastTopologyId, chunkSize],
    );
    if (chunk.length === 0) return progress;

    const refs = chunk.map((row) => ({
      id: row.id,
      ...topologyDeviceRefs(parseTopology({ nodes: row.nodes, edges: [] })),
    }));
    const names = [...new Set(refs.flatMap((r) => r.polatisNames))];
    const idsByName = new Map<string, number[]>();
    if (names.length > 0) {
      const { rows } = await db.raw<{ rows: Array<{ key: string; id: number }> }>(
        `SELECT ${polatisNameKeySql('polatis_name')} AS key, id
           FROM device_table
          WHERE ${polatisNameKeySql('polatis_name')} = ANY(?::text[])`,
        [names],
      );
      for (const row of rows) {
        const list = idsByName.get(row.key);
        if (list) list.push(row.id);
        else idsByName.set(row.key, [row.id]);
      }
    }
    const topologyIds: number[] = [];
    const deviceIds: number[] = [];
    for (const ref of refs) {
      const ids = new Set(ref.deviceIds);
      for (const name of ref.polatisNames) for (const id of idsByName.get(name) ?? []) ids.add(id);
      for (const id of ids) {
        topologyIds.push(ref.id);
        deviceIds.push(id);
      }
    }
    const chunkIds = chunk.map((r) => r.id);
    await db.transaction(async (trx) => {
      await trx.raw(`DELETE FROM ${TOPOLOGY_DEVICES_TABLE} WHERE topology_id = ANY(?::int[])`, [chunkIds]);
      if (topologyIds.length === 0) return;
      // Joined to topology_table: a topology deleted since it was read is skipped, not an error.
      await trx.raw(
        `INSERT INTO ${TOPOLOGY_DEVICES_TABLE} (topology_id, device_id)
         SELECT u.topology_id, u.device_id
           FROM unnest(?::int[], ?::int[]) AS u(topology_id, device_id)
           JOIN topology_table t ON t.id = u.topology_id
         ON CONFLICT DO NOTHING`,
        [topologyIds, deviceIds],
      );
    });
    progress.topologies += chunk.length;
    progress.rows += deviceIds.length;
    progress.lastTopologyId = chunkIds[chunkIds.length - 1] as number;
    options.onChunk?.({ ...progress });
  }
}
