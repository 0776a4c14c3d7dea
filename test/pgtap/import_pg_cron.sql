-- pgTAP: jobs.import_pg_cron's parts that need no pg_cron (pg_cron needs
-- shared_preload_libraries; test/integration/import_pg_cron.sh imports real
-- pg_cron jobs): how pg_cron's schedules translate, which are refused and
-- why, who may import, and the error without pg_cron. Everything rolls back.
-- Run from the repository root: pg_prove test/pgtap/import_pg_cron.sql
\ir lib/begin.sql

SELECT plan(28);

-- Translation: $ is L (only as the whole day-of-month field), N seconds is kept, 5 fields and
-- pg_cron's macros as they are; anything pg_cron would not have written is not guessed at.
SELECT is((SELECT row(s.translated, s.problem)::text FROM jobs_internal._pg_cron_schedule(t.schedule) AS s), t.expected,
          format('pg_cron schedule %L: %s', t.schedule, t.expected))
FROM (VALUES ('0 0 $ * *', '("0 0 L * *",)'),
             ('30 23 $ 2 *', '("30 23 L 2 *",)'),
             ('0 9 $ * 1-5', '("0 9 L * 1-5",)'),
             ('30 seconds', '("30 seconds",)'),
             ('  5 Seconds ', '("5 seconds",)'),
             ('1 second', '("1 second",)'),
             ('07seconds', '("7 seconds",)'),
             ('*/5 * * * *', '("*/5 * * * *",)'),
             ('0  3   * * sun', '("0 3 * * sun",)'),
             ('@reboot', '(@reboot,)'),
             ('@Daily', '(@daily,)'),
             ('@every 5 minutes', '(,"@every 5 minutes is not one of pg_cron''s macros")'),
             ('0 0 * * * *', '(,"pg_cron''s cron expressions have 5 fields, this one has 6")'),
             ('0 0 *', '(,"pg_cron''s cron expressions have 5 fields, this one has 3")'),
             ('0 0 1,$ * *', '(,"""$"" (the last day of the month) may only be the whole day-of-month field")'),
             ('$ 0 * * *', '(,"""$"" (the last day of the month) may only be the whole day-of-month field")'),
             ('   ', '(,"the schedule is empty")')) AS t(schedule, expected);

-- Every translated schedule is one the cron engine takes, meaning the same.
SELECT is(jobs.describe('0 0 L * *', 'UTC'), 'at 00:00 on the last day of every month, UTC time',
          '"0 0 $ * *" becomes the last day of the month');
SELECT is(jobs.describe('30 seconds', 'UTC'), 'every 30 seconds, counted from 1970-01-01 00:00:00 UTC',
          '"30 seconds" means every 30 seconds here too');

-- The helpers are internal.
SELECT ok(NOT has_function_privilege('public', 'jobs_internal._pg_cron_schedule(text)', 'EXECUTE'),
          'jobs_internal._pg_cron_schedule is not executable by PUBLIC');
SELECT ok(NOT has_function_privilege('public', 'jobs_internal._check_command(text, text)', 'EXECUTE'),
          'jobs_internal._check_command is not executable by PUBLIC');
SELECT ok(NOT has_table_privilege('public', 'jobs_internal._pg_cron_import', 'SELECT'),
          'jobs_internal._pg_cron_import is not readable by PUBLIC');

-- jobs_internal._check_command is jobs.schedule's syntax check.
SELECT throws_ok($$SELECT jobs_internal._check_command('SELEC 1', 'x')$$, '42601', NULL,
                 'jobs_internal._check_command refuses a command that does not parse');
SELECT throws_ok($$SELECT jobs_internal._check_command('VACUUM a; VACUUM b', 'x')$$, '25001', NULL,
                 'jobs_internal._check_command refuses VACUUM together with other statements');
SELECT lives_ok($$SELECT jobs_internal._check_command('VACUUM a', NULL)$$, 'jobs_internal._check_command takes a valid command');

-- Who may import, and without pg_cron.
CREATE ROLE alice;
GRANT USAGE ON SCHEMA jobs TO alice;
SELECT throws_ok($$SELECT pg_temp.as_role('alice', 'SELECT count(*) FROM jobs.import_pg_cron()')$$, '42501',
                 'permission denied to import pg_cron jobs', 'a role that is not a superuser may not import');
SELECT throws_ok($$SELECT * FROM jobs.import_pg_cron(NULL)$$, '22004', 'disable_source must not be NULL',
                 'disable_source NULL is refused');
SELECT throws_ok($$SELECT * FROM jobs.import_pg_cron()$$, '55000',
                 format('pg_cron is not installed in database "%s"', current_database()),
                 'without pg_cron in this database the import says so');
SELECT * FROM finish();
ROLLBACK;
