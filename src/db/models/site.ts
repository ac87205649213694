/**
 * `sites`: inventory sites (legacy `backend.inventory.models.Site`).
 */
import { Model, type RelationMappings } from 'objection';
import { BaseModel } from './base';
import { INVENTORY_DEVICE_TABLE, InventoryDevice } from './inventory-device';

export const SITE_TABLE = 'sites';

/** A row of `sites`, as Postgres returns it (timestamps are UTC). */
export interface SiteRow {
  id: number;
  name: string;
  address: string | null;
  notes: string | null;
  created_at: Date;
  updated_at: Date;
}

export class Site extends BaseModel implements SiteRow {
  static override tableName = SITE_TABLE;

  declare id: number;
  declare name: string;
  declare address: string | null;
  declare notes: string | null;
  declare created_at: Date;
  declare updated_at: Date;

  declare devices?: InventoryDevice[];

  static override get relationMappings(): RelationMappings {
    return {
      devices: {
        relation: Model.HasManyRelation,
        modelClass: () => InventoryDevice,
        join: { from: `${SITE_TABLE}.id`, to: `${INVENTORY_DEVICE_TABLE}.site_id` },
      },
    };
  }
}
