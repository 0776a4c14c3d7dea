-- The opening every pgTAP file of this suite shares: psql settings for TAP
-- output, one transaction (each file rolls everything back at its end),
-- both extensions, UTC for the scheduler and the session, and
-- pg_temp.as_role(role, command), which runs a command as another role and
-- returns its one value as text (pgTAP's own bookkeeping stays with the
-- caller; on error the caller's subtransaction also undoes the SET ROLE).
-- Included with \ir lib/begin.sql before the file's plan().
\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pg_jobs;
SET LOCAL jobs.timezone = 'UTC';
SET LOCAL timezone = 'UTC';

CREATE FUNCTION pg_temp.as_role(role_name name, command text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    answer text;
BEGIN
    EXECUTE format('SET LOCAL ROLE %I', role_name);
    EXECUTE command INTO answer;
    RESET ROLE;
    RETURN answer;
END
$$;
