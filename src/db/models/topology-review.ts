/**
 * `topology_review`: the review of a submitted topology, one per topology (legacy
 * `backend.scheduler.models.TopologyReview`).
 */
import { Model, type RelationMappings } from 'objection';
import { BaseModel } from './base';
import { TOPOLOGY_TABLE, Topology } from './topology';
import { USER_TABLE, User } from './user';

export const TOPOLOGY_REVIEW_TABLE = 'topology_review';

/** A row of `topology_review`, as Postgres returns it (timestamps are UTC). */
export interface TopologyReviewRow {
  id: number;
  topology_id: number;
  status: string;
  conflict_count: number;
  last_checked_at: Date | null;
  resolved_at: Date | null;
  resolved_by: number | null;
  notes: string | null;
  created_at: Date;
  updated_at: Date;
}

export class TopologyReview extends BaseModel implements TopologyReviewRow {
  static override tableName = TOPOLOGY_REVIEW_TABLE;

  declare id: number;
  declare topology_id: number;
  declare status: string;
  declare conflict_count: number;
  declare last_checked_at: Date | null;
  declare resolved_at: Date | null;
  declare resolved_by: number | null;
  declare notes: string | null;
  declare created_at: Date;
  declare updated_at: Date;

  declare topology?: Topology | null;
  declare resolver?: User | null;

  static override get relationMappings(): RelationMappings {
    return {
      topology: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => Topology,
        join: { from: `${TOPOLOGY_REVIEW_TABLE}.topology_id`, to: `${TOPOLOGY_TABLE}.id` },
      },
      resolver: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => User,
        join: { from: `${TOPOLOGY_REVIEW_TABLE}.resolved_by`, to: `${USER_TABLE}.id` },
      },
    };
  }
}
