-- pgTAP: jobs_internal._finish_runs, the one way a run reaches a final status (the
-- workers, the launcher, the HTTP worker, jobs.cancel, jobs.unschedule and
-- DROP OWNED all finish runs through it): the moves it allows, the running
-- guard (a late finish never overwrites a cancel or a crash mark), what a
-- cancelled run says, and who may call it. Rows are made by hand; everything
-- rolls back.
-- Run from the repository root: pg_prove test/pgtap/run_lifecycle.sql
\ir lib/begin.sql

SELECT plan(28);

SELECT jobs.schedule('pgtap lifecycle', NULL, 'SELECT 1') AS job \gset

-- A run of the job with this status, as the scheduler would have left it.
CREATE FUNCTION pg_temp.run_with(status text) RETURNS bigint
LANGUAGE sql AS $$
    INSERT INTO jobs.job_execution (job_id, job_name, owner, database, command, triggered_by, status, started_at,
                                    worker_pid)
    SELECT j.job_id, j.job_name, j.owner, j.database, j.command, 'manual', status,
           CASE WHEN status <> 'queued' THEN clock_timestamp() END, CASE WHEN status = 'running' THEN 1 END
    FROM jobs.scheduled_job AS j WHERE j.job_name = 'pgtap lifecycle'
    RETURNING execution_id
$$;
CREATE FUNCTION pg_temp.row_of(id bigint) RETURNS TABLE (status text, error text, sqlstate text, finished boolean)
LANGUAGE sql AS $$
    SELECT e.status, e.error, e.sqlstate, e.finished_at IS NOT NULL FROM jobs.job_execution AS e
    WHERE e.execution_id = id
$$;

-- A success.
SELECT pg_temp.run_with('running') AS ok_run \gset
SELECT is(jobs_internal._finish_runs('running', ARRAY[:ok_run]::bigint[], '{succeeded}', rows_affected => '{3}'), 1::bigint,
          'a running run finishes: one run moved');
SELECT results_eq(format('SELECT status, rows_affected, finished_at IS NOT NULL FROM jobs.job_execution WHERE execution_id = %s', :ok_run),
                  $$VALUES ('succeeded', 3::bigint, true)$$, 'succeeded, with its rows and finish time');
SELECT is(jobs_internal._finish_runs('running', ARRAY[:ok_run]::bigint[], '{failed}', errors => '{late}'), 0::bigint,
          'a second finish moves nothing');
SELECT is((SELECT status FROM pg_temp.row_of(:ok_run)), 'succeeded', 'and the success stays');

-- A late finish after a crash mark or a cancel.
SELECT pg_temp.run_with('running') AS crashed_run \gset
SELECT is(jobs_internal._finish_runs('running', ARRAY[:crashed_run]::bigint[], '{crashed}', errors => '{the worker ended}'),
          1::bigint, 'the launcher marks a run crashed');
SELECT is(jobs_internal._finish_runs('running', ARRAY[:crashed_run]::bigint[], '{succeeded}', rows_affected => '{1}'),
          0::bigint, 'its late success moves nothing');
SELECT results_eq(format('SELECT * FROM pg_temp.row_of(%s)', :crashed_run),
                  $$VALUES ('crashed', 'the worker ended', NULL::text, true)$$, 'it stays crashed, with its error');

SELECT pg_temp.run_with('queued') AS queued_run \gset
SELECT ok(jobs.cancel(:queued_run), 'jobs.cancel of a queued run');
SELECT results_eq(format('SELECT * FROM pg_temp.row_of(%s)', :queued_run),
                  format($$VALUES ('cancelled', 'cancelled by %s', '57014', true)$$, current_user),
                  'cancelled by the caller, 57014, finished now');
SELECT is((SELECT cancel_requested_by FROM jobs.job_execution WHERE execution_id = :queued_run), current_user::name,
          'cancel_requested_by says who');
SELECT is(jobs_internal._finish_runs('running', ARRAY[:queued_run]::bigint[], '{succeeded}'), 0::bigint,
          'a late finish of a cancelled run moves nothing');
SELECT is(jobs_internal._finish_runs('queued', ARRAY[:queued_run]::bigint[], '{failed}', errors => '{late}'), 0::bigint,
          'nor does a late refusal');
SELECT is((SELECT status FROM pg_temp.row_of(:queued_run)), 'cancelled', 'it stays cancelled');

-- What a cancelled running run says.
SELECT pg_temp.run_with('running') AS asked_run \gset
UPDATE jobs.job_execution SET cancel_requested_by = 'alice' WHERE execution_id = :asked_run;
SELECT is(jobs_internal._finish_runs('running', ARRAY[:asked_run]::bigint[], '{cancelled}', sqlstates => '{57014}'), 1::bigint,
          'a worker records the cancel it was asked for');
SELECT is((SELECT error FROM pg_temp.row_of(:asked_run)), 'cancelled by alice', 'by the role that asked');
SELECT pg_temp.run_with('running') AS replaced_run \gset
UPDATE jobs.job_execution SET cancel_requested_by = 'alice', error = 'replaced by run 9 (overlap replace)'
WHERE execution_id = :replaced_run;
SELECT jobs_internal._finish_runs('running', ARRAY[:replaced_run]::bigint[], '{cancelled}') AS moved \gset
SELECT is((SELECT error FROM pg_temp.row_of(:replaced_run)), 'replaced by run 9 (overlap replace)',
          'a cancel with an error of its own keeps it');
SELECT pg_temp.run_with('running') AS shutdown_run \gset
SELECT is(jobs_internal._finish_runs('running', ARRAY[:shutdown_run]::bigint[], '{cancelled}',
                            errors => '{shutdown: the worker was told to stop}', sqlstates => '{57P01}'), 1::bigint,
          'a cancel by a shutdown');
SELECT results_eq(format('SELECT * FROM pg_temp.row_of(%s)', :shutdown_run),
                  $$VALUES ('cancelled', 'shutdown: the worker was told to stop', '57P01', true)$$,
                  'its own error and 57P01');

-- Several runs at once; an array of one element applies to all.
SELECT pg_temp.run_with('running') AS a, pg_temp.run_with('running') AS b, pg_temp.run_with('queued') AS c \gset
SELECT is(jobs_internal._finish_runs('running', ARRAY[:a, :b, :c]::bigint[], '{crashed}', errors => '{lost}'), 2::bigint,
          'only the running ones of a batch move');
SELECT results_eq(format('SELECT status, error FROM jobs.job_execution WHERE execution_id IN (%s, %s, %s) ORDER BY execution_id', :a, :b, :c),
                  $$VALUES ('crashed', 'lost'), ('crashed', 'lost'), ('queued', NULL)$$,
                  'each with the one status and error');

-- Moves no run makes.
SELECT pg_temp.run_with('queued') AS q \gset
SELECT throws_ok(format($$SELECT jobs_internal._finish_runs('queued', ARRAY[%s]::bigint[], '{succeeded}')$$, :q), 'XX000',
                 NULL, 'a queued run cannot succeed');
SELECT throws_ok(format($$SELECT jobs_internal._finish_runs('queued', ARRAY[%s]::bigint[], '{crashed}')$$, :q), 'XX000',
                 NULL, 'nor crash');
SELECT pg_temp.run_with('running') AS s \gset
SELECT is(jobs_internal._finish_runs('running', ARRAY[:s]::bigint[], '{skipped}', errors => '{run_if was false}'), 1::bigint,
          'a running run can be skipped (its job''s run_if was false: issue 15)');
SELECT throws_ok(format($$SELECT jobs_internal._finish_runs('running', ARRAY[%s]::bigint[], '{running}')$$, :a), 'XX000',
                 NULL, 'running is not a final status');
SELECT throws_ok(format($$SELECT jobs_internal._finish_runs('succeeded', ARRAY[%s]::bigint[], '{failed}')$$, :ok_run),
                 'XX000', NULL, 'a final status never changes');

-- jobs.unschedule ends its queued runs the same way.
SELECT pg_temp.run_with('queued') AS left_run \gset
SELECT ok(jobs.unschedule('pgtap lifecycle'), 'unschedule the job');
SELECT results_eq(format('SELECT * FROM pg_temp.row_of(%s)', :left_run),
                  $$VALUES ('cancelled', 'the job was unscheduled before this run started', NULL::text, true)$$,
                  'its queued run is cancelled, saying why');

SELECT ok(NOT has_function_privilege('public', 'jobs_internal._finish_runs(text, bigint[], text[], text[], text[], text[], text[], bigint[], integer[], text[], text[], timestamptz[], timestamptz[], name[])', 'EXECUTE'),
          'PUBLIC may not execute jobs_internal._finish_runs');

SELECT * FROM finish();
ROLLBACK;
