/**
 * `device_history`: changes to inventory devices (legacy `backend.inventory.models.DeviceHistory`);
 * deleted with their device.
 */
import { Model, type RelationMappings } from 'objection';
import { BaseModel, type JsonValue } from './base';
import { INVENTORY_DEVICE_TABLE, InventoryDevice } from './inventory-device';
import { USER_TABLE, User } from './user';

export const DEVICE_HISTORY_TABLE = 'device_history';

/** A row of `device_history`, as Postgres returns it (timestamps are UTC). */
export interface DeviceHistoryRow {
  id: number;
  device_id: number;
  action: string;
  field_name: string | null;
  old_value: string | null;
  new_value: string | null;
  changed_by_id: number | null;
  notes: string | null;
  extra: JsonValue | null;
  created_at: Date;
}

export class DeviceHistory extends BaseModel implements DeviceHistoryRow {
  static override tableName = DEVICE_HISTORY_TABLE;
  /** Stringified on write so arrays reach `json` columns as JSON, not as Postgres arrays. */
  static override jsonAttributes = ['extra'];

  declare id: number;
  declare device_id: number;
  declare action: string;
  declare field_name: string | null;
  declare old_value: string | null;
  declare new_value: string | null;
  declare changed_by_id: number | null;
  declare notes: string | null;
  declare extra: JsonValue | null;
  declare created_at: Date;

  declare device?: InventoryDevice | null;
  declare changedBy?: User | null;

  static override get relationMappings(): RelationMappings {
    return {
      device: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => InventoryDevice,
        join: { from: `${DEVICE_HISTORY_TABLE}.device_id`, to: `${INVENTORY_DEVICE_TABLE}.id` },
      },
      changedBy: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => User,
        join: { from: `${DEVICE_HISTORY_TABLE}.changed_by_id`, to: `${USER_TABLE}.id` },
      },
    };
  }
}
