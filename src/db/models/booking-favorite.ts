/**
 * `booking_favorite`: saved device selections users re-book from (legacy
 * `backend.scheduler.models.BookingFavorite`); the devices are a JSON snapshot, not references.
 */
import { Model, type RelationMappings } from 'objection';
import { BaseModel, type JsonValue } from './base';
import { USER_TABLE, User } from './user';

export const BOOKING_FAVORITE_TABLE = 'booking_favorite';

/** A row of `booking_favorite`, as Postgres returns it (timestamps are UTC). */
export interface BookingFavoriteRow {
  id: number;
  user_id: number;
  name: string;
  grouped_booking_id: string;
  device_snapshot: JsonValue;
  created_at: Date;
  updated_at: Date;
}

export class BookingFavorite extends BaseModel implements BookingFavoriteRow {
  static override tableName = BOOKING_FAVORITE_TABLE;
  /** Stringified on write so arrays reach `json` columns as JSON, not as Postgres arrays. */
  static override jsonAttributes = ['device_snapshot'];

  declare id: number;
  declare user_id: number;
  declare name: string;
  declare grouped_booking_id: string;
  declare device_snapshot: JsonValue;
  declare created_at: Date;
  declare updated_at: Date;

  declare user?: User | null;

  static override get relationMappings(): RelationMappings {
    return {
      user: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => User,
        join: { from: `${BOOKING_FAVORITE_TABLE}.user_id`, to: `${USER_TABLE}.id` },
      },
    };
  }
}
