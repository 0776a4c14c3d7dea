-- pgTAP: the scheduler's SQL surface - signatures, security settings, tables,
-- views, privileges - and the behaviour of each function for owners, other
-- roles and superusers. Everything rolls back; no run is ever committed.
-- Run from the repository root: pg_prove test/pgtap/scheduler_api.sql
\ir lib/begin.sql

SELECT plan(104);

CREATE ROLE pgtap_jobs_owner;
CREATE ROLE pgtap_jobs_other;
GRANT USAGE ON SCHEMA jobs TO pgtap_jobs_owner, pgtap_jobs_other;

-- Signatures -----------------------------------------------------------------
SELECT is(pg_get_function_arguments('jobs.schedule(text, text, text, text, text, boolean, interval, integer, interval, interval, '
                                    'text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval, '
                                    'text, text[], text, integer, text, text)'::regprocedure),
          'job_name text, schedule text, command text, database text DEFAULT NULL::text, '
          'timezone text DEFAULT NULL::text, enabled boolean DEFAULT true, timeout interval DEFAULT NULL::interval, '
          'max_retries integer DEFAULT 0, retry_backoff interval DEFAULT ''00:00:01''::interval, '
          'retry_backoff_max interval DEFAULT ''00:00:30''::interval, overlap text DEFAULT ''skip''::text, '
          'max_concurrent integer DEFAULT 1, misfire text DEFAULT ''skip''::text, '
          'starting_deadline interval DEFAULT NULL::interval, start_at timestamp with time zone DEFAULT NULL::timestamp with time zone, '
          'end_at timestamp with time zone DEFAULT NULL::timestamp with time zone, max_runs integer DEFAULT NULL::integer, '
          'run_at timestamp with time zone DEFAULT NULL::timestamp with time zone, '
          'min_trigger_interval interval DEFAULT NULL::interval, description text DEFAULT NULL::text, '
          'tags text[] DEFAULT NULL::text[], run_if text DEFAULT NULL::text, priority integer DEFAULT 0, '
          'blackout text DEFAULT NULL::text, blackout_policy text DEFAULT ''skip''::text', 'schedule arguments');
SELECT function_returns('jobs', 'schedule', ARRAY['text', 'text', 'text', 'text', 'text', 'boolean', 'interval',
                                                  'integer', 'interval', 'interval', 'text', 'integer', 'text',
                                                  'interval', 'timestamp with time zone', 'timestamp with time zone',
                                                  'integer', 'timestamp with time zone', 'interval', 'text', 'text[]',
                                                  'text', 'integer', 'text', 'text'],
                        'bigint');
SELECT is(pg_get_function_arguments('jobs.schedule_in(text, interval, text)'::regprocedure),
          'job_name text, delay interval, command text', 'schedule_in arguments');
SELECT has_function('jobs', 'schedule_in', ARRAY['text', 'interval', 'text']);
SELECT function_returns('jobs', 'schedule_in', ARRAY['text', 'interval', 'text'], 'bigint');
SELECT is(pg_get_function_arguments('jobs.alter(text, text, text, text, text, boolean, interval, integer, interval, interval, '
                                    'text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text[], '
                                    'text, text[], text, integer, text, text)'::regprocedure),
          'job_name text, schedule text DEFAULT NULL::text, command text DEFAULT NULL::text, '
          'database text DEFAULT NULL::text, timezone text DEFAULT NULL::text, enabled boolean DEFAULT NULL::boolean, '
          'timeout interval DEFAULT NULL::interval, max_retries integer DEFAULT NULL::integer, '
          'retry_backoff interval DEFAULT NULL::interval, retry_backoff_max interval DEFAULT NULL::interval, '
          'overlap text DEFAULT NULL::text, max_concurrent integer DEFAULT NULL::integer, misfire text DEFAULT NULL::text, '
          'starting_deadline interval DEFAULT NULL::interval, start_at timestamp with time zone DEFAULT NULL::timestamp with time zone, '
          'end_at timestamp with time zone DEFAULT NULL::timestamp with time zone, max_runs integer DEFAULT NULL::integer, '
          'run_at timestamp with time zone DEFAULT NULL::timestamp with time zone, '
          'min_trigger_interval interval DEFAULT NULL::interval, reset text[] DEFAULT NULL::text[], '
          'description text DEFAULT NULL::text, tags text[] DEFAULT NULL::text[], run_if text DEFAULT NULL::text, '
          'priority integer DEFAULT NULL::integer, blackout text DEFAULT NULL::text, '
          'blackout_policy text DEFAULT NULL::text',
          'alter by name arguments');
SELECT is(pg_get_function_arguments('jobs.alter(bigint, text, text, text, text, boolean, interval, integer, interval, interval, '
                                    'text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text[], '
                                    'text, text[], text, integer, text, text)'::regprocedure),
          'job_id bigint, schedule text DEFAULT NULL::text, command text DEFAULT NULL::text, '
          'database text DEFAULT NULL::text, timezone text DEFAULT NULL::text, enabled boolean DEFAULT NULL::boolean, '
          'timeout interval DEFAULT NULL::interval, max_retries integer DEFAULT NULL::integer, '
          'retry_backoff interval DEFAULT NULL::interval, retry_backoff_max interval DEFAULT NULL::interval, '
          'overlap text DEFAULT NULL::text, max_concurrent integer DEFAULT NULL::integer, misfire text DEFAULT NULL::text, '
          'starting_deadline interval DEFAULT NULL::interval, start_at timestamp with time zone DEFAULT NULL::timestamp with time zone, '
          'end_at timestamp with time zone DEFAULT NULL::timestamp with time zone, max_runs integer DEFAULT NULL::integer, '
          'run_at timestamp with time zone DEFAULT NULL::timestamp with time zone, '
          'min_trigger_interval interval DEFAULT NULL::interval, reset text[] DEFAULT NULL::text[], '
          'description text DEFAULT NULL::text, tags text[] DEFAULT NULL::text[], run_if text DEFAULT NULL::text, '
          'priority integer DEFAULT NULL::integer, blackout text DEFAULT NULL::text, '
          'blackout_policy text DEFAULT NULL::text',
          'alter by id arguments');
SELECT has_function('jobs', 'enable', ARRAY['text']);
SELECT has_function('jobs', 'enable', ARRAY['bigint']);
SELECT has_function('jobs', 'disable', ARRAY['text']);
SELECT has_function('jobs', 'disable', ARRAY['bigint']);
SELECT function_returns('jobs', 'unschedule', ARRAY['text'], 'boolean');
SELECT function_returns('jobs', 'unschedule', ARRAY['bigint'], 'boolean');
SELECT is(pg_get_function_arguments('jobs.trigger(text, jsonb)'::regprocedure),
          'job_name text, payload jsonb DEFAULT NULL::jsonb', 'trigger by name arguments');
SELECT is(pg_get_function_arguments('jobs.trigger(bigint, jsonb)'::regprocedure),
          'job_id bigint, payload jsonb DEFAULT NULL::jsonb', 'trigger by id arguments');
SELECT function_returns('jobs', 'trigger', ARRAY['text', 'jsonb'], 'bigint');
SELECT is(pg_get_function_arguments('jobs.wait(bigint, interval)'::regprocedure),
          'execution_id bigint, timeout interval DEFAULT ''00:01:00''::interval', 'wait arguments');
SELECT function_returns('jobs', 'wait', ARRAY['bigint', 'interval'], 'jobs.job_execution');
SELECT function_returns('jobs', 'context', ARRAY[]::text[], 'jsonb');
SELECT is(jobs.context(), NULL, 'context is NULL outside a job');
SELECT function_returns('jobs_internal', '_wake_scheduler', ARRAY['boolean', 'bigint'], 'void');

-- Security settings: the public functions run as the caller, their
-- privileged parts as the extension owner with a safe search_path.
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL, 'no public function is SECURITY DEFINER')
FROM pg_proc AS p
WHERE p.pronamespace = 'jobs'::regnamespace AND p.prosecdef;
SELECT set_eq(
    $$SELECT p.proname::text FROM pg_proc AS p WHERE p.pronamespace = 'jobs_internal'::regnamespace AND p.prosecdef$$,
    ARRAY['_schedule', '_alter', '_enable', '_disable', '_unschedule', '_trigger', '_schedule_http', '_alter_http',
          '_cancel', '_queue_retry', '_schedule_in', '_roles_dropped', '_reassign_owned', '_drop_owned',
          '_set_secret', '_drop_secret', '_audit_jobs_created', '_audit_jobs_changed', '_audit_jobs_removed',
          '_audit_header_change', '_health', '_schedule_email', '_notify_jobs_changed', '_alert', '_drop_alert',
          '_alert_pass',
          -- flow: workflows
          '_schedule_workflow', '_start_workflow_runs', '_workflow_step_ended', '_workflow_run_ended',
          '_workflow_status_changed',
          -- last: jobs.job_last_run
          '_forget_deleted_runs', '_forget_removed_jobs'],
    'exactly the privileged parts are SECURITY DEFINER');
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
          'every SECURITY DEFINER function sets search_path = pg_catalog, pg_temp')
FROM pg_proc AS p
WHERE p.pronamespace IN ('jobs'::regnamespace, 'jobs_internal'::regnamespace) AND p.prosecdef
  AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false);
SELECT function_privs_are('jobs_internal', '_wake_scheduler', ARRAY['boolean', 'bigint'], 'public', ARRAY[]::text[],
                          'PUBLIC may not call _wake_scheduler');
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
          'PUBLIC may call no internal function but _own_job_id and _next_run_at')
FROM pg_proc AS p
WHERE p.pronamespace = 'jobs_internal'::regnamespace
  AND p.proname NOT IN ('_own_job_id', '_next_run_at')
  AND has_function_privilege('public', p.oid, 'EXECUTE');
SELECT function_privs_are('jobs', 'trigger', ARRAY['text', 'jsonb'], 'public', ARRAY['EXECUTE'],
                          'PUBLIC (with USAGE on the schema) may call trigger');
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL, 'every function has a comment')
FROM pg_proc AS p
WHERE p.pronamespace IN ('jobs'::regnamespace, 'jobs_internal'::regnamespace)
  AND obj_description(p.oid, 'pg_proc') IS NULL;

-- The API alone is in schema jobs (what \df jobs.* and \d jobs.* list); the
-- internals are in jobs_internal, on which PUBLIC has no USAGE.
SELECT is(array_agg(o.name ORDER BY 1), NULL, 'schema jobs holds no internal (_) function, table or sequence')
FROM (SELECT p.oid::regprocedure::text AS name FROM pg_proc AS p
      WHERE p.pronamespace = 'jobs'::regnamespace AND p.proname LIKE '\_%'
      UNION ALL
      SELECT c.oid::regclass::text FROM pg_class AS c
      WHERE c.relnamespace = 'jobs'::regnamespace AND c.relname LIKE '\_%') AS o;
SELECT ok(NOT has_schema_privilege('public', 'jobs_internal', 'USAGE'), 'PUBLIC has no USAGE on schema jobs_internal');
SELECT cmp_ok((SELECT count(*) FROM pg_proc AS p WHERE p.pronamespace = 'jobs_internal'::regnamespace), '>', 50::bigint,
              'the internal functions are in jobs_internal');

-- Tables ----------------------------------------------------------------------
SELECT columns_are('jobs', 'scheduled_job',
    ARRAY['job_id', 'job_name', 'owner', 'schedule', 'timezone', 'command', 'database', 'enabled', 'created_at',
          'updated_at', 'kind', 'http_method', 'http_url', 'http_headers', 'http_body', 'timeout', 'max_retries',
          'retry_backoff', 'retry_backoff_max', 'overlap', 'max_concurrent', 'misfire', 'starting_deadline',
          'start_at', 'end_at', 'max_runs', 'run_at', 'min_trigger_interval', 'disabled_reason', 'description', 'tags',
          'http_send', 'smtp_url', 'smtp_username', 'smtp_password', 'mail_from', 'mail_to', 'mail_subject',
          'mail_body', 'run_if', 'priority', 'blackout', 'blackout_policy']);
SELECT col_is_pk('jobs', 'scheduled_job', 'job_id', 'job_id is the primary key');
SELECT col_is_unique('jobs', 'scheduled_job', ARRAY['owner', 'job_name']);
SELECT col_is_null('jobs', 'scheduled_job', 'schedule', 'schedule may be NULL (on demand)');
SELECT col_type_is('jobs', 'scheduled_job', 'owner', 'regrole', 'owner is a role (its OID)');
SELECT col_default_is('jobs', 'scheduled_job', 'enabled', 'true', 'jobs are enabled by default');
SELECT columns_are('jobs', 'job_execution',
    ARRAY['execution_id', 'job_id', 'job_name', 'owner', 'database', 'command', 'status', 'triggered_by',
          'triggered_by_user', 'scheduled_for', 'queued_at', 'started_at', 'finished_at', 'duration', 'attempt',
          'payload', 'result', 'error', 'sqlstate', 'error_detail', 'rows_affected', 'worker_pid', 'kind',
          'http_status', 'http_timing', 'retry_of', 'not_before', 'cancel_requested_by', 'owner_name',
          'skipped_count', 'error_kind', 'priority',
          'workflow_execution_id', 'step', 'workflow_context']);  -- flow: workflows
SELECT col_is_pk('jobs', 'job_execution', 'execution_id', 'execution_id is the primary key');
SELECT col_type_is('jobs', 'job_execution', 'payload', 'jsonb', 'payload is jsonb');
SELECT col_type_is('jobs', 'job_execution', 'duration', 'interval', 'duration is an interval');
SELECT has_index('jobs', 'job_execution', 'job_execution_once_per_time', ARRAY['job_id', 'scheduled_for']);
SELECT has_index('jobs', 'job_execution', 'job_execution_pending', ARRAY['kind', 'database', 'owner', 'priority', 'execution_id']);
SELECT has_index('jobs', 'job_execution', 'job_execution_pending_http', ARRAY['priority', 'execution_id']);
SELECT has_index('jobs', 'job_execution', 'job_execution_by_job', ARRAY['job_id', 'execution_id']);
SELECT has_index('jobs', 'job_execution', 'job_execution_active_by_job', ARRAY['job_id', 'execution_id']);
SELECT has_index('jobs', 'job_execution', 'job_execution_ended', 'COALESCE(finished_at, queued_at)');
SELECT hasnt_index('jobs', 'job_execution', 'job_execution_running',
                   'no index of running runs: job_execution_active_by_job serves those queries');
SELECT hasnt_fk('jobs', 'job_execution', 'history outlives jobs: no foreign key');
SELECT table_privs_are('jobs', 'scheduled_job', 'public', ARRAY['SELECT'], 'PUBLIC may only read scheduled_job');
SELECT table_privs_are('jobs', 'job_execution', 'public', ARRAY['SELECT'], 'PUBLIC may only read job_execution');
SELECT ok((SELECT relrowsecurity FROM pg_class WHERE oid = 'jobs.scheduled_job'::regclass),
          'scheduled_job has row level security');
SELECT ok((SELECT relrowsecurity FROM pg_class WHERE oid = 'jobs.job_execution'::regclass),
          'job_execution has row level security');
SELECT set_eq($$SELECT unnest(extconfig)::regclass::text FROM pg_extension WHERE extname = 'pg_jobs'$$,
              ARRAY['jobs.scheduled_job', 'jobs.job_execution', 'jobs.scheduled_job_job_id_seq',
                    'jobs.job_execution_execution_id_seq', 'jobs_internal._http_secret', 'jobs.job_audit',
                    'jobs.job_audit_audit_id_seq', 'jobs.alert_definition', 'jobs_internal._alert_state',
                    'jobs.alert_definition_alert_id_seq', 'jobs_internal._pg_cron_import', 'jobs.job_last_run'],
              'jobs, runs, each job''s last run, HTTP headers, the audit trail, alerts, the sequences and the record of '
              'pg_cron imports are dumped by pg_dump');
SELECT throws_ok($$INSERT INTO jobs.job_execution (job_id, job_name, owner, database, command, status, triggered_by)
                   VALUES (1, 'x', 'pg_database_owner', 'x', 'x', 'done', 'manual')$$,
                 '23514', NULL, 'status is checked');
SELECT throws_ok($$INSERT INTO jobs.job_execution (job_id, job_name, owner, database, command, triggered_by)
                   VALUES (1, 'x', 'pg_database_owner', 'x', 'x', 'cron')$$,
                 '23514', NULL, 'triggered_by is checked');
SELECT throws_ok($$INSERT INTO jobs.job_execution (job_id, job_name, owner, database, command, triggered_by, kind)
                   VALUES (1, 'x', 'pg_database_owner', 'x', 'x', 'manual', 'SQL')$$,
                 '23514', NULL, 'a run''s kind is checked');

-- Views -------------------------------------------------------------------------
SELECT columns_are('jobs', 'job_status',
    ARRAY['job_id', 'job_name', 'owner', 'schedule', 'timezone', 'enabled', 'last_started_at', 'last_status',
          'last_duration', 'next_run_at', 'running', 'total_runs', 'succeeded_runs', 'failed_runs',
          'disabled_reason', 'description', 'tags']);
SELECT has_column('jobs', 'job_history', 'error', 'job_history shows errors');
SELECT ok((SELECT 'security_invoker=true' = ANY (reloptions) FROM pg_class WHERE oid = 'jobs.job_status'::regclass),
          'job_status applies the reader''s row level security');
SELECT ok((SELECT 'security_invoker=true' = ANY (reloptions) FROM pg_class WHERE oid = 'jobs.job_history'::regclass),
          'job_history applies the reader''s row level security');
SELECT isnt(obj_description('jobs.job_status'::regclass, 'pg_class'), NULL, 'job_status has a comment');
SELECT isnt(obj_description('jobs.job_history'::regclass, 'pg_class'), NULL, 'job_history has a comment');

-- Behaviour: defining -----------------------------------------------------------
SELECT jobs.schedule('pgtap job', '*/15 * * * *', 'SELECT 1') AS su_job \gset
SELECT throws_ok(format('UPDATE jobs.scheduled_job SET kind = %L WHERE job_id = %s', 'ftp', :su_job),
                 '23514', NULL, 'a job''s kind is checked');
SELECT results_eq($$SELECT pg_get_userbyid(owner)::text, schedule, timezone, command, database::text, enabled
                    FROM jobs.scheduled_job WHERE job_id = $$ || :su_job,
                  $$VALUES (current_user::text, '*/15 * * * *', 'UTC', 'SELECT 1', current_database()::text, true)$$,
                  'schedule stores the definition with its defaults');
SELECT is(jobs.schedule('pgtap job', '0 * * * *', 'SELECT 2', timezone => 'Asia/Tokyo'), :su_job::bigint,
          'schedule again: the same job_id');
SELECT results_eq($$SELECT schedule, timezone, command FROM jobs.scheduled_job WHERE job_id = $$ || :su_job,
                  $$VALUES ('0 * * * *', 'Asia/Tokyo', 'SELECT 2')$$, 'schedule again: the new definition');
SELECT is((SELECT next_run_at FROM jobs.job_status WHERE job_id = :su_job),
          (SELECT r FROM jobs.next_runs('0 * * * *', 1, now(), 'Asia/Tokyo') AS r), 'next_run_at');
SELECT lives_ok($$SELECT jobs.alter('pgtap job', enabled => false)$$, 'alter by name');
SELECT is((SELECT next_run_at FROM jobs.job_status WHERE job_id = :su_job), NULL, 'disabled: no next run');
SELECT lives_ok($$SELECT jobs.enable('pgtap job')$$, 'enable by name');
SELECT is((SELECT enabled FROM jobs.scheduled_job WHERE job_id = :su_job), true, 'enabled again');
SELECT throws_ok($$SELECT jobs.schedule('bad', '* * * * * * *', 'SELECT 1')$$, '22023', NULL,
                 'a bad schedule is the cron engine''s 22023');
SELECT throws_ok($$SELECT jobs.schedule('bad', '@daily', 'SELECT 1', timezone => 'Atlantis')$$, '22023',
                 'invalid time zone "Atlantis"', 'a bad time zone');
SELECT throws_ok($$SELECT jobs.schedule('bad', '@daily', '')$$, '22023', 'command must not be empty',
                 'an empty command');
SELECT throws_ok($$SELECT jobs.schedule('bad', '@daily', 'SELECT 1', 'pgtap_no_such_db')$$, '3D000',
                 'database "pgtap_no_such_db" does not exist', 'a missing database');
SELECT throws_ok($$SELECT jobs.alter('pgtap no such job')$$, '42704', 'job "pgtap no such job" does not exist',
                 'alter: unknown name');
SELECT throws_ok($$SELECT jobs.unschedule(-5)$$, '42704', 'job with ID -5 does not exist', 'unschedule: unknown id');

-- Behaviour: other roles --------------------------------------------------------
SELECT pg_temp.as_role('pgtap_jobs_owner', $$SELECT jobs.schedule('pgtap job', NULL, 'SELECT 3')$$)::bigint
    AS owner_job \gset
SELECT isnt(:owner_job::bigint, :su_job::bigint, 'names are per owner');
SELECT is((SELECT owner::text FROM jobs.scheduled_job WHERE job_id = :owner_job), 'pgtap_jobs_owner',
          'a role''s job is owned by that role');
SELECT is(pg_temp.as_role('pgtap_jobs_owner', 'SELECT count(*) FROM jobs.scheduled_job'), '1',
          'a role sees only its own jobs');
SELECT is(pg_temp.as_role('pgtap_jobs_other', 'SELECT count(*) FROM jobs.job_status'), '0',
          'another role sees none of them');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_jobs_other', 'SELECT jobs.trigger(' || :owner_job || ')'),
                 '42704', 'job with ID ' || :owner_job || ' does not exist',
                 'another role may not trigger it by id: to it, the job does not exist');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_jobs_other', 'SELECT jobs.unschedule(' || :owner_job || ')'),
                 '42704', NULL, 'nor unschedule it');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_jobs_other', $$SELECT jobs.disable('pgtap job')$$),
                 '42704', NULL, 'nor find it by name');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_jobs_other',
                        $$UPDATE jobs.scheduled_job SET command = 'x'$$),
                 '42501', NULL, 'nor write the table');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_jobs_other',
                        $$SELECT jobs_internal._trigger('pgtap_jobs_owner', $$ || :owner_job || $$, NULL)$$),
                 '42501', NULL, 'nor pretend to be the owner');
SELECT lives_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_jobs_owner', 'SELECT jobs.disable(' || :owner_job || ')'),
                'the owner may use the job_id overloads');
SELECT is((SELECT enabled FROM jobs.scheduled_job WHERE job_id = :owner_job), false, 'the owner disabled it');
SELECT lives_ok('SELECT jobs.enable(' || :owner_job || ')', 'a superuser may change any job by job_id');

-- Behaviour: triggering -----------------------------------------------------------
SELECT pg_temp.as_role('pgtap_jobs_owner', $$SELECT jobs.trigger('pgtap job', '{"k": [1, 2]}')$$)::bigint
    AS owner_run \gset
SELECT is((SELECT row(job_id = :owner_job, job_name, owner, command, status, triggered_by, triggered_by_user,
                       payload, scheduled_for IS NULL, attempt)::text
           FROM jobs.job_execution WHERE execution_id = :owner_run),
          '(t,"pgtap job",pgtap_jobs_owner,"SELECT 3",queued,manual,pgtap_jobs_owner,"{""k"": [1, 2]}",t,1)',
          'trigger queues a manual run with the job''s command, the caller and the payload');
SELECT is(pg_temp.as_role('pgtap_jobs_owner', 'SELECT count(*) FROM jobs.job_history'), '1',
          'the owner sees its run in job_history');
SELECT is(pg_temp.as_role('pgtap_jobs_other', 'SELECT count(*) FROM jobs.job_execution'), '0',
          'another role does not');
SELECT ok(jobs.trigger(:owner_job::bigint, '"by admin"') > :owner_run, 'a superuser may trigger any job by job_id');
SELECT is((SELECT triggered_by_user::text FROM jobs.job_execution WHERE job_id = :owner_job
           ORDER BY execution_id DESC LIMIT 1), current_user::text, 'the run records who triggered it');
SAVEPOINT before_rollback;
SELECT jobs.trigger('pgtap job') AS undone_run \gset
ROLLBACK TO SAVEPOINT before_rollback;
SELECT is((SELECT count(*) FROM jobs.job_execution WHERE execution_id = :undone_run), 0::bigint,
          'a trigger that rolls back leaves no run');

-- Behaviour: removing -------------------------------------------------------------
SELECT is(pg_temp.as_role('pgtap_jobs_owner', $$SELECT jobs.unschedule('pgtap job')$$), 'true',
          'unschedule returns true');
SELECT is((SELECT count(*) FROM jobs.scheduled_job WHERE job_id = :owner_job), 0::bigint, 'the job is gone');
SELECT results_eq($$SELECT DISTINCT status FROM jobs.job_execution WHERE job_id = $$ || :owner_job,
                  $$VALUES ('cancelled')$$, 'its queued runs are cancelled');
SELECT is((SELECT count(*) FROM jobs.job_execution WHERE job_id = :owner_job), 2::bigint, 'and kept');
SELECT is(jobs.unschedule(:su_job::bigint), true, 'a superuser unschedules by job_id');
SELECT throws_ok($$SELECT jobs.trigger('pgtap job')$$, '42704', NULL, 'a removed job cannot be triggered');

-- Many jobs in one transaction are all there.
SELECT is((SELECT count(DISTINCT jobs.schedule('pgtap bulk ' || n, '@hourly', 'SELECT 1'))
           FROM generate_series(1, 5000) AS n), 5000::bigint, '5000 jobs defined in one statement');
SELECT is((SELECT count(*) FROM jobs.job_status WHERE job_name LIKE 'pgtap bulk %' AND next_run_at IS NOT NULL),
          5000::bigint, 'all 5000 have a next run');

SELECT * FROM finish();
ROLLBACK;
