/**
 * `processed_events`: the durable exactly-once guard of the queue runtime. One row per event
 * whose effects committed; the runtime inserts it in the same transaction as the handlers'
 * writes, so an event delivered again (re-enqueued, retried, recovered after a crash) finds its
 * row and has no second effect. See docs/runtime.md.
 *
 * Frozen once landed: change the schema with a new migration. Imports no application code.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE processed_events (
      event_id uuid PRIMARY KEY,
      job_name text NOT NULL,
      outcome text NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now(),
      queue text NOT NULL,
      job_id text NOT NULL,
      attempt integer NOT NULL CHECK (attempt >= 1),
      results jsonb,
      follow_ups jsonb
    )`);
  await knex.raw(`COMMENT ON TABLE processed_events IS
    'provdb-worker: one row per event whose effects committed (exactly-once guard)'`);
  await knex.raw(`COMMENT ON COLUMN processed_events.results IS
    'what each handler reported, keyed by handler name (NULL when none reported anything)'`);
  await knex.raw(`COMMENT ON COLUMN processed_events.follow_ups IS
    'jobs the handlers enqueued after commit, re-sent when the event is delivered again'`);
  // Pruning old rows and "what happened in the last hour" both scan by time.
  await knex.raw('CREATE INDEX processed_events_processed_at_idx ON processed_events (processed_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS processed_events');
}
