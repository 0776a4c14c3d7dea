-- pgTAP: workflows (issue 15). jobs.schedule_workflow and every rule of a
-- definition (22023 with the reason: malformed steps, a step listed twice,
-- an "after" naming no step, a cycle named step by step, a job that is not
-- the owner's, a workflow as a step); a workflow is a job (trigger, cancel,
-- enable, disable, unschedule, the views); and the advance of a workflow
-- run, driven by hand inside this transaction (the launcher never sees it):
-- root steps queued at its start, fan-out, fan-in, the "when" conditions,
-- skipped steps with their reason, upstream status and result in the step's
-- context, a step's retry inside the run, the run's end, and jobs.cancel
-- cascading to the steps. Real workers: test/integration/workflows.sh.
-- Roles are unprivileged, granted USAGE ON SCHEMA jobs. Everything rolls back.
-- Run from the repository root: pg_prove test/pgtap/workflows.sql
\ir lib/begin.sql

SELECT plan(73);

-- SQLSTATE and message of the error a command raises as a role (NULL if none).
CREATE FUNCTION pg_temp.error_of(role_name name, command text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    state text;
    message text;
BEGIN
    BEGIN
        PERFORM pg_temp.as_role(role_name, command);
        RETURN NULL;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
        RETURN state || ' ' || message;
    END;
END
$$;
-- jobs.schedule_workflow('w', NULL, steps) as alice: its error, or NULL.
CREATE FUNCTION pg_temp.define(steps text) RETURNS text
LANGUAGE sql AS $$
    SELECT pg_temp.error_of('pgtap_wf_alice', format('SELECT jobs.schedule_workflow(%L, NULL, %L)', 'w', steps));
$$;

CREATE ROLE pgtap_wf_alice;
CREATE ROLE pgtap_wf_bob;
GRANT USAGE ON SCHEMA jobs TO pgtap_wf_alice, pgtap_wf_bob;
SELECT pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.schedule('extract', NULL, 'SELECT 1')$$)::bigint AS extract_job \gset
SELECT pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.schedule('transform', NULL, 'SELECT 2')$$);
SELECT pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.schedule('report', NULL, 'SELECT 3')$$);
SELECT pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.schedule_http('notify', NULL, 'https://example.com/hook')$$);
SELECT pg_temp.as_role('pgtap_wf_bob', $$SELECT jobs.schedule('bobs', NULL, 'SELECT 1')$$);

-- Definition ---------------------------------------------------------------------------------------
SELECT pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.schedule_workflow('etl', '0 3 * * *', '[
    {"step": "extract", "job": "extract"},
    {"step": "transform", "job": "transform", "after": ["extract"]},
    {"step": "side", "job": "notify", "after": ["extract"], "when": "always"},
    {"step": "report", "job": "report", "after": ["transform", "side", "transform"], "when": "success"}]')$$)::bigint
    AS etl \gset
SELECT is((SELECT kind || ' ' || pg_get_userbyid(owner) || ' ' || schedule || ' ' || database
           FROM jobs.scheduled_job WHERE job_id = :etl),
          'workflow pgtap_wf_alice 0 3 * * * ' || current_database(),
          'schedule_workflow: a job of kind workflow, owned by the caller, in this database');
SELECT is((SELECT command::jsonb FROM jobs.scheduled_job WHERE job_id = :etl),
          '[{"job": "extract", "step": "extract", "when": "success", "after": []},
            {"job": "transform", "step": "transform", "when": "success", "after": ["extract"]},
            {"job": "notify", "step": "side", "when": "always", "after": ["extract"]},
            {"job": "report", "step": "report", "when": "success", "after": ["side", "transform"]}]'::jsonb,
          'the steps are stored normalized: after defaults to [], a step named twice in after once, when to success');
SELECT is(pg_temp.as_role('pgtap_wf_alice', $$SELECT reason FROM jobs.explain('etl') LIMIT 1$$),
          format('job "etl" (job_id %s) of role pgtap_wf_alice: workflow of 4 step(s): extract, transform, side, report',
                 :etl),
          'jobs.explain describes a workflow by its steps');
SELECT is(pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.schedule_workflow('etl', NULL,
              '[{"step": "only", "job": "extract"}]', enabled => false)$$)::bigint, :'etl'::bigint,
          'a second schedule_workflow of the same name redefines it (same job_id)');
SELECT is((SELECT jsonb_array_length(command::jsonb) || ' ' || coalesce(schedule, 'NULL') || ' ' || enabled
           FROM jobs.scheduled_job WHERE job_id = :etl), '1 NULL false', 'the redefinition replaced steps and options');
SELECT is(pg_temp.as_role('pgtap_wf_alice', $$SELECT job_name || ' ' || enabled FROM jobs.job_status
                                              WHERE job_name = 'etl'$$), 'etl false',
          'jobs.job_status lists the workflow');

-- The run options of jobs.schedule: run_if, priority, blackout, blackout_policy.
SELECT is(pg_temp.error_of('pgtap_wf_alice', $$SELECT jobs.schedule_workflow('w', NULL, '[{"step": "a", "job": "extract"}]',
                                                                            priority => 101)$$),
          '22023 priority must be between -100 and 100, not 101', 'a workflow''s priority is checked');
SELECT is(pg_temp.error_of('pgtap_wf_alice', $$SELECT jobs.schedule_workflow('w', NULL, '[{"step": "a", "job": "extract"}]',
                                                                            blackout_policy => 'later')$$),
          '22023 blackout_policy must be ''skip'' or ''defer'', not ''later''', 'a workflow''s blackout_policy is checked');
SELECT matches(pg_temp.error_of('pgtap_wf_alice', $$SELECT jobs.schedule_workflow('w', NULL, '[{"step": "a", "job": "extract"}]',
                                                                                 run_if => 'SELECT FROM')$$),
               '^42601 ', 'a workflow''s run_if is parsed when it is defined (42601)');
SELECT pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.schedule_workflow('optioned', '0 3 * * *',
    '[{"step": "a", "job": "extract"}]', run_if => 'true', priority => 40, blackout => '* 1-4 * * *',
    blackout_policy => 'defer')$$);
SELECT is((SELECT run_if || ' ' || priority || ' ' || blackout || ' ' || blackout_policy
           FROM jobs.scheduled_job WHERE job_name = 'optioned'),
          'true 40 * 1-4 * * * defer', 'jobs.schedule_workflow stores run_if, priority, blackout and blackout_policy');
SELECT pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.schedule_workflow('optioned', '0 3 * * *',
    '[{"step": "a", "job": "extract"}]')$$);
SELECT is((SELECT coalesce(run_if, '-') || ' ' || priority || ' ' || coalesce(blackout, '-') || ' ' || blackout_policy
           FROM jobs.scheduled_job WHERE job_name = 'optioned'),
          '- 0 - skip', 'redefining the workflow without them resets them to their defaults');
SELECT pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.unschedule('optioned')$$);

-- Definition errors: 22023 with the reason.
SELECT is(pg_temp.define('[]'), '22023 workflow "w": steps must be a non-empty JSON array', 'empty steps');
SELECT is(pg_temp.define('{"step": "a"}'), '22023 workflow "w": steps must be a non-empty JSON array',
          'steps not an array');
SELECT is(pg_temp.define('[{"step": "a"}]'),
          '22023 workflow "w": step 1 must be an object with a "step" name and a "job" name', 'a step without a job');
SELECT is(pg_temp.define('[{"step": "a", "job": "extract"}, {"job": "extract"}]'),
          '22023 workflow "w": step 2 must be an object with a "step" name and a "job" name', 'a step without a name');
SELECT is(pg_temp.define('[{"step": " ", "job": "extract"}]'),
          '22023 workflow "w": step 1 must be an object with a "step" name and a "job" name', 'a blank step name');
SELECT is(pg_temp.define('[{"step": "a", "job": "extract", "after_all": ["b"]}]'),
          '22023 workflow "w": step "a" has an unknown key "after_all"', 'an unknown key');
SELECT is(pg_temp.define('[{"step": "a", "job": "extract"}, {"step": "a", "job": "transform"}]'),
          '22023 workflow "w": step "a" is listed twice', 'a step listed twice');
SELECT is(pg_temp.define('[{"step": "a", "job": "extract"}, {"step": "b", "job": "transform", "after": ["c"]}]'),
          '22023 workflow "w": step "b" runs after "c", which is not a step of the workflow', 'an unknown step in after');
SELECT is(pg_temp.define('[{"step": "a", "job": "extract", "after": "b"}, {"step": "b", "job": "transform"}]'),
          '22023 workflow "w": "after" of step "a" must be an array of step names', 'after not an array');
SELECT is(pg_temp.define('[{"step": "a", "job": "extract", "after": [1]}]'),
          '22023 workflow "w": "after" of step "a" must be an array of step names', 'after with a number');
SELECT is(pg_temp.define('[{"step": "a", "job": "extract", "when": "sometimes"}]'),
          '22023 workflow "w": "when" of step "a" must be success, failure or always, not "sometimes"', 'an unknown when');
SELECT is(pg_temp.define('[{"step": "a", "job": "extract", "when": null}]'),
          '22023 workflow "w": "when" of step "a" must be success, failure or always, not null', 'a null when');
SELECT is(pg_temp.define('[{"step": "extract", "job": "extract", "after": ["transform"]},
                           {"step": "transform", "job": "transform", "after": ["extract"]}]'),
          '22023 workflow "w" has a cycle: extract -> transform -> extract', 'a cycle of two, named');
SELECT is(pg_temp.define('[{"step": "a", "job": "extract", "after": ["a"]}]'),
          '22023 workflow "w" has a cycle: a -> a', 'a step after itself');
SELECT is(pg_temp.define('[{"step": "start", "job": "extract"},
                           {"step": "b", "job": "extract", "after": ["start", "d"]},
                           {"step": "c", "job": "extract", "after": ["b"]},
                           {"step": "d", "job": "extract", "after": ["c"]}]'),
          '22023 workflow "w" has a cycle: b -> c -> d -> b', 'a cycle behind a root step names only the cycle');
SELECT is(pg_temp.define('[{"step": "a", "job": "nosuchjob"}]'),
          '22023 workflow "w": step "a" runs job "nosuchjob", which is not a job of role "pgtap_wf_alice"',
          'an unknown job');
SELECT is(pg_temp.define('[{"step": "a", "job": "bobs"}]'),
          '22023 workflow "w": step "a" runs job "bobs", which is not a job of role "pgtap_wf_alice"',
          'another role''s job answers as an unknown one');
SELECT is(pg_temp.define('[{"step": "a", "job": "etl"}]'),
          '22023 workflow "w": step "a" runs job "etl", which is a workflow', 'a workflow as a step');
SELECT is(pg_temp.error_of('pgtap_wf_alice', $$SELECT jobs.schedule_workflow('w', NULL,
              '[{"step": "a", "job": "extract"}]', overlap => 'replace')$$),
          '22023 overlap replace is not available for workflows', 'overlap replace is refused');
SELECT is(pg_temp.error_of('pgtap_wf_alice', $$SELECT jobs.schedule_workflow('w', 'every day',
              '[{"step": "a", "job": "extract"}]')$$) LIKE '22023 %', true, 'a bad schedule is refused as for jobs');
SELECT is(pg_temp.error_of('pgtap_wf_alice', $$SELECT jobs.alter('etl', command => 'SELECT 1')$$) IS NOT NULL, true,
          'jobs.alter cannot give a workflow an SQL command');
SELECT is(pg_temp.error_of('pgtap_wf_alice', $$SELECT jobs.alter('etl', max_retries => 2)$$) LIKE '23514 %', true,
          'jobs.alter cannot give a workflow retries (its steps'' jobs have theirs)');
SELECT is((SELECT count(*) FROM jobs.scheduled_job WHERE job_name = 'w'), 0::bigint, 'no refused workflow was stored');

-- Privileges: the privileged part and the internals are not the caller's.
SELECT is(pg_temp.error_of('pgtap_wf_alice', $$SELECT jobs_internal._schedule_workflow('pgtap_wf_bob', 'x', NULL,
              '[{"step": "a", "job": "bobs"}]', NULL, true, 'skip', 1, 'skip', NULL, NULL, NULL, NULL, NULL, NULL)$$)
          LIKE '42501 %', true, 'jobs_internal._schedule_workflow cannot be called directly');
SELECT is(pg_temp.error_of('pgtap_wf_alice', $$SELECT jobs_internal._start_workflow_runs()$$) LIKE '42501 %', true,
          'jobs_internal._start_workflow_runs is not for callers');
SELECT is(pg_temp.as_role('pgtap_wf_bob', $$SELECT count(*) FROM jobs.scheduled_job WHERE kind = 'workflow'$$), '0',
          'bob does not see alice''s workflow');

-- A workflow is a job ---------------------------------------------------------------------------------
SELECT pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.disable('etl')$$);
SELECT pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.enable('etl')$$);
SELECT is((SELECT enabled FROM jobs.scheduled_job WHERE job_id = :etl), true, 'jobs.disable and jobs.enable work on it');
SELECT pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.trigger('etl', '{"day": "2026-12-04"}')$$)::bigint AS queued_run \gset
SELECT is((SELECT kind || ' ' || status || ' ' || triggered_by FROM jobs.job_execution WHERE execution_id = :queued_run),
          'workflow queued manual', 'jobs.trigger queues one run of kind workflow');
SELECT is(pg_temp.error_of('pgtap_wf_bob', format('SELECT jobs.cancel(%s)', :queued_run)),
          format('42704 execution %s does not exist', :queued_run), 'bob cannot cancel alice''s workflow run');
SELECT is(pg_temp.as_role('pgtap_wf_alice', format('SELECT jobs.cancel(%s)', :queued_run)), 'true',
          'jobs.cancel on a queued workflow run');
SELECT is((SELECT status FROM jobs.job_execution WHERE execution_id = :queued_run), 'cancelled',
          'the queued workflow run is cancelled, no step was queued');
SELECT is((SELECT count(*) FROM jobs.job_execution WHERE workflow_execution_id = :queued_run), 0::bigint,
          'a workflow run cancelled before it started has no step runs');

-- The advance of a run, by hand -----------------------------------------------------------------------
--   a (extract) -> b (transform), c (report)  fan-out
--   b, c -> d (extract)                        fan-in, when success
--   d -> e (notify) when failure, f (report) when always, g (transform) when success
SELECT pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.schedule_workflow('dag', NULL, '[
    {"step": "a", "job": "extract"},
    {"step": "b", "job": "transform", "after": ["a"]},
    {"step": "c", "job": "report", "after": ["a"]},
    {"step": "d", "job": "extract", "after": ["b", "c"]},
    {"step": "e", "job": "notify", "after": ["d"], "when": "failure"},
    {"step": "f", "job": "report", "after": ["d"], "when": "always"},
    {"step": "g", "job": "transform", "after": ["d"]}]')$$);
SELECT pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.trigger('dag', '{"n": 7}')$$)::bigint AS run \gset
-- A step's run: its execution_id, status; a step's run moves as a worker would move it.
CREATE FUNCTION pg_temp.step_run(run bigint, name text) RETURNS bigint LANGUAGE sql AS $$
    SELECT max(execution_id) FROM jobs.job_execution WHERE workflow_execution_id = run AND step = name;
$$;
CREATE FUNCTION pg_temp.steps(run bigint) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(step || ':' || status, ' ' ORDER BY step, execution_id) FROM jobs.job_execution
    WHERE workflow_execution_id = run;
$$;
CREATE FUNCTION pg_temp.finish(run bigint, name text, status text, result text DEFAULT NULL) RETURNS bigint
LANGUAGE sql AS $$
    UPDATE jobs.job_execution SET status = 'running', started_at = clock_timestamp(), worker_pid = pg_backend_pid()
    WHERE execution_id = pg_temp.step_run(run, name);
    SELECT jobs_internal._finish_runs('running', ARRAY[pg_temp.step_run(run, name)], ARRAY[status],
                             results => ARRAY[result]);
$$;

SET jobs.notify_events = 'all';
SELECT cardinality(jobs_internal._pending_events()) AS events_before \gset
SELECT is(jobs_internal._start_workflow_runs(), 1, 'the launcher''s start takes the queued workflow run');
SELECT is((SELECT e::jsonb FROM unnest(jobs_internal._pending_events()) WITH ORDINALITY AS u(e, i)
           WHERE i = :events_before + 1),
          jsonb_build_object('event', 'run_started', 'execution_id', :run, 'job_id',
                             (SELECT job_id FROM jobs.job_execution WHERE execution_id = :run),
                             'status', 'running', 'attempt', 1),
          'a workflow run that starts sends run_started (jobs.notify_events = all)');
RESET jobs.notify_events;
SELECT is((SELECT status FROM jobs.job_execution WHERE execution_id = :run), 'running', 'the workflow run is running');
SELECT is(pg_temp.steps(:run), 'a:queued', 'its root step is queued, nothing else');
SELECT is((SELECT job_name || ' ' || kind || ' ' || triggered_by || ' ' || pg_get_userbyid(owner) || ' ' || payload::text
           FROM jobs.job_execution WHERE execution_id = pg_temp.step_run(:run, 'a')),
          'extract sql workflow pgtap_wf_alice {"n": 7}',
          'a step''s run is a run of its job, triggered_by workflow, as the owner, with the workflow''s payload');
SELECT is(pg_temp.finish(:run, 'a', 'succeeded', '{"rows": 3}'), 1::bigint, 'step a succeeds');
SELECT is(pg_temp.steps(:run), 'a:succeeded b:queued c:queued', 'fan-out: b and c are queued together');
SELECT is((SELECT workflow_context FROM jobs.job_execution WHERE execution_id = pg_temp.step_run(:run, 'b')),
          jsonb_build_object('workflow', jsonb_build_object('execution_id', :run, 'name', 'dag', 'step', 'b'),
                             'upstream', '{"a": {"status": "succeeded", "result": {"rows": 3}}}'::jsonb),
          'the context of b names the workflow run and holds a''s status and result');
SELECT pg_temp.finish(:run, 'b', 'succeeded');
SELECT is(pg_temp.steps(:run), 'a:succeeded b:succeeded c:queued', 'fan-in: d waits while c has not ended');
-- c fails, with a retry left: the retry stays in the workflow run.
UPDATE jobs.scheduled_job SET max_retries = 1, retry_backoff = '1 second' WHERE job_name = 'report';
SELECT pg_temp.finish(:run, 'c', 'failed');
SELECT is(pg_temp.steps(:run), 'a:succeeded b:succeeded c:failed c:queued',
          'a failed step with a retry left gets its retry inside the workflow run; d still waits');
SELECT is((SELECT triggered_by || ' ' || attempt || ' ' || workflow_execution_id FROM jobs.job_execution
           WHERE execution_id = pg_temp.step_run(:run, 'c')), 'retry 2 ' || :run, 'the retry belongs to the workflow run');
UPDATE jobs.job_execution SET not_before = NULL WHERE execution_id = pg_temp.step_run(:run, 'c');
SELECT pg_temp.finish(:run, 'c', 'failed');
SELECT is(pg_temp.steps(:run), 'a:succeeded b:succeeded c:failed c:failed d:skipped e:skipped f:queued g:skipped',
          'c failed for good: d (when success) is skipped, and so are e (failure) and g (success); f (always) runs');
SELECT is((SELECT error FROM jobs.job_execution WHERE execution_id = pg_temp.step_run(:run, 'd')),
          'skipped: upstream step(s) did not succeed: c (failed) (when success)', 'd says why it was skipped');
SELECT is((SELECT error FROM jobs.job_execution WHERE execution_id = pg_temp.step_run(:run, 'e')),
          'skipped: no upstream step failed (when failure)', 'e says why it was skipped');
SELECT is((SELECT workflow_context -> 'upstream' FROM jobs.job_execution WHERE execution_id = pg_temp.step_run(:run, 'f')),
          '{"d": {"status": "skipped", "result": null}}'::jsonb, 'f sees its upstream step skipped');
SELECT is((SELECT status FROM jobs.job_execution WHERE execution_id = :run), 'running', 'the run goes on while f runs');
SELECT pg_temp.finish(:run, 'f', 'succeeded');
SELECT is((SELECT status || ' | ' || error FROM jobs.job_execution WHERE execution_id = :run),
          'failed | step(s) did not succeed: c (failed)', 'the run ends failed: a step that ran failed');
SELECT is((SELECT result FROM jobs.job_execution WHERE execution_id = :run),
          '{"a": "succeeded", "b": "succeeded", "c": "failed", "d": "skipped", "e": "skipped", "f": "succeeded",
            "g": "skipped"}'::jsonb, 'its result is each step''s final status');

-- "failure" runs when an upstream step failed; a run whose steps all succeed or are skipped succeeds.
UPDATE jobs.scheduled_job SET max_retries = 0 WHERE job_name = 'report';
SELECT pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.schedule_workflow('onfail', NULL, '[
    {"step": "try", "job": "extract"},
    {"step": "rescue", "job": "transform", "after": ["try"], "when": "failure"},
    {"step": "next", "job": "report", "after": ["try"]}]')$$);
SELECT pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.trigger('onfail')$$)::bigint AS run2 \gset
SELECT jobs_internal._start_workflow_runs();
SELECT pg_temp.finish(:run2, 'try', 'timed_out');
SELECT is(pg_temp.steps(:run2), 'next:skipped rescue:queued try:timed_out',
          'when failure: the rescue step runs after a timed out step, the success branch is skipped');
SELECT pg_temp.finish(:run2, 'rescue', 'succeeded');
SELECT is((SELECT status FROM jobs.job_execution WHERE execution_id = :run2), 'failed',
          'the run still fails: the step that timed out ran');
SELECT pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.trigger('onfail')$$)::bigint AS run3 \gset
SELECT jobs_internal._start_workflow_runs();
SELECT pg_temp.finish(:run3, 'try', 'succeeded');
SELECT pg_temp.finish(:run3, 'next', 'succeeded');
SELECT is(pg_temp.steps(:run3) || ' ' || (SELECT status FROM jobs.job_execution WHERE execution_id = :run3),
          'next:succeeded rescue:skipped try:succeeded succeeded',
          'every step that ran succeeded (rescue skipped): the run succeeds');

-- jobs.cancel on a running workflow run.
SELECT pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.trigger('dag')$$)::bigint AS run4 \gset
SELECT jobs_internal._start_workflow_runs();
SELECT pg_temp.finish(:run4, 'a', 'succeeded');
UPDATE jobs.job_execution SET status = 'running', started_at = clock_timestamp()
WHERE execution_id = pg_temp.step_run(:run4, 'b');
SELECT is(pg_temp.as_role('pgtap_wf_alice', format('SELECT jobs.cancel(%s)', :run4)), 'true',
          'jobs.cancel on a running workflow run');
SELECT is((SELECT status || ' | ' || error FROM jobs.job_execution WHERE execution_id = :run4),
          'cancelled | cancelled by pgtap_wf_alice', 'the workflow run is cancelled at once');
SELECT is(pg_temp.steps(:run4), 'a:succeeded b:running c:cancelled d:skipped e:skipped f:skipped g:skipped',
          'its queued step is cancelled, the steps never started are recorded skipped');
SELECT is((SELECT cancel_requested_by FROM jobs.job_execution WHERE execution_id = pg_temp.step_run(:run4, 'b')),
          'pgtap_wf_alice', 'its running step is asked to stop (its worker records it cancelled)');
SELECT pg_temp.finish(:run4, 'b', 'cancelled');
SELECT is((SELECT status FROM jobs.job_execution WHERE execution_id = :run4), 'cancelled',
          'a step ending after its workflow run was cancelled changes nothing');

-- A step whose job was unscheduled meanwhile fails without starting.
SELECT pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.trigger('dag')$$)::bigint AS run5 \gset
SELECT jobs_internal._start_workflow_runs();
SELECT pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.unschedule('transform')$$);
SELECT pg_temp.finish(:run5, 'a', 'succeeded');
SELECT is((SELECT status || ' | ' || error FROM jobs.job_execution WHERE execution_id = pg_temp.step_run(:run5, 'b')),
          'failed | job "transform" of step "b" is no longer defined', 'a step whose job is gone fails at once');
SELECT is((SELECT workflow_execution_id || ' ' || step FROM jobs.job_history
           WHERE execution_id = pg_temp.step_run(:run5, 'b')), :run5 || ' b',
          'jobs.job_history shows a step''s run''s workflow run and step');

-- jobs.unschedule of the workflow: its queued runs are cancelled.
SELECT pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.trigger('onfail')$$)::bigint AS run6 \gset
SELECT is(pg_temp.as_role('pgtap_wf_alice', $$SELECT jobs.unschedule('onfail')$$), 'true', 'jobs.unschedule on it');
SELECT is((SELECT status FROM jobs.job_execution WHERE execution_id = :run6), 'cancelled',
          'its queued run is cancelled');

SELECT * FROM finish();
ROLLBACK;
