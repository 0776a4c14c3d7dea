-- pgTAP: jobs.job_last_run, each job's latest finished run that started,
-- kept by jobs_internal._finish_runs (every run's end: success, failure, timeout,
-- crash mark, cancel), by history deletes and by job removal; it agrees
-- with jobs.job_status; who sees which rows. Rows are made by hand as the
-- scheduler would leave them; everything rolls back.
-- Run from the repository root: pg_prove test/pgtap/last_run.sql
\ir lib/begin.sql

SELECT plan(24);

CREATE ROLE last_alice;
CREATE ROLE last_bob;
CREATE ROLE last_admin;
GRANT USAGE ON SCHEMA jobs TO last_alice, last_bob;
GRANT jobs_admin TO last_admin;

SELECT pg_temp.as_role('last_alice', $$SELECT jobs.schedule('last a', NULL, 'SELECT 1')$$)::bigint AS job_a \gset
SELECT pg_temp.as_role('last_bob', $$SELECT jobs.schedule('last b', NULL, 'SELECT 1')$$)::bigint AS job_b \gset

-- A run of job `job` with this status, as the scheduler would have left it
-- (a queued run has not started).
CREATE FUNCTION pg_temp.run_of(job bigint, status text) RETURNS bigint
LANGUAGE sql AS $$
    INSERT INTO jobs.job_execution (job_id, job_name, owner, database, command, triggered_by, status, started_at,
                                    worker_pid)
    SELECT j.job_id, j.job_name, j.owner, j.database, j.command, 'manual', status,
           CASE WHEN status <> 'queued' THEN clock_timestamp() END, CASE WHEN status = 'running' THEN 1 END
    FROM jobs.scheduled_job AS j WHERE j.job_id = job
    RETURNING execution_id
$$;
CREATE FUNCTION pg_temp.last_of(job bigint) RETURNS text
LANGUAGE sql AS $$
    SELECT l.execution_id || ' ' || l.status FROM jobs.job_last_run AS l WHERE l.job_id = job
$$;
-- jobs.job_status's last_status, as the dashboard derives it from
-- jobs.job_last_run (a running run with a higher execution_id wins).
CREATE FUNCTION pg_temp.derived(job bigint) RETURNS text
LANGUAGE sql AS $$
    SELECT CASE WHEN r.running_id > coalesce(l.execution_id, 0) THEN 'running' ELSE l.status END
    FROM (SELECT job) AS one
    LEFT JOIN jobs.job_last_run AS l ON l.job_id = one.job
    LEFT JOIN (SELECT max(e.execution_id) AS running_id FROM jobs.job_execution AS e
               WHERE e.job_id = job AND e.status = 'running') AS r ON true
$$;
CREATE FUNCTION pg_temp.agrees(job bigint) RETURNS boolean
LANGUAGE sql AS $$
    SELECT pg_temp.derived(job) IS NOT DISTINCT FROM (SELECT s.last_status FROM jobs.job_status AS s WHERE s.job_id = job)
$$;

SELECT is(pg_temp.last_of(:job_a), NULL, 'a job that never ran has no row');

-- A run that ends: its row.
SELECT pg_temp.run_of(:job_a, 'running') AS a1 \gset
SELECT is(pg_temp.derived(:job_a), 'running', 'a job whose first run is running: running');
SELECT ok(pg_temp.agrees(:job_a), 'as jobs.job_status says');
SELECT jobs_internal._finish_runs('running', ARRAY[:a1]::bigint[], '{failed}', errors => '{boom}') AS moved \gset
SELECT is(pg_temp.last_of(:job_a), :a1 || ' failed', 'its end is recorded: failed');
SELECT is((SELECT duration IS NOT NULL AND finished_at IS NOT NULL FROM jobs.job_last_run WHERE job_id = :job_a), true,
          'with its finish time and duration');

-- Overlapping runs ending out of order: the higher execution_id wins.
SELECT pg_temp.run_of(:job_a, 'running') AS a2 \gset
SELECT pg_temp.run_of(:job_a, 'running') AS a3 \gset
SELECT is(pg_temp.derived(:job_a), 'running', 'a newer run is running: running');
SELECT jobs_internal._finish_runs('running', ARRAY[:a3]::bigint[], '{timed_out}', errors => '{slow}') AS moved \gset
SELECT is(pg_temp.last_of(:job_a), :a3 || ' timed_out', 'the newer run times out first');
SELECT is(pg_temp.derived(:job_a), 'timed_out', 'an older run still running does not count (as in jobs.job_status)');
SELECT ok(pg_temp.agrees(:job_a), 'as jobs.job_status says');
SELECT jobs_internal._finish_runs('running', ARRAY[:a2]::bigint[], '{succeeded}') AS moved \gset
SELECT is(pg_temp.last_of(:job_a), :a3 || ' timed_out', 'the older run ending later changes nothing');

-- A crash mark, a cancel of a running run, several runs in one statement.
SELECT pg_temp.run_of(:job_a, 'running') AS a4 \gset
SELECT pg_temp.run_of(:job_b, 'running') AS b1 \gset
SELECT is(jobs_internal._finish_runs('running', ARRAY[:a4, :b1]::bigint[], '{crashed}', errors => '{the worker ended}'),
          2::bigint, 'two runs marked crashed in one call');
SELECT is(pg_temp.last_of(:job_a) || ', ' || pg_temp.last_of(:job_b), :a4 || ' crashed, ' || :b1 || ' crashed',
          'both recorded');
SELECT pg_temp.run_of(:job_b, 'running') AS b2 \gset
UPDATE jobs.job_execution SET cancel_requested_by = 'last_bob' WHERE execution_id = :b2;  -- as jobs.cancel asks
SELECT ok(true, 'a running run is asked to stop');
SELECT is(jobs_internal._finish_runs('running', ARRAY[:b2]::bigint[], '{cancelled}', sqlstates => '{57014}'), 1::bigint,
          'its worker records the cancel');
SELECT is(pg_temp.last_of(:job_b), :b2 || ' cancelled', 'recorded cancelled');

-- A run that never started does not count.
SELECT pg_temp.run_of(:job_b, 'queued') AS b3 \gset
SELECT ok(jobs.cancel(:b3), 'jobs.cancel of a queued run');
SELECT is(pg_temp.last_of(:job_b), :b2 || ' cancelled', 'a queued run cancelled before it started changes nothing');
SELECT ok(pg_temp.agrees(:job_b), 'as jobs.job_status says');

-- Who sees what.
SELECT is(pg_temp.as_role('last_alice', $$SELECT string_agg(job_id::text, ',') FROM jobs.job_last_run$$), :'job_a',
          'a plain role sees the rows of its own jobs only');
SELECT is(pg_temp.as_role('last_admin', $$SELECT count(*) FROM jobs.job_last_run WHERE job_id IN ($$ || :job_a || ',' ||
                                        :job_b || ')')::integer, 2, 'a member of jobs_admin sees every job''s');
SELECT throws_ok($$SELECT pg_temp.as_role('last_alice', 'DELETE FROM jobs.job_last_run')$$, '42501', NULL,
                 'a plain role cannot change it');

-- History deleted: the latest remaining finished run takes its place.
DELETE FROM jobs.job_execution WHERE execution_id = :a4;
SELECT is(pg_temp.last_of(:job_a), :a3 || ' timed_out', 'its latest run deleted, the job shows the one before');
SELECT ok(pg_temp.agrees(:job_a), 'as jobs.job_status says');

-- A job removed: its row goes.
SELECT pg_temp.as_role('last_bob', format('SELECT jobs.unschedule(%s)', :job_b)) AS removed \gset
SELECT is(pg_temp.last_of(:job_b), NULL, 'a removed job has no row');

SELECT * FROM finish();
ROLLBACK;
