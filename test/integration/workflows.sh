#!/usr/bin/env bash
# Workflows (issue 15) with real workers: fan-out (steps side by side),
# fan-in (a step waits for all its "after"), the "when" conditions and
# skipped steps, upstream status and result in jobs.context() (an HTTP step's
# answer read by the SQL step after it, an SQL step's first row read by the
# SQL step after it), jobs.cancel on a running workflow
# run, a step's retry inside the run, and a kill -9 of the postmaster in the
# middle of a workflow run: after the restart the run goes on from its
# finished steps, and no step's effects are applied twice.
#
#   test/integration/workflows.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh
# shellcheck source=test/lib/http_server.sh
source test/lib/http_server.sh

http_test_server_start
scheduler_start workflows "jobs.max_workers = 4" "jobs.max_running_per_owner = 4" "jobs.history_per_job = 0"
cluster_psql -o /dev/null <<SQL
-- One row per step run that committed its effects.
CREATE TABLE public.effects (execution_id bigint PRIMARY KEY, workflow bigint, step text, context jsonb,
                             started timestamptz, ended timestamptz NOT NULL DEFAULT clock_timestamp());
GRANT ALL ON public.effects TO PUBLIC;
CREATE FUNCTION public.record_step(pause float8) RETURNS void LANGUAGE plpgsql AS \$\$
DECLARE
    started timestamptz := clock_timestamp();
BEGIN
    PERFORM pg_sleep(pause);
    INSERT INTO public.effects VALUES ((jobs.context() ->> 'execution_id')::bigint,
                                       (jobs.context() -> 'workflow' ->> 'execution_id')::bigint,
                                       jobs.context() -> 'workflow' ->> 'step', jobs.context(), started);
END
\$\$;
SELECT jobs.schedule('quick', NULL, 'SELECT public.record_step(0)');
SELECT jobs.schedule('slow', NULL, 'SELECT public.record_step(2)');
SELECT jobs.schedule('long', NULL, 'SELECT public.record_step(60)');
SELECT jobs.schedule('boom', NULL, 'SELECT public.record_step(0); SELECT 1 / 0');
SELECT jobs.schedule_http('fetch', NULL, '$base/ok', method => 'GET');
SQL

step_status() { value "SELECT status FROM jobs.job_execution WHERE workflow_execution_id = $1 AND step = '$2'
                       ORDER BY execution_id DESC LIMIT 1"; }
effects_of() { value "SELECT count(*) FROM public.effects WHERE workflow = $1 AND step = '$2'"; }

# --- Fan-out and fan-in -----------------------------------------------------------------------------
cluster_psql -o /dev/null -c "SELECT jobs.schedule_workflow('fan', NULL, '[
    {\"step\": \"start\", \"job\": \"quick\"},
    {\"step\": \"s1\", \"job\": \"slow\", \"after\": [\"start\"]},
    {\"step\": \"s2\", \"job\": \"slow\", \"after\": [\"start\"]},
    {\"step\": \"s3\", \"job\": \"slow\", \"after\": [\"start\"]},
    {\"step\": \"join\", \"job\": \"quick\", \"after\": [\"s1\", \"s2\", \"s3\"]}]')"
run="$(value "SELECT jobs.trigger('fan')")"
[[ "$(wait_final "$run" 60)" == succeeded ]] || fail "the fan-out workflow run succeeds: $(show_executions)"
pass "a workflow run of five steps succeeds (jobs.wait on the workflow run)"
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE workflow_execution_id = $run")" == 5 &&
   "$(value "SELECT count(*) FROM public.effects WHERE workflow = $run")" == 5 ]] ||
    fail "each step ran once: $(value "SELECT string_agg(step || ':' || status, ' ') FROM jobs.job_execution WHERE workflow_execution_id = $run")"
pass "each of the five steps has one run and one effect"
holds "SELECT max(started) < min(ended) FROM public.effects WHERE workflow = $run AND step IN ('s1', 's2', 's3')" ||
    fail "fan-out: s1, s2 and s3 ran side by side: $(value "SELECT string_agg(step || ' ' || started::time || '-' || ended::time, ', ') FROM public.effects WHERE workflow = $run")"
pass "fan-out: the three steps after 'start' ran side by side (each started before any ended)"
holds "SELECT (SELECT started FROM public.effects WHERE workflow = $run AND step = 'join')
              >= (SELECT max(ended) FROM public.effects WHERE workflow = $run AND step IN ('s1', 's2', 's3'))
          AND (SELECT min(started) FROM public.effects WHERE workflow = $run AND step IN ('s1', 's2', 's3'))
              >= (SELECT ended FROM public.effects WHERE workflow = $run AND step = 'start')" ||
    fail "fan-in: 'join' started after all three ended, they after 'start'"
pass "fan-in: 'join' started only after s1, s2 and s3 had all ended"
holds "SELECT context -> 'workflow' = jsonb_build_object('execution_id', $run, 'name', 'fan', 'step', 'join')
          AND (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(context -> 'upstream') AS k) = '{s1,s2,s3}'
          AND context -> 'upstream' -> 's2' ->> 'status' = 'succeeded'
       FROM public.effects WHERE workflow = $run AND step = 'join'" ||
    fail "jobs.context() in 'join' has workflow and its three upstream steps: $(value "SELECT context FROM public.effects WHERE workflow = $run AND step = 'join'")"
pass "jobs.context() in a step: workflow {execution_id, name, step} and upstream keyed by each direct upstream step"

# --- Conditions, and an upstream result -------------------------------------------------------------
cluster_psql -o /dev/null -c "SELECT jobs.schedule_workflow('cond', NULL, '[
    {\"step\": \"fetch\", \"job\": \"fetch\"},
    {\"step\": \"use\", \"job\": \"quick\", \"after\": [\"fetch\"]},
    {\"step\": \"bad\", \"job\": \"boom\", \"after\": [\"use\"]},
    {\"step\": \"on_failure\", \"job\": \"quick\", \"after\": [\"bad\"], \"when\": \"failure\"},
    {\"step\": \"on_success\", \"job\": \"quick\", \"after\": [\"bad\"]},
    {\"step\": \"cleanup\", \"job\": \"quick\", \"after\": [\"on_success\"], \"when\": \"always\"}]')"
run="$(value "SELECT jobs.trigger('cond')")"
[[ "$(wait_final "$run" 60)" == failed ]] || fail "a workflow run with a failed step ends failed: $(show_executions)"
[[ "$(value "SELECT error FROM jobs.job_execution WHERE execution_id = $run")" == 'step(s) did not succeed: bad (failed)' ]] ||
    fail "the failed workflow run names its failed step"
pass "a workflow run whose step failed ends failed, naming the step"
got="$(value "SELECT string_agg(step || ':' || status, ' ' ORDER BY step) FROM jobs.job_execution WHERE workflow_execution_id = $run")"
[[ "$got" == 'bad:failed cleanup:succeeded fetch:succeeded on_failure:succeeded on_success:skipped use:succeeded' ]] ||
    fail "when: failure runs, success is skipped, always runs after a skipped step (got $got)"
pass "when: the failure step ran, the success step was skipped, the always step ran after it"
[[ "$(value "SELECT error FROM jobs.job_execution WHERE workflow_execution_id = $run AND step = 'on_success'")" == \
   'skipped: upstream step(s) did not succeed: bad (failed) (when success)' ]] || fail "the skipped step says why"
[[ "$(effects_of "$run" bad)" == 0 && "$(effects_of "$run" on_success)" == 0 ]] ||
    fail "the failed step's effects rolled back; the skipped step did nothing"
pass "the skipped step is recorded with its reason and did nothing"
holds "SELECT context -> 'upstream' -> 'fetch' ->> 'status' = 'succeeded'
          AND context -> 'upstream' -> 'fetch' -> 'result' ->> 'path' = '/ok'
          AND context -> 'upstream' -> 'fetch' -> 'result' -> 'ok' = 'true'
       FROM public.effects WHERE workflow = $run AND step = 'use'" ||
    fail "the SQL step after the HTTP step reads its answer: $(value "SELECT context -> 'upstream' FROM public.effects WHERE workflow = $run AND step = 'use'")"
pass "upstream results: the SQL step reads the HTTP step's answer in jobs.context() -> 'upstream' -> 'fetch' -> 'result'"

# --- An SQL step's result, read by the steps after it ------------------------------------------------
# An SQL run's result is the first row of its last statement (README, "SQL
# jobs"): 'produce' hands {"batch": 42} on, 'consume' stores it and hands on
# its RETURNING row, which 'finish' stores.
cluster_psql -o /dev/null <<'SQL'
CREATE TABLE public.batches (workflow bigint, step text, batch int);
GRANT ALL ON public.batches TO PUBLIC;
SELECT jobs.schedule('produce', NULL, 'SELECT 42 AS batch, ''x'' AS tag');
SELECT jobs.schedule('consume', NULL, $$
    INSERT INTO public.batches
    SELECT (jobs.context() -> 'workflow' ->> 'execution_id')::bigint, 'consume',
           (jobs.context() -> 'upstream' -> 'produce' -> 'result' ->> 'batch')::int
    RETURNING batch * 2 AS doubled $$);
SELECT jobs.schedule('finish', NULL, $$
    INSERT INTO public.batches
    SELECT (jobs.context() -> 'workflow' ->> 'execution_id')::bigint, 'finish',
           (jobs.context() -> 'upstream' -> 'consume' -> 'result' ->> 'doubled')::int $$);
SELECT jobs.schedule_workflow('handoff', NULL, '[
    {"step": "produce", "job": "produce"},
    {"step": "consume", "job": "consume", "after": ["produce"]},
    {"step": "finish", "job": "finish", "after": ["consume"]}]');
SQL
run="$(value "SELECT jobs.trigger('handoff')")"
[[ "$(wait_final "$run" 60)" == succeeded ]] || fail "the hand-off workflow run succeeds: $(show_executions "workflow_execution_id = $run")"
got="$(value "SELECT string_agg(step || '=' || coalesce(batch::text, 'NULL'), ' ' ORDER BY step) FROM public.batches WHERE workflow = $run")"
[[ "$got" == 'consume=42 finish=84' ]] ||
    fail "each SQL step stored what the SQL step before it returned (got $got; results: $(value "SELECT string_agg(step || ' ' || coalesce(result::text, 'NULL'), ', ') FROM jobs.job_execution WHERE workflow_execution_id = $run"))"
holds "SELECT result = '{\"batch\": 42, \"tag\": \"x\"}' FROM jobs.job_execution WHERE workflow_execution_id = $run AND step = 'produce'
       AND status = 'succeeded'" || fail "the produce step's result is its row"
pass "an SQL step's result (its first row) reaches the next step: upstream -> 'produce' -> 'result' ->> 'batch' = 42, then a RETURNING row (84)"

# --- jobs.cancel on a running workflow run ----------------------------------------------------------
cluster_psql -o /dev/null -c "SELECT jobs.schedule_workflow('cancelme', NULL, '[
    {\"step\": \"first\", \"job\": \"quick\"},
    {\"step\": \"wait\", \"job\": \"long\", \"after\": [\"first\"]},
    {\"step\": \"also\", \"job\": \"long\", \"after\": [\"first\"]},
    {\"step\": \"then\", \"job\": \"quick\", \"after\": [\"wait\", \"also\"]}]')"
run="$(value "SELECT jobs.trigger('cancelme')")"
wait_until 30 "SELECT count(*) = 2 FROM jobs.job_execution WHERE workflow_execution_id = $run AND status = 'running'" ||
    fail "the two long steps start"
[[ "$(value "SELECT jobs.cancel($run)")" == t ]] || fail "jobs.cancel on the running workflow run returns true"
[[ "$(wait_final "$run" 5)" == cancelled ]] || fail "the workflow run is cancelled at once"
wait_until 30 "SELECT count(*) = 2 FROM jobs.job_execution WHERE workflow_execution_id = $run AND step IN ('wait', 'also')
                 AND status = 'cancelled'" || fail "its running steps end cancelled: $(show_executions "workflow_execution_id = $run")"
[[ "$(step_status "$run" then)" == skipped && "$(effects_of "$run" wait)" == 0 ]] ||
    fail "the step that never started is recorded skipped, the cancelled ones left no effect"
pass "jobs.cancel on a running workflow run: cancelled at once, its running steps interrupted, the rest skipped"

# --- An unprivileged owner -------------------------------------------------------------------------
# A role with only USAGE ON SCHEMA jobs defines, triggers and waits for a
# workflow; its steps run as it, and the advance (in its steps' transactions)
# needs nothing more from it.
cluster_psql -o /dev/null <<'SQL'
CREATE ROLE wf_user LOGIN;
GRANT USAGE ON SCHEMA jobs TO wf_user;
SET ROLE wf_user;
SELECT jobs.schedule('mine', NULL, 'SELECT public.record_step(0)');
SELECT jobs.schedule_workflow('user_flow', NULL, '[{"step": "one", "job": "mine"},
                                                  {"step": "two", "job": "mine", "after": ["one"]}]');
SQL
run="$(cluster_psql -At -c "SET ROLE wf_user" -c "SELECT jobs.trigger('user_flow')")"
[[ "$(cluster_psql -At -c "SET ROLE wf_user" -c "SELECT status FROM jobs.wait($run, interval '60 seconds')")" == succeeded ]] ||
    fail "a role with only USAGE ON SCHEMA jobs runs its workflow: $(show_executions "workflow_execution_id = $run")"
holds "SELECT count(*) = 2 AND bool_and(pg_get_userbyid(owner) = 'wf_user') FROM jobs.job_execution
       WHERE workflow_execution_id = $run AND status = 'succeeded'" || fail "both steps ran as wf_user"
pass "a role granted only USAGE ON SCHEMA jobs defines, triggers and waits for its workflow; the steps run as it"

# --- A step's retry inside the run, and a kill -9 of the postmaster mid-run --------------------------
cluster_psql -o /dev/null <<'SQL'
SELECT jobs.schedule('crashable', NULL, 'SELECT public.record_step(4)', max_retries => 1, retry_backoff => '1 second');
SELECT jobs.schedule_workflow('chain', NULL, '[
    {"step": "a", "job": "quick"},
    {"step": "b", "job": "quick", "after": ["a"]},
    {"step": "c", "job": "crashable", "after": ["b"]},
    {"step": "d", "job": "quick", "after": ["c"]}]');
SQL
run="$(value "SELECT jobs.trigger('chain')")"
wait_until 30 "SELECT status = 'running' FROM jobs.job_execution WHERE workflow_execution_id = $run AND step = 'c'" ||
    fail "step c starts"
postmaster="$(cluster_pid)"
kill -9 "$postmaster"
note "killed the postmaster $postmaster with SIGKILL while step c of workflow run $run ran"
# Its children notice and exit; a new postmaster can start once they have.
children_gone() { ! pgrep -P "$postmaster" >/dev/null 2>&1 && ! kill -0 "$postmaster" 2>/dev/null; }
wait_for 60 children_gone || fail "the postmaster's children exit after it was killed"
start_again() {
    _cluster_as_owner "$CLUSTER_DIR" "$PG_BINDIR/pg_ctl" start -D "$CLUSTER_DATA" -l "$CLUSTER_LOG" -w -t 60 >/dev/null 2>&1
}
wait_for 60 start_again || fail "the server starts again after the kill -9"
wait_for 30 launcher_running || fail "the launcher is back after the restart"
[[ "$(wait_final "$run" 60)" == succeeded ]] ||
    fail "the workflow run goes on after the crash and succeeds: $(show_executions "workflow_execution_id = $run")"
got="$(value "SELECT string_agg(step || ':' || status, ' ' ORDER BY execution_id) FROM jobs.job_execution WHERE workflow_execution_id = $run")"
[[ "$got" == 'a:succeeded b:succeeded c:crashed c:succeeded d:succeeded' ]] ||
    fail "after the crash: a and b are not run again, c crashed and its retry succeeded, then d ran (got $got)"
pass "kill -9 of the postmaster mid-run: the run went on from its finished steps ($got)"
[[ "$(value "SELECT string_agg(step || '=' || n, ' ' ORDER BY step) FROM (SELECT step, count(*) AS n FROM public.effects
             WHERE workflow = $run GROUP BY step) s")" == 'a=1 b=1 c=1 d=1' ]] ||
    fail "no step's effects were applied twice"
pass "no step ran twice: one effect per step (c's crashed attempt rolled back)"
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE kind = 'workflow' AND status IN ('queued', 'running')")" == 0 ]] ||
    fail "no workflow run is left unfinished"
pass "no workflow run is left queued or running"
