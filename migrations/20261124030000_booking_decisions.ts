/**
 * `booking_decisions`: what the policies decided about each booking, one row per owner booking
 * row of a reservation per evaluation (every row of one evaluation shares outcome and reasons:
 * a reservation is decided as a whole). Append-only: the latest decision of a booking is the row
 * with the highest `id` for its `booking_id`.
 *
 * `booking_id` has no foreign key on purpose: the legacy backend may delete bookings, and their
 * decisions stay as the record of what was decided.
 *
 * Frozen once landed: change the schema with a new migration. Imports no application code.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE TABLE booking_decisions (
    id BIGSERIAL PRIMARY KEY,
    booking_id INTEGER NOT NULL,
    grouped_booking_id VARCHAR(64) NOT NULL,
    outcome TEXT NOT NULL CONSTRAINT booking_decisions_outcome_check
      CHECK (outcome IN ('allow', 'require_approval', 'deny')),
    reasons JSONB NOT NULL,
    ruleset_revision VARCHAR(64) NOT NULL,
    event_id UUID NOT NULL,
    trigger TEXT NOT NULL,
    mode TEXT NOT NULL CONSTRAINT booking_decisions_mode_check CHECK (mode IN ('advisory', 'enforce')),
    status_before TEXT,
    status_after TEXT,
    evaluated_at TIMESTAMPTZ NOT NULL)`);
  await knex.raw('CREATE INDEX booking_decisions_booking_id_idx ON booking_decisions (booking_id, id DESC)');
  await knex.raw(
    'CREATE INDEX booking_decisions_grouped_booking_id_idx ON booking_decisions (grouped_booking_id)',
  );
  await knex.raw(`COMMENT ON TABLE booking_decisions IS
    'provdb-worker: policy decisions, one row per owner booking row of a reservation per evaluation; latest = highest id per booking_id'`);
  await knex.raw(`COMMENT ON COLUMN booking_decisions.reasons IS
    'the rules that fired (policy, rule, type, code, message, values, conditions, deviceIds), deny first'`);
  await knex.raw(`COMMENT ON COLUMN booking_decisions.status_before IS
    'booking_table.status when the decision was made; status_after is the status after enforcement (equal in advisory mode)'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE booking_decisions');
}
