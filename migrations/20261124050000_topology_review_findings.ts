/**
 * `topology_review_findings`: the findings of the latest automatic check of a topology review,
 * one row per finding. A re-check replaces the review's set in one transaction (the rows are the
 * current state, not a history); each check also writes an `admin_audit_log` entry with its
 * outcome and counts, which is where the history lives.
 *
 * `device_id` has no foreign key on purpose: "device 999 does not exist" is a finding too.
 *
 * Frozen once landed: change the schema with a new migration. Imports no application code.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE TABLE topology_review_findings (
    id BIGSERIAL PRIMARY KEY,
    review_id INTEGER NOT NULL REFERENCES topology_review (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL CONSTRAINT topology_review_findings_severity_check
      CHECK (severity IN ('error', 'warning', 'info')),
    node_id TEXT,
    edge_id TEXT,
    device_id INTEGER,
    message TEXT NOT NULL,
    detail JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
  await knex.raw(
    'CREATE INDEX topology_review_findings_review_id_idx ON topology_review_findings (review_id)',
  );
  await knex.raw(`COMMENT ON TABLE topology_review_findings IS
    'provdb-worker: findings of the latest automatic topology review check; replaced on each re-check, history in admin_audit_log'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE topology_review_findings');
}
