/**
 * `admin_invitations`: invitations to become an admin (legacy
 * `backend.scheduler.models.AdminInvitation`).
 */
import { Model, type Pojo, type RelationMappings } from 'objection';
import { BaseModel } from './base';
import { USER_TABLE, User } from './user';

export const ADMIN_INVITATION_TABLE = 'admin_invitations';

/** A row of `admin_invitations`, as Postgres returns it (timestamps are UTC). */
export interface AdminInvitationRow {
  id: number;
  email: string;
  handle: string | null;
  role: string;
  invited_by: number | null;
  /** a secret; left out of `toJSON()` so it never reaches a log */
  token: string;
  expires_at: Date;
  created_at: Date;
  accepted_at: Date | null;
}

export class AdminInvitation extends BaseModel implements AdminInvitationRow {
  static override tableName = ADMIN_INVITATION_TABLE;

  declare id: number;
  declare email: string;
  declare handle: string | null;
  declare role: string;
  declare invited_by: number | null;
  declare token: string;
  declare expires_at: Date;
  declare created_at: Date;
  declare accepted_at: Date | null;

  declare inviter?: User | null;

  override $formatJson(json: Pojo): Pojo {
    const { token: _secret, ...rest } = super.$formatJson(json);
    return rest;
  }

  static override get relationMappings(): RelationMappings {
    return {
      inviter: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => User,
        join: { from: `${ADMIN_INVITATION_TABLE}.invited_by`, to: `${USER_TABLE}.id` },
      },
    };
  }
}
