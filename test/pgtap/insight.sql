-- pgTAP: insight (issue 13): job metadata (description, tags), jobs.job_stats,
-- jobs.health(), jobs.metrics() and jobs.explain(), with real roles: alice
-- owns jobs (LOGIN, USAGE ON SCHEMA jobs), bob is an unprivileged role
-- granted only USAGE ON SCHEMA jobs, carol is a member of jobs_admin. The
-- statistics are checked value by value against a history written here; bob
-- never sees alice's jobs, in stats, metrics or explain. Everything rolls back.
-- Run from the repository root: pg_prove test/pgtap/insight.sql
\ir lib/begin.sql

SELECT plan(98);

CREATE ROLE alice LOGIN;
CREATE ROLE bob;
CREATE ROLE carol;
GRANT USAGE ON SCHEMA jobs TO alice, bob;
GRANT jobs_admin TO carol;

-- The objects -------------------------------------------------------------------------
SELECT has_view('jobs', 'job_stats', 'jobs.job_stats exists');
SELECT columns_are('jobs', 'job_stats',
    ARRAY['job_id', 'job_name', 'owner', 'runs_24h', 'succeeded_24h', 'failed_24h', 'runs_7d', 'succeeded_7d',
          'failed_7d', 'success_rate', 'duration_p50', 'duration_p95', 'duration_p99', 'duration_max', 'lag_p50',
          'lag_p95', 'last_success_at', 'last_failure_at', 'consecutive_failures', 'items_processed'],
    'job_stats has exactly the columns of the contract');
SELECT col_type_is('jobs', 'job_stats', 'success_rate', 'double precision', 'success_rate is a fraction');
SELECT col_type_is('jobs', 'job_stats', 'duration_p95', 'interval', 'durations are intervals');
SELECT col_type_is('jobs', 'job_stats', 'lag_p50', 'interval', 'lags are intervals');
SELECT ok((SELECT 'security_invoker=true' = ANY (reloptions) FROM pg_class WHERE oid = 'jobs.job_stats'::regclass),
          'job_stats applies the reader''s row level security');
SELECT isnt(obj_description('jobs.job_stats'::regclass, 'pg_class'), NULL, 'job_stats has a comment');
SELECT table_privs_are('jobs', 'job_stats', 'public', ARRAY['SELECT'], 'PUBLIC may read job_stats');
SELECT has_function('jobs', 'health', ARRAY['interval', 'interval'], 'jobs.health(queue_wait_limit, lag_limit)');
SELECT has_function('jobs', 'metrics', '{}'::name[], 'jobs.metrics()');
SELECT function_returns('jobs', 'metrics', '{}'::name[], 'text', 'metrics returns text');
SELECT has_function('jobs', 'explain', ARRAY['bigint'], 'jobs.explain(job_id)');
SELECT has_function('jobs', 'explain', ARRAY['text'], 'jobs.explain(job_name)');
SELECT is_definer('jobs_internal', '_health', ARRAY['name', 'interval', 'interval'],
                  'health''s privileged part runs with the extension owner''s rights');
SELECT isnt_definer('jobs', 'metrics', '{}'::name[], 'metrics runs as the caller (row level security applies)');
SELECT isnt_definer('jobs', 'explain', ARRAY['bigint'], 'explain runs as the caller (row level security applies)');
SELECT ok(NOT has_function_privilege('bob', 'jobs_internal._scheduler_state()', 'EXECUTE')
          AND NOT has_function_privilege('bob', 'jobs_internal._health(name, interval, interval)', 'EXECUTE'),
          'the shared memory reader and health''s privileged part are not executable by PUBLIC');
SELECT ok(has_function_privilege('bob', 'jobs.health(interval, interval)', 'EXECUTE')
          AND has_function_privilege('bob', 'jobs.metrics()', 'EXECUTE')
          AND has_function_privilege('bob', 'jobs.explain(bigint)', 'EXECUTE')
          AND has_function_privilege('bob', 'jobs.explain(text)', 'EXECUTE'),
          'any role may call health, metrics and explain');
SELECT is((SELECT count(*)::int FROM pg_proc
           WHERE pronamespace = 'jobs'::regnamespace
             AND proname IN ('health', '_health', 'metrics', 'explain', '_scheduler_state', '_check_metadata',
                             '_prometheus_label', '_prometheus_value')
             AND obj_description(oid, 'pg_proc') IS NULL), 0, 'every new function has a comment');

-- Job metadata ---------------------------------------------------------------------------
SELECT pg_temp.as_role('alice', $$SELECT jobs.schedule('stats job', '0 3 * * *', 'SELECT 1',
                                                       description => 'Nightly billing export',
                                                       tags => ARRAY['billing', 'nightly'])$$)::bigint AS stats_job \gset
SELECT pg_temp.as_role('alice', $$SELECT jobs.schedule('plain', NULL, 'SELECT 2')$$)::bigint AS plain_job \gset
SELECT pg_temp.as_role('alice', $$SELECT jobs.schedule_http('hook', NULL, 'http://hooks.example.com/x',
                                                            tags => ARRAY['billing'], description => 'a hook')$$)::bigint
    AS hook_job \gset
SELECT results_eq(format('SELECT description, tags FROM jobs.scheduled_job WHERE job_id = %s', :stats_job),
                  $$VALUES ('Nightly billing export'::text, ARRAY['billing', 'nightly'])$$,
                  'jobs.schedule stores description and tags');
SELECT results_eq(format('SELECT description, tags FROM jobs.scheduled_job WHERE job_id = %s', :plain_job),
                  $$VALUES (NULL::text, '{}'::text[])$$, 'without them: no description, no tags (empty array)');
SELECT is(pg_temp.as_role('alice', $$SELECT string_agg(job_name, ',' ORDER BY job_id) FROM jobs.job_status
                                      WHERE 'billing' = ANY (tags)$$),
          'stats job,hook', 'job_status shows tags, filterable with = ANY (tags), of SQL and HTTP jobs');
SELECT is(pg_temp.as_role('alice', $$SELECT description FROM jobs.job_status WHERE job_name = 'hook'$$),
          'a hook', 'job_status shows the description');
SELECT lives_ok(format($$SELECT pg_temp.as_role('alice', 'SELECT jobs.alter(%s, tags => ARRAY[''ops''])')$$, :plain_job),
                'jobs.alter sets tags');
SELECT is((SELECT tags FROM jobs.scheduled_job WHERE job_id = :plain_job), ARRAY['ops'], 'to the new array');
SELECT lives_ok($$SELECT pg_temp.as_role('alice', 'SELECT jobs.alter(''plain'', description => ''ad hoc'')')$$,
                'jobs.alter by name sets the description');
SELECT results_eq(format('SELECT description, tags FROM jobs.scheduled_job WHERE job_id = %s', :plain_job),
                  $$VALUES ('ad hoc'::text, ARRAY['ops'])$$, 'tags left out are unchanged');
SELECT lives_ok($$SELECT pg_temp.as_role('alice', 'SELECT jobs.alter(''plain'', reset => ARRAY[''description'', ''tags''])')$$,
                'reset clears description and tags');
SELECT results_eq(format('SELECT description, tags FROM jobs.scheduled_job WHERE job_id = %s', :plain_job),
                  $$VALUES (NULL::text, '{}'::text[])$$, 'description NULL, tags empty');
SELECT lives_ok($$SELECT pg_temp.as_role('alice', 'SELECT jobs.alter_http(''hook'', tags => ARRAY[''web''], description => ''the hook'')')$$,
                'jobs.alter_http sets tags and description');
SELECT results_eq(format('SELECT description, tags FROM jobs.scheduled_job WHERE job_id = %s', :hook_job),
                  $$VALUES ('the hook'::text, ARRAY['web'])$$, 'of the HTTP job');
SELECT lives_ok(format('SELECT jobs.alter(%s, tags => ARRAY[''billing'', ''nightly'', ''audited''])', :stats_job),
                'a superuser changes another role''s tags');
SELECT throws_ok($$SELECT jobs.schedule('m', NULL, 'SELECT 1', tags => ARRAY['a', NULL])$$, '22004',
                 'a tag must not be NULL', 'a NULL tag is refused');
SELECT throws_ok($$SELECT jobs.schedule('m', NULL, 'SELECT 1', tags => ARRAY[''])$$, '22023',
                 'a tag must be 1 to 100 characters long', 'an empty tag is refused');
SELECT throws_ok($$SELECT jobs.schedule('m', NULL, 'SELECT 1', tags => ARRAY[['a', 'b'], ['c', 'd']])$$, '22023',
                 'tags must be a one-dimensional array', 'a two-dimensional array is refused');
SELECT throws_ok($$SELECT jobs.schedule('m', NULL, 'SELECT 1', description => repeat('x', 10001))$$, '22023',
                 NULL, 'a description over 10000 characters is refused');
SELECT throws_ok(format($$SELECT jobs.alter(%s, reset => ARRAY['tags'], tags => ARRAY['x'])$$, :plain_job), '22023',
                 NULL, 'tags cannot be both given and reset');

-- A history written by hand: exact statistics -----------------------------------------
-- (status, triggered_by, scheduled_for, started_at, duration, finished_at, result), oldest first.
INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, status, triggered_by,
                                scheduled_for, queued_at, started_at, finished_at, result)
SELECT :stats_job, 'stats job', 'alice'::regrole, 'alice', current_database(), 'SELECT 1', h.status, h.triggered_by,
       h.scheduled_for, coalesce(h.scheduled_for, h.started_at, h.finished_at, now()), h.started_at,
       coalesce(h.finished_at, h.started_at + h.duration), h.result
FROM (VALUES
    -- r1: 8 days ago (outside 7 days), lag 1 s, 1 s
    ('succeeded', 'schedule', now() - interval '8 days', now() - interval '8 days' + interval '1 s', interval '1 s', NULL::timestamptz, NULL::jsonb),
    -- r2: 3 days ago, lag 2 s, 2 s, 5 items
    ('succeeded', 'schedule', now() - interval '3 days', now() - interval '3 days' + interval '2 s', interval '2 s', NULL, '{"itemsProcessed": 5}'),
    -- r3: 2 hours ago, lag 3 s, 3 s, failed
    ('failed', 'schedule', now() - interval '2 hours', now() - interval '2 hours' + interval '3 s', interval '3 s', NULL, NULL),
    -- r4: manual, 1 hour ago, 4 s, 7 items (no lag: not scheduled); itemsProcessed not a number is ignored
    ('succeeded', 'manual', NULL, now() - interval '1 hour', interval '4 s', NULL, '{"itemsProcessed": 7}'),
    -- r5: 30 minutes ago, lag 4 s, 5 s, timed out
    ('timed_out', 'schedule', now() - interval '30 minutes', now() - interval '30 minutes' + interval '4 s', interval '5 s', NULL, '{"itemsProcessed": "many"}'),
    -- r6: 20 minutes ago, lag 5 s, 6 s, crashed
    ('crashed', 'schedule', now() - interval '20 minutes', now() - interval '20 minutes' + interval '5 s', interval '6 s', NULL, NULL),
    -- r7: skipped 10 minutes ago (never ran)
    ('skipped', 'schedule', now() - interval '10 minutes', NULL, NULL, now() - interval '10 minutes', NULL),
    -- r8: manual, cancelled after 1 s, 5 minutes ago
    ('cancelled', 'manual', NULL, now() - interval '5 minutes', interval '1 s', NULL, NULL),
    -- r9: queued
    ('queued', 'manual', NULL, NULL, NULL, NULL, NULL)
) AS h(status, triggered_by, scheduled_for, started_at, duration, finished_at, result);
UPDATE jobs.job_execution SET queued_at = now() WHERE job_id = :stats_job AND status = 'queued';

SELECT results_eq(format('SELECT runs_24h, succeeded_24h, failed_24h, runs_7d, succeeded_7d, failed_7d
                          FROM jobs.job_stats WHERE job_id = %s', :stats_job),
                  $$VALUES (5::bigint, 1::bigint, 3::bigint, 6::bigint, 2::bigint, 3::bigint)$$,
                  'counts: finished runs but skipped ones; failed = failed, timed_out, crashed; by finished_at');
SELECT is((SELECT success_rate FROM jobs.job_stats WHERE job_id = :stats_job), 0.5::double precision,
          'success_rate: 3 succeeded of 6 succeeded or failed (cancelled counts neither way)');
SELECT results_eq(format('SELECT duration_p50, duration_p95, duration_p99, duration_max
                          FROM jobs.job_stats WHERE job_id = %s', :stats_job),
                  $$VALUES (interval '3 s', interval '5.7 s', interval '5.94 s', interval '6 s')$$,
                  'duration percentiles (interpolated) and maximum over the runs that ran: 1,1,2,3,4,5,6 s');
SELECT results_eq(format('SELECT lag_p50, lag_p95 FROM jobs.job_stats WHERE job_id = %s', :stats_job),
                  $$VALUES (interval '3 s', interval '4.8 s')$$,
                  'start lag of scheduled runs: 1,2,3,4,5 s (manual runs have none)');
SELECT results_eq(format('SELECT last_success_at, last_failure_at FROM jobs.job_stats WHERE job_id = %s', :stats_job),
                  $$VALUES (now() - interval '1 hour' + interval '4 s', now() - interval '20 minutes' + interval '11 s')$$,
                  'last success (r4) and last failure (r6, crashed)');
SELECT is((SELECT consecutive_failures FROM jobs.job_stats WHERE job_id = :stats_job), 2::bigint,
          'consecutive failures since the last success: timed_out and crashed (cancelled and skipped do not count)');
SELECT is((SELECT items_processed FROM jobs.job_stats WHERE job_id = :stats_job), 12::numeric,
          'items_processed sums the numeric itemsProcessed of results');
SELECT results_eq(format('SELECT runs_24h, runs_7d, success_rate, duration_p50, lag_p50, consecutive_failures, items_processed
                          FROM jobs.job_stats WHERE job_id = %s', :plain_job),
                  $$VALUES (0::bigint, 0::bigint, NULL::double precision, NULL::interval, NULL::interval, 0::bigint, NULL::numeric)$$,
                  'a job without runs: zero counts and NULL figures');

-- Row level security -----------------------------------------------------------------------
SELECT jobs.schedule('su job', NULL, 'SELECT 3') AS su_job \gset
INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, status, triggered_by,
                                started_at, finished_at)
VALUES (:su_job, 'su job', current_user::regrole, current_user, current_database(), 'SELECT 3', 'failed', 'manual',
        now() - interval '1 minute', now());
SELECT pg_temp.as_role('bob', $$SELECT jobs.schedule('bob job', NULL, 'SELECT 4')$$)::bigint AS bob_job \gset
SELECT is(pg_temp.as_role('alice', 'SELECT string_agg(job_name, '','' ORDER BY job_id) FROM jobs.job_stats'),
          'stats job,plain,hook', 'alice sees her own jobs in job_stats');
SELECT is(pg_temp.as_role('bob', 'SELECT string_agg(job_name, '','' ORDER BY job_id) FROM jobs.job_stats'),
          'bob job', 'bob sees only his job: never alice''s nor the superuser''s');
SELECT is(pg_temp.as_role('bob', format('SELECT count(*) FROM jobs.job_stats WHERE job_id IN (%s, %s)', :stats_job, :su_job)),
          '0', 'not even by job_id');
SELECT is(pg_temp.as_role('carol', 'SELECT count(*) FROM jobs.job_stats'), '5', 'carol (jobs_admin) sees every job');
SELECT is(pg_temp.as_role('carol', format('SELECT runs_24h || ''/'' || failed_24h FROM jobs.job_stats WHERE job_id = %s', :stats_job)),
          '5/3', 'with the same figures as the owner');
SELECT is((SELECT count(*) FROM jobs.job_stats), 5::bigint, 'a superuser sees every job');

-- jobs.metrics() ---------------------------------------------------------------------------
SELECT jobs.metrics() AS su_metrics \gset
SELECT pg_temp.as_role('alice', 'SELECT jobs.metrics()') AS alice_metrics \gset
SELECT pg_temp.as_role('bob', 'SELECT jobs.metrics()') AS bob_metrics \gset
SELECT ok(:'su_metrics' LIKE E'%# TYPE pg_jobs_scheduler_up gauge\npg_jobs_scheduler_up %', 'pg_jobs_scheduler_up');
SELECT ok(:'su_metrics' ~ E'\npg_jobs_workers\\{state="busy"\\} \\d+\n' AND :'su_metrics' ~ E'\npg_jobs_workers\\{state="idle"\\} \\d+\n',
          'pg_jobs_workers{state}');
SELECT ok(:'su_metrics' ~ E'\npg_jobs_queue_depth \\d+\n', 'pg_jobs_queue_depth');
SELECT ok(:'su_metrics' LIKE E'%# TYPE pg_jobs_run_duration_seconds histogram\n%', 'pg_jobs_run_duration_seconds is a histogram');
SELECT ok(:'su_metrics' LIKE E'%# TYPE pg_jobs_start_lag_seconds summary\n%', 'pg_jobs_start_lag_seconds is a summary');
SELECT ok(:'alice_metrics' LIKE E'%\npg_jobs_runs_total{job="stats job",owner="alice",status="succeeded"} 3\n%'
          AND :'alice_metrics' LIKE E'%\npg_jobs_runs_total{job="stats job",owner="alice",status="timed_out"} 1\n%'
          AND :'alice_metrics' LIKE E'%\npg_jobs_runs_total{job="stats job",owner="alice",status="skipped"} 1\n%',
          'pg_jobs_runs_total counts the job''s runs by status');
SELECT ok(:'alice_metrics' LIKE E'%\npg_jobs_run_duration_seconds_bucket{job="stats job",owner="alice",le="1"} 2\n%'
          AND :'alice_metrics' LIKE E'%\npg_jobs_run_duration_seconds_bucket{job="stats job",owner="alice",le="5"} 6\n%'
          AND :'alice_metrics' LIKE E'%\npg_jobs_run_duration_seconds_bucket{job="stats job",owner="alice",le="+Inf"} 7\n%'
          AND :'alice_metrics' LIKE E'%\npg_jobs_run_duration_seconds_sum{job="stats job",owner="alice"} 22\n%'
          AND :'alice_metrics' LIKE E'%\npg_jobs_run_duration_seconds_count{job="stats job",owner="alice"} 7\n%',
          'the duration histogram: cumulative buckets, sum and count');
SELECT ok(:'alice_metrics' LIKE E'%\npg_jobs_start_lag_seconds{job="stats job",owner="alice",quantile="0.5"} 3\n%'
          AND :'alice_metrics' LIKE E'%\npg_jobs_start_lag_seconds_count{job="stats job",owner="alice"} 5\n%',
          'the start lag summary');
SELECT ok(:'alice_metrics' LIKE E'%\npg_jobs_consecutive_failures{job="stats job",owner="alice"} 2\n%',
          'pg_jobs_consecutive_failures');
SELECT ok(:'alice_metrics' NOT LIKE '%su job%' AND :'alice_metrics' NOT LIKE '%bob job%',
          'alice''s metrics name none of the others'' jobs');
SELECT ok(:'bob_metrics' NOT LIKE '%stats job%' AND :'bob_metrics' NOT LIKE '%alice%'
          AND :'bob_metrics' NOT LIKE '%su job%' AND :'bob_metrics' LIKE '%job="bob job"%',
          'bob''s metrics show his job and never alice''s or the superuser''s');
SELECT ok(:'bob_metrics' LIKE E'%\npg_jobs_jobs{state="enabled"} 1\n%', 'pg_jobs_jobs counts the jobs the reader sees');
SELECT ok(:'su_metrics' LIKE '%job="stats job"%' AND :'su_metrics' LIKE '%job="bob job"%', 'a superuser''s name every job');
SELECT jobs.schedule(E'we"ird\\na\nme', NULL, 'SELECT 5') AS weird_job \gset
SELECT ok(strpos(jobs.metrics(), E'pg_jobs_runs_total{job="we\\"ird\\\\na\\nme",owner=') > 0,
          'label values escape double quote, backslash and line feed');
SET LOCAL jobs.metrics_max_jobs = 2;
SELECT ok(jobs.metrics() LIKE E'%\npg_jobs_metrics_jobs_omitted 4\n%'
          AND jobs.metrics() NOT LIKE '%job="hook"%' AND jobs.metrics() LIKE '%job="plain"%',
          'jobs.metrics_max_jobs caps the jobs with series, lowest job_id first, and counts the others');
RESET jobs.metrics_max_jobs;

-- jobs.health() ---------------------------------------------------------------------------
SELECT is((SELECT count(*) FROM jobs.health()), 1::bigint, 'health() is one row');
SELECT results_eq($$SELECT scheduler_running, launcher_pid, server_role, workers_max FROM jobs.health()$$,
                  $$SELECT true, (SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_jobs launcher'), 'primary',
                           current_setting('jobs.max_workers')::integer$$,
                  'the launcher''s pid (as pg_stat_activity shows it), primary, SQL workers at most jobs.max_workers');
SELECT ok((SELECT launcher_since <= clock_timestamp() AND launcher_since >= pg_postmaster_start_time() FROM jobs.health()),
          'the launcher runs since a time after the server started');
-- The worker headroom note depends on the server's settings (first_contact.sh tests it).
SELECT results_eq($$SELECT status, array(SELECT r FROM unnest(reasons) AS r WHERE r NOT LIKE 'jobs.max_workers (%')
                    FROM jobs.health(queue_wait_limit => interval '1 hour')$$,
                  $$VALUES ('ok'::text, '{}'::text[])$$, 'status ok, no reasons');
SELECT is((SELECT EXISTS (SELECT FROM unnest(reasons) AS r WHERE r LIKE 'jobs.max_workers (% needs more background workers%')
           FROM jobs.health()),
          current_setting('jobs.max_workers')::integer + 2 > current_setting('max_worker_processes')::integer,
          'a note on the worker headroom exactly when jobs.max_workers + 2 exceeds max_worker_processes');
SELECT ok((SELECT failures_last_hour >= 3 AND runs_last_hour >= 5 AND failures_last_minute >= 1 FROM jobs.health()),
          'runs and failures of every role in the last hour and minute (as the extension owner sees them)');
SELECT is(pg_temp.as_role('bob', 'SELECT failures_last_hour >= 3 FROM jobs.health()'), 'true',
          'bob gets the same counts: health shows counts, never a job');
UPDATE jobs.job_execution SET queued_at = now() - interval '10 minutes' WHERE job_id = :stats_job AND status = 'queued';
SELECT results_eq($$SELECT status, oldest_queued_age >= interval '10 minutes' FROM jobs.health(queue_wait_limit => interval '1 minute')$$,
                  $$VALUES ('degraded'::text, true)$$, 'a queued run waiting longer than queue_wait_limit: degraded');
SELECT ok((SELECT reasons[1] LIKE '%queued; the oldest free to start has waited%' FROM jobs.health(queue_wait_limit => interval '1 minute')),
          'with the reason');
SELECT is((SELECT status FROM jobs.health(queue_wait_limit => interval '1 hour')), 'ok', 'within the limit: ok');
SELECT ok((SELECT queued_runs >= 1 FROM jobs.health()), 'queued runs are counted');

-- jobs.explain() ---------------------------------------------------------------------------
SELECT ok((SELECT count(*) >= 6 FROM jobs.explain(:stats_job)), 'explain gives one reason per row');
SELECT ok(EXISTS (SELECT FROM jobs.explain(:stats_job) WHERE reason = 'schedule: ' || jobs.describe('0 3 * * *', 'UTC')
                                                                     || ' (0 3 * * *, time zone UTC)'),
          'the schedule in words');
SELECT ok(EXISTS (SELECT FROM jobs.explain(:stats_job)
                  WHERE reason = 'next fire times: ' || (SELECT string_agg(r::text, ', ' ORDER BY r)
                                                         FROM jobs.next_runs('0 3 * * *', 3, clock_timestamp(), 'UTC') AS r)),
          'the next three fire times');
SELECT ok(EXISTS (SELECT FROM jobs.explain(:stats_job) WHERE reason LIKE 'last run: % cancelled at %'),
          'the last run''s outcome');
SELECT ok(EXISTS (SELECT FROM jobs.explain(:stats_job) WHERE reason LIKE 'queued: run % (manual)%'),
          'a queued run');
SELECT ok(EXISTS (SELECT FROM jobs.explain(:stats_job) WHERE reason LIKE 'owner alice may run it: LOGIN and CONNECT%'),
          'the owner''s right to run it');
SELECT lives_ok(format('SELECT jobs.alter(%s, max_runs => 5, enabled => false)', :stats_job), 'max_runs, disabled');
SELECT ok(EXISTS (SELECT FROM jobs.explain(:stats_job) WHERE reason LIKE 'disabled by hand: jobs.enable(%'),
          'disabled by hand');
SELECT ok(EXISTS (SELECT FROM jobs.explain(:stats_job) WHERE reason = 'max_runs 5: 0 scheduled run(s) since it was last changed, 5 left'),
          'max_runs left, counted since the job was last changed');
SELECT ok(EXISTS (SELECT FROM jobs.explain(:stats_job) WHERE reason LIKE 'next fire times if enabled: %'),
          'the fire times it would have');
UPDATE jobs.scheduled_job SET disabled_reason = 'max_runs (5) reached' WHERE job_id = :stats_job;
SELECT ok(EXISTS (SELECT FROM jobs.explain(:stats_job) WHERE reason LIKE 'disabled: max_runs (5) reached; %'),
          'why it disabled itself');
ALTER ROLE alice NOLOGIN;
SELECT ok(EXISTS (SELECT FROM jobs.explain(:stats_job) WHERE reason LIKE 'owner alice cannot run it: the role has no LOGIN%'),
          'an owner without LOGIN cannot run it');
INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, status, triggered_by,
                                started_at, finished_at, error, sqlstate)
VALUES (:su_job, 'su job', current_user::regrole, current_user, current_database(), 'SELECT 3', 'failed', 'schedule',
        now(), now(), 'division by zero', '22012');
INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, status, triggered_by, attempt,
                                retry_of, not_before)
VALUES (:su_job, 'su job', current_user::regrole, current_user, current_database(), 'SELECT 3', 'queued', 'retry', 2,
        currval(pg_get_serial_sequence('jobs.job_execution', 'execution_id')), now() + interval '1 hour');
SELECT ok(EXISTS (SELECT FROM jobs.explain('su job') WHERE reason LIKE 'retry pending: run % (attempt 2, retrying run %) waits until %'),
          'a retry pending, by name');
SELECT ok(EXISTS (SELECT FROM jobs.explain('su job') WHERE reason LIKE 'last run: % failed at %: division by zero (SQLSTATE 22012)'),
          'the last run''s error and SQLSTATE');
SELECT ok(EXISTS (SELECT FROM jobs.explain('su job') WHERE reason = 'schedule: none; it runs only when triggered (jobs.trigger)'),
          'an on-demand job');
SELECT ok(EXISTS (SELECT FROM jobs.explain('su job') WHERE reason LIKE 'scheduler: %'), 'the scheduler''s status');
SELECT is(pg_temp.as_role('alice', $$SELECT count(*) FROM jobs.explain('plain')$$)::int > 3, true,
          'alice explains her job by name');
SELECT throws_ok(format($$SELECT pg_temp.as_role('bob', 'SELECT count(*) FROM jobs.explain(%s)')$$, :stats_job),
                 '42704', format('job with ID %s does not exist', :stats_job),
                 'bob cannot explain alice''s job: it is reported as missing');
SELECT throws_ok($$SELECT pg_temp.as_role('bob', 'SELECT count(*) FROM jobs.explain(''stats job'')')$$,
                 '42704', NULL, 'nor by its name');
SELECT is(pg_temp.as_role('carol', format('SELECT count(*) > 3 FROM jobs.explain(%s)', :stats_job)), 'true',
          'carol (jobs_admin) explains any job');
SELECT throws_ok('SELECT count(*) FROM jobs.explain(999999999)', '42704', NULL, 'a missing job_id');

SELECT * FROM finish();
ROLLBACK;
