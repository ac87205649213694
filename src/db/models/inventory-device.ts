/**
 * `devices`: inventory devices (legacy `backend.inventory.models.InventoryDevice`): the catalogue of
 * physical devices, a separate concept from the scheduler's `device_table` (see Device).
 */
import { Model, type RelationMappings } from 'objection';
import { BaseModel } from './base';
import { DEVICE_HISTORY_TABLE, DeviceHistory } from './device-history';
import { DEVICE_TYPE_TABLE, DeviceType } from './device-type';
import { INVENTORY_DEVICE_TAG_TABLE, InventoryDeviceTag } from './inventory-device-tag';
import { MANUFACTURER_TABLE, Manufacturer } from './manufacturer';
import { SITE_TABLE, Site } from './site';
import { TAG_TABLE, Tag } from './tag';
import { USER_TABLE, User } from './user';

export const INVENTORY_DEVICE_TABLE = 'devices';

/** A row of `devices`, as Postgres returns it (timestamps are UTC). */
export interface InventoryDeviceRow {
  id: number;
  oi_id: string | null;
  name: string;
  device_type_id: number;
  manufacturer_id: number | null;
  model: string | null;
  serial_number: string | null;
  status: string;
  site_id: number | null;
  rack: string | null;
  u_position: number | null;
  hostname: string | null;
  mgmt_ip: string | null;
  polatis_name: string | null;
  polatis_port_range: string | null;
  owner_group: string | null;
  notes: string | null;
  created_at: Date;
  updated_at: Date;
  created_by_id: number | null;
  updated_by_id: number | null;
}

export class InventoryDevice extends BaseModel implements InventoryDeviceRow {
  static override tableName = INVENTORY_DEVICE_TABLE;

  declare id: number;
  declare oi_id: string | null;
  declare name: string;
  declare device_type_id: number;
  declare manufacturer_id: number | null;
  declare model: string | null;
  declare serial_number: string | null;
  declare status: string;
  declare site_id: number | null;
  declare rack: string | null;
  declare u_position: number | null;
  declare hostname: string | null;
  declare mgmt_ip: string | null;
  declare polatis_name: string | null;
  declare polatis_port_range: string | null;
  declare owner_group: string | null;
  declare notes: string | null;
  declare created_at: Date;
  declare updated_at: Date;
  declare created_by_id: number | null;
  declare updated_by_id: number | null;

  declare deviceType?: DeviceType | null;
  declare manufacturer?: Manufacturer | null;
  declare site?: Site | null;
  declare tags?: Tag[];
  declare tagLinks?: InventoryDeviceTag[];
  declare history?: DeviceHistory[];
  declare createdBy?: User | null;
  declare updatedBy?: User | null;

  static override get relationMappings(): RelationMappings {
    return {
      deviceType: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => DeviceType,
        join: { from: `${INVENTORY_DEVICE_TABLE}.device_type_id`, to: `${DEVICE_TYPE_TABLE}.id` },
      },
      manufacturer: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => Manufacturer,
        join: { from: `${INVENTORY_DEVICE_TABLE}.manufacturer_id`, to: `${MANUFACTURER_TABLE}.id` },
      },
      site: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => Site,
        join: { from: `${INVENTORY_DEVICE_TABLE}.site_id`, to: `${SITE_TABLE}.id` },
      },
      tags: {
        relation: Model.ManyToManyRelation,
        modelClass: () => Tag,
        join: {
          from: `${INVENTORY_DEVICE_TABLE}.id`,
          through: {
            from: `${INVENTORY_DEVICE_TAG_TABLE}.device_id`,
            to: `${INVENTORY_DEVICE_TAG_TABLE}.tag_id`,
          },
          to: `${TAG_TABLE}.id`,
        },
      },
      tagLinks: {
        relation: Model.HasManyRelation,
        modelClass: () => InventoryDeviceTag,
        join: { from: `${INVENTORY_DEVICE_TABLE}.id`, to: `${INVENTORY_DEVICE_TAG_TABLE}.device_id` },
      },
      history: {
        relation: Model.HasManyRelation,
        modelClass: () => DeviceHistory,
        join: { from: `${INVENTORY_DEVICE_TABLE}.id`, to: `${DEVICE_HISTORY_TABLE}.device_id` },
      },
      createdBy: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => User,
        join: { from: `${INVENTORY_DEVICE_TABLE}.created_by_id`, to: `${USER_TABLE}.id` },
      },
      updatedBy: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => User,
        join: { from: `${INVENTORY_DEVICE_TABLE}.updated_by_id`, to: `${USER_TABLE}.id` },
      },
    };
  }
}
