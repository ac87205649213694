/**
 * `device_types`: inventory device types (legacy `backend.inventory.models.DeviceType`).
 */
import { Model, type RelationMappings } from 'objection';
import { BaseModel } from './base';
import { INVENTORY_DEVICE_TABLE, InventoryDevice } from './inventory-device';

export const DEVICE_TYPE_TABLE = 'device_types';

/** A row of `device_types`, as Postgres returns it (timestamps are UTC). */
export interface DeviceTypeRow {
  id: number;
  name: string;
  category: string;
  description: string | null;
  is_schedulable: boolean;
  /** sic: the legacy column name */
  is_has_ports: boolean;
  created_at: Date;
  updated_at: Date;
}

export class DeviceType extends BaseModel implements DeviceTypeRow {
  static override tableName = DEVICE_TYPE_TABLE;

  declare id: number;
  declare name: string;
  declare category: string;
  declare description: string | null;
  declare is_schedulable: boolean;
  declare is_has_ports: boolean;
  declare created_at: Date;
  declare updated_at: Date;

  declare devices?: InventoryDevice[];

  static override get relationMappings(): RelationMappings {
    return {
      devices: {
        relation: Model.HasManyRelation,
        modelClass: () => InventoryDevice,
        join: { from: `${DEVICE_TYPE_TABLE}.id`, to: `${INVENTORY_DEVICE_TABLE}.device_type_id` },
      },
    };
  }
}
