-- pgTAP: creating many jobs in one statement (issue 11, point 4). The calls of
-- jobs.schedule made by one statement with options it already accepted are
-- written together when the statement ends (src/pg/sql_api/schedule_batch.cpp),
-- and the audit trail builds its rows in C (src/pg/sql_api/audit_definition.cpp).
-- Checked here: the same jobs, ids, audit rows and errors as one call at a
-- time, as an unprivileged role (USAGE ON SCHEMA jobs) and as a superuser.
-- Everything rolls back.
-- Run from the repository root: pg_prove test/pgtap/job_creation.sql
\ir lib/begin.sql

SELECT plan(28);

CREATE ROLE alice;
GRANT USAGE ON SCHEMA jobs TO alice;
SET LOCAL jobs.max_jobs_per_owner = 100;

-- Many jobs, one statement ------------------------------------------------------------
-- (A statement's own snapshot does not see the jobs it creates: the ids are
-- compared in the next statement.)
SELECT pg_temp.as_role('alice', $$SELECT string_agg(id::text, ',' ORDER BY id) FROM (
           SELECT jobs.schedule('t' || i, '0 3 * * *', 'SELECT ' || i) AS id FROM generate_series(1, 50) AS i) AS s$$)
    AS t_ids \gset
SELECT is(:'t_ids', (SELECT string_agg(job_id::text, ',' ORDER BY job_id) FROM jobs.scheduled_job
                     WHERE owner = 'alice'::regrole AND job_name LIKE 't%'),
          'one statement creates 50 jobs, and returns their ids');
SELECT is((SELECT count(*) FROM jobs.scheduled_job AS j
           WHERE j.owner = 'alice'::regrole AND j.job_name LIKE 't%'
             AND j.command = 'SELECT ' || substr(j.job_name, 2) AND j.schedule = '0 3 * * *' AND j.timezone = 'UTC'
             AND j.database = current_database() AND j.enabled),
          50::bigint, 'each job has its own name and command, and the shared options');
SELECT is((SELECT count(*) FROM jobs.job_audit AS a JOIN jobs.scheduled_job AS j USING (job_id)
           WHERE j.job_name LIKE 't%' AND a.action = 'created' AND a.changed_by = 'alice'
             AND a.new_values = jsonb_strip_nulls(jobs_internal._audit_values(to_jsonb(j)))
             AND a.fields = ARRAY(SELECT k FROM jsonb_object_keys(a.new_values) AS k ORDER BY k)),
          50::bigint, 'the audit trail has one created row per job, by alice, with its definition');
SELECT is((SELECT array_agg(a.job_id ORDER BY a.audit_id) = array_agg(a.job_id ORDER BY a.job_id)
           FROM jobs.job_audit AS a WHERE a.job_name LIKE 't%'), true, 'the audit rows are in the order of the jobs');

-- Options that differ from row to row, and every option given.
SELECT is(pg_temp.as_role('alice', $$SELECT count(jobs.schedule('m' || i, (i % 3) || ' 3 * * *', 'SELECT 1'))
                                     FROM generate_series(1, 9) AS i$$),
          '9', 'schedules that differ per row');
SELECT is((SELECT string_agg(job_name || '=' || schedule, ',' ORDER BY job_id) FROM jobs.scheduled_job
           WHERE job_name LIKE 'm%'),
          'm1=1 3 * * *,m2=2 3 * * *,m3=0 3 * * *,m4=1 3 * * *,m5=2 3 * * *,m6=0 3 * * *,m7=1 3 * * *,m8=2 3 * * *,m9=0 3 * * *',
          'each job has its own schedule');
SELECT is(pg_temp.as_role('alice', $$SELECT count(jobs.schedule('o' || i, '0 4 * * *', 'SELECT 1', timezone => 'Europe/Berlin',
                                     enabled => false, timeout => '5 minutes', max_retries => 2, overlap => 'queue',
                                     misfire => 'run_once', starting_deadline => '10 minutes', max_runs => 3,
                                     start_at => '2030-01-01 00:00+00', end_at => '2031-01-01 00:00+00',
                                     min_trigger_interval => '1 minute')) FROM generate_series(1, 5) AS i$$),
          '5', 'jobs with every option given');
SELECT is((SELECT count(DISTINCT row(timezone, enabled, timeout, max_retries, overlap, misfire, starting_deadline,
                                     max_runs, start_at, end_at, min_trigger_interval)::text)
           FROM jobs.scheduled_job WHERE job_name LIKE 'o%' AND timezone = 'Europe/Berlin' AND NOT enabled
             AND timeout = '5 minutes' AND max_retries = 2 AND overlap = 'queue' AND misfire = 'run_once'
             AND max_runs = 3 AND min_trigger_interval = '1 minute'),
          1::bigint, '... all of them stored');

-- Redefinitions in the same statement ---------------------------------------------
SELECT pg_temp.as_role('alice', $$SELECT string_agg(jobs.schedule(n, '0 5 * * *', c)::text, ',')
                                  FROM (VALUES ('d1', 'SELECT 1'), ('d2', 'SELECT 2'), ('d1', 'SELECT 3'),
                                               ('t7', 'SELECT 7 + 0')) AS v (n, c)$$) AS d_ids \gset
SELECT is(:'d_ids', (SELECT string_agg(id::text, ',' ORDER BY v.o)
                     FROM (VALUES (1, 'd1'), (2, 'd2'), (3, 'd1'), (4, 't7')) AS v (o, n)
                     CROSS JOIN LATERAL (SELECT job_id AS id FROM jobs.scheduled_job WHERE job_name = v.n) AS j),
          'a name given twice, or taken before, redefines that job and returns its id');
SELECT is((SELECT string_agg(job_name || ':' || command, ',' ORDER BY job_name) FROM jobs.scheduled_job
           WHERE job_name IN ('d1', 'd2', 't7')),
          'd1:SELECT 3,d2:SELECT 2,t7:SELECT 7 + 0', '... with the last definition');

-- A job of the statement is there for what follows in it --------------------------
SELECT is(pg_temp.as_role('alice', $$SELECT count(jobs.unschedule(jobs.schedule('u' || i, '0 6 * * *', 'SELECT 1')))
                                     FROM generate_series(1, 3) AS i$$),
          '3', 'jobs.unschedule finds each job created earlier in the same statement');
SELECT is((SELECT count(*) FROM jobs.scheduled_job WHERE job_name LIKE 'u%'), 0::bigint, '... and removes it');
SELECT is((SELECT string_agg(action, ',' ORDER BY audit_id) FROM jobs.job_audit WHERE job_name = 'u2'),
          'created,unscheduled', '... and the audit trail has both');

-- The checks still apply to every row ------------------------------------------------
SELECT throws_ok($$SELECT pg_temp.as_role('alice', 'SELECT count(jobs.schedule(n, ''0 3 * * *'', ''SELECT 1''))
                                                    FROM (VALUES (''b1''), (''b2''), (''  '')) AS v (n)')$$,
                 '22023', 'job name must not be empty', 'a blank name in the middle of a statement is refused');
SELECT throws_ok($$SELECT pg_temp.as_role('alice', 'SELECT count(jobs.schedule(''c'' || i, ''0 3 * * *'',
                                                    CASE WHEN i = 3 THEN '' '' ELSE ''SELECT 1'' END))
                                                    FROM generate_series(1, 4) AS i')$$,
                 '22023', 'command must not be empty', 'so is a blank command');
SELECT is((SELECT count(*) FROM jobs.scheduled_job WHERE job_name IN ('b1', 'b2', 'c1', 'c2')), 0::bigint,
          '... and the statement creates no job');
SELECT throws_ok($$SELECT pg_temp.as_role('alice', 'SELECT count(jobs.schedule(''q'' || i, ''0 3 * * *'', ''SELECT 1''))
                                                    FROM generate_series(1, 40) AS i')$$,
                 '53400', 'role "alice" already has 100 jobs, and jobs.max_jobs_per_owner is 100',
                 'the job quota counts the jobs of the statement');
SELECT is((SELECT count(*) FROM jobs.scheduled_job WHERE owner = 'alice'::regrole), 66::bigint,
          '... and the statement creates none');
SELECT throws_ok($$SELECT pg_temp.as_role('alice', 'SELECT count(jobs.schedule(''f'' || i, ''* * * * * *'', ''SELECT 1''))
                                                    FROM generate_series(1, 3) AS i')$$,
                 '22023', NULL, 'jobs.min_schedule_interval applies to a role''s statement');
SELECT throws_ok($$SELECT pg_temp.as_role('alice', 'SELECT count(jobs.schedule(''z'' || i, ''0 3 * * *'', ''SELECT 1'',
                                                    timezone => CASE WHEN i < 3 THEN ''UTC'' ELSE ''Mars/Olympus'' END))
                                                    FROM generate_series(1, 4) AS i')$$,
                 '22023', NULL, 'a bad time zone in a later row is refused');

-- As a superuser ------------------------------------------------------------------------
SELECT is((SELECT count(jobs.schedule('s' || i, '* * * * * *', 'SELECT 1')) FROM generate_series(1, 200) AS i),
          200::bigint, 'a superuser creates 200 jobs in one statement (no quota, no shortest gap)');
SELECT is((SELECT count(*) FROM jobs.job_audit WHERE job_name LIKE 's%' AND action = 'created'
             AND changed_by = current_user),
          200::bigint, '... recorded as the superuser''s');

-- The audit definition, C and SQL --------------------------------------------------------
SELECT jobs.schedule_http('h1', '0 4 * * *', 'https://hooks.example.com/x', 'PUT',
                          headers => '{"Authorization": "Bearer x", "X-A": "b"}',
                          body => '{"a": null, "b": {"c": null, "d": [1, null]}, "e": "2020-01-01"}') AS h1 \gset
SELECT jobs.schedule_http('h2', NULL, 'https://hooks.example.com/y', body => 'null') AS h2 \gset
SELECT jobs.schedule_in('once', '1 hour', 'SELECT 1') AS once \gset
UPDATE jobs.scheduled_job SET enabled = false, disabled_reason = 'for the test' WHERE job_name = 's1';
SELECT is((SELECT count(*) FROM jobs.scheduled_job AS j
           WHERE jobs_internal._audit_definition(j) IS DISTINCT FROM jsonb_strip_nulls(jobs_internal._audit_values(to_jsonb(j)))),
          0::bigint, 'jobs_internal._audit_definition is jsonb_strip_nulls(jobs_internal._audit_values(to_jsonb(job))) for every job');
SELECT is((SELECT count(*) FROM jobs.scheduled_job AS j
           WHERE jobs_internal._audit_fields(jobs_internal._audit_definition(j))
                 IS DISTINCT FROM ARRAY(SELECT k FROM jsonb_object_keys(jobs_internal._audit_definition(j)) AS k ORDER BY k)),
          0::bigint, 'jobs_internal._audit_fields lists the keys in ORDER BY order');
SELECT is((SELECT jobs_internal._audit_definition(j) -> 'http_headers' FROM jobs.scheduled_job AS j WHERE job_name = 'h1'),
          '{"Authorization": "***", "X-A": "***"}'::jsonb, 'header values are never shown');

-- The syntax check remembers the last command that passed, with the parser
-- settings it passed under: the same text under other settings is checked
-- again. With standard_conforming_strings off, \' escapes the quote, and
-- the literal never ends.
SELECT lives_ok($$SELECT jobs.schedule('memo-1', NULL, $c$SELECT 'a\'$c$)$$,
                'a command passes the syntax check');
SET LOCAL standard_conforming_strings = off;
SELECT throws_ok($$SELECT jobs.schedule('memo-2', NULL, $c$SELECT 'a\'$c$)$$, '42601', NULL,
                 'the same command is checked again under other parser settings');
RESET standard_conforming_strings;
SELECT throws_ok($$SELECT count(jobs.schedule('memo-b' || i, NULL, CASE WHEN i < 3 THEN 'SELECT 1' ELSE 'SELEC 1' END))
                   FROM generate_series(1, 4) AS i$$, '42601', NULL,
                 'a different command after one that passed is checked');

SELECT * FROM finish();
ROLLBACK;
