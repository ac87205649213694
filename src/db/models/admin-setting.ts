/**
 * `admin_settings`: admin settings, one JSON value per key (legacy
 * `backend.scheduler.models.AdminSetting`).
 */
import { Model, type RelationMappings } from 'objection';
import { BaseModel, type JsonValue } from './base';
import { USER_TABLE, User } from './user';

export const ADMIN_SETTING_TABLE = 'admin_settings';

/** A row of `admin_settings`, as Postgres returns it (timestamps are UTC). */
export interface AdminSettingRow {
  id: number;
  key: string;
  value: JsonValue;
  updated_at: Date;
  updated_by: number | null;
}

export class AdminSetting extends BaseModel implements AdminSettingRow {
  static override tableName = ADMIN_SETTING_TABLE;
  /** Stringified on write so arrays reach `json` columns as JSON, not as Postgres arrays. */
  static override jsonAttributes = ['value'];

  declare id: number;
  declare key: string;
  declare value: JsonValue;
  declare updated_at: Date;
  declare updated_by: number | null;

  declare updater?: User | null;

  static override get relationMappings(): RelationMappings {
    return {
      updater: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => User,
        join: { from: `${ADMIN_SETTING_TABLE}.updated_by`, to: `${USER_TABLE}.id` },
      },
    };
  }
}
