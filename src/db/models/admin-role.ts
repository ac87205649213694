/**
 * `admin_roles`: the admin role of a user, at most one per user (legacy
 * `backend.scheduler.models.AdminRole`); `approval_limits` feeds the approval policies.
 */
import { Model, type RelationMappings } from 'objection';
import { BaseModel, type JsonValue } from './base';
import { USER_TABLE, User } from './user';

export const ADMIN_ROLE_TABLE = 'admin_roles';

/** A row of `admin_roles`, as Postgres returns it (timestamps are UTC). */
export interface AdminRoleRow {
  id: number;
  user_id: number;
  role: string;
  status: string;
  permissions: JsonValue | null;
  approval_limits: JsonValue | null;
  created_at: Date;
  updated_at: Date;
}

export class AdminRole extends BaseModel implements AdminRoleRow {
  static override tableName = ADMIN_ROLE_TABLE;
  /** Stringified on write so arrays reach `json` columns as JSON, not as Postgres arrays. */
  static override jsonAttributes = ['permissions', 'approval_limits'];

  declare id: number;
  declare user_id: number;
  declare role: string;
  declare status: string;
  declare permissions: JsonValue | null;
  declare approval_limits: JsonValue | null;
  declare created_at: Date;
  declare updated_at: Date;

  declare user?: User | null;

  static override get relationMappings(): RelationMappings {
    return {
      user: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => User,
        join: { from: `${ADMIN_ROLE_TABLE}.user_id`, to: `${USER_TABLE}.id` },
      },
    };
  }
}
