/**
 * `device_table`: scheduler devices: the ports of the Polatis switch users book (legacy
 * `backend.scheduler.models.Device`). A separate concept from the inventory's `devices` (see
 * InventoryDevice); maintenance dates are free-form strings.
 */
import { Model, type RelationMappings } from 'objection';
import { BaseModel } from './base';
import { BOOKING_TABLE, Booking } from './booking';
import { DEVICE_HEALTH_SNAPSHOT_TABLE, DeviceHealthSnapshot } from './device-health-snapshot';
import { DEVICE_OWNERSHIP_TABLE, DeviceOwnership } from './device-ownership';
import { DEVICE_TAG_TABLE, DeviceTag } from './device-tag';

export const DEVICE_TABLE = 'device_table';

/** A row of `device_table`, as Postgres returns it. */
export interface DeviceRow {
  id: number;
  polatis_name: string | null;
  /** free text, not a reference to device_types */
  deviceType: string | null;
  deviceName: string | null;
  ip_address: string | null;
  status: string | null;
  /** free text as the scheduler stored it, not a timestamp */
  maintenance_start: string | null;
  /** free text as the scheduler stored it, not a timestamp */
  maintenance_end: string | null;
  Out_Port: number;
  In_Port: number;
}

export class Device extends BaseModel implements DeviceRow {
  static override tableName = DEVICE_TABLE;

  declare id: number;
  declare polatis_name: string | null;
  declare deviceType: string | null;
  declare deviceName: string | null;
  declare ip_address: string | null;
  declare status: string | null;
  declare maintenance_start: string | null;
  declare maintenance_end: string | null;
  declare Out_Port: number;
  declare In_Port: number;

  declare bookings?: Booking[];
  declare ownerships?: DeviceOwnership[];
  declare tags?: DeviceTag[];
  declare healthSnapshots?: DeviceHealthSnapshot[];

  static override get relationMappings(): RelationMappings {
    return {
      bookings: {
        relation: Model.HasManyRelation,
        modelClass: () => Booking,
        join: { from: `${DEVICE_TABLE}.id`, to: `${BOOKING_TABLE}.device_id` },
      },
      ownerships: {
        relation: Model.HasManyRelation,
        modelClass: () => DeviceOwnership,
        join: { from: `${DEVICE_TABLE}.id`, to: `${DEVICE_OWNERSHIP_TABLE}.device_id` },
      },
      tags: {
        relation: Model.HasManyRelation,
        modelClass: () => DeviceTag,
        join: { from: `${DEVICE_TABLE}.id`, to: `${DEVICE_TAG_TABLE}.device_id` },
      },
      healthSnapshots: {
        relation: Model.HasManyRelation,
        modelClass: () => DeviceHealthSnapshot,
        join: { from: `${DEVICE_TABLE}.id`, to: `${DEVICE_HEALTH_SNAPSHOT_TABLE}.device_id` },
      },
    };
  }
}
