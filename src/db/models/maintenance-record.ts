/**
 * `maintenance_records`: maintenance of inventory equipment (legacy
 * `backend.inventory.models.MaintenanceRecord`). `item_id` is a legacy reference to the retired
 * `inventory_items` table, without a foreign key; `performed_by` is free text.
 */
import { Model, type RelationMappings } from 'objection';
import { BaseModel, type JsonValue } from './base';
import { USER_TABLE, User } from './user';

export const MAINTENANCE_RECORD_TABLE = 'maintenance_records';

/** A row of `maintenance_records`, as Postgres returns it (timestamps are UTC). */
export interface MaintenanceRecordRow {
  id: number;
  /** legacy: an id of the retired inventory_items table; no foreign key */
  item_id: number;
  maintenance_type: string;
  description: string | null;
  /** free text, not a user reference */
  performed_by: string | null;
  scheduled_date: Date | null;
  performed_date: Date | null;
  next_due_date: Date | null;
  cost: number | null;
  parts_used: JsonValue | null;
  status: string;
  notes: string | null;
  outcome: string | null;
  extra: JsonValue | null;
  created_at: Date;
  updated_at: Date;
  created_by_id: number | null;
}

export class MaintenanceRecord extends BaseModel implements MaintenanceRecordRow {
  static override tableName = MAINTENANCE_RECORD_TABLE;
  /** Stringified on write so arrays reach `json` columns as JSON, not as Postgres arrays. */
  static override jsonAttributes = ['parts_used', 'extra'];

  declare id: number;
  declare item_id: number;
  declare maintenance_type: string;
  declare description: string | null;
  declare performed_by: string | null;
  declare scheduled_date: Date | null;
  declare performed_date: Date | null;
  declare next_due_date: Date | null;
  declare cost: number | null;
  declare parts_used: JsonValue | null;
  declare status: string;
  declare notes: string | null;
  declare outcome: string | null;
  declare extra: JsonValue | null;
  declare created_at: Date;
  declare updated_at: Date;
  declare created_by_id: number | null;

  declare createdBy?: User | null;

  static override get relationMappings(): RelationMappings {
    return {
      createdBy: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => User,
        join: { from: `${MAINTENANCE_RECORD_TABLE}.created_by_id`, to: `${USER_TABLE}.id` },
      },
    };
  }
}
