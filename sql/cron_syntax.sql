-- Every element of the cron syntax, shown through jobs.next_runs.
-- All schedules are evaluated in UTC from Thursday 2026-01-01 00:00:00 UTC
-- (January 2026: the 1st is a Thursday; February has 28 days).
SET timezone = 'UTC';

-- One line per schedule: its fire times, compact and with the weekday.
CREATE FUNCTION pg_temp.runs(schedule text, n integer DEFAULT 4,
                             after timestamptz DEFAULT '2026-01-01 00:00:00+00')
RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(to_char(t, 'Dy YYYY-MM-DD HH24:MI:SS'), ', ' ORDER BY t), '(none)')
    FROM jobs.next_runs(schedule, n, after, 'UTC') AS t
$$;

-- Five fields: minute hour day-of-month month day-of-week.
SELECT s AS schedule, pg_temp.runs(s) AS fire_times
FROM (VALUES
    ('* * * * *'),
    ('5 * * * *'),
    ('*/15 * * * *'),
    ('0,20,40 * * * *'),
    ('10-12 * * * *'),
    ('0-30/10 * * * *'),
    ('10/20 * * * *'),
    ('0 9-17/4 * * *'),
    ('0 22/1 * * *'),
    ('59 23 31 12 *'),
    ('0 0 1,15 * *'),
    ('0 0 1 */3 *'),
    ('0 0 1 2-3 *'),
    ('15 4 1 1-12/6 *')
) AS v(s);

-- Month and weekday names (any case); Sunday is 0 or 7; '?' means '*' in the day fields.
SELECT s AS schedule, pg_temp.runs(s) AS fire_times
FROM (VALUES
    ('0 0 1 jan,JUL *'),
    ('0 0 1 Mar-May *'),
    ('0 12 * * mon,WED,Fri'),
    ('0 12 * * sat-sun'),
    ('0 0 * * 0'),
    ('0 0 * * 7'),
    ('0 0 * * SUN'),
    ('0 0 * * 5-7'),
    ('0 0 ? * sun'),
    ('0 0 1 * ?'),
    ('30 6 * * 1-5')
) AS v(s);

-- The largest step of each field is its range as written (max - min); a
-- larger one is refused (see errors.sql). Day-of-week's 0-7 allows */7: Sunday.
SELECT s AS schedule, pg_temp.runs(s) AS fire_times
FROM (VALUES
    ('*/59 * * * *'),
    ('0-59/30 * * * *'),
    ('10-20/11 * * * *'),
    ('0 */23 * * *'),
    ('0 0 */30 * *'),
    ('0 0 1 */11 *'),
    ('0 0 * * */7'),
    ('*/59 0 0 * * *')
) AS v(s);

-- L (last day), L-n, nL (last such weekday), n#k (k-th weekday).
SELECT s AS schedule, pg_temp.runs(s) AS fire_times
FROM (VALUES
    ('0 0 L * *'),
    ('0 0 L-2 * *'),
    ('0 0 L-27 2 *'),
    ('0 0 * * 5L'),
    ('0 0 * * 0L'),
    ('0 0 * * 1#1'),
    ('0 0 * * 5#5'),
    ('0 0 * * 1#2,5L')
) AS v(s);

-- Both day fields restricted: a day matching either fires (Vixie cron).
-- A day field beginning with '*' or '?' (even '*/10') is unrestricted: both must match.
SELECT s AS schedule, pg_temp.runs(s) AS fire_times
FROM (VALUES
    ('0 0 13 * 5'),
    ('0 0 1 * mon'),
    ('0 0 */10 * 1'),
    ('0 0 1-7 * */7')
) AS v(s);

-- Six fields: a leading seconds field.
SELECT s AS schedule, pg_temp.runs(s) AS fire_times
FROM (VALUES
    ('*/20 * * * * *'),
    ('30 0 0 * * *'),
    ('0 0 0 1 1 *'),
    ('5,10 * * * * *')
) AS v(s);

-- Macros, case-insensitive.
SELECT s AS schedule, pg_temp.runs(s, 3) AS fire_times
FROM (VALUES
    ('@yearly'),
    ('@annually'),
    ('@monthly'),
    ('@weekly'),
    ('@daily'),
    ('@midnight'),
    ('@hourly'),
    ('@DAILY'),
    ('@Hourly')
) AS v(s);

-- @every <interval>, in PostgreSQL interval syntax, anchored at the Unix epoch
-- (1970-01-01 00:00:00 UTC was a Thursday, a whole number of weeks before
-- 2026-01-01), and pg_cron's 'N seconds'.
SELECT s AS schedule, pg_temp.runs(s, 3) AS fire_times
FROM (VALUES
    ('@every 90 seconds'),
    ('@every 2 hours'),
    ('@every 13 minutes'),
    ('@every 1 hour 30 minutes'),
    ('@every 00:10:00'),
    ('@every PT15M'),
    ('@every 1.5 hours'),
    ('@every 1 day'),
    ('@every 1 week'),
    ('@every 1 second'),
    ('@EVERY 5 minutes'),
    ('30 seconds'),
    ('1 second'),
    ('59 seconds')
) AS v(s);

-- @reboot fires only when the scheduler starts: no clock times.
SELECT count(*) AS reboot_rows FROM jobs.next_runs('@reboot', 10, '2026-01-01 00:00:00+00', 'UTC');
SELECT count(*) AS reboot_rows FROM jobs.next_runs('@REBOOT');
