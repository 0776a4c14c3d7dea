-- pg_jobs 0.1.0 -> 0.2.0 (this file is run by ALTER EXTENSION pg_jobs UPDATE).
\echo Use "ALTER EXTENSION pg_jobs UPDATE TO '0.2.0'" to load this file. \quit

-- For developers: every change to the schema edits BOTH the install script
-- (pg_jobs--0.2.0.sql) and this upgrade script, so that a database created at
-- 0.1.0 and updated ends with exactly the catalog of a fresh install, its jobs,
-- runs and sequence values kept. test/integration/upgrade_path.sh proves it:
-- it compares the two catalogs (pg_dump --binary-upgrade --schema-only, which
-- includes the extension's own objects) and fails on any difference.
-- Append a later change at the end, in a block headed "-- <who>: <what>".

-------------------------------------------------------------------------------
-- move: the internals (names starting with "_") leave schema jobs for
-- jobs_internal, first, so that every later statement of this script names
-- them where they end up. Bodies that name them are created again below.
-------------------------------------------------------------------------------
CREATE SCHEMA jobs_internal;
COMMENT ON SCHEMA jobs_internal IS
'pg_jobs internals: not an API, may change in any release; not usable by ordinary roles.';
DO $move$
DECLARE
    member record;
BEGIN
    FOR member IN
        SELECT format('ALTER %s %s SET SCHEMA jobs_internal',
                      CASE d.classid WHEN 'pg_catalog.pg_proc'::pg_catalog.regclass THEN 'FUNCTION' ELSE 'TABLE' END,
                      CASE d.classid WHEN 'pg_catalog.pg_proc'::pg_catalog.regclass
                           THEN d.objid::pg_catalog.regprocedure::text
                           ELSE d.objid::pg_catalog.regclass::text END) AS statement
        FROM pg_catalog.pg_depend AS d
        LEFT JOIN pg_catalog.pg_proc AS p ON d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND p.oid = d.objid
        LEFT JOIN pg_catalog.pg_class AS c ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND c.oid = d.objid
        WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
          AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension AS e WHERE e.extname = 'pg_jobs')
          AND d.deptype = 'e'
          AND ((p.pronamespace = 'jobs'::pg_catalog.regnamespace AND p.proname LIKE '\_%')
               OR (c.relnamespace = 'jobs'::pg_catalog.regnamespace AND c.relkind = 'r' AND c.relname LIKE '\_%'))
        ORDER BY 1
    LOOP
        EXECUTE member.statement;
    END LOOP;
END
$move$;
-- 0.1.0's comment that names internals where they were.
COMMENT ON FUNCTION jobs_internal._set_enabled(name, bigint, boolean) IS
'Internal: what jobs_internal._enable and jobs_internal._disable share.';

-------------------------------------------------------------------------------
-- up: the security work of issue 10 (owners by OID, jobs_admin, the audit
-- trail, secrets, limits) and the first changes of issue 11.
-------------------------------------------------------------------------------

-- What depends on the owner columns is set aside until their type changes:
-- the views get a placeholder body (replaced, not dropped, so that grants
-- made on them since 0.1.0 stay), the policies and the index are created
-- again below as the install script has them.
CREATE OR REPLACE VIEW jobs.job_status AS
SELECT NULL::bigint AS job_id, NULL::text AS job_name, NULL::name AS owner, NULL::text AS schedule,
       NULL::text AS timezone, NULL::boolean AS enabled, NULL::timestamptz AS last_started_at,
       NULL::text AS last_status, NULL::interval AS last_duration, NULL::timestamptz AS next_run_at,
       NULL::boolean AS running, NULL::bigint AS total_runs, NULL::bigint AS succeeded_runs,
       NULL::bigint AS failed_runs, NULL::text AS disabled_reason;
CREATE OR REPLACE VIEW jobs.job_history AS
SELECT NULL::bigint AS execution_id, NULL::bigint AS job_id, NULL::text AS job_name, NULL::name AS owner,
       NULL::text AS status, NULL::text AS triggered_by, NULL::timestamptz AS scheduled_for,
       NULL::timestamptz AS started_at, NULL::interval AS duration, NULL::integer AS attempt,
       NULL::bigint AS rows_affected, NULL::text AS sqlstate, NULL::text AS error, NULL::integer AS http_status,
       NULL::jsonb AS http_timing;
DROP POLICY own_jobs ON jobs.scheduled_job;
DROP POLICY own_runs ON jobs.job_execution;
DROP INDEX jobs.job_execution_pending;

-- Owners: a role's name becomes its OID (regrole), resolved now. A job
-- whose owner no longer exists (0.1.0 let DROP ROLE leave jobs behind, and
-- their runs failed) is kept, disabled and owned by no role (0, shown as -):
-- disabled_reason names the role it had, and a superuser may give it to a
-- role or unschedule it. Two such jobs of one name (of two dropped roles)
-- would clash in UNIQUE (owner, job_name): they get the old owner's name
-- appended to theirs.
UPDATE jobs.scheduled_job AS j
SET enabled = false,
    disabled_reason = format('its owner, role "%s", did not exist when pg_jobs was updated to 0.2.0; give the job '
                             'to a role (as a superuser: UPDATE jobs.scheduled_job SET owner = ''<role>'' WHERE '
                             'job_id = %s) or remove it (jobs.unschedule(%s))', j.owner, j.job_id, j.job_id),
    job_name = CASE WHEN EXISTS (SELECT FROM jobs.scheduled_job AS o
                                 WHERE o.job_name = j.job_name AND o.owner <> j.owner
                                   AND pg_catalog.to_regrole(pg_catalog.quote_ident(o.owner)) IS NULL)
                    THEN j.job_name || ' (' || j.owner || ')' ELSE j.job_name END
WHERE pg_catalog.to_regrole(pg_catalog.quote_ident(j.owner)) IS NULL;

ALTER TABLE jobs.scheduled_job
    ALTER COLUMN owner TYPE regrole
    USING coalesce(pg_catalog.to_regrole(pg_catalog.quote_ident(owner)), 0::oid::regrole);

-- Runs keep the owner's name as it was (owner_name); a run of a role that no
-- longer exists is owned by no role (0), as DROP ROLE leaves runs in 0.2.0.
ALTER TABLE jobs.job_execution ADD COLUMN owner_name name;
UPDATE jobs.job_execution AS e SET owner_name = e.owner;
ALTER TABLE jobs.job_execution
    ALTER COLUMN owner TYPE regrole
        USING coalesce(pg_catalog.to_regrole(pg_catalog.quote_ident(owner)), 0::oid::regrole),
    ADD COLUMN skipped_count integer CHECK (skipped_count > 0);
COMMENT ON COLUMN jobs.scheduled_job.owner IS
'Role that defined the job, by OID (shown as its current name): the job runs as this role, follows it through '
'ALTER ROLE ... RENAME, moves with REASSIGN OWNED and goes with DROP OWNED; DROP ROLE is refused while it has jobs.';
COMMENT ON COLUMN jobs.job_execution.owner IS
'Role the run executes as, by OID (shown as its current name); - (0) once that role is dropped.';
COMMENT ON COLUMN jobs.job_execution.owner_name IS 'Name of the owner when the run was queued, kept after the role is dropped.';
COMMENT ON COLUMN jobs.job_execution.skipped_count IS
'Skipped rows: how many consecutive fire times of the job this row stands for (scheduled_for is the latest, '
'queued_at when the first was skipped, finished_at when the last was); NULL for runs that were not skipped.';

-- What workers claim: the queued runs of one database and owner, oldest first
-- (a worker serves one (database, owner) pair; the launcher counts them per pair).
CREATE INDEX job_execution_pending ON jobs.job_execution (kind, database, owner, execution_id)
    WHERE status = 'queued';
COMMENT ON INDEX jobs.job_execution_pending IS 'Queued runs per database and owner, oldest first, for the workers.';

-- Ownership is by role OID (Security 6): a renamed role keeps its jobs, a new
-- role that takes a dropped one's name gets none of them.
CREATE POLICY own_jobs ON jobs.scheduled_job FOR SELECT
    USING (owner = (SELECT r.oid FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user));
CREATE POLICY own_runs ON jobs.job_execution FOR SELECT
    USING (owner = (SELECT r.oid FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user));
COMMENT ON POLICY own_jobs ON jobs.scheduled_job IS 'Non-superusers see their own jobs.';
COMMENT ON POLICY own_runs ON jobs.job_execution IS 'Non-superusers see the runs of their own jobs.';

-- Internal helpers ----------------------------------------------------------------
--
-- Apart from _own_job_id (which runs as the caller and names everything
-- fully), they run inside the SECURITY DEFINER functions and inherit their
-- safe search_path; setting it again on each call would cost for nothing.

-- Security 6: jobs belong to a role's OID. The privileged parts get the
-- caller's name from pg_jobs_privileged_call (taken from GetUserId in the
-- same statement) and compare owners by this OID.
CREATE FUNCTION jobs_internal._role_id(role_name name)
RETURNS regrole
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    -- No FROM: the planner inlines it, where a query would be planned at each call.
    SELECT pg_catalog.to_regrole(pg_catalog.quote_ident(role_name));
END;
COMMENT ON FUNCTION jobs_internal._role_id(name) IS 'Internal: the OID of the role of this name (NULL if there is none).';
REVOKE EXECUTE ON FUNCTION jobs_internal._role_id(name) FROM PUBLIC;

-- The id of the caller's own job of that name (job names are per owner).
-- Runs as the caller (GetUserId is the caller). In C so that a missing name
-- is reported without a CONTEXT line naming this internal function (issue 11,
-- point 4: src/pg/own_job_id.cpp).
CREATE OR REPLACE FUNCTION jobs_internal._own_job_id(job_name text)
RETURNS bigint
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'pg_jobs_own_job_id';

-- The job, if the caller may change or trigger it: its owner or a superuser.
-- Locked: against any other change (for_change), or, for a trigger, only
-- against removal, so triggers of one job by several sessions do not queue
-- behind each other. Another role's job answers exactly as a job that does
-- not exist (Security 7), and is not even locked, so neither the error nor a
-- lock wait tells a role which ids are taken.
CREATE OR REPLACE FUNCTION jobs_internal._job_for_caller(job_id bigint, caller name, for_change boolean)
RETURNS jobs.scheduled_job
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    job jobs.scheduled_job;
    caller_id regrole := jobs_internal._role_id(caller);
    sees_all boolean := coalesce(jobs_internal._administers_jobs(caller), false);  -- superusers and jobs_admin (Security 20)
BEGIN
    IF for_change THEN
        SELECT * INTO job FROM jobs.scheduled_job AS j
        WHERE j.job_id = _job_for_caller.job_id AND (sees_all OR j.owner = caller_id) FOR UPDATE;
    ELSE
        SELECT * INTO job FROM jobs.scheduled_job AS j
        WHERE j.job_id = _job_for_caller.job_id AND (sees_all OR j.owner = caller_id) FOR KEY SHARE;
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job with ID % does not exist', job_id
            USING ERRCODE = 'undefined_object',
                  HINT = 'List the jobs with SELECT job_id, job_name FROM jobs.job_status.';
    END IF;
    RETURN job;
END
$$;
COMMENT ON FUNCTION jobs_internal._job_for_caller(bigint, name, boolean) IS
'Internal: the job, locked, if the role may change it (its owner, a superuser or a member of jobs_admin); error '
'42704 otherwise, the same for another role''s job as for a missing one. What the job runs is guarded further by '
'jobs_internal._check_changes_what_runs.';

-- Refuses a definition the scheduler could not run, with the cron engine's
-- own errors for the schedule and the time zone.
CREATE OR REPLACE FUNCTION jobs_internal._check_definition(job_name text, schedule text, command text, database name,
                                       timezone text, owner name)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    target pg_database;
BEGIN
    IF job_name IS NULL OR job_name !~ '\S' THEN
        RAISE EXCEPTION 'job name must not be empty'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Name the job after what it does, for example ''nightly-vacuum''.';
    END IF;
    IF command IS NULL OR command !~ '\S' THEN
        RAISE EXCEPTION 'command must not be empty'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass the SQL to run, for example ''VACUUM ANALYZE my_table''.';
    END IF;
    -- Validates the time zone too; an on-demand job still needs a valid one.
    PERFORM jobs.describe(coalesce(schedule, '@daily'), timezone);
    SELECT * INTO target FROM pg_database AS d WHERE d.datname = database;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'database "%" does not exist', database
            USING ERRCODE = 'invalid_catalog_name',
                  HINT = 'Pass the name of an existing database (SELECT datname FROM pg_database), '
                         'or leave it out for the current one.';
    END IF;
    IF NOT target.datallowconn THEN
        RAISE EXCEPTION 'database "%" does not accept connections', database
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Run the job in a database that allows connections.';
    END IF;
    -- Security 8: a worker connected to a template would make CREATE DATABASE fail.
    IF target.datistemplate THEN
        RAISE EXCEPTION 'database "%" is a template database', database
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'CREATE DATABASE copies a template, and cannot while a job''s worker is connected to it.',
                  HINT = 'Run the job in an ordinary database (not one with datistemplate set).';
    END IF;
    -- The worker connects on the owner's behalf, so check what a login would.
    IF NOT has_database_privilege(owner, target.oid, 'CONNECT') THEN
        RAISE EXCEPTION 'permission denied for database "%"', database
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('The job runs as role "%s", which may not connect to it.', owner),
                  HINT = format('GRANT CONNECT ON DATABASE %I TO %I, or choose another database.', database, owner);
    END IF;
END
$$;
COMMENT ON FUNCTION jobs_internal._check_definition(text, text, text, name, text, name) IS
'Internal: raises a clear error if a job definition is unusable (empty name or command, bad schedule or time '
'zone, missing, template or forbidden database).';

-- Security 4: jobs.max_timeout, the superuser's cap on any job's timeout.
CREATE FUNCTION jobs_internal._check_max_timeout(timeout interval)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    cap constant interval := current_setting('jobs.max_timeout')::interval;
BEGIN
    IF timeout IS NOT NULL AND cap > interval '0' AND timeout > cap THEN
        RAISE EXCEPTION 'timeout % is longer than jobs.max_timeout (%)', timeout, cap
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass a timeout of at most ' || cap || ', or ask a superuser to raise jobs.max_timeout.';
    END IF;
END
$$;
COMMENT ON FUNCTION jobs_internal._check_max_timeout(interval) IS
'Internal: raises 22023 for a timeout longer than the jobs.max_timeout setting (0: no limit).';
REVOKE EXECUTE ON FUNCTION jobs_internal._check_max_timeout(interval) FROM PUBLIC;

-- Security 13/14: limits on times and intervals ----------------------------------
--
-- Every time option (run_at, start_at, end_at) lies from 1970-01-01 00:00:00
-- to 9999-12-31 23:59:59.999999 UTC, and every interval option (timeout,
-- retry_backoff, retry_backoff_max, starting_deadline, min_trigger_interval,
-- the delay of jobs.schedule_in) is at most 100 years with no negative part,
-- so no time + interval the scheduler computes can leave PostgreSQL's range.
-- Checked when a job is defined (22023), and again when the launcher loads
-- a job: a row that breaks them (written into the table directly) is
-- disabled with the reason instead of being scheduled.

CREATE FUNCTION jobs_internal._time_option_problem(name text, value timestamptz)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN value < timestamptz '1970-01-01 00:00:00+00' OR value >= timestamptz '10000-01-01 00:00:00+00'
            THEN format('%s must be between 1970-01-01 00:00:00+00 and 9999-12-31 23:59:59+00, not %s', name,
                        value) END;
COMMENT ON FUNCTION jobs_internal._time_option_problem(text, timestamptz) IS
'Internal: why a time option (run_at, start_at, end_at) is out of bounds (not finite, before 1970-01-01 or after '
'9999-12-31, UTC); NULL when it is fine or NULL.';

CREATE FUNCTION jobs_internal._interval_option_problem(name text, value interval)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE
    WHEN value <= interval '0' THEN format('%s must be positive, not %s', name, value)
    WHEN value > interval '100 years' THEN format('%s must be at most 100 years, not %s', name, value)
    WHEN extract(year FROM value) < 0 OR extract(month FROM value) < 0 OR extract(day FROM value) < 0
         OR extract(hour FROM value) < 0 OR extract(minute FROM value) < 0 OR extract(second FROM value) < 0
        THEN format('%s must not have a negative part, not %s', name, value)
    END;
COMMENT ON FUNCTION jobs_internal._interval_option_problem(text, interval) IS
'Internal: why an interval option is out of bounds (not positive, longer than 100 years, or with a negative '
'part such as ''1 day -1 hour''); NULL when it is fine or NULL.';

-- The first problem of a stored job's times and intervals, or NULL; what the
-- launcher checks each job it loads against.
CREATE FUNCTION jobs_internal._time_limits_problem(run_at timestamptz, start_at timestamptz, end_at timestamptz,
                                          timeout interval, retry_backoff interval, retry_backoff_max interval,
                                          starting_deadline interval, min_trigger_interval interval)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
-- The defaults first: a few comparisons for most jobs (the launcher checks
-- every job it loads, a million at a time).
RETURN CASE WHEN run_at IS NULL AND start_at IS NULL AND end_at IS NULL AND timeout IS NULL
                 AND starting_deadline IS NULL AND min_trigger_interval IS NULL
                 AND retry_backoff = interval '1 second' AND retry_backoff_max = interval '30 seconds' THEN NULL
            ELSE coalesce(jobs_internal._time_option_problem('run_at', run_at), jobs_internal._time_option_problem('start_at', start_at),
                jobs_internal._time_option_problem('end_at', end_at), jobs_internal._interval_option_problem('timeout', timeout),
                jobs_internal._interval_option_problem('retry_backoff', retry_backoff),
                jobs_internal._interval_option_problem('retry_backoff_max', retry_backoff_max),
                jobs_internal._interval_option_problem('starting_deadline', starting_deadline),
                jobs_internal._interval_option_problem('min_trigger_interval', min_trigger_interval)) END;
COMMENT ON FUNCTION jobs_internal._time_limits_problem(timestamptz, timestamptz, timestamptz, interval, interval, interval,
                                              interval, interval) IS
'Internal: the first time or interval option of a job that is out of bounds, as a message; NULL if none.';

CREATE FUNCTION jobs_internal._check_time_option(name text, value timestamptz)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    problem text := jobs_internal._time_option_problem(name, value);
BEGIN
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION '%', problem
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'pg_jobs takes finite times from 1970-01-01 00:00:00 to 9999-12-31 23:59:59 UTC.',
                  HINT = format('Pass a time in that range, such as now() + interval ''1 hour'', or leave %s out.',
                                name);
    END IF;
END
$$;
COMMENT ON FUNCTION jobs_internal._check_time_option(text, timestamptz) IS
'Internal: raises 22023 if a time option is not finite or outside 1970-01-01 .. 9999-12-31 (UTC).';

CREATE FUNCTION jobs_internal._check_interval_option(name text, value interval)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    problem text := jobs_internal._interval_option_problem(name, value);
BEGIN
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION '%', problem
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'pg_jobs takes intervals of at most 100 years, without negative parts.',
                  HINT = format('Pass an interval such as ''5 minutes'' or ''2 days'' for %s.', name);
    END IF;
END
$$;
COMMENT ON FUNCTION jobs_internal._check_interval_option(text, interval) IS
'Internal: raises 22023 if an interval option is not positive, longer than 100 years or has a negative part.';
REVOKE EXECUTE ON FUNCTION jobs_internal._time_option_problem(text, timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._interval_option_problem(text, interval) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._time_limits_problem(timestamptz, timestamptz, timestamptz, interval, interval,
                                                     interval, interval, interval) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._check_time_option(text, timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._check_interval_option(text, interval) FROM PUBLIC;

-- Refuses run options the scheduler could not honour.
CREATE OR REPLACE FUNCTION jobs_internal._check_run_options(timeout interval, max_retries integer, retry_backoff interval,
                                        retry_backoff_max interval)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF timeout IS NOT NULL AND timeout <= interval '0' THEN
        RAISE EXCEPTION 'timeout must be positive, not %', timeout
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass an interval such as ''5 minutes'', or leave it out for the jobs.default_timeout setting.';
    END IF;
    IF max_retries IS NULL OR max_retries < 0 OR max_retries > 1000 THEN
        RAISE EXCEPTION 'max_retries must be between 0 and 1000, not %', coalesce(max_retries::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass 0 (the default) for no retries.';
    END IF;
    IF retry_backoff IS NULL OR retry_backoff <= interval '0' THEN
        RAISE EXCEPTION 'retry_backoff must be positive, not %', coalesce(retry_backoff::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass an interval such as ''1 second'' (the default).';
    END IF;
    IF retry_backoff_max IS NULL OR retry_backoff_max < retry_backoff THEN
        RAISE EXCEPTION 'retry_backoff_max (%) must not be shorter than retry_backoff (%)',
            coalesce(retry_backoff_max::text, 'NULL'), retry_backoff
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass an interval at least as long as retry_backoff, such as ''30 seconds'' (the default).';
    END IF;
    PERFORM jobs_internal._check_interval_option('timeout', timeout);  -- Security 14: bounded intervals
    PERFORM jobs_internal._check_interval_option('retry_backoff', retry_backoff);
    PERFORM jobs_internal._check_interval_option('retry_backoff_max', retry_backoff_max);
    PERFORM jobs_internal._check_max_timeout(timeout);  -- Security 4: after the bounds, within them
END
$$;
COMMENT ON FUNCTION jobs_internal._check_run_options(interval, integer, interval, interval) IS
'Internal: raises 22023 for a non-positive timeout or one past jobs.max_timeout, max_retries outside 0..1000, or a '
'bad retry backoff, and for a timeout or backoff longer than 100 years or with a negative part.';

-- Refuses run policies the launcher could not follow (see the columns'
-- comments for what each one means).
CREATE OR REPLACE FUNCTION jobs_internal._check_run_policy(schedule text, overlap text, max_concurrent integer, misfire text,
                                       starting_deadline interval, start_at timestamptz, end_at timestamptz,
                                       max_runs integer, run_at timestamptz, min_trigger_interval interval)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    -- Security 13: finite times in a sane range.
    PERFORM jobs_internal._check_time_option('run_at', run_at);
    PERFORM jobs_internal._check_time_option('start_at', start_at);
    PERFORM jobs_internal._check_time_option('end_at', end_at);
    IF overlap IS NULL OR overlap NOT IN ('skip', 'queue', 'allow', 'replace') THEN
        RAISE EXCEPTION 'overlap must be skip, queue, allow or replace, not %', coalesce('"' || overlap || '"', 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass ''skip'' (the default: a run due while one is running is skipped), ''queue'', '
                         '''allow'' (with max_concurrent) or ''replace''.';
    END IF;
    IF max_concurrent IS NULL OR max_concurrent < 1 OR max_concurrent > 1000 THEN
        RAISE EXCEPTION 'max_concurrent must be between 1 and 1000, not %', coalesce(max_concurrent::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'It limits the runs at once with overlap => ''allow''; pass 1 (the default) or more.';
    END IF;
    IF misfire IS NULL OR misfire NOT IN ('skip', 'run_once', 'run_all') THEN
        RAISE EXCEPTION 'misfire must be skip, run_once or run_all, not %', coalesce('"' || misfire || '"', 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass ''skip'' (the default: missed runs are not made up), ''run_once'' or ''run_all''.';
    END IF;
    IF starting_deadline <= interval '0' THEN
        RAISE EXCEPTION 'starting_deadline must be positive, not %', starting_deadline
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass an interval such as ''5 minutes'', or leave it out for no deadline.';
    END IF;
    IF end_at <= start_at THEN
        RAISE EXCEPTION 'end_at (%) must be later than start_at (%)', end_at, start_at
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass an end_at after start_at, or leave either out for an open end.';
    END IF;
    IF max_runs < 1 THEN
        RAISE EXCEPTION 'max_runs must be at least 1, not %', max_runs
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Leave it out (NULL) for no limit.';
    END IF;
    IF run_at IS NOT NULL AND schedule IS NOT NULL THEN
        RAISE EXCEPTION 'a job with run_at runs once, so its schedule must be NULL, not "%"', schedule
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A one-shot job has schedule NULL: pass schedule => NULL with run_at, or leave run_at '
                         'out for a recurring job (jobs.alter: reset => ''{run_at}'').';
    END IF;
    IF min_trigger_interval <= interval '0' THEN
        RAISE EXCEPTION 'min_trigger_interval must be positive, not %', min_trigger_interval
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass an interval such as ''1 minute'', or leave it out for no limit.';
    END IF;
    PERFORM jobs_internal._check_interval_option('starting_deadline', starting_deadline);  -- Security 14
    PERFORM jobs_internal._check_interval_option('min_trigger_interval', min_trigger_interval);
END
$$;
COMMENT ON FUNCTION jobs_internal._check_run_policy(text, text, integer, text, interval, timestamptz, timestamptz, integer,
                                           timestamptz, interval) IS
'Internal: raises 22023 for an unknown overlap or misfire, max_concurrent outside 1..1000, a non-positive '
'starting_deadline or min_trigger_interval, max_runs below 1, end_at not after start_at, or run_at with a '
'schedule; and for run_at, start_at or end_at not finite or outside 1970-01-01 .. 9999-12-31 (UTC), or a '
'starting_deadline or min_trigger_interval longer than 100 years or with a negative part.';

-- Security 17: sessions creating jobs for the same owner take turns on the
-- owner's row here until they commit, so each counts the jobs the others
-- created. Only the extension's functions can lock these rows (an advisory
-- key could be taken by any role, blocking the owner's jobs.schedule).
CREATE TABLE jobs_internal._owner_lock (
    owner_oid oid PRIMARY KEY
);
COMMENT ON TABLE jobs_internal._owner_lock IS
'Internal: one row per role that created a job, locked while its job quota is checked; readable by nobody.';
REVOKE ALL ON jobs_internal._owner_lock FROM PUBLIC;

-- Refuses a new job beyond jobs.max_jobs_per_owner (redefining one is fine).
-- Superusers are not limited.
CREATE OR REPLACE FUNCTION jobs_internal._check_job_quota(owner name, job_name text)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    job_limit integer := coalesce(current_setting('jobs.max_jobs_per_owner', true)::integer, 0);
    owner_id regrole := jobs_internal._role_id(_check_job_quota.owner);
    owned bigint;
BEGIN
    IF job_limit <= 0 OR (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.oid = owner_id) THEN
        RETURN;
    END IF;
    INSERT INTO jobs_internal._owner_lock AS l (owner_oid) VALUES (owner_id) ON CONFLICT (owner_oid) DO NOTHING;
    PERFORM FROM jobs_internal._owner_lock AS l WHERE l.owner_oid = owner_id FOR UPDATE;
    IF EXISTS (SELECT FROM jobs.scheduled_job AS j
               WHERE j.owner = owner_id AND j.job_name = _check_job_quota.job_name) THEN
        RETURN;
    END IF;
    SELECT count(*) INTO owned FROM jobs.scheduled_job AS j WHERE j.owner = owner_id;
    IF owned >= job_limit THEN
        RAISE EXCEPTION 'role "%" already has % jobs, and jobs.max_jobs_per_owner is %', owner, owned, job_limit
            USING ERRCODE = 'configuration_limit_exceeded',
                  HINT = 'Remove a job with jobs.unschedule, or ask an administrator to raise '
                         'jobs.max_jobs_per_owner.';
    END IF;
END
$$;
COMMENT ON FUNCTION jobs_internal._check_job_quota(name, text) IS
'Internal: raises 53400 if creating this job would give the owner (not a superuser) more jobs than '
'jobs.max_jobs_per_owner (0: no limit); redefining an existing job passes.';

-- Security 15: payloads (jobs.trigger) and HTTP bodies are at most
-- jobs.max_payload_size, as jsonb and as JSON text, measured without
-- printing them (src/pg/payload_limit.cpp).
CREATE FUNCTION jobs_internal._check_payload_size(value jsonb, what text DEFAULT 'payload')
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_check_payload_size';
COMMENT ON FUNCTION jobs_internal._check_payload_size(jsonb, text) IS
'Internal: raises 54000 if the jsonb value, or its JSON text, is larger than jobs.max_payload_size; "what" '
'names it in the error.';
REVOKE EXECUTE ON FUNCTION jobs_internal._check_payload_size(jsonb, text) FROM PUBLIC;

CREATE FUNCTION jobs_internal._payload_refusal(payload jsonb, config jsonb)
RETURNS text
LANGUAGE C STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pg_jobs_payload_refusal';
COMMENT ON FUNCTION jobs_internal._payload_refusal(jsonb, jsonb) IS
'Internal: NULL, or why a queued run cannot start: its payload or HTTP body is larger than '
'jobs.max_payload_size (rows written directly, or the setting lowered since). Used by the claims.';
REVOKE EXECUTE ON FUNCTION jobs_internal._payload_refusal(jsonb, jsonb) FROM PUBLIC;

-- Security 18: roles other than superusers may not define a schedule that
-- fires more often than jobs.min_schedule_interval. The shortest gap is
-- measured on its next 1000 fire times.
CREATE FUNCTION jobs_internal._check_schedule_interval(schedule text, timezone text, caller name)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    setting text := coalesce(current_setting('jobs.min_schedule_interval', true), '0');
    min_gap interval := setting::interval;
    shortest interval;
BEGIN
    IF schedule IS NULL OR min_gap <= interval '0'
       OR (SELECT r.rolsuper FROM pg_roles AS r WHERE r.rolname = caller) THEN
        RETURN;
    END IF;
    SELECT min(f.run - f.previous) INTO shortest
    FROM (SELECT n.run, lag(n.run) OVER (ORDER BY n.run) AS previous
          FROM jobs.next_runs(schedule, 1000, now(), timezone) AS n(run)) AS f;
    IF shortest < min_gap THEN
        RAISE EXCEPTION 'schedule "%" fires more often than jobs.min_schedule_interval (%) allows', schedule, setting
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Two of its fire times are only %s apart.', shortest),
                  HINT = format('Choose a schedule whose fire times are at least %s apart, for example ''@every %s'', '
                                'or ask a superuser to lower jobs.min_schedule_interval.', setting, setting);
    END IF;
END
$$;
COMMENT ON FUNCTION jobs_internal._check_schedule_interval(text, text, name) IS
'Internal: raises 22023 if a role other than a superuser defines a schedule with two fire times closer than '
'jobs.min_schedule_interval (0: no limit).';
REVOKE EXECUTE ON FUNCTION jobs_internal._check_schedule_interval(text, text, name) FROM PUBLIC;

-- The privileged parts of the public functions: SECURITY DEFINER, executable
-- only by the extension's owner; pg_jobs_privileged_call calls them with the
-- caller's role as first argument.

CREATE OR REPLACE FUNCTION jobs_internal._schedule(caller name, job_name text, schedule text, command text, database text,
                               timezone text, enabled boolean, timeout interval, max_retries integer,
                               retry_backoff interval, retry_backoff_max interval, overlap text,
                               max_concurrent integer, misfire text, starting_deadline interval,
                               start_at timestamptz, end_at timestamptz, max_runs integer, run_at timestamptz,
                               min_trigger_interval interval)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    zone text := coalesce(timezone, current_setting('jobs.timezone'));
    target name := coalesce(database, current_database());
    result_id bigint;
BEGIN
    PERFORM jobs_internal._check_definition(job_name, schedule, command, target, zone, caller);
    PERFORM jobs_internal._check_schedule_interval(schedule, zone, caller);
    PERFORM jobs_internal._check_run_options(timeout, max_retries, retry_backoff, retry_backoff_max);
    PERFORM jobs_internal._check_run_policy(schedule, overlap, max_concurrent, misfire, starting_deadline, start_at, end_at,
                                   max_runs, run_at, min_trigger_interval);
    IF enabled IS NULL THEN
        RAISE EXCEPTION 'enabled must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass true or false, or leave it out (true).';
    END IF;
    PERFORM jobs_internal._check_job_quota(caller, job_name);
    INSERT INTO jobs.scheduled_job AS j (job_name, owner, schedule, timezone, command, database, enabled, timeout,
                                         max_retries, retry_backoff, retry_backoff_max, overlap, max_concurrent,
                                         misfire, starting_deadline, start_at, end_at, max_runs, run_at,
                                         min_trigger_interval)
    VALUES (job_name, jobs_internal._role_id(caller), schedule, zone, command, target, enabled, timeout, max_retries, retry_backoff,
            retry_backoff_max, overlap, max_concurrent, misfire, starting_deadline, start_at, end_at, max_runs,
            run_at, min_trigger_interval)
    ON CONFLICT ON CONSTRAINT scheduled_job_owner_job_name_key DO UPDATE
        SET schedule = excluded.schedule, timezone = excluded.timezone, command = excluded.command,
            database = excluded.database, enabled = excluded.enabled, kind = 'sql', http_method = NULL,
            http_url = NULL, http_headers = NULL, http_body = NULL, timeout = excluded.timeout,
            max_retries = excluded.max_retries, retry_backoff = excluded.retry_backoff,
            retry_backoff_max = excluded.retry_backoff_max, overlap = excluded.overlap,
            max_concurrent = excluded.max_concurrent, misfire = excluded.misfire,
            starting_deadline = excluded.starting_deadline, start_at = excluded.start_at, end_at = excluded.end_at,
            max_runs = excluded.max_runs, run_at = excluded.run_at,
            min_trigger_interval = excluded.min_trigger_interval, disabled_reason = NULL, updated_at = now()
    RETURNING j.job_id INTO result_id;
    DELETE FROM jobs_internal._http_secret AS s WHERE s.job_id = result_id;
    PERFORM jobs_internal._wake_scheduler(true, result_id);
    RETURN result_id;
END
$$;

CREATE OR REPLACE FUNCTION jobs_internal._alter(caller name, job_id bigint, schedule text, command text, database text,
                            timezone text, enabled boolean, timeout interval, max_retries integer,
                            retry_backoff interval, retry_backoff_max interval, overlap text,
                            max_concurrent integer, misfire text, starting_deadline interval,
                            start_at timestamptz, end_at timestamptz, max_runs integer, run_at timestamptz,
                            min_trigger_interval interval, reset text[])
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job jobs.scheduled_job := jobs_internal._job_for_caller(job_id, caller, true);
    -- The options that may be NULL, so that NULL cannot mean "unchanged" for them.
    resettable constant text[] := ARRAY['timeout', 'starting_deadline', 'start_at', 'end_at', 'max_runs', 'run_at',
                                        'min_trigger_interval'];
    given text[] := array_remove(ARRAY[
        CASE WHEN timeout IS NOT NULL THEN 'timeout' END,
        CASE WHEN starting_deadline IS NOT NULL THEN 'starting_deadline' END,
        CASE WHEN start_at IS NOT NULL THEN 'start_at' END, CASE WHEN end_at IS NOT NULL THEN 'end_at' END,
        CASE WHEN max_runs IS NOT NULL THEN 'max_runs' END, CASE WHEN run_at IS NOT NULL THEN 'run_at' END,
        CASE WHEN min_trigger_interval IS NOT NULL THEN 'min_trigger_interval' END], NULL);
BEGIN
    IF array_position(reset, NULL) IS NOT NULL OR NOT reset <@ resettable THEN
        RAISE EXCEPTION 'reset may name %, not %', array_to_string(resettable, ', '),
            (SELECT string_agg(coalesce('"' || r || '"', 'NULL'), ', ') FROM unnest(reset) AS r
             WHERE r IS NULL OR r <> ALL (resettable))
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Options not listed there are changed by passing a new value, for example '
                         'overlap => ''skip''.';
    END IF;
    IF reset && given THEN
        RAISE EXCEPTION 'an option cannot be both given and reset: %',
            (SELECT string_agg(r, ', ') FROM unnest(reset) AS r WHERE r = ANY (given))
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass a new value to change an option, or name it in reset to clear it.';
    END IF;
    PERFORM jobs_internal._check_changes_what_runs(job, caller, array_remove(ARRAY[
        CASE WHEN command IS NOT NULL THEN 'command' END, CASE WHEN database IS NOT NULL THEN 'database' END], NULL));
    IF job.kind = 'http' AND (command IS NOT NULL OR database IS NOT NULL) THEN
        RAISE EXCEPTION 'job "%" is an HTTP job: it has no command or database', job.job_name
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Change its request with jobs.alter_http, or redefine it with jobs.schedule.';
    END IF;
    job.schedule := coalesce(schedule, job.schedule);
    job.command := coalesce(command, job.command);
    job.database := coalesce(database, job.database);
    job.timezone := coalesce(timezone, job.timezone);
    job.enabled := coalesce(enabled, job.enabled);
    job.timeout := coalesce(timeout, job.timeout);
    job.max_retries := coalesce(max_retries, job.max_retries);
    job.retry_backoff := coalesce(retry_backoff, job.retry_backoff);
    job.retry_backoff_max := coalesce(retry_backoff_max, job.retry_backoff_max);
    job.overlap := coalesce(overlap, job.overlap);
    job.max_concurrent := coalesce(max_concurrent, job.max_concurrent);
    job.misfire := coalesce(misfire, job.misfire);
    job.starting_deadline := CASE WHEN 'starting_deadline' = ANY (reset) THEN NULL
                                  ELSE coalesce(starting_deadline, job.starting_deadline) END;
    job.start_at := CASE WHEN 'start_at' = ANY (reset) THEN NULL ELSE coalesce(start_at, job.start_at) END;
    job.end_at := CASE WHEN 'end_at' = ANY (reset) THEN NULL ELSE coalesce(end_at, job.end_at) END;
    job.max_runs := CASE WHEN 'max_runs' = ANY (reset) THEN NULL ELSE coalesce(max_runs, job.max_runs) END;
    job.run_at := CASE WHEN 'run_at' = ANY (reset) THEN NULL ELSE coalesce(run_at, job.run_at) END;
    job.min_trigger_interval := CASE WHEN 'min_trigger_interval' = ANY (reset) THEN NULL
                                     ELSE coalesce(min_trigger_interval, job.min_trigger_interval) END;
    IF 'timeout' = ANY (reset) THEN
        job.timeout := NULL;
    END IF;
    IF enabled THEN
        job.disabled_reason := NULL;  -- enabled by hand
    END IF;
    PERFORM jobs_internal._check_definition(job.job_name, job.schedule, job.command, job.database, job.timezone,
                                   pg_get_userbyid(job.owner));
    PERFORM jobs_internal._check_run_options(job.timeout, job.max_retries, job.retry_backoff, job.retry_backoff_max);
    PERFORM jobs_internal._check_run_policy(job.schedule, job.overlap, job.max_concurrent, job.misfire,
                                   job.starting_deadline, job.start_at, job.end_at, job.max_runs, job.run_at,
                                   job.min_trigger_interval);
    IF schedule IS NOT NULL THEN
        PERFORM jobs_internal._check_schedule_interval(job.schedule, job.timezone, caller);
    END IF;
    IF job.kind = 'http' THEN
        PERFORM jobs_internal._check_http_timeout(job.timeout);
    END IF;
    UPDATE jobs.scheduled_job AS j
    SET schedule = job.schedule, command = job.command, database = job.database, timezone = job.timezone,
        enabled = job.enabled, timeout = job.timeout, max_retries = job.max_retries,
        retry_backoff = job.retry_backoff, retry_backoff_max = job.retry_backoff_max, overlap = job.overlap,
        max_concurrent = job.max_concurrent, misfire = job.misfire, starting_deadline = job.starting_deadline,
        start_at = job.start_at, end_at = job.end_at, max_runs = job.max_runs, run_at = job.run_at,
        min_trigger_interval = job.min_trigger_interval, disabled_reason = job.disabled_reason, updated_at = now()
    WHERE j.job_id = job.job_id;
    PERFORM jobs_internal._wake_scheduler(true, job.job_id);
END
$$;

CREATE OR REPLACE FUNCTION jobs_internal._trigger(caller name, job_id bigint, payload jsonb)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job jobs.scheduled_job := jobs_internal._job_for_caller(job_id, caller, false);
    result_id bigint;
    last_trigger timestamptz;
BEGIN
    PERFORM jobs_internal._check_payload_size(payload, 'payload');
    IF job.min_trigger_interval IS NOT NULL THEN
        -- Triggers of this job take turns on its row until they commit, so
        -- each one sees the run the one before it queued.
        SELECT * INTO job FROM jobs.scheduled_job AS j WHERE j.job_id = job.job_id FOR NO KEY UPDATE;
        SELECT e.queued_at INTO last_trigger FROM jobs.job_execution AS e
        WHERE e.job_id = job.job_id AND e.triggered_by = 'manual'
        ORDER BY e.queued_at DESC LIMIT 1;
        -- Security 14: a difference of times, never a time + interval that could overflow.
        IF isfinite(last_trigger) AND clock_timestamp() - last_trigger < job.min_trigger_interval THEN
            RAISE EXCEPTION 'job "%" was triggered less than % ago', job.job_name, job.min_trigger_interval
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('Its last manual trigger was queued at %s; its min_trigger_interval is %s.',
                                      last_trigger, job.min_trigger_interval),
                      HINT = CASE WHEN jobs_internal._interval_option_problem('', job.min_trigger_interval) IS NULL
                                  THEN format('Trigger it again from %s on.', last_trigger + job.min_trigger_interval)
                                  ELSE 'Shorten its min_trigger_interval with jobs.alter.' END;
        END IF;
        -- A change, not only a lock: a REPEATABLE READ trigger waiting here
        -- then fails to serialize instead of missing this one's run.
        UPDATE jobs.scheduled_job AS j SET min_trigger_interval = job.min_trigger_interval
        WHERE j.job_id = job.job_id;
    END IF;
    INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, kind, triggered_by,
                                    triggered_by_user, payload)
    VALUES (job.job_id, job.job_name, job.owner, pg_get_userbyid(job.owner), job.database, job.command, job.kind,
            'manual', caller, payload)
    RETURNING execution_id INTO result_id;
    PERFORM jobs_internal._wake_scheduler(false);
    RETURN result_id;
END
$$;

-- A one-shot job now() + delay from now: jobs_internal._schedule with run_at.
CREATE OR REPLACE FUNCTION jobs_internal._schedule_in(caller name, job_name text, delay interval, command text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF delay IS NULL OR delay <= interval '0' THEN
        RAISE EXCEPTION 'delay must be positive, not %', coalesce(delay::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass an interval such as ''10 minutes''; to run a job now, use jobs.trigger.';
    END IF;
    PERFORM jobs_internal._check_interval_option('delay', delay);  -- Security 14: at most 100 years
    RETURN jobs_internal._schedule(caller, job_name, NULL, command, NULL, NULL, true, NULL, 0, interval '1 second',
                          interval '30 seconds', 'skip', 1, 'skip', NULL, NULL, NULL, NULL, now() + delay, NULL);
END
$$;

-- A queued run ends at once; a running one is interrupted once this
-- transaction commits (its worker then records it 'cancelled', by the role in
-- cancel_requested_by). The row lock keeps the run from finishing meanwhile.
CREATE OR REPLACE FUNCTION jobs_internal._cancel(caller name, execution_id bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run jobs.job_execution;
    caller_id regrole := jobs_internal._role_id(caller);
    sees_all boolean := coalesce(jobs_internal._administers_jobs(caller), false);  -- superusers and jobs_admin (Security 20)
BEGIN
    -- Another role's run answers as a missing one (Security 7), unlocked.
    SELECT * INTO run FROM jobs.job_execution AS e
    WHERE e.execution_id = _cancel.execution_id AND (sees_all OR e.owner = caller_id) FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'execution % does not exist', execution_id
            USING ERRCODE = 'undefined_object',
                  HINT = 'List runs with SELECT execution_id, job_name, status FROM jobs.job_history.';
    END IF;
    IF run.status = 'queued' THEN
        UPDATE jobs.job_execution AS e
        SET status = 'cancelled', finished_at = clock_timestamp(), cancel_requested_by = caller,
            error = format('cancelled by %s', caller), sqlstate = '57014'
        WHERE e.execution_id = run.execution_id;
        PERFORM jobs_internal._request_cancel(run.execution_id, 'queued');  -- wakes jobs.wait at commit
        RETURN true;
    ELSIF run.status = 'running' THEN
        UPDATE jobs.job_execution AS e SET cancel_requested_by = caller WHERE e.execution_id = run.execution_id;
        PERFORM jobs_internal._request_cancel(run.execution_id, run.kind);
        RETURN true;
    END IF;
    RETURN false;
END
$$;

-- A run that leaves 'running' unsuccessfully, of a job that still exists
-- and has retries left, gets a new queued run: attempt + 1, retry_of the
-- failed one, same command, payload and scheduled_for (the unique index on
-- scheduled_for covers triggered_by = 'schedule' only), not before its
-- backoff. Runs that never started (cancelled or failed while queued) are
-- not retried.
CREATE OR REPLACE FUNCTION jobs_internal._queue_retry()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job jobs.scheduled_job;
BEGIN
    SELECT * INTO job FROM jobs.scheduled_job AS j WHERE j.job_id = NEW.job_id;
    IF NOT FOUND OR NEW.attempt > job.max_retries
       OR NOT jobs_internal._is_retryable(NEW.kind, NEW.status, NEW.http_status, NEW.error) THEN
        RETURN NULL;
    END IF;
    -- As the job's owner now (REASSIGN OWNED may have given it to another role).
    INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, kind, triggered_by,
                                    triggered_by_user, scheduled_for, payload, attempt, retry_of, not_before)
    VALUES (NEW.job_id, NEW.job_name, job.owner, pg_get_userbyid(job.owner), NEW.database, NEW.command, NEW.kind,
            'retry', NEW.triggered_by_user, NEW.scheduled_for, NEW.payload, NEW.attempt + 1, NEW.execution_id,
            jobs_internal._retry_at(clock_timestamp(), NEW.attempt, job.retry_backoff, job.retry_backoff_max,
                           NEW.execution_id));
    PERFORM jobs_internal._wake_scheduler(false);  -- the launcher then sleeps until not_before
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION jobs_internal._check_http_timeout(timeout interval)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF timeout IS NULL OR timeout <= interval '0' OR timeout > interval '1 day' THEN
        RAISE EXCEPTION 'timeout must be between 1 millisecond and 1 day, not %', coalesce(timeout::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass an interval such as ''30 seconds'' or ''5 minutes''.';
    END IF;
    PERFORM jobs_internal._check_max_timeout(timeout);
END
$$;

CREATE OR REPLACE FUNCTION jobs_internal._schedule_http(caller name, job_name text, schedule text, url text, method text,
                                    headers jsonb, body jsonb, timeout interval, timezone text, enabled boolean,
                                    max_retries integer, retry_backoff interval, retry_backoff_max interval,
                                    overlap text, max_concurrent integer, misfire text, starting_deadline interval,
                                    start_at timestamptz, end_at timestamptz, max_runs integer,
                                    run_at timestamptz, min_trigger_interval interval)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    zone text := coalesce(timezone, current_setting('jobs.timezone'));
    verb text := jobs_internal._http_check(url, method, coalesce(headers, '{}'));
    result_id bigint;
BEGIN
    PERFORM jobs_internal._check_definition(job_name, schedule, verb || ' ' || url, current_database(), zone, caller);
    PERFORM jobs_internal._check_schedule_interval(schedule, zone, caller);
    PERFORM jobs_internal._check_payload_size(body, 'body');
    PERFORM jobs_internal._check_http_timeout(timeout);
    PERFORM jobs_internal._check_run_options(timeout, max_retries, retry_backoff, retry_backoff_max);
    PERFORM jobs_internal._check_run_policy(schedule, overlap, max_concurrent, misfire, starting_deadline, start_at, end_at,
                                   max_runs, run_at, min_trigger_interval);
    IF enabled IS NULL THEN
        RAISE EXCEPTION 'enabled must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass true or false, or leave it out (true).';
    END IF;
    PERFORM jobs_internal._check_job_quota(caller, job_name);
    INSERT INTO jobs.scheduled_job AS j (job_name, owner, schedule, timezone, command, database, enabled, kind,
                                         http_method, http_url, http_headers, http_body, timeout, max_retries,
                                         retry_backoff, retry_backoff_max, overlap, max_concurrent, misfire,
                                         starting_deadline, start_at, end_at, max_runs, run_at,
                                         min_trigger_interval)
    VALUES (job_name, jobs_internal._role_id(caller), schedule, zone, verb || ' ' || url, current_database(), enabled, 'http', verb, url,
            jobs_internal._mask_secret_headers(coalesce(headers, '{}')), body, timeout, max_retries, retry_backoff,
            retry_backoff_max, overlap, max_concurrent, misfire, starting_deadline, start_at, end_at, max_runs,
            run_at, min_trigger_interval)
    ON CONFLICT ON CONSTRAINT scheduled_job_owner_job_name_key DO UPDATE
        SET schedule = excluded.schedule, timezone = excluded.timezone, command = excluded.command,
            database = excluded.database, enabled = excluded.enabled, kind = excluded.kind,
            http_method = excluded.http_method, http_url = excluded.http_url,
            http_headers = excluded.http_headers, http_body = excluded.http_body, timeout = excluded.timeout,
            max_retries = excluded.max_retries, retry_backoff = excluded.retry_backoff,
            retry_backoff_max = excluded.retry_backoff_max, overlap = excluded.overlap,
            max_concurrent = excluded.max_concurrent, misfire = excluded.misfire,
            starting_deadline = excluded.starting_deadline, start_at = excluded.start_at, end_at = excluded.end_at,
            max_runs = excluded.max_runs, run_at = excluded.run_at,
            min_trigger_interval = excluded.min_trigger_interval, disabled_reason = NULL, updated_at = now()
    RETURNING j.job_id INTO result_id;
    INSERT INTO jobs_internal._http_secret AS s (job_id, headers) VALUES (result_id, coalesce(headers, '{}'))
    ON CONFLICT (job_id) DO UPDATE SET headers = excluded.headers;
    PERFORM jobs_internal._note_missing_secrets(jobs_internal._role_id(caller), headers);
    PERFORM jobs_internal._wake_scheduler(true, result_id);
    RETURN result_id;
END
$$;

CREATE OR REPLACE FUNCTION jobs_internal._alter_http(caller name, job_id bigint, url text, method text, headers jsonb, body jsonb,
                                 timeout interval)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job jobs.scheduled_job := jobs_internal._job_for_caller(job_id, caller, true);
    new_headers jsonb;
    verb text;
BEGIN
    IF job.kind <> 'http' THEN
        RAISE EXCEPTION 'job "%" is not an HTTP job', job.job_name
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Change its command with jobs.alter, or redefine it with jobs.schedule_http.';
    END IF;
    PERFORM jobs_internal._check_changes_what_runs(job, caller, array_remove(ARRAY[
        CASE WHEN url IS NOT NULL THEN 'url' END, CASE WHEN method IS NOT NULL THEN 'method' END,
        CASE WHEN headers IS NOT NULL THEN 'headers' END, CASE WHEN body IS NOT NULL THEN 'body' END], NULL));
    SELECT s.headers INTO new_headers FROM jobs_internal._http_secret AS s WHERE s.job_id = job.job_id;
    new_headers := coalesce(headers, new_headers, '{}');
    verb := jobs_internal._http_check(coalesce(url, job.http_url), coalesce(method, job.http_method), new_headers);
    PERFORM jobs_internal._check_payload_size(body, 'body');
    PERFORM jobs_internal._check_http_timeout(coalesce(timeout, job.timeout));
    UPDATE jobs.scheduled_job AS j
    SET http_url = coalesce(_alter_http.url, job.http_url), http_method = verb,
        http_headers = jobs_internal._mask_secret_headers(new_headers), http_body = coalesce(_alter_http.body, job.http_body),
        timeout = coalesce(_alter_http.timeout, job.timeout),
        command = verb || ' ' || coalesce(_alter_http.url, job.http_url), updated_at = now()
    WHERE j.job_id = job.job_id;
    UPDATE jobs_internal._http_secret AS s SET headers = new_headers WHERE s.job_id = job.job_id;
    PERFORM jobs_internal._note_missing_secrets(job.owner, new_headers);
    PERFORM jobs_internal._wake_scheduler(true, job.job_id);
END
$$;
COMMENT ON FUNCTION jobs.alter(bigint, text, text, text, text, boolean, interval, integer, interval, interval,
                               text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text[]) IS
'Changes the given properties of the job with this job_id (NULL: unchanged; reset lists options to set back to '
'NULL: timeout, starting_deadline, start_at, end_at, max_runs, run_at, min_trigger_interval). For '
'administrators: superusers may change any job; members of jobs_admin any job''s schedule, time zone, enabled and '
'run options, but not its command or database (42501); other roles only their own.';
COMMENT ON FUNCTION jobs.enable(bigint) IS
'Lets the job with this job_id fire on its schedule again. For administrators: superusers and members of '
'jobs_admin may change any job, other roles only their own.';
COMMENT ON FUNCTION jobs.disable(bigint) IS
'Stops the job with this job_id from firing on its schedule (it can still be triggered); runs already started '
'finish. For administrators: superusers and members of jobs_admin may change any job, other roles only their '
'own.';
COMMENT ON FUNCTION jobs.unschedule(bigint) IS
'Removes the job with this job_id and cancels its queued runs; its history stays in jobs.job_execution. Returns '
'true. For administrators: superusers and members of jobs_admin may remove any job, other roles only their own.';
COMMENT ON FUNCTION jobs.trigger(bigint, jsonb) IS
'Queues a run of the job with this job_id and returns its execution_id; it starts when the transaction commits '
'(never if it rolls back). The job reads the payload with jobs.context(). For administrators: superusers and '
'members of jobs_admin may trigger any job (it still runs as its owner), other roles only their own.';
COMMENT ON FUNCTION jobs.cancel(bigint) IS
'Cancels a run: a queued one at once, a running one (SQL command or HTTP request) when the transaction commits; '
'it ends as cancelled, with the effects of its transaction undone. Returns false if the run had already '
'finished. The run''s owner, superusers and members of jobs_admin may cancel it.';
COMMENT ON FUNCTION jobs.alter_http(bigint, text, text, jsonb, jsonb, interval) IS
'Changes the given request properties of the HTTP job with this job_id (NULL: unchanged; headers replace all '
'headers). Schedule, time zone and enabled change with jobs.alter. Members of jobs_admin may change only the '
'timeout of another role''s job: url, method, headers and body are its owner''s (or a superuser''s).';

-- Security 11: secrets ------------------------------------------------------------------
--
-- Secrets by reference. jobs.set_secret stores a value under a name in the
-- caller's own namespace (keyed by the role's OID); a header value of an
-- HTTP job refers to it as {{secret:NAME}}, stored as written. Only the HTTP
-- worker puts the value in, right before the request, from the secrets of
-- the job's owner (src/pg/http_store.cpp). jobs_internal._secret is readable by the
-- extension's owner only, and not dumped by pg_dump: role OIDs do not survive
-- a restore, and a secret must never end up with another role.

CREATE TABLE jobs_internal._secret (
    owner_id   oid NOT NULL,
    name       text NOT NULL,
    value      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner_id, name)
);
COMMENT ON TABLE jobs_internal._secret IS
'Internal: the secrets of HTTP jobs, per role (owner_id: the role''s OID); readable by the extension''s owner only.';
REVOKE ALL ON jobs_internal._secret FROM PUBLIC;

CREATE FUNCTION jobs_internal._check_secret_name(name text)
RETURNS void
LANGUAGE C IMMUTABLE
AS 'MODULE_PATHNAME', 'pg_jobs_check_secret_name';
COMMENT ON FUNCTION jobs_internal._check_secret_name(text) IS
'Internal: raises 22023 unless name is 1 to 63 letters, digits, underscores, dots or hyphens (22004 if NULL).';

CREATE FUNCTION jobs_internal._check_secret_value(value text)
RETURNS void
LANGUAGE C IMMUTABLE
AS 'MODULE_PATHNAME', 'pg_jobs_check_secret_value';
COMMENT ON FUNCTION jobs_internal._check_secret_value(text) IS
'Internal: raises 22023 unless value is 1 to 8192 bytes without control characters other than tab (22004 if '
'NULL). The message never repeats the value.';

CREATE FUNCTION jobs_internal._set_secret(caller name, name text, value text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- Both checked before the INSERT: a constraint violation would show the row.
    PERFORM jobs_internal._check_secret_name(name);
    PERFORM jobs_internal._check_secret_value(value);
    INSERT INTO jobs_internal._secret AS s (owner_id, name, value)
    VALUES (jobs_internal._role_id(caller), _set_secret.name, _set_secret.value)
    ON CONFLICT ON CONSTRAINT _secret_pkey DO UPDATE SET value = excluded.value, updated_at = now();
END
$$;
COMMENT ON FUNCTION jobs_internal._set_secret(name, text, text) IS
'Internal: the privileged part of jobs.set_secret; call jobs.set_secret.';

CREATE FUNCTION jobs_internal._drop_secret(caller name, name text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM jobs_internal._check_secret_name(name);
    DELETE FROM jobs_internal._secret AS s WHERE s.owner_id = jobs_internal._role_id(caller) AND s.name = _drop_secret.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'secret "%" does not exist', name
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT name FROM jobs.secrets lists your secrets.';
    END IF;
END
$$;
COMMENT ON FUNCTION jobs_internal._drop_secret(name, text) IS
'Internal: the privileged part of jobs.drop_secret; call jobs.drop_secret.';

CREATE FUNCTION jobs_internal._note_missing_secrets(owner regrole, headers jsonb)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    missing text;
BEGIN
    FOR missing IN
        SELECT DISTINCT m.ref[1]
        FROM jsonb_each_text(headers) AS h,
             regexp_matches(h.value, '\{\{secret:([A-Za-z0-9_.-]+)\}\}', 'g') AS m(ref)
        WHERE NOT EXISTS (SELECT FROM jobs_internal._secret AS s
                          WHERE s.owner_id = owner AND s.name = m.ref[1])
        ORDER BY 1
    LOOP
        RAISE NOTICE 'secret "%" does not exist yet', missing
            USING DETAIL = format('The job''s headers refer to {{secret:%s}}; its runs fail until role %s has it.',
                                  missing, owner),
                  HINT = format('Create it as that role: SELECT jobs.set_secret(%L, <value>);', missing);
    END LOOP;
END
$$;
COMMENT ON FUNCTION jobs_internal._note_missing_secrets(regrole, jsonb) IS
'Internal: a notice for each {{secret:NAME}} in the headers that the owner has no secret for (yet).';
REVOKE EXECUTE ON FUNCTION jobs_internal._check_secret_name(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._check_secret_value(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._set_secret(name, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._drop_secret(name, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._note_missing_secrets(regrole, jsonb) FROM PUBLIC;

CREATE FUNCTION jobs.set_secret(name text, value text)
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_privileged_call';
COMMENT ON FUNCTION jobs.set_secret(text, text) IS
'Stores a secret of the calling role under name (created, or replaced if it exists), for HTTP job headers that '
'refer to it as {{secret:name}}. Nobody can read it back through SQL; the HTTP worker puts it into the requests of '
'the role''s own jobs only. Pass the value as a bind parameter where statements are logged (see the README).';

CREATE FUNCTION jobs.drop_secret(name text)
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_privileged_call';
COMMENT ON FUNCTION jobs.drop_secret(text) IS
'Removes the calling role''s secret of that name (42704 if there is none); runs that refer to it fail from then on.';

CREATE VIEW jobs.secrets WITH (security_barrier = true) AS
SELECT s.name, s.created_at, s.updated_at
FROM jobs_internal._secret AS s
WHERE s.owner_id = (SELECT r.oid FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user);
COMMENT ON VIEW jobs.secrets IS
'The calling role''s secrets: name and when each was created and last set; never the value.';
GRANT SELECT ON jobs.secrets TO PUBLIC;

-- Views -------------------------------------------------------------------------------
--
-- security_invoker: the tables' row level security applies to the reader.

-- The next time a schedule fires after now; NULL for on-demand and @reboot.
CREATE OR REPLACE FUNCTION jobs_internal._next_run_at(schedule text, timezone text, start_at timestamptz, end_at timestamptz,
                                   run_at timestamptz)
RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE
        WHEN schedule IS NULL THEN run_at  -- a one-shot job, or NULL: on demand
        -- start_at - 1 microsecond only when it is after now: no underflow at the first representable time.
        ELSE (SELECT run FROM jobs.next_runs(schedule, 1,
                                             CASE WHEN start_at > now() THEN start_at - interval '1 microsecond'
                                                  ELSE now() END,
                                             timezone) AS run
              WHERE end_at IS NULL OR run <= end_at)
    END;
END;

CREATE OR REPLACE VIEW jobs.job_status WITH (security_invoker = true) AS
SELECT j.job_id,
       j.job_name,
       pg_catalog.pg_get_userbyid(j.owner) AS owner,  -- the role's current name (jobs belong to its OID)
       j.schedule,
       j.timezone,
       j.enabled,
       last_run.started_at AS last_started_at,
       last_run.status AS last_status,
       last_run.duration AS last_duration,
       CASE WHEN j.enabled THEN jobs_internal._next_run_at(j.schedule, j.timezone, j.start_at, j.end_at, j.run_at)
       END AS next_run_at,
       coalesce(runs.running, false) AS running,
       runs.total_runs,
       runs.succeeded_runs,
       runs.failed_runs,
       j.disabled_reason
FROM jobs.scheduled_job AS j
LEFT JOIN LATERAL (
    SELECT e.started_at, e.status, e.duration
    FROM jobs.job_execution AS e
    WHERE e.job_id = j.job_id AND e.started_at IS NOT NULL
    ORDER BY e.execution_id DESC
    LIMIT 1) AS last_run ON true
CROSS JOIN LATERAL (
    SELECT bool_or(e.status = 'running') AS running,
           count(*) FILTER (WHERE e.status <> 'queued') AS total_runs,
           count(*) FILTER (WHERE e.status = 'succeeded') AS succeeded_runs,
           count(*) FILTER (WHERE e.status IN ('failed', 'timed_out', 'crashed')) AS failed_runs
    FROM jobs.job_execution AS e
    WHERE e.job_id = j.job_id) AS runs;

CREATE OR REPLACE VIEW jobs.job_history WITH (security_invoker = true) AS
SELECT e.execution_id,
       e.job_id,
       e.job_name,
       -- The role's current name; once it is dropped, its name when the run was queued.
       coalesce((SELECT r.rolname FROM pg_catalog.pg_roles AS r WHERE r.oid = e.owner), e.owner_name) AS owner,
       e.status,
       e.triggered_by,
       e.scheduled_for,
       e.started_at,
       e.duration,
       e.attempt,
       e.rows_affected,
       e.sqlstate,
       e.error,
       e.http_status,
       e.http_timing,
       e.skipped_count
FROM jobs.job_execution AS e
ORDER BY e.execution_id DESC;
COMMENT ON VIEW jobs.job_history IS
'Runs of jobs, newest first (add LIMIT): status, why and for when each was queued, when it started, how long it '
'took, the error of a failed run, the response status and timings of HTTP runs, and how many consecutive fire '
'times a skipped row stands for (skipped_count). Details (payload, '
'error_detail, result, ...) are in jobs.job_execution. '
'Non-superusers see the runs of their own jobs.';

-------------------------------------------------------------------------------
-- Security 6: jobs belong to roles, as PostgreSQL's own objects do.
-------------------------------------------------------------------------------
--
-- A job's owner is the role's OID (jobs.scheduled_job.owner is a regrole):
-- ALTER ROLE ... RENAME keeps the jobs with the role, and a role created later
-- under a dropped role's name owns nothing. The ProcessUtility hook of
-- src/pg/role_ownership.cpp calls these three functions (through fmgr, as
-- pg_jobs_privileged_call does) after PostgreSQL has run DROP ROLE, REASSIGN
-- OWNED or DROP OWNED and checked its privileges, in a database where the
-- extension is installed; an error here rolls the statement back.

-- DROP ROLE: refused while a dropped role owns jobs. The history of its runs
-- stays, owned by no role (0, shown as -) and under owner_name, so a role
-- that later gets the same OID sees none of it.
CREATE FUNCTION jobs_internal._roles_dropped(roles oid[], role_names name[])
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    owned bigint;
BEGIN
    FOR i IN 1 .. coalesce(array_length(roles, 1), 0) LOOP
        SELECT count(*) INTO owned FROM jobs.scheduled_job AS j WHERE j.owner = roles[i];
        IF owned > 0 THEN
            RAISE EXCEPTION 'role "%" cannot be dropped because some objects depend on it', role_names[i]
                USING ERRCODE = 'dependent_objects_still_exist',
                      DETAIL = format('Role %s owns %s %s of pg_jobs in database %s.', quote_ident(role_names[i]),
                                      owned, CASE WHEN owned = 1 THEN 'job' ELSE 'jobs' END,
                                      quote_ident(current_database())),
                      HINT = format('Remove them with DROP OWNED BY %1$s (their history stays), or give them to '
                                    'another role with REASSIGN OWNED BY %1$s TO <role>; then drop the role.',
                                    quote_ident(role_names[i]));
        END IF;
    END LOOP;
    UPDATE jobs.job_execution AS e SET owner = 0 WHERE e.owner = ANY (roles);
    UPDATE jobs.job_audit AS a SET owner = 0 WHERE a.owner = ANY (roles);  -- Security 20: owner_name stays
    -- A secret belongs to its role and goes with it.
    DELETE FROM jobs_internal._secret AS s WHERE s.owner_id = ANY (roles);
    RETURN true;
END
$$;
COMMENT ON FUNCTION jobs_internal._roles_dropped(oid[], name[]) IS
'Internal: after DROP ROLE, raises 2BP01 if a dropped role owns jobs; else its runs'' history is owned by no role.';

-- REASSIGN OWNED BY old TO new: the jobs move, and so do their runs that
-- have not started (they run as the job's owner). Runs that started stay in
-- the history of the role that ran them. Two jobs of one name cannot belong
-- to one role: a clash is refused (23505) before anything moves.
CREATE FUNCTION jobs_internal._reassign_owned(roles oid[], new_owner oid)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    moving oid[] := array_remove(roles, new_owner);
    clash record;
BEGIN
    SELECT j.job_name, string_agg(j.job_id::text, ', ' ORDER BY j.job_id) AS ids INTO clash
    FROM jobs.scheduled_job AS j
    WHERE j.owner = ANY (moving) OR j.owner = new_owner
    GROUP BY j.job_name
    HAVING count(*) > 1 AND bool_or(j.owner = ANY (moving))
    ORDER BY j.job_name
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'cannot reassign job "%" to role "%": it would own two jobs of that name', clash.job_name,
            pg_get_userbyid(new_owner)
            USING ERRCODE = 'unique_violation',
                  DETAIL = format('Job names are unique per owner; jobs %s are named "%s".', clash.ids,
                                  clash.job_name),
                  HINT = 'Unschedule one of them (jobs.unschedule(job_id)) or recreate it under another name, '
                         'then run REASSIGN OWNED again.';
    END IF;
    UPDATE jobs.scheduled_job AS j SET owner = new_owner WHERE j.owner = ANY (moving);
    IF FOUND THEN
        UPDATE jobs.job_execution AS e SET owner = new_owner, owner_name = pg_get_userbyid(new_owner)
        WHERE e.status = 'queued' AND e.owner = ANY (moving);
        PERFORM jobs_internal._wake_scheduler(true);
    END IF;
    -- The jobs' secrets follow them, unless the new owner has one of that name.
    UPDATE jobs_internal._secret AS s SET owner_id = new_owner
    WHERE s.owner_id = ANY (moving)
      AND NOT EXISTS (SELECT FROM jobs_internal._secret AS t WHERE t.owner_id = new_owner AND t.name = s.name);
    RETURN true;
END
$$;
COMMENT ON FUNCTION jobs_internal._reassign_owned(oid[], oid) IS
'Internal: after REASSIGN OWNED, gives the roles'' jobs and their queued runs to new_owner; 23505 if it would then '
'own two jobs of one name.';

-- DROP OWNED BY role: its jobs are removed as jobs.unschedule removes them
-- (queued runs cancelled, history kept).
CREATE FUNCTION jobs_internal._drop_owned(roles oid[])
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    gone bigint[];
BEGIN
    DELETE FROM jobs_internal._secret AS s WHERE s.owner_id = ANY (roles);
    WITH d AS (DELETE FROM jobs.scheduled_job AS j WHERE j.owner = ANY (roles) RETURNING j.job_id)
    SELECT array_agg(d.job_id) INTO gone FROM d;
    UPDATE jobs.job_execution AS e
    SET status = 'cancelled', finished_at = clock_timestamp(),
        error = 'the job was removed by DROP OWNED before this run started'
    WHERE e.status = 'queued' AND (e.owner = ANY (roles) OR e.job_id = ANY (gone));
    IF gone IS NOT NULL THEN
        PERFORM jobs_internal._wake_scheduler(true);
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION jobs_internal._drop_owned(oid[]) IS
'Internal: after DROP OWNED, removes the roles'' jobs and cancels their queued runs; the history stays.';
REVOKE EXECUTE ON FUNCTION jobs_internal._roles_dropped(oid[], name[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._reassign_owned(oid[], oid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._drop_owned(oid[]) FROM PUBLIC;

-------------------------------------------------------------------------------
-- Security 20: the jobs_admin role and the audit trail
-------------------------------------------------------------------------------
--
-- Members of jobs_admin see every job and run and may operate any job
-- (enable, disable, trigger, cancel, unschedule, schedule and run options),
-- but only a job's owner or a superuser changes what it runs (command,
-- database, URL, method, headers, body): that would run code as the owner.
-- Roles belong to the cluster, not to a database: the role is created here
-- only if it does not exist yet (another database's pg_jobs may have made
-- it), and DROP EXTENSION leaves it.

DO $jobs_admin$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'jobs_admin') THEN
        CREATE ROLE jobs_admin NOLOGIN;
        COMMENT ON ROLE jobs_admin IS
        'pg_jobs administrators: members see and operate every job (enable, disable, trigger, cancel, unschedule, '
        'schedule and run options) but cannot change what a job runs. Created by CREATE EXTENSION pg_jobs.';
    END IF;
EXCEPTION WHEN duplicate_object THEN
    NULL;  -- created meanwhile by CREATE EXTENSION in another database
END
$jobs_admin$;

-- Members need the schema to call the functions; a member with NOINHERIT
-- gets it after SET ROLE jobs_admin.
GRANT USAGE ON SCHEMA jobs TO jobs_admin;

-- Run by ALTER EXTENSION, that GRANT recorded the schema's whole ACL as the
-- extension's initial privileges (pg_init_privs), with the USAGE granted to
-- roles since 0.1.0 in it: pg_dump would then leave those grants out of a
-- dump. Keep only what a fresh install records.
UPDATE pg_catalog.pg_init_privs AS p
SET initprivs = pg_catalog.acldefault('n', n.nspowner)
                || pg_catalog.makeaclitem('jobs_admin'::regrole, n.nspowner, 'USAGE', false)
FROM pg_catalog.pg_namespace AS n
WHERE n.nspname = 'jobs' AND p.objoid = n.oid AND p.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass
  AND p.objsubid = 0;

-- Policies for a role apply to the roles that have its privileges, as a
-- GRANT would; they also keep the role from being dropped while in use.
CREATE POLICY admin_jobs ON jobs.scheduled_job FOR SELECT TO jobs_admin USING (true);

CREATE POLICY admin_runs ON jobs.job_execution FOR SELECT TO jobs_admin USING (true);
COMMENT ON POLICY admin_jobs ON jobs.scheduled_job IS 'Members of jobs_admin see every job.';
COMMENT ON POLICY admin_runs ON jobs.job_execution IS 'Members of jobs_admin see every run.';

-- Superusers and roles with the privileges of jobs_admin (pg_has_role USAGE:
-- members that inherit, or that SET ROLE jobs_admin), as PostgreSQL checks
-- its own predefined roles such as pg_signal_backend.
CREATE FUNCTION jobs_internal._administers_jobs(role name)
RETURNS boolean
LANGUAGE sql STABLE STRICT
BEGIN ATOMIC
    SELECT pg_catalog.pg_has_role(role, 'jobs_admin', 'USAGE');
END;
COMMENT ON FUNCTION jobs_internal._administers_jobs(name) IS
'Internal: whether the role may operate every job: a superuser or a role with the privileges of jobs_admin.';
REVOKE EXECUTE ON FUNCTION jobs_internal._administers_jobs(name) FROM PUBLIC;

-- What a job runs is its owner's: others (jobs_admin) may not change it.
CREATE FUNCTION jobs_internal._check_changes_what_runs(job jobs.scheduled_job, caller name, fields text[])
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF cardinality(fields) = 0 OR job.owner = jobs_internal._role_id(caller)
       OR (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.rolname = caller) THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'permission denied to change the % of job "%"', array_to_string(fields, ', '), job.job_name
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = format('The job runs as its owner "%s": only that role or a superuser may change what it runs '
                              '(command, database, url, method, headers, body).', job.owner),
              HINT = 'Members of jobs_admin may change the schedule, time zone, enabled state and run options, '
                     'trigger, cancel and unschedule it; ask its owner to change the rest.';
END
$$;
COMMENT ON FUNCTION jobs_internal._check_changes_what_runs(jobs.scheduled_job, name, text[]) IS
'Internal: raises 42501 if the caller, neither the job''s owner nor a superuser, asks to change any of these '
'fields of what the job runs (command, database, url, method, headers, body).';
REVOKE EXECUTE ON FUNCTION jobs_internal._check_changes_what_runs(jobs.scheduled_job, name, text[]) FROM PUBLIC;

-- The audit trail ------------------------------------------------------------------
--
-- Triggers on jobs.scheduled_job (and on the headers' values in
-- jobs_internal._http_secret) record every change, whichever path made it: the
-- functions above, the scheduler disabling a job, a superuser's own UPDATE.
-- Header values are never recorded, only the header names.

CREATE TABLE jobs.job_audit (
    audit_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    changed_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    changed_by     name NOT NULL,
    changed_by_oid oid NOT NULL,
    job_id         bigint NOT NULL,  -- no foreign key: the trail outlives its job
    job_name       text NOT NULL,
    owner          regrole NOT NULL,
    owner_name     name NOT NULL,
    action         text NOT NULL CHECK (action IN ('created', 'altered', 'enabled', 'disabled', 'unscheduled')),
    fields         text[] NOT NULL,
    old_values     jsonb,
    new_values     jsonb
);

CREATE INDEX job_audit_by_job ON jobs.job_audit (job_id, audit_id);
COMMENT ON TABLE jobs.job_audit IS
'One row per change to a job''s definition: who, when, which fields, old and new values (header values never). '
'Owners see their jobs'' rows, members of jobs_admin and superusers all; only the extension writes it.';
COMMENT ON COLUMN jobs.job_audit.audit_id IS 'Numbers the changes in the order they were made.';
COMMENT ON COLUMN jobs.job_audit.changed_at IS 'When the change was made.';
COMMENT ON COLUMN jobs.job_audit.changed_by IS
'Role that made the change: the caller of jobs.schedule, jobs.alter, ... (the scheduler''s role when it '
'disabled the job itself).';
COMMENT ON COLUMN jobs.job_audit.changed_by_oid IS 'OID of that role.';
COMMENT ON COLUMN jobs.job_audit.job_id IS 'The job (jobs.scheduled_job.job_id); kept after the job is removed.';
COMMENT ON COLUMN jobs.job_audit.job_name IS 'Name of the job at the change.';
COMMENT ON COLUMN jobs.job_audit.owner IS
'Owner of the job at the change (after it, if the change moved it), by OID (shown as its current name).';
COMMENT ON COLUMN jobs.job_audit.owner_name IS 'Name of that owner at the change, kept after the role is dropped.';
COMMENT ON COLUMN jobs.job_audit.action IS
'created, altered (a redefinition too), enabled, disabled (also by the scheduler: see disabled_reason) or '
'unscheduled.';
COMMENT ON COLUMN jobs.job_audit.fields IS 'The columns of jobs.scheduled_job that changed (all set ones at creation).';
COMMENT ON COLUMN jobs.job_audit.old_values IS
'Those columns before the change (NULL at creation); http_headers as names with the values shown as ***.';
COMMENT ON COLUMN jobs.job_audit.new_values IS
'Those columns after the change (NULL at removal); http_headers as names with the values shown as ***.';
COMMENT ON INDEX jobs.job_audit_by_job IS 'A job''s changes in order.';
COMMENT ON SEQUENCE jobs.job_audit_audit_id_seq IS 'Numbers changes (jobs.job_audit.audit_id).';
SELECT pg_catalog.pg_extension_config_dump('jobs.job_audit', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('jobs.job_audit', 'audit_id'), '');

ALTER TABLE jobs.job_audit ENABLE ROW LEVEL SECURITY;

CREATE POLICY own_audit ON jobs.job_audit FOR SELECT
    USING (owner = (SELECT r.oid FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user));

CREATE POLICY admin_audit ON jobs.job_audit FOR SELECT TO jobs_admin USING (true);
COMMENT ON POLICY own_audit ON jobs.job_audit IS 'Owners see the changes of their own jobs.';
COMMENT ON POLICY admin_audit ON jobs.job_audit IS 'Members of jobs_admin see every change.';
REVOKE ALL ON jobs.job_audit FROM PUBLIC;

GRANT SELECT ON jobs.job_audit TO PUBLIC;

CREATE FUNCTION jobs_internal._change_author()
RETURNS oid
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_change_author';
COMMENT ON FUNCTION jobs_internal._change_author() IS
'Internal: the role making a change: inside jobs.schedule, jobs.alter, ... their caller (the role passed to the '
'privileged part), elsewhere the session''s role outside SECURITY DEFINER functions (SET ROLE counts).';
REVOKE EXECUTE ON FUNCTION jobs_internal._change_author() FROM PUBLIC;

-- A job row as the trail shows it: no timestamps (the trail has its own),
-- header names with *** for every value.
CREATE FUNCTION jobs_internal._audit_header_names(headers jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT
BEGIN ATOMIC
    SELECT coalesce((SELECT jsonb_object_agg(h.key, '***'::text) FROM jsonb_each(headers) AS h), '{}');
END;
COMMENT ON FUNCTION jobs_internal._audit_header_names(jsonb) IS
'Internal: the headers with every value replaced by ***, as jobs.job_audit shows them.';
REVOKE EXECUTE ON FUNCTION jobs_internal._audit_header_names(jsonb) FROM PUBLIC;

-- One expression, so that the planner can inline it.
CREATE FUNCTION jobs_internal._audit_values(job jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT
BEGIN ATOMIC
    SELECT CASE WHEN jsonb_typeof(job -> 'http_headers') = 'object'
                THEN job - 'created_at' - 'updated_at'
                     || jsonb_build_object('http_headers', jobs_internal._audit_header_names(job -> 'http_headers'))
                ELSE job - 'created_at' - 'updated_at' END;
END;
COMMENT ON FUNCTION jobs_internal._audit_values(jsonb) IS
'Internal: a jobs.scheduled_job row (as jsonb) as the audit trail records it: without created_at and updated_at, '
'header values replaced by ***.';
REVOKE EXECUTE ON FUNCTION jobs_internal._audit_values(jsonb) FROM PUBLIC;

-- The role jobs_internal._change_author() names, and its name at the change.
CREATE FUNCTION jobs_internal._audit_author(OUT role_oid oid, OUT role_name name)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    SELECT a.author, coalesce(r.rolname, a.author::text)
    FROM (SELECT jobs_internal._change_author() AS author) AS a
    LEFT JOIN pg_catalog.pg_roles AS r ON r.oid = a.author;
END;
COMMENT ON FUNCTION jobs_internal._audit_author() IS
'Internal: the OID and name of the role making a change, for jobs.job_audit (see jobs_internal._change_author).';
REVOKE EXECUTE ON FUNCTION jobs_internal._audit_author() FROM PUBLIC;

-- Statement triggers with transition tables: one INSERT per statement, so
-- a bulk change (a superuser loading a million jobs) costs microseconds a
-- row, not a function call each.
CREATE FUNCTION jobs_internal._audit_jobs_created()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM new_jobs) THEN
        RETURN NULL;
    END IF;
    -- A COPY into the table is a restore (pg_restore, psql < dump; only
    -- superusers may write the table directly): the dump brings the trail's
    -- own rows, which a 'created' row per restored job would collide with.
    -- The restore created the extension first, so the scheduler may have
    -- loaded no jobs yet: it loads them all once this commits.
    IF pg_catalog.current_query() ~* '^\s*COPY\s' THEN
        PERFORM jobs_internal._wake_scheduler(true);
        RETURN NULL;
    END IF;
    INSERT INTO jobs.job_audit (changed_by, changed_by_oid, job_id, job_name, owner, owner_name, action, fields,
                                old_values, new_values)
    WITH created AS MATERIALIZED (  -- each value computed once a row
        SELECT n.job_id, n.job_name, n.owner, jsonb_strip_nulls(jobs_internal._audit_values(to_jsonb(n))) AS definition
        FROM new_jobs AS n)
    SELECT a.role_name, a.role_oid, c.job_id, c.job_name, c.owner, c.owner::text, 'created',
           ARRAY(SELECT k FROM jsonb_object_keys(c.definition) AS k ORDER BY k), NULL, c.definition
    FROM jobs_internal._audit_author() AS a, created AS c
    ORDER BY c.job_id;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION jobs_internal._audit_jobs_created() IS
'Internal: statement trigger that records created jobs in jobs.job_audit, with their whole definition.';

CREATE FUNCTION jobs_internal._audit_jobs_changed()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM new_jobs) THEN
        RETURN NULL;  -- the launcher's statements that may disable jobs mostly change none
    END IF;
    -- Compared before masking, so that a changed header value counts; a
    -- redefinition that changed nothing (or jobs.trigger's row lock) is no row.
    INSERT INTO jobs.job_audit (changed_by, changed_by_oid, job_id, job_name, owner, owner_name, action, fields,
                                old_values, new_values)
    WITH pairs AS MATERIALIZED (  -- each value computed once a row
        SELECT n.job_id, n.job_name, n.owner, n.enabled, to_jsonb(o) - 'created_at' - 'updated_at' AS before,
               to_jsonb(n) - 'created_at' - 'updated_at' AS after
        FROM old_jobs AS o JOIN new_jobs AS n ON n.job_id = o.job_id),
    changes AS MATERIALIZED (
        SELECT p.*, ARRAY(SELECT k FROM jsonb_object_keys(p.after || p.before) AS k
                          WHERE p.after -> k IS DISTINCT FROM p.before -> k ORDER BY k) AS changed
        FROM pairs AS p)
    SELECT a.role_name, a.role_oid, c.job_id, c.job_name, c.owner, c.owner::text,
           CASE WHEN 'enabled' = ANY (c.changed) AND c.changed <@ ARRAY['enabled', 'disabled_reason']
                THEN CASE WHEN c.enabled THEN 'enabled' ELSE 'disabled' END
                ELSE 'altered' END,
           c.changed,
           jobs_internal._audit_values((SELECT jsonb_object_agg(k, c.before -> k) FROM unnest(c.changed) AS k)),
           jobs_internal._audit_values((SELECT jsonb_object_agg(k, c.after -> k) FROM unnest(c.changed) AS k))
    FROM jobs_internal._audit_author() AS a, changes AS c
    WHERE cardinality(c.changed) > 0
    ORDER BY c.job_id;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION jobs_internal._audit_jobs_changed() IS
'Internal: statement trigger that records changed jobs in jobs.job_audit: the changed fields, old and new.';

CREATE FUNCTION jobs_internal._audit_jobs_removed()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM old_jobs) THEN
        RETURN NULL;
    END IF;
    INSERT INTO jobs.job_audit (changed_by, changed_by_oid, job_id, job_name, owner, owner_name, action, fields,
                                old_values, new_values)
    WITH removed AS MATERIALIZED (  -- each value computed once a row
        SELECT o.job_id, o.job_name, o.owner, jsonb_strip_nulls(jobs_internal._audit_values(to_jsonb(o))) AS definition
        FROM old_jobs AS o)
    SELECT a.role_name, a.role_oid, r.job_id, r.job_name, r.owner, r.owner::text, 'unscheduled',
           ARRAY(SELECT k FROM jsonb_object_keys(r.definition) AS k ORDER BY k), r.definition, NULL
    FROM jobs_internal._audit_author() AS a, removed AS r
    ORDER BY r.job_id;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION jobs_internal._audit_jobs_removed() IS
'Internal: statement trigger that records removed jobs in jobs.job_audit, with the definition they had.';

CREATE TRIGGER audit_jobs_created
    AFTER INSERT ON jobs.scheduled_job REFERENCING NEW TABLE AS new_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_internal._audit_jobs_created();

CREATE TRIGGER audit_jobs_changed
    AFTER UPDATE ON jobs.scheduled_job REFERENCING OLD TABLE AS old_jobs NEW TABLE AS new_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_internal._audit_jobs_changed();

CREATE TRIGGER audit_jobs_removed
    AFTER DELETE ON jobs.scheduled_job REFERENCING OLD TABLE AS old_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_internal._audit_jobs_removed();
COMMENT ON TRIGGER audit_jobs_created ON jobs.scheduled_job IS
'Records created jobs in jobs.job_audit (jobs_internal._audit_jobs_created).';
COMMENT ON TRIGGER audit_jobs_changed ON jobs.scheduled_job IS
'Records changed jobs in jobs.job_audit (jobs_internal._audit_jobs_changed).';
COMMENT ON TRIGGER audit_jobs_removed ON jobs.scheduled_job IS
'Records removed jobs in jobs.job_audit (jobs_internal._audit_jobs_removed).';

-- A header value that is masked in jobs.scheduled_job (Authorization, ...)
-- changes only here: recorded as a change of http_headers, values hidden.
CREATE FUNCTION jobs_internal._audit_header_change()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    masked jsonb := jobs_internal._audit_values(jsonb_build_object('http_headers', NEW.headers));
BEGIN
    INSERT INTO jobs.job_audit (changed_by, changed_by_oid, job_id, job_name, owner, owner_name, action, fields,
                                old_values, new_values)
    SELECT a.role_name, a.role_oid, j.job_id, j.job_name, j.owner, j.owner::text, 'altered', ARRAY['http_headers'],
           masked, masked
    FROM jobs_internal._audit_author() AS a, jobs.scheduled_job AS j
    WHERE j.job_id = NEW.job_id;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION jobs_internal._audit_header_change() IS
'Internal: trigger that records a change of secret header values (names only) in jobs.job_audit.';

CREATE TRIGGER audit_header_change
    AFTER UPDATE ON jobs_internal._http_secret
    FOR EACH ROW
    WHEN (OLD.headers IS DISTINCT FROM NEW.headers
          AND jobs_internal._mask_secret_headers(OLD.headers) = jobs_internal._mask_secret_headers(NEW.headers))
    EXECUTE FUNCTION jobs_internal._audit_header_change();
COMMENT ON TRIGGER audit_header_change ON jobs_internal._http_secret IS
'Records a change of secret header values, invisible in jobs.scheduled_job, in jobs.job_audit '
'(jobs_internal._audit_header_change).';
REVOKE EXECUTE ON FUNCTION jobs_internal._audit_jobs_created() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._audit_jobs_changed() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._audit_jobs_removed() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._audit_header_change() FROM PUBLIC;

-- A launcher waiting for this update (the library is 0.2.0, the SQL objects
-- were 0.1.0) starts scheduling as soon as it commits.
SELECT jobs_internal._wake_scheduler(true);

-- first: refuse a server without pg_jobs in shared_preload_libraries with an ERROR
CREATE FUNCTION jobs_internal._require_preload()
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_require_preload';
REVOKE EXECUTE ON FUNCTION jobs_internal._require_preload() FROM PUBLIC;
COMMENT ON FUNCTION jobs_internal._require_preload() IS
'Raises an error unless pg_jobs was loaded at server start (shared_preload_libraries); called by the extension scripts.';
SELECT jobs_internal._require_preload();

-- first: jobs.context() lists attempt among its keys
COMMENT ON FUNCTION jobs.context() IS
'Inside a running job: {job_id, job_name, execution_id, triggered_by, triggered_by_user, scheduled_for, attempt, '
'payload}, '
'so the command can read the payload given to jobs.trigger. NULL outside a job.';

-- first: enabling a one-shot job whose run_at has passed is refused with a hint naming run_at
CREATE FUNCTION jobs_internal._check_one_shot_enable(job jobs.scheduled_job)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    ran boolean;
BEGIN
    IF job.schedule IS NOT NULL OR job.run_at IS NULL OR job.run_at > now() THEN
        RETURN;
    END IF;
    ran := EXISTS (SELECT FROM jobs.job_execution AS e
                   WHERE e.job_id = job.job_id AND e.triggered_by = 'schedule' AND e.scheduled_for = job.run_at
                     AND e.status <> 'skipped');
    IF ran OR job.misfire = 'skip' THEN
        RAISE EXCEPTION 'one-shot job "%" cannot be enabled: its run_at (%) has passed', job.job_name, job.run_at
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = CASE WHEN ran THEN 'It ran at that time; a one-shot job runs once.'
                                ELSE 'That time was missed, and misfire skip does not run a missed time.' END,
                  HINT = format('Give it a new time as you enable it: jobs.alter(%L, run_at => now() + '
                                'interval ''1 minute'', enabled => true); or run it now with jobs.trigger(%L).',
                                job.job_name, job.job_name);
    END IF;
END
$$;
REVOKE EXECUTE ON FUNCTION jobs_internal._check_one_shot_enable(jobs.scheduled_job) FROM PUBLIC;
COMMENT ON FUNCTION jobs_internal._check_one_shot_enable(jobs.scheduled_job) IS
'Internal: refuses enabling a one-shot job whose run_at has passed (it ran, or misfire skip skips it).';

CREATE OR REPLACE FUNCTION jobs_internal._set_enabled(caller name, job_id bigint, enabled boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    job jobs.scheduled_job := jobs_internal._job_for_caller(job_id, caller, true);
BEGIN
    IF enabled THEN
        PERFORM jobs_internal._check_one_shot_enable(job);
    END IF;
    -- Enabling by hand also forgets why the job disabled itself.
    IF job.enabled IS DISTINCT FROM enabled OR (enabled AND job.disabled_reason IS NOT NULL) THEN
        UPDATE jobs.scheduled_job AS j
        SET enabled = _set_enabled.enabled,
            disabled_reason = CASE WHEN _set_enabled.enabled THEN NULL ELSE j.disabled_reason END, updated_at = now()
        WHERE j.job_id = job.job_id;
        PERFORM jobs_internal._wake_scheduler(true, job.job_id);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION jobs_internal._alter(caller name, job_id bigint, schedule text, command text, database text,
                            timezone text, enabled boolean, timeout interval, max_retries integer,
                            retry_backoff interval, retry_backoff_max interval, overlap text,
                            max_concurrent integer, misfire text, starting_deadline interval,
                            start_at timestamptz, end_at timestamptz, max_runs integer, run_at timestamptz,
                            min_trigger_interval interval, reset text[])
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job jobs.scheduled_job := jobs_internal._job_for_caller(job_id, caller, true);
    -- The options that may be NULL, so that NULL cannot mean "unchanged" for them.
    resettable constant text[] := ARRAY['timeout', 'starting_deadline', 'start_at', 'end_at', 'max_runs', 'run_at',
                                        'min_trigger_interval'];
    given text[] := array_remove(ARRAY[
        CASE WHEN timeout IS NOT NULL THEN 'timeout' END,
        CASE WHEN starting_deadline IS NOT NULL THEN 'starting_deadline' END,
        CASE WHEN start_at IS NOT NULL THEN 'start_at' END, CASE WHEN end_at IS NOT NULL THEN 'end_at' END,
        CASE WHEN max_runs IS NOT NULL THEN 'max_runs' END, CASE WHEN run_at IS NOT NULL THEN 'run_at' END,
        CASE WHEN min_trigger_interval IS NOT NULL THEN 'min_trigger_interval' END], NULL);
BEGIN
    IF array_position(reset, NULL) IS NOT NULL OR NOT reset <@ resettable THEN
        RAISE EXCEPTION 'reset may name %, not %', array_to_string(resettable, ', '),
            (SELECT string_agg(coalesce('"' || r || '"', 'NULL'), ', ') FROM unnest(reset) AS r
             WHERE r IS NULL OR r <> ALL (resettable))
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Options not listed there are changed by passing a new value, for example '
                         'overlap => ''skip''.';
    END IF;
    IF reset && given THEN
        RAISE EXCEPTION 'an option cannot be both given and reset: %',
            (SELECT string_agg(r, ', ') FROM unnest(reset) AS r WHERE r = ANY (given))
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass a new value to change an option, or name it in reset to clear it.';
    END IF;
    PERFORM jobs_internal._check_changes_what_runs(job, caller, array_remove(ARRAY[
        CASE WHEN command IS NOT NULL THEN 'command' END, CASE WHEN database IS NOT NULL THEN 'database' END], NULL));
    IF job.kind = 'http' AND (command IS NOT NULL OR database IS NOT NULL) THEN
        RAISE EXCEPTION 'job "%" is an HTTP job: it has no command or database', job.job_name
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Change its request with jobs.alter_http, or redefine it with jobs.schedule.';
    END IF;
    job.schedule := coalesce(schedule, job.schedule);
    job.command := coalesce(command, job.command);
    job.database := coalesce(database, job.database);
    job.timezone := coalesce(timezone, job.timezone);
    job.enabled := coalesce(enabled, job.enabled);
    job.timeout := coalesce(timeout, job.timeout);
    job.max_retries := coalesce(max_retries, job.max_retries);
    job.retry_backoff := coalesce(retry_backoff, job.retry_backoff);
    job.retry_backoff_max := coalesce(retry_backoff_max, job.retry_backoff_max);
    job.overlap := coalesce(overlap, job.overlap);
    job.max_concurrent := coalesce(max_concurrent, job.max_concurrent);
    job.misfire := coalesce(misfire, job.misfire);
    job.starting_deadline := CASE WHEN 'starting_deadline' = ANY (reset) THEN NULL
                                  ELSE coalesce(starting_deadline, job.starting_deadline) END;
    job.start_at := CASE WHEN 'start_at' = ANY (reset) THEN NULL ELSE coalesce(start_at, job.start_at) END;
    job.end_at := CASE WHEN 'end_at' = ANY (reset) THEN NULL ELSE coalesce(end_at, job.end_at) END;
    job.max_runs := CASE WHEN 'max_runs' = ANY (reset) THEN NULL ELSE coalesce(max_runs, job.max_runs) END;
    job.run_at := CASE WHEN 'run_at' = ANY (reset) THEN NULL ELSE coalesce(run_at, job.run_at) END;
    job.min_trigger_interval := CASE WHEN 'min_trigger_interval' = ANY (reset) THEN NULL
                                     ELSE coalesce(min_trigger_interval, job.min_trigger_interval) END;
    IF 'timeout' = ANY (reset) THEN
        job.timeout := NULL;
    END IF;
    IF enabled THEN
        job.disabled_reason := NULL;  -- enabled by hand
        PERFORM jobs_internal._check_one_shot_enable(job);
    END IF;
    PERFORM jobs_internal._check_definition(job.job_name, job.schedule, job.command, job.database, job.timezone,
                                   pg_get_userbyid(job.owner));
    PERFORM jobs_internal._check_run_options(job.timeout, job.max_retries, job.retry_backoff, job.retry_backoff_max);
    PERFORM jobs_internal._check_run_policy(job.schedule, job.overlap, job.max_concurrent, job.misfire,
                                   job.starting_deadline, job.start_at, job.end_at, job.max_runs, job.run_at,
                                   job.min_trigger_interval);
    IF schedule IS NOT NULL THEN
        PERFORM jobs_internal._check_schedule_interval(job.schedule, job.timezone, caller);
    END IF;
    IF job.kind = 'http' THEN
        PERFORM jobs_internal._check_http_timeout(job.timeout);
    END IF;
    UPDATE jobs.scheduled_job AS j
    SET schedule = job.schedule, command = job.command, database = job.database, timezone = job.timezone,
        enabled = job.enabled, timeout = job.timeout, max_retries = job.max_retries,
        retry_backoff = job.retry_backoff, retry_backoff_max = job.retry_backoff_max, overlap = job.overlap,
        max_concurrent = job.max_concurrent, misfire = job.misfire, starting_deadline = job.starting_deadline,
        start_at = job.start_at, end_at = job.end_at, max_runs = job.max_runs, run_at = job.run_at,
        min_trigger_interval = job.min_trigger_interval, disabled_reason = job.disabled_reason, updated_at = now()
    WHERE j.job_id = job.job_id;
    PERFORM jobs_internal._wake_scheduler(true, job.job_id);
END
$$;

-- insight: job metadata (description, tags on every job kind; shown in jobs.job_status), jobs.job_stats,
-- jobs.health(), jobs.metrics(), jobs.explain(). Functions whose arguments grew are dropped and created again.
ALTER TABLE jobs.scheduled_job ADD COLUMN description text, ADD COLUMN tags text[];
-- Every existing job gets no tags; no definition changes, so the audit trail records nothing.
ALTER TABLE jobs.scheduled_job DISABLE TRIGGER audit_jobs_changed;
UPDATE jobs.scheduled_job SET tags = '{}';
ALTER TABLE jobs.scheduled_job ENABLE TRIGGER audit_jobs_changed;
ALTER TABLE jobs.scheduled_job ALTER COLUMN tags SET DEFAULT '{}', ALTER COLUMN tags SET NOT NULL;
COMMENT ON COLUMN jobs.scheduled_job.description IS 'What the job is for, in words (the description option); NULL: none.';
COMMENT ON COLUMN jobs.scheduled_job.tags IS
'Labels of the job (the tags option), to filter by: WHERE ''billing'' = ANY (tags). Empty: none.';
DROP FUNCTION jobs.alter(text, text, text, text, text, boolean, interval, integer, interval, interval, text, integer,
                         text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text[]);
DROP FUNCTION jobs.alter(bigint, text, text, text, text, boolean, interval, integer, interval, interval, text, integer,
                         text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text[]);
DROP FUNCTION jobs.schedule(text, text, text, text, text, boolean, interval, integer, interval, interval, text, integer,
                            text, interval, timestamptz, timestamptz, integer, timestamptz, interval);
DROP FUNCTION jobs.alter_http(text, text, text, jsonb, jsonb, interval);
DROP FUNCTION jobs.alter_http(bigint, text, text, jsonb, jsonb, interval);
DROP FUNCTION jobs.schedule_http(text, text, text, text, jsonb, jsonb, interval, text, boolean, integer, interval, interval,
                                 text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval);
DROP FUNCTION jobs_internal._schedule(name, text, text, text, text, text, boolean, interval, integer, interval, interval, text,
                             integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval);
DROP FUNCTION jobs_internal._alter(name, bigint, text, text, text, text, boolean, interval, integer, interval, interval, text,
                          integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text[]);
DROP FUNCTION jobs_internal._schedule_http(name, text, text, text, text, jsonb, jsonb, interval, text, boolean, integer, interval,
                                  interval, text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz,
                                  interval);
DROP FUNCTION jobs_internal._alter_http(name, bigint, text, text, jsonb, jsonb, interval);
CREATE FUNCTION jobs_internal._schedule(caller name, job_name text, schedule text, command text, database text,
                               timezone text, enabled boolean, timeout interval, max_retries integer,
                               retry_backoff interval, retry_backoff_max interval, overlap text,
                               max_concurrent integer, misfire text, starting_deadline interval,
                               start_at timestamptz, end_at timestamptz, max_runs integer, run_at timestamptz,
                               min_trigger_interval interval, description text, tags text[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    zone text := coalesce(timezone, current_setting('jobs.timezone'));
    target name := coalesce(database, current_database());
    result_id bigint;
BEGIN
    PERFORM jobs_internal._check_definition(job_name, schedule, command, target, zone, caller);
    PERFORM jobs_internal._check_schedule_interval(schedule, zone, caller);
    PERFORM jobs_internal._check_run_options(timeout, max_retries, retry_backoff, retry_backoff_max);
    PERFORM jobs_internal._check_run_policy(schedule, overlap, max_concurrent, misfire, starting_deadline, start_at, end_at,
                                   max_runs, run_at, min_trigger_interval);
    IF enabled IS NULL THEN
        RAISE EXCEPTION 'enabled must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass true or false, or leave it out (true).';
    END IF;
    PERFORM jobs_internal._check_metadata(description, tags);
    PERFORM jobs_internal._check_job_quota(caller, job_name);
    INSERT INTO jobs.scheduled_job AS j (job_name, owner, schedule, timezone, command, database, enabled, timeout,
                                         max_retries, retry_backoff, retry_backoff_max, overlap, max_concurrent,
                                         misfire, starting_deadline, start_at, end_at, max_runs, run_at,
                                         min_trigger_interval, description, tags)
    VALUES (job_name, jobs_internal._role_id(caller), schedule, zone, command, target, enabled, timeout, max_retries, retry_backoff,
            retry_backoff_max, overlap, max_concurrent, misfire, starting_deadline, start_at, end_at, max_runs,
            run_at, min_trigger_interval, description, coalesce(tags, '{}'))
    ON CONFLICT ON CONSTRAINT scheduled_job_owner_job_name_key DO UPDATE
        SET schedule = excluded.schedule, timezone = excluded.timezone, command = excluded.command,
            database = excluded.database, enabled = excluded.enabled, kind = 'sql', http_method = NULL,
            http_url = NULL, http_headers = NULL, http_body = NULL, timeout = excluded.timeout,
            max_retries = excluded.max_retries, retry_backoff = excluded.retry_backoff,
            retry_backoff_max = excluded.retry_backoff_max, overlap = excluded.overlap,
            max_concurrent = excluded.max_concurrent, misfire = excluded.misfire,
            starting_deadline = excluded.starting_deadline, start_at = excluded.start_at, end_at = excluded.end_at,
            max_runs = excluded.max_runs, run_at = excluded.run_at,
            min_trigger_interval = excluded.min_trigger_interval, disabled_reason = NULL, updated_at = now(),
            description = excluded.description, tags = excluded.tags
    RETURNING j.job_id INTO result_id;
    DELETE FROM jobs_internal._http_secret AS s WHERE s.job_id = result_id;
    PERFORM jobs_internal._wake_scheduler(true, result_id);
    RETURN result_id;
END
$$;
CREATE FUNCTION jobs_internal._alter(caller name, job_id bigint, schedule text, command text, database text,
                            timezone text, enabled boolean, timeout interval, max_retries integer,
                            retry_backoff interval, retry_backoff_max interval, overlap text,
                            max_concurrent integer, misfire text, starting_deadline interval,
                            start_at timestamptz, end_at timestamptz, max_runs integer, run_at timestamptz,
                            min_trigger_interval interval, reset text[], description text, tags text[])
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job jobs.scheduled_job := jobs_internal._job_for_caller(job_id, caller, true);
    -- The options that may be NULL, so that NULL cannot mean "unchanged" for them.
    resettable constant text[] := ARRAY['timeout', 'starting_deadline', 'start_at', 'end_at', 'max_runs', 'run_at',
                                        'min_trigger_interval', 'description', 'tags'];
    given text[] := array_remove(ARRAY[
        CASE WHEN timeout IS NOT NULL THEN 'timeout' END,
        CASE WHEN starting_deadline IS NOT NULL THEN 'starting_deadline' END,
        CASE WHEN start_at IS NOT NULL THEN 'start_at' END, CASE WHEN end_at IS NOT NULL THEN 'end_at' END,
        CASE WHEN max_runs IS NOT NULL THEN 'max_runs' END, CASE WHEN run_at IS NOT NULL THEN 'run_at' END,
        CASE WHEN min_trigger_interval IS NOT NULL THEN 'min_trigger_interval' END,
        CASE WHEN description IS NOT NULL THEN 'description' END, CASE WHEN tags IS NOT NULL THEN 'tags' END], NULL);
BEGIN
    IF array_position(reset, NULL) IS NOT NULL OR NOT reset <@ resettable THEN
        RAISE EXCEPTION 'reset may name %, not %', array_to_string(resettable, ', '),
            (SELECT string_agg(coalesce('"' || r || '"', 'NULL'), ', ') FROM unnest(reset) AS r
             WHERE r IS NULL OR r <> ALL (resettable))
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Options not listed there are changed by passing a new value, for example '
                         'overlap => ''skip''.';
    END IF;
    IF reset && given THEN
        RAISE EXCEPTION 'an option cannot be both given and reset: %',
            (SELECT string_agg(r, ', ') FROM unnest(reset) AS r WHERE r = ANY (given))
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass a new value to change an option, or name it in reset to clear it.';
    END IF;
    PERFORM jobs_internal._check_changes_what_runs(job, caller, array_remove(ARRAY[
        CASE WHEN command IS NOT NULL THEN 'command' END, CASE WHEN database IS NOT NULL THEN 'database' END], NULL));
    IF job.kind = 'http' AND (command IS NOT NULL OR database IS NOT NULL) THEN
        RAISE EXCEPTION 'job "%" is an HTTP job: it has no command or database', job.job_name
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Change its request with jobs.alter_http, or redefine it with jobs.schedule.';
    END IF;
    job.schedule := coalesce(schedule, job.schedule);
    job.command := coalesce(command, job.command);
    job.database := coalesce(database, job.database);
    job.timezone := coalesce(timezone, job.timezone);
    job.enabled := coalesce(enabled, job.enabled);
    job.timeout := coalesce(timeout, job.timeout);
    job.max_retries := coalesce(max_retries, job.max_retries);
    job.retry_backoff := coalesce(retry_backoff, job.retry_backoff);
    job.retry_backoff_max := coalesce(retry_backoff_max, job.retry_backoff_max);
    job.overlap := coalesce(overlap, job.overlap);
    job.max_concurrent := coalesce(max_concurrent, job.max_concurrent);
    job.misfire := coalesce(misfire, job.misfire);
    job.starting_deadline := CASE WHEN 'starting_deadline' = ANY (reset) THEN NULL
                                  ELSE coalesce(starting_deadline, job.starting_deadline) END;
    job.start_at := CASE WHEN 'start_at' = ANY (reset) THEN NULL ELSE coalesce(start_at, job.start_at) END;
    job.end_at := CASE WHEN 'end_at' = ANY (reset) THEN NULL ELSE coalesce(end_at, job.end_at) END;
    job.max_runs := CASE WHEN 'max_runs' = ANY (reset) THEN NULL ELSE coalesce(max_runs, job.max_runs) END;
    job.run_at := CASE WHEN 'run_at' = ANY (reset) THEN NULL ELSE coalesce(run_at, job.run_at) END;
    job.min_trigger_interval := CASE WHEN 'min_trigger_interval' = ANY (reset) THEN NULL
                                     ELSE coalesce(min_trigger_interval, job.min_trigger_interval) END;
    IF 'timeout' = ANY (reset) THEN
        job.timeout := NULL;
    END IF;
    job.description := CASE WHEN 'description' = ANY (reset) THEN NULL ELSE coalesce(description, job.description) END;
    job.tags := CASE WHEN 'tags' = ANY (reset) THEN '{}' ELSE coalesce(tags, job.tags) END;
    PERFORM jobs_internal._check_metadata(job.description, job.tags);
    IF enabled THEN
        job.disabled_reason := NULL;  -- enabled by hand
        PERFORM jobs_internal._check_one_shot_enable(job);
    END IF;
    PERFORM jobs_internal._check_definition(job.job_name, job.schedule, job.command, job.database, job.timezone,
                                   pg_get_userbyid(job.owner));
    PERFORM jobs_internal._check_run_options(job.timeout, job.max_retries, job.retry_backoff, job.retry_backoff_max);
    PERFORM jobs_internal._check_run_policy(job.schedule, job.overlap, job.max_concurrent, job.misfire,
                                   job.starting_deadline, job.start_at, job.end_at, job.max_runs, job.run_at,
                                   job.min_trigger_interval);
    IF schedule IS NOT NULL THEN
        PERFORM jobs_internal._check_schedule_interval(job.schedule, job.timezone, caller);
    END IF;
    IF job.kind = 'http' THEN
        PERFORM jobs_internal._check_http_timeout(job.timeout);
    END IF;
    UPDATE jobs.scheduled_job AS j
    SET schedule = job.schedule, command = job.command, database = job.database, timezone = job.timezone,
        enabled = job.enabled, timeout = job.timeout, max_retries = job.max_retries,
        retry_backoff = job.retry_backoff, retry_backoff_max = job.retry_backoff_max, overlap = job.overlap,
        max_concurrent = job.max_concurrent, misfire = job.misfire, starting_deadline = job.starting_deadline,
        start_at = job.start_at, end_at = job.end_at, max_runs = job.max_runs, run_at = job.run_at,
        min_trigger_interval = job.min_trigger_interval, disabled_reason = job.disabled_reason, updated_at = now(),
        description = job.description, tags = job.tags
    WHERE j.job_id = job.job_id;
    PERFORM jobs_internal._wake_scheduler(true, job.job_id);
END
$$;
COMMENT ON FUNCTION jobs_internal._schedule(name, text, text, text, text, text, boolean, interval, integer, interval, interval,
                                   text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval,
                                   text, text[]) IS
'Internal: the privileged part of jobs.schedule; call jobs.schedule.';
COMMENT ON FUNCTION jobs_internal._alter(name, bigint, text, text, text, text, boolean, interval, integer, interval, interval,
                                text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text[],
                                text, text[]) IS
'Internal: the privileged part of jobs.alter; call jobs.alter.';
REVOKE EXECUTE ON FUNCTION jobs_internal._schedule(name, text, text, text, text, text, boolean, interval, integer, interval, interval,
                                          text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval,
                                          text, text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._alter(name, bigint, text, text, text, text, boolean, interval, integer, interval, interval,
                                       text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text[],
                                       text, text[]) FROM PUBLIC;
CREATE OR REPLACE FUNCTION jobs_internal._schedule_in(caller name, job_name text, delay interval, command text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF delay IS NULL OR delay <= interval '0' THEN
        RAISE EXCEPTION 'delay must be positive, not %', coalesce(delay::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass an interval such as ''10 minutes''; to run a job now, use jobs.trigger.';
    END IF;
    PERFORM jobs_internal._check_interval_option('delay', delay);  -- Security 14: at most 100 years
    RETURN jobs_internal._schedule(caller, job_name, NULL, command, NULL, NULL, true, NULL, 0, interval '1 second',
                          interval '30 seconds', 'skip', 1, 'skip', NULL, NULL, NULL, NULL, now() + delay, NULL,
                          NULL, NULL);
END
$$;
CREATE FUNCTION jobs_internal._schedule_http(caller name, job_name text, schedule text, url text, method text,
                                    headers jsonb, body jsonb, timeout interval, timezone text, enabled boolean,
                                    max_retries integer, retry_backoff interval, retry_backoff_max interval,
                                    overlap text, max_concurrent integer, misfire text, starting_deadline interval,
                                    start_at timestamptz, end_at timestamptz, max_runs integer,
                                    run_at timestamptz, min_trigger_interval interval, description text, tags text[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    zone text := coalesce(timezone, current_setting('jobs.timezone'));
    verb text := jobs_internal._http_check(url, method, coalesce(headers, '{}'));
    result_id bigint;
BEGIN
    PERFORM jobs_internal._check_definition(job_name, schedule, verb || ' ' || url, current_database(), zone, caller);
    PERFORM jobs_internal._check_schedule_interval(schedule, zone, caller);
    PERFORM jobs_internal._check_payload_size(body, 'body');
    PERFORM jobs_internal._check_http_timeout(timeout);
    PERFORM jobs_internal._check_run_options(timeout, max_retries, retry_backoff, retry_backoff_max);
    PERFORM jobs_internal._check_run_policy(schedule, overlap, max_concurrent, misfire, starting_deadline, start_at, end_at,
                                   max_runs, run_at, min_trigger_interval);
    IF enabled IS NULL THEN
        RAISE EXCEPTION 'enabled must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass true or false, or leave it out (true).';
    END IF;
    PERFORM jobs_internal._check_metadata(description, tags);
    PERFORM jobs_internal._check_job_quota(caller, job_name);
    INSERT INTO jobs.scheduled_job AS j (job_name, owner, schedule, timezone, command, database, enabled, kind,
                                         http_method, http_url, http_headers, http_body, timeout, max_retries,
                                         retry_backoff, retry_backoff_max, overlap, max_concurrent, misfire,
                                         starting_deadline, start_at, end_at, max_runs, run_at,
                                         min_trigger_interval, description, tags)
    VALUES (job_name, jobs_internal._role_id(caller), schedule, zone, verb || ' ' || url, current_database(), enabled, 'http', verb, url,
            jobs_internal._mask_secret_headers(coalesce(headers, '{}')), body, timeout, max_retries, retry_backoff,
            retry_backoff_max, overlap, max_concurrent, misfire, starting_deadline, start_at, end_at, max_runs,
            run_at, min_trigger_interval, description, coalesce(tags, '{}'))
    ON CONFLICT ON CONSTRAINT scheduled_job_owner_job_name_key DO UPDATE
        SET schedule = excluded.schedule, timezone = excluded.timezone, command = excluded.command,
            database = excluded.database, enabled = excluded.enabled, kind = excluded.kind,
            http_method = excluded.http_method, http_url = excluded.http_url,
            http_headers = excluded.http_headers, http_body = excluded.http_body, timeout = excluded.timeout,
            max_retries = excluded.max_retries, retry_backoff = excluded.retry_backoff,
            retry_backoff_max = excluded.retry_backoff_max, overlap = excluded.overlap,
            max_concurrent = excluded.max_concurrent, misfire = excluded.misfire,
            starting_deadline = excluded.starting_deadline, start_at = excluded.start_at, end_at = excluded.end_at,
            max_runs = excluded.max_runs, run_at = excluded.run_at,
            min_trigger_interval = excluded.min_trigger_interval, disabled_reason = NULL, updated_at = now(),
            description = excluded.description, tags = excluded.tags
    RETURNING j.job_id INTO result_id;
    INSERT INTO jobs_internal._http_secret AS s (job_id, headers) VALUES (result_id, coalesce(headers, '{}'))
    ON CONFLICT (job_id) DO UPDATE SET headers = excluded.headers;
    PERFORM jobs_internal._note_missing_secrets(jobs_internal._role_id(caller), headers);
    PERFORM jobs_internal._wake_scheduler(true, result_id);
    RETURN result_id;
END
$$;
CREATE FUNCTION jobs_internal._alter_http(caller name, job_id bigint, url text, method text, headers jsonb, body jsonb,
                                 timeout interval, description text, tags text[])
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job jobs.scheduled_job := jobs_internal._job_for_caller(job_id, caller, true);
    new_headers jsonb;
    verb text;
BEGIN
    IF job.kind <> 'http' THEN
        RAISE EXCEPTION 'job "%" is not an HTTP job', job.job_name
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Change its command with jobs.alter, or redefine it with jobs.schedule_http.';
    END IF;
    PERFORM jobs_internal._check_changes_what_runs(job, caller, array_remove(ARRAY[
        CASE WHEN url IS NOT NULL THEN 'url' END, CASE WHEN method IS NOT NULL THEN 'method' END,
        CASE WHEN headers IS NOT NULL THEN 'headers' END, CASE WHEN body IS NOT NULL THEN 'body' END], NULL));
    SELECT s.headers INTO new_headers FROM jobs_internal._http_secret AS s WHERE s.job_id = job.job_id;
    new_headers := coalesce(headers, new_headers, '{}');
    verb := jobs_internal._http_check(coalesce(url, job.http_url), coalesce(method, job.http_method), new_headers);
    PERFORM jobs_internal._check_payload_size(body, 'body');
    PERFORM jobs_internal._check_http_timeout(coalesce(timeout, job.timeout));
    PERFORM jobs_internal._check_metadata(coalesce(description, job.description), coalesce(tags, job.tags));
    UPDATE jobs.scheduled_job AS j
    SET http_url = coalesce(_alter_http.url, job.http_url), http_method = verb,
        http_headers = jobs_internal._mask_secret_headers(new_headers), http_body = coalesce(_alter_http.body, job.http_body),
        timeout = coalesce(_alter_http.timeout, job.timeout),
        command = verb || ' ' || coalesce(_alter_http.url, job.http_url), updated_at = now(),
        description = coalesce(_alter_http.description, job.description), tags = coalesce(_alter_http.tags, job.tags)
    WHERE j.job_id = job.job_id;
    UPDATE jobs_internal._http_secret AS s SET headers = new_headers WHERE s.job_id = job.job_id;
    PERFORM jobs_internal._note_missing_secrets(job.owner, new_headers);
    PERFORM jobs_internal._wake_scheduler(true, job.job_id);
END
$$;
COMMENT ON FUNCTION jobs_internal._schedule_http(name, text, text, text, text, jsonb, jsonb, interval, text, boolean, integer, interval, interval,
                                        text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval,
                                        text, text[]) IS
'Internal: the privileged part of jobs.schedule_http; call jobs.schedule_http.';
COMMENT ON FUNCTION jobs_internal._alter_http(name, bigint, text, text, jsonb, jsonb, interval, text, text[]) IS
'Internal: the privileged part of jobs.alter_http; call jobs.alter_http.';
REVOKE EXECUTE ON FUNCTION jobs_internal._schedule_http(name, text, text, text, text, jsonb, jsonb, interval, text, boolean, integer, interval, interval,
                                               text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval,
                                               text, text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._alter_http(name, bigint, text, text, jsonb, jsonb, interval, text, text[]) FROM PUBLIC;
CREATE FUNCTION jobs.schedule(
    job_name text,
    schedule text,
    command text,
    database text DEFAULT NULL,
    timezone text DEFAULT NULL,
    enabled boolean DEFAULT true,
    timeout interval DEFAULT NULL,
    max_retries integer DEFAULT 0,
    retry_backoff interval DEFAULT '1 second',
    retry_backoff_max interval DEFAULT '30 seconds',
    overlap text DEFAULT 'skip',
    max_concurrent integer DEFAULT 1,
    misfire text DEFAULT 'skip',
    starting_deadline interval DEFAULT NULL,
    start_at timestamptz DEFAULT NULL,
    end_at timestamptz DEFAULT NULL,
    max_runs integer DEFAULT NULL,
    run_at timestamptz DEFAULT NULL,
    min_trigger_interval interval DEFAULT NULL,
    description text DEFAULT NULL,
    tags text[] DEFAULT NULL)
RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_privileged_call';
COMMENT ON FUNCTION jobs.schedule(text, text, text, text, text, boolean, interval, integer, interval, interval,
                                  text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval,
                                  text, text[]) IS
'Creates a job owned by the calling role, or redefines the caller''s job of that name; returns its job_id. '
'schedule: a cron expression, macro or interval (NULL: run only when triggered, or once at run_at); database: '
'where the command runs (default: the current one); timezone: for the schedule (default: the jobs.timezone '
'setting). The job runs as the caller. timeout: how long a run may take (default: jobs.default_timeout); '
'max_retries, retry_backoff, retry_backoff_max: retries of failed runs; overlap, max_concurrent, misfire, '
'starting_deadline, start_at, end_at, max_runs, run_at, min_trigger_interval: run policies (see the columns of '
'jobs.scheduled_job); description, tags: what the job is for and labels to filter by. Options left out take their '
'defaults. Takes effect when the transaction commits.';
CREATE FUNCTION jobs.alter(
    job_id bigint,
    schedule text DEFAULT NULL,
    command text DEFAULT NULL,
    database text DEFAULT NULL,
    timezone text DEFAULT NULL,
    enabled boolean DEFAULT NULL,
    timeout interval DEFAULT NULL,
    max_retries integer DEFAULT NULL,
    retry_backoff interval DEFAULT NULL,
    retry_backoff_max interval DEFAULT NULL,
    overlap text DEFAULT NULL,
    max_concurrent integer DEFAULT NULL,
    misfire text DEFAULT NULL,
    starting_deadline interval DEFAULT NULL,
    start_at timestamptz DEFAULT NULL,
    end_at timestamptz DEFAULT NULL,
    max_runs integer DEFAULT NULL,
    run_at timestamptz DEFAULT NULL,
    min_trigger_interval interval DEFAULT NULL,
    reset text[] DEFAULT NULL,
    description text DEFAULT NULL,
    tags text[] DEFAULT NULL)
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_privileged_call';
COMMENT ON FUNCTION jobs.alter(bigint, text, text, text, text, boolean, interval, integer, interval, interval,
                               text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text[],
                               text, text[]) IS
'Changes the given properties of the job with this job_id (NULL: unchanged; reset lists options to set back to '
'NULL: timeout, starting_deadline, start_at, end_at, max_runs, run_at, min_trigger_interval, description; tags: '
'back to empty). For '
'administrators: superusers may change any job; members of jobs_admin any job''s schedule, time zone, enabled and '
'run options, but not its command or database (42501); other roles only their own.';
CREATE FUNCTION jobs.alter(
    job_name text,
    schedule text DEFAULT NULL,
    command text DEFAULT NULL,
    database text DEFAULT NULL,
    timezone text DEFAULT NULL,
    enabled boolean DEFAULT NULL,
    timeout interval DEFAULT NULL,
    max_retries integer DEFAULT NULL,
    retry_backoff interval DEFAULT NULL,
    retry_backoff_max interval DEFAULT NULL,
    overlap text DEFAULT NULL,
    max_concurrent integer DEFAULT NULL,
    misfire text DEFAULT NULL,
    starting_deadline interval DEFAULT NULL,
    start_at timestamptz DEFAULT NULL,
    end_at timestamptz DEFAULT NULL,
    max_runs integer DEFAULT NULL,
    run_at timestamptz DEFAULT NULL,
    min_trigger_interval interval DEFAULT NULL,
    reset text[] DEFAULT NULL,
    description text DEFAULT NULL,
    tags text[] DEFAULT NULL)
RETURNS void
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    SELECT jobs.alter(jobs_internal._own_job_id(job_name), schedule, command, database, timezone, enabled, timeout,
                      max_retries, retry_backoff, retry_backoff_max, overlap, max_concurrent, misfire,
                      starting_deadline, start_at, end_at, max_runs, run_at, min_trigger_interval, reset,
                      description, tags);
END;
COMMENT ON FUNCTION jobs.alter(text, text, text, text, text, boolean, interval, integer, interval, interval,
                               text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text[],
                               text, text[]) IS
'Changes the given properties of the caller''s job of this name (NULL: unchanged; reset lists options to set '
'back to NULL: timeout, starting_deadline, start_at, end_at, max_runs, run_at, min_trigger_interval, description; '
'tags: back to empty). To make a '
'scheduled job on-demand, redefine it with jobs.schedule and a NULL schedule.';
CREATE FUNCTION jobs.schedule_http(
    job_name text,
    schedule text,
    url text,
    method text DEFAULT 'POST',
    headers jsonb DEFAULT '{}',
    body jsonb DEFAULT NULL,
    timeout interval DEFAULT '30 seconds',
    timezone text DEFAULT NULL,
    enabled boolean DEFAULT true,
    max_retries integer DEFAULT 0,
    retry_backoff interval DEFAULT '1 second',
    retry_backoff_max interval DEFAULT '30 seconds',
    overlap text DEFAULT 'skip',
    max_concurrent integer DEFAULT 1,
    misfire text DEFAULT 'skip',
    starting_deadline interval DEFAULT NULL,
    start_at timestamptz DEFAULT NULL,
    end_at timestamptz DEFAULT NULL,
    max_runs integer DEFAULT NULL,
    run_at timestamptz DEFAULT NULL,
    min_trigger_interval interval DEFAULT NULL,
    description text DEFAULT NULL,
    tags text[] DEFAULT NULL)
RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_privileged_call';
COMMENT ON FUNCTION jobs.schedule_http(text, text, text, text, jsonb, jsonb, interval, text, boolean, integer, interval, interval,
                                       text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval,
                                       text, text[]) IS
'Creates an HTTP job owned by the calling role, or redefines the caller''s job of that name; returns its job_id. '
'Each run sends method to url with the headers and a JSON body holding the run''s context (jobName, jobId, '
'executionId, triggeredBy, triggeredByUser, scheduledFor, attempt, config = body, payload), and an '
'Idempotency-Key header equal to the execution_id. A 2xx answer succeeds unless its JSON says "success": false.';
CREATE FUNCTION jobs.alter_http(
    job_id bigint,
    url text DEFAULT NULL,
    method text DEFAULT NULL,
    headers jsonb DEFAULT NULL,
    body jsonb DEFAULT NULL,
    timeout interval DEFAULT NULL,
    description text DEFAULT NULL,
    tags text[] DEFAULT NULL)
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_privileged_call';
COMMENT ON FUNCTION jobs.alter_http(bigint, text, text, jsonb, jsonb, interval, text, text[]) IS
'Changes the given request properties of the HTTP job with this job_id (NULL: unchanged; headers replace all '
'headers; description and tags as in jobs.alter). Schedule, time zone and enabled change with jobs.alter. Members '
'of jobs_admin may change only the timeout, description and tags of another role''s job: url, method, headers and '
'body are its owner''s (or a superuser''s).';
CREATE FUNCTION jobs.alter_http(
    job_name text,
    url text DEFAULT NULL,
    method text DEFAULT NULL,
    headers jsonb DEFAULT NULL,
    body jsonb DEFAULT NULL,
    timeout interval DEFAULT NULL,
    description text DEFAULT NULL,
    tags text[] DEFAULT NULL)
RETURNS void
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    SELECT jobs.alter_http(jobs_internal._own_job_id(job_name), url, method, headers, body, timeout, description, tags);
END;
COMMENT ON FUNCTION jobs.alter_http(text, text, text, jsonb, jsonb, interval, text, text[]) IS
'Changes the given request properties of the caller''s HTTP job of this name (NULL: unchanged; headers replace '
'all headers).';
CREATE OR REPLACE VIEW jobs.job_status WITH (security_invoker = true) AS
SELECT j.job_id,
       j.job_name,
       pg_catalog.pg_get_userbyid(j.owner) AS owner,  -- the role's current name (jobs belong to its OID)
       j.schedule,
       j.timezone,
       j.enabled,
       last_run.started_at AS last_started_at,
       last_run.status AS last_status,
       last_run.duration AS last_duration,
       CASE WHEN j.enabled THEN jobs_internal._next_run_at(j.schedule, j.timezone, j.start_at, j.end_at, j.run_at)
       END AS next_run_at,
       coalesce(runs.running, false) AS running,
       runs.total_runs,
       runs.succeeded_runs,
       runs.failed_runs,
       j.disabled_reason,
       j.description,  -- insight: job metadata
       j.tags
FROM jobs.scheduled_job AS j
LEFT JOIN LATERAL (
    SELECT e.started_at, e.status, e.duration
    FROM jobs.job_execution AS e
    WHERE e.job_id = j.job_id AND e.started_at IS NOT NULL
    ORDER BY e.execution_id DESC
    LIMIT 1) AS last_run ON true
CROSS JOIN LATERAL (
    SELECT bool_or(e.status = 'running') AS running,
           count(*) FILTER (WHERE e.status <> 'queued') AS total_runs,
           count(*) FILTER (WHERE e.status = 'succeeded') AS succeeded_runs,
           count(*) FILTER (WHERE e.status IN ('failed', 'timed_out', 'crashed')) AS failed_runs
    FROM jobs.job_execution AS e
    WHERE e.job_id = j.job_id) AS runs;
COMMENT ON VIEW jobs.job_status IS
'One row per job: its definition, its latest started run (last_started_at, last_status, last_duration), when it '
'fires next (NULL if disabled, on-demand or @reboot), whether a run is in progress, and run counts (total_runs: '
'every run but queued ones; failed_runs: failed, timed_out and crashed), why the job disabled itself '
'(disabled_reason), and its description and tags (filter with WHERE ''billing'' = ANY (tags)). Non-superusers see '
'their own jobs.';

-- insight: job metadata, jobs.job_stats, jobs.health(), jobs.metrics(), jobs.explain() ----------------
--
-- Who may call what: every reader sees the jobs row level security lets it
-- see (its own; jobs_admin members and superusers all) in job_stats,
-- metrics and explain, which run as the caller (security_invoker views,
-- SECURITY INVOKER functions) and leave nothing behind. jobs.health() is a
-- privileged call (its part jobs_internal._health is SECURITY DEFINER) and shows the
-- scheduler as a whole: pids, times and counts, never a job's name, command
-- or owner.

-- description and tags of jobs.schedule, jobs.schedule_http, jobs.alter and jobs.alter_http.
CREATE FUNCTION jobs_internal._check_metadata(description text, tags text[])
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF length(description) > 10000 THEN
        RAISE EXCEPTION 'description is % characters long, longer than 10000', length(description)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Keep the description short; link to a document.';
    END IF;
    IF tags IS NULL THEN
        RETURN;
    END IF;
    IF array_ndims(tags) > 1 THEN
        RAISE EXCEPTION 'tags must be a one-dimensional array'
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass tags => ARRAY[''billing'', ''nightly''].';
    END IF;
    IF cardinality(tags) > 100 THEN
        RAISE EXCEPTION 'a job has at most 100 tags, not %', cardinality(tags)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF array_position(tags, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'a tag must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass tags => ARRAY[''billing'', ''nightly''].';
    END IF;
    IF EXISTS (SELECT FROM unnest(tags) AS t WHERE t = '' OR length(t) > 100) THEN
        RAISE EXCEPTION 'a tag must be 1 to 100 characters long'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Tags given: %s.', tags);
    END IF;
END
$$;
COMMENT ON FUNCTION jobs_internal._check_metadata(text, text[]) IS
'Internal: raises 22023 unless description has at most 10000 characters and tags at most 100 tags of 1 to 100 '
'characters (no NULL: 22004).';
REVOKE EXECUTE ON FUNCTION jobs_internal._check_metadata(text, text[]) FROM PUBLIC;

-- A run "failed" when it ended failed, timed_out or crashed (as in
-- jobs.job_status). "Runs" are finished runs that were not skipped.
CREATE VIEW jobs.job_stats WITH (security_invoker = true) AS
SELECT j.job_id,
       j.job_name,
       pg_catalog.pg_get_userbyid(j.owner) AS owner,
       s.runs_24h,
       s.succeeded_24h,
       s.failed_24h,
       s.runs_7d,
       s.succeeded_7d,
       s.failed_7d,
       CASE WHEN s.succeeded + s.failed > 0 THEN s.succeeded::double precision / (s.succeeded + s.failed)
       END AS success_rate,
       s.durations[1] AS duration_p50,
       s.durations[2] AS duration_p95,
       s.durations[3] AS duration_p99,
       s.duration_max,
       s.lags[1] AS lag_p50,
       s.lags[2] AS lag_p95,
       s.last_success_at,
       s.last_failure_at,
       c.consecutive_failures,
       s.items_processed
FROM jobs.scheduled_job AS j
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE e.finished_at >= now() - interval '24 hours' AND e.status <> 'skipped') AS runs_24h,
           count(*) FILTER (WHERE e.finished_at >= now() - interval '24 hours' AND e.status = 'succeeded')
               AS succeeded_24h,
           count(*) FILTER (WHERE e.finished_at >= now() - interval '24 hours'
                              AND e.status IN ('failed', 'timed_out', 'crashed')) AS failed_24h,
           count(*) FILTER (WHERE e.finished_at >= now() - interval '7 days' AND e.status <> 'skipped') AS runs_7d,
           count(*) FILTER (WHERE e.finished_at >= now() - interval '7 days' AND e.status = 'succeeded')
               AS succeeded_7d,
           count(*) FILTER (WHERE e.finished_at >= now() - interval '7 days'
                              AND e.status IN ('failed', 'timed_out', 'crashed')) AS failed_7d,
           count(*) FILTER (WHERE e.status = 'succeeded') AS succeeded,
           count(*) FILTER (WHERE e.status IN ('failed', 'timed_out', 'crashed')) AS failed,
           percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY e.duration) AS durations,
           max(e.duration) AS duration_max,
           -- Start lag of scheduled first attempts (a retry waits for its backoff on purpose).
           percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY e.started_at - e.scheduled_for)
               FILTER (WHERE e.triggered_by = 'schedule') AS lags,
           max(e.finished_at) FILTER (WHERE e.status = 'succeeded') AS last_success_at,
           max(e.finished_at) FILTER (WHERE e.status IN ('failed', 'timed_out', 'crashed')) AS last_failure_at,
           max(e.execution_id) FILTER (WHERE e.status = 'succeeded') AS last_success_id,
           sum(CASE WHEN pg_catalog.jsonb_typeof(e.result -> 'itemsProcessed') = 'number'
                    THEN (e.result ->> 'itemsProcessed')::numeric END) AS items_processed
    FROM jobs.job_execution AS e
    WHERE e.job_id = j.job_id) AS s
CROSS JOIN LATERAL (
    SELECT count(*) AS consecutive_failures
    FROM jobs.job_execution AS e
    WHERE e.job_id = j.job_id AND e.execution_id > coalesce(s.last_success_id, 0)
      AND e.status IN ('failed', 'timed_out', 'crashed')) AS c;
COMMENT ON VIEW jobs.job_stats IS
'One row per job the reader may see, over the retained history of its runs (jobs.history_per_job, '
'jobs.history_max_age): runs (finished, not skipped), succeeded and failed (failed, timed_out, crashed) runs '
'that finished in the last 24 hours and 7 days; success_rate = succeeded / (succeeded + failed), NULL before '
'either; duration percentiles and maximum of the runs that ran; start lag (started_at - scheduled_for) of '
'scheduled first attempts; when the last run succeeded and failed; failed runs since the last success; the sum '
'of itemsProcessed of the results that carry it. Non-superusers see their own jobs, members of jobs_admin all.';
GRANT SELECT ON jobs.job_stats TO PUBLIC;

-- The scheduler's processes, from shared memory (src/pg/sql_api/scheduler_state.cpp).
CREATE FUNCTION jobs_internal._scheduler_state(
    OUT preloaded boolean, OUT launcher_pid integer, OUT launcher_started_at timestamptz,
    OUT next_fire_at timestamptz, OUT last_retention_at timestamptz, OUT workers_busy integer,
    OUT workers_idle integer, OUT workers_starting integer, OUT workers_max integer, OUT http_worker_pid integer)
RETURNS record
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_scheduler_state';
COMMENT ON FUNCTION jobs_internal._scheduler_state() IS
'Internal: the launcher (pid, start, earliest fire time not queued yet, last retention pass), SQL worker slots '
'and HTTP worker, from shared memory; for jobs.health().';
REVOKE EXECUTE ON FUNCTION jobs_internal._scheduler_state() FROM PUBLIC;

-- The privileged part of jobs.health() (see "Who is calling"): it counts
-- the runs of every role, which the caller's row level security would hide.
CREATE FUNCTION jobs_internal._health(caller name, queue_wait_limit interval, lag_limit interval,
    OUT status text, OUT reasons text[], OUT scheduler_running boolean, OUT launcher_pid integer,
    OUT launcher_since timestamptz, OUT server_role text, OUT workers_busy integer, OUT workers_idle integer,
    OUT workers_starting integer, OUT workers_max integer, OUT http_worker_pid integer, OUT http_in_flight bigint,
    OUT queued_runs bigint, OUT oldest_queued_age interval, OUT due_lag interval, OUT runs_last_minute bigint,
    OUT failures_last_minute bigint, OUT runs_last_hour bigint, OUT failures_last_hour bigint,
    OUT last_retention_at timestamptz)
RETURNS record
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t timestamptz := clock_timestamp();
    p record;
    down text[] := '{}';
    degraded text[] := '{}';
    notes text[] := '{}';
BEGIN
    p := jobs_internal._scheduler_state();
    scheduler_running := p.launcher_pid IS NOT NULL;
    launcher_pid := p.launcher_pid;
    launcher_since := p.launcher_started_at;
    server_role := CASE WHEN pg_is_in_recovery() THEN 'standby' ELSE 'primary' END;
    workers_busy := p.workers_busy;
    workers_idle := p.workers_idle;
    workers_starting := p.workers_starting;
    workers_max := p.workers_max;
    http_worker_pid := p.http_worker_pid;
    last_retention_at := p.last_retention_at;
    due_lag := CASE WHEN scheduler_running AND p.next_fire_at < t THEN t - p.next_fire_at ELSE interval '0' END;

    SELECT count(*) INTO queued_runs FROM jobs.job_execution AS q WHERE q.status = 'queued';
    SELECT count(*) INTO http_in_flight FROM jobs.job_execution AS r WHERE r.status = 'running' AND r.kind = 'http';
    -- Runs free to start (not waiting for a retry's backoff, nor behind a
    -- run of the same job in progress) that no worker took yet.
    SELECT t - min(greatest(q.queued_at, q.not_before)) INTO oldest_queued_age
    FROM jobs.job_execution AS q
    WHERE q.status = 'queued' AND (q.not_before IS NULL OR q.not_before <= t)
      AND NOT EXISTS (SELECT FROM jobs.job_execution AS r
                      WHERE r.job_id = q.job_id AND r.status IN ('queued', 'running')
                        AND r.execution_id < q.execution_id);
    SELECT count(*) FILTER (WHERE coalesce(e.finished_at, e.queued_at) >= t - interval '1 minute'),
           count(*) FILTER (WHERE coalesce(e.finished_at, e.queued_at) >= t - interval '1 minute'
                              AND e.status IN ('failed', 'timed_out', 'crashed')),
           count(*),
           count(*) FILTER (WHERE e.status IN ('failed', 'timed_out', 'crashed'))
    INTO runs_last_minute, failures_last_minute, runs_last_hour, failures_last_hour
    FROM jobs.job_execution AS e
    WHERE e.status NOT IN ('queued', 'running') AND coalesce(e.finished_at, e.queued_at) >= t - interval '1 hour'
      AND e.status <> 'skipped';

    IF NOT p.preloaded THEN
        down := down || 'pg_jobs is not in shared_preload_libraries: no scheduler runs'::text;
    ELSIF server_role = 'standby' THEN
        notes := notes || 'standby: the scheduler starts when the server is promoted'::text;
    ELSIF NOT scheduler_running THEN
        down := down || 'the launcher is not running (after a crash it restarts within 5 seconds; see the server log)'::text;
    END IF;
    IF scheduler_running AND due_lag > lag_limit THEN
        degraded := degraded || format('due runs are not queued yet: the earliest fire time is %s late '
                                       '(the launcher is busy or failing; see the server log)',
                                       date_trunc('second', due_lag));
    END IF;
    IF oldest_queued_age > queue_wait_limit THEN
        degraded := degraded || format('%s run(s) queued; the oldest free to start has waited %s (SQL workers: %s '
                                       'busy of %s)', queued_runs, date_trunc('second', oldest_queued_age),
                                       workers_busy, workers_max);
    END IF;
    -- Said as a note, as at start in the server log: runs only wait when
    -- every background worker slot is in use at once.
    IF p.preloaded AND workers_max + 2 > current_setting('max_worker_processes')::integer THEN
        notes := notes || format('jobs.max_workers (%s) needs more background workers than max_worker_processes '
                                 '(%s) allows: the launcher, the HTTP worker and the SQL workers need %s, and runs '
                                 'wait when none can start (raise max_worker_processes, a restart)',
                                 workers_max, current_setting('max_worker_processes'), workers_max + 2);
    END IF;
    status := CASE WHEN cardinality(down) > 0 THEN 'down' WHEN cardinality(degraded) > 0 THEN 'degraded'
                   ELSE 'ok' END;
    reasons := down || degraded || notes;
END
$$;
COMMENT ON FUNCTION jobs_internal._health(name, interval, interval) IS
'Internal: the privileged part of jobs.health; call jobs.health.';
REVOKE EXECUTE ON FUNCTION jobs_internal._health(name, interval, interval) FROM PUBLIC;

CREATE FUNCTION jobs.health(queue_wait_limit interval DEFAULT '1 minute', lag_limit interval DEFAULT '30 seconds',
    OUT status text, OUT reasons text[], OUT scheduler_running boolean, OUT launcher_pid integer,
    OUT launcher_since timestamptz, OUT server_role text, OUT workers_busy integer, OUT workers_idle integer,
    OUT workers_starting integer, OUT workers_max integer, OUT http_worker_pid integer, OUT http_in_flight bigint,
    OUT queued_runs bigint, OUT oldest_queued_age interval, OUT due_lag interval, OUT runs_last_minute bigint,
    OUT failures_last_minute bigint, OUT runs_last_hour bigint, OUT failures_last_hour bigint,
    OUT last_retention_at timestamptz)
RETURNS record
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_privileged_call';
COMMENT ON FUNCTION jobs.health(interval, interval) IS
'One row on the scheduler as a whole: status ok, degraded or down and the reasons; the launcher (pid, since); '
'primary or standby; SQL workers busy, idle, starting and the most there may be (jobs.max_workers); HTTP '
'transfers in flight; queued runs and how long the oldest free to start has waited; how late the earliest due '
'fire time not queued yet is; runs and failures (failed, timed_out, crashed) that finished in the last minute '
'and hour; the last history retention pass. down: no launcher on a primary, or pg_jobs not preloaded; degraded: '
'a due fire time later than lag_limit, or a queued run waiting longer than queue_wait_limit. Any role may call '
'it: it shows counts, pids and times, no job of any role (its privileged part, jobs_internal._health, counts every '
'role''s runs). In jobs.database only.';
GRANT EXECUTE ON FUNCTION jobs.health(interval, interval) TO PUBLIC;

-- Samples are finite (durations and times of recorded runs); a missing one is NaN.
CREATE FUNCTION jobs.metrics()
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    h record;
    cap integer := coalesce(nullif(current_setting('jobs.metrics_max_jobs', true), '')::integer, 500);
    visible bigint;
    out text := '';
    per_job text;
BEGIN
    SELECT * INTO h FROM jobs.health();
    SELECT count(*) INTO visible FROM jobs.scheduled_job;
    out := out
        || E'# HELP pg_jobs_scheduler_up Whether the pg_jobs launcher runs (1) or not (0).\n'
        || E'# TYPE pg_jobs_scheduler_up gauge\n'
        || format(E'pg_jobs_scheduler_up %s\n', CASE WHEN h.scheduler_running THEN 1 ELSE 0 END)
        || E'# HELP pg_jobs_health Status of jobs.health(): 1 for the current one.\n'
        || E'# TYPE pg_jobs_health gauge\n'
        || (SELECT string_agg(format(E'pg_jobs_health{status="%s"} %s\n', s, CASE WHEN s = h.status THEN 1 ELSE 0 END),
                              '' ORDER BY o)
            FROM unnest(ARRAY['ok', 'degraded', 'down']) WITH ORDINALITY AS u(s, o))
        || E'# HELP pg_jobs_workers SQL worker processes by state.\n'
        || E'# TYPE pg_jobs_workers gauge\n'
        || format(E'pg_jobs_workers{state="busy"} %s\npg_jobs_workers{state="idle"} %s\n'
                  || E'pg_jobs_workers{state="starting"} %s\n', h.workers_busy, h.workers_idle, h.workers_starting)
        || E'# HELP pg_jobs_workers_max Most SQL worker processes (jobs.max_workers).\n'
        || E'# TYPE pg_jobs_workers_max gauge\n'
        || format(E'pg_jobs_workers_max %s\n', h.workers_max)
        || E'# HELP pg_jobs_http_in_flight HTTP runs in progress.\n'
        || E'# TYPE pg_jobs_http_in_flight gauge\n'
        || format(E'pg_jobs_http_in_flight %s\n', h.http_in_flight)
        || E'# HELP pg_jobs_queue_depth Queued runs, of every role.\n'
        || E'# TYPE pg_jobs_queue_depth gauge\n'
        || format(E'pg_jobs_queue_depth %s\n', h.queued_runs)
        || E'# HELP pg_jobs_queue_oldest_age_seconds How long the oldest queued run free to start has waited.\n'
        || E'# TYPE pg_jobs_queue_oldest_age_seconds gauge\n'
        || format(E'pg_jobs_queue_oldest_age_seconds %s\n',
                  coalesce(extract(epoch FROM h.oldest_queued_age), 0)::double precision::text)
        || E'# HELP pg_jobs_due_lag_seconds How late the earliest due fire time not queued yet is.\n'
        || E'# TYPE pg_jobs_due_lag_seconds gauge\n'
        || format(E'pg_jobs_due_lag_seconds %s\n',
                  coalesce(extract(epoch FROM h.due_lag)::double precision::text, 'NaN'))
        || E'# HELP pg_jobs_jobs Jobs the reader may see, by whether they are enabled.\n'
        || E'# TYPE pg_jobs_jobs gauge\n'
        || (SELECT format(E'pg_jobs_jobs{state="enabled"} %s\npg_jobs_jobs{state="disabled"} %s\n',
                          count(*) FILTER (WHERE j.enabled), count(*) FILTER (WHERE NOT j.enabled))
            FROM jobs.scheduled_job AS j)
        || E'# HELP pg_jobs_metrics_jobs_omitted Jobs the reader may see beyond jobs.metrics_max_jobs, without series.\n'
        || E'# TYPE pg_jobs_metrics_jobs_omitted gauge\n'
        || format(E'pg_jobs_metrics_jobs_omitted %s\n', greatest(visible - cap, 0));

    -- Per job (the first jobs.metrics_max_jobs by job_id: a stable set of
    -- series), over the retained history of its runs.
    WITH shown AS (
        SELECT j.job_id, format('job=%s,owner=%s', '"' || replace(replace(replace(j.job_name, E'\\', E'\\\\'), '"', E'\\"'), E'\n', E'\\n') || '"',
                                '"' || replace(replace(replace(pg_catalog.pg_get_userbyid(j.owner), E'\\', E'\\\\'), '"', E'\\"'), E'\n', E'\\n') || '"') AS labels
        FROM jobs.scheduled_job AS j ORDER BY j.job_id LIMIT cap),
    per AS (
        SELECT shown.job_id, shown.labels, a.*
        FROM shown
        CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE e.status = 'succeeded') AS succeeded,
                   count(*) FILTER (WHERE e.status = 'failed') AS failed,
                   count(*) FILTER (WHERE e.status = 'timed_out') AS timed_out,
                   count(*) FILTER (WHERE e.status = 'cancelled') AS cancelled,
                   count(*) FILTER (WHERE e.status = 'crashed') AS crashed,
                   coalesce(sum(coalesce(e.skipped_count, 1)) FILTER (WHERE e.status = 'skipped'), 0) AS skipped,
                   ARRAY[count(*) FILTER (WHERE d.s <= 0.01), count(*) FILTER (WHERE d.s <= 0.05),
                         count(*) FILTER (WHERE d.s <= 0.1), count(*) FILTER (WHERE d.s <= 0.5),
                         count(*) FILTER (WHERE d.s <= 1), count(*) FILTER (WHERE d.s <= 5),
                         count(*) FILTER (WHERE d.s <= 10), count(*) FILTER (WHERE d.s <= 30),
                         count(*) FILTER (WHERE d.s <= 60), count(*) FILTER (WHERE d.s <= 300),
                         count(*) FILTER (WHERE d.s <= 900), count(*) FILTER (WHERE d.s <= 3600),
                         count(d.s)] AS buckets,
                   coalesce(sum(d.s), 0) AS duration_sum,
                   percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY d.lag)
                       FILTER (WHERE e.triggered_by = 'schedule') AS lags,
                   coalesce(sum(d.lag) FILTER (WHERE e.triggered_by = 'schedule'), 0) AS lag_sum,
                   count(d.lag) FILTER (WHERE e.triggered_by = 'schedule') AS lag_count,
                   max(e.execution_id) FILTER (WHERE e.status = 'succeeded') AS last_success_id,
                   extract(epoch FROM max(e.finished_at) FILTER (WHERE e.status = 'succeeded')) AS last_success
            FROM jobs.job_execution AS e
            -- date_part, not extract: a double, not a numeric (three times faster here).
            CROSS JOIN LATERAL (SELECT date_part('epoch', e.duration) AS s,
                                       date_part('epoch', e.started_at - e.scheduled_for) AS lag) AS d
            WHERE e.job_id = shown.job_id) AS a)
    SELECT
        E'# HELP pg_jobs_runs_total Finished runs in the retained history, by status (skipped: fire times skipped).\n'
        || E'# TYPE pg_jobs_runs_total counter\n'
        || coalesce(string_agg(
               format(E'pg_jobs_runs_total{%s,status="succeeded"} %s\npg_jobs_runs_total{%s,status="failed"} %s\n'
                      || E'pg_jobs_runs_total{%s,status="timed_out"} %s\npg_jobs_runs_total{%s,status="cancelled"} %s\n'
                      || E'pg_jobs_runs_total{%s,status="crashed"} %s\npg_jobs_runs_total{%s,status="skipped"} %s\n',
                      labels, succeeded, labels, failed, labels, timed_out, labels, cancelled, labels, crashed,
                      labels, skipped), '' ORDER BY job_id), '')
        || E'# HELP pg_jobs_run_duration_seconds Duration of the runs that ran, in the retained history.\n'
        || E'# TYPE pg_jobs_run_duration_seconds histogram\n'
        || coalesce(string_agg(
               (SELECT string_agg(format(E'pg_jobs_run_duration_seconds_bucket{%s,le="%s"} %s\n', labels, le,
                                         buckets[o]), '' ORDER BY o)
                FROM unnest(ARRAY['0.01', '0.05', '0.1', '0.5', '1', '5', '10', '30', '60', '300', '900', '3600',
                                  '+Inf']) WITH ORDINALITY AS b(le, o))
               || format(E'pg_jobs_run_duration_seconds_sum{%s} %s\npg_jobs_run_duration_seconds_count{%s} %s\n',
                         labels, coalesce(duration_sum::text, 'NaN'), labels, buckets[13]),
               '' ORDER BY job_id), '')
        || E'# HELP pg_jobs_start_lag_seconds How late scheduled runs started (started_at - scheduled_for).\n'
        || E'# TYPE pg_jobs_start_lag_seconds summary\n'
        || coalesce(string_agg(
               format(E'pg_jobs_start_lag_seconds{%s,quantile="0.5"} %s\npg_jobs_start_lag_seconds{%s,quantile="0.95"} %s\n'
                      || E'pg_jobs_start_lag_seconds_sum{%s} %s\npg_jobs_start_lag_seconds_count{%s} %s\n',
                      labels, coalesce(lags[1]::text, 'NaN'), labels, coalesce(lags[2]::text, 'NaN'),
                      labels, coalesce(lag_sum::text, 'NaN'), labels, lag_count),
               '' ORDER BY job_id), '')
        || E'# HELP pg_jobs_consecutive_failures Failed runs (failed, timed_out, crashed) since the last success.\n'
        || E'# TYPE pg_jobs_consecutive_failures gauge\n'
        || coalesce(string_agg(
               format(E'pg_jobs_consecutive_failures{%s} %s\n', labels,
                      (SELECT count(*) FROM jobs.job_execution AS f
                       WHERE f.job_id = per.job_id AND f.execution_id > coalesce(per.last_success_id, 0)
                         AND f.status IN ('failed', 'timed_out', 'crashed'))),
               '' ORDER BY job_id), '')
        || E'# HELP pg_jobs_last_success_timestamp_seconds When the last successful run finished (Unix time).\n'
        || E'# TYPE pg_jobs_last_success_timestamp_seconds gauge\n'
        || coalesce(string_agg(format(E'pg_jobs_last_success_timestamp_seconds{%s} %s\n', labels,
                                      last_success::double precision::text), '' ORDER BY job_id)
                    FILTER (WHERE last_success IS NOT NULL), '')
    INTO per_job
    FROM per;
    RETURN out || per_job;
END
$$;
COMMENT ON FUNCTION jobs.metrics() IS
'The scheduler''s metrics in the Prometheus text exposition format: pg_jobs_scheduler_up, pg_jobs_health{status}, '
'pg_jobs_workers{state}, pg_jobs_workers_max, pg_jobs_http_in_flight, pg_jobs_queue_depth, '
'pg_jobs_queue_oldest_age_seconds, pg_jobs_due_lag_seconds (of every role, as jobs.health()), pg_jobs_jobs{state}; '
'and per job the reader may see (labels job and owner; at most jobs.metrics_max_jobs jobs, the lowest job_id '
'first): pg_jobs_runs_total{status}, the pg_jobs_run_duration_seconds histogram, the pg_jobs_start_lag_seconds '
'summary, pg_jobs_consecutive_failures and pg_jobs_last_success_timestamp_seconds, over the retained history.';
GRANT EXECUTE ON FUNCTION jobs.metrics() TO PUBLIC;

CREATE FUNCTION jobs.explain(job_id bigint)
RETURNS TABLE (reason text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job jobs.scheduled_job;
    owner_name name;
    t timestamptz := clock_timestamp();
    next_times timestamptz[];
    described text;
    running record;
    run record;
    health record;
    can_login boolean;
    is_super boolean;
    so_far bigint;
BEGIN
    -- Row level security decides: another role's job is reported as a missing one.
    SELECT * INTO job FROM jobs.scheduled_job AS j WHERE j.job_id = explain.job_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job with ID % does not exist', explain.job_id
            USING ERRCODE = 'undefined_object', HINT = 'List the jobs with SELECT job_id, job_name FROM jobs.job_status.';
    END IF;
    owner_name := pg_get_userbyid(job.owner);
    reason := format('job "%s" (job_id %s) of role %s: %s', job.job_name, job.job_id, owner_name,
                     CASE WHEN job.kind = 'http' THEN format('HTTP job, %s', job.command)
                          ELSE format('SQL job in database "%s"', job.database) END);
    RETURN NEXT;

    -- Enabled, or why not.
    IF job.enabled AND job.schedule IS NULL AND job.run_at IS NULL THEN
        reason := 'enabled: it has no schedule to fire, it runs when triggered';
    ELSIF job.enabled THEN
        reason := 'enabled: its schedule fires';
    ELSIF job.disabled_reason IS NOT NULL THEN
        reason := format('disabled: %s; jobs.enable(%s) enables it again (it can still be triggered)',
                         job.disabled_reason, job.job_id);
    ELSE
        reason := format('disabled by hand: jobs.enable(%s) enables it again (it can still be triggered)', job.job_id);
    END IF;
    RETURN NEXT;

    -- The schedule in words, and the next fire times within its window.
    IF job.schedule IS NULL AND job.run_at IS NULL THEN
        reason := 'schedule: none; it runs only when triggered (jobs.trigger)';
        RETURN NEXT;
    ELSIF job.schedule IS NULL THEN
        reason := format('schedule: once, at %s', job.run_at);
        RETURN NEXT;
        IF job.run_at > t THEN
            next_times := ARRAY[job.run_at];
        END IF;
    ELSE
        BEGIN
            described := jobs.describe(job.schedule, job.timezone);
        EXCEPTION WHEN OTHERS THEN
            described := format('"%s" cannot be read: %s', job.schedule, SQLERRM);
        END;
        reason := format('schedule: %s (%s, time zone %s)', described, job.schedule, job.timezone);
        RETURN NEXT;
        IF described NOT LIKE '%cannot be read%' AND job.schedule NOT ILIKE '@reboot' THEN
            BEGIN
                SELECT array_agg(r ORDER BY r) INTO next_times
                FROM jobs.next_runs(job.schedule, 3,
                                    CASE WHEN job.start_at > t THEN job.start_at - interval '1 microsecond' ELSE t END,
                                    job.timezone) AS r
                WHERE job.end_at IS NULL OR r <= job.end_at;
            EXCEPTION WHEN OTHERS THEN
                next_times := NULL;
            END;
        END IF;
    END IF;
    IF job.start_at > t THEN
        reason := format('window: its schedule starts firing at %s (start_at)', job.start_at);
        RETURN NEXT;
    END IF;
    IF job.end_at IS NOT NULL THEN
        reason := CASE WHEN job.end_at < t THEN format('window: it ended at %s (end_at): no more fire times', job.end_at)
                       ELSE format('window: it fires until %s (end_at)', job.end_at) END;
        RETURN NEXT;
    END IF;
    IF job.schedule IS NOT NULL OR job.run_at IS NOT NULL THEN
        IF cardinality(next_times) > 0 THEN
            reason := format('%s: %s', CASE WHEN job.enabled THEN 'next fire times' ELSE 'next fire times if enabled' END,
                             array_to_string(next_times, ', '));
        ELSIF job.schedule ILIKE '@reboot' THEN
            reason := 'next fire time: when the scheduler starts (the server starts)';
        ELSE
            reason := 'next fire times: none left within its window';
        END IF;
        RETURN NEXT;
    END IF;

    -- Runs in progress, and what the overlap policy does with the next fire time.
    SELECT count(*) AS n, min(r.execution_id) AS first_id, min(r.started_at) AS since INTO running
    FROM jobs.job_execution AS r WHERE r.job_id = job.job_id AND r.status = 'running';
    IF running.n = 0 THEN
        reason := format('overlap %s: no run in progress, nothing blocks the next one', job.overlap);
    ELSIF job.overlap = 'skip' THEN
        reason := format('overlap skip: run %s, running since %s, blocks it: a fire time due meanwhile is skipped',
                         running.first_id, running.since);
    ELSIF job.overlap = 'queue' THEN
        reason := format('overlap queue: run %s, running since %s, makes the next one wait (one waits at most)',
                         running.first_id, running.since);
    ELSIF job.overlap = 'allow' THEN
        reason := format('overlap allow: %s of at most %s run(s) in progress%s', running.n, job.max_concurrent,
                         CASE WHEN running.n >= job.max_concurrent THEN ': a fire time due meanwhile is skipped'
                              ELSE '' END);
    ELSE
        reason := format('overlap replace: run %s, running since %s, is cancelled when the next one is due',
                         running.first_id, running.since);
    END IF;
    RETURN NEXT;

    -- max_runs left (counted as the launcher does: scheduled runs since the job was last changed).
    IF job.max_runs IS NOT NULL THEN
        SELECT count(*) INTO so_far FROM jobs.job_execution AS r
        WHERE r.job_id = job.job_id AND r.triggered_by = 'schedule' AND r.status <> 'skipped'
          AND r.queued_at >= job.updated_at;
        reason := format('max_runs %s: %s scheduled run(s) since it was last changed, %s left', job.max_runs, so_far,
                         greatest(job.max_runs - so_far, 0));
        RETURN NEXT;
    END IF;

    -- The owner's right to run it.
    SELECT r.rolcanlogin, r.rolsuper INTO can_login, is_super FROM pg_catalog.pg_roles AS r WHERE r.oid = job.owner;
    IF job.kind = 'http' THEN
        reason := format('owner %s: HTTP runs go through the HTTP worker; the host must be allowed by '
                         'jobs.http_allowed_hosts', owner_name);
    ELSIF NOT can_login AND NOT is_super THEN
        reason := format('owner %s cannot run it: the role has no LOGIN (its runs fail with 28000); '
                         'ALTER ROLE %I LOGIN', owner_name, owner_name);
    ELSIF NOT has_database_privilege(job.owner, job.database, 'CONNECT') THEN
        reason := format('owner %s cannot run it: no CONNECT on database "%s" (its runs fail with 42501)',
                         owner_name, job.database);
    ELSE
        reason := format('owner %s may run it: %s CONNECT on database "%s"', owner_name,
                         CASE WHEN is_super THEN 'superuser,' ELSE 'LOGIN and' END, job.database);
    END IF;
    RETURN NEXT;

    -- Queued runs and retries pending.
    FOR run IN
        SELECT q.execution_id, q.triggered_by, q.attempt, q.queued_at, q.not_before, q.retry_of
        FROM jobs.job_execution AS q
        WHERE q.job_id = job.job_id AND q.status = 'queued' ORDER BY q.execution_id LIMIT 5
    LOOP
        reason := CASE WHEN run.triggered_by = 'retry' AND run.not_before > t
                       THEN format('retry pending: run %s (attempt %s, retrying run %s) waits until %s', run.execution_id,
                                   run.attempt, run.retry_of, run.not_before)
                       WHEN run.triggered_by = 'retry'
                       THEN format('retry pending: run %s (attempt %s, retrying run %s) is queued for a worker',
                                   run.execution_id, run.attempt, run.retry_of)
                       ELSE format('queued: run %s (%s), queued at %s, waits for a worker', run.execution_id,
                                   run.triggered_by, run.queued_at) END;
        RETURN NEXT;
    END LOOP;
    IF NOT FOUND THEN
        reason := format('retries: none pending (max_retries %s)', job.max_retries);
        RETURN NEXT;
    END IF;

    -- The last run's outcome and error.
    SELECT e.execution_id, e.status, e.attempt, e.triggered_by, e.finished_at, e.duration, e.error, e.sqlstate,
           e.http_status
    INTO run
    FROM jobs.job_execution AS e
    WHERE e.job_id = job.job_id AND e.status NOT IN ('queued', 'running')
    ORDER BY e.execution_id DESC LIMIT 1;
    IF NOT FOUND THEN
        reason := 'last run: none yet';
    ELSE
        reason := format('last run: %s (attempt %s, %s) %s at %s%s%s', run.execution_id, run.attempt, run.triggered_by,
                         run.status, run.finished_at,
                         CASE WHEN run.duration IS NOT NULL THEN format(' after %s', run.duration) ELSE '' END,
                         CASE WHEN run.error IS NOT NULL
                              THEN format(': %s%s', run.error,
                                          CASE WHEN run.sqlstate IS NOT NULL THEN format(' (SQLSTATE %s)', run.sqlstate)
                                               WHEN run.http_status IS NOT NULL THEN format(' (HTTP %s)', run.http_status)
                                               ELSE '' END)
                              ELSE '' END);
    END IF;
    RETURN NEXT;

    -- alerts: the reader's alerts firing for this job (row level security of jobs.alert_status).
    FOR run IN
        SELECT s.alert_name, s.firing_since, s.last_delivered_at, s.deliveries, s.suppressed
        FROM jobs.alert_status AS s WHERE s.job_id = job.job_id AND s.firing ORDER BY s.alert_name
    LOOP
        reason := format('alert firing: "%s" since %s, %s deliver%s (last at %s), %s repeat(s) held back',
                         run.alert_name, run.firing_since, run.deliveries,
                         CASE WHEN run.deliveries = 1 THEN 'y' ELSE 'ies' END,
                         coalesce(run.last_delivered_at::text, 'none yet'), run.suppressed);
        RETURN NEXT;
    END LOOP;
    IF NOT FOUND THEN
        reason := 'alerts firing: none';
        RETURN NEXT;
    END IF;

    -- The scheduler itself.
    SELECT * INTO health FROM jobs.health();
    reason := format('scheduler: %s%s', health.status,
                     CASE WHEN cardinality(health.reasons) > 0 THEN ': ' || array_to_string(health.reasons, '; ')
                          ELSE '' END);
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION jobs.explain(bigint) IS
'Why the job with this job_id will or will not run next, and when, one reason per row: enabled or why not, the '
'schedule in words, its window and next fire times, a run that blocks it by overlap, max_runs left, the owner''s '
'right to run it, queued runs and pending retries, the last run''s outcome and error, the caller''s alerts firing for it, and the scheduler''s '
'status. Non-superusers may explain their own jobs, members of jobs_admin every job; another role''s job is '
'reported as missing (42704).';
GRANT EXECUTE ON FUNCTION jobs.explain(bigint) TO PUBLIC;

CREATE FUNCTION jobs.explain(job_name text)
RETURNS TABLE (reason text)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    SELECT e.reason FROM jobs.explain(jobs_internal._own_job_id(job_name)) AS e;
END;
COMMENT ON FUNCTION jobs.explain(text) IS
'Why the caller''s job of this name will or will not run next, and when, one reason per row (see '
'jobs.explain(bigint)).';
GRANT EXECUTE ON FUNCTION jobs.explain(text) TO PUBLIC;

-------------------------------------------------------------------------------
-- life: the run lifecycle in one place (issue 11, section 1): every move of
-- a run to a final status through jobs_internal._finish_runs (which the workers,
-- the launcher, the HTTP worker, jobs.cancel, jobs.unschedule and DROP OWNED
-- share), the overlap and starting-deadline policies as SQL functions, and
-- retries decided from the SQLSTATE and the stored HTTP error kind.
-------------------------------------------------------------------------------

ALTER TABLE jobs.job_execution ADD COLUMN error_kind text;
COMMENT ON COLUMN jobs.job_execution.error_kind IS
'HTTP runs that got no response: connect_refused, dns, tls, timeout, connection_lost, refused_by_policy, '
'invalid_request; NULL otherwise.';

-- A run's status moves (src/core/run_status.hpp):
--   (inserted) -> queued | skipped; a retry is a new queued row
--   queued  -> running (claimed) | skipped | cancelled | failed
--   running -> succeeded | failed | timed_out | cancelled | crashed | queued (never started)
-- and a final status never changes again. Every move to a final status but
-- a claim's refusal (skipped past its starting deadline, failed when its
-- owner is gone or its payload too large: part of the claim statement) goes
-- through jobs_internal._finish_runs, whichever process or function makes it (the
-- SQL workers, the launcher, the HTTP worker, jobs.cancel, jobs.unschedule,
-- DROP OWNED, overlap replace): it moves only runs still in the status the
-- caller expects, so a late finish after a cancel or a crash mark changes
-- nothing.

-- Moves the runs `ids` that are still `from_status` (queued or running) to
-- their final status; returns how many moved; XX000 for a move a run never
-- makes. The arrays line up with ids; an array of one element applies to
-- every run, a NULL array leaves the column NULL. A cancelled run without
-- an error of its own keeps the one it has (overlap replace), else says who
-- cancelled it: cancelled_by (also recorded in cancel_requested_by), or the
-- role that asked jobs.cancel (cancel_requested_by). started_ats /
-- finished_ats: as the worker saw them (runs in other databases); NULL:
-- unchanged / now. Its body is the statement the scheduler's processes
-- finish runs with (src/pg/store/run_lifecycle.cpp); it runs with the
-- caller's rights, and only the scheduler and the functions of this
-- extension may call it.
CREATE FUNCTION jobs_internal._finish_runs(from_status text, ids bigint[], statuses text[],
                                  errors text[] DEFAULT NULL, sqlstates text[] DEFAULT NULL,
                                  error_details text[] DEFAULT NULL, error_kinds text[] DEFAULT NULL,
                                  rows_affected bigint[] DEFAULT NULL, http_statuses integer[] DEFAULT NULL,
                                  results text[] DEFAULT NULL, http_timings text[] DEFAULT NULL,
                                  started_ats timestamptz[] DEFAULT NULL, finished_ats timestamptz[] DEFAULT NULL,
                                  cancelled_by name[] DEFAULT NULL)
RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_finish_runs';
COMMENT ON FUNCTION jobs_internal._finish_runs(text, bigint[], text[], text[], text[], text[], text[], bigint[], integer[],
                                      text[], text[], timestamptz[], timestamptz[], name[]) IS
'Internal: moves the runs that are still from_status (queued or running) to their final status; every status '
'change to a final one goes through it. Returns how many runs moved.';
REVOKE EXECUTE ON FUNCTION jobs_internal._finish_runs(text, bigint[], text[], text[], text[], text[], text[], bigint[],
                                             integer[], text[], text[], timestamptz[], timestamptz[], name[])
    FROM PUBLIC;

-- The run policies decided where runs are queued and claimed
-- (src/pg/store/run_policy_sql.hpp), each once, tested case by case in
-- test/pgtap/run_policies.sql.

-- starting_deadline: whether a run scheduled for scheduled_for may no
-- longer start at `at` (a difference of times: scheduled_for + a huge
-- deadline would overflow; an infinite scheduled_for is always late).
CREATE FUNCTION jobs_internal._missed_starting_deadline(scheduled_for timestamptz, deadline interval, at timestamptz)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN deadline IS NOT NULL AND (NOT isfinite(scheduled_for) OR at - scheduled_for > deadline);
COMMENT ON FUNCTION jobs_internal._missed_starting_deadline(timestamptz, interval, timestamptz) IS
'Internal: whether a run scheduled for scheduled_for is past its starting deadline at `at` (NULL deadline: never).';

-- overlap: why a scheduled run due while the job has `running` runs started
-- and `waiting` runs queued is skipped; NULL: it is queued (overlap queue
-- then makes it wait for the running one at its claim; overlap replace
-- cancels the unfinished ones).
CREATE FUNCTION jobs_internal._overlap_skip_reason(overlap text, max_concurrent integer, running bigint, waiting bigint,
                                          running_id bigint, running_since timestamptz, waiting_id bigint)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE
    WHEN overlap = 'skip' AND running > 0 THEN
        format('skipped: the run %s started at %s was still running (overlap skip)', running_id, running_since)
    WHEN overlap = 'skip' AND waiting > 0 THEN
        format('skipped: the run %s was still waiting to start (overlap skip)', waiting_id)
    WHEN overlap = 'queue' AND waiting > 0 THEN
        format('skipped: the run %s was already waiting for the running one (overlap queue)', waiting_id)
    WHEN overlap = 'allow' AND running + waiting >= max_concurrent THEN
        format('skipped: %s run(s) of the job were still active, max_concurrent is %s (overlap allow)',
               running + waiting, max_concurrent)
END;
COMMENT ON FUNCTION jobs_internal._overlap_skip_reason(text, integer, bigint, bigint, bigint, timestamptz, bigint) IS
'Internal: why the overlap policy skips a scheduled run due while the job has runs running and waiting; NULL if '
'it is queued.';
REVOKE EXECUTE ON FUNCTION jobs_internal._missed_starting_deadline(timestamptz, interval, timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._overlap_skip_reason(text, integer, bigint, bigint, bigint, timestamptz, bigint)
    FROM PUBLIC;

CREATE OR REPLACE FUNCTION jobs_internal._unschedule(caller name, job_id bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job jobs.scheduled_job := jobs_internal._job_for_caller(job_id, caller, true);
BEGIN
    DELETE FROM jobs.scheduled_job AS j WHERE j.job_id = job.job_id;
    -- Runs not started yet would run a job that no longer exists.
    PERFORM jobs_internal._finish_runs('queued', array(SELECT e.execution_id FROM jobs.job_execution AS e
                                              WHERE e.job_id = job.job_id AND e.status = 'queued'),
                              '{cancelled}', ARRAY['the job was unscheduled before this run started']);
    PERFORM jobs_internal._wake_scheduler(true, job.job_id);
    RETURN true;
END
$$;

CREATE OR REPLACE FUNCTION jobs_internal._cancel(caller name, execution_id bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run jobs.job_execution;
    caller_id regrole := jobs_internal._role_id(caller);
    sees_all boolean := coalesce(jobs_internal._administers_jobs(caller), false);  -- superusers and jobs_admin (Security 20)
BEGIN
    -- Another role's run answers as a missing one (Security 7), unlocked.
    SELECT * INTO run FROM jobs.job_execution AS e
    WHERE e.execution_id = _cancel.execution_id AND (sees_all OR e.owner = caller_id) FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'execution % does not exist', execution_id
            USING ERRCODE = 'undefined_object',
                  HINT = 'List runs with SELECT execution_id, job_name, status FROM jobs.job_history.';
    END IF;
    IF run.status = 'queued' THEN
        PERFORM jobs_internal._finish_runs('queued', ARRAY[run.execution_id], '{cancelled}', sqlstates => '{57014}',
                                  cancelled_by => ARRAY[caller]);
        PERFORM jobs_internal._request_cancel(run.execution_id, 'queued');  -- wakes jobs.wait at commit
        RETURN true;
    ELSIF run.status = 'running' THEN
        UPDATE jobs.job_execution AS e SET cancel_requested_by = caller WHERE e.execution_id = run.execution_id;
        PERFORM jobs_internal._request_cancel(run.execution_id, run.kind);
        RETURN true;
    END IF;
    RETURN false;
END
$$;

CREATE OR REPLACE FUNCTION jobs_internal._drop_owned(roles oid[])
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    gone bigint[];
BEGIN
    DELETE FROM jobs_internal._secret AS s WHERE s.owner_id = ANY (roles);
    WITH d AS (DELETE FROM jobs.scheduled_job AS j WHERE j.owner = ANY (roles) RETURNING j.job_id)
    SELECT array_agg(d.job_id) INTO gone FROM d;
    PERFORM jobs_internal._finish_runs('queued', array(SELECT e.execution_id FROM jobs.job_execution AS e
                                              WHERE e.status = 'queued' AND (e.owner = ANY (roles) OR e.job_id = ANY (gone))),
                              '{cancelled}', ARRAY['the job was removed by DROP OWNED before this run started']);
    IF gone IS NOT NULL THEN
        PERFORM jobs_internal._wake_scheduler(true);
    END IF;
    RETURN true;
END
$$;

-- Retries read the SQLSTATE and the HTTP error kind, not the message.
DROP FUNCTION jobs_internal._is_retryable(text, text, integer, text);
CREATE FUNCTION jobs_internal._is_retryable(kind text, status text, http_status integer, sqlstate text, error_kind text)
RETURNS boolean
LANGUAGE C IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pg_jobs_is_retryable';
COMMENT ON FUNCTION jobs_internal._is_retryable(text, text, integer, text, text) IS
'Internal: whether a run that ended so is worth retrying: crashed, timed_out, cancelled by a shutdown (SQLSTATE '
'57P01), failed SQL runs, and failed HTTP runs answered 5xx, 408, 429 or 2xx with "success": false, or without '
'an answer after connect_refused, dns or connection_lost (error_kind). Not 4xx, tls, refused_by_policy, '
'invalid_request or a cancellation by a user.';
REVOKE EXECUTE ON FUNCTION jobs_internal._is_retryable(text, text, integer, text, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION jobs_internal._queue_retry()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job jobs.scheduled_job;
BEGIN
    SELECT * INTO job FROM jobs.scheduled_job AS j WHERE j.job_id = NEW.job_id;
    IF NOT FOUND OR NEW.attempt > job.max_retries
       OR NOT jobs_internal._is_retryable(NEW.kind, NEW.status, NEW.http_status, NEW.sqlstate, NEW.error_kind) THEN
        RETURN NULL;
    END IF;
    -- As the job's owner now (REASSIGN OWNED may have given it to another role).
    INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, kind, triggered_by,
                                    triggered_by_user, scheduled_for, payload, attempt, retry_of, not_before)
    VALUES (NEW.job_id, NEW.job_name, job.owner, pg_get_userbyid(job.owner), NEW.database, NEW.command, NEW.kind,
            'retry', NEW.triggered_by_user, NEW.scheduled_for, NEW.payload, NEW.attempt + 1, NEW.execution_id,
            jobs_internal._retry_at(clock_timestamp(), NEW.attempt, job.retry_backoff, job.retry_backoff_max,
                           NEW.execution_id));
    PERFORM jobs_internal._wake_scheduler(false);  -- the launcher then sleeps until not_before
    RETURN NULL;
END
$$;

-- create: jobs created in bulk (issue 11, point 4). The audit trail's definition of a created or removed job is
-- built in C (jobs_internal._audit_definition, jobs_internal._audit_fields); the created rows keep the order the jobs were inserted.
-- (Batching of jobs.schedule itself is in the C library: no schema change.)
CREATE FUNCTION jobs_internal._audit_definition(job record)
RETURNS jsonb
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'pg_jobs_audit_definition';
COMMENT ON FUNCTION jobs_internal._audit_definition(record) IS
'Internal: a jobs.scheduled_job row as the audit trail records it at creation and removal: every column but '
'created_at and updated_at, NULLs left out, header values replaced by ***.';
REVOKE EXECUTE ON FUNCTION jobs_internal._audit_definition(record) FROM PUBLIC;

CREATE FUNCTION jobs_internal._audit_fields(definition jsonb)
RETURNS text[]
LANGUAGE C IMMUTABLE STRICT
AS 'MODULE_PATHNAME', 'pg_jobs_audit_fields';
COMMENT ON FUNCTION jobs_internal._audit_fields(jsonb) IS
'Internal: the top-level keys of a definition, sorted (ARRAY(SELECT k FROM jsonb_object_keys(definition) AS k '
'ORDER BY k)).';
REVOKE EXECUTE ON FUNCTION jobs_internal._audit_fields(jsonb) FROM PUBLIC;

CREATE OR REPLACE FUNCTION jobs_internal._audit_jobs_created()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM new_jobs) THEN
        RETURN NULL;
    END IF;
    -- A COPY into the table is a restore (pg_restore, psql < dump; only
    -- superusers may write the table directly): the dump brings the trail's
    -- own rows, which a 'created' row per restored job would collide with.
    -- The restore created the extension first, so the scheduler may have
    -- loaded no jobs yet: it loads them all once this commits.
    IF pg_catalog.current_query() ~* '^\s*COPY\s' THEN
        PERFORM jobs_internal._wake_scheduler(true);
        RETURN NULL;
    END IF;
    INSERT INTO jobs.job_audit (changed_by, changed_by_oid, job_id, job_name, owner, owner_name, action, fields,
                                old_values, new_values)
    WITH created AS MATERIALIZED (  -- each value computed once a row
        SELECT n.job_id, n.job_name, n.owner, jobs_internal._audit_definition(n) AS definition
        FROM new_jobs AS n)
    SELECT a.role_name, a.role_oid, c.job_id, c.job_name, c.owner, c.owner::text, 'created',
           jobs_internal._audit_fields(c.definition), NULL, c.definition
    FROM jobs_internal._audit_author() AS a, created AS c;  -- in the order the rows were inserted
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION jobs_internal._audit_jobs_removed()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM old_jobs) THEN
        RETURN NULL;
    END IF;
    INSERT INTO jobs.job_audit (changed_by, changed_by_oid, job_id, job_name, owner, owner_name, action, fields,
                                old_values, new_values)
    WITH removed AS MATERIALIZED (  -- each value computed once a row
        SELECT o.job_id, o.job_name, o.owner, jobs_internal._audit_definition(o) AS definition
        FROM old_jobs AS o)
    SELECT a.role_name, a.role_oid, r.job_id, r.job_name, r.owner, r.owner::text, 'unscheduled',
           jobs_internal._audit_fields(r.definition), r.definition, NULL
    FROM jobs_internal._audit_author() AS a, removed AS r
    ORDER BY r.job_id;
    RETURN NULL;
END
$$;

-------------------------------------------------------------------------------
-- perf: per-run cost (issue 11): job_execution_running is gone, each claim
-- updates one index fewer; job_execution_active_by_job (queued and running
-- runs) serves crash recovery and the stuck-run check.
-------------------------------------------------------------------------------
DROP INDEX IF EXISTS jobs.job_execution_running;

-------------------------------------------------------------------------------
-- perf: scheduled runs are queued a little ahead of their fire time, with
-- not_before = scheduled_for (issue 11): the comments say so.
-------------------------------------------------------------------------------
COMMENT ON COLUMN jobs.job_execution.not_before IS
'A queued run does not start before this time: a retry (its backoff), or a scheduled run queued ahead of its '
'fire time (then equal to scheduled_for).';
COMMENT ON INDEX jobs.job_execution_retry_due IS
'Queued runs that may not start before not_before (retries, runs queued ahead), earliest first, for the launcher''s sleep.';

-------------------------------------------------------------------------------
-- mail: HTTP jobs that send their body (send => 'body'), e-mail jobs
-- (jobs.schedule_email), issue 13. New columns, the kinds, and the functions
-- whose arguments changed (dropped and created again as the install script has
-- them).
-------------------------------------------------------------------------------
ALTER TABLE jobs.scheduled_job DROP CONSTRAINT scheduled_job_kind_check;
ALTER TABLE jobs.scheduled_job ADD CONSTRAINT scheduled_job_kind_check CHECK (kind IN ('sql', 'http', 'email'));
ALTER TABLE jobs.scheduled_job
    ADD COLUMN http_send text CHECK (http_send IN ('context', 'body')),
    ADD COLUMN smtp_url text,
    ADD COLUMN smtp_username text,
    ADD COLUMN smtp_password text,
    ADD COLUMN mail_from text,
    ADD COLUMN mail_to text[],
    ADD COLUMN mail_subject text,
    ADD COLUMN mail_body text;
ALTER TABLE jobs.scheduled_job
    ADD CONSTRAINT scheduled_job_email_check CHECK ((kind = 'email') = (smtp_url IS NOT NULL AND mail_from IS NOT NULL
                                                                    AND mail_to IS NOT NULL AND mail_subject IS NOT NULL
                                                                    AND mail_body IS NOT NULL));
ALTER TABLE jobs.job_execution DROP CONSTRAINT job_execution_kind_check;
ALTER TABLE jobs.job_execution ADD CONSTRAINT job_execution_kind_check CHECK (kind IN ('sql', 'http', 'email'));

COMMENT ON COLUMN jobs.scheduled_job.kind IS
'sql (jobs.schedule: runs command), http (jobs.schedule_http: calls http_url) or email (jobs.schedule_email: '
'sends an e-mail through smtp_url).';

COMMENT ON COLUMN jobs.scheduled_job.http_body IS
'HTTP jobs: sent as "config" in the JSON body of each request (http_send context), or the whole body with its '
'{{placeholders}} filled (http_send body).';
COMMENT ON COLUMN jobs.scheduled_job.http_send IS
'HTTP jobs: context (the body is the run''s context, http_body its "config"; also when NULL, as for HTTP jobs '
'defined before 0.2.0) or body (the body is http_body with each {{path}} replaced by that value of jobs.context(), '
'JSON-escaped). NULL for other kinds of job.';
COMMENT ON COLUMN jobs.scheduled_job.smtp_url IS 'E-mail jobs: the mail server, smtp://host[:port] or smtps://host[:port].';
COMMENT ON COLUMN jobs.scheduled_job.smtp_username IS 'E-mail jobs: the login name (may be a {{secret:NAME}} reference); NULL: no login.';
COMMENT ON COLUMN jobs.scheduled_job.smtp_password IS 'E-mail jobs: the login password, always a {{secret:NAME}} reference.';
COMMENT ON COLUMN jobs.scheduled_job.mail_from IS 'E-mail jobs: the sender address.';
COMMENT ON COLUMN jobs.scheduled_job.mail_to IS 'E-mail jobs: the recipient addresses.';
COMMENT ON COLUMN jobs.scheduled_job.mail_subject IS 'E-mail jobs: the subject, with {{placeholders}}.';
COMMENT ON COLUMN jobs.scheduled_job.mail_body IS 'E-mail jobs: the text, with {{placeholders}}.';

COMMENT ON COLUMN jobs.job_execution.kind IS 'sql, http or email, as the job''s kind when the run was queued.';

COMMENT ON COLUMN jobs.job_execution.http_status IS
'HTTP runs: the response status (NULL if none arrived); e-mail runs: the last SMTP reply code.';


CREATE OR REPLACE FUNCTION jobs_internal._schedule(caller name, job_name text, schedule text, command text, database text,
                               timezone text, enabled boolean, timeout interval, max_retries integer,
                               retry_backoff interval, retry_backoff_max interval, overlap text,
                               max_concurrent integer, misfire text, starting_deadline interval,
                               start_at timestamptz, end_at timestamptz, max_runs integer, run_at timestamptz,
                               min_trigger_interval interval, description text, tags text[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    zone text := coalesce(timezone, current_setting('jobs.timezone'));
    target name := coalesce(database, current_database());
    result_id bigint;
BEGIN
    PERFORM jobs_internal._check_definition(job_name, schedule, command, target, zone, caller);
    PERFORM jobs_internal._check_schedule_interval(schedule, zone, caller);
    PERFORM jobs_internal._check_run_options(timeout, max_retries, retry_backoff, retry_backoff_max);
    PERFORM jobs_internal._check_run_policy(schedule, overlap, max_concurrent, misfire, starting_deadline, start_at, end_at,
                                   max_runs, run_at, min_trigger_interval);
    IF enabled IS NULL THEN
        RAISE EXCEPTION 'enabled must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass true or false, or leave it out (true).';
    END IF;
    PERFORM jobs_internal._check_metadata(description, tags);
    PERFORM jobs_internal._check_job_quota(caller, job_name);
    INSERT INTO jobs.scheduled_job AS j (job_name, owner, schedule, timezone, command, database, enabled, timeout,
                                         max_retries, retry_backoff, retry_backoff_max, overlap, max_concurrent,
                                         misfire, starting_deadline, start_at, end_at, max_runs, run_at,
                                         min_trigger_interval, description, tags)
    VALUES (job_name, jobs_internal._role_id(caller), schedule, zone, command, target, enabled, timeout, max_retries, retry_backoff,
            retry_backoff_max, overlap, max_concurrent, misfire, starting_deadline, start_at, end_at, max_runs,
            run_at, min_trigger_interval, description, coalesce(tags, '{}'))
    ON CONFLICT ON CONSTRAINT scheduled_job_owner_job_name_key DO UPDATE
        SET schedule = excluded.schedule, timezone = excluded.timezone, command = excluded.command,
            database = excluded.database, enabled = excluded.enabled, kind = 'sql', http_method = NULL,
            http_url = NULL, http_headers = NULL, http_body = NULL, http_send = NULL, smtp_url = NULL,
            smtp_username = NULL, smtp_password = NULL, mail_from = NULL, mail_to = NULL, mail_subject = NULL,
            mail_body = NULL, timeout = excluded.timeout,
            max_retries = excluded.max_retries, retry_backoff = excluded.retry_backoff,
            retry_backoff_max = excluded.retry_backoff_max, overlap = excluded.overlap,
            max_concurrent = excluded.max_concurrent, misfire = excluded.misfire,
            starting_deadline = excluded.starting_deadline, start_at = excluded.start_at, end_at = excluded.end_at,
            max_runs = excluded.max_runs, run_at = excluded.run_at,
            min_trigger_interval = excluded.min_trigger_interval, disabled_reason = NULL, updated_at = now(),
            description = excluded.description, tags = excluded.tags
    RETURNING j.job_id INTO result_id;
    DELETE FROM jobs_internal._http_secret AS s WHERE s.job_id = result_id;
    PERFORM jobs_internal._wake_scheduler(true, result_id);
    RETURN result_id;
END
$$;

CREATE OR REPLACE FUNCTION jobs_internal._alter(caller name, job_id bigint, schedule text, command text, database text,
                            timezone text, enabled boolean, timeout interval, max_retries integer,
                            retry_backoff interval, retry_backoff_max interval, overlap text,
                            max_concurrent integer, misfire text, starting_deadline interval,
                            start_at timestamptz, end_at timestamptz, max_runs integer, run_at timestamptz,
                            min_trigger_interval interval, reset text[], description text, tags text[])
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job jobs.scheduled_job := jobs_internal._job_for_caller(job_id, caller, true);
    -- The options that may be NULL, so that NULL cannot mean "unchanged" for them.
    resettable constant text[] := ARRAY['timeout', 'starting_deadline', 'start_at', 'end_at', 'max_runs', 'run_at',
                                        'min_trigger_interval', 'description', 'tags'];
    given text[] := array_remove(ARRAY[
        CASE WHEN timeout IS NOT NULL THEN 'timeout' END,
        CASE WHEN starting_deadline IS NOT NULL THEN 'starting_deadline' END,
        CASE WHEN start_at IS NOT NULL THEN 'start_at' END, CASE WHEN end_at IS NOT NULL THEN 'end_at' END,
        CASE WHEN max_runs IS NOT NULL THEN 'max_runs' END, CASE WHEN run_at IS NOT NULL THEN 'run_at' END,
        CASE WHEN min_trigger_interval IS NOT NULL THEN 'min_trigger_interval' END,
        CASE WHEN description IS NOT NULL THEN 'description' END, CASE WHEN tags IS NOT NULL THEN 'tags' END], NULL);
BEGIN
    IF array_position(reset, NULL) IS NOT NULL OR NOT reset <@ resettable THEN
        RAISE EXCEPTION 'reset may name %, not %', array_to_string(resettable, ', '),
            (SELECT string_agg(coalesce('"' || r || '"', 'NULL'), ', ') FROM unnest(reset) AS r
             WHERE r IS NULL OR r <> ALL (resettable))
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Options not listed there are changed by passing a new value, for example '
                         'overlap => ''skip''.';
    END IF;
    IF reset && given THEN
        RAISE EXCEPTION 'an option cannot be both given and reset: %',
            (SELECT string_agg(r, ', ') FROM unnest(reset) AS r WHERE r = ANY (given))
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass a new value to change an option, or name it in reset to clear it.';
    END IF;
    PERFORM jobs_internal._check_changes_what_runs(job, caller, array_remove(ARRAY[
        CASE WHEN command IS NOT NULL THEN 'command' END, CASE WHEN database IS NOT NULL THEN 'database' END], NULL));
    IF job.kind = 'http' AND (command IS NOT NULL OR database IS NOT NULL) THEN
        RAISE EXCEPTION 'job "%" is an HTTP job: it has no command or database', job.job_name
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Change its request with jobs.alter_http, or redefine it with jobs.schedule.';
    END IF;
    IF job.kind = 'email' AND (command IS NOT NULL OR database IS NOT NULL) THEN
        RAISE EXCEPTION 'job "%" is an e-mail job: it has no command or database', job.job_name
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Change its message by redefining it with jobs.schedule_email.';
    END IF;
    job.schedule := coalesce(schedule, job.schedule);
    job.command := coalesce(command, job.command);
    job.database := coalesce(database, job.database);
    job.timezone := coalesce(timezone, job.timezone);
    job.enabled := coalesce(enabled, job.enabled);
    job.timeout := coalesce(timeout, job.timeout);
    job.max_retries := coalesce(max_retries, job.max_retries);
    job.retry_backoff := coalesce(retry_backoff, job.retry_backoff);
    job.retry_backoff_max := coalesce(retry_backoff_max, job.retry_backoff_max);
    job.overlap := coalesce(overlap, job.overlap);
    job.max_concurrent := coalesce(max_concurrent, job.max_concurrent);
    job.misfire := coalesce(misfire, job.misfire);
    job.starting_deadline := CASE WHEN 'starting_deadline' = ANY (reset) THEN NULL
                                  ELSE coalesce(starting_deadline, job.starting_deadline) END;
    job.start_at := CASE WHEN 'start_at' = ANY (reset) THEN NULL ELSE coalesce(start_at, job.start_at) END;
    job.end_at := CASE WHEN 'end_at' = ANY (reset) THEN NULL ELSE coalesce(end_at, job.end_at) END;
    job.max_runs := CASE WHEN 'max_runs' = ANY (reset) THEN NULL ELSE coalesce(max_runs, job.max_runs) END;
    job.run_at := CASE WHEN 'run_at' = ANY (reset) THEN NULL ELSE coalesce(run_at, job.run_at) END;
    job.min_trigger_interval := CASE WHEN 'min_trigger_interval' = ANY (reset) THEN NULL
                                     ELSE coalesce(min_trigger_interval, job.min_trigger_interval) END;
    IF 'timeout' = ANY (reset) THEN
        job.timeout := NULL;
    END IF;
    job.description := CASE WHEN 'description' = ANY (reset) THEN NULL ELSE coalesce(description, job.description) END;
    job.tags := CASE WHEN 'tags' = ANY (reset) THEN '{}' ELSE coalesce(tags, job.tags) END;
    PERFORM jobs_internal._check_metadata(job.description, job.tags);
    IF enabled THEN
        job.disabled_reason := NULL;  -- enabled by hand
        PERFORM jobs_internal._check_one_shot_enable(job);
    END IF;
    PERFORM jobs_internal._check_definition(job.job_name, job.schedule, job.command, job.database, job.timezone,
                                   pg_get_userbyid(job.owner));
    PERFORM jobs_internal._check_run_options(job.timeout, job.max_retries, job.retry_backoff, job.retry_backoff_max);
    PERFORM jobs_internal._check_run_policy(job.schedule, job.overlap, job.max_concurrent, job.misfire,
                                   job.starting_deadline, job.start_at, job.end_at, job.max_runs, job.run_at,
                                   job.min_trigger_interval);
    IF schedule IS NOT NULL THEN
        PERFORM jobs_internal._check_schedule_interval(job.schedule, job.timezone, caller);
    END IF;
    IF job.kind IN ('http', 'email') THEN
        PERFORM jobs_internal._check_http_timeout(job.timeout);
    END IF;
    UPDATE jobs.scheduled_job AS j
    SET schedule = job.schedule, command = job.command, database = job.database, timezone = job.timezone,
        enabled = job.enabled, timeout = job.timeout, max_retries = job.max_retries,
        retry_backoff = job.retry_backoff, retry_backoff_max = job.retry_backoff_max, overlap = job.overlap,
        max_concurrent = job.max_concurrent, misfire = job.misfire, starting_deadline = job.starting_deadline,
        start_at = job.start_at, end_at = job.end_at, max_runs = job.max_runs, run_at = job.run_at,
        min_trigger_interval = job.min_trigger_interval, disabled_reason = job.disabled_reason, updated_at = now(),
        description = job.description, tags = job.tags
    WHERE j.job_id = job.job_id;
    PERFORM jobs_internal._wake_scheduler(true, job.job_id);
END
$$;

DROP FUNCTION jobs.alter_http(text, text, text, jsonb, jsonb, interval, text, text[]);
DROP FUNCTION jobs.alter_http(bigint, text, text, jsonb, jsonb, interval, text, text[]);
DROP FUNCTION jobs.schedule_http(text, text, text, text, jsonb, jsonb, interval, text, boolean, integer, interval, interval,
                                 text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval,
                                 text, text[]);
DROP FUNCTION jobs_internal._schedule_http(name, text, text, text, text, jsonb, jsonb, interval, text, boolean, integer, interval,
                                  interval, text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz,
                                  interval, text, text[]);
DROP FUNCTION jobs_internal._alter_http(name, bigint, text, text, jsonb, jsonb, interval, text, text[]);

CREATE FUNCTION jobs_internal._schedule_http(caller name, job_name text, schedule text, url text, method text,
                                    headers jsonb, body jsonb, timeout interval, timezone text, enabled boolean,
                                    max_retries integer, retry_backoff interval, retry_backoff_max interval,
                                    overlap text, max_concurrent integer, misfire text, starting_deadline interval,
                                    start_at timestamptz, end_at timestamptz, max_runs integer,
                                    run_at timestamptz, min_trigger_interval interval, description text, tags text[],
                                    send text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    zone text := coalesce(timezone, current_setting('jobs.timezone'));
    verb text := jobs_internal._http_check(url, method, coalesce(headers, '{}'));
    result_id bigint;
BEGIN
    PERFORM jobs_internal._check_definition(job_name, schedule, verb || ' ' || url, current_database(), zone, caller);
    PERFORM jobs_internal._check_schedule_interval(schedule, zone, caller);
    PERFORM jobs_internal._check_payload_size(body, 'body');
    PERFORM jobs_internal._check_send(send, body);
    PERFORM jobs_internal._check_http_timeout(timeout);
    PERFORM jobs_internal._check_run_options(timeout, max_retries, retry_backoff, retry_backoff_max);
    PERFORM jobs_internal._check_run_policy(schedule, overlap, max_concurrent, misfire, starting_deadline, start_at, end_at,
                                   max_runs, run_at, min_trigger_interval);
    IF enabled IS NULL THEN
        RAISE EXCEPTION 'enabled must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass true or false, or leave it out (true).';
    END IF;
    PERFORM jobs_internal._check_metadata(description, tags);
    PERFORM jobs_internal._check_job_quota(caller, job_name);
    INSERT INTO jobs.scheduled_job AS j (job_name, owner, schedule, timezone, command, database, enabled, kind,
                                         http_method, http_url, http_headers, http_body, timeout, max_retries,
                                         retry_backoff, retry_backoff_max, overlap, max_concurrent, misfire,
                                         starting_deadline, start_at, end_at, max_runs, run_at,
                                         min_trigger_interval, description, tags, http_send)
    VALUES (job_name, jobs_internal._role_id(caller), schedule, zone, verb || ' ' || url, current_database(), enabled, 'http', verb, url,
            jobs_internal._mask_secret_headers(coalesce(headers, '{}')), body, timeout, max_retries, retry_backoff,
            retry_backoff_max, overlap, max_concurrent, misfire, starting_deadline, start_at, end_at, max_runs,
            run_at, min_trigger_interval, description, coalesce(tags, '{}'), send)
    ON CONFLICT ON CONSTRAINT scheduled_job_owner_job_name_key DO UPDATE
        SET schedule = excluded.schedule, timezone = excluded.timezone, command = excluded.command,
            database = excluded.database, enabled = excluded.enabled, kind = excluded.kind,
            http_method = excluded.http_method, http_url = excluded.http_url,
            http_headers = excluded.http_headers, http_body = excluded.http_body, timeout = excluded.timeout,
            max_retries = excluded.max_retries, retry_backoff = excluded.retry_backoff,
            retry_backoff_max = excluded.retry_backoff_max, overlap = excluded.overlap,
            max_concurrent = excluded.max_concurrent, misfire = excluded.misfire,
            starting_deadline = excluded.starting_deadline, start_at = excluded.start_at, end_at = excluded.end_at,
            max_runs = excluded.max_runs, run_at = excluded.run_at,
            min_trigger_interval = excluded.min_trigger_interval, disabled_reason = NULL, updated_at = now(),
            description = excluded.description, tags = excluded.tags, http_send = excluded.http_send,
            smtp_url = NULL, smtp_username = NULL, smtp_password = NULL, mail_from = NULL, mail_to = NULL,
            mail_subject = NULL, mail_body = NULL
    RETURNING j.job_id INTO result_id;
    INSERT INTO jobs_internal._http_secret AS s (job_id, headers) VALUES (result_id, coalesce(headers, '{}'))
    ON CONFLICT (job_id) DO UPDATE SET headers = excluded.headers;
    PERFORM jobs_internal._note_missing_secrets(jobs_internal._role_id(caller), headers);
    PERFORM jobs_internal._wake_scheduler(true, result_id);
    RETURN result_id;
END
$$;

CREATE FUNCTION jobs_internal._alter_http(caller name, job_id bigint, url text, method text, headers jsonb, body jsonb,
                                 timeout interval, description text, tags text[], send text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job jobs.scheduled_job := jobs_internal._job_for_caller(job_id, caller, true);
    new_headers jsonb;
    verb text;
BEGIN
    IF job.kind <> 'http' THEN
        RAISE EXCEPTION 'job "%" is not an HTTP job', job.job_name
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Change its command with jobs.alter, or redefine it with jobs.schedule_http.';
    END IF;
    PERFORM jobs_internal._check_changes_what_runs(job, caller, array_remove(ARRAY[
        CASE WHEN url IS NOT NULL THEN 'url' END, CASE WHEN method IS NOT NULL THEN 'method' END,
        CASE WHEN headers IS NOT NULL THEN 'headers' END, CASE WHEN body IS NOT NULL THEN 'body' END,
        CASE WHEN send IS NOT NULL THEN 'send' END], NULL));
    SELECT s.headers INTO new_headers FROM jobs_internal._http_secret AS s WHERE s.job_id = job.job_id;
    new_headers := coalesce(headers, new_headers, '{}');
    verb := jobs_internal._http_check(coalesce(url, job.http_url), coalesce(method, job.http_method), new_headers);
    PERFORM jobs_internal._check_payload_size(body, 'body');
    PERFORM jobs_internal._check_send(coalesce(send, job.http_send, 'context'), coalesce(body, job.http_body));
    PERFORM jobs_internal._check_http_timeout(coalesce(timeout, job.timeout));
    PERFORM jobs_internal._check_metadata(coalesce(description, job.description), coalesce(tags, job.tags));
    UPDATE jobs.scheduled_job AS j
    SET http_url = coalesce(_alter_http.url, job.http_url), http_method = verb,
        http_headers = jobs_internal._mask_secret_headers(new_headers), http_body = coalesce(_alter_http.body, job.http_body),
        timeout = coalesce(_alter_http.timeout, job.timeout),
        command = verb || ' ' || coalesce(_alter_http.url, job.http_url), updated_at = now(),
        description = coalesce(_alter_http.description, job.description), tags = coalesce(_alter_http.tags, job.tags),
        http_send = coalesce(_alter_http.send, job.http_send, 'context')
    WHERE j.job_id = job.job_id;
    UPDATE jobs_internal._http_secret AS s SET headers = new_headers WHERE s.job_id = job.job_id;
    PERFORM jobs_internal._note_missing_secrets(job.owner, new_headers);
    PERFORM jobs_internal._wake_scheduler(true, job.job_id);
END
$$;

COMMENT ON FUNCTION jobs_internal._schedule_http(name, text, text, text, text, jsonb, jsonb, interval, text, boolean, integer, interval, interval,
                                        text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval,
                                        text, text[], text) IS
'Internal: the privileged part of jobs.schedule_http; call jobs.schedule_http.';
COMMENT ON FUNCTION jobs_internal._alter_http(name, bigint, text, text, jsonb, jsonb, interval, text, text[], text) IS
'Internal: the privileged part of jobs.alter_http; call jobs.alter_http.';
REVOKE EXECUTE ON FUNCTION jobs_internal._schedule_http(name, text, text, text, text, jsonb, jsonb, interval, text, boolean, integer, interval, interval,
                                               text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval,
                                               text, text[], text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._alter_http(name, bigint, text, text, jsonb, jsonb, interval, text, text[], text) FROM PUBLIC;

CREATE FUNCTION jobs.schedule_http(
    job_name text,
    schedule text,
    url text,
    method text DEFAULT 'POST',
    headers jsonb DEFAULT '{}',
    body jsonb DEFAULT NULL,
    timeout interval DEFAULT '30 seconds',
    timezone text DEFAULT NULL,
    enabled boolean DEFAULT true,
    max_retries integer DEFAULT 0,
    retry_backoff interval DEFAULT '1 second',
    retry_backoff_max interval DEFAULT '30 seconds',
    overlap text DEFAULT 'skip',
    max_concurrent integer DEFAULT 1,
    misfire text DEFAULT 'skip',
    starting_deadline interval DEFAULT NULL,
    start_at timestamptz DEFAULT NULL,
    end_at timestamptz DEFAULT NULL,
    max_runs integer DEFAULT NULL,
    run_at timestamptz DEFAULT NULL,
    min_trigger_interval interval DEFAULT NULL,
    description text DEFAULT NULL,
    tags text[] DEFAULT NULL,
    send text DEFAULT 'context')
RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_privileged_call';
COMMENT ON FUNCTION jobs.schedule_http(text, text, text, text, jsonb, jsonb, interval, text, boolean, integer, interval, interval,
                                       text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval,
                                       text, text[], text) IS
'Creates an HTTP job owned by the calling role, or redefines the caller''s job of that name; returns its job_id. '
'Each run sends method to url with the headers and a JSON body holding the run''s context (jobName, jobId, '
'executionId, triggeredBy, triggeredByUser, scheduledFor, attempt, config = body, payload), and an '
'Idempotency-Key header equal to the execution_id. With send => ''body'' the body is instead the given body with '
'each {{path}} (a key of jobs.context(), such as {{payload.summary}}) replaced by its value, JSON-escaped. '
'A 2xx answer succeeds unless its JSON says "success": false.';

CREATE FUNCTION jobs.alter_http(
    job_id bigint,
    url text DEFAULT NULL,
    method text DEFAULT NULL,
    headers jsonb DEFAULT NULL,
    body jsonb DEFAULT NULL,
    timeout interval DEFAULT NULL,
    description text DEFAULT NULL,
    tags text[] DEFAULT NULL,
    send text DEFAULT NULL)
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_privileged_call';
COMMENT ON FUNCTION jobs.alter_http(bigint, text, text, jsonb, jsonb, interval, text, text[], text) IS
'Changes the given request properties of the HTTP job with this job_id (NULL: unchanged; headers replace all '
'headers; send: context or body, as in jobs.schedule_http; description and tags as in jobs.alter). Schedule, time zone and enabled change with jobs.alter. Members '
'of jobs_admin may change only the timeout, description and tags of another role''s job: url, method, headers and '
'body are its owner''s (or a superuser''s).';

CREATE FUNCTION jobs.alter_http(
    job_name text,
    url text DEFAULT NULL,
    method text DEFAULT NULL,
    headers jsonb DEFAULT NULL,
    body jsonb DEFAULT NULL,
    timeout interval DEFAULT NULL,
    description text DEFAULT NULL,
    tags text[] DEFAULT NULL,
    send text DEFAULT NULL)
RETURNS void
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    SELECT jobs.alter_http(jobs_internal._own_job_id(job_name), url, method, headers, body, timeout, description, tags, send);
END;
COMMENT ON FUNCTION jobs.alter_http(text, text, text, jsonb, jsonb, interval, text, text[], text) IS
'Changes the given request properties of the caller''s HTTP job of this name (NULL: unchanged; headers replace '
'all headers; send: context or body).';

-- mail: HTTP jobs that send their body, e-mail jobs (issue 13) --------------------------
--
-- send => 'body': an HTTP job's body is the request body, each {{path}}
-- filled from the run's context (jobs.context()) by the HTTP worker. E-mail
-- jobs are sent by the HTTP worker too (libcurl's SMTP), under the same host
-- policy (jobs.http_allowed_hosts); their login comes from the owner's
-- secrets ({{secret:NAME}}), put in by the worker right before sending.

CREATE FUNCTION jobs_internal._template_check(template text, what text)
RETURNS void
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'pg_jobs_template_check';
COMMENT ON FUNCTION jobs_internal._template_check(text, text) IS
'Internal: raises 22023 naming the placeholder, where it is (what, and the character) and the keys allowed, when a '
'{{placeholder}} is malformed or its path cannot exist in a run''s context.';

CREATE FUNCTION jobs_internal._check_send(send text, body jsonb)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF send IS NULL OR send NOT IN ('context', 'body') THEN
        RAISE EXCEPTION 'send must be ''context'' or ''body'', not %', coalesce(quote_literal(send), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'context sends the run''s context as the JSON body (the default); body sends the job''s '
                         'body with its {{placeholders}} filled.';
    END IF;
    IF send = 'body' THEN
        IF body IS NULL THEN
            RAISE EXCEPTION 'send => ''body'' needs a body'
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Pass the request body, for example body => ''{"text": "{{payload.summary}}"}''.';
        END IF;
        PERFORM jobs_internal._template_check(body::text, 'body');
    END IF;
END
$$;
COMMENT ON FUNCTION jobs_internal._check_send(text, jsonb) IS
'Internal: raises 22023 unless send is context or body, and, for body, the body is given and its placeholders are '
'well formed.';

CREATE FUNCTION jobs_internal._email_check(smtp_url text, mail_from text, mail_to text[], subject text, body text,
                                  username text, password text)
RETURNS text
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'pg_jobs_email_check';
COMMENT ON FUNCTION jobs_internal._email_check(text, text, text[], text, text, text, text) IS
'Internal: raises 22023 (naming which) if the mail server URL (smtp or smtps, with a host allowed by '
'jobs.http_allowed_hosts), an address, a placeholder of the subject or body, or the login is unusable; returns the '
'job''s command as views show it (mail to ... via smtp://...).';

CREATE FUNCTION jobs_internal._schedule_email(caller name, job_name text, schedule text, smtp_url text, mail_from text,
                                     mail_to text[], subject text, body text, username text, password text,
                                     timeout interval, timezone text, enabled boolean, max_retries integer,
                                     retry_backoff interval, retry_backoff_max interval, description text,
                                     tags text[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    zone text := coalesce(timezone, current_setting('jobs.timezone'));
    command text := jobs_internal._email_check(smtp_url, mail_from, mail_to, subject, body, username, password);
    result_id bigint;
BEGIN
    PERFORM jobs_internal._check_definition(job_name, schedule, command, current_database(), zone, caller);
    PERFORM jobs_internal._check_schedule_interval(schedule, zone, caller);
    PERFORM jobs_internal._check_payload_size(to_jsonb(body), 'body');
    PERFORM jobs_internal._check_http_timeout(timeout);
    PERFORM jobs_internal._check_run_options(timeout, max_retries, retry_backoff, retry_backoff_max);
    IF enabled IS NULL THEN
        RAISE EXCEPTION 'enabled must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass true or false, or leave it out (true).';
    END IF;
    PERFORM jobs_internal._check_metadata(description, tags);
    PERFORM jobs_internal._check_job_quota(caller, job_name);
    INSERT INTO jobs.scheduled_job AS j (job_name, owner, schedule, timezone, command, database, enabled, kind,
                                         timeout, max_retries, retry_backoff, retry_backoff_max, description, tags,
                                         smtp_url, smtp_username, smtp_password, mail_from, mail_to, mail_subject,
                                         mail_body)
    VALUES (job_name, jobs_internal._role_id(caller), schedule, zone, command, current_database(), enabled, 'email', timeout,
            max_retries, retry_backoff, retry_backoff_max, description, coalesce(tags, '{}'), smtp_url, username,
            password, mail_from, mail_to, subject, body)
    ON CONFLICT ON CONSTRAINT scheduled_job_owner_job_name_key DO UPDATE
        SET schedule = excluded.schedule, timezone = excluded.timezone, command = excluded.command,
            database = excluded.database, enabled = excluded.enabled, kind = excluded.kind,
            http_method = NULL, http_url = NULL, http_headers = NULL, http_body = NULL, http_send = NULL,
            timeout = excluded.timeout, max_retries = excluded.max_retries, retry_backoff = excluded.retry_backoff,
            retry_backoff_max = excluded.retry_backoff_max, overlap = 'skip', max_concurrent = 1, misfire = 'skip',
            starting_deadline = NULL, start_at = NULL, end_at = NULL, max_runs = NULL, run_at = NULL,
            min_trigger_interval = NULL, disabled_reason = NULL, updated_at = now(),
            description = excluded.description, tags = excluded.tags, smtp_url = excluded.smtp_url,
            smtp_username = excluded.smtp_username, smtp_password = excluded.smtp_password,
            mail_from = excluded.mail_from, mail_to = excluded.mail_to, mail_subject = excluded.mail_subject,
            mail_body = excluded.mail_body
    RETURNING j.job_id INTO result_id;
    DELETE FROM jobs_internal._http_secret AS s WHERE s.job_id = result_id;
    PERFORM jobs_internal._note_missing_secrets(jobs_internal._role_id(caller),
                                       jsonb_strip_nulls(jsonb_build_object('username', username, 'password', password)));
    PERFORM jobs_internal._wake_scheduler(true, result_id);
    RETURN result_id;
END
$$;
COMMENT ON FUNCTION jobs_internal._schedule_email(name, text, text, text, text, text[], text, text, text, text, interval, text,
                                         boolean, integer, interval, interval, text, text[]) IS
'Internal: the privileged part of jobs.schedule_email; call jobs.schedule_email.';
REVOKE EXECUTE ON FUNCTION jobs_internal._template_check(text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._check_send(text, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._email_check(text, text, text[], text, text, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._schedule_email(name, text, text, text, text, text[], text, text, text, text, interval,
                                                text, boolean, integer, interval, interval, text, text[]) FROM PUBLIC;

CREATE FUNCTION jobs.schedule_email(
    job_name text,
    schedule text,
    smtp_url text,
    mail_from text,
    mail_to text[],
    subject text,
    body text,
    username text DEFAULT NULL,
    password text DEFAULT NULL,
    timeout interval DEFAULT '30 seconds',
    timezone text DEFAULT NULL,
    enabled boolean DEFAULT true,
    max_retries integer DEFAULT 0,
    retry_backoff interval DEFAULT '1 second',
    retry_backoff_max interval DEFAULT '30 seconds',
    description text DEFAULT NULL,
    tags text[] DEFAULT NULL)
RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_privileged_call';
COMMENT ON FUNCTION jobs.schedule_email(text, text, text, text, text[], text, text, text, text, interval, text, boolean,
                                        integer, interval, interval, text, text[]) IS
'Creates an e-mail job owned by the calling role, or redefines the caller''s job of that name; returns its job_id. '
'Each run sends a plain-text e-mail from mail_from to mail_to through smtp_url (smtp://host[:port], upgraded with '
'STARTTLS when the server offers it, or smtps://host[:port]); {{path}} placeholders in subject and body are filled '
'from jobs.context() (such as {{payload.summary}}). username and password (always a {{secret:NAME}} reference) log '
'in; a login is only sent over TLS. Runs fail on an SMTP refusal; max_retries retries 4xx (transient) refusals and '
'lost connections, never 5xx. The host must be allowed by jobs.http_allowed_hosts.';

-- mail: jobs.explain describes e-mail jobs
CREATE OR REPLACE FUNCTION jobs.explain(job_id bigint)
RETURNS TABLE (reason text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job jobs.scheduled_job;
    owner_name name;
    t timestamptz := clock_timestamp();
    next_times timestamptz[];
    described text;
    running record;
    run record;
    health record;
    can_login boolean;
    is_super boolean;
    so_far bigint;
BEGIN
    -- Row level security decides: another role's job is reported as a missing one.
    SELECT * INTO job FROM jobs.scheduled_job AS j WHERE j.job_id = explain.job_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job with ID % does not exist', explain.job_id
            USING ERRCODE = 'undefined_object', HINT = 'List the jobs with SELECT job_id, job_name FROM jobs.job_status.';
    END IF;
    owner_name := pg_get_userbyid(job.owner);
    reason := format('job "%s" (job_id %s) of role %s: %s', job.job_name, job.job_id, owner_name,
                     CASE WHEN job.kind = 'http' THEN format('HTTP job, %s', job.command)
                          WHEN job.kind = 'email' THEN format('e-mail job, %s', job.command)
                          WHEN job.kind = 'workflow'
                              THEN format('workflow of %s step(s): %s', jsonb_array_length(job.command::jsonb),
                                          (SELECT string_agg(s ->> 'step', ', ')
                                           FROM jsonb_array_elements(job.command::jsonb) AS s))
                          ELSE format('SQL job in database "%s"', job.database) END);
    RETURN NEXT;

    -- Enabled, or why not.
    IF job.enabled AND job.schedule IS NULL AND job.run_at IS NULL THEN
        reason := 'enabled: it has no schedule to fire, it runs when triggered';
    ELSIF job.enabled THEN
        reason := 'enabled: its schedule fires';
    ELSIF job.disabled_reason IS NOT NULL THEN
        reason := format('disabled: %s; jobs.enable(%s) enables it again (it can still be triggered)',
                         job.disabled_reason, job.job_id);
    ELSE
        reason := format('disabled by hand: jobs.enable(%s) enables it again (it can still be triggered)', job.job_id);
    END IF;
    RETURN NEXT;

    -- The schedule in words, and the next fire times within its window.
    IF job.schedule IS NULL AND job.run_at IS NULL THEN
        reason := 'schedule: none; it runs only when triggered (jobs.trigger)';
        RETURN NEXT;
    ELSIF job.schedule IS NULL THEN
        reason := format('schedule: once, at %s', job.run_at);
        RETURN NEXT;
        IF job.run_at > t THEN
            next_times := ARRAY[job.run_at];
        END IF;
    ELSE
        BEGIN
            described := jobs.describe(job.schedule, job.timezone);
        EXCEPTION WHEN OTHERS THEN
            described := format('"%s" cannot be read: %s', job.schedule, SQLERRM);
        END;
        reason := format('schedule: %s (%s, time zone %s)', described, job.schedule, job.timezone);
        RETURN NEXT;
        IF described NOT LIKE '%cannot be read%' AND job.schedule NOT ILIKE '@reboot' THEN
            BEGIN
                SELECT array_agg(r ORDER BY r) INTO next_times
                FROM jobs.next_runs(job.schedule, 3,
                                    CASE WHEN job.start_at > t THEN job.start_at - interval '1 microsecond' ELSE t END,
                                    job.timezone) AS r
                WHERE job.end_at IS NULL OR r <= job.end_at;
            EXCEPTION WHEN OTHERS THEN
                next_times := NULL;
            END;
        END IF;
    END IF;
    IF job.start_at > t THEN
        reason := format('window: its schedule starts firing at %s (start_at)', job.start_at);
        RETURN NEXT;
    END IF;
    IF job.end_at IS NOT NULL THEN
        reason := CASE WHEN job.end_at < t THEN format('window: it ended at %s (end_at): no more fire times', job.end_at)
                       ELSE format('window: it fires until %s (end_at)', job.end_at) END;
        RETURN NEXT;
    END IF;
    IF job.schedule IS NOT NULL OR job.run_at IS NOT NULL THEN
        IF cardinality(next_times) > 0 THEN
            reason := format('%s: %s', CASE WHEN job.enabled THEN 'next fire times' ELSE 'next fire times if enabled' END,
                             array_to_string(next_times, ', '));
        ELSIF job.schedule ILIKE '@reboot' THEN
            reason := 'next fire time: when the scheduler starts (the server starts)';
        ELSE
            reason := 'next fire times: none left within its window';
        END IF;
        RETURN NEXT;
    END IF;

    -- Runs in progress, and what the overlap policy does with the next fire time.
    SELECT count(*) AS n, min(r.execution_id) AS first_id, min(r.started_at) AS since INTO running
    FROM jobs.job_execution AS r WHERE r.job_id = job.job_id AND r.status = 'running';
    IF running.n = 0 THEN
        reason := format('overlap %s: no run in progress, nothing blocks the next one', job.overlap);
    ELSIF job.overlap = 'skip' THEN
        reason := format('overlap skip: run %s, running since %s, blocks it: a fire time due meanwhile is skipped',
                         running.first_id, running.since);
    ELSIF job.overlap = 'queue' THEN
        reason := format('overlap queue: run %s, running since %s, makes the next one wait (one waits at most)',
                         running.first_id, running.since);
    ELSIF job.overlap = 'allow' THEN
        reason := format('overlap allow: %s of at most %s run(s) in progress%s', running.n, job.max_concurrent,
                         CASE WHEN running.n >= job.max_concurrent THEN ': a fire time due meanwhile is skipped'
                              ELSE '' END);
    ELSE
        reason := format('overlap replace: run %s, running since %s, is cancelled when the next one is due',
                         running.first_id, running.since);
    END IF;
    RETURN NEXT;

    -- max_runs left (counted as the launcher does: scheduled runs since the job was last changed).
    IF job.max_runs IS NOT NULL THEN
        SELECT count(*) INTO so_far FROM jobs.job_execution AS r
        WHERE r.job_id = job.job_id AND r.triggered_by = 'schedule' AND r.status <> 'skipped'
          AND r.queued_at >= job.updated_at;
        reason := format('max_runs %s: %s scheduled run(s) since it was last changed, %s left', job.max_runs, so_far,
                         greatest(job.max_runs - so_far, 0));
        RETURN NEXT;
    END IF;

    -- The owner's right to run it.
    SELECT r.rolcanlogin, r.rolsuper INTO can_login, is_super FROM pg_catalog.pg_roles AS r WHERE r.oid = job.owner;
    IF job.kind IN ('http', 'email') THEN
        reason := format('owner %s: %s runs go through the HTTP worker; the host must be allowed by '
                         'jobs.http_allowed_hosts', owner_name, CASE job.kind WHEN 'http' THEN 'HTTP' ELSE 'e-mail' END);
    ELSIF NOT can_login AND NOT is_super THEN
        reason := format('owner %s cannot run it: the role has no LOGIN (its runs fail with 28000); '
                         'ALTER ROLE %I LOGIN', owner_name, owner_name);
    ELSIF NOT has_database_privilege(job.owner, job.database, 'CONNECT') THEN
        reason := format('owner %s cannot run it: no CONNECT on database "%s" (its runs fail with 42501)',
                         owner_name, job.database);
    ELSE
        reason := format('owner %s may run it: %s CONNECT on database "%s"', owner_name,
                         CASE WHEN is_super THEN 'superuser,' ELSE 'LOGIN and' END, job.database);
    END IF;
    RETURN NEXT;

    -- Queued runs and retries pending.
    FOR run IN
        SELECT q.execution_id, q.triggered_by, q.attempt, q.queued_at, q.not_before, q.retry_of
        FROM jobs.job_execution AS q
        WHERE q.job_id = job.job_id AND q.status = 'queued' ORDER BY q.execution_id LIMIT 5
    LOOP
        reason := CASE WHEN run.triggered_by = 'retry' AND run.not_before > t
                       THEN format('retry pending: run %s (attempt %s, retrying run %s) waits until %s', run.execution_id,
                                   run.attempt, run.retry_of, run.not_before)
                       WHEN run.triggered_by = 'retry'
                       THEN format('retry pending: run %s (attempt %s, retrying run %s) is queued for a worker',
                                   run.execution_id, run.attempt, run.retry_of)
                       ELSE format('queued: run %s (%s), queued at %s, waits for a worker', run.execution_id,
                                   run.triggered_by, run.queued_at) END;
        RETURN NEXT;
    END LOOP;
    IF NOT FOUND THEN
        reason := format('retries: none pending (max_retries %s)', job.max_retries);
        RETURN NEXT;
    END IF;

    -- The last run's outcome and error.
    SELECT e.execution_id, e.status, e.attempt, e.triggered_by, e.finished_at, e.duration, e.error, e.sqlstate,
           e.http_status
    INTO run
    FROM jobs.job_execution AS e
    WHERE e.job_id = job.job_id AND e.status NOT IN ('queued', 'running')
    ORDER BY e.execution_id DESC LIMIT 1;
    IF NOT FOUND THEN
        reason := 'last run: none yet';
    ELSE
        reason := format('last run: %s (attempt %s, %s) %s at %s%s%s', run.execution_id, run.attempt, run.triggered_by,
                         run.status, run.finished_at,
                         CASE WHEN run.duration IS NOT NULL THEN format(' after %s', run.duration) ELSE '' END,
                         CASE WHEN run.error IS NOT NULL
                              THEN format(': %s%s', run.error,
                                          CASE WHEN run.sqlstate IS NOT NULL THEN format(' (SQLSTATE %s)', run.sqlstate)
                                               WHEN run.http_status IS NOT NULL THEN format(' (HTTP %s)', run.http_status)
                                               ELSE '' END)
                              ELSE '' END);
    END IF;
    RETURN NEXT;

    -- alerts: the reader's alerts firing for this job (row level security of jobs.alert_status).
    FOR run IN
        SELECT s.alert_name, s.firing_since, s.last_delivered_at, s.deliveries, s.suppressed
        FROM jobs.alert_status AS s WHERE s.job_id = job.job_id AND s.firing ORDER BY s.alert_name
    LOOP
        reason := format('alert firing: "%s" since %s, %s deliver%s (last at %s), %s repeat(s) held back',
                         run.alert_name, run.firing_since, run.deliveries,
                         CASE WHEN run.deliveries = 1 THEN 'y' ELSE 'ies' END,
                         coalesce(run.last_delivered_at::text, 'none yet'), run.suppressed);
        RETURN NEXT;
    END LOOP;
    IF NOT FOUND THEN
        reason := 'alerts firing: none';
        RETURN NEXT;
    END IF;

    -- The scheduler itself.
    SELECT * INTO health FROM jobs.health();
    reason := format('scheduler: %s%s', health.status,
                     CASE WHEN cardinality(health.reasons) > 0 THEN ': ' || array_to_string(health.reasons, '; ')
                          ELSE '' END);
    RETURN NEXT;
END
$$;
-- sched: several cron expressions in one schedule, separated by ";" (issue 15):
-- the comments say so.
-------------------------------------------------------------------------------
COMMENT ON FUNCTION jobs.next_runs(text, integer, timestamptz, text) IS
'The next "count" (0 to 1000000) times the cron schedule fires strictly after "after", in ascending order, '
'evaluated in the wall-clock time of "timezone" (default: the jobs.timezone setting). '
'@reboot schedules return no rows. Several cron expressions separated by ";" give the times of each, a shared '
'time once.';
COMMENT ON FUNCTION jobs.describe(text, text) IS
'The cron schedule in plain English, for example "at 02:30 on the last Friday of every month, '
'Europe/Berlin time" (several expressions separated by ";": each one, joined by ";"); raises an error '
'explaining what is wrong with an invalid schedule.';
COMMENT ON COLUMN jobs.scheduled_job.schedule IS
'Cron expression, macro or interval, or several cron expressions separated by ";" (the job fires at the times '
'of each); NULL for an on-demand job that runs only when triggered.';

-------------------------------------------------------------------------------
-- events: LISTEN/NOTIFY on channel jobs_events (issue 13). Payloads carry
-- ids only (anyone may LISTEN): run_started and run_finished come from the
-- run lifecycle in C (jobs_internal._finish_runs and the claims), job_changed from
-- the triggers below, alert from the alerts through jobs_internal._notify_event.
-- jobs.notify_events says which are sent; all are sent at commit only.
-------------------------------------------------------------------------------
CREATE FUNCTION jobs_internal._notify_event(payload jsonb)
RETURNS boolean
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_notify_event';
COMMENT ON FUNCTION jobs_internal._notify_event(jsonb) IS
'Internal: sends payload (a JSON object with an "event" string; ids only, never names or texts: any role may '
'LISTEN) on channel jobs_events when the current transaction commits, if jobs.notify_events lets the event '
'through (run_started and job_changed: all; run_finished, alert and others: finished or all). Returns whether '
'it was queued. Runs with the caller''s rights; EXECUTE is revoked from PUBLIC.';
REVOKE EXECUTE ON FUNCTION jobs_internal._notify_event(jsonb) FROM PUBLIC;

CREATE FUNCTION jobs_internal._pending_events()
RETURNS text[]
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_pending_events';
COMMENT ON FUNCTION jobs_internal._pending_events() IS
'Internal, for tests: the payloads the current transaction will send on channel jobs_events when it commits, '
'in order. EXECUTE is revoked from PUBLIC.';
REVOKE EXECUTE ON FUNCTION jobs_internal._pending_events() FROM PUBLIC;

CREATE FUNCTION jobs_internal._notify_jobs_changed()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM jobs_internal._notify_event(jsonb_build_object('event', 'job_changed', 'job_id', n.job_id,
                                                      'change', 'created'))
        FROM new_jobs AS n ORDER BY n.job_id;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM jobs_internal._notify_event(jsonb_build_object('event', 'job_changed', 'job_id', o.job_id,
                                                      'change', 'dropped'))
        FROM old_jobs AS o ORDER BY o.job_id;
    ELSE
        PERFORM jobs_internal._notify_event(jsonb_build_object('event', 'job_changed', 'job_id', n.job_id,
            'change', CASE WHEN n.enabled AND NOT o.enabled THEN 'enabled'
                           WHEN o.enabled AND NOT n.enabled THEN 'disabled'
                           ELSE 'altered' END))
        FROM old_jobs AS o JOIN new_jobs AS n ON n.job_id = o.job_id
        WHERE to_jsonb(o) IS DISTINCT FROM to_jsonb(n)
        ORDER BY n.job_id;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION jobs_internal._notify_jobs_changed() IS
'Internal: statement trigger that sends job_changed events (created, altered, enabled, disabled, dropped; ids '
'only) on channel jobs_events, when jobs.notify_events is all.';
REVOKE EXECUTE ON FUNCTION jobs_internal._notify_jobs_changed() FROM PUBLIC;

-- Fired only when jobs.notify_events is all: otherwise they cost a
-- comparison per statement (the transition tables are the audit's anyway).
CREATE TRIGGER notify_jobs_created
    AFTER INSERT ON jobs.scheduled_job REFERENCING NEW TABLE AS new_jobs
    FOR EACH STATEMENT WHEN (current_setting('jobs.notify_events', true) = 'all')
    EXECUTE FUNCTION jobs_internal._notify_jobs_changed();
CREATE TRIGGER notify_jobs_changed
    AFTER UPDATE ON jobs.scheduled_job REFERENCING OLD TABLE AS old_jobs NEW TABLE AS new_jobs
    FOR EACH STATEMENT WHEN (current_setting('jobs.notify_events', true) = 'all')
    EXECUTE FUNCTION jobs_internal._notify_jobs_changed();
CREATE TRIGGER notify_jobs_removed
    AFTER DELETE ON jobs.scheduled_job REFERENCING OLD TABLE AS old_jobs
    FOR EACH STATEMENT WHEN (current_setting('jobs.notify_events', true) = 'all')
    EXECUTE FUNCTION jobs_internal._notify_jobs_changed();
COMMENT ON TRIGGER notify_jobs_created ON jobs.scheduled_job IS
'Sends job_changed (created) on channel jobs_events when jobs.notify_events is all.';
COMMENT ON TRIGGER notify_jobs_changed ON jobs.scheduled_job IS
'Sends job_changed (altered, enabled, disabled) on channel jobs_events when jobs.notify_events is all.';
COMMENT ON TRIGGER notify_jobs_removed ON jobs.scheduled_job IS
'Sends job_changed (dropped) on channel jobs_events when jobs.notify_events is all.';

-------------------------------------------------------------------------------
-- alerts: jobs.alert, jobs.drop_alert, jobs.alert_status (issue 13, "Alerts")
-------------------------------------------------------------------------------
--
-- An alert watches jobs for events (failed, recovered, long_running, missed)
-- and triggers its handler, a job of the alert's owner, with the alert as
-- the run's payload. Nothing happens where runs end: the launcher's alert
-- pass (jobs_internal._alert_pass, src/pg/launcher/alert_pass.cpp) looks at the runs
-- that ended since its last pass and at the runs still running, every
-- jobs.alert_window while an alert exists. What one pass finds for one
-- alert is one delivery (a batch when it lists several jobs): a storm of
-- failures reaches the handler as a few payloads, never one per job.

CREATE TABLE jobs.alert_definition (
    alert_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_name         text NOT NULL,
    owner              regrole NOT NULL,
    handler_job_id     bigint NOT NULL,
    jobs               text[],
    events             text[] NOT NULL,
    long_running_after interval,
    repeat_after       interval NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (owner, alert_name)
);
COMMENT ON SEQUENCE jobs.alert_definition_alert_id_seq IS 'Numbers the alerts (alert_id).';
COMMENT ON TABLE jobs.alert_definition IS
'One row per alert, managed with jobs.alert and jobs.drop_alert. Roles other than superusers see only their own.';
COMMENT ON COLUMN jobs.alert_definition.owner IS 'Role that defined the alert (by OID); its handler runs as this role.';
COMMENT ON COLUMN jobs.alert_definition.handler_job_id IS 'The owner''s job triggered with each delivery as payload.';
COMMENT ON COLUMN jobs.alert_definition.jobs IS
'Names of the watched jobs; NULL: every job of the owner (every job for superusers and members of jobs_admin).';
COMMENT ON COLUMN jobs.alert_definition.events IS 'Watched events: failed, recovered, long_running, missed.';
COMMENT ON COLUMN jobs.alert_definition.long_running_after IS 'long_running: a run still running after this.';
COMMENT ON COLUMN jobs.alert_definition.repeat_after IS
'A job that keeps failing (or missing its times) is reported again at most once per this interval.';

-- Per alert and job: whether it is firing, and what was delivered.
CREATE TABLE jobs_internal._alert_state (
    alert_id          bigint NOT NULL REFERENCES jobs.alert_definition ON DELETE CASCADE,
    job_id            bigint NOT NULL,
    alert_owner       regrole NOT NULL,
    job_name          text NOT NULL,
    firing            boolean NOT NULL DEFAULT false,
    firing_since      timestamptz,
    last_event        text,
    last_event_at     timestamptz,
    last_execution_id bigint,
    last_failed_delivered_at timestamptz,
    last_missed_delivered_at timestamptz,
    last_delivered_at timestamptz,
    deliveries        integer NOT NULL DEFAULT 0,
    suppressed        integer NOT NULL DEFAULT 0,
    handler_execution_ids bigint[] NOT NULL DEFAULT '{}',
    last_error        text,
    PRIMARY KEY (alert_id, job_id)
);
COMMENT ON TABLE jobs_internal._alert_state IS
'Internal: per alert and job, whether it fires and what was delivered; read it through jobs.alert_status.';

-- The runs each alert has looked at (and the event it saw), so a run is
-- reported once; kept for an hour (a long_running one while it runs).
CREATE TABLE jobs_internal._alert_event (
    alert_id     bigint NOT NULL REFERENCES jobs.alert_definition ON DELETE CASCADE,
    execution_id bigint NOT NULL,
    event        text NOT NULL,
    -- missed: the run's skipped_count (a skipped row that counts another
    -- skipped time is a new event); 0 otherwise
    mark         integer NOT NULL DEFAULT 0,
    noted_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (alert_id, execution_id, event, mark)
);
COMMENT ON TABLE jobs_internal._alert_event IS 'Internal: the runs each alert has already looked at.';

-- Events found and not yet delivered: an alert's batch collects for
-- jobs.alert_window from its first event, then goes out as one payload.
CREATE TABLE jobs_internal._alert_pending (
    alert_id  bigint NOT NULL REFERENCES jobs.alert_definition ON DELETE CASCADE,
    seq       bigint GENERATED ALWAYS AS IDENTITY,
    job_id    bigint NOT NULL,
    item      jsonb NOT NULL,
    noted_at  timestamptz NOT NULL,
    PRIMARY KEY (alert_id, seq)
);
COMMENT ON TABLE jobs_internal._alert_pending IS 'Internal: alert events waiting for their batch to be delivered.';
COMMENT ON SEQUENCE jobs_internal._alert_pending_seq_seq IS 'Internal: orders the events of a batch.';

-- Where the last pass stopped looking (one row).
CREATE TABLE jobs_internal._alert_pass_mark (
    one       boolean PRIMARY KEY DEFAULT true CHECK (one),
    passed_at timestamptz NOT NULL
);
COMMENT ON TABLE jobs_internal._alert_pass_mark IS 'Internal: when the last alert pass looked at the ended runs.';

SELECT pg_catalog.pg_extension_config_dump('jobs.alert_definition', '');
SELECT pg_catalog.pg_extension_config_dump('jobs_internal._alert_state', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('jobs.alert_definition', 'alert_id'), '');

ALTER TABLE jobs.alert_definition ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs_internal._alert_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_alerts ON jobs.alert_definition FOR SELECT
    USING (owner = (SELECT r.oid FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user));
CREATE POLICY own_alert_state ON jobs_internal._alert_state FOR SELECT
    USING (alert_owner = (SELECT r.oid FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user));
REVOKE ALL ON jobs.alert_definition, jobs_internal._alert_state, jobs_internal._alert_event, jobs_internal._alert_pending, jobs_internal._alert_pass_mark
    FROM PUBLIC;
GRANT SELECT ON jobs.alert_definition, jobs_internal._alert_state TO PUBLIC;

-- Asks the launcher for an alert pass when the transaction commits (a new or
-- changed alert starts watching at once).
CREATE FUNCTION jobs_internal._request_alert_pass()
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_request_alert_pass';
COMMENT ON FUNCTION jobs_internal._request_alert_pass() IS
'Internal: when the current transaction commits, asks the launcher for an alert pass.';
REVOKE EXECUTE ON FUNCTION jobs_internal._request_alert_pass() FROM PUBLIC;

-- The privileged part of jobs.alert: the caller's alert of this name,
-- created or replaced. Checks everything before writing.
CREATE FUNCTION jobs_internal._alert(caller name, alert_name text, handler text, jobs text[], events text[],
                            long_running_after interval, repeat_after interval)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    caller_id regrole := jobs_internal._role_id(caller);
    sees_all boolean := coalesce(jobs_internal._administers_jobs(caller), false);
    handler_id bigint;
    unknown text;
    result_id bigint;
BEGIN
    IF alert_name IS NULL OR btrim(alert_name) = '' OR length(alert_name) > 200 THEN
        RAISE EXCEPTION 'alert_name must be a non-empty name of at most 200 characters'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF events IS NULL OR cardinality(events) = 0 THEN
        RAISE EXCEPTION 'events must list at least one event'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Events are failed, recovered, long_running and missed.';
    END IF;
    SELECT e INTO unknown FROM unnest(events) AS e
    WHERE e IS NULL OR e NOT IN ('failed', 'recovered', 'long_running', 'missed') LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'unknown alert event "%"', coalesce(unknown, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Events are failed, recovered, long_running and missed.';
    END IF;
    IF 'long_running' = ANY (events) AND long_running_after IS NULL THEN
        RAISE EXCEPTION 'event long_running needs long_running_after'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass long_running_after => ''10 minutes'': a run still running after it is reported.';
    END IF;
    IF long_running_after IS NOT NULL AND NOT 'long_running' = ANY (events) THEN
        RAISE EXCEPTION 'long_running_after is given but events do not list long_running'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Add long_running to events, or leave long_running_after out.';
    END IF;
    IF long_running_after IS NOT NULL THEN
        PERFORM jobs_internal._check_interval_option('long_running_after', long_running_after);
    END IF;
    IF repeat_after IS NULL THEN
        RAISE EXCEPTION 'repeat_after must not be NULL'
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass an interval such as ''1 hour''.';
    END IF;
    PERFORM jobs_internal._check_interval_option('repeat_after', repeat_after);
    SELECT j.job_id INTO handler_id FROM jobs.scheduled_job AS j
    WHERE j.owner = caller_id AND j.job_name = handler;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'handler job "%" does not exist', coalesce(handler, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The handler is one of your own jobs (jobs.schedule, jobs.schedule_http with schedule => '
                         'NULL): it is triggered with the alert as its payload.';
    END IF;
    IF jobs IS NOT NULL THEN
        SELECT n INTO unknown FROM unnest(jobs) AS n
        WHERE n IS NULL OR NOT EXISTS (SELECT 1 FROM jobs.scheduled_job AS j
                                       WHERE j.job_name = n AND (sees_all OR j.owner = caller_id))
        LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'job "%" does not exist', coalesce(unknown, 'NULL')
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'jobs lists names of your jobs (NULL: all of them); see jobs.job_status.';
        END IF;
    END IF;
    -- It watches runs that end from now on (clock_timestamp: not from the start of this transaction).
    INSERT INTO jobs.alert_definition AS d (alert_name, owner, handler_job_id, jobs, events, long_running_after,
                                            repeat_after, created_at, updated_at)
    VALUES (alert_name, caller_id, handler_id, jobs, events, long_running_after, repeat_after, clock_timestamp(),
            clock_timestamp())
    ON CONFLICT ON CONSTRAINT alert_definition_owner_alert_name_key DO UPDATE
        SET handler_job_id = EXCLUDED.handler_job_id, jobs = EXCLUDED.jobs, events = EXCLUDED.events,
            long_running_after = EXCLUDED.long_running_after, repeat_after = EXCLUDED.repeat_after,
            updated_at = clock_timestamp()
    RETURNING d.alert_id INTO result_id;
    PERFORM jobs_internal._request_alert_pass();
    RETURN result_id;
END
$$;
COMMENT ON FUNCTION jobs_internal._alert(name, text, text, text[], text[], interval, interval) IS
'Internal: the privileged part of jobs.alert; call jobs.alert.';
REVOKE EXECUTE ON FUNCTION jobs_internal._alert(name, text, text, text[], text[], interval, interval) FROM PUBLIC;

CREATE FUNCTION jobs_internal._drop_alert(caller name, alert_name text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM jobs.alert_definition AS d WHERE d.owner = jobs_internal._role_id(caller) AND d.alert_name = _drop_alert.alert_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'alert "%" does not exist', alert_name
            USING ERRCODE = 'undefined_object', HINT = 'List your alerts with SELECT * FROM jobs.alert_definition.';
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION jobs_internal._drop_alert(name, text) IS 'Internal: the privileged part of jobs.drop_alert.';
REVOKE EXECUTE ON FUNCTION jobs_internal._drop_alert(name, text) FROM PUBLIC;

CREATE FUNCTION jobs.alert(alert_name text, handler text, jobs text[] DEFAULT NULL,
                           events text[] DEFAULT '{failed,recovered}', long_running_after interval DEFAULT NULL,
                           repeat_after interval DEFAULT '1 hour')
RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_privileged_call';
COMMENT ON FUNCTION jobs.alert(text, text, text[], text[], interval, interval) IS
'Creates or replaces the caller''s alert of this name and returns its alert_id: when a watched job (jobs: names '
'of the caller''s jobs; NULL: all of them, every job for jobs_admin) fails (no retry left), recovers, runs longer '
'than long_running_after or misses a scheduled time, the handler (a job of the caller''s) is triggered with the '
'alert as its payload. A job that keeps failing is reported again at most once per repeat_after; what one alert '
'finds within jobs.alert_window (default 10 s) is delivered as one payload.';

CREATE FUNCTION jobs.drop_alert(alert_name text)
RETURNS boolean
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_privileged_call';
COMMENT ON FUNCTION jobs.drop_alert(text) IS 'Removes the caller''s alert of this name (42704 if none); returns true.';

-- The payload of one event: the job (as it is, or as the run recorded it
-- once it is gone) and the run.
CREATE FUNCTION jobs_internal._alert_item(event text, run jobs.job_execution, firing_since timestamptz,
                                 long_running_after interval)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    job jobs.scheduled_job;
    summary text;
    job_json jsonb;
BEGIN
    SELECT * INTO job FROM jobs.scheduled_job AS j WHERE j.job_id = run.job_id;
    IF FOUND THEN
        job_json := jsonb_build_object('job_id', job.job_id, 'job_name', job.job_name,
                                       'owner', pg_get_userbyid(job.owner), 'schedule', job.schedule,
                                       'kind', job.kind, 'enabled', job.enabled, 'description', job.description,
                                       'tags', to_jsonb(job.tags));
    ELSE
        job_json := jsonb_build_object('job_id', run.job_id, 'job_name', run.job_name,
                                       'owner', coalesce(run.owner_name, pg_get_userbyid(run.owner)),
                                       'schedule', NULL, 'kind', run.kind, 'removed', true);
    END IF;
    summary := CASE event
        WHEN 'failed' THEN
            format('job "%s" %s after %s attempt%s%s', run.job_name,
                   CASE run.status WHEN 'timed_out' THEN 'timed out' ELSE run.status END,
                   run.attempt, CASE WHEN run.attempt = 1 THEN '' ELSE 's' END,
                   CASE WHEN run.error IS NOT NULL THEN ': ' || run.error ELSE '' END)
        WHEN 'recovered' THEN
            format('job "%s" recovered: run %s succeeded%s', run.job_name, run.execution_id,
                   CASE WHEN firing_since IS NOT NULL THEN format(' (failing since %s)', firing_since) ELSE '' END)
        WHEN 'long_running' THEN
            format('job "%s" is still running after %s (run %s, started at %s; long_running_after %s)',
                   run.job_name, date_trunc('second', clock_timestamp() - run.started_at), run.execution_id,
                   run.started_at, long_running_after)
        WHEN 'missed' THEN
            format('job "%s" missed its scheduled time %s%s', run.job_name, run.scheduled_for,
                   CASE WHEN run.error IS NOT NULL THEN ': ' || run.error ELSE '' END)
    END;
    RETURN jsonb_build_object(
        'event', event,
        'job', job_json,
        'run', jsonb_build_object('execution_id', run.execution_id, 'status', run.status, 'attempt', run.attempt,
                                  'triggered_by', run.triggered_by, 'scheduled_for', run.scheduled_for,
                                  'started_at', run.started_at, 'finished_at', run.finished_at,
                                  'duration', run.duration, 'error', run.error, 'sqlstate', run.sqlstate,
                                  'http_status', run.http_status, 'skipped_count', run.skipped_count),
        'summary', summary,
        'firing_since', firing_since);
END
$$;
COMMENT ON FUNCTION jobs_internal._alert_item(text, jobs.job_execution, timestamptz, interval) IS
'Internal: the payload of one alert event (job, run, summary, firing_since).';
REVOKE EXECUTE ON FUNCTION jobs_internal._alert_item(text, jobs.job_execution, timestamptz, interval) FROM PUBLIC;

-- Triggers the alert's handler with `items` (one payload, or a batch) and
-- records the delivery in the state of each job listed. The handler runs
-- as its owner, who must still be the alert's owner.
CREATE FUNCTION jobs_internal._alert_deliver(alert jobs.alert_definition, items jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    handler jobs.scheduled_job;
    payload jsonb;
    n_items integer := jsonb_array_length(items);
    run_id bigint;
    problem text;
    job_ids bigint[];
BEGIN
    SELECT array_agg(DISTINCT (i -> 'job' ->> 'job_id')::bigint) INTO job_ids FROM jsonb_array_elements(items) AS i;
    IF n_items = 1 THEN
        payload := jsonb_build_object('alert', alert.alert_name) || (items -> 0);
    ELSE
        SELECT jsonb_build_object(
                   'alert', alert.alert_name,
                   'event', CASE WHEN count(DISTINCT i ->> 'event') = 1 THEN min(i ->> 'event') ELSE 'several' END,
                   'batched', true,
                   'count', n_items,
                   'jobs', jsonb_agg(DISTINCT i -> 'job' ->> 'job_name'),
                   'summary', format('%s events of alert "%s": %s', n_items, alert.alert_name,
                                     (SELECT string_agg(x.n || ' ' || x.e, ', ' ORDER BY x.e)
                                      FROM (SELECT count(*) AS n, i2 ->> 'event' AS e
                                            FROM jsonb_array_elements(items) AS i2 GROUP BY 2) AS x))
                          || ' (' || (SELECT string_agg(format('"%s"', s.n), ', ')
                                      FROM (SELECT DISTINCT i3 -> 'job' ->> 'job_name' AS n
                                            FROM jsonb_array_elements(items) AS i3 ORDER BY 1 LIMIT 10) AS s)
                          || CASE WHEN cardinality(job_ids) > 10
                                  THEN format(' and %s more', cardinality(job_ids) - 10) ELSE '' END || ')',
                   'firing_since', min(i ->> 'firing_since'),
                   'items', items)
        INTO payload
        FROM jsonb_array_elements(items) AS i;
    END IF;
    SELECT * INTO handler FROM jobs.scheduled_job AS j WHERE j.job_id = alert.handler_job_id FOR KEY SHARE;
    IF NOT FOUND THEN
        problem := 'the handler job no longer exists';
    ELSIF handler.owner <> alert.owner THEN
        problem := format('the handler job "%s" now belongs to %s, not to the alert''s owner', handler.job_name,
                          pg_get_userbyid(handler.owner));
    ELSE
        BEGIN
            PERFORM jobs_internal._check_payload_size(payload, 'alert payload');
            INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, kind,
                                            triggered_by, triggered_by_user, payload)
            VALUES (handler.job_id, handler.job_name, handler.owner, pg_get_userbyid(handler.owner), handler.database,
                    handler.command, handler.kind, 'manual', pg_get_userbyid(alert.owner), payload)
            RETURNING execution_id INTO run_id;
            PERFORM jobs_internal._wake_scheduler(false);
            -- On channel jobs_events: ids only (the payload above stays with the handler's run).
            PERFORM jobs_internal._notify_event(jsonb_build_object(
                'event', 'alert', 'alert_id', alert.alert_id, 'kind', payload ->> 'event',
                'execution_id', run_id, 'job_ids', to_jsonb(job_ids[1:100]), 'count', n_items));
        EXCEPTION WHEN OTHERS THEN
            problem := SQLERRM;
        END;
    END IF;
    UPDATE jobs_internal._alert_state AS s
    SET deliveries = s.deliveries + CASE WHEN run_id IS NULL THEN 0 ELSE 1 END,
        last_delivered_at = CASE WHEN run_id IS NULL THEN s.last_delivered_at ELSE clock_timestamp() END,
        handler_execution_ids = CASE WHEN run_id IS NULL THEN s.handler_execution_ids
                                     ELSE (s.handler_execution_ids || run_id)[greatest(1, cardinality(s.handler_execution_ids) - 8):]
                                END,
        last_error = problem
    WHERE s.alert_id = alert.alert_id AND s.job_id = ANY (job_ids);
    IF problem IS NOT NULL THEN
        RAISE LOG 'pg_jobs: alert "%" of role % was not delivered: %', alert.alert_name,
            pg_get_userbyid(alert.owner), problem;
    END IF;
END
$$;
COMMENT ON FUNCTION jobs_internal._alert_deliver(jobs.alert_definition, jsonb) IS
'Internal: triggers the alert''s handler with these events (one payload, or a batched one) and records it.';
REVOKE EXECUTE ON FUNCTION jobs_internal._alert_deliver(jobs.alert_definition, jsonb) FROM PUBLIC;

-- The launcher's alert pass: finds the events since the last pass, applies
-- noise control, delivers the batches whose window has passed, and returns when the next pass is due (NULL: no alert
-- exists; the launcher then looks again at its next upkeep, or when an
-- alert is defined). `alert_window` is jobs.alert_window.
CREATE FUNCTION jobs_internal._alert_pass(alert_window interval)
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t timestamptz := clock_timestamp();
    since timestamptz;
    ev record;
    alert jobs.alert_definition;
    state jobs_internal._alert_state;
    deliver boolean;
    items jsonb;
    k text;
    chunk integer;
BEGIN
    -- Alerts of dropped roles go with them.
    DELETE FROM jobs.alert_definition AS d
    WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r WHERE r.oid = d.owner);
    IF NOT EXISTS (SELECT 1 FROM jobs.alert_definition) THEN
        DELETE FROM jobs_internal._alert_pass_mark;
        RETURN NULL;
    END IF;
    -- Runs that ended since the last pass, less 30 seconds for finishes committed late
    -- (the _alert_event marks keep a run from being seen twice).
    SELECT m.passed_at - interval '30 seconds' INTO since FROM jobs_internal._alert_pass_mark AS m;
    since := greatest(coalesce(since, t - interval '30 seconds'), t - interval '50 minutes');
    INSERT INTO jobs_internal._alert_pass_mark (passed_at) VALUES (t)
    ON CONFLICT (one) DO UPDATE SET passed_at = EXCLUDED.passed_at;

    FOR ev IN
        WITH a AS (
            SELECT d.*, coalesce(jobs_internal._administers_jobs(pg_get_userbyid(d.owner)), false) AS sees_all
            FROM jobs.alert_definition AS d
        ), ended AS (
            -- Runs that ended since the last pass (less a margin for late commits).
            SELECT e.execution_id, e.job_id, e.job_name, e.owner, e.status, e.attempt,
                   coalesce(e.finished_at, e.queued_at) AS at, coalesce(e.skipped_count, 0) AS mark
            FROM jobs.job_execution AS e
            WHERE coalesce(e.finished_at, e.queued_at) > since AND e.status NOT IN ('queued', 'running', 'cancelled')
        ), found AS (
            SELECT a.alert_id, e.execution_id, e.job_id, e.at, e.mark,
                   CASE e.status WHEN 'succeeded' THEN 'recovered' WHEN 'skipped' THEN 'missed' ELSE 'failed' END
                       AS event
            FROM a JOIN ended AS e
              ON (a.sees_all OR e.owner = a.owner) AND (a.jobs IS NULL OR e.job_name = ANY (a.jobs))
            WHERE e.job_id <> a.handler_job_id AND e.at >= a.created_at
              AND CASE e.status
                  WHEN 'skipped' THEN 'missed' = ANY (a.events)
                  WHEN 'succeeded' THEN
                      -- only successes of jobs firing, or failing in this scan (hashed: a burst of
                      -- successes costs one lookup each)
                      a.events && '{failed,recovered}'
                      AND ((a.alert_id, e.job_id) IN (SELECT s.alert_id, s.job_id FROM jobs_internal._alert_state AS s
                                                      WHERE s.firing)
                           OR e.job_id IN (SELECT f.job_id FROM ended AS f
                                           WHERE f.status IN ('failed', 'timed_out', 'crashed')))
                  ELSE a.events && '{failed,recovered}'
                       -- no retry left: the retry is queued in the transaction that ends the run
                       AND NOT EXISTS (SELECT 1 FROM jobs.job_execution AS r
                                       WHERE r.job_id = e.job_id AND r.execution_id > e.execution_id
                                         AND r.retry_of = e.execution_id)
                  END
            UNION ALL
            -- Runs running longer than long_running_after.
            SELECT a.alert_id, e.execution_id, e.job_id, e.started_at + a.long_running_after, 0, 'long_running'
            FROM a JOIN jobs.job_execution AS e
              ON e.status = 'running' AND (a.sees_all OR e.owner = a.owner)
                 AND (a.jobs IS NULL OR e.job_name = ANY (a.jobs))
            WHERE 'long_running' = ANY (a.events) AND e.job_id <> a.handler_job_id
              AND t - e.started_at > a.long_running_after
        ), noted AS (
            INSERT INTO jobs_internal._alert_event (alert_id, execution_id, event, mark)
            SELECT f.alert_id, f.execution_id, f.event, f.mark FROM found AS f
            ON CONFLICT DO NOTHING
            RETURNING alert_id, execution_id, event, mark
        )
        SELECT n.alert_id, n.event, f.job_id, f.at, n.execution_id
        FROM noted AS n JOIN found AS f USING (alert_id, execution_id, event, mark)
        ORDER BY n.alert_id, f.at, n.execution_id
    LOOP
        IF alert.alert_id IS DISTINCT FROM ev.alert_id THEN
            SELECT * INTO alert FROM jobs.alert_definition AS d WHERE d.alert_id = ev.alert_id;
        END IF;
        IF ev.event = 'recovered' AND NOT EXISTS (SELECT 1 FROM jobs_internal._alert_state AS s
                                                  WHERE s.alert_id = ev.alert_id AND s.job_id = ev.job_id
                                                    AND s.firing) THEN
            CONTINUE;  -- a success of a job that was not failing
        END IF;
        INSERT INTO jobs_internal._alert_state AS s (alert_id, job_id, alert_owner, job_name)
        SELECT ev.alert_id, ev.job_id, alert.owner, e.job_name FROM jobs.job_execution AS e
        WHERE e.execution_id = ev.execution_id
        ON CONFLICT (alert_id, job_id) DO UPDATE SET job_name = EXCLUDED.job_name
        RETURNING * INTO state;
        deliver := false;
        IF ev.event = 'failed' THEN
            deliver := 'failed' = ANY (alert.events)
                       AND (NOT state.firing OR state.last_failed_delivered_at IS NULL
                            OR t - state.last_failed_delivered_at >= alert.repeat_after);
            state.firing_since := CASE WHEN state.firing THEN state.firing_since ELSE ev.at END;
            state.firing := true;
            IF deliver THEN
                state.last_failed_delivered_at := t;
            END IF;
        ELSIF ev.event = 'recovered' THEN
            deliver := 'recovered' = ANY (alert.events);
            state.firing := false;
        ELSIF ev.event = 'missed' THEN
            deliver := state.last_missed_delivered_at IS NULL OR t - state.last_missed_delivered_at >= alert.repeat_after;
            IF deliver THEN
                state.last_missed_delivered_at := t;
            END IF;
        ELSE
            deliver := true;  -- long_running: once per run
        END IF;
        UPDATE jobs_internal._alert_state AS s
        SET firing = state.firing,
            firing_since = CASE WHEN state.firing THEN state.firing_since END,
            last_event = ev.event, last_event_at = ev.at, last_execution_id = ev.execution_id,
            last_failed_delivered_at = state.last_failed_delivered_at,
            last_missed_delivered_at = state.last_missed_delivered_at,
            suppressed = s.suppressed + CASE WHEN deliver THEN 0 ELSE 1 END
        WHERE s.alert_id = ev.alert_id AND s.job_id = ev.job_id;
        IF deliver THEN
            INSERT INTO jobs_internal._alert_pending (alert_id, job_id, item, noted_at)
            VALUES (ev.alert_id, ev.job_id,
                    jobs_internal._alert_item(ev.event, (SELECT e FROM jobs.job_execution AS e WHERE e.execution_id = ev.execution_id),
                                     state.firing_since, alert.long_running_after),
                    t);
        END IF;
    END LOOP;

    -- An alert's batch goes out a window after its first event: one payload
    -- (of at most 200 events; more make more payloads).
    FOR k IN SELECT p.alert_id FROM jobs_internal._alert_pending AS p GROUP BY p.alert_id
             HAVING min(p.noted_at) <= t - alert_window LOOP
        SELECT * INTO alert FROM jobs.alert_definition AS d WHERE d.alert_id = k::bigint;
        chunk := 0;
        WITH taken AS (DELETE FROM jobs_internal._alert_pending AS p WHERE p.alert_id = k::bigint RETURNING p.seq, p.item)
        SELECT jsonb_agg(taken.item ORDER BY taken.seq) INTO items FROM taken;
        WHILE chunk * 200 < jsonb_array_length(items) LOOP
            PERFORM jobs_internal._alert_deliver(alert,
                                        (SELECT jsonb_agg(x.v ORDER BY x.o) FROM jsonb_array_elements(items)
                                             WITH ORDINALITY AS x(v, o)
                                         WHERE x.o > chunk * 200 AND x.o <= (chunk + 1) * 200));
            chunk := chunk + 1;
        END LOOP;
    END LOOP;

    -- What was looked at stays an hour (past the scan's reach); a
    -- long_running mark while its run still runs.
    DELETE FROM jobs_internal._alert_event AS v
    WHERE v.noted_at < t - interval '1 hour'
      AND (v.event <> 'long_running'
           OR NOT EXISTS (SELECT 1 FROM jobs.job_execution AS e
                          WHERE e.execution_id = v.execution_id AND e.status = 'running'));
    -- Looks four times per window: a batch leaves about a window after its first event.
    RETURN least(t + alert_window / 4,
                 (SELECT min(p.noted_at) + alert_window FROM jobs_internal._alert_pending AS p));
END
$$;
COMMENT ON FUNCTION jobs_internal._alert_pass(interval) IS
'Internal: the launcher''s alert pass; returns when the next one is due (NULL: no alert exists).';
REVOKE EXECUTE ON FUNCTION jobs_internal._alert_pass(interval) FROM PUBLIC;

CREATE VIEW jobs.alert_status WITH (security_invoker = true) AS
SELECT d.alert_id,
       d.alert_name,
       pg_catalog.pg_get_userbyid(d.owner) AS owner,
       h.job_name AS handler,
       d.events,
       s.job_id,
       s.job_name,
       coalesce(s.firing, false) AS firing,
       s.firing_since,
       s.last_event,
       s.last_event_at,
       s.last_execution_id,
       s.last_delivered_at,
       coalesce(s.deliveries, 0) AS deliveries,
       coalesce(s.suppressed, 0) AS suppressed,
       s.handler_execution_ids[cardinality(s.handler_execution_ids)] AS last_handler_execution_id,
       s.handler_execution_ids,
       s.last_error
FROM jobs.alert_definition AS d
LEFT JOIN jobs_internal._alert_state AS s ON s.alert_id = d.alert_id
LEFT JOIN jobs.scheduled_job AS h ON h.job_id = d.handler_job_id;
COMMENT ON VIEW jobs.alert_status IS
'Per alert and job it has seen: whether it is firing (the job failed and has not succeeded since) and since when, '
'the last event, the last delivery, how many deliveries and suppressed repeats, and the handler runs of the last '
'10 deliveries (handler_execution_ids, oldest first). An alert that has seen nothing yet has one row with '
'job_id NULL. Roles see only their own alerts.';
GRANT SELECT ON jobs.alert_status TO PUBLIC;

-------------------------------------------------------------------------------
-- import: jobs.import_pg_cron (issue 15, "A way in from pg_cron"): copies the
-- jobs of pg_cron (cron.job, in this database) into pg_jobs, each once.
-------------------------------------------------------------------------------

-- The syntax check jobs.schedule makes on a command (in C, as jobs.schedule's),
-- for the import, which calls jobs_internal._schedule directly.
CREATE FUNCTION jobs_internal._check_command(command text, job_name text)
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_check_command';
COMMENT ON FUNCTION jobs_internal._check_command(text, text) IS
'Internal: raises jobs.schedule''s error for a command that does not parse (42601) or that puts VACUUM and the '
'like together with other statements (25001); nothing runs, no name is looked up.';
REVOKE EXECUTE ON FUNCTION jobs_internal._check_command(text, text) FROM PUBLIC;

-- Which pg_cron job became which job: an import skips the pg_cron jobs listed
-- here, so a second one changes nothing. No foreign key: the record outlives
-- the job, so that a job removed after its import does not come back.
CREATE TABLE jobs_internal._pg_cron_import (
    cron_jobid  bigint PRIMARY KEY,
    job_id      bigint NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    imported_by name NOT NULL
);
COMMENT ON TABLE jobs_internal._pg_cron_import IS
'Internal: the pg_cron jobs (cron.job.jobid) jobs.import_pg_cron has imported, and the job_id each became; '
'readable by superusers only. Delete a row to have the next import copy that pg_cron job again.';
REVOKE ALL ON jobs_internal._pg_cron_import FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('jobs_internal._pg_cron_import', '');

-- pg_cron's schedule as pg_jobs writes it, or why it cannot be: pg_cron's
-- "$" (last day of the month, the whole day-of-month field) is "L", its
-- "N seconds" is kept; its 5-field expressions and @-macros mean the same
-- here (Vixie cron). Anything else is not guessed at. jobs.import_pg_cron
-- then checks the result with the cron engine, which refuses what pg_cron
-- accepts but would run differently or never (*/90 in the minute field,
-- 0 0 30 2 *).
CREATE FUNCTION jobs_internal._pg_cron_schedule(schedule text, OUT translated text, OUT problem text)
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    trimmed text := btrim(schedule, E' \t\r\n');
    seconds text[] := regexp_match(trimmed, '^([0-9]+)\s*seconds?$', 'i');
    fields text[] := regexp_split_to_array(trimmed, '\s+');
BEGIN
    IF schedule IS NULL OR trimmed = '' THEN
        problem := 'the schedule is empty';
    ELSIF seconds IS NOT NULL THEN
        translated := seconds[1]::numeric || CASE WHEN seconds[1]::numeric = 1 THEN ' second' ELSE ' seconds' END;
    ELSIF left(trimmed, 1) = '@' THEN
        IF lower(trimmed) IN ('@reboot', '@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight',
                              '@hourly') THEN
            translated := lower(trimmed);
        ELSE
            problem := format('%s is not one of pg_cron''s macros', trimmed);
        END IF;
    ELSIF cardinality(fields) <> 5 THEN
        problem := format('pg_cron''s cron expressions have 5 fields, this one has %s', cardinality(fields));
    ELSIF array_to_string(fields[1:2] || fields[4:5], ' ') LIKE '%$%' OR (fields[3] LIKE '%$%' AND fields[3] <> '$') THEN
        problem := '"$" (the last day of the month) may only be the whole day-of-month field';
    ELSE
        fields[3] := CASE WHEN fields[3] = '$' THEN 'L' ELSE fields[3] END;
        translated := array_to_string(fields, ' ');
    END IF;
END
$$;
COMMENT ON FUNCTION jobs_internal._pg_cron_schedule(text) IS
'Internal: a pg_cron schedule as pg_jobs writes it ($ -> L, N seconds kept), or NULL and the reason it is not one '
'pg_cron accepts; the result is still to be checked by the cron engine.';
REVOKE EXECUTE ON FUNCTION jobs_internal._pg_cron_schedule(text) FROM PUBLIC;

-- Runs as the caller, who must be a superuser: the jobs it creates belong to
-- the roles of pg_cron's jobs, through jobs_internal._schedule (a superuser may call
-- it; the audit trail names the caller). Every job is imported in a
-- subtransaction of its own, so one that cannot be is reported and the
-- others go on. Everything happens in the caller's transaction: the pg_cron
-- originals are set inactive when the new jobs are created, or neither is.
CREATE FUNCTION jobs.import_pg_cron(disable_source boolean DEFAULT true)
RETURNS TABLE (cron_jobid bigint, job_id bigint, job_name text, note text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    source jsonb;
    zone text;          -- pg_cron's settings: read once the caller is known to be a superuser
    in_workers boolean;
    here_port text;
    done record;        -- a row of jobs_internal._pg_cron_import (named only once the caller is checked)
    owner_name text;
    host text;
    was_active boolean;
    translated text;
    problem text;
    message text;
    state text;
    hint text;
    can_login boolean;
BEGIN
    IF NOT coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user), false) THEN
        RAISE EXCEPTION 'permission denied to import pg_cron jobs'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'jobs.import_pg_cron creates jobs owned by the roles of pg_cron''s jobs: only a superuser '
                           'may call it.',
                  HINT = 'Ask a superuser to run SELECT * FROM jobs.import_pg_cron().';
    END IF;
    IF disable_source IS NULL THEN
        RAISE EXCEPTION 'disable_source must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass true (the default: the pg_cron jobs are set inactive) or false.';
    END IF;
    IF current_database() <> current_setting('jobs.database') THEN
        RAISE EXCEPTION 'jobs can only be defined in database "%" (the jobs.database setting), not in "%"',
            current_setting('jobs.database'), current_database()
            USING ERRCODE = 'feature_not_supported',
                  HINT = format('Connect to database "%s" and import there; pg_cron must be installed there too.',
                                current_setting('jobs.database'));
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension AS e WHERE e.extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = coalesce('pg_cron keeps its jobs in database "'
                                    || nullif(current_setting('cron.database_name', true), current_database())
                                    || '" (cron.database_name).', 'There is no table cron.job to import from here.'),
                  HINT = 'jobs.import_pg_cron reads pg_cron''s table cron.job in jobs.database: run it where '
                         'CREATE EXTENSION pg_cron was run, with cron.database_name = jobs.database.';
    END IF;
    zone := coalesce(nullif(current_setting('cron.timezone', true), ''), 'UTC');  -- pg_cron 1.4: always UTC
    in_workers := coalesce(current_setting('cron.use_background_workers', true), 'off') = 'on';
    here_port := current_setting('port');
    -- One import at a time; pg_cron's jobs stay as read until the end of the transaction.
    LOCK TABLE jobs_internal._pg_cron_import IN SHARE ROW EXCLUSIVE MODE;
    FOR source IN SELECT to_jsonb(c) FROM cron.job AS c ORDER BY c.jobid FOR UPDATE OF c LOOP
        cron_jobid := (source ->> 'jobid')::bigint;
        owner_name := source ->> 'username';
        job_name := coalesce(nullif(source ->> 'jobname', ''), 'pg_cron-' || cron_jobid);
        was_active := coalesce((source ->> 'active')::boolean, true);
        job_id := NULL;
        note := NULL;

        SELECT * INTO done FROM jobs_internal._pg_cron_import AS i WHERE i.cron_jobid = import_pg_cron.cron_jobid;
        IF FOUND THEN
            job_id := done.job_id;
            SELECT j.job_name INTO job_name FROM jobs.scheduled_job AS j WHERE j.job_id = done.job_id;
            IF NOT FOUND THEN
                note := format('already imported (as job %s, since removed)', done.job_id);
            ELSIF disable_source AND was_active
                  AND (SELECT j.schedule IS NOT NULL FROM jobs.scheduled_job AS j WHERE j.job_id = done.job_id) THEN
                UPDATE cron.job AS c SET active = false WHERE c.jobid = import_pg_cron.cron_jobid;
                note := 'already imported; pg_cron job set inactive';
            ELSE
                note := 'already imported';
            END IF;
            RETURN NEXT;
            CONTINUE;
        END IF;

        -- pg_cron connects to nodename:nodeport, unless it runs its jobs in background workers.
        host := coalesce(source ->> 'nodename', 'localhost');
        IF NOT in_workers AND (host NOT IN ('', 'localhost', '127.0.0.1', '::1') AND left(host, 1) <> '/'
                              OR coalesce(source ->> 'nodeport', here_port) <> here_port) THEN
            note := format('not imported: pg_cron runs it on %s port %s, not on this server (port %s)', host,
                           source ->> 'nodeport', here_port);
            RETURN NEXT;
            CONTINUE;
        END IF;
        SELECT r.rolcanlogin OR r.rolsuper INTO can_login FROM pg_catalog.pg_roles AS r WHERE r.rolname = owner_name;
        IF NOT FOUND THEN
            note := format('not imported: role "%s" does not exist', owner_name);
            RETURN NEXT;
            CONTINUE;
        END IF;
        IF EXISTS (SELECT FROM jobs.scheduled_job AS j
                   WHERE j.owner = jobs_internal._role_id(owner_name) AND j.job_name = import_pg_cron.job_name) THEN
            note := format('not imported: role "%s" already has a job named "%s"', owner_name, job_name);
            RETURN NEXT;
            CONTINUE;
        END IF;

        SELECT s.translated, s.problem INTO translated, problem FROM jobs_internal._pg_cron_schedule(source ->> 'schedule') AS s;
        IF problem IS NULL THEN
            BEGIN
                PERFORM jobs.describe(translated, zone);
            EXCEPTION WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS problem = MESSAGE_TEXT;
            END;
        END IF;

        BEGIN
            PERFORM jobs_internal._check_command(source ->> 'command', job_name);
            job_id := jobs_internal._schedule(
                owner_name, job_name, CASE WHEN problem IS NULL THEN translated END, source ->> 'command',
                coalesce(source ->> 'database', current_database()), zone, was_active AND problem IS NULL, NULL, 0,
                interval '1 second', interval '30 seconds', 'queue', 1, 'skip', NULL, NULL, NULL, NULL, NULL, NULL,
                CASE WHEN problem IS NULL THEN format('imported from pg_cron job %s', cron_jobid)
                     ELSE format('imported from pg_cron job %s, whose schedule "%s" pg_jobs cannot run: %s',
                                 cron_jobid, source ->> 'schedule', problem) END,
                ARRAY['pg_cron']);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, state = RETURNED_SQLSTATE, hint = PG_EXCEPTION_HINT;
            job_id := NULL;
            note := format('not imported: %s (%s)%s', message, state, coalesce(nullif('; ' || hint, '; '), ''));
            RETURN NEXT;
            CONTINUE;
        END;
        INSERT INTO jobs_internal._pg_cron_import (cron_jobid, job_id, imported_by)
        VALUES (import_pg_cron.cron_jobid, import_pg_cron.job_id, current_user);

        IF problem IS NOT NULL THEN
            note := format('schedule "%s" not translated: %s; imported disabled, without a schedule; the pg_cron '
                           'job is left as it was', source ->> 'schedule', problem);
        ELSE
            note := 'imported' ||
                    CASE WHEN translated <> source ->> 'schedule'
                         THEN format(' (schedule "%s" is "%s" here)', source ->> 'schedule', translated) ELSE '' END ||
                    CASE WHEN NOT was_active THEN ' disabled, as it is inactive in pg_cron'
                         WHEN disable_source THEN '; pg_cron job set inactive'
                         ELSE '; the pg_cron job is still active: both run until it is set inactive' END ||
                    CASE WHEN NOT can_login THEN format('; role "%s" cannot log in, so its runs fail until ALTER ROLE '
                                                        '%I LOGIN', owner_name, owner_name) ELSE '' END;
            IF disable_source AND was_active THEN
                UPDATE cron.job AS c SET active = false WHERE c.jobid = import_pg_cron.cron_jobid;
            END IF;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION jobs.import_pg_cron(boolean) IS
'Superusers only: copies each pg_cron job (cron.job in this database, jobs.database) that is not yet imported into '
'a job of the same owner (username), name (jobname, else pg_cron-<jobid>), command, database and enabled state '
'(active), its schedule translated ($ is L) in pg_cron''s time zone; with disable_source (the default) sets the '
'pg_cron job inactive in the same transaction. A schedule pg_jobs cannot run is imported disabled and without a '
'schedule, its pg_cron job left as it was. One row per pg_cron job, with a note saying what happened; a second '
'call changes nothing.';

-------------------------------------------------------------------------------
-- checks: the CHECK constraints on kind, status and triggered_by call C
-- functions instead of holding IN lists, and the retry trigger's WHEN is
-- shorter (cheaper for every claim and end of a run to read and compile).
-------------------------------------------------------------------------------
-- The CHECK constraints on kind, status and triggered_by call these instead
-- of holding IN lists: PostgreSQL reads and compiles a table's CHECK
-- expressions for every statement that writes a row (each claim and each
-- recorded end of a run), and a call is far shorter to read.
CREATE FUNCTION jobs_internal._is_job_kind(kind text)
RETURNS boolean
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pg_jobs_is_job_kind';
COMMENT ON FUNCTION jobs_internal._is_job_kind(text) IS
'Internal: whether kind is sql, http, email or workflow (the CHECK of the kind columns).';
CREATE FUNCTION jobs_internal._is_run_status(status text)
RETURNS boolean
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pg_jobs_is_run_status';
COMMENT ON FUNCTION jobs_internal._is_run_status(text) IS
'Internal: whether status is queued, running, succeeded, failed, timed_out, cancelled, skipped or crashed '
'(the CHECK of jobs.job_execution.status).';
CREATE FUNCTION jobs_internal._is_run_trigger(triggered_by text)
RETURNS boolean
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pg_jobs_is_run_trigger';
COMMENT ON FUNCTION jobs_internal._is_run_trigger(text) IS
'Internal: whether triggered_by is schedule, manual, reboot, retry or workflow (the CHECK of '
'jobs.job_execution.triggered_by).';
REVOKE EXECUTE ON FUNCTION jobs_internal._is_job_kind(text), jobs_internal._is_run_status(text),
    jobs_internal._is_run_trigger(text) FROM PUBLIC;

ALTER TABLE jobs.scheduled_job
    DROP CONSTRAINT scheduled_job_kind_check,
    ADD CONSTRAINT scheduled_job_kind_check CHECK (jobs_internal._is_job_kind(kind));
ALTER TABLE jobs.job_execution
    DROP CONSTRAINT job_execution_kind_check,
    ADD CONSTRAINT job_execution_kind_check CHECK (jobs_internal._is_job_kind(kind)),
    DROP CONSTRAINT job_execution_status_check,
    ADD CONSTRAINT job_execution_status_check CHECK (jobs_internal._is_run_status(status)),
    DROP CONSTRAINT job_execution_triggered_by_check,
    ADD CONSTRAINT job_execution_triggered_by_check CHECK (jobs_internal._is_run_trigger(triggered_by));
DROP TRIGGER queue_retry ON jobs.job_execution;
CREATE TRIGGER queue_retry
    AFTER UPDATE OF status ON jobs.job_execution
    FOR EACH ROW
    WHEN (OLD.status = 'running' AND NEW.status <> 'succeeded')
    EXECUTE FUNCTION jobs_internal._queue_retry();
COMMENT ON TRIGGER queue_retry ON jobs.job_execution IS
'Queues the retry of a run that ended failed, timed_out, crashed or cancelled by a shutdown (jobs_internal._queue_retry).';

-- opts: run_if, priority, blackout (issue 15) ---------------------------------------------
-- Three options of every job: run_if (SQL jobs: a boolean expression checked as the
-- owner before each run; false skips it), priority (-100..100: higher runs are claimed
-- first) and blackout / blackout_policy (cron minutes in which scheduled runs must not
-- start: skip or defer to the blackout's end). Queued runs carry their job's priority;
-- the pending index orders by it.
ALTER TABLE jobs.scheduled_job
    ADD COLUMN run_if text,
    ADD COLUMN priority integer CHECK (priority BETWEEN -100 AND 100),
    ADD COLUMN blackout text,
    ADD COLUMN blackout_policy text CHECK (blackout_policy IN ('skip', 'defer'));
ALTER TABLE jobs.job_execution ADD COLUMN priority integer;
-- Existing jobs and runs get the defaults (set by hand: a column added with a
-- default would differ from a fresh install's in the catalog); no definition
-- changes, so the audit trail records nothing.
ALTER TABLE jobs.scheduled_job DISABLE TRIGGER audit_jobs_changed;
UPDATE jobs.scheduled_job SET priority = 0, blackout_policy = 'skip';
ALTER TABLE jobs.scheduled_job ENABLE TRIGGER audit_jobs_changed;
UPDATE jobs.job_execution SET priority = 0;
ALTER TABLE jobs.scheduled_job ALTER COLUMN priority SET DEFAULT 0, ALTER COLUMN priority SET NOT NULL,
    ALTER COLUMN blackout_policy SET DEFAULT 'skip', ALTER COLUMN blackout_policy SET NOT NULL;
ALTER TABLE jobs.job_execution ALTER COLUMN priority SET DEFAULT 0, ALTER COLUMN priority SET NOT NULL;
DROP INDEX jobs.job_execution_pending;

CREATE INDEX job_execution_pending ON jobs.job_execution (kind, database, owner, priority DESC, execution_id)
    WHERE status = 'queued';
COMMENT ON INDEX jobs.job_execution_pending IS 'Queued runs per database and owner, highest priority first, then oldest first, for the workers.';
-- What the HTTP worker claims: queued HTTP and e-mail runs of every owner,
-- highest priority first, then oldest first, read in order and no further
-- than a batch (without it, each batch sorted every queued run).
CREATE INDEX job_execution_pending_http ON jobs.job_execution (priority DESC, execution_id)
    WHERE status = 'queued' AND kind IN ('http', 'email');
COMMENT ON INDEX jobs.job_execution_pending_http IS 'Queued HTTP and e-mail runs, highest priority first, then oldest first, for the HTTP worker.';

COMMENT ON COLUMN jobs.scheduled_job.run_if IS
'A boolean SQL expression checked as the owner, in the job''s database, just before each run starts (SQL jobs: by '
'their worker; HTTP and e-mail jobs: by the HTTP worker); false or NULL: the run is recorded skipped ("run_if was '
'false"), an error: failed. NULL: always run.';
COMMENT ON COLUMN jobs.scheduled_job.priority IS
'-100 to 100 (default 0): when runs of the same owner wait for a worker, higher priorities are claimed first '
'(then the oldest first).';
COMMENT ON COLUMN jobs.scheduled_job.blackout IS
'A cron expression of the minutes in which scheduled runs must not start (''* 1-4 * * *'': 01:00 to 04:59 in the '
'job''s time zone); NULL: none. Manual triggers and retries are not held back.';
COMMENT ON COLUMN jobs.scheduled_job.blackout_policy IS
'What happens to a fire time inside the blackout: skip (recorded skipped, the default) or defer (one run at the '
'end of the blackout, however many fire times fell in it).';
COMMENT ON COLUMN jobs.job_execution.priority IS
'The job''s priority when the run was queued: queued runs of one owner start highest priority first.';

DROP FUNCTION jobs.alter(text, text, text, text, text, boolean, interval, integer, interval, interval, text, integer, text,
                         interval, timestamptz, timestamptz, integer, timestamptz, interval, text[], text, text[]);
DROP FUNCTION jobs.alter(bigint, text, text, text, text, boolean, interval, integer, interval, interval, text, integer,
                         text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text[], text, text[]);
DROP FUNCTION jobs.schedule(text, text, text, text, text, boolean, interval, integer, interval, interval, text, integer,
                            text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text, text[]);
DROP FUNCTION jobs.schedule_http(text, text, text, text, jsonb, jsonb, interval, text, boolean, integer, interval,
                                 interval, text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz,
                                 interval, text, text[], text);
DROP FUNCTION jobs.schedule_email(text, text, text, text, text[], text, text, text, text, interval, text, boolean, integer,
                                  interval, interval, text, text[]);
DROP FUNCTION jobs_internal._schedule(name, text, text, text, text, text, boolean, interval, integer, interval, interval, text,
                             integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text,
                             text[]);
DROP FUNCTION jobs_internal._alter(name, bigint, text, text, text, text, boolean, interval, integer, interval, interval, text,
                          integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text[],
                          text, text[]);
DROP FUNCTION jobs_internal._schedule_http(name, text, text, text, text, jsonb, jsonb, interval, text, boolean, integer, interval,
                                  interval, text, integer, text, interval, timestamptz, timestamptz, integer,
                                  timestamptz, interval, text, text[], text);
DROP FUNCTION jobs_internal._schedule_email(name, text, text, text, text, text[], text, text, text, text, interval, text, boolean,
                                   integer, interval, interval, text, text[]);

CREATE FUNCTION jobs_internal._check_blackout(blackout text, timezone text)
RETURNS void
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'pg_jobs_check_blackout';
COMMENT ON FUNCTION jobs_internal._check_blackout(text, text) IS
'Internal: raises 22023 (with the cron engine''s caret) unless blackout is a cron expression of minutes that leaves '
'a free minute within 400 days.';

CREATE FUNCTION jobs_internal._blackout_end(blackout text, timezone text, at timestamptz)
RETURNS timestamptz
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'pg_jobs_blackout_end';
COMMENT ON FUNCTION jobs_internal._blackout_end(text, text, timestamptz) IS
'Internal: NULL when `at` is outside the blackout (in the zone), else the end of the blackout: the start of its '
'first free minute.';

CREATE FUNCTION jobs_internal._check_job_options(run_if text, priority integer, blackout text, blackout_policy text,
                                        timezone text)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF run_if IS NOT NULL AND run_if !~ '\S' THEN
        RAISE EXCEPTION 'run_if must not be empty'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass a boolean SQL expression, or leave it out (NULL: always run).';
    END IF;
    IF priority IS NULL OR priority NOT BETWEEN -100 AND 100 THEN
        RAISE EXCEPTION 'priority must be between -100 and 100, not %', coalesce(priority::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Higher priorities start first when runs wait for a worker; 0 is the default.';
    END IF;
    IF blackout_policy IS NULL OR blackout_policy NOT IN ('skip', 'defer') THEN
        RAISE EXCEPTION 'blackout_policy must be ''skip'' or ''defer'', not %',
            coalesce(quote_literal(blackout_policy), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'skip records a fire time inside the blackout as skipped (the default); defer runs once '
                         'at the end of the blackout.';
    END IF;
    IF blackout IS NOT NULL THEN
        PERFORM jobs_internal._check_blackout(blackout, timezone);
    END IF;
END
$$;
COMMENT ON FUNCTION jobs_internal._check_job_options(text, integer, text, text, text) IS
'Internal: raises 22023 for an empty run_if, a priority outside -100..100, a blackout_policy other than skip or '
'defer, or an unusable blackout.';
REVOKE EXECUTE ON FUNCTION jobs_internal._check_blackout(text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._blackout_end(text, text, timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._check_job_options(text, integer, text, text, text) FROM PUBLIC;

CREATE FUNCTION jobs_internal._schedule(caller name, job_name text, schedule text, command text, database text,
                               timezone text, enabled boolean, timeout interval, max_retries integer,
                               retry_backoff interval, retry_backoff_max interval, overlap text,
                               max_concurrent integer, misfire text, starting_deadline interval,
                               start_at timestamptz, end_at timestamptz, max_runs integer, run_at timestamptz,
                               min_trigger_interval interval, description text, tags text[],
                               run_if text DEFAULT NULL, priority integer DEFAULT 0, blackout text DEFAULT NULL,
                               blackout_policy text DEFAULT 'skip')
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    zone text := coalesce(timezone, current_setting('jobs.timezone'));
    target name := coalesce(database, current_database());
    result_id bigint;
BEGIN
    PERFORM jobs_internal._check_definition(job_name, schedule, command, target, zone, caller);
    PERFORM jobs_internal._check_schedule_interval(schedule, zone, caller);
    PERFORM jobs_internal._check_run_options(timeout, max_retries, retry_backoff, retry_backoff_max);
    PERFORM jobs_internal._check_run_policy(schedule, overlap, max_concurrent, misfire, starting_deadline, start_at, end_at,
                                   max_runs, run_at, min_trigger_interval);
    IF enabled IS NULL THEN
        RAISE EXCEPTION 'enabled must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass true or false, or leave it out (true).';
    END IF;
    PERFORM jobs_internal._check_metadata(description, tags);
    PERFORM jobs_internal._check_job_options(run_if, priority, blackout, blackout_policy, zone);
    PERFORM jobs_internal._check_job_quota(caller, job_name);
    INSERT INTO jobs.scheduled_job AS j (job_name, owner, schedule, timezone, command, database, enabled, timeout,
                                         max_retries, retry_backoff, retry_backoff_max, overlap, max_concurrent,
                                         misfire, starting_deadline, start_at, end_at, max_runs, run_at,
                                         min_trigger_interval, description, tags, run_if, priority, blackout,
                                         blackout_policy)
    VALUES (job_name, jobs_internal._role_id(caller), schedule, zone, command, target, enabled, timeout, max_retries, retry_backoff,
            retry_backoff_max, overlap, max_concurrent, misfire, starting_deadline, start_at, end_at, max_runs,
            run_at, min_trigger_interval, description, coalesce(tags, '{}'), run_if, priority, blackout,
            blackout_policy)
    ON CONFLICT ON CONSTRAINT scheduled_job_owner_job_name_key DO UPDATE
        SET schedule = excluded.schedule, timezone = excluded.timezone, command = excluded.command,
            database = excluded.database, enabled = excluded.enabled, kind = 'sql', http_method = NULL,
            http_url = NULL, http_headers = NULL, http_body = NULL, http_send = NULL, smtp_url = NULL,
            smtp_username = NULL, smtp_password = NULL, mail_from = NULL, mail_to = NULL, mail_subject = NULL,
            mail_body = NULL, timeout = excluded.timeout,
            max_retries = excluded.max_retries, retry_backoff = excluded.retry_backoff,
            retry_backoff_max = excluded.retry_backoff_max, overlap = excluded.overlap,
            max_concurrent = excluded.max_concurrent, misfire = excluded.misfire,
            starting_deadline = excluded.starting_deadline, start_at = excluded.start_at, end_at = excluded.end_at,
            max_runs = excluded.max_runs, run_at = excluded.run_at,
            min_trigger_interval = excluded.min_trigger_interval, disabled_reason = NULL, updated_at = now(),
            description = excluded.description, tags = excluded.tags, run_if = excluded.run_if,
            priority = excluded.priority, blackout = excluded.blackout, blackout_policy = excluded.blackout_policy
    RETURNING j.job_id INTO result_id;
    DELETE FROM jobs_internal._http_secret AS s WHERE s.job_id = result_id;
    PERFORM jobs_internal._wake_scheduler(true, result_id);
    RETURN result_id;
END
$$;

CREATE FUNCTION jobs_internal._alter(caller name, job_id bigint, schedule text, command text, database text,
                            timezone text, enabled boolean, timeout interval, max_retries integer,
                            retry_backoff interval, retry_backoff_max interval, overlap text,
                            max_concurrent integer, misfire text, starting_deadline interval,
                            start_at timestamptz, end_at timestamptz, max_runs integer, run_at timestamptz,
                            min_trigger_interval interval, reset text[], description text, tags text[],
                            run_if text, priority integer, blackout text, blackout_policy text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job jobs.scheduled_job := jobs_internal._job_for_caller(job_id, caller, true);
    -- The options that may be NULL, so that NULL cannot mean "unchanged" for them.
    resettable constant text[] := ARRAY['timeout', 'starting_deadline', 'start_at', 'end_at', 'max_runs', 'run_at',
                                        'min_trigger_interval', 'description', 'tags', 'run_if', 'blackout'];
    given text[] := array_remove(ARRAY[
        CASE WHEN timeout IS NOT NULL THEN 'timeout' END,
        CASE WHEN starting_deadline IS NOT NULL THEN 'starting_deadline' END,
        CASE WHEN start_at IS NOT NULL THEN 'start_at' END, CASE WHEN end_at IS NOT NULL THEN 'end_at' END,
        CASE WHEN max_runs IS NOT NULL THEN 'max_runs' END, CASE WHEN run_at IS NOT NULL THEN 'run_at' END,
        CASE WHEN min_trigger_interval IS NOT NULL THEN 'min_trigger_interval' END,
        CASE WHEN description IS NOT NULL THEN 'description' END, CASE WHEN tags IS NOT NULL THEN 'tags' END,
        CASE WHEN run_if IS NOT NULL THEN 'run_if' END, CASE WHEN blackout IS NOT NULL THEN 'blackout' END], NULL);
BEGIN
    IF array_position(reset, NULL) IS NOT NULL OR NOT reset <@ resettable THEN
        RAISE EXCEPTION 'reset may name %, not %', array_to_string(resettable, ', '),
            (SELECT string_agg(coalesce('"' || r || '"', 'NULL'), ', ') FROM unnest(reset) AS r
             WHERE r IS NULL OR r <> ALL (resettable))
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Options not listed there are changed by passing a new value, for example '
                         'overlap => ''skip''.';
    END IF;
    IF reset && given THEN
        RAISE EXCEPTION 'an option cannot be both given and reset: %',
            (SELECT string_agg(r, ', ') FROM unnest(reset) AS r WHERE r = ANY (given))
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass a new value to change an option, or name it in reset to clear it.';
    END IF;
    PERFORM jobs_internal._check_changes_what_runs(job, caller, array_remove(ARRAY[
        CASE WHEN command IS NOT NULL THEN 'command' END, CASE WHEN database IS NOT NULL THEN 'database' END], NULL));
    IF job.kind = 'http' AND (command IS NOT NULL OR database IS NOT NULL) THEN
        RAISE EXCEPTION 'job "%" is an HTTP job: it has no command or database', job.job_name
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Change its request with jobs.alter_http, or redefine it with jobs.schedule.';
    END IF;
    IF job.kind = 'email' AND (command IS NOT NULL OR database IS NOT NULL) THEN
        RAISE EXCEPTION 'job "%" is an e-mail job: it has no command or database', job.job_name
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Change its message by redefining it with jobs.schedule_email.';
    END IF;
    job.schedule := coalesce(schedule, job.schedule);
    job.command := coalesce(command, job.command);
    job.database := coalesce(database, job.database);
    job.timezone := coalesce(timezone, job.timezone);
    job.enabled := coalesce(enabled, job.enabled);
    job.timeout := coalesce(timeout, job.timeout);
    job.max_retries := coalesce(max_retries, job.max_retries);
    job.retry_backoff := coalesce(retry_backoff, job.retry_backoff);
    job.retry_backoff_max := coalesce(retry_backoff_max, job.retry_backoff_max);
    job.overlap := coalesce(overlap, job.overlap);
    job.max_concurrent := coalesce(max_concurrent, job.max_concurrent);
    job.misfire := coalesce(misfire, job.misfire);
    job.starting_deadline := CASE WHEN 'starting_deadline' = ANY (reset) THEN NULL
                                  ELSE coalesce(starting_deadline, job.starting_deadline) END;
    job.start_at := CASE WHEN 'start_at' = ANY (reset) THEN NULL ELSE coalesce(start_at, job.start_at) END;
    job.end_at := CASE WHEN 'end_at' = ANY (reset) THEN NULL ELSE coalesce(end_at, job.end_at) END;
    job.max_runs := CASE WHEN 'max_runs' = ANY (reset) THEN NULL ELSE coalesce(max_runs, job.max_runs) END;
    job.run_at := CASE WHEN 'run_at' = ANY (reset) THEN NULL ELSE coalesce(run_at, job.run_at) END;
    job.min_trigger_interval := CASE WHEN 'min_trigger_interval' = ANY (reset) THEN NULL
                                     ELSE coalesce(min_trigger_interval, job.min_trigger_interval) END;
    IF 'timeout' = ANY (reset) THEN
        job.timeout := NULL;
    END IF;
    job.description := CASE WHEN 'description' = ANY (reset) THEN NULL ELSE coalesce(description, job.description) END;
    job.tags := CASE WHEN 'tags' = ANY (reset) THEN '{}' ELSE coalesce(tags, job.tags) END;
    job.run_if := CASE WHEN 'run_if' = ANY (reset) THEN NULL ELSE coalesce(run_if, job.run_if) END;
    job.priority := coalesce(priority, job.priority);
    job.blackout := CASE WHEN 'blackout' = ANY (reset) THEN NULL ELSE coalesce(blackout, job.blackout) END;
    job.blackout_policy := coalesce(blackout_policy, job.blackout_policy);
    PERFORM jobs_internal._check_metadata(job.description, job.tags);
    PERFORM jobs_internal._check_job_options(run_if, job.priority, job.blackout, job.blackout_policy, job.timezone);
    IF enabled THEN
        job.disabled_reason := NULL;  -- enabled by hand
        PERFORM jobs_internal._check_one_shot_enable(job);
    END IF;
    PERFORM jobs_internal._check_definition(job.job_name, job.schedule, job.command, job.database, job.timezone,
                                   pg_get_userbyid(job.owner));
    PERFORM jobs_internal._check_run_options(job.timeout, job.max_retries, job.retry_backoff, job.retry_backoff_max);
    PERFORM jobs_internal._check_run_policy(job.schedule, job.overlap, job.max_concurrent, job.misfire,
                                   job.starting_deadline, job.start_at, job.end_at, job.max_runs, job.run_at,
                                   job.min_trigger_interval);
    IF schedule IS NOT NULL THEN
        PERFORM jobs_internal._check_schedule_interval(job.schedule, job.timezone, caller);
    END IF;
    IF job.kind IN ('http', 'email') THEN
        PERFORM jobs_internal._check_http_timeout(job.timeout);
    END IF;
    UPDATE jobs.scheduled_job AS j
    SET schedule = job.schedule, command = job.command, database = job.database, timezone = job.timezone,
        enabled = job.enabled, timeout = job.timeout, max_retries = job.max_retries,
        retry_backoff = job.retry_backoff, retry_backoff_max = job.retry_backoff_max, overlap = job.overlap,
        max_concurrent = job.max_concurrent, misfire = job.misfire, starting_deadline = job.starting_deadline,
        start_at = job.start_at, end_at = job.end_at, max_runs = job.max_runs, run_at = job.run_at,
        min_trigger_interval = job.min_trigger_interval, disabled_reason = job.disabled_reason, updated_at = now(),
        description = job.description, tags = job.tags, run_if = job.run_if, priority = job.priority,
        blackout = job.blackout, blackout_policy = job.blackout_policy
    WHERE j.job_id = job.job_id;
    PERFORM jobs_internal._wake_scheduler(true, job.job_id);
END
$$;

COMMENT ON FUNCTION jobs_internal._schedule(name, text, text, text, text, text, boolean, interval, integer, interval, interval,
                                   text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval,
                                   text, text[], text, integer, text, text) IS
'Internal: the privileged part of jobs.schedule; call jobs.schedule.';
COMMENT ON FUNCTION jobs_internal._alter(name, bigint, text, text, text, text, boolean, interval, integer, interval, interval,
                                text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text[],
                                text, text[], text, integer, text, text) IS
'Internal: the privileged part of jobs.alter; call jobs.alter.';
REVOKE EXECUTE ON FUNCTION jobs_internal._schedule(name, text, text, text, text, text, boolean, interval, integer, interval, interval,
                                          text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval,
                                          text, text[], text, integer, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs_internal._alter(name, bigint, text, text, text, text, boolean, interval, integer, interval, interval,
                                       text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text[],
                                       text, text[], text, integer, text, text) FROM PUBLIC;

CREATE FUNCTION jobs_internal._wake_owner_worker(owner oid)
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_wake_owner_worker';
COMMENT ON FUNCTION jobs_internal._wake_owner_worker(oid) IS
'Internal: when the current transaction commits, wakes an idle worker of this database and this owner for a run '
'of an SQL job just queued here, and the scheduler only if none is idle (it then starts one).';
REVOKE EXECUTE ON FUNCTION jobs_internal._wake_owner_worker(oid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION jobs_internal._trigger(caller name, job_id bigint, payload jsonb)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job jobs.scheduled_job := jobs_internal._job_for_caller(job_id, caller, false);
    result_id bigint;
    last_trigger timestamptz;
BEGIN
    PERFORM jobs_internal._check_payload_size(payload, 'payload');
    IF job.min_trigger_interval IS NOT NULL THEN
        -- Triggers of this job take turns on its row until they commit, so
        -- each one sees the run the one before it queued.
        SELECT * INTO job FROM jobs.scheduled_job AS j WHERE j.job_id = job.job_id FOR NO KEY UPDATE;
        SELECT e.queued_at INTO last_trigger FROM jobs.job_execution AS e
        WHERE e.job_id = job.job_id AND e.triggered_by = 'manual'
        ORDER BY e.queued_at DESC LIMIT 1;
        -- Security 14: a difference of times, never a time + interval that could overflow.
        IF isfinite(last_trigger) AND clock_timestamp() - last_trigger < job.min_trigger_interval THEN
            RAISE EXCEPTION 'job "%" was triggered less than % ago', job.job_name, job.min_trigger_interval
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('Its last manual trigger was queued at %s; its min_trigger_interval is %s.',
                                      last_trigger, job.min_trigger_interval),
                      HINT = CASE WHEN jobs_internal._interval_option_problem('', job.min_trigger_interval) IS NULL
                                  THEN format('Trigger it again from %s on.', last_trigger + job.min_trigger_interval)
                                  ELSE 'Shorten its min_trigger_interval with jobs.alter.' END;
        END IF;
        -- A change, not only a lock: a REPEATABLE READ trigger waiting here
        -- then fails to serialize instead of missing this one's run.
        UPDATE jobs.scheduled_job AS j SET min_trigger_interval = job.min_trigger_interval
        WHERE j.job_id = job.job_id;
    END IF;
    INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, kind, triggered_by,
                                    triggered_by_user, payload, priority)
    VALUES (job.job_id, job.job_name, job.owner, pg_get_userbyid(job.owner), job.database, job.command, job.kind,
            'manual', caller, payload, job.priority)
    RETURNING execution_id INTO result_id;
    IF job.kind = 'sql' AND job.database = current_database() THEN
        PERFORM jobs_internal._wake_owner_worker(job.owner);  -- its idle worker, if it has one
    ELSE
        PERFORM jobs_internal._wake_scheduler(false);
    END IF;
    RETURN result_id;
END
$$;

CREATE OR REPLACE FUNCTION jobs_internal._queue_retry()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job jobs.scheduled_job;
BEGIN
    SELECT * INTO job FROM jobs.scheduled_job AS j WHERE j.job_id = NEW.job_id;
    IF NOT FOUND OR NEW.attempt > job.max_retries
       OR NOT jobs_internal._is_retryable(NEW.kind, NEW.status, NEW.http_status, NEW.sqlstate, NEW.error_kind) THEN
        RETURN NULL;
    END IF;
    -- As the job's owner now (REASSIGN OWNED may have given it to another role).
    INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, kind, triggered_by,
                                    triggered_by_user, scheduled_for, payload, attempt, retry_of, not_before, priority)
    VALUES (NEW.job_id, NEW.job_name, job.owner, pg_get_userbyid(job.owner), NEW.database, NEW.command, NEW.kind,
            'retry', NEW.triggered_by_user, NEW.scheduled_for, NEW.payload, NEW.attempt + 1, NEW.execution_id,
            jobs_internal._retry_at(clock_timestamp(), NEW.attempt, job.retry_backoff, job.retry_backoff_max,
                           NEW.execution_id), job.priority);
    PERFORM jobs_internal._wake_scheduler(false);  -- the launcher then sleeps until not_before
    RETURN NULL;
END
$$;

CREATE FUNCTION jobs_internal._schedule_http(caller name, job_name text, schedule text, url text, method text,
                                    headers jsonb, body jsonb, timeout interval, timezone text, enabled boolean,
                                    max_retries integer, retry_backoff interval, retry_backoff_max interval,
                                    overlap text, max_concurrent integer, misfire text, starting_deadline interval,
                                    start_at timestamptz, end_at timestamptz, max_runs integer,
                                    run_at timestamptz, min_trigger_interval interval, description text, tags text[],
                                    send text, run_if text, priority integer, blackout text, blackout_policy text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    zone text := coalesce(timezone, current_setting('jobs.timezone'));
    verb text := jobs_internal._http_check(url, method, coalesce(headers, '{}'));
    result_id bigint;
BEGIN
    PERFORM jobs_internal._check_definition(job_name, schedule, verb || ' ' || url, current_database(), zone, caller);
    PERFORM jobs_internal._check_schedule_interval(schedule, zone, caller);
    PERFORM jobs_internal._check_payload_size(body, 'body');
    PERFORM jobs_internal._check_send(send, body);
    PERFORM jobs_internal._check_http_timeout(timeout);
    PERFORM jobs_internal._check_run_options(timeout, max_retries, retry_backoff, retry_backoff_max);
    PERFORM jobs_internal._check_run_policy(schedule, overlap, max_concurrent, misfire, starting_deadline, start_at, end_at,
                                   max_runs, run_at, min_trigger_interval);
    IF enabled IS NULL THEN
        RAISE EXCEPTION 'enabled must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass true or false, or leave it out (true).';
    END IF;
    PERFORM jobs_internal._check_metadata(description, tags);
    PERFORM jobs_internal._check_job_options(run_if, priority, blackout, blackout_policy, zone);
    PERFORM jobs_internal._check_job_quota(caller, job_name);
    INSERT INTO jobs.scheduled_job AS j (job_name, owner, schedule, timezone, command, database, enabled, kind,
                                         http_method, http_url, http_headers, http_body, timeout, max_retries,
                                         retry_backoff, retry_backoff_max, overlap, max_concurrent, misfire,
                                         starting_deadline, start_at, end_at, max_runs, run_at,
                                         min_trigger_interval, description, tags, http_send, run_if, priority,
                                         blackout, blackout_policy)
    VALUES (job_name, jobs_internal._role_id(caller), schedule, zone, verb || ' ' || url, current_database(), enabled, 'http', verb, url,
            jobs_internal._mask_secret_headers(coalesce(headers, '{}')), body, timeout, max_retries, retry_backoff,
            retry_backoff_max, overlap, max_concurrent, misfire, starting_deadline, start_at, end_at, max_runs,
            run_at, min_trigger_interval, description, coalesce(tags, '{}'), send, run_if, priority, blackout,
            blackout_policy)
    ON CONFLICT ON CONSTRAINT scheduled_job_owner_job_name_key DO UPDATE
        SET schedule = excluded.schedule, timezone = excluded.timezone, command = excluded.command,
            database = excluded.database, enabled = excluded.enabled, kind = excluded.kind,
            http_method = excluded.http_method, http_url = excluded.http_url,
            http_headers = excluded.http_headers, http_body = excluded.http_body, timeout = excluded.timeout,
            max_retries = excluded.max_retries, retry_backoff = excluded.retry_backoff,
            retry_backoff_max = excluded.retry_backoff_max, overlap = excluded.overlap,
            max_concurrent = excluded.max_concurrent, misfire = excluded.misfire,
            starting_deadline = excluded.starting_deadline, start_at = excluded.start_at, end_at = excluded.end_at,
            max_runs = excluded.max_runs, run_at = excluded.run_at,
            min_trigger_interval = excluded.min_trigger_interval, disabled_reason = NULL, updated_at = now(),
            description = excluded.description, tags = excluded.tags, http_send = excluded.http_send,
            smtp_url = NULL, smtp_username = NULL, smtp_password = NULL, mail_from = NULL, mail_to = NULL,
            mail_subject = NULL, mail_body = NULL, run_if = excluded.run_if, priority = excluded.priority,
            blackout = excluded.blackout, blackout_policy = excluded.blackout_policy
    RETURNING j.job_id INTO result_id;
    INSERT INTO jobs_internal._http_secret AS s (job_id, headers) VALUES (result_id, coalesce(headers, '{}'))
    ON CONFLICT (job_id) DO UPDATE SET headers = excluded.headers;
    PERFORM jobs_internal._note_missing_secrets(jobs_internal._role_id(caller), headers);
    PERFORM jobs_internal._wake_scheduler(true, result_id);
    RETURN result_id;
END
$$;

COMMENT ON FUNCTION jobs_internal._schedule_http(name, text, text, text, text, jsonb, jsonb, interval, text, boolean, integer, interval, interval,
                                        text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval,
                                        text, text[], text, text, integer, text, text) IS
'Internal: the privileged part of jobs.schedule_http; call jobs.schedule_http.';
REVOKE EXECUTE ON FUNCTION jobs_internal._schedule_http(name, text, text, text, text, jsonb, jsonb, interval, text, boolean, integer, interval, interval,
                                               text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval,
                                               text, text[], text, text, integer, text, text) FROM PUBLIC;

CREATE FUNCTION jobs_internal._schedule_email(caller name, job_name text, schedule text, smtp_url text, mail_from text,
                                     mail_to text[], subject text, body text, username text, password text,
                                     timeout interval, timezone text, enabled boolean, max_retries integer,
                                     retry_backoff interval, retry_backoff_max interval, description text,
                                     tags text[], run_if text, priority integer, blackout text, blackout_policy text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    zone text := coalesce(timezone, current_setting('jobs.timezone'));
    command text := jobs_internal._email_check(smtp_url, mail_from, mail_to, subject, body, username, password);
    result_id bigint;
BEGIN
    PERFORM jobs_internal._check_definition(job_name, schedule, command, current_database(), zone, caller);
    PERFORM jobs_internal._check_schedule_interval(schedule, zone, caller);
    PERFORM jobs_internal._check_payload_size(to_jsonb(body), 'body');
    PERFORM jobs_internal._check_http_timeout(timeout);
    PERFORM jobs_internal._check_run_options(timeout, max_retries, retry_backoff, retry_backoff_max);
    IF enabled IS NULL THEN
        RAISE EXCEPTION 'enabled must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass true or false, or leave it out (true).';
    END IF;
    PERFORM jobs_internal._check_metadata(description, tags);
    PERFORM jobs_internal._check_job_options(run_if, priority, blackout, blackout_policy, zone);
    PERFORM jobs_internal._check_job_quota(caller, job_name);
    INSERT INTO jobs.scheduled_job AS j (job_name, owner, schedule, timezone, command, database, enabled, kind,
                                         timeout, max_retries, retry_backoff, retry_backoff_max, description, tags,
                                         smtp_url, smtp_username, smtp_password, mail_from, mail_to, mail_subject,
                                         mail_body, run_if, priority, blackout, blackout_policy)
    VALUES (job_name, jobs_internal._role_id(caller), schedule, zone, command, current_database(), enabled, 'email', timeout,
            max_retries, retry_backoff, retry_backoff_max, description, coalesce(tags, '{}'), smtp_url, username,
            password, mail_from, mail_to, subject, body, run_if, priority, blackout, blackout_policy)
    ON CONFLICT ON CONSTRAINT scheduled_job_owner_job_name_key DO UPDATE
        SET schedule = excluded.schedule, timezone = excluded.timezone, command = excluded.command,
            database = excluded.database, enabled = excluded.enabled, kind = excluded.kind,
            http_method = NULL, http_url = NULL, http_headers = NULL, http_body = NULL, http_send = NULL,
            timeout = excluded.timeout, max_retries = excluded.max_retries, retry_backoff = excluded.retry_backoff,
            retry_backoff_max = excluded.retry_backoff_max, overlap = 'skip', max_concurrent = 1, misfire = 'skip',
            starting_deadline = NULL, start_at = NULL, end_at = NULL, max_runs = NULL, run_at = NULL,
            min_trigger_interval = NULL, disabled_reason = NULL, updated_at = now(),
            description = excluded.description, tags = excluded.tags, smtp_url = excluded.smtp_url,
            smtp_username = excluded.smtp_username, smtp_password = excluded.smtp_password,
            mail_from = excluded.mail_from, mail_to = excluded.mail_to, mail_subject = excluded.mail_subject,
            mail_body = excluded.mail_body, run_if = excluded.run_if, priority = excluded.priority,
            blackout = excluded.blackout, blackout_policy = excluded.blackout_policy
    RETURNING j.job_id INTO result_id;
    DELETE FROM jobs_internal._http_secret AS s WHERE s.job_id = result_id;
    PERFORM jobs_internal._note_missing_secrets(jobs_internal._role_id(caller),
                                       jsonb_strip_nulls(jsonb_build_object('username', username, 'password', password)));
    PERFORM jobs_internal._wake_scheduler(true, result_id);
    RETURN result_id;
END
$$;

COMMENT ON FUNCTION jobs_internal._schedule_email(name, text, text, text, text, text[], text, text, text, text, interval, text,
                                         boolean, integer, interval, interval, text, text[], text, integer, text, text) IS
'Internal: the privileged part of jobs.schedule_email; call jobs.schedule_email.';
REVOKE EXECUTE ON FUNCTION jobs_internal._schedule_email(name, text, text, text, text, text[], text, text, text, text, interval,
                                                text, boolean, integer, interval, interval, text, text[], text, integer,
                                                text, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION jobs_internal._alert_deliver(alert jobs.alert_definition, items jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    handler jobs.scheduled_job;
    payload jsonb;
    n_items integer := jsonb_array_length(items);
    run_id bigint;
    problem text;
    job_ids bigint[];
BEGIN
    SELECT array_agg(DISTINCT (i -> 'job' ->> 'job_id')::bigint) INTO job_ids FROM jsonb_array_elements(items) AS i;
    IF n_items = 1 THEN
        payload := jsonb_build_object('alert', alert.alert_name) || (items -> 0);
    ELSE
        SELECT jsonb_build_object(
                   'alert', alert.alert_name,
                   'event', CASE WHEN count(DISTINCT i ->> 'event') = 1 THEN min(i ->> 'event') ELSE 'several' END,
                   'batched', true,
                   'count', n_items,
                   'jobs', jsonb_agg(DISTINCT i -> 'job' ->> 'job_name'),
                   'summary', format('%s events of alert "%s": %s', n_items, alert.alert_name,
                                     (SELECT string_agg(x.n || ' ' || x.e, ', ' ORDER BY x.e)
                                      FROM (SELECT count(*) AS n, i2 ->> 'event' AS e
                                            FROM jsonb_array_elements(items) AS i2 GROUP BY 2) AS x))
                          || ' (' || (SELECT string_agg(format('"%s"', s.n), ', ')
                                      FROM (SELECT DISTINCT i3 -> 'job' ->> 'job_name' AS n
                                            FROM jsonb_array_elements(items) AS i3 ORDER BY 1 LIMIT 10) AS s)
                          || CASE WHEN cardinality(job_ids) > 10
                                  THEN format(' and %s more', cardinality(job_ids) - 10) ELSE '' END || ')',
                   'firing_since', min(i ->> 'firing_since'),
                   'items', items)
        INTO payload
        FROM jsonb_array_elements(items) AS i;
    END IF;
    SELECT * INTO handler FROM jobs.scheduled_job AS j WHERE j.job_id = alert.handler_job_id FOR KEY SHARE;
    IF NOT FOUND THEN
        problem := 'the handler job no longer exists';
    ELSIF handler.owner <> alert.owner THEN
        problem := format('the handler job "%s" now belongs to %s, not to the alert''s owner', handler.job_name,
                          pg_get_userbyid(handler.owner));
    ELSE
        BEGIN
            PERFORM jobs_internal._check_payload_size(payload, 'alert payload');
            INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, kind,
                                            triggered_by, triggered_by_user, payload, priority)
            VALUES (handler.job_id, handler.job_name, handler.owner, pg_get_userbyid(handler.owner), handler.database,
                    handler.command, handler.kind, 'manual', pg_get_userbyid(alert.owner), payload, handler.priority)
            RETURNING execution_id INTO run_id;
            PERFORM jobs_internal._wake_scheduler(false);
            -- On channel jobs_events: ids only (the payload above stays with the handler's run).
            PERFORM jobs_internal._notify_event(jsonb_build_object(
                'event', 'alert', 'alert_id', alert.alert_id, 'kind', payload ->> 'event',
                'execution_id', run_id, 'job_ids', to_jsonb(job_ids[1:100]), 'count', n_items));
        EXCEPTION WHEN OTHERS THEN
            problem := SQLERRM;
        END;
    END IF;
    UPDATE jobs_internal._alert_state AS s
    SET deliveries = s.deliveries + CASE WHEN run_id IS NULL THEN 0 ELSE 1 END,
        last_delivered_at = CASE WHEN run_id IS NULL THEN s.last_delivered_at ELSE clock_timestamp() END,
        handler_execution_ids = CASE WHEN run_id IS NULL THEN s.handler_execution_ids
                                     ELSE (s.handler_execution_ids || run_id)[greatest(1, cardinality(s.handler_execution_ids) - 8):]
                                END,
        last_error = problem
    WHERE s.alert_id = alert.alert_id AND s.job_id = ANY (job_ids);
    IF problem IS NOT NULL THEN
        RAISE LOG 'pg_jobs: alert "%" of role % was not delivered: %', alert.alert_name,
            pg_get_userbyid(alert.owner), problem;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION jobs_internal._alert_pass(alert_window interval)
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t timestamptz := clock_timestamp();
    since timestamptz;
    ev record;
    alert jobs.alert_definition;
    state jobs_internal._alert_state;
    deliver boolean;
    items jsonb;
    k text;
    chunk integer;
BEGIN
    -- Alerts of dropped roles go with them.
    DELETE FROM jobs.alert_definition AS d
    WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r WHERE r.oid = d.owner);
    IF NOT EXISTS (SELECT 1 FROM jobs.alert_definition) THEN
        DELETE FROM jobs_internal._alert_pass_mark;
        RETURN NULL;
    END IF;
    -- Runs that ended since the last pass, less 30 seconds for finishes committed late
    -- (the _alert_event marks keep a run from being seen twice).
    SELECT m.passed_at - interval '30 seconds' INTO since FROM jobs_internal._alert_pass_mark AS m;
    since := greatest(coalesce(since, t - interval '30 seconds'), t - interval '50 minutes');
    INSERT INTO jobs_internal._alert_pass_mark (passed_at) VALUES (t)
    ON CONFLICT (one) DO UPDATE SET passed_at = EXCLUDED.passed_at;

    FOR ev IN
        WITH a AS (
            SELECT d.*, coalesce(jobs_internal._administers_jobs(pg_get_userbyid(d.owner)), false) AS sees_all
            FROM jobs.alert_definition AS d
        ), ended AS (
            -- Runs that ended since the last pass (less a margin for late commits).
            SELECT e.execution_id, e.job_id, e.job_name, e.owner, e.status, e.attempt,
                   coalesce(e.finished_at, e.queued_at) AS at, coalesce(e.skipped_count, 0) AS mark
            FROM jobs.job_execution AS e
            WHERE coalesce(e.finished_at, e.queued_at) > since AND e.status NOT IN ('queued', 'running', 'cancelled')
              -- opts: a run skipped on purpose (its run_if, its blackout) was not missed
              AND NOT (e.status = 'skipped' AND (e.error = 'run_if was false'
                                                 OR e.error LIKE 'skipped: % is in the blackout %'))
        ), found AS (
            SELECT a.alert_id, e.execution_id, e.job_id, e.at, e.mark,
                   CASE e.status WHEN 'succeeded' THEN 'recovered' WHEN 'skipped' THEN 'missed' ELSE 'failed' END
                       AS event
            FROM a JOIN ended AS e
              ON (a.sees_all OR e.owner = a.owner) AND (a.jobs IS NULL OR e.job_name = ANY (a.jobs))
            WHERE e.job_id <> a.handler_job_id AND e.at >= a.created_at
              AND CASE e.status
                  WHEN 'skipped' THEN 'missed' = ANY (a.events)
                  WHEN 'succeeded' THEN
                      -- only successes of jobs firing, or failing in this scan (hashed: a burst of
                      -- successes costs one lookup each)
                      a.events && '{failed,recovered}'
                      AND ((a.alert_id, e.job_id) IN (SELECT s.alert_id, s.job_id FROM jobs_internal._alert_state AS s
                                                      WHERE s.firing)
                           OR e.job_id IN (SELECT f.job_id FROM ended AS f
                                           WHERE f.status IN ('failed', 'timed_out', 'crashed')))
                  ELSE a.events && '{failed,recovered}'
                       -- no retry left: the retry is queued in the transaction that ends the run
                       AND NOT EXISTS (SELECT 1 FROM jobs.job_execution AS r
                                       WHERE r.job_id = e.job_id AND r.execution_id > e.execution_id
                                         AND r.retry_of = e.execution_id)
                  END
            UNION ALL
            -- Runs running longer than long_running_after.
            SELECT a.alert_id, e.execution_id, e.job_id, e.started_at + a.long_running_after, 0, 'long_running'
            FROM a JOIN jobs.job_execution AS e
              ON e.status = 'running' AND (a.sees_all OR e.owner = a.owner)
                 AND (a.jobs IS NULL OR e.job_name = ANY (a.jobs))
            WHERE 'long_running' = ANY (a.events) AND e.job_id <> a.handler_job_id
              AND t - e.started_at > a.long_running_after
        ), noted AS (
            INSERT INTO jobs_internal._alert_event (alert_id, execution_id, event, mark)
            SELECT f.alert_id, f.execution_id, f.event, f.mark FROM found AS f
            ON CONFLICT DO NOTHING
            RETURNING alert_id, execution_id, event, mark
        )
        SELECT n.alert_id, n.event, f.job_id, f.at, n.execution_id
        FROM noted AS n JOIN found AS f USING (alert_id, execution_id, event, mark)
        ORDER BY n.alert_id, f.at, n.execution_id
    LOOP
        IF alert.alert_id IS DISTINCT FROM ev.alert_id THEN
            SELECT * INTO alert FROM jobs.alert_definition AS d WHERE d.alert_id = ev.alert_id;
        END IF;
        IF ev.event = 'recovered' AND NOT EXISTS (SELECT 1 FROM jobs_internal._alert_state AS s
                                                  WHERE s.alert_id = ev.alert_id AND s.job_id = ev.job_id
                                                    AND s.firing) THEN
            CONTINUE;  -- a success of a job that was not failing
        END IF;
        INSERT INTO jobs_internal._alert_state AS s (alert_id, job_id, alert_owner, job_name)
        SELECT ev.alert_id, ev.job_id, alert.owner, e.job_name FROM jobs.job_execution AS e
        WHERE e.execution_id = ev.execution_id
        ON CONFLICT (alert_id, job_id) DO UPDATE SET job_name = EXCLUDED.job_name
        RETURNING * INTO state;
        deliver := false;
        IF ev.event = 'failed' THEN
            deliver := 'failed' = ANY (alert.events)
                       AND (NOT state.firing OR state.last_failed_delivered_at IS NULL
                            OR t - state.last_failed_delivered_at >= alert.repeat_after);
            state.firing_since := CASE WHEN state.firing THEN state.firing_since ELSE ev.at END;
            state.firing := true;
            IF deliver THEN
                state.last_failed_delivered_at := t;
            END IF;
        ELSIF ev.event = 'recovered' THEN
            deliver := 'recovered' = ANY (alert.events);
            state.firing := false;
        ELSIF ev.event = 'missed' THEN
            deliver := state.last_missed_delivered_at IS NULL OR t - state.last_missed_delivered_at >= alert.repeat_after;
            IF deliver THEN
                state.last_missed_delivered_at := t;
            END IF;
        ELSE
            deliver := true;  -- long_running: once per run
        END IF;
        UPDATE jobs_internal._alert_state AS s
        SET firing = state.firing,
            firing_since = CASE WHEN state.firing THEN state.firing_since END,
            last_event = ev.event, last_event_at = ev.at, last_execution_id = ev.execution_id,
            last_failed_delivered_at = state.last_failed_delivered_at,
            last_missed_delivered_at = state.last_missed_delivered_at,
            suppressed = s.suppressed + CASE WHEN deliver THEN 0 ELSE 1 END
        WHERE s.alert_id = ev.alert_id AND s.job_id = ev.job_id;
        IF deliver THEN
            INSERT INTO jobs_internal._alert_pending (alert_id, job_id, item, noted_at)
            VALUES (ev.alert_id, ev.job_id,
                    jobs_internal._alert_item(ev.event, (SELECT e FROM jobs.job_execution AS e WHERE e.execution_id = ev.execution_id),
                                     state.firing_since, alert.long_running_after),
                    t);
        END IF;
    END LOOP;

    -- An alert's batch goes out a window after its first event: one payload
    -- (of at most 200 events; more make more payloads).
    FOR k IN SELECT p.alert_id FROM jobs_internal._alert_pending AS p GROUP BY p.alert_id
             HAVING min(p.noted_at) <= t - alert_window LOOP
        SELECT * INTO alert FROM jobs.alert_definition AS d WHERE d.alert_id = k::bigint;
        chunk := 0;
        WITH taken AS (DELETE FROM jobs_internal._alert_pending AS p WHERE p.alert_id = k::bigint RETURNING p.seq, p.item)
        SELECT jsonb_agg(taken.item ORDER BY taken.seq) INTO items FROM taken;
        WHILE chunk * 200 < jsonb_array_length(items) LOOP
            PERFORM jobs_internal._alert_deliver(alert,
                                        (SELECT jsonb_agg(x.v ORDER BY x.o) FROM jsonb_array_elements(items)
                                             WITH ORDINALITY AS x(v, o)
                                         WHERE x.o > chunk * 200 AND x.o <= (chunk + 1) * 200));
            chunk := chunk + 1;
        END LOOP;
    END LOOP;

    -- What was looked at stays an hour (past the scan's reach); a
    -- long_running mark while its run still runs.
    DELETE FROM jobs_internal._alert_event AS v
    WHERE v.noted_at < t - interval '1 hour'
      AND (v.event <> 'long_running'
           OR NOT EXISTS (SELECT 1 FROM jobs.job_execution AS e
                          WHERE e.execution_id = v.execution_id AND e.status = 'running'));
    -- Looks four times per window: a batch leaves about a window after its first event.
    RETURN least(t + alert_window / 4,
                 (SELECT min(p.noted_at) + alert_window FROM jobs_internal._alert_pending AS p));
END
$$;

CREATE FUNCTION jobs.schedule(
    job_name text,
    schedule text,
    command text,
    database text DEFAULT NULL,
    timezone text DEFAULT NULL,
    enabled boolean DEFAULT true,
    timeout interval DEFAULT NULL,
    max_retries integer DEFAULT 0,
    retry_backoff interval DEFAULT '1 second',
    retry_backoff_max interval DEFAULT '30 seconds',
    overlap text DEFAULT 'skip',
    max_concurrent integer DEFAULT 1,
    misfire text DEFAULT 'skip',
    starting_deadline interval DEFAULT NULL,
    start_at timestamptz DEFAULT NULL,
    end_at timestamptz DEFAULT NULL,
    max_runs integer DEFAULT NULL,
    run_at timestamptz DEFAULT NULL,
    min_trigger_interval interval DEFAULT NULL,
    description text DEFAULT NULL,
    tags text[] DEFAULT NULL,
    run_if text DEFAULT NULL,
    priority integer DEFAULT 0,
    blackout text DEFAULT NULL,
    blackout_policy text DEFAULT 'skip')
RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_privileged_call';
COMMENT ON FUNCTION jobs.schedule(text, text, text, text, text, boolean, interval, integer, interval, interval,
                                  text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval,
                                  text, text[], text, integer, text, text) IS
'Creates a job owned by the calling role, or redefines the caller''s job of that name; returns its job_id. '
'schedule: a cron expression, macro or interval (NULL: run only when triggered, or once at run_at); database: '
'where the command runs (default: the current one); timezone: for the schedule (default: the jobs.timezone '
'setting). The job runs as the caller. timeout: how long a run may take (default: jobs.default_timeout); '
'max_retries, retry_backoff, retry_backoff_max: retries of failed runs; overlap, max_concurrent, misfire, '
'starting_deadline, start_at, end_at, max_runs, run_at, min_trigger_interval: run policies (see the columns of '
'jobs.scheduled_job); description, tags: what the job is for and labels to filter by; run_if: a boolean SQL '
'expression checked as the owner before each run (false: the run is skipped); priority: -100..100, higher runs '
'first when runs wait for a worker; blackout, blackout_policy: cron minutes in which scheduled runs must not '
'start, skip or defer. Options left out take their defaults. Takes effect when the transaction commits.';

CREATE FUNCTION jobs.alter(
    job_id bigint,
    schedule text DEFAULT NULL,
    command text DEFAULT NULL,
    database text DEFAULT NULL,
    timezone text DEFAULT NULL,
    enabled boolean DEFAULT NULL,
    timeout interval DEFAULT NULL,
    max_retries integer DEFAULT NULL,
    retry_backoff interval DEFAULT NULL,
    retry_backoff_max interval DEFAULT NULL,
    overlap text DEFAULT NULL,
    max_concurrent integer DEFAULT NULL,
    misfire text DEFAULT NULL,
    starting_deadline interval DEFAULT NULL,
    start_at timestamptz DEFAULT NULL,
    end_at timestamptz DEFAULT NULL,
    max_runs integer DEFAULT NULL,
    run_at timestamptz DEFAULT NULL,
    min_trigger_interval interval DEFAULT NULL,
    reset text[] DEFAULT NULL,
    description text DEFAULT NULL,
    tags text[] DEFAULT NULL,
    run_if text DEFAULT NULL,
    priority integer DEFAULT NULL,
    blackout text DEFAULT NULL,
    blackout_policy text DEFAULT NULL)
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_privileged_call';
COMMENT ON FUNCTION jobs.alter(bigint, text, text, text, text, boolean, interval, integer, interval, interval,
                               text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text[],
                               text, text[], text, integer, text, text) IS
'Changes the given properties of the job with this job_id (NULL: unchanged; reset lists options to set back to '
'NULL: timeout, starting_deadline, start_at, end_at, max_runs, run_at, min_trigger_interval, description, run_if, '
'blackout; tags: back to empty). For '
'administrators: superusers may change any job; members of jobs_admin any job''s schedule, time zone, enabled and '
'run options, but not its command or database (42501); other roles only their own.';

CREATE FUNCTION jobs.alter(
    job_name text,
    schedule text DEFAULT NULL,
    command text DEFAULT NULL,
    database text DEFAULT NULL,
    timezone text DEFAULT NULL,
    enabled boolean DEFAULT NULL,
    timeout interval DEFAULT NULL,
    max_retries integer DEFAULT NULL,
    retry_backoff interval DEFAULT NULL,
    retry_backoff_max interval DEFAULT NULL,
    overlap text DEFAULT NULL,
    max_concurrent integer DEFAULT NULL,
    misfire text DEFAULT NULL,
    starting_deadline interval DEFAULT NULL,
    start_at timestamptz DEFAULT NULL,
    end_at timestamptz DEFAULT NULL,
    max_runs integer DEFAULT NULL,
    run_at timestamptz DEFAULT NULL,
    min_trigger_interval interval DEFAULT NULL,
    reset text[] DEFAULT NULL,
    description text DEFAULT NULL,
    tags text[] DEFAULT NULL,
    run_if text DEFAULT NULL,
    priority integer DEFAULT NULL,
    blackout text DEFAULT NULL,
    blackout_policy text DEFAULT NULL)
RETURNS void
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    SELECT jobs.alter(jobs_internal._own_job_id(job_name), schedule, command, database, timezone, enabled, timeout,
                      max_retries, retry_backoff, retry_backoff_max, overlap, max_concurrent, misfire,
                      starting_deadline, start_at, end_at, max_runs, run_at, min_trigger_interval, reset,
                      description, tags, run_if, priority, blackout, blackout_policy);
END;
COMMENT ON FUNCTION jobs.alter(text, text, text, text, text, boolean, interval, integer, interval, interval,
                               text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text[],
                               text, text[], text, integer, text, text) IS
'Changes the given properties of the caller''s job of this name (NULL: unchanged; reset lists options to set '
'back to NULL: timeout, starting_deadline, start_at, end_at, max_runs, run_at, min_trigger_interval, description, '
'run_if, blackout; tags: back to empty). To make a '
'scheduled job on-demand, redefine it with jobs.schedule and a NULL schedule.';

CREATE FUNCTION jobs.schedule_http(
    job_name text,
    schedule text,
    url text,
    method text DEFAULT 'POST',
    headers jsonb DEFAULT '{}',
    body jsonb DEFAULT NULL,
    timeout interval DEFAULT '30 seconds',
    timezone text DEFAULT NULL,
    enabled boolean DEFAULT true,
    max_retries integer DEFAULT 0,
    retry_backoff interval DEFAULT '1 second',
    retry_backoff_max interval DEFAULT '30 seconds',
    overlap text DEFAULT 'skip',
    max_concurrent integer DEFAULT 1,
    misfire text DEFAULT 'skip',
    starting_deadline interval DEFAULT NULL,
    start_at timestamptz DEFAULT NULL,
    end_at timestamptz DEFAULT NULL,
    max_runs integer DEFAULT NULL,
    run_at timestamptz DEFAULT NULL,
    min_trigger_interval interval DEFAULT NULL,
    description text DEFAULT NULL,
    tags text[] DEFAULT NULL,
    send text DEFAULT 'context',
    run_if text DEFAULT NULL,
    priority integer DEFAULT 0,
    blackout text DEFAULT NULL,
    blackout_policy text DEFAULT 'skip')
RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_privileged_call';
COMMENT ON FUNCTION jobs.schedule_http(text, text, text, text, jsonb, jsonb, interval, text, boolean, integer, interval, interval,
                                       text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval,
                                       text, text[], text, text, integer, text, text) IS
'Creates an HTTP job owned by the calling role, or redefines the caller''s job of that name; returns its job_id. '
'Each run sends method to url with the headers and a JSON body holding the run''s context (jobName, jobId, '
'executionId, triggeredBy, triggeredByUser, scheduledFor, attempt, config = body, payload), and an '
'Idempotency-Key header equal to the execution_id. With send => ''body'' the body is instead the given body with '
'each {{path}} (a key of jobs.context(), such as {{payload.summary}}) replaced by its value, JSON-escaped. '
'A 2xx answer succeeds unless its JSON says "success": false. run_if, priority, blackout, blackout_policy: as for '
'jobs.schedule (run_if is checked by the HTTP worker, as the owner, before the request).';

CREATE FUNCTION jobs.schedule_email(
    job_name text,
    schedule text,
    smtp_url text,
    mail_from text,
    mail_to text[],
    subject text,
    body text,
    username text DEFAULT NULL,
    password text DEFAULT NULL,
    timeout interval DEFAULT '30 seconds',
    timezone text DEFAULT NULL,
    enabled boolean DEFAULT true,
    max_retries integer DEFAULT 0,
    retry_backoff interval DEFAULT '1 second',
    retry_backoff_max interval DEFAULT '30 seconds',
    description text DEFAULT NULL,
    tags text[] DEFAULT NULL,
    run_if text DEFAULT NULL,
    priority integer DEFAULT 0,
    blackout text DEFAULT NULL,
    blackout_policy text DEFAULT 'skip')
RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_privileged_call';
COMMENT ON FUNCTION jobs.schedule_email(text, text, text, text, text[], text, text, text, text, interval, text, boolean,
                                        integer, interval, interval, text, text[], text, integer, text, text) IS
'Creates an e-mail job owned by the calling role, or redefines the caller''s job of that name; returns its job_id. '
'Each run sends a plain-text e-mail from mail_from to mail_to through smtp_url (smtp://host[:port], upgraded with '
'STARTTLS when the server offers it, or smtps://host[:port]); {{path}} placeholders in subject and body are filled '
'from jobs.context() (such as {{payload.summary}}). username and password (always a {{secret:NAME}} reference) log '
'in; a login is only sent over TLS. Runs fail on an SMTP refusal; max_retries retries 4xx (transient) refusals and '
'lost connections, never 5xx. The host must be allowed by jobs.http_allowed_hosts. run_if, priority, blackout, '
'blackout_policy: as for jobs.schedule (run_if is checked by the HTTP worker, as the owner, before sending).';

-------------------------------------------------------------------------------
-- flow: workflows (issue 15), DAGs of the owner's jobs
-------------------------------------------------------------------------------
--
-- A workflow is a job of kind 'workflow' whose command is its definition,
-- the steps as normalized JSON (jobs.schedule_workflow). A workflow run is
-- one jobs.job_execution row of kind 'workflow' that holds the definition
-- it was queued with (command). The launcher starts its due queued runs
-- (jobs_internal._start_workflow_runs): 'running', and the root steps queued, in one
-- transaction. Each step's run is a row too (workflow_execution_id, step,
-- triggered_by 'workflow'), claimed by the workers like any run. The trigger
-- workflow_status_changed, in the transaction that records a step's end (the same
-- one as its effects for SQL steps), queues the steps that became ready,
-- records 'skipped' those whose condition is false, and ends the workflow
-- run when every step has ended. So a crash loses nothing: a step's end and
-- what it sets going commit together, and a step interrupted by the crash
-- is marked crashed (then retried or not, as its job says) like any run.
-- Rows lock in one order: a step's row, then its workflow run's row; the
-- cascade of a cancelled workflow run skips the step rows locked by their
-- ending (those see the workflow ended and stop there).

-- kind 'workflow' and triggered_by 'workflow' are accepted by the CHECKs'
-- functions (src/core/row_values.cpp).
-- A workflow's command is its steps (JSON); its runs take no timeout, retry,
-- starting deadline or one-shot time (its steps' jobs have theirs), and
-- overlap replace has no meaning for it (jobs.alter cannot set them either).
ALTER TABLE jobs.scheduled_job ADD CONSTRAINT scheduled_job_workflow_check
    CHECK (kind <> 'workflow' OR (jsonb_typeof(command::jsonb) = 'array' AND overlap <> 'replace'
                                  AND timeout IS NULL AND max_retries = 0 AND starting_deadline IS NULL
                                  AND run_at IS NULL));
ALTER TABLE jobs.job_execution ADD COLUMN workflow_execution_id bigint;
ALTER TABLE jobs.job_execution ADD COLUMN step text;
ALTER TABLE jobs.job_execution ADD COLUMN workflow_context jsonb;
-- A workflow run's step runs, each step's latest attempt first.
CREATE INDEX job_execution_by_workflow ON jobs.job_execution (workflow_execution_id, step, execution_id DESC)
    WHERE workflow_execution_id IS NOT NULL;
-- Whether a workflow run still has a step queued or running: one probe.
CREATE INDEX job_execution_workflow_active ON jobs.job_execution (workflow_execution_id)
    WHERE workflow_execution_id IS NOT NULL AND status IN ('queued', 'running');
COMMENT ON COLUMN jobs.job_execution.workflow_execution_id IS
'Runs of a workflow''s steps: the workflow run (its execution_id) they belong to; NULL otherwise.';
COMMENT ON COLUMN jobs.job_execution.step IS 'Runs of a workflow''s steps: the name of the step.';
COMMENT ON COLUMN jobs.job_execution.workflow_context IS
'Runs of a workflow''s steps: what jobs.context() adds, {workflow: {execution_id, name, step}, upstream: {<step>: '
'{status, result}}} for each direct upstream step as it ended. Workflow runs: their plan once started, {steps: '
'{<step>: {job, after, when, downstream}}}.';

-- The first cycle of a workflow's graph ("a -> b -> a"), NULL if none:
-- src/core/workflow_graph.cpp.
CREATE FUNCTION jobs_internal._workflow_cycle(steps text[], ups text[], downs text[])
RETURNS text
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pg_jobs_workflow_cycle';
COMMENT ON FUNCTION jobs_internal._workflow_cycle(text[], text[], text[]) IS
'Internal: the first cycle of the graph of steps and edges ups[i] -> downs[i], as "a -> b -> a"; NULL if none.';
REVOKE EXECUTE ON FUNCTION jobs_internal._workflow_cycle(text[], text[], text[]) FROM PUBLIC;

-- The steps of workflow `workflow_name` of role `owner` checked and
-- normalized: [{step, job, after: [...], when}, ...] in the order given.
-- Every refusal is 22023 and says why.
CREATE FUNCTION jobs_internal._workflow_steps(owner name, workflow_name text, steps jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    item jsonb;
    position integer := 0;
    names text[] := '{}';
    normalized jsonb := '[]';
    after_list text[];
    condition text;
    ups text[] := '{}';
    downs text[] := '{}';
    cycle text;
    bad record;
    owner_id regrole := jobs_internal._role_id(owner);
BEGIN
    IF steps IS NULL OR jsonb_typeof(steps) <> 'array' OR jsonb_array_length(steps) = 0 THEN
        RAISE EXCEPTION 'workflow "%": steps must be a non-empty JSON array', workflow_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass [{"step": "extract", "job": "extract-orders"}, {"step": "load", "job": "load", '
                         '"after": ["extract"]}].';
    END IF;
    IF jsonb_array_length(steps) > 10000 THEN
        RAISE EXCEPTION 'workflow "%": % steps, at most 10000', workflow_name, jsonb_array_length(steps)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR item IN SELECT s FROM jsonb_array_elements(steps) AS s LOOP
        position := position + 1;
        IF jsonb_typeof(item) <> 'object' OR jsonb_typeof(item -> 'step') IS DISTINCT FROM 'string'
           OR item ->> 'step' !~ '\S' OR jsonb_typeof(item -> 'job') IS DISTINCT FROM 'string'
           OR item ->> 'job' !~ '\S' THEN
            RAISE EXCEPTION 'workflow "%": step % must be an object with a "step" name and a "job" name', workflow_name,
                position
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'For example {"step": "extract", "job": "extract-orders"}.';
        END IF;
        SELECT k INTO condition FROM jsonb_object_keys(item) AS k WHERE k NOT IN ('step', 'job', 'after', 'when') LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'workflow "%": step "%" has an unknown key "%"', workflow_name, item ->> 'step', condition
                USING ERRCODE = 'invalid_parameter_value', HINT = 'A step has the keys step, job, after and when.';
        END IF;
        IF (item ->> 'step') = ANY (names) THEN
            RAISE EXCEPTION 'workflow "%": step "%" is listed twice', workflow_name, item ->> 'step'
                USING ERRCODE = 'invalid_parameter_value', HINT = 'Give each step a name of its own.';
        END IF;
        names := names || (item ->> 'step');
        IF item ? 'after' AND (jsonb_typeof(item -> 'after') <> 'array'
                               OR EXISTS (SELECT FROM jsonb_array_elements(item -> 'after') AS a
                                          WHERE jsonb_typeof(a) <> 'string')) THEN
            RAISE EXCEPTION 'workflow "%": "after" of step "%" must be an array of step names', workflow_name,
                item ->> 'step'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        after_list := array(SELECT DISTINCT a FROM jsonb_array_elements_text(coalesce(item -> 'after', '[]')) AS a
                            ORDER BY a);
        condition := coalesce(item ->> 'when', 'success');
        IF condition NOT IN ('success', 'failure', 'always') OR jsonb_typeof(item -> 'when') = 'null' THEN
            RAISE EXCEPTION 'workflow "%": "when" of step "%" must be success, failure or always, not %',
                workflow_name, item ->> 'step', item -> 'when'
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'success (the default): when every upstream step succeeded; failure: when one failed '
                             'for good; always: once they all ended.';
        END IF;
        ups := ups || after_list;
        downs := downs || array_fill(item ->> 'step', ARRAY[cardinality(after_list)]);
        normalized := normalized || jsonb_build_array(jsonb_build_object(
            'step', item ->> 'step', 'job', item ->> 'job', 'after', to_jsonb(after_list), 'when', condition));
    END LOOP;
    SELECT u.up, u.down INTO bad FROM unnest(ups, downs) AS u(up, down) WHERE u.up <> ALL (names) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'workflow "%": step "%" runs after "%", which is not a step of the workflow', workflow_name,
            bad.down, bad.up
            USING ERRCODE = 'invalid_parameter_value', HINT = format('The steps are: %s.', array_to_string(names, ', '));
    END IF;
    cycle := jobs_internal._workflow_cycle(names, ups, downs);
    IF cycle IS NOT NULL THEN
        RAISE EXCEPTION 'workflow "%" has a cycle: %', workflow_name, cycle
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A step cannot run after itself, directly or through other steps: remove one "after".';
    END IF;
    -- Security 7: a step runs one of the owner's own jobs; another role's
    -- job of that name answers as a missing one.
    SELECT s ->> 'step' AS step, s ->> 'job' AS job, j.kind INTO bad
    FROM jsonb_array_elements(normalized) AS s
    LEFT JOIN jobs.scheduled_job AS j ON j.owner = owner_id AND j.job_name = s ->> 'job'
    WHERE j.job_id IS NULL OR j.kind = 'workflow' OR j.job_name = workflow_name LIMIT 1;
    IF FOUND AND bad.kind IS NULL THEN
        RAISE EXCEPTION 'workflow "%": step "%" runs job "%", which is not a job of role "%"', workflow_name,
            bad.step, bad.job, owner
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A step runs one of the workflow owner''s own jobs (SQL, HTTP or e-mail): define it first '
                         'with jobs.schedule (schedule => NULL for a job that runs only in workflows).';
    ELSIF FOUND THEN
        RAISE EXCEPTION 'workflow "%": step "%" runs job "%", which is a workflow', workflow_name, bad.step, bad.job
            USING ERRCODE = 'invalid_parameter_value', HINT = 'A step runs an SQL, HTTP or e-mail job.';
    END IF;
    RETURN normalized;
END
$$;
COMMENT ON FUNCTION jobs_internal._workflow_steps(name, text, jsonb) IS
'Internal: the steps of a workflow checked (22023: malformed, a step listed twice, an unknown step in "after", '
'a cycle, a job that is not the owner''s) and normalized.';
REVOKE EXECUTE ON FUNCTION jobs_internal._workflow_steps(name, text, jsonb) FROM PUBLIC;

CREATE FUNCTION jobs_internal._schedule_workflow(caller name, workflow_name text, schedule text, steps jsonb, timezone text,
                                        enabled boolean, overlap text, max_concurrent integer, misfire text,
                                        start_at timestamptz, end_at timestamptz, max_runs integer,
                                        min_trigger_interval interval, description text, tags text[], run_if text,
                                        priority integer, blackout text, blackout_policy text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    zone text := coalesce(timezone, current_setting('jobs.timezone'));
    definition jsonb;
    result_id bigint;
BEGIN
    definition := jobs_internal._workflow_steps(caller, workflow_name, steps);
    PERFORM jobs_internal._check_definition(workflow_name, schedule, definition::text, current_database(), zone, caller);
    PERFORM jobs_internal._check_schedule_interval(schedule, zone, caller);
    PERFORM jobs_internal._check_run_policy(schedule, overlap, max_concurrent, misfire, NULL, start_at, end_at, max_runs,
                                   NULL, min_trigger_interval);
    IF overlap = 'replace' THEN
        RAISE EXCEPTION 'overlap replace is not available for workflows'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass ''skip'' (the default), ''queue'' or ''allow''; cancel a run with jobs.cancel.';
    END IF;
    IF enabled IS NULL THEN
        RAISE EXCEPTION 'enabled must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass true or false, or leave it out (true).';
    END IF;
    PERFORM jobs_internal._check_metadata(description, tags);
    PERFORM jobs_internal._check_job_options(run_if, priority, blackout, blackout_policy, zone);
    PERFORM jobs_internal._check_job_quota(caller, workflow_name);
    INSERT INTO jobs.scheduled_job AS j (job_name, owner, schedule, timezone, command, database, enabled, kind,
                                         overlap, max_concurrent, misfire, start_at, end_at, max_runs,
                                         min_trigger_interval, description, tags, run_if, priority, blackout,
                                         blackout_policy)
    VALUES (workflow_name, jobs_internal._role_id(caller), schedule, zone, definition::text, current_database(), enabled,
            'workflow', overlap, max_concurrent, misfire, start_at, end_at, max_runs, min_trigger_interval,
            description, coalesce(tags, '{}'), run_if, priority, blackout, blackout_policy)
    ON CONFLICT ON CONSTRAINT scheduled_job_owner_job_name_key DO UPDATE
        SET schedule = excluded.schedule, timezone = excluded.timezone, command = excluded.command,
            database = excluded.database, enabled = excluded.enabled, kind = 'workflow', http_method = NULL,
            http_url = NULL, http_headers = NULL, http_body = NULL, http_send = NULL, smtp_url = NULL,
            smtp_username = NULL, smtp_password = NULL, mail_from = NULL, mail_to = NULL, mail_subject = NULL,
            mail_body = NULL, timeout = NULL, max_retries = 0, overlap = excluded.overlap,
            max_concurrent = excluded.max_concurrent, misfire = excluded.misfire, starting_deadline = NULL,
            start_at = excluded.start_at, end_at = excluded.end_at, max_runs = excluded.max_runs, run_at = NULL,
            min_trigger_interval = excluded.min_trigger_interval, disabled_reason = NULL, updated_at = now(),
            description = excluded.description, tags = excluded.tags, run_if = excluded.run_if,
            priority = excluded.priority, blackout = excluded.blackout, blackout_policy = excluded.blackout_policy
    RETURNING j.job_id INTO result_id;
    DELETE FROM jobs_internal._http_secret AS s WHERE s.job_id = result_id;
    PERFORM jobs_internal._wake_scheduler(true, result_id);
    RETURN result_id;
END
$$;
COMMENT ON FUNCTION jobs_internal._schedule_workflow(name, text, text, jsonb, text, boolean, text, integer, text, timestamptz,
                                            timestamptz, integer, interval, text, text[], text, integer, text,
                                            text) IS
'Internal: the privileged part of jobs.schedule_workflow; call jobs.schedule_workflow.';
REVOKE EXECUTE ON FUNCTION jobs_internal._schedule_workflow(name, text, text, jsonb, text, boolean, text, integer, text,
                                                   timestamptz, timestamptz, integer, interval, text, text[], text,
                                                   integer, text, text)
    FROM PUBLIC;

CREATE FUNCTION jobs.schedule_workflow(
    workflow_name text,
    schedule text,
    steps jsonb,
    timezone text DEFAULT NULL,
    enabled boolean DEFAULT true,
    overlap text DEFAULT 'skip',
    max_concurrent integer DEFAULT 1,
    misfire text DEFAULT 'skip',
    start_at timestamptz DEFAULT NULL,
    end_at timestamptz DEFAULT NULL,
    max_runs integer DEFAULT NULL,
    min_trigger_interval interval DEFAULT NULL,
    description text DEFAULT NULL,
    tags text[] DEFAULT NULL,
    run_if text DEFAULT NULL,
    priority integer DEFAULT 0,
    blackout text DEFAULT NULL,
    blackout_policy text DEFAULT 'skip')
RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_privileged_call';
COMMENT ON FUNCTION jobs.schedule_workflow(text, text, jsonb, text, boolean, text, integer, text, timestamptz,
                                           timestamptz, integer, interval, text, text[], text, integer, text, text) IS
'Creates a workflow owned by the calling role, or redefines the caller''s job of that name; returns its job_id. '
'steps: [{"step": name, "job": one of the caller''s jobs, "after": [step names], "when": "success" | "failure" | '
'"always"}, ...]: a step starts once every step of its "after" has ended, if its condition holds (success, the '
'default: they all succeeded; failure: one of them failed for good; always), else it is recorded skipped. A run '
'of the workflow succeeds when every step that ran succeeded. schedule, timezone, enabled and the run policies '
'as for jobs.schedule; a workflow is triggered, enabled, disabled, unscheduled, waited for and cancelled as any '
'job. 22023 for a malformed definition, a step listed twice, an "after" naming no step, a cycle, or a job that '
'is not the caller''s. run_if is checked as the caller just before each run starts (false or NULL: the run is '
'skipped; within 5 seconds); priority (the steps'' runs are claimed at the higher of it and their job''s), blackout '
'and blackout_policy as for jobs.schedule.';

-- What a step's run is queued with: the step's job, as the workflow's
-- owner has it now. `upstream`: {step: {status, result}} of its direct
-- upstream steps.
CREATE FUNCTION jobs_internal._workflow_queue_step(run jobs.job_execution, definition jsonb, upstream jsonb,
                                          skip_reason text)
RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    job jobs.scheduled_job;
    context jsonb := jsonb_build_object(
        'workflow', jsonb_build_object('execution_id', run.execution_id, 'name', run.job_name,
                                       'step', definition ->> 'step'),
        'upstream', upstream);
BEGIN
    SELECT * INTO job FROM jobs.scheduled_job AS j WHERE j.owner = run.owner AND j.job_name = definition ->> 'job';
    IF skip_reason IS NOT NULL THEN
        INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, kind, triggered_by,
                                        triggered_by_user, payload, workflow_execution_id, step, workflow_context,
                                        status, finished_at, error, skipped_count)
        VALUES (coalesce(job.job_id, 0), definition ->> 'job', run.owner, pg_get_userbyid(run.owner),
                coalesce(job.database, run.database), coalesce(job.command, ''),
                coalesce(nullif(job.kind, 'workflow'), 'sql'), 'workflow', run.triggered_by_user, run.payload,
                run.execution_id, definition ->> 'step', context, 'skipped', clock_timestamp(), skip_reason, 1);
        RETURN 'skipped';
    ELSIF job.job_id IS NULL OR job.kind = 'workflow' THEN
        -- Unscheduled (or made a workflow) since the definition: the step
        -- fails without starting.
        INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, kind, triggered_by,
                                        triggered_by_user, payload, workflow_execution_id, step, workflow_context,
                                        status, finished_at, error, sqlstate)
        VALUES (coalesce(job.job_id, 0), definition ->> 'job', run.owner, pg_get_userbyid(run.owner), run.database,
                '', 'sql', 'workflow', run.triggered_by_user, run.payload, run.execution_id, definition ->> 'step',
                context, 'failed', clock_timestamp(),
                format('job "%s" of step "%s" is %s', definition ->> 'job', definition ->> 'step',
                       CASE WHEN job.job_id IS NULL THEN 'no longer defined' ELSE 'now a workflow' END), '42704');
        RETURN 'failed';
    END IF;
    INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, kind, triggered_by,
                                    triggered_by_user, payload, workflow_execution_id, step, workflow_context,
                                    priority)
    VALUES (job.job_id, job.job_name, job.owner, pg_get_userbyid(job.owner), job.database, job.command, job.kind,
            'workflow', run.triggered_by_user, run.payload, run.execution_id, definition ->> 'step', context,
            greatest(job.priority, run.priority));
    RETURN 'queued';
END
$$;
COMMENT ON FUNCTION jobs_internal._workflow_queue_step(jobs.job_execution, jsonb, jsonb, text) IS
'Internal: queues the run of a workflow step (or records it skipped with skip_reason); returns its status.';
REVOKE EXECUTE ON FUNCTION jobs_internal._workflow_queue_step(jobs.job_execution, jsonb, jsonb, text) FROM PUBLIC;

-- Decides the steps of `candidates` (step names) of running workflow run
-- `run` (its row locked by the caller) that have no run yet and whose
-- upstream steps have all ended: queued, or skipped with the reason; a
-- skipped or failed one makes its own downstream steps candidates. Then,
-- if no step of the run is queued or running, ends the run: succeeded if
-- every step that ran succeeded, else failed; result {step: status}.
CREATE FUNCTION jobs_internal._workflow_advance(run jobs.job_execution, candidates text[])
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    plan jsonb := run.workflow_context -> 'steps';
    worklist text[] := candidates;
    next_index integer := 1;  -- worklist[next_index] comes next (slicing it off copied the list at each step)
    current text;
    step_def jsonb;
    upstream jsonb;
    all_ended boolean;
    not_succeeded text;
    any_failed boolean;
    reason text;
    outcome text;
    queued integer := 0;
    missing text[];
    rounds integer := 0;
    ending record;
BEGIN
    LOOP
        WHILE next_index <= cardinality(worklist) LOOP
            current := worklist[next_index];
            next_index := next_index + 1;
            step_def := plan -> current;
            IF step_def IS NULL OR EXISTS (SELECT FROM jobs.job_execution AS e
                                           WHERE e.workflow_execution_id = run.execution_id AND e.step = current) THEN
                CONTINUE;
            END IF;
            SELECT coalesce(jsonb_object_agg(u.name, jsonb_build_object('status', l.status, 'result', l.result)), '{}'),
                   coalesce(bool_and(l.status IS NOT NULL AND l.status NOT IN ('queued', 'running')), true),
                   string_agg(format('%s (%s)', u.name, l.status), ', ' ORDER BY u.name)
                       FILTER (WHERE l.status IS DISTINCT FROM 'succeeded'),
                   coalesce(bool_or(l.status IN ('failed', 'timed_out', 'cancelled', 'crashed')), false)
            INTO upstream, all_ended, not_succeeded, any_failed
            FROM jsonb_array_elements_text(step_def -> 'after') AS u(name)
            LEFT JOIN LATERAL (SELECT e.status, e.result FROM jobs.job_execution AS e
                               WHERE e.workflow_execution_id = run.execution_id AND e.step = u.name
                               ORDER BY e.execution_id DESC LIMIT 1) AS l ON true;
            IF NOT all_ended THEN
                CONTINUE;  -- the last upstream step to end decides it
            END IF;
            reason := CASE step_def ->> 'when'
                WHEN 'success' THEN CASE WHEN not_succeeded IS NOT NULL THEN
                    format('skipped: upstream step(s) did not succeed: %s (when success)', not_succeeded) END
                WHEN 'failure' THEN CASE WHEN NOT any_failed THEN
                    'skipped: no upstream step failed (when failure)' END
            END;
            outcome := jobs_internal._workflow_queue_step(run, step_def || jsonb_build_object('step', current), upstream,
                                                 reason);
            IF outcome = 'queued' THEN
                queued := queued + 1;
            ELSE
                worklist := worklist || array(SELECT jsonb_array_elements_text(step_def -> 'downstream'));
            END IF;
        END LOOP;
        IF EXISTS (SELECT FROM jobs.job_execution AS e
                   WHERE e.workflow_execution_id = run.execution_id AND e.status IN ('queued', 'running')) THEN
            EXIT;
        END IF;
        -- Nothing left running: every step must have its run. Any without
        -- (none, but for history removed meanwhile) is decided now.
        missing := array(SELECT k FROM jsonb_object_keys(plan) AS k
                         WHERE NOT EXISTS (SELECT FROM jobs.job_execution AS e
                                           WHERE e.workflow_execution_id = run.execution_id AND e.step = k));
        rounds := rounds + 1;
        EXIT WHEN cardinality(missing) = 0 OR rounds > cardinality(missing) + 1;
        worklist := missing;
        next_index := 1;
    END LOOP;
    IF queued > 0 THEN
        PERFORM jobs_internal._wake_scheduler(false);
    END IF;
    IF EXISTS (SELECT FROM jobs.job_execution AS e
               WHERE e.workflow_execution_id = run.execution_id AND e.status IN ('queued', 'running')) THEN
        RETURN;
    END IF;
    SELECT jsonb_object_agg(l.step, l.status) AS result,
           string_agg(format('%s (%s)', l.step, l.status), ', ' ORDER BY l.step)
               FILTER (WHERE l.status NOT IN ('succeeded', 'skipped')) AS failures
    INTO ending
    FROM (SELECT DISTINCT ON (e.step) e.step, e.status FROM jobs.job_execution AS e
          WHERE e.workflow_execution_id = run.execution_id ORDER BY e.step, e.execution_id DESC) AS l;
    PERFORM jobs_internal._finish_runs('running', ARRAY[run.execution_id],
                              ARRAY[CASE WHEN ending.failures IS NULL THEN 'succeeded' ELSE 'failed' END],
                              errors => ARRAY['step(s) did not succeed: ' || ending.failures],
                              results => ARRAY[ending.result::text]);
END
$$;
COMMENT ON FUNCTION jobs_internal._workflow_advance(jobs.job_execution, text[]) IS
'Internal: queues or skips the candidate steps of a running workflow run that became ready, and ends the run '
'when all its steps have ended.';
REVOKE EXECUTE ON FUNCTION jobs_internal._workflow_advance(jobs.job_execution, text[]) FROM PUBLIC;

-- Starts the queued workflow runs that are due (a scheduled run of a
-- workflow whose overlap is not 'allow' waits for the earlier runs),
-- queuing their root steps; returns how many started. Those of workflows
-- with a run_if (with_conditions) are the HTTP worker's, which checks
-- conditions already; the others the launcher's, which so never runs a
-- role's code: a slow condition cannot hold up anyone's scheduling.
CREATE FUNCTION jobs_internal._start_workflow_runs(with_conditions boolean DEFAULT false,
                                                   max_runs integer DEFAULT NULL, only_owner oid DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run jobs.job_execution;
    started integer := 0;
    queued integer;
    condition text;
    verdict record;
BEGIN
    FOR run IN
        SELECT q.* FROM jobs.job_execution AS q
        WHERE q.status = 'queued' AND q.kind = 'workflow'
          AND (q.not_before IS NULL OR q.not_before <= clock_timestamp())
          AND NOT (q.triggered_by = 'schedule'
                   AND EXISTS (SELECT FROM jobs.job_execution AS r WHERE r.job_id = q.job_id
                                 AND r.status IN ('queued', 'running') AND r.execution_id < q.execution_id)
                   AND EXISTS (SELECT FROM jobs.scheduled_job AS j WHERE j.job_id = q.job_id AND j.overlap <> 'allow'))
          AND coalesce((SELECT j.run_if IS NOT NULL FROM jobs.scheduled_job AS j WHERE j.job_id = q.job_id), false)
              = with_conditions
          AND (only_owner IS NULL OR q.owner::oid = only_owner)  -- the HTTP worker takes the owners in turn
        ORDER BY q.execution_id
        LIMIT max_runs  -- the HTTP worker checks one condition at a time, between its transfers
        FOR UPDATE OF q SKIP LOCKED
    LOOP
        -- opts: the workflow's run_if, as its owner, right before the start.
        condition := (SELECT j.run_if FROM jobs.scheduled_job AS j WHERE j.job_id = run.job_id);
        IF condition IS NOT NULL THEN
            verdict := jobs_internal._check_run_if(condition, run.owner);
            IF verdict.status IS NOT NULL THEN
                PERFORM jobs_internal._finish_runs('queued', ARRAY[run.execution_id], ARRAY[verdict.status],
                                                   ARRAY[verdict.error], ARRAY[verdict.sqlstate]);
                CONTINUE;
            END IF;
        END IF;
        -- The plan: each step with the steps after it (so a step's end
        -- finds what it may make ready without reading every step).
        UPDATE jobs.job_execution AS e SET status = 'running', started_at = clock_timestamp(),
            workflow_context = jsonb_build_object('steps', (
                WITH def AS (SELECT d FROM jsonb_array_elements(e.command::jsonb) AS d),
                     edges AS (SELECT a AS up, jsonb_agg(def.d ->> 'step') AS downs
                               FROM def, jsonb_array_elements_text(def.d -> 'after') AS a GROUP BY a)
                SELECT jsonb_object_agg(def.d ->> 'step', (def.d - 'step')
                                        || jsonb_build_object('downstream', coalesce(edges.downs, '[]')))
                FROM def LEFT JOIN edges ON edges.up = def.d ->> 'step'))
        WHERE e.execution_id = run.execution_id AND e.status = 'queued'
        RETURNING e.* INTO run;
        -- As for a run a worker starts: run_started (with jobs.notify_events = all).
        PERFORM jobs_internal._notify_event(jsonb_build_object('event', 'run_started', 'execution_id', run.execution_id,
                                                               'job_id', run.job_id, 'status', 'running',
                                                               'attempt', run.attempt));
        -- The root steps, at once (those whose job is gone, or that run
        -- only on an upstream failure, are decided one by one below).
        INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, kind, triggered_by,
                                        triggered_by_user, payload, workflow_execution_id, step, workflow_context,
                                        priority)
        SELECT j.job_id, j.job_name, j.owner, pg_get_userbyid(j.owner), j.database, j.command, j.kind, 'workflow',
               run.triggered_by_user, run.payload, run.execution_id, p.key,
               jsonb_build_object('workflow', jsonb_build_object('execution_id', run.execution_id, 'name',
                                                                 run.job_name, 'step', p.key),
                                  'upstream', '{}'::jsonb), greatest(j.priority, run.priority)
        FROM jsonb_each(run.workflow_context -> 'steps') AS p
        JOIN jobs.scheduled_job AS j ON j.owner = run.owner AND j.job_name = p.value ->> 'job' AND j.kind <> 'workflow'
        WHERE jsonb_array_length(p.value -> 'after') = 0 AND p.value ->> 'when' <> 'failure';
        GET DIAGNOSTICS queued = ROW_COUNT;
        IF queued > 0 THEN
            PERFORM jobs_internal._wake_scheduler(false);
        END IF;
        PERFORM jobs_internal._workflow_advance(run, array(
            SELECT p.key FROM jsonb_each(run.workflow_context -> 'steps') AS p
            WHERE jsonb_array_length(p.value -> 'after') = 0
              AND NOT EXISTS (SELECT FROM jobs.job_execution AS e
                              WHERE e.workflow_execution_id = run.execution_id AND e.step = p.key)));
        started := started + 1;
    END LOOP;
    RETURN started;
END
$$;
COMMENT ON FUNCTION jobs_internal._start_workflow_runs(boolean, integer, oid) IS
'Internal: starts the due queued workflow runs (status running, root steps queued), those of workflows with a run_if '
'(with_conditions: the HTTP worker, which checks it) or without (the launcher), at most max_runs (NULL: all) of '
'them, of role only_owner (NULL: any), oldest first; returns how many started.';
REVOKE EXECUTE ON FUNCTION jobs_internal._start_workflow_runs(boolean, integer, oid) FROM PUBLIC;

-- opts: a workflow's run_if, checked by the HTTP worker as the owner
-- (src/pg/common/run_condition.hpp): (NULL, NULL, NULL) when it holds.
CREATE FUNCTION jobs_internal._check_run_if(run_if text, owner oid, OUT status text, OUT error text, OUT sqlstate text)
LANGUAGE C VOLATILE STRICT
AS 'MODULE_PATHNAME', 'pg_jobs_check_run_if';
COMMENT ON FUNCTION jobs_internal._check_run_if(text, oid) IS
'Internal: evaluates run_if as role owner, security-restricted and within 5 seconds; returns NULLs when it holds, '
'(skipped, run_if was false) when false or NULL, (failed, its error, its SQLSTATE) when it fails. Superuser only.';
REVOKE EXECUTE ON FUNCTION jobs_internal._check_run_if(text, oid) FROM PUBLIC;

-- A step's run ended (for good: a retry queued by queue_retry, which fires
-- first, keeps the step going): its workflow run advances, in the same
-- transaction. A workflow run that ended meanwhile (cancelled) stays so.
CREATE FUNCTION jobs_internal._workflow_step_ended(old_run jobs.job_execution, new_run jobs.job_execution)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run jobs.job_execution;
BEGIN
    IF old_run.status NOT IN ('queued', 'running') OR new_run.status IN ('queued', 'running') THEN
        RETURN;  -- not the step's end (a claim, say)
    END IF;
    IF EXISTS (SELECT FROM jobs.job_execution AS r WHERE r.workflow_execution_id = new_run.workflow_execution_id
                 AND r.step = new_run.step AND r.execution_id > new_run.execution_id) THEN
        RETURN;  -- retried
    END IF;
    SELECT * INTO run FROM jobs.job_execution AS w WHERE w.execution_id = new_run.workflow_execution_id FOR UPDATE;
    IF NOT FOUND OR run.status <> 'running' THEN
        RETURN;
    END IF;
    PERFORM jobs_internal._workflow_advance(run, array(SELECT jsonb_array_elements_text(
                                                  run.workflow_context -> 'steps' -> new_run.step -> 'downstream')));
END
$$;
COMMENT ON FUNCTION jobs_internal._workflow_step_ended(jobs.job_execution, jobs.job_execution) IS
'Internal (trigger workflow_status_changed): advances a workflow run when one of its steps ends for good.';
REVOKE EXECUTE ON FUNCTION jobs_internal._workflow_step_ended(jobs.job_execution, jobs.job_execution) FROM PUBLIC;

-- A workflow run that ended otherwise than by its last step (jobs.cancel,
-- overlap replace, jobs.unschedule of a queued one): its queued steps are
-- cancelled, its running ones interrupted (their workers record them
-- cancelled), and the steps never started are recorded skipped.
CREATE FUNCTION jobs_internal._workflow_run_ended(old_run jobs.job_execution, new_run jobs.job_execution)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    by_role name := coalesce(new_run.cancel_requested_by, pg_get_userbyid(new_run.owner));
    why text := format('the workflow run %s ended (%s) before this step ended', new_run.execution_id, new_run.status);
    running record;
BEGIN
    IF old_run.status <> 'running' OR new_run.status IN ('queued', 'running') THEN
        RETURN;  -- not the workflow run's end
    END IF;
    PERFORM jobs_internal._finish_runs('queued', array(SELECT e.execution_id FROM jobs.job_execution AS e
                                              WHERE e.workflow_execution_id = new_run.execution_id
                                                AND e.status = 'queued' FOR UPDATE SKIP LOCKED),
                              '{cancelled}', ARRAY[why], '{57014}', cancelled_by => ARRAY[by_role]);
    FOR running IN UPDATE jobs.job_execution AS e SET cancel_requested_by = by_role, error = why
                   WHERE e.execution_id IN (SELECT x.execution_id FROM jobs.job_execution AS x
                                            WHERE x.workflow_execution_id = new_run.execution_id
                                              AND x.status = 'running'
                                            FOR UPDATE SKIP LOCKED)
                   RETURNING e.execution_id, e.kind LOOP
        PERFORM jobs_internal._request_cancel(running.execution_id, running.kind);
    END LOOP;
    PERFORM jobs_internal._workflow_queue_step(new_run, s, NULL,
                                      format('skipped: the workflow run %s ended (%s) before this step started',
                                             new_run.execution_id, new_run.status))
    FROM jsonb_array_elements(new_run.command::jsonb) AS s
    WHERE NOT EXISTS (SELECT FROM jobs.job_execution AS e
                      WHERE e.workflow_execution_id = new_run.execution_id AND e.step = s ->> 'step');
END
$$;
COMMENT ON FUNCTION jobs_internal._workflow_run_ended(jobs.job_execution, jobs.job_execution) IS
'Internal (trigger workflow_status_changed): cancels the unfinished steps of a workflow run that was cancelled or '
'replaced.';
REVOKE EXECUTE ON FUNCTION jobs_internal._workflow_run_ended(jobs.job_execution, jobs.job_execution) FROM PUBLIC;

-- One trigger for both: PostgreSQL prepares each row trigger's WHEN anew in
-- every statement that updates a run's status (each claim and each end of
-- any run), so one short WHEN costs half of two. queue_retry fires first.
CREATE FUNCTION jobs_internal._workflow_status_changed()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.workflow_execution_id IS NOT NULL THEN
        PERFORM jobs_internal._workflow_step_ended(OLD, NEW);
    END IF;
    IF NEW.kind = 'workflow' THEN
        PERFORM jobs_internal._workflow_run_ended(OLD, NEW);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION jobs_internal._workflow_status_changed() IS
'Internal: trigger that advances a workflow run when one of its steps ends, and ends the steps of a workflow run '
'that ended early.';
REVOKE EXECUTE ON FUNCTION jobs_internal._workflow_status_changed() FROM PUBLIC;

CREATE TRIGGER workflow_status_changed
    AFTER UPDATE OF status ON jobs.job_execution
    FOR EACH ROW
    WHEN (NEW.workflow_execution_id IS NOT NULL OR NEW.kind = 'workflow')
    EXECUTE FUNCTION jobs_internal._workflow_status_changed();
COMMENT ON TRIGGER workflow_status_changed ON jobs.job_execution IS
'Advances the workflow run of a step that ended (jobs_internal._workflow_step_ended), and cancels the unfinished '
'steps of a workflow run that ended early (jobs_internal._workflow_run_ended).';

-- flow: jobs.cancel ends a running workflow run at once (its steps follow);
-- a step's retry stays in its workflow run.
CREATE OR REPLACE FUNCTION jobs_internal._cancel(caller name, execution_id bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run jobs.job_execution;
    caller_id regrole := jobs_internal._role_id(caller);
    sees_all boolean := coalesce(jobs_internal._administers_jobs(caller), false);  -- superusers and jobs_admin (Security 20)
BEGIN
    -- Another role's run answers as a missing one (Security 7), unlocked.
    SELECT * INTO run FROM jobs.job_execution AS e
    WHERE e.execution_id = _cancel.execution_id AND (sees_all OR e.owner = caller_id) FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'execution % does not exist', execution_id
            USING ERRCODE = 'undefined_object',
                  HINT = 'List runs with SELECT execution_id, job_name, status FROM jobs.job_history.';
    END IF;
    IF run.status = 'queued' THEN
        PERFORM jobs_internal._finish_runs('queued', ARRAY[run.execution_id], '{cancelled}', sqlstates => '{57014}',
                                  cancelled_by => ARRAY[caller]);
        PERFORM jobs_internal._request_cancel(run.execution_id, 'queued');  -- wakes jobs.wait at commit
        RETURN true;
    ELSIF run.status = 'running' AND run.kind = 'workflow' THEN
        -- flow: a workflow run ends at once; its trigger workflow_status_changed
        -- cancels its queued and running steps.
        PERFORM jobs_internal._finish_runs('running', ARRAY[run.execution_id], '{cancelled}', sqlstates => '{57014}',
                                  cancelled_by => ARRAY[caller]);
        PERFORM jobs_internal._request_cancel(run.execution_id, 'queued');  -- wakes jobs.wait at commit
        RETURN true;
    ELSIF run.status = 'running' THEN
        UPDATE jobs.job_execution AS e SET cancel_requested_by = caller WHERE e.execution_id = run.execution_id;
        PERFORM jobs_internal._request_cancel(run.execution_id, run.kind);
        RETURN true;
    END IF;
    RETURN false;
END
$$;

CREATE OR REPLACE FUNCTION jobs_internal._queue_retry()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job jobs.scheduled_job;
BEGIN
    SELECT * INTO job FROM jobs.scheduled_job AS j WHERE j.job_id = NEW.job_id;
    IF NOT FOUND OR NEW.attempt > job.max_retries
       OR NOT jobs_internal._is_retryable(NEW.kind, NEW.status, NEW.http_status, NEW.sqlstate, NEW.error_kind) THEN
        RETURN NULL;
    END IF;
    -- As the job's owner now (REASSIGN OWNED may have given it to another role).
    -- flow: a workflow step's retry stays in its workflow run.
    INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, kind, triggered_by,
                                    triggered_by_user, scheduled_for, payload, attempt, retry_of, not_before, priority,
                                    workflow_execution_id, step, workflow_context)
    VALUES (NEW.job_id, NEW.job_name, job.owner, pg_get_userbyid(job.owner), NEW.database, NEW.command, NEW.kind,
            'retry', NEW.triggered_by_user, NEW.scheduled_for, NEW.payload, NEW.attempt + 1, NEW.execution_id,
            jobs_internal._retry_at(clock_timestamp(), NEW.attempt, job.retry_backoff, job.retry_backoff_max,
                                    NEW.execution_id), CASE WHEN NEW.workflow_execution_id IS NULL THEN job.priority
                                                        ELSE greatest(job.priority, NEW.priority) END,
            NEW.workflow_execution_id, NEW.step,
            NEW.workflow_context);
    PERFORM jobs_internal._wake_scheduler(false);  -- the launcher then sleeps until not_before
    RETURN NULL;
END
$$;
-- last: jobs.job_last_run, each job's latest finished run ---------------------
-- (the dashboard's filter and sort by last status at 100,000 jobs). Kept by
-- the one statement that ends runs (jobs_internal._finish_runs: a run's end, a crash
-- mark, a cancel, a timeout, a retry's failed attempt), by history deletes
-- (retention, or by hand) and by job removal; a run that never started
-- (queued then cancelled, skipped, refused at its claim) does not count, as
-- in jobs.job_status.
CREATE TABLE jobs.job_last_run (
    job_id       bigint PRIMARY KEY,
    execution_id bigint NOT NULL,
    status       text NOT NULL,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    duration     interval
) WITH (fillfactor = 80);  -- room for HOT updates: a run that ends as the last one did changes no index
CREATE INDEX job_last_run_by_status ON jobs.job_last_run (status, job_id);
COMMENT ON TABLE jobs.job_last_run IS
'One row per job that has finished a started run: its latest one (the highest execution_id among its finished runs '
'that started). Kept by the scheduler as runs end; read-only. A job whose row says X and that has no running run '
'with a higher execution_id has last_status X in jobs.job_status. Roles see the rows of the jobs they see.';
COMMENT ON COLUMN jobs.job_last_run.job_id IS 'The job (jobs.scheduled_job.job_id).';
COMMENT ON COLUMN jobs.job_last_run.execution_id IS 'The run (jobs.job_execution.execution_id).';
COMMENT ON COLUMN jobs.job_last_run.status IS 'How it ended: succeeded, failed, timed_out, cancelled or crashed.';
COMMENT ON COLUMN jobs.job_last_run.started_at IS 'When it started.';
COMMENT ON COLUMN jobs.job_last_run.finished_at IS 'When it ended.';
COMMENT ON COLUMN jobs.job_last_run.duration IS 'How long it ran (finished_at - started_at).';
COMMENT ON INDEX jobs.job_last_run_by_status IS 'Jobs by how their latest finished run ended (the dashboard''s filter).';
ALTER TABLE jobs.job_last_run ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_last_runs ON jobs.job_last_run FOR SELECT
    USING (EXISTS (SELECT FROM jobs.scheduled_job AS j WHERE j.job_id = job_last_run.job_id));
CREATE POLICY admin_last_runs ON jobs.job_last_run FOR SELECT TO jobs_admin USING (true);
COMMENT ON POLICY own_last_runs ON jobs.job_last_run IS 'Roles see the rows of the jobs they see (jobs.scheduled_job).';
COMMENT ON POLICY admin_last_runs ON jobs.job_last_run IS 'Members of jobs_admin see every row.';
REVOKE ALL ON jobs.job_last_run FROM PUBLIC;
GRANT SELECT ON jobs.job_last_run TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('jobs.job_last_run', '');

-- Runs deleted (retention, by hand): a job whose latest finished run is gone
-- gets its latest remaining one, or no row.
CREATE FUNCTION jobs_internal._forget_deleted_runs() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    forgotten bigint[];
BEGIN
    WITH d AS (DELETE FROM jobs.job_last_run AS l USING gone AS g WHERE l.execution_id = g.execution_id
               RETURNING l.job_id)
    SELECT array_agg(d.job_id ORDER BY d.job_id) INTO forgotten FROM d;
    IF forgotten IS NOT NULL THEN
        INSERT INTO jobs.job_last_run AS l (job_id, execution_id, status, started_at, finished_at, duration)
        SELECT DISTINCT ON (e.job_id) e.job_id, e.execution_id, e.status, e.started_at, e.finished_at, e.duration
        FROM jobs.job_execution AS e
        WHERE e.job_id = ANY (forgotten) AND e.started_at IS NOT NULL AND e.status NOT IN ('queued', 'running')
          AND EXISTS (SELECT FROM jobs.scheduled_job AS j WHERE j.job_id = e.job_id)
        ORDER BY e.job_id, e.execution_id DESC
        ON CONFLICT (job_id) DO UPDATE
            SET execution_id = excluded.execution_id, status = excluded.status, started_at = excluded.started_at,
                finished_at = excluded.finished_at, duration = excluded.duration
            WHERE l.execution_id < excluded.execution_id;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION jobs_internal._forget_deleted_runs() IS
'Internal (trigger): after runs are deleted, jobs.job_last_run no longer names them.';
REVOKE EXECUTE ON FUNCTION jobs_internal._forget_deleted_runs() FROM PUBLIC;
CREATE TRIGGER forget_deleted_runs AFTER DELETE ON jobs.job_execution REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_internal._forget_deleted_runs();
COMMENT ON TRIGGER forget_deleted_runs ON jobs.job_execution IS
'jobs.job_last_run follows history deletes (retention).';

-- Jobs removed: their row goes (their history stays).
CREATE FUNCTION jobs_internal._forget_removed_jobs() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM jobs.job_last_run AS l USING removed AS r WHERE l.job_id = r.job_id;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION jobs_internal._forget_removed_jobs() IS
'Internal (trigger): the jobs.job_last_run rows of removed jobs go with them.';
REVOKE EXECUTE ON FUNCTION jobs_internal._forget_removed_jobs() FROM PUBLIC;
CREATE TRIGGER forget_removed_jobs AFTER DELETE ON jobs.scheduled_job REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_internal._forget_removed_jobs();
COMMENT ON TRIGGER forget_removed_jobs ON jobs.scheduled_job IS 'Removes the jobs.job_last_run rows of removed jobs.';
-- What the history says already (runs that ended before the upgrade).
INSERT INTO jobs.job_last_run (job_id, execution_id, status, started_at, finished_at, duration)
SELECT DISTINCT ON (e.job_id) e.job_id, e.execution_id, e.status, e.started_at, e.finished_at, e.duration
FROM jobs.job_execution AS e
WHERE e.started_at IS NOT NULL AND e.status NOT IN ('queued', 'running')
  AND EXISTS (SELECT FROM jobs.scheduled_job AS j WHERE j.job_id = e.job_id)
ORDER BY e.job_id, e.execution_id DESC;

-- flow: jobs.job_history shows a step's run's workflow run and step.
CREATE OR REPLACE VIEW jobs.job_history WITH (security_invoker = true) AS
SELECT e.execution_id,
       e.job_id,
       e.job_name,
       -- The role's current name; once it is dropped, its name when the run was queued.
       coalesce((SELECT r.rolname FROM pg_catalog.pg_roles AS r WHERE r.oid = e.owner), e.owner_name) AS owner,
       e.status,
       e.triggered_by,
       e.scheduled_for,
       e.started_at,
       e.duration,
       e.attempt,
       e.rows_affected,
       e.sqlstate,
       e.error,
       e.http_status,
       e.http_timing,
       e.skipped_count,
       e.workflow_execution_id,
       e.step
FROM jobs.job_execution AS e
ORDER BY e.execution_id DESC;
COMMENT ON VIEW jobs.job_history IS
'Runs of jobs, newest first (add LIMIT): status, why and for when each was queued, when it started, how long it '
'took, the error of a failed run, the response status and timings of HTTP runs, and how many consecutive fire '
'times a skipped row stands for (skipped_count), and for a workflow step''s run its workflow run and step. '
'Details (payload, '
'error_detail, result, ...) are in jobs.job_execution. '
'Non-superusers see the runs of their own jobs.';

-- sqlres: SQL runs record a result (the first row of their last statement) --------------------
COMMENT ON COLUMN jobs.job_execution.result IS
'What the run returned: for HTTP runs the response body, as JSON when it is JSON, else as a JSON string; for SQL '
'runs the first row their last statement returned, as a JSON object (NULL: no row, or over 8192 bytes).';
COMMENT ON COLUMN jobs.job_execution.error IS
'Error message of a run that did not succeed; on a succeeded run, a note (a response cut, a result not kept).';
