-- provdb-worker: the least-privilege role the worker runs as (docs/operations.md, "Security").
--
-- Run as the database owner (the role that runs the migrations), on an already-migrated
-- database, after every `provdb-worker migrate` (a migration may add a table the worker needs):
--
--   psql -v ON_ERROR_STOP=1 -v password="$WORKER_PASSWORD" -f sql/worker-role.sql "$OWNER_DATABASE_URL"
--
-- psql variables (-v name=value):
--   role      role name (default provdb_worker); roles are cluster-wide
--   password  sets the role's password; leave it out to keep the current one (or none, for
--             peer/cert authentication). Passed as a psql variable it is never echoed.
--
-- Idempotent and convergent: it creates the role if needed, then revokes everything the role
-- holds on this database's schema and grants exactly the list below, so running it again (or
-- after a migration) gives the same privileges. It changes no table and needs no migration.
--
-- What the worker may do, and nothing else:
--   * read every table and view of the schema, except user_table.password;
--   * UPDATE only booking_table.status (enforcement); the alignment trigger and the generated
--     status_canonical column need no further grant;
--   * SELECT, INSERT, UPDATE topology_review (the review outcome);
--   * INSERT into admin_audit_log;
--   * SELECT, INSERT, UPDATE, DELETE on its own tables (processed_events, utilization_rollups,
--     topology_review_findings, topology_devices, booking_decisions), each only if it exists;
--   * USAGE on the sequences behind those INSERTs.
-- No DDL (it owns nothing and cannot create in the schema), no DELETE or TRUNCATE on legacy
-- tables, no UPDATE of any other legacy column.

\set ON_ERROR_STOP on
\if :{?role}
\else
  \set role provdb_worker
\endif

-- psql does not interpolate variables inside DO bodies: hand the name over as a setting.
SELECT set_config('provdb.worker_role', :'role', false) AS worker_role \gset

DO $$
DECLARE
  worker TEXT := current_setting('provdb.worker_role');
  s TEXT := current_schema();
  t RECORD;
  -- The worker's own tables (created by its migrations). Missing ones are skipped, so the
  -- script also runs on a database where a part's migration has not landed yet.
  -- A part that adds a table of its own adds its name here (and to the role test's list).
  own TEXT[] := ARRAY['processed_events', 'utilization_rollups', 'topology_review_findings',
                      'topology_devices', 'booking_decisions'];
  readable_user_columns TEXT;
BEGIN
  IF worker !~ '^[a-z_][a-z0-9_]{0,62}$' THEN
    RAISE EXCEPTION 'role name % must be lower-case letters, digits and _', quote_literal(worker);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = worker) THEN
    EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', worker);
  ELSE
    EXECUTE format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', worker);
  END IF;

  -- Start from nothing on this schema (table privileges take their column privileges along).
  FOR t IN SELECT c.relname, c.relkind FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = s AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') LOOP
    IF t.relkind = 'S' THEN
      EXECUTE format('REVOKE ALL ON SEQUENCE %I.%I FROM %I', s, t.relname, worker);
    ELSE
      EXECUTE format('REVOKE ALL ON TABLE %I.%I FROM %I', s, t.relname, worker);
    END IF;
  END LOOP;
  EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %I', s, worker);

  EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), worker);
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', s, worker);

  -- Read everything (legacy tables, views, the worker's bookkeeping), but no password hash.
  FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = s AND c.relkind IN ('r', 'p', 'v', 'm') AND c.relname <> 'user_table' LOOP
    EXECUTE format('GRANT SELECT ON TABLE %I.%I TO %I', s, t.relname, worker);
  END LOOP;
  SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) INTO readable_user_columns
    FROM information_schema.columns
   WHERE table_schema = s AND table_name = 'user_table' AND column_name <> 'password';
  IF readable_user_columns IS NOT NULL THEN
    EXECUTE format('GRANT SELECT (%s) ON TABLE %I.user_table TO %I', readable_user_columns, s, worker);
  END IF;

  -- Legacy tables the worker writes, each as narrowly as it writes them.
  IF to_regclass(format('%I.booking_table', s)) IS NOT NULL THEN
    EXECUTE format('GRANT UPDATE (status) ON TABLE %I.booking_table TO %I', s, worker);
  END IF;
  IF to_regclass(format('%I.topology_review', s)) IS NOT NULL THEN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON TABLE %I.topology_review TO %I', s, worker);
  END IF;
  IF to_regclass(format('%I.admin_audit_log', s)) IS NOT NULL THEN
    EXECUTE format('GRANT INSERT ON TABLE %I.admin_audit_log TO %I', s, worker);
  END IF;

  -- The worker's own tables.
  FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = s AND c.relkind IN ('r', 'p') AND c.relname = ANY (own) LOOP
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE %I.%I TO %I', s, t.relname, worker);
  END LOOP;

  -- Sequences behind the columns of the tables it inserts into (serial, bigserial, identity).
  FOR t IN SELECT DISTINCT seq.relname FROM pg_depend d
             JOIN pg_class seq ON seq.oid = d.objid AND seq.relkind = 'S'
             JOIN pg_class tab ON tab.oid = d.refobjid
             JOIN pg_namespace n ON n.oid = seq.relnamespace
            WHERE n.nspname = s AND d.deptype IN ('a', 'i')
              AND tab.relname = ANY (own || ARRAY['topology_review', 'admin_audit_log']) LOOP
    EXECUTE format('GRANT USAGE ON SEQUENCE %I.%I TO %I', s, t.relname, worker);
  END LOOP;
END $$;

\if :{?password}
  ALTER ROLE :"role" PASSWORD :'password';
\endif

\echo 'role' :'role' 'has the worker''s privileges on this database'
