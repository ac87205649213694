/**
 * `device_health_snapshot`: heartbeats of scheduler devices (legacy
 * `backend.scheduler.models.DeviceHealthSnapshot`); several rows per device may exist.
 */
import { Model, type RelationMappings } from 'objection';
import { BaseModel, type JsonValue } from './base';
import { DEVICE_TABLE, Device } from './device';

export const DEVICE_HEALTH_SNAPSHOT_TABLE = 'device_health_snapshot';

/** A row of `device_health_snapshot`, as Postgres returns it (timestamps are UTC). */
export interface DeviceHealthSnapshotRow {
  id: number;
  device_id: number;
  status: string;
  heartbeat_at: Date | null;
  metrics: JsonValue | null;
  updated_at: Date;
}

export class DeviceHealthSnapshot extends BaseModel implements DeviceHealthSnapshotRow {
  static override tableName = DEVICE_HEALTH_SNAPSHOT_TABLE;
  /** Stringified on write so arrays reach `json` columns as JSON, not as Postgres arrays. */
  static override jsonAttributes = ['metrics'];

  declare id: number;
  declare device_id: number;
  declare status: string;
  declare heartbeat_at: Date | null;
  declare metrics: JsonValue | null;
  declare updated_at: Date;

  declare device?: Device | null;

  static override get relationMappings(): RelationMappings {
    return {
      device: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => Device,
        join: { from: `${DEVICE_HEALTH_SNAPSHOT_TABLE}.device_id`, to: `${DEVICE_TABLE}.id` },
      },
    };
  }
}
