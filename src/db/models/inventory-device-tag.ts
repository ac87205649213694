/**
 * `inventory_device_tags`: the links between inventory devices and tags (legacy
 * `backend.inventory.models.InventoryDeviceTag`); deleting either side deletes the link.
 */
import { Model, type RelationMappings } from 'objection';
import { BaseModel } from './base';
import { INVENTORY_DEVICE_TABLE, InventoryDevice } from './inventory-device';
import { TAG_TABLE, Tag } from './tag';

export const INVENTORY_DEVICE_TAG_TABLE = 'inventory_device_tags';

/** A row of `inventory_device_tags`, as Postgres returns it (timestamps are UTC). */
export interface InventoryDeviceTagRow {
  device_id: number;
  tag_id: number;
  created_at: Date;
}

export class InventoryDeviceTag extends BaseModel implements InventoryDeviceTagRow {
  static override tableName = INVENTORY_DEVICE_TAG_TABLE;
  static override idColumn = ['device_id', 'tag_id'];

  declare device_id: number;
  declare tag_id: number;
  declare created_at: Date;

  declare device?: InventoryDevice | null;
  declare tag?: Tag | null;

  static override get relationMappings(): RelationMappings {
    return {
      device: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => InventoryDevice,
        join: { from: `${INVENTORY_DEVICE_TAG_TABLE}.device_id`, to: `${INVENTORY_DEVICE_TABLE}.id` },
      },
      tag: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => Tag,
        join: { from: `${INVENTORY_DEVICE_TAG_TABLE}.tag_id`, to: `${TAG_TABLE}.id` },
      },
    };
  }
}
