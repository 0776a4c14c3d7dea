-- jobs.job_status and jobs.job_history: their columns, what they compute, who
-- sees which rows, and a COMMENT on every object of the extension.
-- Everything happens in one transaction that rolls back, so the launcher
-- never sees these jobs; finished runs are made up with fixed times.
SET timezone = 'UTC';
SET jobs.timezone = 'UTC';
BEGIN;

-- Columns, in the order psql shows them.
\d jobs.job_status
\d jobs.job_history

CREATE ROLE regress_jobs_viewer;
GRANT USAGE ON SCHEMA jobs TO regress_jobs_viewer;

SELECT jobs.schedule('yearly report', '0 6 1 1 *', 'SELECT 1') AS report_id \gset
SELECT jobs.schedule('paused', '*/5 * * * *', 'SELECT 1', enabled => false) AS paused_id \gset
SELECT jobs.schedule('at start', '@reboot', 'SELECT 1') AS reboot_id \gset
SELECT jobs.schedule('by hand', NULL, 'SELECT 1') AS by_hand_id \gset
SET LOCAL ROLE regress_jobs_viewer;
SELECT jobs.schedule('viewer job', '0 0 1 1 *', 'SELECT 1') AS viewer_id \gset
RESET ROLE;

-- A job without runs: no last run, zero counts; next_run_at is the schedule's
-- next fire time, NULL when disabled, on demand or @reboot.
SELECT job_name, owner, schedule, timezone, enabled, last_started_at, last_status, last_duration,
       next_run_at = (SELECT jobs.next_runs(schedule, 1, now(), timezone) LIMIT 1) AS next_run_matches,
       next_run_at IS NULL AS no_next_run, running, total_runs, succeeded_runs, failed_runs
FROM jobs.job_status WHERE job_id IN (:report_id, :paused_id, :reboot_id, :by_hand_id) ORDER BY job_id;

-- Finished runs (written directly, as the workers would): the latest started
-- run is "last", queued runs are not counted, and failed_runs counts failed,
-- timed_out and crashed.
INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, status, triggered_by,
                                scheduled_for, queued_at, started_at, finished_at, attempt, rows_affected, error,
                                sqlstate)
SELECT :report_id, 'yearly report', (SELECT oid FROM pg_roles WHERE rolname = current_user), current_user,
       current_database(), 'SELECT 1', status, 'schedule', t, t, t, t + d, attempt, rows_affected, error, sqlstate
FROM (VALUES
    ('succeeded', timestamptz '2024-01-01 06:00', interval '2 seconds', 1, 1, NULL, NULL),
    ('failed', '2025-01-01 06:00', '1.5 seconds', 1, NULL, 'division by zero', '22012'),
    ('timed_out', '2025-01-01 06:01', '30 seconds', 2, NULL, 'canceling statement due to statement timeout',
     '57014'),
    ('crashed', '2025-01-01 06:02', NULL, 3, NULL, 'the process running this job ended', NULL),
    ('succeeded', '2026-01-01 06:00', '250 milliseconds', 1, 1, NULL, NULL)
) AS r(status, t, d, attempt, rows_affected, error, sqlstate);

SELECT job_name, last_started_at, last_status, last_duration, running, total_runs, succeeded_runs, failed_runs
FROM jobs.job_status WHERE job_id = :report_id;

-- jobs.job_history: newest first.
SELECT job_name, owner, status, triggered_by, scheduled_for, started_at, duration, attempt, rows_affected,
       sqlstate, error
FROM jobs.job_history WHERE job_id = :report_id;

-- A queued run shows in the history, and as running once a worker has it.
SAVEPOINT queued;
SELECT jobs.trigger(:report_id) AS queued_id \gset
SELECT status, triggered_by, scheduled_for, started_at, duration
FROM jobs.job_history WHERE job_id = :report_id LIMIT 1;
SELECT last_status, total_runs, running FROM jobs.job_status WHERE job_id = :report_id;
UPDATE jobs.job_execution SET status = 'running', started_at = '2026-06-01 00:00' WHERE execution_id = :queued_id;
SELECT last_started_at, last_status, last_duration, total_runs, running
FROM jobs.job_status WHERE job_id = :report_id;
ROLLBACK TO SAVEPOINT queued;

-- A role other than a superuser sees its own jobs and runs only, in the
-- views and in the tables.
SELECT jobs.trigger(:viewer_id) AS viewer_run_id \gset
SET LOCAL ROLE regress_jobs_viewer;
SELECT job_name, owner FROM jobs.job_status;
SELECT job_name, owner, status FROM jobs.job_history;
SELECT job_name FROM jobs.scheduled_job;
SELECT job_name FROM jobs.job_execution;
RESET ROLE;
-- A superuser sees everything.
SELECT count(*) > 1 AS sees_other_owners FROM (SELECT DISTINCT owner FROM jobs.job_status) AS o;

-- Every object of the extension has a comment.
SELECT d.classid::regclass AS catalog, pg_describe_object(d.classid, d.objid, d.objsubid) AS without_comment
FROM pg_depend AS d
WHERE d.refclassid = 'pg_extension'::regclass
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_jobs')
  AND d.deptype = 'e'
  AND d.classid <> 'pg_type'::regclass  -- row types of tables and views
  AND obj_description(d.objid, d.classid::regclass::name) IS NULL
ORDER BY 1, 2;
SELECT c.relname, a.attname AS column_without_comment
FROM pg_class AS c JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = 'jobs'::regnamespace AND c.relname IN ('scheduled_job', 'job_execution')
  AND col_description(c.oid, a.attnum) IS NULL
ORDER BY 1, 2;
SELECT 'jobs'::regnamespace AS schema, obj_description('jobs'::regnamespace, 'pg_namespace') IS NOT NULL AS commented;

ROLLBACK;
