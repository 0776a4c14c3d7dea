-- pgTAP: the jobs_admin role and the audit trail (issue 10, point 20), with
-- real roles: alice owns jobs (USAGE ON SCHEMA jobs), carol is a member of
-- jobs_admin, dave is neither. carol sees and operates alice's jobs but
-- cannot change what they run; jobs.job_audit records who changed what,
-- never a header value, and nobody writes it directly. Everything rolls back.
-- Run from the repository root: pg_prove test/pgtap/security_admin.sql
\ir lib/begin.sql

SELECT plan(78);

-- The role -------------------------------------------------------------------------
SELECT has_role('jobs_admin', 'CREATE EXTENSION created the role jobs_admin');
SELECT is((SELECT row(rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls)::text
           FROM pg_roles WHERE rolname = 'jobs_admin'), '(f,f,f,f,f)', 'jobs_admin is NOLOGIN and holds no attribute');
SELECT ok(has_schema_privilege('jobs_admin', 'jobs', 'USAGE'), 'jobs_admin has USAGE on the schema');
SELECT throws_ok('DROP ROLE jobs_admin', '2BP01', NULL, 'jobs_admin cannot be dropped while pg_jobs uses it');

CREATE ROLE alice;
CREATE ROLE carol;
CREATE ROLE dave;
CREATE ROLE ops;     -- an admin group: its members administer through it
CREATE ROLE frank;
GRANT USAGE ON SCHEMA jobs TO alice, dave;
GRANT jobs_admin TO carol;
GRANT jobs_admin TO ops;
GRANT ops TO frank;

-- alice's jobs: an SQL job with a queued run, and an HTTP job with a secret.
SELECT pg_temp.as_role('alice', $$SELECT jobs.schedule('nightly', '@daily', 'SELECT 1', max_retries => 1)$$)::bigint
    AS sql_job \gset
SELECT pg_temp.as_role('alice', $$SELECT jobs.schedule_http('hook', NULL, 'http://hooks.example.com/a',
                                                          headers => '{"Authorization": "Bearer s3cret-1", "X-Env": "prod-1"}',
                                                          body => '{"k": 1}')$$)::bigint
    AS http_job \gset
SELECT pg_temp.as_role('alice', $$SELECT jobs.trigger('nightly')$$)::bigint AS alice_run \gset
-- A job of the superuser, for "every job".
SELECT jobs.schedule('su job', NULL, 'SELECT 2') AS su_job \gset

-- Who sees what ------------------------------------------------------------------
SELECT is(pg_temp.as_role('carol', $$SELECT string_agg(job_name, ',' ORDER BY job_id) FROM jobs.scheduled_job$$),
          'nightly,hook,su job', 'carol (jobs_admin) sees every job in scheduled_job');
SELECT is(pg_temp.as_role('carol', $$SELECT string_agg(job_name || ':' || owner, ',' ORDER BY job_id) FROM jobs.job_status$$),
          'nightly:alice,hook:alice,su job:' || current_user, 'and in job_status, with their owners');
SELECT is(pg_temp.as_role('carol', format('SELECT count(*) FROM jobs.job_execution WHERE execution_id = %s', :alice_run)),
          '1', 'carol sees alice''s run in job_execution');
SELECT is(pg_temp.as_role('carol', format('SELECT owner FROM jobs.job_history WHERE execution_id = %s', :alice_run)),
          'alice', 'and in job_history');
SELECT is(pg_temp.as_role('frank', 'SELECT count(*) FROM jobs.job_status'), '3',
          'frank, a member of a member of jobs_admin, sees every job too');
SELECT is(pg_temp.as_role('dave', 'SELECT count(*) FROM jobs.scheduled_job'), '0', 'dave sees no job in scheduled_job');
SELECT is(pg_temp.as_role('dave', 'SELECT count(*) FROM jobs.job_status'), '0', 'nor in job_status');
SELECT is(pg_temp.as_role('dave', 'SELECT count(*) FROM jobs.job_execution'), '0', 'nor a run in job_execution');
SELECT is(pg_temp.as_role('dave', 'SELECT count(*) FROM jobs.job_history'), '0', 'nor in job_history');
SELECT is(pg_temp.as_role('alice', 'SELECT count(*) FROM jobs.job_status'), '2', 'alice sees her own two jobs only');
SELECT is((SELECT array_agg(c.oid::regclass::text ORDER BY c.relname) FROM pg_class AS c
           WHERE c.relnamespace = 'jobs'::regnamespace AND c.relkind = 'v'),
          ARRAY['jobs.alert_status', 'jobs.job_history', 'jobs.job_stats', 'jobs.job_status', 'jobs.secrets'],
          'the views shown to carol above are every view of jobs and runs (jobs.secrets lists the caller''s own, '
          'jobs.alert_status the caller''s own alerts)');

-- What carol may do to alice's jobs -------------------------------------------------------
SELECT lives_ok(format('SELECT pg_temp.as_role(%L, %L)', 'carol', 'SELECT jobs.disable(' || :sql_job || ')'),
                'carol may disable alice''s job');
SELECT is((SELECT enabled FROM jobs.scheduled_job WHERE job_id = :sql_job), false, 'it is disabled');
SELECT lives_ok(format('SELECT pg_temp.as_role(%L, %L)', 'carol', 'SELECT jobs.enable(' || :sql_job || ')'),
                'carol may enable it');
SELECT is((SELECT enabled FROM jobs.scheduled_job WHERE job_id = :sql_job), true, 'it is enabled');
SELECT lives_ok(format('SELECT pg_temp.as_role(%L, %L)', 'carol',
                       format($$SELECT jobs.alter(%s, schedule => '30 2 * * *', timezone => 'Europe/Berlin',
                                                  timeout => '5 minutes', max_retries => 3, overlap => 'queue',
                                                  misfire => 'run_once', starting_deadline => '10 minutes')$$,
                              :sql_job)),
                'carol may change the schedule, time zone and run options');
SELECT is((SELECT row(schedule, timezone, timeout, max_retries, overlap, misfire, starting_deadline)::text
           FROM jobs.scheduled_job WHERE job_id = :sql_job),
          '("30 2 * * *",Europe/Berlin,00:05:00,3,queue,run_once,00:10:00)', 'the changes are stored');
SELECT lives_ok(format('SELECT pg_temp.as_role(%L, %L)', 'carol',
                       format($$SELECT jobs.alter(%s, reset => '{starting_deadline}')$$, :sql_job)),
                'carol may reset an option');
SELECT lives_ok(format('SELECT pg_temp.as_role(%L, %L)', 'frank',
                       format($$SELECT jobs.alter(%s, max_concurrent => 2)$$, :sql_job)),
                'so may frank, through ops');
SELECT lives_ok(format('SELECT pg_temp.as_role(%L, %L)', 'carol',
                       format($$SELECT jobs.alter_http(%s, timeout => '10 seconds')$$, :http_job)),
                'carol may change an HTTP job''s timeout');
SELECT lives_ok(format('SELECT pg_temp.as_role(%L, %L)', 'carol',
                       format($$SELECT jobs.alter(%s, schedule => '@hourly', enabled => false)$$, :http_job)),
                'and its schedule and enabled state');
SELECT pg_temp.as_role('carol', format('SELECT jobs.trigger(%s, %L)', :sql_job, '{"by": "carol"}'))::bigint
    AS carol_run \gset
SELECT is((SELECT row(owner, command, triggered_by, triggered_by_user, payload)::text
           FROM jobs.job_execution WHERE execution_id = :carol_run),
          '(alice,"SELECT 1",manual,carol,"{""by"": ""carol""}")',
          'carol may trigger alice''s job: the run is alice''s (it runs as alice), triggered by carol');
SELECT is(pg_temp.as_role('carol', format('SELECT jobs.cancel(%s)', :alice_run)), 'true', 'carol may cancel alice''s run');
SELECT is((SELECT row(status, cancel_requested_by, error)::text FROM jobs.job_execution WHERE execution_id = :alice_run),
          '(cancelled,carol,"cancelled by carol")', 'it is cancelled, by carol');
SELECT lives_ok(format('SELECT pg_temp.as_role(%L, %L)', 'carol', 'SELECT jobs.disable(' || :su_job || ')'),
                'carol may disable the superuser''s job too');

-- What carol may not do: change what a job runs -----------------------------------------
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'carol',
                        format($$SELECT jobs.alter(%s, command => 'SELECT pg_sleep(1)')$$, :sql_job)),
                 '42501', 'permission denied to change the command of job "nightly"', 'carol may not change the command');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'carol',
                        format($$SELECT jobs.alter(%s, database => current_database())$$, :sql_job)),
                 '42501', 'permission denied to change the database of job "nightly"', 'nor the database');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'carol',
                        format($$SELECT jobs.alter(%s, schedule => '@daily', command => 'SELECT 3')$$, :sql_job)),
                 '42501', NULL, 'nor the command together with allowed changes');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'carol',
                        format($$SELECT jobs.alter_http(%s, url => 'http://evil.example.com/')$$, :http_job)),
                 '42501', 'permission denied to change the url of job "hook"', 'nor an HTTP job''s url');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'carol',
                        format($$SELECT jobs.alter_http(%s, method => 'GET')$$, :http_job)),
                 '42501', 'permission denied to change the method of job "hook"', 'nor its method');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'carol',
                        format($$SELECT jobs.alter_http(%s, headers => '{}')$$, :http_job)),
                 '42501', 'permission denied to change the headers of job "hook"', 'nor its headers');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'carol',
                        format($$SELECT jobs.alter_http(%s, body => '{"k": 2}')$$, :http_job)),
                 '42501', 'permission denied to change the body of job "hook"', 'nor its body');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'frank',
                        format($$SELECT jobs.alter(%s, command => 'SELECT 4')$$, :su_job)),
                 '42501', NULL, 'nor may frank change the superuser''s command');
CREATE FUNCTION pg_temp.error_of(role_name name, command text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    detail text;
    hint text;
BEGIN
    PERFORM pg_temp.as_role(role_name, command);
    RETURN NULL;
EXCEPTION WHEN insufficient_privilege THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN detail || ' | ' || hint;
END
$$;
SELECT is(pg_temp.error_of('carol', format($$SELECT jobs.alter(%s, command => 'SELECT 5')$$, :sql_job)),
          'The job runs as its owner "alice": only that role or a superuser may change what it runs (command, '
          'database, url, method, headers, body). | Members of jobs_admin may change the schedule, time zone, '
          'enabled state and run options, trigger, cancel and unschedule it; ask its owner to change the rest.',
          'the refusal says why and what carol may do instead');
SELECT is((SELECT row(command, database)::text FROM jobs.scheduled_job WHERE job_id = :sql_job),
          format('("SELECT 1",%s)', current_database()), 'alice''s command and database are unchanged');
SELECT is((SELECT row(http_url, http_method, http_body)::text FROM jobs.scheduled_job WHERE job_id = :http_job),
          '(http://hooks.example.com/a,POST,"{""k"": 1}")', 'and her HTTP request');
SELECT lives_ok(format('SELECT pg_temp.as_role(%L, %L)', 'alice',
                       format($$SELECT jobs.alter(%s, command => 'SELECT 10')$$, :sql_job)),
                'alice, the owner, may change the command');
SELECT lives_ok(format($$SELECT jobs.alter(%s, command => 'SELECT 11')$$, :sql_job), 'so may a superuser');

-- dave may do nothing to alice's jobs --------------------------------------------------
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'dave', 'SELECT jobs.disable(' || :sql_job || ')'),
                 NULL, NULL, 'dave may not disable alice''s job');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'dave',
                        format($$SELECT jobs.alter(%s, schedule => '@hourly')$$, :sql_job)),
                 NULL, NULL, 'nor change its schedule');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'dave', 'SELECT jobs.trigger(' || :sql_job || ')'),
                 NULL, NULL, 'nor trigger it');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'dave', 'SELECT jobs.cancel(' || :carol_run || ')'),
                 NULL, NULL, 'nor cancel its run');

-- The audit trail --------------------------------------------------------------------------
SELECT has_table('jobs', 'job_audit', 'jobs.job_audit exists');
SELECT results_eq(
    format($$SELECT changed_by::text COLLATE "default", changed_by_oid::regrole::text, action, fields, old_values, new_values
             FROM jobs.job_audit WHERE job_id = %s AND audit_id > (SELECT min(audit_id) FROM jobs.job_audit
                                                                   WHERE job_id = %s)
             ORDER BY audit_id$$, :sql_job, :sql_job),
    $$VALUES ('carol', 'carol', 'disabled', '{enabled}'::text[], '{"enabled": true}'::jsonb, '{"enabled": false}'::jsonb),
             ('carol', 'carol', 'enabled', '{enabled}', '{"enabled": false}', '{"enabled": true}'),
             ('carol', 'carol', 'altered', '{max_retries,misfire,overlap,schedule,starting_deadline,timeout,timezone}',
              '{"misfire": "skip", "overlap": "skip", "timeout": null, "schedule": "@daily", "timezone": "UTC",
                "max_retries": 1, "starting_deadline": null}',
              '{"misfire": "run_once", "overlap": "queue", "timeout": "00:05:00", "schedule": "30 2 * * *",
                "timezone": "Europe/Berlin", "max_retries": 3, "starting_deadline": "00:10:00"}'),
             ('carol', 'carol', 'altered', '{starting_deadline}', '{"starting_deadline": "00:10:00"}',
              '{"starting_deadline": null}'),
             ('frank', 'frank', 'altered', '{max_concurrent}', '{"max_concurrent": 1}', '{"max_concurrent": 2}'),
             ('alice', 'alice', 'altered', '{command}', '{"command": "SELECT 1"}', '{"command": "SELECT 10"}'),
             (current_user::text COLLATE "default", current_user::text COLLATE "default", 'altered', '{command}', '{"command": "SELECT 10"}',
              '{"command": "SELECT 11"}')$$,
    'every change to alice''s job is recorded: who, action, fields, old and new values; refused ones are not');
SELECT results_eq(
    format($$SELECT changed_by::text COLLATE "default", action, fields, new_values ->> 'command', new_values ->> 'owner', old_values
             FROM jobs.job_audit WHERE job_id = %s ORDER BY audit_id LIMIT 1$$, :sql_job),
    $$VALUES ('alice', 'created', '{blackout_policy,command,database,enabled,job_id,job_name,kind,max_concurrent,max_retries,misfire,overlap,owner,priority,retry_backoff,retry_backoff_max,schedule,tags,timezone}'::text[],
              'SELECT 1', 'alice', NULL::jsonb)$$,
    'the creation is recorded with the whole definition, by alice');

-- A redefinition with jobs.schedule (INSERT ... ON CONFLICT DO UPDATE).
SELECT pg_temp.as_role('alice', $$SELECT jobs.schedule('redo', '@daily', 'SELECT 1')$$)::bigint AS redo_job \gset
SELECT pg_temp.as_role('alice', $$SELECT jobs.schedule('redo', '@daily', 'SELECT 1')$$);
SELECT is((SELECT array_agg(action ORDER BY audit_id) FROM jobs.job_audit WHERE job_id = :redo_job), '{created}',
          'redefining a job with the same definition adds no row');
SELECT pg_temp.as_role('alice', $$SELECT jobs.schedule('redo', '@hourly', 'SELECT 1')$$);
SELECT results_eq(
    format($$SELECT changed_by::text COLLATE "default", action, fields, old_values, new_values FROM jobs.job_audit
             WHERE job_id = %s ORDER BY audit_id DESC LIMIT 1$$, :redo_job),
    $$VALUES ('alice', 'altered', '{schedule}'::text[], '{"schedule": "@daily"}'::jsonb, '{"schedule": "@hourly"}'::jsonb)$$,
    'redefining it with another schedule records that change only');

-- Header values never reach the trail.
SELECT is((SELECT new_values -> 'http_headers' FROM jobs.job_audit WHERE job_id = :http_job AND action = 'created'),
          '{"X-Env": "***", "Authorization": "***"}'::jsonb, 'a created HTTP job''s headers: names, values masked');
SELECT lives_ok(format('SELECT pg_temp.as_role(%L, %L)', 'alice',
                       format($$SELECT jobs.alter_http(%s, headers => '{"Authorization": "Bearer s3cret-2", "X-Env": "prod-1"}')$$,
                              :http_job)),
                'alice changes the secret header value only');
SELECT lives_ok(format('SELECT pg_temp.as_role(%L, %L)', 'alice',
                       format($$SELECT jobs.alter_http(%s, headers => '{"Authorization": "Bearer s3cret-2", "X-Env": "prod-2"}')$$,
                              :http_job)),
                'and then a plain header value');
SELECT results_eq(
    format($$SELECT changed_by::text COLLATE "default", action, fields, old_values, new_values FROM jobs.job_audit
             WHERE job_id = %s AND changed_by = 'alice' AND action = 'altered' ORDER BY audit_id$$, :http_job),
    $$VALUES ('alice', 'altered', '{http_headers}'::text[], '{"http_headers": {"X-Env": "***", "Authorization": "***"}}'::jsonb,
              '{"http_headers": {"X-Env": "***", "Authorization": "***"}}'::jsonb),
             ('alice', 'altered', '{http_headers}', '{"http_headers": {"X-Env": "***", "Authorization": "***"}}',
              '{"http_headers": {"X-Env": "***", "Authorization": "***"}}')$$,
    'both header changes are recorded, with the values masked');
SELECT is((SELECT count(*) FROM jobs.job_audit
           WHERE concat(old_values::text, new_values::text) ~ 's3cret|prod-'), 0::bigint,
          'no header value is anywhere in the trail');
SELECT results_eq(
    format($$SELECT changed_by::text COLLATE "default", action, fields, old_values, new_values FROM jobs.job_audit
             WHERE job_id = %s AND changed_by = 'carol' ORDER BY audit_id$$, :http_job),
    $$VALUES ('carol', 'altered', '{timeout}'::text[], '{"timeout": "00:00:30"}'::jsonb, '{"timeout": "00:00:10"}'::jsonb),
             ('carol', 'altered', '{enabled,schedule}', '{"enabled": true, "schedule": null}',
              '{"enabled": false, "schedule": "@hourly"}')$$,
    'carol''s changes of the HTTP job are recorded');

-- The caller is the role that called the function, not one left over from a
-- failed call: after carol's refused alter above, the superuser's own UPDATE
-- is recorded as the superuser's.
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'carol',
                        format($$SELECT jobs.alter(%s, command => 'SELECT 6')$$, :sql_job)),
                 '42501', NULL, 'carol''s call fails once more');
UPDATE jobs.scheduled_job SET max_runs = 5 WHERE job_id = :sql_job;
SELECT is((SELECT changed_by::text || ' ' || action || ' ' || fields::text FROM jobs.job_audit
           ORDER BY audit_id DESC LIMIT 1),
          current_user || ' altered {max_runs}', 'a superuser''s own UPDATE is recorded as the superuser''s');

-- Unscheduling, by carol.
SELECT is(pg_temp.as_role('carol', 'SELECT jobs.unschedule(' || :http_job || ')'), 'true',
          'carol may unschedule alice''s job');
SELECT results_eq(
    format($$SELECT changed_by::text COLLATE "default", action, job_name, owner::text COLLATE "default", old_values ->> 'http_url', new_values
             FROM jobs.job_audit WHERE job_id = %s ORDER BY audit_id DESC LIMIT 1$$, :http_job),
    $$VALUES ('carol', 'unscheduled', 'hook', 'alice', 'http://hooks.example.com/a', NULL::jsonb)$$,
    'the removal is recorded, with the definition it had');

-- Who reads the trail.
SELECT is(pg_temp.as_role('alice', 'SELECT count(*) FROM jobs.job_audit'),
          (SELECT count(*)::text FROM jobs.job_audit WHERE owner = 'alice'::regrole), 'alice reads the trail of her jobs');
SELECT is(pg_temp.as_role('alice', 'SELECT count(DISTINCT job_id) FROM jobs.job_audit'), '3', 'of all three of them');
SELECT is(pg_temp.as_role('alice', format('SELECT count(*) FROM jobs.job_audit WHERE job_id = %s', :su_job)), '0',
          'not the superuser''s job''s');
SELECT is(pg_temp.as_role('dave', 'SELECT count(*) FROM jobs.job_audit'), '0', 'dave reads none of it');
SELECT is(pg_temp.as_role('carol', 'SELECT count(*) FROM jobs.job_audit'),
          (SELECT count(*)::text FROM jobs.job_audit), 'carol reads all of it');
SELECT ok((SELECT count(*) FROM jobs.job_audit WHERE job_id = :su_job) >= 2, 'the superuser reads all of it');

-- Nobody writes it directly.
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'alice',
                        format($$INSERT INTO jobs.job_audit (changed_by, changed_by_oid, job_id, job_name, owner, action, fields)
                                 VALUES ('dave', 0, %s, 'nightly', 'alice', 'created', '{}')$$, :sql_job)),
                 '42501', NULL, 'alice may not insert into the trail');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'alice', $$UPDATE jobs.job_audit SET changed_by = 'dave'$$),
                 '42501', NULL, 'nor update it');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'alice', 'DELETE FROM jobs.job_audit'),
                 '42501', NULL, 'nor delete from it');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'carol', 'DELETE FROM jobs.job_audit'),
                 '42501', NULL, 'carol may not delete from it');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'carol', 'TRUNCATE jobs.job_audit'),
                 '42501', NULL, 'nor truncate it');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'dave',
                        $$INSERT INTO jobs.job_audit (changed_by, changed_by_oid, job_id, job_name, owner, action, fields)
                          VALUES ('dave', 0, 1, 'x', 'dave', 'created', '{}')$$),
                 '42501', NULL, 'dave may not insert into it');
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY p.proname), NULL,
          'nor may anyone call the functions that write it')
FROM pg_proc AS p
WHERE p.pronamespace = 'jobs'::regnamespace AND p.proname LIKE '\_audit%'
  AND (has_function_privilege('carol', p.oid, 'EXECUTE') OR has_function_privilege('alice', p.oid, 'EXECUTE'));
SELECT table_privs_are('jobs', 'job_audit', 'public', ARRAY['SELECT'], 'PUBLIC may only read job_audit');
SELECT table_privs_are('jobs', 'job_audit', 'jobs_admin', ARRAY['SELECT'], 'jobs_admin may only read job_audit');
SELECT ok((SELECT relrowsecurity FROM pg_class WHERE oid = 'jobs.job_audit'::regclass), 'job_audit has row level security');

-- REASSIGN OWNED moves alice's jobs (a hook calls a SECURITY DEFINER part):
-- the trail names the role that ran it, not the extension's owner.
CREATE ROLE erin;
GRANT alice, dave TO erin;
SET LOCAL ROLE erin;
REASSIGN OWNED BY alice TO dave;
RESET ROLE;
SELECT results_eq(
    format($$SELECT changed_by::text COLLATE "default", action, fields, old_values, new_values FROM jobs.job_audit
             WHERE job_id = %s ORDER BY audit_id DESC LIMIT 1$$, :sql_job),
    $$VALUES ('erin', 'altered', '{owner}'::text[], '{"owner": "alice"}'::jsonb, '{"owner": "dave"}'::jsonb)$$,
    'REASSIGN OWNED is recorded as a change of owner, by the role that ran it');

SELECT * FROM finish();
ROLLBACK;
