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
DROP FUNCTION jobs._schedule(name, text, text, text, text, text, boolean, interval, integer, interval, interval, text,
                             integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval);
DROP FUNCTION jobs._alter(name, bigint, text, text, text, text, boolean, interval, integer, interval, interval, text,
                          integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text[]);
DROP FUNCTION jobs._schedule_http(name, text, text, text, text, jsonb, jsonb, interval, text, boolean, integer, interval,
                                  interval, text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz,
                                  interval);
DROP FUNCTION jobs._alter_http(name, bigint, text, text, jsonb, jsonb, interval);
CREATE FUNCTION jobs._schedule(caller name, job_name text, schedule text, command text, database text,
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
    PERFORM jobs._check_definition(job_name, schedule, command, target, zone, caller);
    PERFORM jobs._check_schedule_interval(schedule, zone, caller);
    PERFORM jobs._check_run_options(timeout, max_retries, retry_backoff, retry_backoff_max);
    PERFORM jobs._check_run_policy(schedule, overlap, max_concurrent, misfire, starting_deadline, start_at, end_at,
                                   max_runs, run_at, min_trigger_interval);
    IF enabled IS NULL THEN
        RAISE EXCEPTION 'enabled must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass true or false, or leave it out (true).';
    END IF;
    PERFORM jobs._check_metadata(description, tags);
    PERFORM jobs._check_job_quota(caller, job_name);
    INSERT INTO jobs.scheduled_job AS j (job_name, owner, schedule, timezone, command, database, enabled, timeout,
                                         max_retries, retry_backoff, retry_backoff_max, overlap, max_concurrent,
                                         misfire, starting_deadline, start_at, end_at, max_runs, run_at,
                                         min_trigger_interval, description, tags)
    VALUES (job_name, jobs._role_id(caller), schedule, zone, command, target, enabled, timeout, max_retries, retry_backoff,
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
    DELETE FROM jobs._http_secret AS s WHERE s.job_id = result_id;
    PERFORM jobs._wake_scheduler(true, result_id);
    RETURN result_id;
END
$$;
CREATE FUNCTION jobs._alter(caller name, job_id bigint, schedule text, command text, database text,
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
    job jobs.scheduled_job := jobs._job_for_caller(job_id, caller, true);
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
    job.description := CASE WHEN 'description' = ANY (reset) THEN NULL ELSE coalesce(description, job.description) END;
    job.tags := CASE WHEN 'tags' = ANY (reset) THEN '{}' ELSE coalesce(tags, job.tags) END;
    PERFORM jobs._check_metadata(job.description, job.tags);
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
        min_trigger_interval = job.min_trigger_interval, disabled_reason = job.disabled_reason, updated_at = now(),
        description = job.description, tags = job.tags
    WHERE j.job_id = job.job_id;
    PERFORM jobs._wake_scheduler(true, job.job_id);
END
$$;
COMMENT ON FUNCTION jobs._schedule(name, text, text, text, text, text, boolean, interval, integer, interval, interval,
                                   text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval,
                                   text, text[]) IS
'Internal: the privileged part of jobs.schedule; call jobs.schedule.';
COMMENT ON FUNCTION jobs._alter(name, bigint, text, text, text, text, boolean, interval, integer, interval, interval,
                                text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text[],
                                text, text[]) IS
'Internal: the privileged part of jobs.alter; call jobs.alter.';
REVOKE EXECUTE ON FUNCTION jobs._schedule(name, text, text, text, text, text, boolean, interval, integer, interval, interval,
                                          text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval,
                                          text, text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs._alter(name, bigint, text, text, text, text, boolean, interval, integer, interval, interval,
                                       text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval, text[],
                                       text, text[]) FROM PUBLIC;
CREATE OR REPLACE FUNCTION jobs._schedule_in(caller name, job_name text, delay interval, command text)
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
    PERFORM jobs._check_interval_option('delay', delay);  -- Security 14: at most 100 years
    RETURN jobs._schedule(caller, job_name, NULL, command, NULL, NULL, true, NULL, 0, interval '1 second',
                          interval '30 seconds', 'skip', 1, 'skip', NULL, NULL, NULL, NULL, now() + delay, NULL,
                          NULL, NULL);
END
$$;
CREATE FUNCTION jobs._schedule_http(caller name, job_name text, schedule text, url text, method text,
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
    verb text := jobs._http_check(url, method, coalesce(headers, '{}'));
    result_id bigint;
BEGIN
    PERFORM jobs._check_definition(job_name, schedule, verb || ' ' || url, current_database(), zone, caller);
    PERFORM jobs._check_schedule_interval(schedule, zone, caller);
    PERFORM jobs._check_payload_size(body, 'body');
    PERFORM jobs._check_http_timeout(timeout);
    PERFORM jobs._check_run_options(timeout, max_retries, retry_backoff, retry_backoff_max);
    PERFORM jobs._check_run_policy(schedule, overlap, max_concurrent, misfire, starting_deadline, start_at, end_at,
                                   max_runs, run_at, min_trigger_interval);
    IF enabled IS NULL THEN
        RAISE EXCEPTION 'enabled must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass true or false, or leave it out (true).';
    END IF;
    PERFORM jobs._check_metadata(description, tags);
    PERFORM jobs._check_job_quota(caller, job_name);
    INSERT INTO jobs.scheduled_job AS j (job_name, owner, schedule, timezone, command, database, enabled, kind,
                                         http_method, http_url, http_headers, http_body, timeout, max_retries,
                                         retry_backoff, retry_backoff_max, overlap, max_concurrent, misfire,
                                         starting_deadline, start_at, end_at, max_runs, run_at,
                                         min_trigger_interval, description, tags)
    VALUES (job_name, jobs._role_id(caller), schedule, zone, verb || ' ' || url, current_database(), enabled, 'http', verb, url,
            jobs._mask_secret_headers(coalesce(headers, '{}')), body, timeout, max_retries, retry_backoff,
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
    INSERT INTO jobs._http_secret AS s (job_id, headers) VALUES (result_id, coalesce(headers, '{}'))
    ON CONFLICT (job_id) DO UPDATE SET headers = excluded.headers;
    PERFORM jobs._note_missing_secrets(jobs._role_id(caller), headers);
    PERFORM jobs._wake_scheduler(true, result_id);
    RETURN result_id;
END
$$;
CREATE FUNCTION jobs._alter_http(caller name, job_id bigint, url text, method text, headers jsonb, body jsonb,
                                 timeout interval, description text, tags text[])
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job jobs.scheduled_job := jobs._job_for_caller(job_id, caller, true);
    new_headers jsonb;
    verb text;
BEGIN
    IF job.kind <> 'http' THEN
        RAISE EXCEPTION 'job "%" is not an HTTP job', job.job_name
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Change its command with jobs.alter, or redefine it with jobs.schedule_http.';
    END IF;
    PERFORM jobs._check_changes_what_runs(job, caller, array_remove(ARRAY[
        CASE WHEN url IS NOT NULL THEN 'url' END, CASE WHEN method IS NOT NULL THEN 'method' END,
        CASE WHEN headers IS NOT NULL THEN 'headers' END, CASE WHEN body IS NOT NULL THEN 'body' END], NULL));
    SELECT s.headers INTO new_headers FROM jobs._http_secret AS s WHERE s.job_id = job.job_id;
    new_headers := coalesce(headers, new_headers, '{}');
    verb := jobs._http_check(coalesce(url, job.http_url), coalesce(method, job.http_method), new_headers);
    PERFORM jobs._check_payload_size(body, 'body');
    PERFORM jobs._check_http_timeout(coalesce(timeout, job.timeout));
    PERFORM jobs._check_metadata(coalesce(description, job.description), coalesce(tags, job.tags));
    UPDATE jobs.scheduled_job AS j
    SET http_url = coalesce(_alter_http.url, job.http_url), http_method = verb,
        http_headers = jobs._mask_secret_headers(new_headers), http_body = coalesce(_alter_http.body, job.http_body),
        timeout = coalesce(_alter_http.timeout, job.timeout),
        command = verb || ' ' || coalesce(_alter_http.url, job.http_url), updated_at = now(),
        description = coalesce(_alter_http.description, job.description), tags = coalesce(_alter_http.tags, job.tags)
    WHERE j.job_id = job.job_id;
    UPDATE jobs._http_secret AS s SET headers = new_headers WHERE s.job_id = job.job_id;
    PERFORM jobs._note_missing_secrets(job.owner, new_headers);
    PERFORM jobs._wake_scheduler(true, job.job_id);
END
$$;
COMMENT ON FUNCTION jobs._schedule_http(name, text, text, text, text, jsonb, jsonb, interval, text, boolean, integer, interval, interval,
                                        text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval,
                                        text, text[]) IS
'Internal: the privileged part of jobs.schedule_http; call jobs.schedule_http.';
COMMENT ON FUNCTION jobs._alter_http(name, bigint, text, text, jsonb, jsonb, interval, text, text[]) IS
'Internal: the privileged part of jobs.alter_http; call jobs.alter_http.';
REVOKE EXECUTE ON FUNCTION jobs._schedule_http(name, text, text, text, text, jsonb, jsonb, interval, text, boolean, integer, interval, interval,
                                               text, integer, text, interval, timestamptz, timestamptz, integer, timestamptz, interval,
                                               text, text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION jobs._alter_http(name, bigint, text, text, jsonb, jsonb, interval, text, text[]) FROM PUBLIC;
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
    SELECT jobs.alter(jobs._own_job_id(job_name), schedule, command, database, timezone, enabled, timeout,
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
    SELECT jobs.alter_http(jobs._own_job_id(job_name), url, method, headers, body, timeout, description, tags);
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
       CASE WHEN j.enabled THEN jobs._next_run_at(j.schedule, j.timezone, j.start_at, j.end_at, j.run_at)
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
-- privileged call (its part jobs._health is SECURITY DEFINER) and shows the
-- scheduler as a whole: pids, times and counts, never a job's name, command
-- or owner.

-- description and tags of jobs.schedule, jobs.schedule_http, jobs.alter and jobs.alter_http.
CREATE FUNCTION jobs._check_metadata(description text, tags text[])
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
COMMENT ON FUNCTION jobs._check_metadata(text, text[]) IS
'Internal: raises 22023 unless description has at most 10000 characters and tags at most 100 tags of 1 to 100 '
'characters (no NULL: 22004).';
REVOKE EXECUTE ON FUNCTION jobs._check_metadata(text, text[]) FROM PUBLIC;

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
CREATE FUNCTION jobs._scheduler_state(
    OUT preloaded boolean, OUT launcher_pid integer, OUT launcher_started_at timestamptz,
    OUT next_fire_at timestamptz, OUT last_retention_at timestamptz, OUT workers_busy integer,
    OUT workers_idle integer, OUT workers_starting integer, OUT workers_max integer, OUT http_worker_pid integer)
RETURNS record
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'pg_jobs_scheduler_state';
COMMENT ON FUNCTION jobs._scheduler_state() IS
'Internal: the launcher (pid, start, earliest fire time not queued yet, last retention pass), SQL worker slots '
'and HTTP worker, from shared memory; for jobs.health().';
REVOKE EXECUTE ON FUNCTION jobs._scheduler_state() FROM PUBLIC;

-- The privileged part of jobs.health() (see "Who is calling"): it counts
-- the runs of every role, which the caller's row level security would hide.
CREATE FUNCTION jobs._health(caller name, queue_wait_limit interval, lag_limit interval,
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
    p := jobs._scheduler_state();
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
    status := CASE WHEN cardinality(down) > 0 THEN 'down' WHEN cardinality(degraded) > 0 THEN 'degraded'
                   ELSE 'ok' END;
    reasons := down || degraded || notes;
END
$$;
COMMENT ON FUNCTION jobs._health(name, interval, interval) IS
'Internal: the privileged part of jobs.health; call jobs.health.';
REVOKE EXECUTE ON FUNCTION jobs._health(name, interval, interval) FROM PUBLIC;

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
'it: it shows counts, pids and times, no job of any role (its privileged part, jobs._health, counts every '
'role''s runs). In jobs.database only.';
GRANT EXECUTE ON FUNCTION jobs.health(interval, interval) TO PUBLIC;

-- Prometheus label values: backslash, double quote and line feed escaped.
CREATE FUNCTION jobs._prometheus_label(value text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT '"' || replace(replace(replace(value, E'\\', E'\\\\'), '"', E'\\"'), E'\n', E'\\n') || '"';
END;
COMMENT ON FUNCTION jobs._prometheus_label(text) IS 'Internal: a label value in the Prometheus text format, quoted.';

-- A number in the Prometheus text format.
CREATE FUNCTION jobs._prometheus_value(value double precision)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN value IS NULL THEN 'NaN' WHEN value = 'infinity' THEN '+Inf' WHEN value = '-infinity' THEN '-Inf'
                ELSE value::text END;
END;
COMMENT ON FUNCTION jobs._prometheus_value(double precision) IS
'Internal: a sample value in the Prometheus text format (NULL: NaN).';

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
                  jobs._prometheus_value(coalesce(extract(epoch FROM h.oldest_queued_age), 0)::double precision))
        || E'# HELP pg_jobs_due_lag_seconds How late the earliest due fire time not queued yet is.\n'
        || E'# TYPE pg_jobs_due_lag_seconds gauge\n'
        || format(E'pg_jobs_due_lag_seconds %s\n',
                  jobs._prometheus_value(extract(epoch FROM h.due_lag)::double precision))
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
        SELECT j.job_id, format('job=%s,owner=%s', jobs._prometheus_label(j.job_name),
                                jobs._prometheus_label(pg_catalog.pg_get_userbyid(j.owner))) AS labels
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
                         labels, jobs._prometheus_value(duration_sum), labels, buckets[13]),
               '' ORDER BY job_id), '')
        || E'# HELP pg_jobs_start_lag_seconds How late scheduled runs started (started_at - scheduled_for).\n'
        || E'# TYPE pg_jobs_start_lag_seconds summary\n'
        || coalesce(string_agg(
               format(E'pg_jobs_start_lag_seconds{%s,quantile="0.5"} %s\npg_jobs_start_lag_seconds{%s,quantile="0.95"} %s\n'
                      || E'pg_jobs_start_lag_seconds_sum{%s} %s\npg_jobs_start_lag_seconds_count{%s} %s\n',
                      labels, jobs._prometheus_value(lags[1]), labels, jobs._prometheus_value(lags[2]),
                      labels, jobs._prometheus_value(lag_sum), labels, lag_count),
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
                                      jobs._prometheus_value(last_success::double precision)), '' ORDER BY job_id)
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
'right to run it, queued runs and pending retries, the last run''s outcome and error, and the scheduler''s '
'status. Non-superusers may explain their own jobs, members of jobs_admin every job; another role''s job is '
'reported as missing (42704).';
GRANT EXECUTE ON FUNCTION jobs.explain(bigint) TO PUBLIC;

CREATE FUNCTION jobs.explain(job_name text)
RETURNS TABLE (reason text)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    SELECT e.reason FROM jobs.explain(jobs._own_job_id(job_name)) AS e;
END;
COMMENT ON FUNCTION jobs.explain(text) IS
'Why the caller''s job of this name will or will not run next, and when, one reason per row (see '
'jobs.explain(bigint)).';
GRANT EXECUTE ON FUNCTION jobs.explain(text) TO PUBLIC;

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

-- create: jobs created in bulk (issue 11, point 4). The audit trail's definition of a created or removed job is
-- built in C (jobs._audit_definition, jobs._audit_fields); the created rows keep the order the jobs were inserted.
-- (Batching of jobs.schedule itself is in the C library: no schema change.)
CREATE FUNCTION jobs._audit_definition(job record)
RETURNS jsonb
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'pg_jobs_audit_definition';
COMMENT ON FUNCTION jobs._audit_definition(record) IS
'Internal: a jobs.scheduled_job row as the audit trail records it at creation and removal: every column but '
'created_at and updated_at, NULLs left out, header values replaced by ***.';
REVOKE EXECUTE ON FUNCTION jobs._audit_definition(record) FROM PUBLIC;

CREATE FUNCTION jobs._audit_fields(definition jsonb)
RETURNS text[]
LANGUAGE C IMMUTABLE STRICT
AS 'MODULE_PATHNAME', 'pg_jobs_audit_fields';
COMMENT ON FUNCTION jobs._audit_fields(jsonb) IS
'Internal: the top-level keys of a definition, sorted (ARRAY(SELECT k FROM jsonb_object_keys(definition) AS k '
'ORDER BY k)).';
REVOKE EXECUTE ON FUNCTION jobs._audit_fields(jsonb) FROM PUBLIC;

CREATE OR REPLACE FUNCTION jobs._audit_jobs_created()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- A COPY into the table is a restore (pg_restore, psql < dump; only
    -- superusers may write the table directly): the dump brings the trail's
    -- own rows, which a 'created' row per restored job would collide with.
    IF NOT EXISTS (SELECT FROM new_jobs) OR pg_catalog.current_query() ~* '^\s*COPY\s' THEN
        RETURN NULL;
    END IF;
    INSERT INTO jobs.job_audit (changed_by, changed_by_oid, job_id, job_name, owner, owner_name, action, fields,
                                old_values, new_values)
    WITH created AS MATERIALIZED (  -- each value computed once a row
        SELECT n.job_id, n.job_name, n.owner, jobs._audit_definition(n) AS definition
        FROM new_jobs AS n)
    SELECT a.role_name, a.role_oid, c.job_id, c.job_name, c.owner, c.owner::text, 'created',
           jobs._audit_fields(c.definition), NULL, c.definition
    FROM jobs._audit_author() AS a, created AS c;  -- in the order the rows were inserted
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION jobs._audit_jobs_removed()
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
        SELECT o.job_id, o.job_name, o.owner, jobs._audit_definition(o) AS definition
        FROM old_jobs AS o)
    SELECT a.role_name, a.role_oid, r.job_id, r.job_name, r.owner, r.owner::text, 'unscheduled',
           jobs._audit_fields(r.definition), r.definition, NULL
    FROM jobs._audit_author() AS a, removed AS r
    ORDER BY r.job_id;
    RETURN NULL;
END
$$;
