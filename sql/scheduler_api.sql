-- The scheduler's SQL API: jobs.schedule, alter, enable, disable, unschedule
-- and trigger, for a job's owner and for administrators (job_id overloads).
-- The launcher may be running and may run what is committed here: commands
-- are harmless, schedules fire far in the future, and no run's status is
-- printed after its transaction commits.
SET timezone = 'UTC';
SET jobs.timezone = 'UTC';

CREATE ROLE regress_jobs_owner;
CREATE ROLE regress_jobs_other;
GRANT USAGE ON SCHEMA jobs TO regress_jobs_owner, regress_jobs_other;

-- Defining a job: defaults are the current database and jobs.timezone.
SET jobs.timezone = 'Europe/Berlin';
SELECT jobs.schedule('nightly', '30 2 * * *', 'SELECT 1') > 0 AS created;
RESET jobs.timezone;
SELECT job_name, owner, schedule, timezone, command, database = current_database() AS here, enabled
FROM jobs.scheduled_job WHERE job_name = 'nightly';

-- Registering again updates the job in place: same job_id, new definition.
SELECT job_id AS nightly_id FROM jobs.scheduled_job WHERE job_name = 'nightly' \gset
SELECT jobs.schedule('nightly', '0 3 * * *', 'SELECT 2', timezone => 'UTC', enabled => false) = :nightly_id
    AS same_job;
SELECT job_name, schedule, timezone, command, enabled, updated_at >= created_at AS updated
FROM jobs.scheduled_job WHERE job_name = 'nightly';
SELECT count(*) AS jobs_named_nightly FROM jobs.scheduled_job WHERE job_name = 'nightly';

-- Every form the cron engine accepts, a NULL schedule (on demand) and a
-- named database.
SELECT s AS schedule, jobs.schedule('form ' || n, s, 'SELECT 1', current_database()) > 0 AS accepted
FROM (VALUES (1, '*/10 * * * * *'), (2, '@yearly'), (3, '@every 90 seconds'), (4, '30 seconds'),
             (5, '@reboot'), (6, '0 12 L * *'), (7, '0 9 * * 1#1'), (8, NULL)) AS f(n, s)
ORDER BY n;
SELECT job_name, schedule FROM jobs.scheduled_job WHERE job_name LIKE 'form %' ORDER BY job_name;

-- jobs.alter changes what it is given; NULL leaves a property unchanged.
SELECT jobs.alter('nightly', schedule => '15 4 * * *');
SELECT schedule, timezone, command, enabled FROM jobs.scheduled_job WHERE job_id = :nightly_id;
SELECT jobs.alter('nightly', command => 'SELECT 3', timezone => 'America/New_York', enabled => true);
SELECT schedule, timezone, command, enabled FROM jobs.scheduled_job WHERE job_id = :nightly_id;
SELECT jobs.alter(:nightly_id, database => current_database(), schedule => '@daily');
SELECT schedule, timezone, command, enabled FROM jobs.scheduled_job WHERE job_id = :nightly_id;
SELECT jobs.alter('nightly');
SELECT schedule, timezone, command, enabled FROM jobs.scheduled_job WHERE job_id = :nightly_id;

-- enable / disable, by name and by job_id; repeating one is harmless.
SELECT jobs.disable('nightly');
SELECT enabled FROM jobs.scheduled_job WHERE job_id = :nightly_id;
SELECT jobs.disable('nightly');
SELECT enabled FROM jobs.scheduled_job WHERE job_id = :nightly_id;
SELECT jobs.enable(:nightly_id);
SELECT enabled FROM jobs.scheduled_job WHERE job_id = :nightly_id;
SELECT jobs.disable(:nightly_id);
SELECT jobs.enable('nightly');
SELECT enabled FROM jobs.scheduled_job WHERE job_id = :nightly_id;

-- jobs.trigger queues a manual run with a snapshot of the job; it exists only
-- if the transaction commits.
SELECT jobs.schedule('on demand', NULL, 'SELECT 42') AS on_demand_id \gset
BEGIN;
SELECT jobs.trigger('on demand', '{"order": 17}') AS rolled_back_id \gset
SELECT job_id = :on_demand_id AS for_the_job, job_name, owner, database = current_database() AS here, command,
       status, triggered_by, triggered_by_user, scheduled_for, payload, attempt, started_at, finished_at
FROM jobs.job_execution WHERE execution_id = :rolled_back_id;
ROLLBACK;
SELECT count(*) AS rows_after_rollback FROM jobs.job_execution WHERE execution_id = :rolled_back_id;

SELECT jobs.trigger('on demand', '{"order": 18}') AS committed_id \gset
SELECT job_name, triggered_by, triggered_by_user, payload, queued_at <= clock_timestamp() AS queued_before_now
FROM jobs.job_execution WHERE execution_id = :committed_id;
SELECT jobs.trigger(:on_demand_id) > :committed_id AS later_id;
SELECT jobs.trigger('on demand', payload => NULL) > :committed_id AS null_payload_ok;
-- A disabled job can still be triggered: disabling stops only the schedule.
SELECT jobs.disable('on demand');
SELECT jobs.trigger('on demand') > 0 AS triggered_while_disabled;
-- Several triggers in one statement each get a run.
BEGIN;
SELECT count(DISTINCT jobs.trigger('on demand', jsonb_build_object('n', n))) AS runs
FROM generate_series(1, 5) AS n;
ROLLBACK;

-- jobs.unschedule removes the job, cancels its queued runs and keeps history.
BEGIN;
SELECT jobs.trigger('form 2') AS queued_id \gset
SELECT jobs.unschedule('form 2');
SELECT status, error FROM jobs.job_execution WHERE execution_id = :queued_id;
SELECT count(*) AS jobs_left FROM jobs.scheduled_job WHERE job_name = 'form 2';
COMMIT;
SELECT count(*) AS history_kept FROM jobs.job_execution WHERE execution_id = :queued_id;
SELECT job_id AS form3_id FROM jobs.scheduled_job WHERE job_name = 'form 3' \gset
SELECT jobs.unschedule(:form3_id);
SELECT count(*) AS jobs_left FROM jobs.scheduled_job WHERE job_name = 'form 3';

-- An ordinary role with USAGE on the schema manages its own jobs, which run
-- as that role; names are per owner.
SET ROLE regress_jobs_owner;
SELECT jobs.schedule('nightly', '0 5 * * *', 'SELECT 5') AS owner_nightly_id \gset
SELECT :owner_nightly_id <> :nightly_id AS different_job;
SELECT job_name, owner, schedule FROM jobs.scheduled_job ORDER BY job_id;
SELECT jobs.alter('nightly', schedule => '0 6 * * *');
SELECT jobs.disable('nightly');
SELECT jobs.enable('nightly');
BEGIN;
SELECT jobs.trigger('nightly', '{"by": "owner"}') AS owner_run_id \gset
SELECT job_name, owner, triggered_by_user, payload FROM jobs.job_execution WHERE execution_id = :owner_run_id;
ROLLBACK;
-- The job_id overloads work on the role's own jobs too.
SELECT jobs.disable(:owner_nightly_id);
SELECT enabled FROM jobs.scheduled_job WHERE job_id = :owner_nightly_id;
RESET ROLE;
-- The superuser's own "nightly" is untouched.
SELECT schedule, command, enabled FROM jobs.scheduled_job WHERE job_id = :nightly_id;

-- A superuser manages any job by job_id; a manual run records who asked.
SELECT jobs.alter(:owner_nightly_id, command => 'SELECT 6', enabled => true);
SELECT owner, command, enabled FROM jobs.scheduled_job WHERE job_id = :owner_nightly_id;
BEGIN;
SELECT jobs.trigger(:owner_nightly_id) AS admin_run_id \gset
SELECT owner, triggered_by_user FROM jobs.job_execution WHERE execution_id = :admin_run_id;
ROLLBACK;

-- A job defined inside a SECURITY DEFINER function belongs to the function's
-- owner (current_user), whoever calls the function.
CREATE FUNCTION public.regress_jobs_define() RETURNS bigint
LANGUAGE sql SECURITY DEFINER AS $$ SELECT jobs.schedule('defined in a function', NULL, 'SELECT 7') $$;
ALTER FUNCTION public.regress_jobs_define() OWNER TO regress_jobs_owner;
SET ROLE regress_jobs_other;
SELECT public.regress_jobs_define() > 0 AS defined;
RESET ROLE;
SELECT owner FROM jobs.scheduled_job WHERE job_name = 'defined in a function';
DROP FUNCTION public.regress_jobs_define();

-- Clean up.
SELECT jobs.unschedule(job_id) FROM jobs.scheduled_job WHERE owner::text LIKE 'regress_jobs_%' ORDER BY job_id;
SELECT jobs.unschedule(job_name) FROM jobs.job_status WHERE owner = current_user ORDER BY job_id;
DROP OWNED BY regress_jobs_owner, regress_jobs_other;
DROP ROLE regress_jobs_owner, regress_jobs_other;
