// Real rows for booking-rule tests, written as the legacy backend writes them (every NOT NULL
// column supplied, UTC in `timestamp` columns); the alignment triggers fill the linked columns
// (status_canonical, device_type_id, inventory_device_id, typed maintenance window).
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';

export const NOW = new Date('2026-11-24T12:00:00Z');
/** NOW plus `n` hours. */
export const at = (n: number): Date => new Date(NOW.getTime() + n * 3_600_000);
const STAMP = '2026-01-01T00:00:00Z';

export interface DeviceSpec {
  /** Scheduler type name; `OTDR` (schedulable) unless given; null for none. */
  type?: string | null;
  status?: string | null;
  name?: string;
  /** Legacy maintenance strings, parsed by the alignment trigger. */
  maintenanceStart?: string | null;
  maintenanceEnd?: string | null;
  /** Creates a linked inventory device (same polatis name). */
  inventory?: { status?: string; site?: string; manufacturer?: string; tags?: string[] };
  /** Scheduler tags (device_tags). */
  tags?: string[];
}

export interface BookingSpec {
  device: number;
  user: number;
  start: Date;
  end: Date;
  status?: string | null;
  collaborator?: boolean;
  group?: string;
}

export class BookingLab {
  private seq = 0;
  private readonly types = new Map<string, number>();

  constructor(readonly knex: Knex) {}

  private next(): number {
    this.seq += 1;
    return this.seq;
  }

  async user(
    name?: string,
    options: { admin?: boolean; role?: string; roleStatus?: string; approvalLimits?: unknown } = {},
  ): Promise<number> {
    const [row] = await this.knex('user_table')
      .insert({ username: name ?? `user-${this.next()}`, password: 'x', is_admin: options.admin ?? false })
      .returning('id');
    const id = (row as { id: number }).id;
    if (options.role) {
      await this.knex('admin_roles').insert({
        user_id: id,
        role: options.role,
        status: options.roleStatus ?? 'active',
        permissions: null,
        approval_limits: options.approvalLimits === undefined ? null : JSON.stringify(options.approvalLimits),
        created_at: STAMP,
        updated_at: STAMP,
      });
    }
    return id;
  }

  async deviceType(name: string, schedulable = true, category = 'test-equipment'): Promise<number> {
    const known = this.types.get(name);
    if (known !== undefined) return known;
    const [row] = await this.knex('device_types')
      .insert({
        name,
        category,
        is_schedulable: schedulable,
        is_has_ports: true,
        created_at: STAMP,
        updated_at: STAMP,
      })
      .onConflict('name')
      .merge(['updated_at'])
      .returning('id');
    const id = (row as { id: number }).id;
    this.types.set(name, id);
    return id;
  }

  async device(spec: DeviceSpec = {}): Promise<number> {
    const n = this.next();
    const type = spec.type === undefined ? 'OTDR' : spec.type;
    if (type !== null) await this.deviceType(type, type !== 'Server');
    const polatis = `DEV-${n}`;
    const [row] = await this.knex('device_table')
      .insert({
        polatis_name: polatis,
        deviceType: type,
        deviceName: spec.name ?? `dev-${n}`,
        ip_address: null,
        status: spec.status === undefined ? 'available' : spec.status,
        maintenance_start: spec.maintenanceStart ?? null,
        maintenance_end: spec.maintenanceEnd ?? null,
        Out_Port: 1,
        In_Port: 2,
      })
      .returning('id');
    const id = (row as { id: number }).id;
    if (spec.inventory) {
      const typeId = await this.deviceType(type ?? 'OTDR');
      let siteId: number | null = null;
      if (spec.inventory.site) {
        const [site] = await this.knex('sites')
          .insert({
            name: `${spec.inventory.site}`,
            address: null,
            notes: null,
            created_at: STAMP,
            updated_at: STAMP,
          })
          .onConflict('name')
          .merge()
          .returning('id');
        siteId = (site as { id: number }).id;
      }
      let manufacturerId: number | null = null;
      if (spec.inventory.manufacturer) {
        const [m] = await this.knex('manufacturers')
          .insert({
            name: spec.inventory.manufacturer,
            website: null,
            notes: null,
            created_at: STAMP,
            updated_at: STAMP,
          })
          .onConflict('name')
          .merge()
          .returning('id');
        manufacturerId = (m as { id: number }).id;
      }
      const [inv] = await this.knex('devices')
        .insert({
          name: `inv-${n}`,
          device_type_id: typeId,
          manufacturer_id: manufacturerId,
          status: spec.inventory.status ?? 'active',
          site_id: siteId,
          polatis_name: polatis,
          created_at: STAMP,
          updated_at: STAMP,
        })
        .returning('id');
      const invId = (inv as { id: number }).id;
      for (const tag of spec.inventory.tags ?? []) {
        const [t] = await this.knex('tags')
          .insert({ name: tag, description: null, color: null, created_at: STAMP })
          .onConflict('name')
          .merge()
          .returning('id');
        await this.knex('inventory_device_tags').insert({
          device_id: invId,
          tag_id: (t as { id: number }).id,
          created_at: STAMP,
        });
      }
    }
    for (const tag of spec.tags ?? []) {
      await this.knex('device_tags').insert({ device_id: id, tag, created_at: STAMP });
    }
    return id;
  }

  async inventoryDeviceOf(deviceId: number): Promise<number> {
    const row = await this.knex('device_table').where({ id: deviceId }).first('inventory_device_id');
    return (row as { inventory_device_id: number }).inventory_device_id;
  }

  async maintenanceRecord(deviceId: number, scheduled: Date, status = 'scheduled'): Promise<number> {
    const inv = await this.inventoryDeviceOf(deviceId);
    const [row] = await this.knex('maintenance_records')
      .insert({
        item_id: inv,
        device_id: inv,
        maintenance_type: 'calibration',
        scheduled_date: scheduled.toISOString(),
        status,
        created_at: STAMP,
        updated_at: STAMP,
      })
      .returning('id');
    return (row as { id: number }).id;
  }

  async owner(deviceId: number, ownerId: number): Promise<void> {
    await this.knex('device_ownership').insert({
      device_id: deviceId,
      owner_id: ownerId,
      assigned_by: null,
      assigned_at: STAMP,
      revoked_at: null,
    });
  }

  async setting(key: string, value: unknown): Promise<void> {
    await this.knex('admin_settings')
      .insert({ key, value: JSON.stringify(value), updated_at: STAMP, updated_by: null })
      .onConflict('key')
      .merge();
  }

  /** Inserts rows of one reservation; returns its grouped_booking_id and the booking ids. */
  async reservation(
    rows: ReadonlyArray<Omit<BookingSpec, 'group'>>,
    group: string = randomUUID(),
  ): Promise<{ group: string; ids: number[] }> {
    const ids: number[] = [];
    for (const r of rows) ids.push(await this.booking({ ...r, group }));
    return { group, ids };
  }

  async booking(spec: BookingSpec): Promise<number> {
    const [row] = await this.knex('booking_table')
      .insert({
        device_id: spec.device,
        user_id: spec.user,
        is_collaborator: spec.collaborator ?? false,
        grouped_booking_id: spec.group ?? randomUUID(),
        start_time: spec.start.toISOString(),
        end_time: spec.end.toISOString(),
        status: spec.status === undefined ? 'pending' : spec.status,
        comment: null,
        collaborators: null,
        created_at: STAMP,
      })
      .returning('booking_id');
    return (row as { booking_id: number }).booking_id;
  }
}
