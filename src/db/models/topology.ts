/**
 * `topology_table`: topologies users draw: nodes and edges over scheduler devices, as JSON (legacy
 * `backend.scheduler.models.Topology`).
 */
import { Model, type RelationMappings } from 'objection';
import { BaseModel, type JsonValue } from './base';
import { TOPOLOGY_REVIEW_TABLE, TopologyReview } from './topology-review';
import { USER_TABLE, User } from './user';

export const TOPOLOGY_TABLE = 'topology_table';

/** A row of `topology_table`, as Postgres returns it (timestamps are UTC). */
export interface TopologyRow {
  id: number;
  user_id: number;
  name: string;
  nodes: JsonValue;
  edges: JsonValue;
  created_at: Date;
  updated_at: Date;
}

export class Topology extends BaseModel implements TopologyRow {
  static override tableName = TOPOLOGY_TABLE;
  /** Stringified on write so arrays reach `json` columns as JSON, not as Postgres arrays. */
  static override jsonAttributes = ['nodes', 'edges'];

  declare id: number;
  declare user_id: number;
  declare name: string;
  declare nodes: JsonValue;
  declare edges: JsonValue;
  declare created_at: Date;
  declare updated_at: Date;

  declare user?: User | null;
  declare review?: TopologyReview | null;

  static override get relationMappings(): RelationMappings {
    return {
      user: {
        relation: Model.BelongsToOneRelation,
        modelClass: () => User,
        join: { from: `${TOPOLOGY_TABLE}.user_id`, to: `${USER_TABLE}.id` },
      },
      review: {
        relation: Model.HasOneRelation,
        modelClass: () => TopologyReview,
        join: { from: `${TOPOLOGY_TABLE}.id`, to: `${TOPOLOGY_REVIEW_TABLE}.topology_id` },
      },
    };
  }
}
