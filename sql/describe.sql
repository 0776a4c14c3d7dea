-- jobs.describe: schedules in plain English.
SET timezone = 'UTC';

SELECT s AS schedule, jobs.describe(s, 'UTC') AS description
FROM (VALUES
    ('* * * * *'),
    ('*/5 * * * *'),
    ('0 * * * *'),
    ('30 2 * * *'),
    ('0 9-17 * * 1-5'),
    ('15,45 8 * * mon,wed,fri'),
    ('0 0 1 * *'),
    ('0 0 1,15 * *'),
    ('0 0 L * *'),
    ('0 0 L-2 * *'),
    ('30 2 * * 5L'),
    ('0 12 * * 1#1'),
    ('0 12 * * 2#3'),
    ('0 0 13 * 5'),
    ('0 0 */10 * 1'),
    ('0 0 1 jan,jul *'),
    ('0 0 * 2-4 *'),
    ('0 0 29 2 *'),
    ('*/20 * * * * *'),
    ('30 0 0 * * *'),
    ('0 0 * * 7'),
    ('0 22/1 * * *'),
    ('0-30/10 * * * *')
) AS v(s);

-- Macros, @every, pg_cron's seconds and @reboot.
SELECT s AS schedule, jobs.describe(s, 'UTC') AS description
FROM (VALUES
    ('@yearly'), ('@annually'), ('@monthly'), ('@weekly'), ('@daily'), ('@midnight'), ('@hourly'),
    ('@every 90 seconds'), ('@every 2 hours'), ('@every 1 day'), ('@every 1 hour 30 minutes'),
    ('@every 90 minutes'), ('@every 36 hours'), ('@every 2 weeks'), ('@every 1 day 1 second'),
    ('30 seconds'), ('1 second'), ('@reboot')
) AS v(s);

-- The zone is named as the tz database spells it; @every and @reboot do not depend on it.
SELECT jobs.describe('30 2 * * *', 'america/new_york');
SELECT jobs.describe('30 2 * * *', 'Australia/Lord_Howe');
SELECT jobs.describe('30 2 * * *', 'UTC+3');
SELECT jobs.describe('@every 15 minutes', 'Europe/Berlin');
SELECT jobs.describe('@reboot', 'Europe/Berlin');

-- The zone defaults to the jobs.timezone setting.
SELECT jobs.describe('0 9 * * *');
SET jobs.timezone = 'Asia/Kolkata';
SELECT jobs.describe('0 9 * * *');
RESET jobs.timezone;

-- NULL in, NULL out (STRICT).
SELECT jobs.describe(NULL) IS NULL AS null_schedule, jobs.describe('@daily', NULL) IS NULL AS null_timezone;

-- Errors are the same as for jobs.next_runs.
SELECT jobs.describe('0 0 * * mon-fro');
SELECT jobs.describe('@daily', 'Mars/Base');
