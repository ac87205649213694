/**
 * `device_tags`: free-text tags on scheduler devices (legacy `backend.scheduler.models.DeviceTag`);
 * the inventory has its own normalised tags (Tag).
 */
import { Model, type RelationMappings } from 'objection';
import { BaseModel } from './base';
import { DEVICE_TABLE, Device } from './device';

export const DEVICE_TAG_TABLE = 'device_tags';

/** A row of `device_tags`, as Postgres returns it (timestamps are UTC). */
export interface DeviceTagRow {
  id: number;
  device_id: number;
  tag: string;
  created_at: Date;
}

export class DeviceTag extends BaseModel implements DeviceTagRow {
  static override tableName = DEVICE_TAG_TABLE;

  declare id: number;
  declare device_id: number;
  declare tag: string;
  declare created_at: Date;

  declare device?: Device | null;

  static override get relationMappings(): RelationMappings {
    return {
      device: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => Device,
        join: { from: `${DEVICE_TAG_TABLE}.device_id`, to: `${DEVICE_TABLE}.id` },
      },
    };
  }
}
