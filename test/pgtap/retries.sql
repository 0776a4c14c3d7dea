-- pgTAP: retries - validation of max_retries, retry_backoff and
-- retry_backoff_max; the backoff formula (jobs_internal._retry_at) and the rule of
-- what is retried (jobs_internal._is_retryable); and the trigger that queues a retry
-- when a run ends, driven here by updating execution rows by hand. Everything
-- rolls back; no run is ever committed.
-- Run from the repository root: pg_prove test/pgtap/retries.sql
\ir lib/begin.sql

SELECT plan(65);

-- Validation --------------------------------------------------------------------
SELECT throws_ok($$SELECT jobs.schedule('r', NULL, 'SELECT 1', max_retries => -1)$$, '22023',
                 'max_retries must be between 0 and 1000, not -1', 'schedule: negative max_retries');
SELECT throws_ok($$SELECT jobs.schedule('r', NULL, 'SELECT 1', max_retries => 1001)$$, '22023',
                 'max_retries must be between 0 and 1000, not 1001', 'schedule: max_retries above 1000');
SELECT throws_ok($$SELECT jobs.schedule('r', NULL, 'SELECT 1', max_retries => NULL)$$, '22023',
                 'max_retries must be between 0 and 1000, not NULL', 'schedule: NULL max_retries');
SELECT throws_ok($$SELECT jobs.schedule('r', NULL, 'SELECT 1', retry_backoff => '0 seconds')$$, '22023',
                 'retry_backoff must be positive, not 00:00:00', 'schedule: zero retry_backoff');
SELECT throws_ok($$SELECT jobs.schedule('r', NULL, 'SELECT 1', retry_backoff => '-1 second')$$, '22023',
                 'retry_backoff must be positive, not -00:00:01', 'schedule: negative retry_backoff');
SELECT throws_ok($$SELECT jobs.schedule('r', NULL, 'SELECT 1', retry_backoff => NULL)$$, '22023',
                 'retry_backoff must be positive, not NULL', 'schedule: NULL retry_backoff');
SELECT throws_ok($$SELECT jobs.schedule('r', NULL, 'SELECT 1', retry_backoff => '1 minute')$$, '22023',
                 'retry_backoff_max (00:00:30) must not be shorter than retry_backoff (00:01:00)',
                 'schedule: a backoff above the default cap');
SELECT throws_ok($$SELECT jobs.schedule('r', NULL, 'SELECT 1', retry_backoff_max => NULL)$$, '22023',
                 'retry_backoff_max (NULL) must not be shorter than retry_backoff (00:00:01)',
                 'schedule: NULL retry_backoff_max');
SELECT throws_ok($$SELECT jobs.schedule_http('r', NULL, 'http://127.0.0.1:1/', max_retries => -5)$$, '22023',
                 'max_retries must be between 0 and 1000, not -5', 'schedule_http: negative max_retries');
SELECT throws_ok($$SELECT jobs.schedule_http('r', NULL, 'http://127.0.0.1:1/', retry_backoff => '0 seconds')$$,
                 '22023', 'retry_backoff must be positive, not 00:00:00', 'schedule_http: zero retry_backoff');
SELECT throws_ok($$SELECT jobs.schedule_http('r', NULL, 'http://127.0.0.1:1/', retry_backoff => '2 seconds',
                                             retry_backoff_max => '1 second')$$,
                 '22023', 'retry_backoff_max (00:00:01) must not be shorter than retry_backoff (00:00:02)',
                 'schedule_http: cap below the backoff');

SELECT jobs.schedule('pgtap retry', NULL, 'SELECT 1', max_retries => 2, retry_backoff => '100 milliseconds',
                     retry_backoff_max => '1 minute') AS job \gset
SELECT results_eq($$SELECT max_retries, retry_backoff, retry_backoff_max FROM jobs.scheduled_job WHERE job_id = $$ || :job,
                  $$VALUES (2, interval '100 milliseconds', interval '1 minute')$$, 'schedule stores the retry options');
SELECT throws_ok($$SELECT jobs.alter('pgtap retry', max_retries => -1)$$, '22023',
                 'max_retries must be between 0 and 1000, not -1', 'alter: negative max_retries');
SELECT throws_ok($$SELECT jobs.alter('pgtap retry', retry_backoff => '2 minutes')$$, '22023',
                 'retry_backoff_max (00:01:00) must not be shorter than retry_backoff (00:02:00)',
                 'alter: a backoff above the stored cap');
SELECT throws_ok($$SELECT jobs.alter('pgtap retry', retry_backoff => '-1 second')$$, '22023',
                 'retry_backoff must be positive, not -00:00:01', 'alter: negative retry_backoff');
SELECT lives_ok($$SELECT jobs.alter('pgtap retry', max_retries => 3)$$, 'alter: max_retries');
SELECT results_eq($$SELECT max_retries, retry_backoff FROM jobs.scheduled_job WHERE job_id = $$ || :job,
                  $$VALUES (3, interval '100 milliseconds')$$, 'alter changes only what is given');
SELECT lives_ok($$SELECT jobs.alter('pgtap retry', max_retries => 2)$$, 'alter: back to 2');

-- The backoff formula -------------------------------------------------------------
-- Delay of retry n after a failure at t: jobs_internal._retry_at(t, n, ...) - t.
CREATE FUNCTION pg_temp.delay(attempt integer, backoff interval, cap interval, execution_id bigint)
RETURNS interval LANGUAGE sql AS $$
    SELECT jobs_internal._retry_at('2030-01-01 00:00+00', attempt, backoff, cap, execution_id) - '2030-01-01 00:00+00'::timestamptz
$$;
SELECT ok((SELECT bool_and(pg_temp.delay(1, '10 seconds', '1 hour', id) BETWEEN '8 seconds' AND '12 seconds')
           FROM generate_series(1, 500) AS id), 'retry 1: the backoff, +-20%');
SELECT ok((SELECT bool_and(pg_temp.delay(3, '10 seconds', '1 hour', id) BETWEEN '32 seconds' AND '48 seconds')
           FROM generate_series(1, 500) AS id), 'retry 3: backoff * 4, +-20%');
SELECT ok((SELECT bool_and(pg_temp.delay(20, '10 seconds', '1 minute', id) BETWEEN '48 seconds' AND '72 seconds')
           FROM generate_series(1, 500) AS id), 'retry 20: the cap, +-20%');
SELECT ok((SELECT min(pg_temp.delay(1, '10 seconds', '1 hour', id)) < '8.5 seconds'
              AND max(pg_temp.delay(1, '10 seconds', '1 hour', id)) > '11.5 seconds'
           FROM generate_series(1, 500) AS id), 'the jitter spreads over the whole range');
SELECT is(pg_temp.delay(2, '1 second', '1 hour', 42), pg_temp.delay(2, '1 second', '1 hour', 42),
          'the same execution always gets the same delay');
SELECT ok((SELECT count(DISTINCT pg_temp.delay(1, '1 second', '1 hour', id)) > 90 FROM generate_series(1, 100) AS id),
          'neighbouring executions get different delays');
SELECT ok(pg_temp.delay(1, '1 day', '2 months', 7) BETWEEN '0.8 days' AND '1.2 days', 'days count as 24 hours');
SELECT ok(pg_temp.delay(9, '1 day', '1 month', 7) BETWEEN '24 days' AND '36 days', 'a month counts as 30 days');
SELECT is(jobs_internal._retry_at(now(), 1, '1000000 years', '100000000 years', 1), 'infinity'::timestamptz,
          'a delay past the end of time is infinity, not an error');
SELECT is(jobs_internal._retry_at('infinity', 1, '1 second', '1 second', 1), 'infinity'::timestamptz, 'infinity stays');
SELECT is(jobs_internal._retry_at(now(), 1, NULL, '1 second', 1), NULL, 'strict');

-- What is retried ---------------------------------------------------------------------
-- Decided from the status, the SQLSTATE, the HTTP status and the stored HTTP
-- error kind (kind, status, http_status, sqlstate, error_kind), never from the message.
SELECT ok(jobs_internal._is_retryable('sql', 'failed', NULL, '22012', NULL), 'a failed SQL run');
SELECT ok(jobs_internal._is_retryable('sql', 'timed_out', NULL, '57014', NULL), 'a timed out SQL run');
SELECT ok(jobs_internal._is_retryable('sql', 'crashed', NULL, NULL, NULL), 'a crashed run');
SELECT ok(jobs_internal._is_retryable('sql', 'cancelled', NULL, '57P01', NULL), 'cancelled by a shutdown (57P01)');
SELECT ok(NOT jobs_internal._is_retryable('sql', 'cancelled', NULL, '57014', NULL), 'not: cancelled by a user (57014)');
SELECT ok(NOT jobs_internal._is_retryable('sql', 'cancelled', NULL, NULL, NULL), 'not: cancelled by jobs.unschedule');
SELECT ok(NOT jobs_internal._is_retryable('sql', 'succeeded', NULL, NULL, NULL), 'not: succeeded');
SELECT ok(NOT jobs_internal._is_retryable('sql', 'no such status', NULL, '57P01', NULL), 'not: an unknown status');
SELECT ok(jobs_internal._is_retryable('http', 'failed', 503, NULL, NULL), 'HTTP 503');
SELECT ok(jobs_internal._is_retryable('http', 'failed', 429, NULL, NULL), 'HTTP 429');
SELECT ok(jobs_internal._is_retryable('http', 'failed', 408, NULL, NULL), 'HTTP 408');
SELECT ok(NOT jobs_internal._is_retryable('http', 'failed', 404, NULL, NULL), 'not: HTTP 404');
SELECT ok(NOT jobs_internal._is_retryable('http', 'failed', 400, NULL, NULL), 'not: HTTP 400');
SELECT ok(jobs_internal._is_retryable('http', 'failed', NULL, NULL, 'connect_refused'), 'connection refused');
SELECT ok(jobs_internal._is_retryable('http', 'failed', NULL, NULL, 'dns'), 'DNS failure');
SELECT ok(NOT jobs_internal._is_retryable('http', 'failed', NULL, NULL, 'tls'), 'not: TLS failure');
SELECT ok(NOT jobs_internal._is_retryable('http', 'failed', NULL, NULL, 'refused_by_policy'), 'not: policy refusal');

-- The trigger ---------------------------------------------------------------------------
SELECT has_trigger('jobs', 'job_execution', 'queue_retry', 'job_execution has the retry trigger');
SELECT is((SELECT prosecdef FROM pg_proc WHERE oid = 'jobs_internal._queue_retry()'::regprocedure), true,
          '_queue_retry is SECURITY DEFINER');
SELECT function_privs_are('jobs_internal', '_queue_retry', ARRAY[]::text[], 'public', ARRAY[]::text[],
                          'nobody else may execute _queue_retry');
SELECT function_privs_are('jobs_internal', '_retry_at', ARRAY['timestamptz', 'integer', 'interval', 'interval', 'bigint'],
                          'public', ARRAY[]::text[], 'nobody else may execute _retry_at');

-- A run of the job, 'running' as a worker would have claimed it.
CREATE FUNCTION pg_temp.running_run(job_id bigint, kind text DEFAULT 'sql') RETURNS bigint
LANGUAGE sql AS $$
    INSERT INTO jobs.job_execution (job_id, job_name, owner, database, command, kind, triggered_by, scheduled_for,
                                    payload, status, started_at, worker_pid)
    SELECT j.job_id, j.job_name, j.owner, j.database, j.command, kind, 'manual', '2030-01-01 00:00+00',
           '{"n": 1}', 'running', clock_timestamp(), 1
    FROM jobs.scheduled_job AS j WHERE j.job_id = running_run.job_id
    RETURNING execution_id
$$;
CREATE FUNCTION pg_temp.retry_of(failed bigint) RETURNS SETOF jobs.job_execution
LANGUAGE sql AS $$ SELECT * FROM jobs.job_execution WHERE retry_of = failed $$;

SELECT pg_temp.running_run(:job) AS first \gset
UPDATE jobs.job_execution SET status = 'failed', finished_at = clock_timestamp(), error = 'boom'
WHERE execution_id = :first;
SELECT results_eq(format('SELECT status, triggered_by, attempt, scheduled_for, payload, command, job_id FROM pg_temp.retry_of(%s)', :first),
                  $$VALUES ('queued', 'retry', 2, '2030-01-01 00:00+00'::timestamptz, '{"n": 1}'::jsonb, 'SELECT 1', $$ || :job || $$::bigint)$$,
                  'a failure queues a retry: attempt 2, same scheduled_for, payload and command');
SELECT ok((SELECT r.not_before - e.finished_at BETWEEN '80 milliseconds' AND '200 milliseconds'
           FROM pg_temp.retry_of(:first) AS r, jobs.job_execution AS e WHERE e.execution_id = :first),
          'not_before: the failure + the backoff, +-20%');
SELECT (SELECT execution_id FROM pg_temp.retry_of(:first)) AS second \gset
UPDATE jobs.job_execution SET status = 'running', started_at = clock_timestamp() WHERE execution_id = :second;
UPDATE jobs.job_execution SET status = 'timed_out', finished_at = clock_timestamp() WHERE execution_id = :second;
SELECT is((SELECT attempt FROM pg_temp.retry_of(:second)), 3, 'a timeout of the retry queues attempt 3');
SELECT ok((SELECT not_before - clock_timestamp() > '100 milliseconds' FROM pg_temp.retry_of(:second)),
          'retry 2 waits about twice the backoff');
SELECT (SELECT execution_id FROM pg_temp.retry_of(:second)) AS third \gset
UPDATE jobs.job_execution SET status = 'running', started_at = clock_timestamp() WHERE execution_id = :third;
UPDATE jobs.job_execution SET status = 'crashed', finished_at = clock_timestamp() WHERE execution_id = :third;
SELECT is_empty(format('SELECT * FROM pg_temp.retry_of(%s)', :third), 'attempt 3 of max_retries 2: no more');

SELECT pg_temp.running_run(:job) AS ok_run \gset
UPDATE jobs.job_execution SET status = 'succeeded', finished_at = clock_timestamp() WHERE execution_id = :ok_run;
SELECT is_empty(format('SELECT * FROM pg_temp.retry_of(%s)', :ok_run), 'a success is not retried');

SELECT pg_temp.running_run(:job) AS crash_run \gset
UPDATE jobs.job_execution SET status = 'crashed', finished_at = clock_timestamp() WHERE execution_id = :crash_run;
SELECT isnt_empty(format('SELECT * FROM pg_temp.retry_of(%s)', :crash_run), 'a crashed run is retried');

SELECT pg_temp.running_run(:job) AS user_cancel \gset
UPDATE jobs.job_execution SET status = 'cancelled', error = 'cancelled by alice', sqlstate = '57014'
WHERE execution_id = :user_cancel;
SELECT is_empty(format('SELECT * FROM pg_temp.retry_of(%s)', :user_cancel), 'a user''s cancel is not retried');

SELECT pg_temp.running_run(:job) AS shutdown_cancel \gset
UPDATE jobs.job_execution SET status = 'cancelled', error = 'shutdown: the server stopped during the run',
    sqlstate = '57P01'
WHERE execution_id = :shutdown_cancel;
SELECT isnt_empty(format('SELECT * FROM pg_temp.retry_of(%s)', :shutdown_cancel), 'a shutdown''s cancel is retried');

-- The message is not what decides: a user's cancel whose text looks like a shutdown's.
SELECT pg_temp.running_run(:job) AS lookalike_cancel \gset
UPDATE jobs.job_execution SET status = 'cancelled', error = 'shutdown: the user wrote this', sqlstate = '57014'
WHERE execution_id = :lookalike_cancel;
SELECT is_empty(format('SELECT * FROM pg_temp.retry_of(%s)', :lookalike_cancel),
                'a cancel by a user is not retried whatever its message says');

INSERT INTO jobs.job_execution (job_id, job_name, owner, database, command, triggered_by)
SELECT job_id, job_name, owner, database, command, 'manual' FROM jobs.scheduled_job WHERE job_id = :job
RETURNING execution_id AS never_started \gset
UPDATE jobs.job_execution SET status = 'failed', error = 'database gone' WHERE execution_id = :never_started;
SELECT is_empty(format('SELECT * FROM pg_temp.retry_of(%s)', :never_started), 'a run that never started is not retried');

SELECT jobs.schedule_http('pgtap retry http', NULL, 'http://127.0.0.1:1/', max_retries => 1) AS http_job \gset
SELECT pg_temp.running_run(:http_job, 'http') AS http_404 \gset
UPDATE jobs.job_execution SET status = 'failed', http_status = 404, error = 'HTTP 404' WHERE execution_id = :http_404;
SELECT is_empty(format('SELECT * FROM pg_temp.retry_of(%s)', :http_404), 'HTTP 404 is not retried');
SELECT pg_temp.running_run(:http_job, 'http') AS http_503 \gset
UPDATE jobs.job_execution SET status = 'failed', http_status = 503, error = 'HTTP 503' WHERE execution_id = :http_503;
SELECT is((SELECT kind FROM pg_temp.retry_of(:http_503)), 'http', 'HTTP 503 is retried as an HTTP run');

SELECT jobs.schedule('pgtap no retry', NULL, 'SELECT 1') AS plain_job \gset
SELECT pg_temp.running_run(:plain_job) AS plain_run \gset
UPDATE jobs.job_execution SET status = 'failed', error = 'boom' WHERE execution_id = :plain_run;
SELECT is_empty(format('SELECT * FROM pg_temp.retry_of(%s)', :plain_run), 'max_retries 0 (the default): no retry');

SELECT pg_temp.running_run(:job) AS orphan_run \gset
SELECT jobs.unschedule('pgtap retry');
UPDATE jobs.job_execution SET status = 'failed', error = 'boom' WHERE execution_id = :orphan_run;
SELECT is_empty(format('SELECT * FROM pg_temp.retry_of(%s)', :orphan_run), 'a removed job is not retried');

SELECT * FROM finish();
ROLLBACK;
