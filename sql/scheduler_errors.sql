-- Every error the scheduler's SQL API raises: message, DETAIL, HINT, and the
-- SQLSTATE. Nothing here commits a job or a run.
SET timezone = 'UTC';
SET jobs.timezone = 'UTC';

CREATE ROLE regress_jobs_alice;
CREATE ROLE regress_jobs_mallory;
CREATE ROLE regress_jobs_outsider;
GRANT USAGE ON SCHEMA jobs TO regress_jobs_alice, regress_jobs_mallory;
CREATE DATABASE regress_jobs_closed;
REVOKE CONNECT ON DATABASE regress_jobs_closed FROM PUBLIC;

BEGIN;
SET LOCAL ROLE regress_jobs_alice;
SELECT jobs.schedule('alice job', '@daily', 'SELECT 1') AS alice_id \gset
RESET ROLE;
SAVEPOINT ok;

-- The SQLSTATE of each kind of error.
\set VERBOSITY sqlstate
SELECT jobs.schedule('', '@daily', 'SELECT 1');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule('x', '61 * * * *', 'SELECT 1');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule('x', '@daily', 'SELECT 1', database => 'no_such_database');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.enable('no such job');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.enable(-1);
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_jobs_mallory;
SELECT jobs.disable(:alice_id);
ROLLBACK TO SAVEPOINT ok;
\set VERBOSITY default

-- Definitions that cannot run.
SELECT jobs.schedule('', '@daily', 'SELECT 1');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule('   ', '@daily', 'SELECT 1');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule(NULL, '@daily', 'SELECT 1');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule('x', '@daily', '');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule('x', '@daily', E' \n\t');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule('x', '@daily', NULL);
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule('x', '@daily', 'SELECT 1', enabled => NULL);
ROLLBACK TO SAVEPOINT ok;

-- The cron engine's own errors, with position and hint.
SELECT jobs.schedule('x', '* * * *', 'SELECT 1');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule('x', '0 25 * * *', 'SELECT 1');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule('x', '0 0 30 2 *', 'SELECT 1');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule('x', '@every 1 month', 'SELECT 1');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule('x', '', 'SELECT 1');
ROLLBACK TO SAVEPOINT ok;

-- Time zones: given, from jobs.timezone, and for an on-demand job too.
SELECT jobs.schedule('x', '@daily', 'SELECT 1', timezone => 'Mars/Olympus_Mons');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule('x', NULL, 'SELECT 1', timezone => 'Mars/Olympus_Mons');
ROLLBACK TO SAVEPOINT ok;

-- Databases: missing, not accepting connections, a template, not open to the owner.
SELECT jobs.schedule('x', '@daily', 'SELECT 1', database => 'no_such_database');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule('x', '@daily', 'SELECT 1', database => 'template0');
ROLLBACK TO SAVEPOINT ok;
-- A template database (Security 8), also by jobs.alter.
SELECT jobs.schedule('x', '@daily', 'SELECT 1', database => 'template1');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule('x', '@daily', 'SELECT 1') > 0 AS accepted;
SELECT jobs.alter('x', database => 'template1');
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_jobs_alice;
SELECT jobs.schedule('x', '@daily', 'SELECT 1', database => 'regress_jobs_closed');
ROLLBACK TO SAVEPOINT ok;
-- A superuser may connect anywhere.
SELECT jobs.schedule('superuser job', '@daily', 'SELECT 1', database => 'regress_jobs_closed') > 0 AS accepted;
ROLLBACK TO SAVEPOINT ok;

-- jobs.alter validates the resulting definition the same way.
SET LOCAL ROLE regress_jobs_alice;
SELECT jobs.alter('alice job', schedule => '0 0 31 4 *');
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_jobs_alice;
SELECT jobs.alter('alice job', timezone => 'Nowhere');
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_jobs_alice;
SELECT jobs.alter('alice job', command => ' ');
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_jobs_alice;
SELECT jobs.alter('alice job', database => 'no_such_database');
ROLLBACK TO SAVEPOINT ok;

-- Unknown names: each function, looked up among the caller's own jobs (the
-- superuser has no job called "alice job").
SELECT jobs.alter('alice job', enabled => false);
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.enable('alice job');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.disable('no such job');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.unschedule('no such job');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.trigger('no such job');
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_jobs_mallory;
SELECT jobs.trigger('alice job');
ROLLBACK TO SAVEPOINT ok;

-- Unknown job_ids.
SELECT jobs.alter(-1, enabled => false);
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.enable(-1);
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.disable(-1);
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.unschedule(-1);
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.trigger(-1);
ROLLBACK TO SAVEPOINT ok;

-- Another role's job by job_id: to every role but a superuser it does not exist
-- (42704, the same answer as a missing id, naming nobody).
SET LOCAL ROLE regress_jobs_mallory;
SELECT jobs.alter(:alice_id, command => 'SELECT 666');
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_jobs_mallory;
SELECT jobs.enable(:alice_id);
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_jobs_mallory;
SELECT jobs.disable(:alice_id);
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_jobs_mallory;
SELECT jobs.unschedule(:alice_id);
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_jobs_mallory;
SELECT jobs.trigger(:alice_id);
ROLLBACK TO SAVEPOINT ok;

-- No way around the functions for a role that is not a superuser: the
-- tables are read-only, and the privileged parts (which take the caller's
-- name as an argument) may be called by nobody but the public functions.
SET LOCAL ROLE regress_jobs_mallory;
INSERT INTO jobs.scheduled_job (job_name, owner, schedule, timezone, command, database)
VALUES ('sneaky', 'postgres', '@daily', 'UTC', 'SELECT 1', current_database());
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_jobs_mallory;
UPDATE jobs.scheduled_job SET command = 'SELECT 666';
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_jobs_mallory;
INSERT INTO jobs.job_execution (job_id, job_name, owner, database, command, triggered_by)
VALUES (:alice_id, 'alice job', 'regress_jobs_alice', current_database(), 'SELECT 666', 'manual');
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_jobs_mallory;
DELETE FROM jobs.job_execution;
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_jobs_mallory;
SELECT jobs_internal._schedule('regress_jobs_alice', 'sneaky', '@daily', 'SELECT 1', NULL, NULL, true, NULL, NULL, NULL, NULL,
                      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_jobs_mallory;
SELECT jobs_internal._trigger('regress_jobs_alice', :alice_id, NULL);
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_jobs_mallory;
SELECT jobs_internal._enable('regress_jobs_alice', :alice_id);
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_jobs_mallory;
SELECT jobs_internal._set_enabled('regress_jobs_alice', :alice_id, false);
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_jobs_mallory;
SELECT jobs_internal._wake_scheduler();
ROLLBACK TO SAVEPOINT ok;

-- A role without USAGE on the schema cannot use pg_jobs at all.
SET LOCAL ROLE regress_jobs_outsider;
SELECT jobs.schedule('x', '@daily', 'SELECT 1');
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_jobs_outsider;
SELECT * FROM jobs.job_status;
ROLLBACK;

-- Elsewhere than jobs.database the extension offers next_runs and describe,
-- but refuses to define jobs, which nobody would run.
\set test_database :DBNAME
\c regress_jobs_closed
CREATE EXTENSION pg_jobs;
SELECT count(*) FROM jobs.next_runs('@daily', 3);
SELECT jobs.schedule('elsewhere', '@daily', 'SELECT 1');
SELECT jobs.trigger('elsewhere');
\c :test_database

DROP DATABASE regress_jobs_closed;
DROP OWNED BY regress_jobs_alice, regress_jobs_mallory;
DROP ROLE regress_jobs_alice, regress_jobs_mallory, regress_jobs_outsider;
