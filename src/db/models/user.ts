/**
 * `user_table`: scheduler users (legacy `backend.scheduler.models.User`). The only entity both domains
 * share: inventory rows point here for who created or changed them.
 */
import { Model, type Pojo, type RelationMappings } from 'objection';
import { ADMIN_ROLE_TABLE, AdminRole } from './admin-role';
import { BaseModel } from './base';
import { BOOKING_TABLE, Booking } from './booking';
import { BOOKING_FAVORITE_TABLE, BookingFavorite } from './booking-favorite';
import { DEVICE_OWNERSHIP_TABLE, DeviceOwnership } from './device-ownership';
import { TOPOLOGY_TABLE, Topology } from './topology';

export const USER_TABLE = 'user_table';

/** A row of `user_table`, as Postgres returns it. */
export interface UserRow {
  id: number;
  discord_id: string | null;
  username: string;
  email: string | null;
  /** the scheduler's password hash; left out of `toJSON()` so it never reaches a log */
  password: string;
  /** nullable: the legacy default (false) is client-side */
  is_admin: boolean | null;
}

export class User extends BaseModel implements UserRow {
  static override tableName = USER_TABLE;

  declare id: number;
  declare discord_id: string | null;
  declare username: string;
  declare email: string | null;
  declare password: string;
  declare is_admin: boolean | null;

  declare bookings?: Booking[];
  declare topologies?: Topology[];
  declare bookingFavorites?: BookingFavorite[];
  declare adminRole?: AdminRole | null;
  declare ownerships?: DeviceOwnership[];

  override $formatJson(json: Pojo): Pojo {
    const { password: _secret, ...rest } = super.$formatJson(json);
    return rest;
  }

  static override get relationMappings(): RelationMappings {
    return {
      bookings: {
        relation: Model.HasManyRelation,
        modelClass: () => Booking,
        join: { from: `${USER_TABLE}.id`, to: `${BOOKING_TABLE}.user_id` },
      },
      topologies: {
        relation: Model.HasManyRelation,
        modelClass: () => Topology,
        join: { from: `${USER_TABLE}.id`, to: `${TOPOLOGY_TABLE}.user_id` },
      },
      bookingFavorites: {
        relation: Model.HasManyRelation,
        modelClass: () => BookingFavorite,
        join: { from: `${USER_TABLE}.id`, to: `${BOOKING_FAVORITE_TABLE}.user_id` },
      },
      adminRole: {
        relation: Model.HasOneRelation,
        modelClass: () => AdminRole,
        join: { from: `${USER_TABLE}.id`, to: `${ADMIN_ROLE_TABLE}.user_id` },
      },
      ownerships: {
        relation: Model.HasManyRelation,
        modelClass: () => DeviceOwnership,
        join: { from: `${USER_TABLE}.id`, to: `${DEVICE_OWNERSHIP_TABLE}.owner_id` },
      },
    };
  }
}
