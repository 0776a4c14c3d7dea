-- pgTAP: schedules of several cron expressions ("a; b"), issue 15: next_runs
-- is the union of each expression's times (a shared time once), describe
-- names each, errors point into the whole text, and jobs.schedule/alter take
-- them from an unprivileged role, with jobs.min_schedule_interval measured on
-- the merged times.
-- Run from the repository root: pg_prove test/pgtap/schedule_lists.sql
\ir lib/begin.sql

SELECT plan(16);

-- next_runs: the union of the parts, in order, each time once.
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('0 9 * * 1#1; 0 9 15 * *', 24, '2026-01-01 00:00+00', 'Europe/Berlin') $$,
    $$ SELECT t FROM (SELECT * FROM jobs.next_runs('0 9 * * 1#1', 24, '2026-01-01 00:00+00', 'Europe/Berlin')
                      UNION
                      SELECT * FROM jobs.next_runs('0 9 15 * *', 24, '2026-01-01 00:00+00', 'Europe/Berlin')) AS u(t)
       ORDER BY t LIMIT 24 $$,
    'first Monday and the 15th: the union of both expressions'' times');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('0 9 * * 1; 0 9 15 * *', 3, '2026-06-10 00:00+00', 'UTC') $$,
    $$ VALUES ('2026-06-15 09:00+00'::timestamptz), ('2026-06-22 09:00+00'), ('2026-06-29 09:00+00') $$,
    'Monday 2026-06-15 is also the 15th: it comes once');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('0 */2 * * *;0 */3 * * *;30 1 * * *', 8, '2026-03-01 00:00+00', 'UTC') $$,
    $$ SELECT t FROM generate_series('2026-03-01 00:30+00'::timestamptz, '2026-03-02', '30 minutes') AS t
       WHERE (extract(minute FROM t) = 0 AND (extract(hour FROM t)::int % 2 = 0 OR extract(hour FROM t)::int % 3 = 0))
          OR (extract(minute FROM t) = 30 AND extract(hour FROM t) = 1)
       ORDER BY t LIMIT 8 $$,
    'three expressions without spaces after ";" match a brute-force search');
SELECT results_eq(
    $$ SELECT * FROM jobs.next_runs('30 1 * * *; 0 * * * *', 4, '2026-11-01 04:45+00', 'America/New_York') $$,
    $$ VALUES ('2026-11-01 05:00+00'::timestamptz), ('2026-11-01 05:30+00'), ('2026-11-01 06:00+00'),
              ('2026-11-01 07:00+00') $$,
    'fall back: each expression keeps its DST rule (01:30 once, every hour in both passes)');

-- describe: each expression, the zone once.
SELECT is(jobs.describe('0 9 * * 1#1; 0 9 15 * *', 'Europe/Berlin'),
          'at 09:00 on the first Monday of every month; and at 09:00 on day 15 of every month, Europe/Berlin time',
          'describe names each expression and the zone once');
SELECT is(jobs.describe('@daily; 0 12 * * *', 'UTC'),
          'at 00:00 every day; and at 12:00 every day, UTC time', 'calendar macros combine too');

-- Errors: 22023, the caret under the offending character of the whole text.
SELECT throws_ok($$ SELECT jobs.describe('0 9 * * *; 61 * * * *', 'UTC') $$, '22023',
                 'invalid cron schedule: minute value 61 is out of range 0-59', 'a bad second expression is named');
CREATE FUNCTION pg_temp.detail_of(command text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE command;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN detail;
END
$$;
SELECT is(pg_temp.detail_of($$ SELECT jobs.describe('0 9 * * *; 61 * * * *', 'UTC') $$),
          E'at character 12 of "0 9 * * *; 61 * * * *":\n  0 9 * * *; 61 * * * *\n             ^',
          'the caret points into the whole schedule');
SELECT throws_ok($$ SELECT jobs.next_runs('0 9 * * *; 30 seconds', 1) $$, '22023',
                 'invalid cron schedule: only cron expressions can be combined with ";"',
                 'an interval cannot join a list');
SELECT throws_ok($$ SELECT jobs.next_runs('@every 1 hour; 0 9 * * *', 1) $$, '22023',
                 'invalid cron schedule: only cron expressions can be combined with ";"',
                 '@every cannot join a list');

-- Jobs, as an unprivileged role.
CREATE ROLE pgtap_lists_alice;
GRANT USAGE ON SCHEMA jobs TO pgtap_lists_alice;
SELECT lives_ok($$ SELECT pg_temp.as_role('pgtap_lists_alice',
                   $q$SELECT jobs.schedule('twice a month', '0 9 * * 1#1; 0 9 15 * *', 'SELECT 1',
                                           timezone => 'Europe/Berlin')$q$) $$,
                'an unprivileged role schedules a job with two expressions');
SELECT is(pg_temp.as_role('pgtap_lists_alice',
              $q$SELECT schedule FROM jobs.scheduled_job WHERE job_name = 'twice a month'$q$),
          '0 9 * * 1#1; 0 9 15 * *', 'the schedule is kept as written');
SELECT throws_ok($$ SELECT pg_temp.as_role('pgtap_lists_alice',
                    $q$SELECT jobs.alter('twice a month', schedule => '0 9 * * 1#1; 0 9 15 * *;')$q$) $$,
                 '22023', 'invalid cron schedule: schedule ends with ";"', 'jobs.alter refuses a bad list');
SELECT lives_ok($$ SELECT pg_temp.as_role('pgtap_lists_alice',
                   $q$SELECT jobs.alter('twice a month', schedule => '0 9 * * 1#1; 0 9 15 * *; 0 9 L * *')$q$) $$,
                'jobs.alter takes a list of three');
-- Each expression alone fires once a day; together 5 seconds apart, under
-- the 10 second jobs.min_schedule_interval.
SET LOCAL jobs.min_schedule_interval = '10s';
SELECT throws_ok($$ SELECT pg_temp.as_role('pgtap_lists_alice',
                    $q$SELECT jobs.schedule('too close', '0 0 9 * * *; 5 0 9 * * *', 'SELECT 1')$q$) $$,
                 '22023', NULL, 'jobs.min_schedule_interval applies to the merged times');
SELECT lives_ok($$ SELECT pg_temp.as_role('pgtap_lists_alice',
                   $q$SELECT jobs.schedule('far enough', '0 0 9 * * *; 30 0 9 * * *', 'SELECT 1')$q$) $$,
                'a list whose times are far enough apart is taken');

SELECT * FROM finish();
ROLLBACK;
