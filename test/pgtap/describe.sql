-- pgTAP: jobs.describe, its signature, defaults, zone naming and errors.
-- Run from the repository root: pg_prove test/pgtap/describe.sql
\ir lib/begin.sql

SELECT plan(36);

-- Signature and properties.
SELECT has_function('jobs', 'describe', ARRAY['text', 'text']);
SELECT function_returns('jobs', 'describe', ARRAY['text', 'text'], 'text');
SELECT volatility_is('jobs', 'describe', ARRAY['text', 'text'], 'stable');
SELECT is_strict('jobs', 'describe', ARRAY['text', 'text']);
SELECT is(pg_get_function_arguments('jobs.describe(text, text)'::regprocedure),
          'schedule text, timezone text DEFAULT current_setting(''jobs.timezone''::text)',
          'describe has named arguments with the documented default');
SELECT isnt(obj_description('jobs.describe(text, text)'::regprocedure, 'pg_proc'), NULL, 'describe has a comment');
SELECT isnt(obj_description('jobs.next_runs(text, integer, timestamptz, text)'::regprocedure, 'pg_proc'), NULL,
            'next_runs has a comment');

-- Descriptions.
SELECT is(jobs.describe('30 2 * * 5L', 'Europe/Berlin'),
          'at 02:30 on the last Friday of every month, Europe/Berlin time', 'last Friday');
SELECT is(jobs.describe('* * * * *', 'UTC'), 'every minute, UTC time', 'every minute');
SELECT is(jobs.describe('*/5 * * * *', 'UTC'), 'every 5 minutes, UTC time', 'a minute step');
SELECT is(jobs.describe('0 9-17 * * 1-5', 'UTC'),
          'every hour from 09:00 through 17:00 on Monday through Friday, UTC time', 'office hours');
SELECT is(jobs.describe('0 12 * * 1#1', 'UTC'), 'at 12:00 on the first Monday of every month, UTC time',
          'first Monday');
SELECT is(jobs.describe('0 0 L * *', 'UTC'), 'at 00:00 on the last day of every month, UTC time', 'last day');
SELECT is(jobs.describe('0 0 13 * 5', 'UTC'), 'at 00:00 on day 13 of the month or on Friday, UTC time',
          'both day fields: either');
SELECT is(jobs.describe('*/20 * * * * *', 'UTC'), 'every 20 seconds, UTC time', 'a seconds field');
SELECT is(jobs.describe('@daily', 'UTC'), jobs.describe('0 0 * * *', 'UTC'), '@daily reads like 0 0 * * *');
SELECT is(jobs.describe('@weekly', 'UTC'), jobs.describe('0 0 * * 0', 'UTC'), '@weekly reads like 0 0 * * 0');
SELECT is(jobs.describe('@hourly', 'UTC'), jobs.describe('0 * * * *', 'UTC'), '@hourly reads like 0 * * * *');
SELECT is(jobs.describe('@yearly', 'UTC'), jobs.describe('@ANNUALLY', 'UTC'), '@yearly and @annually agree');
SELECT is(jobs.describe('0 0 * * 7', 'UTC'), jobs.describe('0 0 * * sun', 'UTC'), 'Sunday is 7 or sun');
SELECT is(jobs.describe('@every 2 hours', 'UTC'), 'every 2 hours, counted from 1970-01-01 00:00:00 UTC',
          '@every names its anchor');
SELECT is(jobs.describe('@every 90 minutes', 'UTC'), 'every 90 minutes, counted from 1970-01-01 00:00:00 UTC',
          '@every reads back in the unit written');
SELECT is(jobs.describe('@every 1 hour 30 minutes', 'UTC'),
          'every 90 minutes, counted from 1970-01-01 00:00:00 UTC', '@every in the largest unit dividing it exactly');
SELECT is(jobs.describe('@reboot', 'UTC'), 'once each time the scheduler starts', '@reboot');

-- The zone: canonical spelling, no zone for @every and @reboot, GUC default.
SELECT is(jobs.describe('30 2 * * *', 'america/new_york'), 'at 02:30 every day, America/New_York time',
          'the zone is spelled as in the tz database');
SELECT unalike(jobs.describe('@every 15 minutes', 'Asia/Tokyo'), '%Asia/Tokyo%', '@every does not mention the zone');
SELECT unalike(jobs.describe('@reboot', 'Asia/Tokyo'), '%Asia/Tokyo%', '@reboot does not mention the zone');
SELECT is(jobs.describe('0 9 * * *'), 'at 09:00 every day, UTC time', 'the zone defaults to jobs.timezone');
SET LOCAL jobs.timezone = 'Australia/Lord_Howe';
SELECT is(jobs.describe('0 9 * * *'), 'at 09:00 every day, Australia/Lord_Howe time',
          'a changed jobs.timezone is the new default');
SELECT is(jobs.describe(NULL), NULL, 'NULL schedule gives NULL');

-- Errors, the same as next_runs'.
SELECT throws_ok($$ SELECT jobs.describe('0 0 * * mon-fro', 'UTC') $$, '22023',
                 'invalid cron schedule: unknown weekday name "fro"', 'a bad weekday name');
SELECT throws_ok($$ SELECT jobs.describe('0 0 30 2 *', 'UTC') $$, '22023',
                 'invalid cron schedule: day-of-month 30 never occurs in February', 'a schedule that never fires');
SELECT throws_ok($$ SELECT jobs.describe('* * * *', 'UTC') $$, '22023', NULL, 'four fields');
SELECT throws_ok($$ SELECT jobs.describe('@daily', 'Mars/Base') $$, '22023', 'invalid time zone "Mars/Base"',
                 'an unknown zone');
SELECT throws_ok($$ SELECT jobs.describe('@daily', '') $$, '22023', 'invalid time zone ""', 'an empty zone name');

-- The hint names a valid zone.
CREATE FUNCTION pg_temp.zone_hint() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    hint text;
BEGIN
    PERFORM jobs.describe('@daily', 'Mars/Base');
    RETURN NULL;
EXCEPTION WHEN invalid_parameter_value THEN
    GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
    RETURN hint;
END
$$;
SELECT is(pg_temp.zone_hint(), 'Use a name from pg_timezone_names, for example ''Europe/Berlin'' or ''UTC''.',
          'an unknown zone comes with a hint');

SELECT * FROM finish();
ROLLBACK;
