-- jobs.next_runs: arguments, defaults, bounds and edge cases.
SET timezone = 'UTC';

-- Fire times come back ascending, strictly after "after".
SELECT * FROM jobs.next_runs('0 * * * *', 3, '2026-05-01 10:00:00+00', 'UTC');
SELECT * FROM jobs.next_runs('0 * * * *', 3, '2026-05-01 09:59:59.999999+00', 'UTC');
SELECT * FROM jobs.next_runs('0 * * * *', 3, '2026-05-01 10:00:00.000001+00', 'UTC');

-- Named arguments, and next_runs in the select list.
SELECT * FROM jobs.next_runs('@daily', after => '2026-05-01 12:00+00', count => 2, timezone => 'UTC');
SELECT jobs.next_runs('@hourly', 2, '2026-05-01 12:30+00', 'UTC') AS fire_time;

-- count: 5 by default, 0 gives no rows, up to 1,000,000.
SELECT count(*) AS default_count FROM jobs.next_runs('* * * * *');
SELECT count(*) AS zero_rows FROM jobs.next_runs('* * * * *', 0);
SELECT count(*) AS one_million, min(t) AS first, max(t) AS last
FROM jobs.next_runs('* * * * *', 1000000, '2026-01-01 00:00+00', 'UTC') AS t;
SELECT count(*) AS million_seconds, max(t) AS last
FROM jobs.next_runs('* * * * * *', 1000000, '2026-01-01 00:00+00', 'UTC') AS t;
-- All distinct and increasing (a window over a million rows is slow; 100,000 will do).
SELECT count(*) AS not_increasing
FROM (SELECT t - lag(t) OVER (ORDER BY t) AS step
      FROM jobs.next_runs('*/7 1-3 L * 1#2', 100000, '2026-01-01 00:00+00', 'UTC') AS t) AS steps
WHERE step <= interval '0';

-- after defaults to now(): the first fire time is within the next minute.
SELECT t > now() AND t <= now() + interval '1 minute' AS within_a_minute
FROM jobs.next_runs('* * * * *', 1) AS t;

-- STRICT: a NULL argument gives no rows.
SELECT count(*) AS null_schedule FROM jobs.next_runs(NULL);
SELECT count(*) AS null_count FROM jobs.next_runs('* * * * *', NULL);
SELECT count(*) AS null_after FROM jobs.next_runs('* * * * *', 5, NULL);
SELECT count(*) AS null_timezone FROM jobs.next_runs('* * * * *', 5, now(), NULL);

-- @reboot never fires by the clock.
SELECT count(*) AS reboot FROM jobs.next_runs('@reboot', 5, '2026-01-01 00:00+00', 'UTC');

-- PostgreSQL's timestamp range: results stop early at its end (294276 AD)
-- and start at its beginning for -infinity.
SELECT * FROM jobs.next_runs('0 0 1 1 *', 5, '294275-06-01 00:00+00', 'UTC');
SELECT * FROM jobs.next_runs('@every 1 day', 5, '294276-12-29 00:00+00', 'UTC');
SELECT count(*) AS after_infinity FROM jobs.next_runs('* * * * *', 5, 'infinity', 'UTC');
SELECT * FROM jobs.next_runs('0 0 1 1 *', 2, '-infinity', 'UTC');
SELECT * FROM jobs.next_runs('0 0 29 2 *', 3, '2026-01-01 00:00+00', 'UTC');
SELECT * FROM jobs.next_runs('0 0 29 2 1', 2, '2026-01-01 00:00+00', 'UTC');

-- The time zone argument defaults to the jobs.timezone setting ('UTC').
SHOW jobs.timezone;
SELECT * FROM jobs.next_runs('0 9 * * *', 2, '2026-05-01 00:00+00');
SET jobs.timezone = 'Asia/Tokyo';
SELECT * FROM jobs.next_runs('0 9 * * *', 2, '2026-05-01 00:00+00');
SELECT jobs.describe('0 9 * * *');
SET jobs.timezone = 'america/new_york';  -- case-insensitive, like SET timezone
SHOW jobs.timezone;
SELECT * FROM jobs.next_runs('0 9 * * *', 2, '2026-05-01 00:00+00');
RESET jobs.timezone;
SELECT * FROM jobs.next_runs('0 9 * * *', 2, '2026-05-01 00:00+00');

-- The setting refuses unknown zones and keeps its value.
SET jobs.timezone = 'Mars/Base';
SHOW jobs.timezone;

-- Function signatures and properties.
SELECT p.oid::regprocedure AS function, pg_get_function_arguments(p.oid) AS arguments,
       pg_get_function_result(p.oid) AS result, p.provolatile, p.proisstrict, p.proparallel, p.prorows
FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname = 'jobs' AND p.proname IN ('next_runs', 'describe')
ORDER BY 1::text;
SELECT obj_description('jobs.next_runs(text, integer, timestamptz, text)'::regprocedure, 'pg_proc') IS NOT NULL
       AS next_runs_has_comment,
       obj_description('jobs.describe(text, text)'::regprocedure, 'pg_proc') IS NOT NULL
       AS describe_has_comment;
