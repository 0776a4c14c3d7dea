-- pg_jobs 0.1.0: cron schedules (this file is run by CREATE EXTENSION).
\echo Use "CREATE EXTENSION pg_jobs" to load this file. \quit

-- The schema "jobs" comes from pg_jobs.control (schema = jobs).

CREATE FUNCTION jobs.next_runs(
    schedule text,
    count integer DEFAULT 5,
    after timestamptz DEFAULT now(),
    timezone text DEFAULT current_setting('jobs.timezone'))
RETURNS SETOF timestamptz
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 5
AS 'MODULE_PATHNAME', 'pg_jobs_next_runs';

COMMENT ON FUNCTION jobs.next_runs(text, integer, timestamptz, text) IS
'The next "count" (0 to 1000000) times the cron schedule fires strictly after "after", in ascending order, '
'evaluated in the wall-clock time of "timezone" (default: the jobs.timezone setting). '
'@reboot schedules return no rows.';

CREATE FUNCTION jobs.describe(
    schedule text,
    timezone text DEFAULT current_setting('jobs.timezone'))
RETURNS text
LANGUAGE C STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pg_jobs_describe';

COMMENT ON FUNCTION jobs.describe(text, text) IS
'The cron schedule in plain English, for example "at 02:30 on the last Friday of every month, '
'Europe/Berlin time"; raises an error explaining what is wrong with an invalid schedule.';
