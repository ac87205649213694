/**
 * `booking_table`: bookings of scheduler devices (legacy `backend.scheduler.models.Booking`). A
 * reservation of several devices, or shared with collaborators, is several rows with one
 * `grouped_booking_id`; collaborator rows have `is_collaborator` set.
 */
import { Model, type RelationMappings } from 'objection';
import { BaseModel, type JsonValue } from './base';
import { DEVICE_TABLE, Device } from './device';
import { USER_TABLE, User } from './user';

export const BOOKING_TABLE = 'booking_table';

/** A row of `booking_table`, as Postgres returns it (timestamps are UTC). */
export interface BookingRow {
  booking_id: number;
  device_id: number;
  user_id: number;
  is_collaborator: boolean;
  /** a UUID string shared by the rows of one reservation */
  grouped_booking_id: string;
  /** UTC */
  start_time: Date;
  /** UTC */
  end_time: Date;
  /** free text as the scheduler wrote it */
  status: string | null;
  comment: string | null;
  /** a JSON list (the legacy default); its items are as the scheduler wrote them */
  collaborators: JsonValue | null;
  created_at: Date;
}

export class Booking extends BaseModel implements BookingRow {
  static override tableName = BOOKING_TABLE;
  static override idColumn = 'booking_id';
  /** Stringified on write so arrays reach `json` columns as JSON, not as Postgres arrays. */
  static override jsonAttributes = ['collaborators'];

  declare booking_id: number;
  declare device_id: number;
  declare user_id: number;
  declare is_collaborator: boolean;
  declare grouped_booking_id: string;
  declare start_time: Date;
  declare end_time: Date;
  declare status: string | null;
  declare comment: string | null;
  declare collaborators: JsonValue | null;
  declare created_at: Date;

  declare device?: Device | null;
  declare user?: User | null;

  static override get relationMappings(): RelationMappings {
    return {
      device: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => Device,
        join: { from: `${BOOKING_TABLE}.device_id`, to: `${DEVICE_TABLE}.id` },
      },
      user: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => User,
        join: { from: `${BOOKING_TABLE}.user_id`, to: `${USER_TABLE}.id` },
      },
    };
  }
}
