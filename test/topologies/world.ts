// A lab of `size` devices written with set-based SQL, and two topologies over all of them: an
// approved one of another user, and the one under review. Every device has, for the review:
// a maintenance window within the horizon (typed) and a maintenance record, the requester's
// pending booking, another user's overlapping confirmed booking, and its ports used by the
// approved topology in that user's booking. So every loader query has rows to return, and the
// review finds something about every device. With `clean`, the same rows miss each other:
// maintenance a month later, the other user's booking right after the requester's.
import type { Knex } from 'knex';

const STAMP = '2026-01-01T00:00:00Z';

export interface World {
  requester: number;
  other: number;
  /** The topology under review (no review row yet). */
  topologyId: number;
  /** The other user's approved topology. */
  approvedId: number;
  deviceIds: number[];
}

async function user(knex: Knex, username: string): Promise<number> {
  const [row] = await knex('user_table').insert({ username, password: 'x', is_admin: false }).returning('id');
  return (row as { id: number }).id;
}

/** The topology JSON a chain of devices gives: node i's Out_Port 2 to node i+1's In_Port 1. */
export function chain(deviceIds: readonly number[], names: readonly string[] = []) {
  const nodes = deviceIds.map((id, i) => ({
    id: `n${i}`,
    type: 'device',
    position: { x: i, y: 0 },
    data: names[i] === undefined ? { deviceId: id } : { polatisName: names[i] },
  }));
  const edges = deviceIds.map((_, i) => ({
    id: `e${i}`,
    source: `n${i}`,
    target: `n${(i + 1) % deviceIds.length}`,
    sourceHandle: 'out-2',
    targetHandle: 'in-1',
  }));
  return { nodes, edges };
}

export async function buildWorld(knex: Knex, prefix: string, size: number, clean = false): Promise<World> {
  const month = clean ? '12' : '11';
  const requester = await user(knex, `${prefix}-requester`);
  const other = await user(knex, `${prefix}-other`);
  await knex.raw(
    `INSERT INTO device_types (name, category, is_schedulable, is_has_ports, created_at, updated_at)
     VALUES ('transceiver', 'optical', true, true, ?, ?) ON CONFLICT (name) DO NOTHING`,
    [STAMP, STAMP],
  );
  const { rows: devices } = await knex.raw<{ rows: Array<{ id: number; polatis_name: string }> }>(
    `INSERT INTO device_table (polatis_name, "deviceType", "deviceName", status, "In_Port", "Out_Port",
                               maintenance_start, maintenance_end)
     SELECT ? || '-' || g, 'transceiver', ? || '-dev-' || g, 'available', 1, 2,
            '2026-' || ? || '-27 10:00', '2026-' || ? || '-27 11:00'
       FROM generate_series(1, ?) g
     RETURNING id, polatis_name`,
    [prefix, prefix, month, month, size],
  );
  devices.sort((a, b) => a.id - b.id);
  // Inventory devices after the scheduler devices: the alignment's relink trigger then links
  // them all in one pass (the other order costs it minutes at this size).
  await knex.raw(
    `INSERT INTO devices (name, device_type_id, status, polatis_name, polatis_port_range, created_at, updated_at)
     SELECT ? || '-inv-' || g, (SELECT id FROM device_types WHERE name = 'transceiver'), 'active',
            ? || '-' || g, '3-8', ?, ?
       FROM generate_series(1, ?) g`,
    [prefix, prefix, STAMP, STAMP, size],
  );
  const deviceIds = devices.map((d) => d.id);
  await knex.raw(
    `INSERT INTO maintenance_records (item_id, device_id, maintenance_type, scheduled_date, status, created_at, updated_at)
     SELECT inventory_device_id, inventory_device_id, 'calibration', ('2026-' || ? || '-28')::timestamp,
            'scheduled', ?, ?
       FROM device_table WHERE id = ANY(?::int[])`,
    [month, STAMP, STAMP, deviceIds],
  );
  await knex.raw(
    `INSERT INTO booking_table (device_id, user_id, is_collaborator, grouped_booking_id, start_time, end_time,
                                status, collaborators, created_at)
     SELECT d, u.user_id, false, ? || '-' || u.tag, u.starts, u.ends, u.status, '[]', ?
       FROM unnest(?::int[]) d
      CROSS JOIN (VALUES (?::int, 'mine', '2026-11-25 10:00'::timestamp, '2026-11-25 14:00'::timestamp, 'pending'),
                         (?::int, 'theirs', ?::timestamp, '2026-11-25 16:00'::timestamp, 'confirmed'))
            AS u(user_id, tag, starts, ends, status)`,
    [prefix, STAMP, deviceIds, requester, other, clean ? '2026-11-25 14:00' : '2026-11-25 12:00'],
  );

  const insertTopology = async (userId: number, json: ReturnType<typeof chain>) => {
    const [row] = await knex('topology_table')
      .insert({
        user_id: userId,
        name: `${prefix}-topology`,
        nodes: JSON.stringify(json.nodes),
        edges: JSON.stringify(json.edges),
        created_at: STAMP,
        updated_at: STAMP,
      })
      .returning('id');
    return (row as { id: number }).id;
  };
  const approvedId = await insertTopology(other, chain(deviceIds));
  await knex('topology_review').insert({
    topology_id: approvedId,
    status: 'approved',
    conflict_count: 0,
    created_at: STAMP,
    updated_at: STAMP,
  });
  await knex.raw('INSERT INTO topology_devices (topology_id, device_id) SELECT ?, unnest(?::int[])', [
    approvedId,
    deviceIds,
  ]);
  // Every other node names its device by polatis name.
  const names = devices.map((d, i) => (i % 2 === 1 ? d.polatis_name : undefined)) as string[];
  const topologyId = await insertTopology(requester, chain(deviceIds, names));
  return { requester, other, topologyId, approvedId, deviceIds };
}
