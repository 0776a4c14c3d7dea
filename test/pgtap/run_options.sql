-- pgTAP: the run options of jobs.schedule, jobs.schedule_http, jobs.schedule_in
-- and jobs.alter (overlap, max_concurrent, misfire, starting_deadline,
-- start_at, end_at, max_runs, run_at, min_trigger_interval): validation, what
-- is stored, the min_trigger_interval refusal of jobs.trigger, the
-- jobs.max_jobs_per_owner limit and disabled_reason. What the launcher does
-- with the options is tested by the integration tests. Everything rolls back.
-- Run from the repository root: pg_prove test/pgtap/run_options.sql
\ir lib/begin.sql

SELECT plan(108);

-- The DETAIL and HINT of the error a command raises (NULL if it raises none).
CREATE FUNCTION pg_temp.error_parts(command text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    detail text;
    hint text;
BEGIN
    EXECUTE command;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN concat_ws(' | ', nullif(detail, ''), nullif(hint, ''));
END
$$;

-- Validation ------------------------------------------------------------------
SELECT throws_ok($$SELECT jobs.schedule('o', '@daily', 'SELECT 1', overlap => 'sometimes')$$, '22023',
                 'overlap must be skip, queue, allow or replace, not "sometimes"', 'schedule: unknown overlap');
SELECT throws_ok($$SELECT jobs.schedule('o', '@daily', 'SELECT 1', overlap => NULL)$$, '22023',
                 'overlap must be skip, queue, allow or replace, not NULL', 'schedule: NULL overlap');
SELECT is(pg_temp.error_parts($$SELECT jobs.schedule('o', '@daily', 'SELECT 1', overlap => 'x')$$),
          'Pass ''skip'' (the default: a run due while one is running is skipped), ''queue'', ''allow'' (with '
          'max_concurrent) or ''replace''.', 'overlap: the hint');
SELECT throws_ok($$SELECT jobs.schedule('o', '@daily', 'SELECT 1', max_concurrent => 0)$$, '22023',
                 'max_concurrent must be between 1 and 1000, not 0', 'schedule: max_concurrent 0');
SELECT throws_ok($$SELECT jobs.schedule('o', '@daily', 'SELECT 1', max_concurrent => 1001)$$, '22023',
                 'max_concurrent must be between 1 and 1000, not 1001', 'schedule: max_concurrent above 1000');
SELECT throws_ok($$SELECT jobs.schedule('o', '@daily', 'SELECT 1', max_concurrent => NULL)$$, '22023',
                 'max_concurrent must be between 1 and 1000, not NULL', 'schedule: NULL max_concurrent');
SELECT throws_ok($$SELECT jobs.schedule('o', '@daily', 'SELECT 1', misfire => 'catch_up')$$, '22023',
                 'misfire must be skip, run_once or run_all, not "catch_up"', 'schedule: unknown misfire');
SELECT throws_ok($$SELECT jobs.schedule('o', '@daily', 'SELECT 1', misfire => NULL)$$, '22023',
                 'misfire must be skip, run_once or run_all, not NULL', 'schedule: NULL misfire');
SELECT throws_ok($$SELECT jobs.schedule('o', '@daily', 'SELECT 1', starting_deadline => '0 seconds')$$, '22023',
                 'starting_deadline must be positive, not 00:00:00', 'schedule: zero starting_deadline');
SELECT throws_ok($$SELECT jobs.schedule('o', '@daily', 'SELECT 1', starting_deadline => '-1 minute')$$, '22023',
                 'starting_deadline must be positive, not -00:01:00', 'schedule: negative starting_deadline');
SELECT throws_ok($$SELECT jobs.schedule('o', NULL, 'SELECT 1', min_trigger_interval => '0 seconds')$$, '22023',
                 'min_trigger_interval must be positive, not 00:00:00', 'schedule: zero min_trigger_interval');
SELECT throws_ok($$SELECT jobs.schedule('o', NULL, 'SELECT 1', min_trigger_interval => '-5 seconds')$$, '22023',
                 'min_trigger_interval must be positive, not -00:00:05',
                 'schedule: negative min_trigger_interval');
SELECT throws_ok($$SELECT jobs.schedule('o', '@daily', 'SELECT 1', max_runs => 0)$$, '22023',
                 'max_runs must be at least 1, not 0', 'schedule: max_runs 0');
SELECT throws_ok($$SELECT jobs.schedule('o', '@daily', 'SELECT 1', max_runs => -3)$$, '22023',
                 'max_runs must be at least 1, not -3', 'schedule: negative max_runs');
SELECT throws_ok($$SELECT jobs.schedule('o', '@daily', 'SELECT 1', start_at => '2030-01-01 00:00+00',
                                        end_at => '2030-01-01 00:00+00')$$, '22023',
                 'end_at (2030-01-01 00:00:00+00) must be later than start_at (2030-01-01 00:00:00+00)',
                 'schedule: end_at equal to start_at');
SELECT throws_ok($$SELECT jobs.schedule('o', '@daily', 'SELECT 1', start_at => '2030-01-02 00:00+00',
                                        end_at => '2030-01-01 00:00+00')$$, '22023',
                 'end_at (2030-01-01 00:00:00+00) must be later than start_at (2030-01-02 00:00:00+00)',
                 'schedule: end_at before start_at');
SELECT throws_ok($$SELECT jobs.schedule('o', '@daily', 'SELECT 1', run_at => '2030-01-01 00:00+00')$$, '22023',
                 'a job with run_at runs once, so its schedule must be NULL, not "@daily"',
                 'schedule: run_at with a schedule');
SELECT is(pg_temp.error_parts($$SELECT jobs.schedule('o', '@daily', 'SELECT 1', run_at => now())$$),
          'A one-shot job has schedule NULL: pass schedule => NULL with run_at, or leave run_at out for a recurring '
          'job (jobs.alter: reset => ''{run_at}'').', 'run_at with a schedule: the hint');
SELECT throws_ok($$SELECT jobs.schedule_http('o', '@daily', 'http://127.0.0.1:1/', run_at => now())$$, '22023',
                 'a job with run_at runs once, so its schedule must be NULL, not "@daily"',
                 'schedule_http: run_at with a schedule');
SELECT throws_ok($$SELECT jobs.schedule_http('o', '@daily', 'http://127.0.0.1:1/', overlap => 'never')$$, '22023',
                 'overlap must be skip, queue, allow or replace, not "never"', 'schedule_http: unknown overlap');
SELECT throws_ok($$SELECT jobs.schedule_http('o', '@daily', 'http://127.0.0.1:1/', max_runs => 0)$$, '22023',
                 'max_runs must be at least 1, not 0', 'schedule_http: max_runs 0');
SELECT throws_ok($$SELECT jobs.schedule_in('o', '0 seconds', 'SELECT 1')$$, '22023',
                 'delay must be positive, not 00:00:00', 'schedule_in: zero delay');
SELECT throws_ok($$SELECT jobs.schedule_in('o', '-1 hour', 'SELECT 1')$$, '22023',
                 'delay must be positive, not -01:00:00', 'schedule_in: negative delay');
SELECT throws_ok($$SELECT jobs.schedule_in('o', NULL, 'SELECT 1')$$, '22023',
                 'delay must be positive, not NULL', 'schedule_in: NULL delay');
SELECT throws_ok($$SELECT jobs.schedule_in('o', '1 hour', '')$$, '22023',
                 'command must not be empty', 'schedule_in: the definition is checked as by schedule');
SELECT is((SELECT count(*) FROM jobs.scheduled_job WHERE job_name = 'o'), 0::bigint, 'nothing was stored');

-- Storage: schedule -------------------------------------------------------------
SELECT jobs.schedule('pgtap opts', '*/5 * * * *', 'SELECT 1', overlap => 'allow', max_concurrent => 3,
                     misfire => 'run_all', starting_deadline => '2 minutes', start_at => '2030-01-01 00:00+00',
                     end_at => '2031-01-01 00:00+00', max_runs => 10, min_trigger_interval => '30 seconds') AS job \gset
SELECT results_eq($$SELECT overlap, max_concurrent, misfire, starting_deadline, start_at, end_at, max_runs, run_at,
                           min_trigger_interval
                    FROM jobs.scheduled_job WHERE job_id = $$ || :job,
                  $$VALUES ('allow', 3, 'run_all', interval '2 minutes', timestamptz '2030-01-01 00:00+00',
                            timestamptz '2031-01-01 00:00+00', 10, NULL::timestamptz, interval '30 seconds')$$,
                  'schedule stores every option');
SELECT is(jobs.schedule('pgtap opts', '*/5 * * * *', 'SELECT 1'), :job::bigint, 'redefined: the same job');
SELECT results_eq($$SELECT overlap, max_concurrent, misfire, starting_deadline, start_at, end_at, max_runs, run_at,
                           min_trigger_interval
                    FROM jobs.scheduled_job WHERE job_id = $$ || :job,
                  $$VALUES ('skip', 1, 'skip', NULL::interval, NULL::timestamptz, NULL::timestamptz, NULL::integer,
                            NULL::timestamptz, NULL::interval)$$,
                  'options left out of a redefinition take their defaults');

SELECT jobs.schedule('pgtap once', NULL, 'SELECT 1', run_at => '2030-06-01 12:00+00') AS once \gset
SELECT results_eq($$SELECT schedule, run_at FROM jobs.scheduled_job WHERE job_id = $$ || :once,
                  $$VALUES (NULL::text, timestamptz '2030-06-01 12:00+00')$$, 'a one-shot job: schedule NULL, run_at');

-- Storage: alter ------------------------------------------------------------------
SELECT lives_ok($$SELECT jobs.alter('pgtap opts', overlap => 'queue', misfire => 'run_once', max_runs => 5,
                                    start_at => '2030-01-01 00:00+00', end_at => '2030-02-01 00:00+00',
                                    starting_deadline => '1 minute', min_trigger_interval => '1 hour')$$,
                'alter the options by name');
SELECT results_eq($$SELECT overlap, max_concurrent, misfire, starting_deadline, start_at, end_at, max_runs,
                           min_trigger_interval
                    FROM jobs.scheduled_job WHERE job_id = $$ || :job,
                  $$VALUES ('queue', 1, 'run_once', interval '1 minute', timestamptz '2030-01-01 00:00+00',
                            timestamptz '2030-02-01 00:00+00', 5, interval '1 hour')$$,
                  'alter stores them');
SELECT lives_ok(format('SELECT jobs.alter(%s, overlap => %L, max_concurrent => 7)', :job, 'allow'),
                'alter by job_id');
SELECT lives_ok($$SELECT jobs.alter('pgtap opts', command => 'SELECT 2')$$, 'alter something else');
SELECT results_eq($$SELECT overlap, max_concurrent, misfire, starting_deadline, start_at, end_at, max_runs,
                           min_trigger_interval, command
                    FROM jobs.scheduled_job WHERE job_id = $$ || :job,
                  $$VALUES ('allow', 7, 'run_once', interval '1 minute', timestamptz '2030-01-01 00:00+00',
                            timestamptz '2030-02-01 00:00+00', 5, interval '1 hour', 'SELECT 2')$$,
                  'NULL leaves an option unchanged');
SELECT throws_ok($$SELECT jobs.alter('pgtap opts', misfire => 'sometimes')$$, '22023',
                 'misfire must be skip, run_once or run_all, not "sometimes"', 'alter: unknown misfire');
SELECT throws_ok($$SELECT jobs.alter('pgtap opts', max_concurrent => 0)$$, '22023',
                 'max_concurrent must be between 1 and 1000, not 0', 'alter: max_concurrent 0');
SELECT throws_ok($$SELECT jobs.alter('pgtap opts', end_at => '2029-01-01 00:00+00')$$, '22023',
                 'end_at (2029-01-01 00:00:00+00) must be later than start_at (2030-01-01 00:00:00+00)',
                 'alter: end_at before the stored start_at');
SELECT throws_ok($$SELECT jobs.alter('pgtap opts', starting_deadline => '0 seconds')$$, '22023',
                 'starting_deadline must be positive, not 00:00:00', 'alter: zero starting_deadline');
SELECT throws_ok($$SELECT jobs.alter('pgtap opts', min_trigger_interval => '-1 second')$$, '22023',
                 'min_trigger_interval must be positive, not -00:00:01', 'alter: negative min_trigger_interval');
SELECT throws_ok($$SELECT jobs.alter('pgtap opts', max_runs => 0)$$, '22023',
                 'max_runs must be at least 1, not 0', 'alter: max_runs 0');
SELECT throws_ok($$SELECT jobs.alter('pgtap opts', run_at => now())$$, '22023',
                 'a job with run_at runs once, so its schedule must be NULL, not "*/5 * * * *"',
                 'alter: run_at on a recurring job');
SELECT throws_ok($$SELECT jobs.alter('pgtap once', schedule => '@daily')$$, '22023',
                 'a job with run_at runs once, so its schedule must be NULL, not "@daily"',
                 'alter: a schedule on a one-shot job');
SELECT lives_ok($$SELECT jobs.alter('pgtap once', schedule => '@daily', reset => '{run_at}')$$,
                'alter: a schedule on a one-shot job, resetting run_at');
SELECT results_eq($$SELECT schedule, run_at FROM jobs.scheduled_job WHERE job_id = $$ || :once,
                  $$VALUES ('@daily', NULL::timestamptz)$$, 'the one-shot job became a recurring one');
SELECT lives_ok($$SELECT jobs.alter('pgtap opts', timeout => '5 minutes')$$, 'alter: a timeout');

-- Clearing with reset.
SELECT lives_ok($$SELECT jobs.alter('pgtap opts', reset => ARRAY['start_at', 'max_runs', 'starting_deadline',
                                                                 'min_trigger_interval', 'timeout'])$$,
                'alter: reset several options');
SELECT results_eq($$SELECT starting_deadline, start_at, end_at, max_runs, min_trigger_interval, timeout
                    FROM jobs.scheduled_job WHERE job_id = $$ || :job,
                  $$VALUES (NULL::interval, NULL::timestamptz, timestamptz '2030-02-01 00:00+00', NULL::integer,
                            NULL::interval, NULL::interval)$$,
                  'reset clears exactly the options it names');
SELECT lives_ok(format('SELECT jobs.alter(%s, reset => %L)', :job, '{end_at}'), 'reset by job_id');
SELECT is((SELECT end_at FROM jobs.scheduled_job WHERE job_id = :job), NULL, 'end_at cleared');
SELECT throws_ok($$SELECT jobs.alter('pgtap opts', reset => '{overlap}')$$, '22023',
                 'reset may name timeout, starting_deadline, start_at, end_at, max_runs, run_at, '
                 'min_trigger_interval, description, tags, run_if, blackout, not "overlap"', 'reset: an option that cannot be NULL');
SELECT throws_ok($$SELECT jobs.alter('pgtap opts', reset => ARRAY['max_runs', NULL])$$, '22023',
                 'reset may name timeout, starting_deadline, start_at, end_at, max_runs, run_at, '
                 'min_trigger_interval, description, tags, run_if, blackout, not NULL', 'reset: a NULL name');
SELECT throws_ok($$SELECT jobs.alter('pgtap opts', max_runs => 3, reset => '{max_runs,end_at}')$$, '22023',
                 'an option cannot be both given and reset: max_runs', 'reset: an option also given');

-- Storage: schedule_http and schedule_in ---------------------------------------------
SELECT jobs.schedule_http('pgtap hook', NULL, 'http://127.0.0.1:1/', overlap => 'replace', misfire => 'run_once',
                          max_runs => 2, run_at => '2030-03-01 00:00+00', min_trigger_interval => '10 seconds')
    AS hook \gset
SELECT results_eq($$SELECT kind, overlap, misfire, max_runs, run_at, min_trigger_interval
                    FROM jobs.scheduled_job WHERE job_id = $$ || :hook,
                  $$VALUES ('http', 'replace', 'run_once', 2, timestamptz '2030-03-01 00:00+00', interval '10 seconds')$$,
                  'schedule_http stores the options');
SELECT lives_ok($$SELECT jobs.alter('pgtap hook', reset => '{run_at}', schedule => '@hourly', overlap => 'queue')$$,
                'alter an HTTP job''s options');
SELECT results_eq($$SELECT schedule, overlap, run_at FROM jobs.scheduled_job WHERE job_id = $$ || :hook,
                  $$VALUES ('@hourly', 'queue', NULL::timestamptz)$$, 'stored');

SELECT jobs.schedule_in('pgtap later', '10 minutes', 'SELECT 42') AS later \gset
SELECT results_eq($$SELECT schedule, run_at, command, enabled, kind, overlap, misfire
                    FROM jobs.scheduled_job WHERE job_id = $$ || :later,
                  $$VALUES (NULL::text, now() + interval '10 minutes', 'SELECT 42', true, 'sql', 'skip', 'skip')$$,
                  'schedule_in: a one-shot job at now() + delay');
SELECT is(jobs.schedule_in('pgtap later', '1 day', 'SELECT 43'), :later::bigint, 'schedule_in again: the same job');
SELECT results_eq($$SELECT run_at, command FROM jobs.scheduled_job WHERE job_id = $$ || :later,
                  $$VALUES (now() + interval '1 day', 'SELECT 43')$$, 'schedule_in again: the new time and command');

-- min_trigger_interval ----------------------------------------------------------------
SELECT jobs.schedule('pgtap limited', NULL, 'SELECT 1', min_trigger_interval => '1 hour') AS limited \gset
SELECT jobs.trigger('pgtap limited') AS first_run \gset
SELECT ok(:first_run > 0, 'the first trigger is queued');
SELECT throws_ok($$SELECT jobs.trigger('pgtap limited')$$, '55000',
                 'job "pgtap limited" was triggered less than 01:00:00 ago', 'a second trigger within the interval');
SELECT is(pg_temp.error_parts($$SELECT jobs.trigger('pgtap limited')$$),
          (SELECT format('Its last manual trigger was queued at %s; its min_trigger_interval is 01:00:00. | '
                         'Trigger it again from %s on.', queued_at, queued_at + interval '1 hour')
           FROM jobs.job_execution WHERE execution_id = :first_run),
          'the refusal says when the next trigger is allowed');
SELECT throws_ok(format('SELECT jobs.trigger(%s)', :limited), '55000', NULL, 'by job_id too');
SELECT is((SELECT count(*) FROM jobs.job_execution WHERE job_id = :limited), 1::bigint, 'only one run queued');
UPDATE jobs.job_execution SET queued_at = queued_at - interval '61 minutes' WHERE execution_id = :first_run;
SELECT ok(jobs.trigger('pgtap limited') > :first_run, 'allowed again once the interval has passed');
SELECT throws_ok($$SELECT jobs.trigger('pgtap limited')$$, '55000', NULL, 'and counted from the latest trigger');
SELECT lives_ok($$SELECT jobs.alter('pgtap limited', reset => '{min_trigger_interval}')$$, 'remove the limit');
SELECT lives_ok($$SELECT jobs.trigger('pgtap limited')$$, 'without it, a trigger');
SELECT lives_ok($$SELECT jobs.trigger('pgtap limited')$$, 'and another at once');
INSERT INTO jobs.job_execution (job_id, job_name, owner, database, command, triggered_by, scheduled_for)
SELECT job_id, job_name, owner, database, command, 'schedule', now() FROM jobs.scheduled_job WHERE job_id = :once;
SELECT lives_ok($$SELECT jobs.alter('pgtap once', min_trigger_interval => '1 hour')$$, 'limit another job');
SELECT lives_ok($$SELECT jobs.trigger('pgtap once')$$, 'scheduled runs do not count as triggers');

-- jobs.max_jobs_per_owner ---------------------------------------------------------------
SELECT results_eq($$SELECT boot_val, context FROM pg_settings WHERE name = 'jobs.max_jobs_per_owner'$$,
                  $$VALUES ('1000', 'superuser')$$, 'max_jobs_per_owner: 1000 by default, superusers set it');
CREATE ROLE pgtap_quota_owner;
CREATE ROLE pgtap_quota_other;
GRANT USAGE ON SCHEMA jobs TO pgtap_quota_owner, pgtap_quota_other;
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_quota_owner', $$SELECT set_config('jobs.max_jobs_per_owner', '0', true)$$),
                 '42501', NULL, 'other roles may not change it');
SET LOCAL jobs.max_jobs_per_owner = 2;
SELECT lives_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_quota_owner',
                       $$SELECT jobs.schedule('q1', '@daily', 'SELECT 1')$$), 'the first job');
SELECT lives_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_quota_owner',
                       $$SELECT jobs.schedule_http('q2', NULL, 'http://127.0.0.1:1/')$$), 'the second job');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_quota_owner',
                        $$SELECT jobs.schedule('q3', '@daily', 'SELECT 1')$$),
                 '53400', 'role "pgtap_quota_owner" already has 2 jobs, and jobs.max_jobs_per_owner is 2',
                 'a third is refused');
SELECT is(pg_temp.error_parts(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_quota_owner',
                                     $$SELECT jobs.schedule('q3', '@daily', 'SELECT 1')$$)),
          'Remove a job with jobs.unschedule, or ask an administrator to raise jobs.max_jobs_per_owner.',
          'the refusal''s hint');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_quota_owner',
                        $$SELECT jobs.schedule_http('q3', NULL, 'http://127.0.0.1:1/')$$),
                 '53400', NULL, 'by schedule_http too');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_quota_owner',
                        $$SELECT jobs.schedule_in('q3', '1 hour', 'SELECT 1')$$),
                 '53400', NULL, 'and by schedule_in');
SELECT lives_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_quota_owner',
                       $$SELECT jobs.schedule('q1', '@hourly', 'SELECT 2')$$), 'redefining a job is fine');
SELECT lives_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_quota_owner',
                       $$SELECT jobs.schedule_http('q2', '@hourly', 'http://127.0.0.1:1/')$$),
                'redefining an HTTP job is fine');
SELECT lives_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_quota_other',
                       $$SELECT jobs.schedule('q3', '@daily', 'SELECT 1')$$), 'the limit is per owner');
SELECT lives_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_quota_owner', $$SELECT jobs.unschedule('q2')$$),
                'unschedule one');
SELECT lives_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_quota_owner',
                       $$SELECT jobs.schedule_in('q3', '1 hour', 'SELECT 1')$$), 'then there is room again');
RESET jobs.max_jobs_per_owner;

-- disabled_reason -------------------------------------------------------------------------
SELECT is((SELECT array_agg(attname::text ORDER BY attnum DESC) FROM (
               SELECT attname, attnum FROM pg_attribute WHERE attrelid = 'jobs.job_status'::regclass AND attnum > 0
               ORDER BY attnum DESC LIMIT 3) AS a), ARRAY['tags', 'description', 'disabled_reason'],
          'job_status ends with disabled_reason, then description and tags');
-- What the launcher does when a job disables itself.
UPDATE jobs.scheduled_job SET enabled = false, disabled_reason = 'max_runs (5) reached' WHERE job_id = :job;
SELECT results_eq($$SELECT enabled, disabled_reason FROM jobs.job_status WHERE job_id = $$ || :job,
                  $$VALUES (false, 'max_runs (5) reached')$$, 'job_status shows why a job disabled itself');
SELECT lives_ok($$SELECT jobs.disable('pgtap opts')$$, 'disable by hand');
SELECT is((SELECT disabled_reason FROM jobs.scheduled_job WHERE job_id = :job), 'max_runs (5) reached',
          'disabling by hand keeps the reason');
SELECT lives_ok($$SELECT jobs.enable('pgtap opts')$$, 'enable by hand');
SELECT results_eq($$SELECT enabled, disabled_reason FROM jobs.scheduled_job WHERE job_id = $$ || :job,
                  $$VALUES (true, NULL::text)$$, 'enable clears disabled_reason');
UPDATE jobs.scheduled_job SET enabled = false, disabled_reason = 'end_at passed' WHERE job_id = :job;
SELECT lives_ok(format('SELECT jobs.alter(%s, enabled => true)', :job), 'alter enabled => true');
SELECT results_eq($$SELECT enabled, disabled_reason FROM jobs.scheduled_job WHERE job_id = $$ || :job,
                  $$VALUES (true, NULL::text)$$, 'alter enabled => true clears disabled_reason');
UPDATE jobs.scheduled_job SET enabled = false, disabled_reason = 'one-shot done' WHERE job_id = :job;
SELECT lives_ok($$SELECT jobs.alter('pgtap opts', command => 'SELECT 3')$$, 'alter without enabled');
SELECT is((SELECT disabled_reason FROM jobs.scheduled_job WHERE job_id = :job), 'one-shot done',
          'keeps disabled_reason');
SELECT lives_ok($$SELECT jobs.schedule('pgtap opts', '@daily', 'SELECT 1')$$, 'redefine');
SELECT results_eq($$SELECT enabled, disabled_reason FROM jobs.scheduled_job WHERE job_id = $$ || :job,
                  $$VALUES (true, NULL::text)$$, 'a redefinition clears disabled_reason');

-- jobs.job_status.next_run_at follows the window and one-shots.
SELECT jobs.schedule('pgtap next one-shot', NULL, 'SELECT 1', run_at => '2031-05-01 12:00+00') AS ignored \gset
SELECT is((SELECT next_run_at FROM jobs.job_status WHERE job_name = 'pgtap next one-shot'),
          '2031-05-01 12:00+00'::timestamptz, 'next_run_at of a one-shot job is its run_at');
SELECT jobs.schedule('pgtap next window', '0 * * * *', 'SELECT 1', start_at => '2031-05-01 12:30+00') AS ignored \gset
SELECT is((SELECT next_run_at FROM jobs.job_status WHERE job_name = 'pgtap next window'),
          '2031-05-01 13:00+00'::timestamptz, 'next_run_at: the first fire time from start_at');
SELECT jobs.schedule('pgtap next start', '0 * * * *', 'SELECT 1', start_at => '2031-05-01 13:00+00') AS ignored \gset
SELECT is((SELECT next_run_at FROM jobs.job_status WHERE job_name = 'pgtap next start'),
          '2031-05-01 13:00+00'::timestamptz, 'next_run_at: start_at itself when the schedule fires then');
SELECT jobs.schedule('pgtap next ended', '0 * * * *', 'SELECT 1', start_at => '2001-01-01 00:00+00',
                     end_at => '2001-01-02 00:00+00') AS ignored \gset
SELECT is((SELECT next_run_at FROM jobs.job_status WHERE job_name = 'pgtap next ended'), NULL::timestamptz,
          'next_run_at: none after end_at');

-- Security 4: jobs.max_timeout (default 1 day) caps every job's timeout.
SELECT is(current_setting('jobs.max_timeout'), '1d', 'jobs.max_timeout defaults to 1 day');
SELECT throws_ok($$SELECT jobs.schedule('pgtap long', NULL, 'SELECT 1', timeout => '100 years')$$, '22023',
                 'timeout 100 years is longer than jobs.max_timeout (1 day)',
                 'schedule: a timeout past jobs.max_timeout is refused (22023)');
SELECT throws_ok($$SELECT jobs.schedule('pgtap long', NULL, 'SELECT 1', timeout => '25 hours')$$, '22023',
                 'timeout 25:00:00 is longer than jobs.max_timeout (1 day)', 'schedule: 25 hours too');
SELECT lives_ok($$SELECT jobs.schedule('pgtap long', NULL, 'SELECT 1', timeout => '1 day')$$,
                'schedule: a timeout of jobs.max_timeout itself is accepted');
SELECT throws_ok($$SELECT jobs.alter('pgtap long', timeout => '2 days')$$, '22023', NULL,
                 'alter: a timeout past jobs.max_timeout is refused (22023)');
SET LOCAL jobs.max_timeout = '1h';
SELECT throws_ok($$SELECT jobs.schedule_http('pgtap long http', NULL, 'https://example.com/', timeout => '2 hours')$$,
                 '22023', 'timeout 02:00:00 is longer than jobs.max_timeout (01:00:00)',
                 'schedule_http: a timeout past jobs.max_timeout is refused (22023)');
SET LOCAL jobs.max_timeout = 0;
SELECT lives_ok($$SELECT jobs.schedule('pgtap long', NULL, 'SELECT 1', timeout => '100 years')$$,
                'jobs.max_timeout = 0: no limit');
RESET jobs.max_timeout;
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap_quota_owner', 'SET jobs.max_timeout = 0')$$, '42501', NULL,
                 'only a superuser may change jobs.max_timeout');

SELECT * FROM finish();
ROLLBACK;
