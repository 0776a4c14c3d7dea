-- What a user sees when a call of the public API fails: the full psql
-- output (message, DETAIL, HINT and CONTEXT as psql shows them by default)
-- of the common mistakes. The CONTEXT of the extension's internal functions
-- stays out, as with PostgreSQL's own commands; a caller's own function
-- still shows its CONTEXT line. Nothing here commits a job.
SET timezone = 'UTC';
SET jobs.timezone = 'UTC';

CREATE ROLE regress_api_alice;
CREATE ROLE regress_api_bob;
GRANT USAGE ON SCHEMA jobs TO regress_api_alice, regress_api_bob;

-- The job ids the next files show do not depend on this one: the sequence
-- goes back where it was at the end.
SELECT last_value AS job_id_last, is_called AS job_id_called FROM jobs.scheduled_job_job_id_seq \gset

BEGIN;
SET LOCAL ROLE regress_api_alice;
SELECT jobs.schedule('alice job', '@daily', 'SELECT 1') AS alice_id \gset
SAVEPOINT ok;

-- A misspelt day of the week.
SELECT jobs.schedule('oops', '0 9 * * MON-FRY', 'SELECT 1');
ROLLBACK TO SAVEPOINT ok;
-- An hour out of range.
SELECT jobs.schedule('oops', '0 25 * * *', 'SELECT 1');
ROLLBACK TO SAVEPOINT ok;
-- An unknown time zone.
SELECT jobs.schedule('oops', '0 9 * * *', 'SELECT 1', timezone => 'Europe/Pariss');
ROLLBACK TO SAVEPOINT ok;
-- An empty command.
SELECT jobs.schedule('oops', '0 9 * * *', '');
ROLLBACK TO SAVEPOINT ok;
-- Option values out of their domain.
SELECT jobs.schedule('oops', '0 9 * * *', 'SELECT 1', timeout => '-1 s');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule('oops', '0 9 * * *', 'SELECT 1', overlap => 'sometimes');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.alter(:alice_id, overlap => 'sometimes');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.alter('alice job', schedule => '0 9 * * MON-FRY');
ROLLBACK TO SAVEPOINT ok;
-- A schedule firing more often than a role other than a superuser may define.
SELECT jobs.schedule('oops', '* * * * * *', 'SELECT 1');
ROLLBACK TO SAVEPOINT ok;
-- HTTP jobs and secrets (calls whose statement stays out of the server log).
SELECT jobs.schedule_http('oops', '@daily', 'ftp://example.com/');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.schedule_http('oops', '@daily', 'https://example.com/', headers => '["not", "an object"]');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.set_secret('', 'value');
ROLLBACK TO SAVEPOINT ok;
-- A job name the caller has no job of.
SELECT jobs.alter('no such job', schedule => '@hourly');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.trigger('no such job');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.unschedule('no such job');
ROLLBACK TO SAVEPOINT ok;
SELECT * FROM jobs.disable('no such job');
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.trigger(-1);
ROLLBACK TO SAVEPOINT ok;
SELECT jobs.enable(NULL::text);
ROLLBACK TO SAVEPOINT ok;
-- Another role's job, by its id and by its name.
SET LOCAL ROLE regress_api_bob;
SELECT jobs.alter(:alice_id, schedule => '@hourly');
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_api_bob;
SELECT jobs.trigger(:alice_id);
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_api_bob;
SELECT jobs.unschedule(:alice_id);
ROLLBACK TO SAVEPOINT ok;
SET LOCAL ROLE regress_api_bob;
SELECT jobs.trigger('alice job');
ROLLBACK TO SAVEPOINT ok;

-- The caller's own function keeps its CONTEXT line; the internals do not show.
RESET ROLE;
CREATE FUNCTION public.regress_make_job() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    RETURN jobs.schedule('oops', '0 9 * * MON-FRY', 'SELECT 1');
END
$$;
SAVEPOINT ok2;
SET LOCAL ROLE regress_api_alice;
SELECT public.regress_make_job();
ROLLBACK TO SAVEPOINT ok2;
SET LOCAL ROLE regress_api_alice;
DO $$ BEGIN PERFORM jobs.trigger('no such job'); END $$;
ROLLBACK TO SAVEPOINT ok2;
ROLLBACK;

SELECT setval('jobs.scheduled_job_job_id_seq', :job_id_last, :'job_id_called') IS NOT NULL AS sequence_restored;
REVOKE USAGE ON SCHEMA jobs FROM regress_api_alice, regress_api_bob;
DROP ROLE regress_api_alice, regress_api_bob;
