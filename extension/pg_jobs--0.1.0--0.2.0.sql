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
