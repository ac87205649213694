// Real rows for topology tests, written as the legacy backend writes them (every NOT NULL column
// supplied, UTC in `timestamp` columns); the alignment triggers link devices, types and windows.
import type { Knex } from 'knex';
import { type ReviewByIdOptions, reviewTopologyById, type TopologyCheck } from '../../src/topologies/service';

export const NOW = new Date('2026-11-24T12:00:00Z');
/** NOW plus `n` hours. */
export const at = (n: number) => new Date(NOW.getTime() + n * 3_600_000);
const iso = (d: Date) => d.toISOString();
const STAMP = '2026-01-01T00:00:00Z';

export interface DeviceSpec {
  /** Scheduler type name (`deviceType`); `transceiver` (schedulable) unless given; null for none. */
  type?: string | null;
  status?: string | null;
  inPort?: number;
  outPort?: number;
  /** Legacy maintenance strings, parsed into the typed columns by the alignment trigger. */
  maintenanceStart?: string | null;
  maintenanceEnd?: string | null;
  /** Creates a linked inventory device (same polatis name) with these fields. */
  inventory?: { status?: string; portRange?: string | null };
}

export interface FindingRow {
  kind: string;
  severity: string;
  node_id: string | null;
  edge_id: string | null;
  device_id: number | null;
  message: string;
  detail: Record<string, unknown>;
}

export class Lab {
  private seq = 0;
  private readonly types = new Map<string, number>();

  constructor(readonly knex: Knex) {}

  next(): number {
    this.seq += 1;
    return this.seq;
  }

  async user(prefix = 'user'): Promise<number> {
    const [row] = await this.knex('user_table')
      .insert({ username: `${prefix}-${this.next()}`, password: 'x', is_admin: false })
      .returning('id');
    return (row as { id: number }).id;
  }

  async deviceType(name: string, schedulable: boolean): Promise<number> {
    const known = this.types.get(name);
    if (known !== undefined) return known;
    const [row] = await this.knex('device_types')
      .insert({
        name,
        category: 'optical',
        is_schedulable: schedulable,
        is_has_ports: true,
        created_at: STAMP,
        updated_at: STAMP,
      })
      .returning('id');
    const id = (row as { id: number }).id;
    this.types.set(name, id);
    return id;
  }

  /** A scheduler device; returns its id and polatis name. */
  async device(spec: DeviceSpec = {}): Promise<{ id: number; polatisName: string }> {
    const n = this.next();
    const polatisName = `POL-${n}`;
    const type = spec.type === undefined ? 'transceiver' : spec.type;
    if (type !== null) await this.deviceType(type, type !== 'patch panel');
    if (spec.inventory) {
      await this.knex('devices').insert({
        name: `inv-${n}`,
        device_type_id: await this.deviceType(type ?? 'transceiver', type !== 'patch panel'),
        status: spec.inventory.status ?? 'active',
        polatis_name: polatisName,
        polatis_port_range: spec.inventory.portRange ?? null,
        created_at: STAMP,
        updated_at: STAMP,
      });
    }
    const [row] = await this.knex('device_table')
      .insert({
        polatis_name: polatisName,
        deviceType: type,
        deviceName: `dev-${n}`,
        status: spec.status === undefined ? 'available' : spec.status,
        In_Port: spec.inPort ?? 1,
        Out_Port: spec.outPort ?? 2,
        maintenance_start: spec.maintenanceStart ?? null,
        maintenance_end: spec.maintenanceEnd ?? null,
      })
      .returning('id');
    return { id: (row as { id: number }).id, polatisName };
  }

  async booking(spec: {
    deviceId: number;
    userId: number;
    from: Date;
    to: Date;
    status?: string | null;
    collaborator?: boolean;
    group?: string;
  }): Promise<number> {
    const [row] = await this.knex('booking_table')
      .insert({
        device_id: spec.deviceId,
        user_id: spec.userId,
        is_collaborator: spec.collaborator ?? false,
        grouped_booking_id: spec.group ?? `grp-${this.next()}`,
        start_time: iso(spec.from),
        end_time: iso(spec.to),
        status: spec.status === undefined ? 'confirmed' : spec.status,
        collaborators: '[]',
        created_at: STAMP,
      })
      .returning('booking_id');
    return (row as { booking_id: number }).booking_id;
  }

  /** A maintenance record of the inventory device linked to scheduler device `deviceId`. */
  async record(spec: {
    deviceId: number;
    type?: string;
    status?: string;
    scheduled?: Date | null;
    performed?: Date | null;
  }): Promise<number> {
    const device = await this.knex('device_table').where({ id: spec.deviceId }).first('inventory_device_id');
    const inventoryId = (device as { inventory_device_id: number | null }).inventory_device_id;
    if (inventoryId === null) throw new Error(`device ${spec.deviceId} has no inventory device`);
    const [row] = await this.knex('maintenance_records')
      .insert({
        item_id: inventoryId,
        device_id: inventoryId,
        maintenance_type: spec.type ?? 'calibration',
        scheduled_date: spec.scheduled ? iso(spec.scheduled) : null,
        performed_date: spec.performed ? iso(spec.performed) : null,
        status: spec.status ?? 'scheduled',
        created_at: STAMP,
        updated_at: STAMP,
      })
      .returning('id');
    return (row as { id: number }).id;
  }

  /** A topology; `nodes`/`edges` are stored as given (objects as JSON, strings as raw json text). */
  async topology(userId: number, nodes: unknown, edges: unknown): Promise<number> {
    const json = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
    const [row] = await this.knex('topology_table')
      .insert({
        user_id: userId,
        name: `topology-${this.next()}`,
        nodes: json(nodes),
        edges: json(edges),
        created_at: STAMP,
        updated_at: STAMP,
      })
      .returning('id');
    return (row as { id: number }).id;
  }

  check(topologyId: number, options: Partial<ReviewByIdOptions> = {}): Promise<TopologyCheck> {
    return this.knex.transaction((trx) => reviewTopologyById(trx, topologyId, { now: NOW, ...options }));
  }

  async review(topologyId: number) {
    return this.knex('topology_review').where({ topology_id: topologyId }).first();
  }

  async findings(topologyId: number): Promise<FindingRow[]> {
    return this.knex('topology_review_findings as f')
      .join('topology_review as r', 'r.id', 'f.review_id')
      .where('r.topology_id', topologyId)
      .orderBy('f.id')
      .select('f.kind', 'f.severity', 'f.node_id', 'f.edge_id', 'f.device_id', 'f.message', 'f.detail');
  }

  async kinds(topologyId: number): Promise<string[]> {
    return (await this.findings(topologyId)).map((f) => `${f.kind}:${f.severity}`).sort();
  }
}

/** A node placing a device by id (or `{ polatisName }`). */
export function node(id: string, device: number | { polatisName: string }) {
  const data = typeof device === 'number' ? { deviceId: device } : device;
  return { id, type: 'device', position: { x: 0, y: 0 }, data };
}

export function edge(
  id: string,
  source: string,
  target: string,
  sourceHandle?: string,
  targetHandle?: string,
) {
  return { id, source, target, sourceHandle: sourceHandle ?? null, targetHandle: targetHandle ?? null };
}
