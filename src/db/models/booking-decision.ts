/**
 * `booking_decisions` (owned by provdb-worker): what the policies decided about a booking, one
 * row per owner booking row of a reservation per evaluation. The latest decision of a booking
 * is the row with the highest `id` for its `booking_id`. See docs/rules.md, "Decisions".
 */
import { BaseModel } from './base';

export const BOOKING_DECISION_TABLE = 'booking_decisions';

export const DECISION_OUTCOMES = ['allow', 'require_approval', 'deny'] as const;
export type DecisionOutcome = (typeof DECISION_OUTCOMES)[number];

export const ENFORCEMENT_MODE_VALUES = ['advisory', 'enforce'] as const;
export type DecisionMode = (typeof ENFORCEMENT_MODE_VALUES)[number];

/** A row of `booking_decisions`, as Postgres returns it. */
export interface BookingDecisionRow {
  id: number;
  booking_id: number;
  grouped_booking_id: string;
  outcome: DecisionOutcome;
  /** the merged reasons of the reservation (src/rules/group.ts), deny first */
  reasons: unknown[];
  ruleset_revision: string;
  event_id: string;
  /** the job that caused the evaluation, e.g. `booking.created`, `booking.reevaluate` */
  trigger: string;
  mode: DecisionMode;
  /** booking_table.status when the decision was made */
  status_before: string | null;
  /** booking_table.status after enforcement (equal to status_before in advisory mode) */
  status_after: string | null;
  evaluated_at: Date;
}

export class BookingDecision extends BaseModel implements BookingDecisionRow {
  static override tableName = BOOKING_DECISION_TABLE;
  /** Stringified on write so arrays reach the jsonb column as JSON, not as Postgres arrays. */
  static override jsonAttributes = ['reasons'];

  declare id: number;
  declare booking_id: number;
  declare grouped_booking_id: string;
  declare outcome: DecisionOutcome;
  declare reasons: unknown[];
  declare ruleset_revision: string;
  declare event_id: string;
  declare trigger: string;
  declare mode: DecisionMode;
  declare status_before: string | null;
  declare status_after: string | null;
  declare evaluated_at: Date;
}
