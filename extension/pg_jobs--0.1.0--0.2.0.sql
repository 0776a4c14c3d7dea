-- pg_jobs 0.1.0 -> 0.2.0 (ALTER EXTENSION pg_jobs UPDATE).
\echo Use "ALTER EXTENSION pg_jobs UPDATE" to load this file. \quit

-- first: refuse a server without pg_jobs in shared_preload_libraries with an ERROR
CREATE FUNCTION jobs._require_preload()
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_require_preload';
REVOKE EXECUTE ON FUNCTION jobs._require_preload() FROM PUBLIC;
COMMENT ON FUNCTION jobs._require_preload() IS
'Raises an error unless pg_jobs was loaded at server start (shared_preload_libraries); called by the extension scripts.';
SELECT jobs._require_preload();

-- first: jobs.context() lists attempt among its keys
COMMENT ON FUNCTION jobs.context() IS
'Inside a running job: {job_id, job_name, execution_id, triggered_by, triggered_by_user, scheduled_for, attempt, '
'payload}, '
'so the command can read the payload given to jobs.trigger. NULL outside a job.';

-- first: enabling a one-shot job whose run_at has passed is refused with a hint naming run_at
CREATE FUNCTION jobs._check_one_shot_enable(job jobs.scheduled_job)
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
REVOKE EXECUTE ON FUNCTION jobs._check_one_shot_enable(jobs.scheduled_job) FROM PUBLIC;
COMMENT ON FUNCTION jobs._check_one_shot_enable(jobs.scheduled_job) IS
'Internal: refuses enabling a one-shot job whose run_at has passed (it ran, or misfire skip skips it).';

CREATE OR REPLACE FUNCTION jobs._set_enabled(caller name, job_id bigint, enabled boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    job jobs.scheduled_job := jobs._job_for_caller(job_id, caller, true);
BEGIN
    IF enabled THEN
        PERFORM jobs._check_one_shot_enable(job);
    END IF;
    -- Enabling by hand also forgets why the job disabled itself.
    IF job.enabled IS DISTINCT FROM enabled OR (enabled AND job.disabled_reason IS NOT NULL) THEN
        UPDATE jobs.scheduled_job AS j
        SET enabled = _set_enabled.enabled,
            disabled_reason = CASE WHEN _set_enabled.enabled THEN NULL ELSE j.disabled_reason END, updated_at = now()
        WHERE j.job_id = job.job_id;
        PERFORM jobs._wake_scheduler(true, job.job_id);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION jobs._alter(caller name, job_id bigint, schedule text, command text, database text,
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
    job jobs.scheduled_job := jobs._job_for_caller(job_id, caller, true);
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
    PERFORM jobs._check_changes_what_runs(job, caller, array_remove(ARRAY[
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
        PERFORM jobs._check_one_shot_enable(job);
    END IF;
    PERFORM jobs._check_definition(job.job_name, job.schedule, job.command, job.database, job.timezone,
                                   pg_get_userbyid(job.owner));
    PERFORM jobs._check_run_options(job.timeout, job.max_retries, job.retry_backoff, job.retry_backoff_max);
    PERFORM jobs._check_run_policy(job.schedule, job.overlap, job.max_concurrent, job.misfire,
                                   job.starting_deadline, job.start_at, job.end_at, job.max_runs, job.run_at,
                                   job.min_trigger_interval);
    IF schedule IS NOT NULL THEN
        PERFORM jobs._check_schedule_interval(job.schedule, job.timezone, caller);
    END IF;
    IF job.kind = 'http' THEN
        PERFORM jobs._check_http_timeout(job.timeout);
    END IF;
    UPDATE jobs.scheduled_job AS j
    SET schedule = job.schedule, command = job.command, database = job.database, timezone = job.timezone,
        enabled = job.enabled, timeout = job.timeout, max_retries = job.max_retries,
        retry_backoff = job.retry_backoff, retry_backoff_max = job.retry_backoff_max, overlap = job.overlap,
        max_concurrent = job.max_concurrent, misfire = job.misfire, starting_deadline = job.starting_deadline,
        start_at = job.start_at, end_at = job.end_at, max_runs = job.max_runs, run_at = job.run_at,
        min_trigger_interval = job.min_trigger_interval, disabled_reason = job.disabled_reason, updated_at = now()
    WHERE j.job_id = job.job_id;
    PERFORM jobs._wake_scheduler(true, job.job_id);
END
$$;

-------------------------------------------------------------------------------
-- life: the run lifecycle in one place (issue 11, section 1): every move of
-- a run to a final status through jobs._finish_runs (which the workers,
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
-- through jobs._finish_runs, whichever process or function makes it (the
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
CREATE FUNCTION jobs._finish_runs(from_status text, ids bigint[], statuses text[],
                                  errors text[] DEFAULT NULL, sqlstates text[] DEFAULT NULL,
                                  error_details text[] DEFAULT NULL, error_kinds text[] DEFAULT NULL,
                                  rows_affected bigint[] DEFAULT NULL, http_statuses integer[] DEFAULT NULL,
                                  results text[] DEFAULT NULL, http_timings text[] DEFAULT NULL,
                                  started_ats timestamptz[] DEFAULT NULL, finished_ats timestamptz[] DEFAULT NULL,
                                  cancelled_by name[] DEFAULT NULL)
RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_finish_runs';
COMMENT ON FUNCTION jobs._finish_runs(text, bigint[], text[], text[], text[], text[], text[], bigint[], integer[],
                                      text[], text[], timestamptz[], timestamptz[], name[]) IS
'Internal: moves the runs that are still from_status (queued or running) to their final status; every status '
'change to a final one goes through it. Returns how many runs moved.';
REVOKE EXECUTE ON FUNCTION jobs._finish_runs(text, bigint[], text[], text[], text[], text[], text[], bigint[],
                                             integer[], text[], text[], timestamptz[], timestamptz[], name[])
    FROM PUBLIC;

-- The run policies decided where runs are queued and claimed
-- (src/pg/store/run_policy_sql.hpp), each once, tested case by case in
-- test/pgtap/run_policies.sql.

-- starting_deadline: whether a run scheduled for scheduled_for may no
-- longer start at `at` (a difference of times: scheduled_for + a huge
-- deadline would overflow; an infinite scheduled_for is always late).
CREATE FUNCTION jobs._missed_starting_deadline(scheduled_for timestamptz, deadline interval, at timestamptz)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN deadline IS NOT NULL AND (NOT isfinite(scheduled_for) OR at - scheduled_for > deadline);
COMMENT ON FUNCTION jobs._missed_starting_deadline(timestamptz, interval, timestamptz) IS
'Internal: whether a run scheduled for scheduled_for is past its starting deadline at `at` (NULL deadline: never).';

-- overlap: why a scheduled run due while the job has `running` runs started
-- and `waiting` runs queued is skipped; NULL: it is queued (overlap queue
-- then makes it wait for the running one at its claim; overlap replace
-- cancels the unfinished ones).
CREATE FUNCTION jobs._overlap_skip_reason(overlap text, max_concurrent integer, running bigint, waiting bigint,
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
COMMENT ON FUNCTION jobs._overlap_skip_reason(text, integer, bigint, bigint, bigint, timestamptz, bigint) IS
'Internal: why the overlap policy skips a scheduled run due while the job has runs running and waiting; NULL if '
'it is queued.';
REVOKE EXECUTE ON FUNCTION jobs._missed_starting_deadline(timestamptz, interval, timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs._overlap_skip_reason(text, integer, bigint, bigint, bigint, timestamptz, bigint)
    FROM PUBLIC;

CREATE OR REPLACE FUNCTION jobs._unschedule(caller name, job_id bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job jobs.scheduled_job := jobs._job_for_caller(job_id, caller, true);
BEGIN
    DELETE FROM jobs.scheduled_job AS j WHERE j.job_id = job.job_id;
    -- Runs not started yet would run a job that no longer exists.
    PERFORM jobs._finish_runs('queued', array(SELECT e.execution_id FROM jobs.job_execution AS e
                                              WHERE e.job_id = job.job_id AND e.status = 'queued'),
                              '{cancelled}', ARRAY['the job was unscheduled before this run started']);
    PERFORM jobs._wake_scheduler(true, job.job_id);
    RETURN true;
END
$$;

CREATE OR REPLACE FUNCTION jobs._cancel(caller name, execution_id bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run jobs.job_execution;
    caller_id regrole := jobs._role_id(caller);
    sees_all boolean := coalesce(jobs._administers_jobs(caller), false);  -- superusers and jobs_admin (Security 20)
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
        PERFORM jobs._finish_runs('queued', ARRAY[run.execution_id], '{cancelled}', sqlstates => '{57014}',
                                  cancelled_by => ARRAY[caller]);
        PERFORM jobs._request_cancel(run.execution_id, 'queued');  -- wakes jobs.wait at commit
        RETURN true;
    ELSIF run.status = 'running' THEN
        UPDATE jobs.job_execution AS e SET cancel_requested_by = caller WHERE e.execution_id = run.execution_id;
        PERFORM jobs._request_cancel(run.execution_id, run.kind);
        RETURN true;
    END IF;
    RETURN false;
END
$$;

CREATE OR REPLACE FUNCTION jobs._drop_owned(roles oid[])
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    gone bigint[];
BEGIN
    DELETE FROM jobs._secret AS s WHERE s.owner_id = ANY (roles);
    WITH d AS (DELETE FROM jobs.scheduled_job AS j WHERE j.owner = ANY (roles) RETURNING j.job_id)
    SELECT array_agg(d.job_id) INTO gone FROM d;
    PERFORM jobs._finish_runs('queued', array(SELECT e.execution_id FROM jobs.job_execution AS e
                                              WHERE e.status = 'queued' AND (e.owner = ANY (roles) OR e.job_id = ANY (gone))),
                              '{cancelled}', ARRAY['the job was removed by DROP OWNED before this run started']);
    IF gone IS NOT NULL THEN
        PERFORM jobs._wake_scheduler(true);
    END IF;
    RETURN true;
END
$$;

-- Retries read the SQLSTATE and the HTTP error kind, not the message.
DROP FUNCTION jobs._is_retryable(text, text, integer, text);
CREATE FUNCTION jobs._is_retryable(kind text, status text, http_status integer, sqlstate text, error_kind text)
RETURNS boolean
LANGUAGE C IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pg_jobs_is_retryable';
COMMENT ON FUNCTION jobs._is_retryable(text, text, integer, text, text) IS
'Internal: whether a run that ended so is worth retrying: crashed, timed_out, cancelled by a shutdown (SQLSTATE '
'57P01), failed SQL runs, and failed HTTP runs answered 5xx, 408, 429 or 2xx with "success": false, or without '
'an answer after connect_refused, dns or connection_lost (error_kind). Not 4xx, tls, refused_by_policy, '
'invalid_request or a cancellation by a user.';
REVOKE EXECUTE ON FUNCTION jobs._is_retryable(text, text, integer, text, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION jobs._queue_retry()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job jobs.scheduled_job;
BEGIN
    SELECT * INTO job FROM jobs.scheduled_job AS j WHERE j.job_id = NEW.job_id;
    IF NOT FOUND OR NEW.attempt > job.max_retries
       OR NOT jobs._is_retryable(NEW.kind, NEW.status, NEW.http_status, NEW.sqlstate, NEW.error_kind) THEN
        RETURN NULL;
    END IF;
    -- As the job's owner now (REASSIGN OWNED may have given it to another role).
    INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, kind, triggered_by,
                                    triggered_by_user, scheduled_for, payload, attempt, retry_of, not_before)
    VALUES (NEW.job_id, NEW.job_name, job.owner, pg_get_userbyid(job.owner), NEW.database, NEW.command, NEW.kind,
            'retry', NEW.triggered_by_user, NEW.scheduled_for, NEW.payload, NEW.attempt + 1, NEW.execution_id,
            jobs._retry_at(clock_timestamp(), NEW.attempt, job.retry_backoff, job.retry_backoff_max,
                           NEW.execution_id));
    PERFORM jobs._wake_scheduler(false);  -- the launcher then sleeps until not_before
    RETURN NULL;
END
$$;
