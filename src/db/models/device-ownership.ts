/**
 * `device_ownership`: who owns a scheduler device (legacy `backend.scheduler.models.DeviceOwnership`);
 * an ownership is active while `revoked_at` is NULL.
 */
import { Model, type RelationMappings } from 'objection';
import { BaseModel } from './base';
import { DEVICE_TABLE, Device } from './device';
import { USER_TABLE, User } from './user';

export const DEVICE_OWNERSHIP_TABLE = 'device_ownership';

/** A row of `device_ownership`, as Postgres returns it (timestamps are UTC). */
export interface DeviceOwnershipRow {
  id: number;
  device_id: number;
  owner_id: number;
  assigned_by: number | null;
  assigned_at: Date;
  revoked_at: Date | null;
}

export class DeviceOwnership extends BaseModel implements DeviceOwnershipRow {
  static override tableName = DEVICE_OWNERSHIP_TABLE;

  declare id: number;
  declare device_id: number;
  declare owner_id: number;
  declare assigned_by: number | null;
  declare assigned_at: Date;
  declare revoked_at: Date | null;

  declare device?: Device | null;
  declare owner?: User | null;
  declare assignedByUser?: User | null;

  static override get relationMappings(): RelationMappings {
    return {
      device: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => Device,
        join: { from: `${DEVICE_OWNERSHIP_TABLE}.device_id`, to: `${DEVICE_TABLE}.id` },
      },
      owner: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => User,
        join: { from: `${DEVICE_OWNERSHIP_TABLE}.owner_id`, to: `${USER_TABLE}.id` },
      },
      assignedByUser: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => User,
        join: { from: `${DEVICE_OWNERSHIP_TABLE}.assigned_by`, to: `${USER_TABLE}.id` },
      },
    };
  }
}
