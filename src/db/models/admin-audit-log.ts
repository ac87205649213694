/**
 * `admin_audit_log`: who did what to which entity (legacy `backend.scheduler.models.AdminAuditLog`);
 * `entity_id` is a string whatever the entity.
 */
import { Model, type RelationMappings } from 'objection';
import { BaseModel, type JsonValue } from './base';
import { USER_TABLE, User } from './user';

export const ADMIN_AUDIT_LOG_TABLE = 'admin_audit_log';

/** A row of `admin_audit_log`, as Postgres returns it (timestamps are UTC). */
export interface AdminAuditLogRow {
  id: number;
  actor_id: number | null;
  actor_role: string | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  payload: JsonValue | null;
  outcome: string;
  message: string | null;
  created_at: Date;
}

export class AdminAuditLog extends BaseModel implements AdminAuditLogRow {
  static override tableName = ADMIN_AUDIT_LOG_TABLE;
  /** Stringified on write so arrays reach `json` columns as JSON, not as Postgres arrays. */
  static override jsonAttributes = ['payload'];

  declare id: number;
  declare actor_id: number | null;
  declare actor_role: string | null;
  declare action: string;
  declare entity_type: string;
  declare entity_id: string | null;
  declare payload: JsonValue | null;
  declare outcome: string;
  declare message: string | null;
  declare created_at: Date;

  declare actor?: User | null;

  static override get relationMappings(): RelationMappings {
    return {
      actor: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => User,
        join: { from: `${ADMIN_AUDIT_LOG_TABLE}.actor_id`, to: `${USER_TABLE}.id` },
      },
    };
  }
}
