-- What a new user meets first (issue 12): each mistake gets an error that
-- says what to do, as psql shows it. Nothing here commits a job.
SET timezone = 'UTC';
SET jobs.timezone = 'UTC';

CREATE ROLE regress_first_alice;
GRANT USAGE ON SCHEMA jobs TO regress_first_alice;
SELECT last_value AS job_id_last, is_called AS job_id_called FROM jobs.scheduled_job_job_id_seq \gset

BEGIN;
SET LOCAL ROLE regress_first_alice;
SAVEPOINT ok;

-- A command that does not parse is refused when the job is defined (42601),
-- with its position in the command; nothing is run or looked up.
\set VERBOSITY default
SELECT jobs.schedule('bad', '0 2 * * *', 'SELEC 1');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule('bad', NULL, E'INSERT INTO t VALUES (1);\nUPDATE t SET x = = 2');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule_in('bad', '1 hour', 'DELETE FROM');
ROLLBACK TO SAVEPOINT ok;
-- Only parsed: a table that does not exist (yet) is fine.
SELECT jobs.schedule('later', NULL, 'DELETE FROM table_created_later') > 0 AS defined;
SELECT jobs.alter('later', command => 'DELET FROM table_created_later');
ROLLBACK TO SAVEPOINT ok;
\set VERBOSITY verbose
SELECT jobs.schedule('bad', '0 2 * * *', 'SELEC 1');
ROLLBACK TO SAVEPOINT ok;
\set VERBOSITY default

-- VACUUM and its kind run as a job of their own, not with other statements.
SELECT jobs.schedule('maintenance', '0 3 * * *', 'VACUUM orders; ANALYZE orders');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule('maintenance', '0 3 * * *', 'SELECT 1; CREATE INDEX CONCURRENTLY i ON t (x)');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule('vacuum', '0 3 * * *', 'VACUUM (ANALYZE) orders') > 0 AS defined;
-- An empty command: the hint's example is one that works as a job.
SELECT jobs.schedule('empty', '0 2 * * *', '');
ROLLBACK TO SAVEPOINT ok;

-- jobs.wait needs an execution_id.
SELECT * FROM jobs.wait(NULL);
ROLLBACK TO SAVEPOINT ok;

-- A negative count.
SELECT * FROM jobs.next_runs('@every 1 second', -1);
ROLLBACK TO SAVEPOINT ok;

-- A misspelled option name: PostgreSQL's own error (see the README's table of options).
SELECT jobs.schedule('typo', NULL, 'SELECT 1', ovelrap => 'skip');
ROLLBACK TO SAVEPOINT ok;

-- Enabling a one-shot job whose time has passed is refused with what to do.
SELECT jobs.schedule('once', NULL, 'SELECT 1', run_at => '2026-01-01 00:00+00', enabled => false) > 0 AS defined;
SAVEPOINT once;
SELECT jobs.enable('once');
ROLLBACK TO SAVEPOINT once;
SELECT jobs.alter('once', enabled => true);
ROLLBACK TO SAVEPOINT once;
-- With misfire run_once a missed time still runs, late: enabling is allowed.
SELECT jobs.alter('once', misfire => 'run_once');
SELECT jobs.enable('once');
ROLLBACK TO SAVEPOINT once;
-- The fix the hint gives works.
SELECT jobs.alter('once', run_at => now() + interval '1 minute', enabled => true);
SELECT enabled, run_at > now() AS in_the_future FROM jobs.scheduled_job WHERE job_name = 'once';
ROLLBACK;

SELECT setval('jobs.scheduled_job_job_id_seq', :job_id_last, :'job_id_called') IS NOT NULL AS sequence_restored;
REVOKE USAGE ON SCHEMA jobs FROM regress_first_alice;
DROP ROLE regress_first_alice;

-- A role without USAGE on the schema reaches nothing in it, not even the two
-- functions that read nothing (the README's security section says why).
CREATE ROLE regress_first_nobody;
SET ROLE regress_first_nobody;
SELECT jobs.describe('@daily');
SELECT * FROM jobs.next_runs('@daily', 1);
RESET ROLE;
DROP ROLE regress_first_nobody;
