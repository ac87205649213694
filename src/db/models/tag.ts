/**
 * `tags`: normalised inventory tags (legacy `backend.inventory.models.Tag`), linked to inventory
 * devices through `inventory_device_tags`.
 */
import { Model, type RelationMappings } from 'objection';
import { BaseModel } from './base';
import { INVENTORY_DEVICE_TABLE, InventoryDevice } from './inventory-device';
import { INVENTORY_DEVICE_TAG_TABLE, InventoryDeviceTag } from './inventory-device-tag';

export const TAG_TABLE = 'tags';

/** A row of `tags`, as Postgres returns it (timestamps are UTC). */
export interface TagRow {
  id: number;
  name: string;
  description: string | null;
  /** hex colour for the UI */
  color: string | null;
  created_at: Date;
}

export class Tag extends BaseModel implements TagRow {
  static override tableName = TAG_TABLE;

  declare id: number;
  declare name: string;
  declare description: string | null;
  declare color: string | null;
  declare created_at: Date;

  declare deviceLinks?: InventoryDeviceTag[];
  declare devices?: InventoryDevice[];

  static override get relationMappings(): RelationMappings {
    return {
      deviceLinks: {
        relation: Model.HasManyRelation,
        modelClass: () => InventoryDeviceTag,
        join: { from: `${TAG_TABLE}.id`, to: `${INVENTORY_DEVICE_TAG_TABLE}.tag_id` },
      },
      devices: {
        relation: Model.ManyToManyRelation,
        modelClass: () => InventoryDevice,
        join: {
          from: `${TAG_TABLE}.id`,
          through: {
            from: `${INVENTORY_DEVICE_TAG_TABLE}.tag_id`,
            to: `${INVENTORY_DEVICE_TAG_TABLE}.device_id`,
          },
          to: `${INVENTORY_DEVICE_TABLE}.id`,
        },
      },
    };
  }
}
