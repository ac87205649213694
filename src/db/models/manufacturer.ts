/**
 * `manufacturers`: inventory manufacturers (legacy `backend.inventory.models.Manufacturer`).
 */
import { Model, type RelationMappings } from 'objection';
import { BaseModel } from './base';
import { INVENTORY_DEVICE_TABLE, InventoryDevice } from './inventory-device';

export const MANUFACTURER_TABLE = 'manufacturers';

/** A row of `manufacturers`, as Postgres returns it (timestamps are UTC). */
export interface ManufacturerRow {
  id: number;
  name: string;
  website: string | null;
  notes: string | null;
  created_at: Date;
  updated_at: Date;
}

export class Manufacturer extends BaseModel implements ManufacturerRow {
  static override tableName = MANUFACTURER_TABLE;

  declare id: number;
  declare name: string;
  declare website: string | null;
  declare notes: string | null;
  declare created_at: Date;
  declare updated_at: Date;

  declare devices?: InventoryDevice[];

  static override get relationMappings(): RelationMappings {
    return {
      devices: {
        relation: Model.HasManyRelation,
        modelClass: () => InventoryDevice,
        join: { from: `${MANUFACTURER_TABLE}.id`, to: `${INVENTORY_DEVICE_TABLE}.manufacturer_id` },
      },
    };
  }
}
