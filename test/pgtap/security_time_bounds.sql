-- pgTAP: limits on times and intervals (issue 10, points 13 and 14). An
-- ordinary role granted USAGE ON SCHEMA jobs cannot define a job with a
-- non-finite or out-of-range run_at/start_at/end_at, nor with an interval
-- option longer than 100 years or with a negative part (22023), and values a
-- superuser wrote into the table directly do not break jobs.job_status or
-- jobs.trigger. What the launcher does with such rows is tested by
-- test/integration/security_launcher_isolation.sh. Everything rolls back.
-- Run from the repository root: pg_prove test/pgtap/security_time_bounds.sql
\ir lib/begin.sql

SET LOCAL intervalstyle = 'postgres';

SELECT plan(38);

CREATE ROLE tb_alice LOGIN;
GRANT USAGE ON SCHEMA jobs TO tb_alice;

-- Runs SQL as tb_alice (pgTAP's own bookkeeping must stay with us). On error
-- the caller's subtransaction also undoes the SET ROLE.
CREATE FUNCTION pg_temp.as_alice(command text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    answer text;
BEGIN
    SET LOCAL ROLE tb_alice;
    EXECUTE command INTO answer;
    RESET ROLE;
    RETURN answer;
END
$$;

-- The DETAIL and HINT of the error a command raises as tb_alice (NULL if none).
CREATE FUNCTION pg_temp.error_parts(command text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    detail text;
    hint text;
BEGIN
    PERFORM pg_temp.as_alice(command);
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN concat_ws(' | ', nullif(detail, ''), nullif(hint, ''));
END
$$;

-- Times ------------------------------------------------------------------------------
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('neg', NULL, 'SELECT 1', run_at => '-infinity',
                                                                   misfire => 'run_once')$q$)$$,
                 '22023', 'run_at must be between 1970-01-01 00:00:00+00 and 9999-12-31 23:59:59+00, not -infinity',
                 'run_at -infinity is refused (the launcher hang of point 13)');
SELECT is(pg_temp.error_parts($q$SELECT jobs.schedule('neg', NULL, 'SELECT 1', run_at => '-infinity')$q$),
          'pg_jobs takes finite times from 1970-01-01 00:00:00 to 9999-12-31 23:59:59 UTC. | Pass a time in that '
          'range, such as now() + interval ''1 hour'', or leave run_at out.',
          'an out-of-range time: DETAIL gives the range, HINT the fix');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('inf', NULL, 'SELECT 1', run_at => 'infinity')$q$)$$,
                 '22023', 'run_at must be between 1970-01-01 00:00:00+00 and 9999-12-31 23:59:59+00, not infinity',
                 'run_at infinity is refused');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('bc', '@daily', 'SELECT 1',
                                                                   start_at => '4714-11-24 00:00:00+00 BC')$q$)$$,
                 '22023',
                 'start_at must be between 1970-01-01 00:00:00+00 and 9999-12-31 23:59:59+00, not 4714-11-24 00:00:00+00 BC',
                 'start_at at the first representable time is refused (point 14)');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('far', '@daily', 'SELECT 1',
                                                                   end_at => '10000-01-01 00:00:00+00')$q$)$$,
                 '22023',
                 'end_at must be between 1970-01-01 00:00:00+00 and 9999-12-31 23:59:59+00, not 10000-01-01 00:00:00+00',
                 'end_at after 9999 is refused');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('old', NULL, 'SELECT 1',
                                                                   run_at => '1969-12-31 23:59:59.999999+00')$q$)$$,
                 '22023', NULL, 'run_at just before 1970 is refused');
SELECT lives_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('first', NULL, 'SELECT 1',
                                                                  run_at => '1970-01-01 00:00:00+00')$q$)$$,
                'run_at 1970-01-01 00:00:00+00 is accepted');
SELECT lives_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('last', '@daily', 'SELECT 1',
                                                                  start_at => now(),
                                                                  end_at => '9999-12-31 23:59:59+00')$q$)$$,
                'end_at 9999-12-31 23:59:59+00 is accepted');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.alter('last', start_at => '-infinity')$q$)$$,
                 '22023', 'start_at must be between 1970-01-01 00:00:00+00 and 9999-12-31 23:59:59+00, not -infinity',
                 'jobs.alter refuses start_at -infinity');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.alter('first', run_at => 'infinity')$q$)$$,
                 '22023', 'run_at must be between 1970-01-01 00:00:00+00 and 9999-12-31 23:59:59+00, not infinity',
                 'jobs.alter refuses run_at infinity');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule_http('h', NULL, 'http://127.0.0.1:1/',
                                                                        run_at => '-infinity')$q$)$$,
                 '22023', 'run_at must be between 1970-01-01 00:00:00+00 and 9999-12-31 23:59:59+00, not -infinity',
                 'jobs.schedule_http refuses run_at -infinity');

-- Intervals --------------------------------------------------------------------------
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('d', '@daily', 'SELECT 1',
                                                                   starting_deadline => '178000000 years')$q$)$$,
                 '22023', 'starting_deadline must be at most 100 years, not 178000000 years',
                 'starting_deadline of 178000000 years is refused (point 14)');
SELECT is(pg_temp.error_parts($q$SELECT jobs.schedule('d', '@daily', 'SELECT 1', starting_deadline => '101 years')$q$),
          'pg_jobs takes intervals of at most 100 years, without negative parts. | Pass an interval such as '
          '''5 minutes'' or ''2 days'' for starting_deadline.',
          'an out-of-range interval: DETAIL gives the bound, HINT the fix');
SELECT lives_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('d', '@daily', 'SELECT 1',
                                                                  starting_deadline => '100 years')$q$)$$,
                'starting_deadline of exactly 100 years is accepted');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('t', '@daily', 'SELECT 1',
                                                                   timeout => '101 years')$q$)$$,
                 '22023', 'timeout must be at most 100 years, not 101 years', 'timeout over 100 years is refused');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('r', '@daily', 'SELECT 1',
                                                                   retry_backoff => '150 years',
                                                                   retry_backoff_max => '200 years')$q$)$$,
                 '22023', 'retry_backoff must be at most 100 years, not 150 years',
                 'retry_backoff over 100 years is refused');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('r', '@daily', 'SELECT 1',
                                                                   retry_backoff_max => '200 years')$q$)$$,
                 '22023', 'retry_backoff_max must be at most 100 years, not 200 years',
                 'retry_backoff_max over 100 years is refused');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('m', NULL, 'SELECT 1',
                                                                   min_trigger_interval => '1000 years')$q$)$$,
                 '22023', 'min_trigger_interval must be at most 100 years, not 1000 years',
                 'min_trigger_interval over 100 years is refused');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('n', '@daily', 'SELECT 1',
                                                                   starting_deadline => '1 day -1 hour')$q$)$$,
                 '22023', 'starting_deadline must not have a negative part, not 1 day -01:00:00',
                 'an interval with a negative part is refused');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('n', '@daily', 'SELECT 1',
                                 starting_deadline => '1000000 years -359999999 days')$q$)$$,
                 '22023', 'starting_deadline must not have a negative part, not 1000000 years -359999999 days',
                 'a huge interval whose parts cancel out to one day is refused');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.alter('last', timeout => '178000000 years')$q$)$$,
                 '22023', 'timeout must be at most 100 years, not 178000000 years',
                 'jobs.alter refuses a huge timeout');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.alter('last', starting_deadline => '200 years')$q$)$$,
                 '22023', 'starting_deadline must be at most 100 years, not 200 years',
                 'jobs.alter refuses a huge starting_deadline');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule_http('h', '@daily', 'http://127.0.0.1:1/',
                                                                        starting_deadline => '200 years')$q$)$$,
                 '22023', 'starting_deadline must be at most 100 years, not 200 years',
                 'jobs.schedule_http refuses a huge starting_deadline');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule_in('later', '101 years', 'SELECT 1')$q$)$$,
                 '22023', 'delay must be at most 100 years, not 101 years',
                 'jobs.schedule_in refuses a delay over 100 years');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('e', '@every 36501 days', 'SELECT 1')$q$)$$,
                 '22023', 'invalid cron schedule: @every interval must be at most 36500 days (100 years)',
                 '@every over 100 years is refused');
SELECT lives_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('e', '@every 36500 days', 'SELECT 1')$q$)$$,
                '@every 36500 days is accepted');
SELECT is((SELECT count(*) FROM jobs.scheduled_job WHERE owner = 'tb_alice'::regrole), 4::bigint,
          'only the four valid definitions were stored');

-- Values written into the table directly (a superuser's UPDATE) ----------------------
SELECT lives_ok($$UPDATE jobs.scheduled_job SET start_at = '4714-11-24 00:00:00+00 BC', end_at = NULL
                  WHERE owner = 'tb_alice'::regrole AND job_name = 'last'$$, 'a superuser stores start_at 4714 BC');
SELECT lives_ok($$SELECT count(*) FROM jobs.job_status$$,
                'jobs.job_status still answers for a superuser (it failed with "timestamp out of range")');
SELECT ok((SELECT next_run_at IS NOT NULL FROM jobs.job_status WHERE owner = 'tb_alice' AND job_name = 'last'),
          'and gives the job its next run');
SELECT is(pg_temp.as_alice($q$SELECT count(*)::text FROM jobs.job_status$q$), '4',
          'jobs.job_status answers for the owner too');
UPDATE jobs.scheduled_job SET start_at = 'infinity' WHERE owner = 'tb_alice'::regrole AND job_name = 'last';
SELECT is((SELECT next_run_at FROM jobs.job_status WHERE owner = 'tb_alice' AND job_name = 'last'), NULL,
          'start_at infinity: no next run, and no error');
SELECT is(jobs_internal._time_limits_problem(run_at, start_at, end_at, timeout, retry_backoff, retry_backoff_max,
                                    starting_deadline, min_trigger_interval),
          'start_at must be between 1970-01-01 00:00:00+00 and 9999-12-31 23:59:59+00, not infinity',
          'the launcher''s check names the stored value out of bounds')
FROM jobs.scheduled_job WHERE owner = 'tb_alice'::regrole AND job_name = 'last';
SELECT is(jobs_internal._time_limits_problem(NULL, NULL, NULL, NULL, '1 second', '30 seconds', '178000000 years', NULL),
          'starting_deadline must be at most 100 years, not 178000000 years', 'and a stored huge starting_deadline');
SELECT is(jobs_internal._time_limits_problem(now(), now(), now() + interval '1 day', '1 minute', '1 second', '30 seconds',
                                    '1 hour', '1 minute'), NULL, 'a job within bounds has no problem');

-- A huge min_trigger_interval stored directly: jobs.trigger refuses the second
-- trigger with 55000, not "timestamp out of range".
UPDATE jobs.scheduled_job SET min_trigger_interval = '178000000 years' WHERE owner = 'tb_alice'::regrole AND job_name = 'e';
SELECT lives_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.trigger('e')$q$)$$, 'the first trigger passes');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.trigger('e')$q$)$$, '55000',
                 'job "e" was triggered less than 178000000 years ago',
                 'the second trigger is refused as too early, without overflowing');
SELECT is(pg_temp.error_parts($q$SELECT jobs.trigger('e')$q$),
          format('Its last manual trigger was queued at %s; its min_trigger_interval is 178000000 years. | Shorten '
                 'its min_trigger_interval with jobs.alter.',
                 (SELECT max(queued_at) FROM jobs.job_execution WHERE job_name = 'e' AND owner = 'tb_alice'::regrole)),
          'its hint does not compute a time past the end of the calendar');

SELECT * FROM finish();
ROLLBACK;
