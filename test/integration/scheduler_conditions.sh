#!/usr/bin/env bash
# Issue 15's per-job run_if, priority and blackout with real workers, all
# defined by an unprivileged role (USAGE ON SCHEMA jobs only):
#  - run_if true runs the command; false or NULL records the run skipped
#    ("run_if was false") without running it; an error fails the run with
#    the error's SQLSTATE; it is checked with the owner's rights;
#  - priority: with one worker busy, a high-priority run queued after a
#    low-priority one starts first;
#  - blackout: a fire time inside it is skipped (skip) or becomes one run at
#    its end (defer);
#  - a workflow's run_if, checked by the launcher as the owner before the
#    workflow run starts; its steps' runs take the workflow's priority.
#
#   test/integration/scheduler_conditions.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start scheduler_conditions "jobs.max_workers = 1" "jobs.min_schedule_interval = 0" \
    "jobs.history_per_job = 0" "jobs.alert_window = '1s'"
cluster_psql -o /dev/null <<'SQL'
CREATE ROLE cond_alice LOGIN;
GRANT USAGE ON SCHEMA jobs TO cond_alice;
CREATE TABLE public.gate (open boolean NOT NULL);
INSERT INTO public.gate VALUES (false);
GRANT SELECT ON public.gate TO cond_alice;
CREATE TABLE public.secret_gate (open boolean NOT NULL);  -- cond_alice may not read it
CREATE TABLE public.cond_runs (job text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
GRANT INSERT ON public.cond_runs TO cond_alice;
CREATE SCHEMA cond_alice_own AUTHORIZATION cond_alice;  -- where she builds the attempt below
SQL
as_alice() { cluster_psql -At -U cond_alice -c "$1"; }
runs_of() { value "SELECT count(*) FROM public.cond_runs WHERE job = '$1'"; }

# An alert on missed times of cond_alice's jobs: runs skipped on purpose (run_if,
# blackout) must not raise it; a time skipped by overlap (at the end) does.
as_alice "SELECT jobs.schedule('alert-handler', NULL, \$\$INSERT INTO public.cond_runs VALUES ('alert')\$\$,
                               priority => 100)" >/dev/null
as_alice "SELECT jobs.alert('watch', 'alert-handler', events => '{missed}')" >/dev/null

# --- run_if -------------------------------------------------------------------------
as_alice "SELECT jobs.schedule('gated', NULL, \$\$INSERT INTO public.cond_runs VALUES ('gated')\$\$,
                               run_if => 'EXISTS (SELECT FROM public.gate WHERE open)')" >/dev/null
closed_run="$(as_alice "SELECT jobs.trigger('gated')")"
[[ "$(wait_final "$closed_run")" == skipped ]] || fail "a run whose run_if is false ends skipped"
[[ "$(value "SELECT error FROM jobs.job_execution WHERE execution_id = $closed_run")" == "run_if was false" ]] ||
    fail "its error says run_if was false"
[[ "$(runs_of gated)" == 0 ]] || fail "the command of a run whose run_if is false did not run"
pass "run_if false: the run is skipped ('run_if was false') and its command does not run"

value "UPDATE public.gate SET open = true" >/dev/null
open_run="$(as_alice "SELECT jobs.trigger('gated')")"
[[ "$(wait_final "$open_run")" == succeeded ]] || fail "a run whose run_if is true succeeds"
[[ "$(runs_of gated)" == 1 ]] || fail "the command of a run whose run_if is true ran once"
pass "run_if true: the command runs"

as_alice "SELECT jobs.alter('gated', run_if => 'NULL::boolean')" >/dev/null
null_run="$(as_alice "SELECT jobs.trigger('gated')")"
[[ "$(wait_final "$null_run")" == skipped ]] || fail "a run whose run_if is NULL ends skipped"
[[ "$(runs_of gated)" == 1 ]] || fail "the command of a run whose run_if is NULL did not run"
pass "run_if NULL: the run is skipped"

as_alice "SELECT jobs.alter('gated', run_if => '1 / 0 = 1')" >/dev/null
error_run="$(as_alice "SELECT jobs.trigger('gated')")"
[[ "$(wait_final "$error_run")" == failed ]] || fail "a run whose run_if raises an error fails"
[[ "$(value "SELECT sqlstate || ' ' || error FROM jobs.job_execution WHERE execution_id = $error_run")" == \
    "22012 division by zero" ]] || fail "the failed run records run_if's error and SQLSTATE"
pass "run_if error: the run fails with the error (22012 division by zero)"

# With the owner's rights: a table cond_alice may not read fails the run.
as_alice "SELECT jobs.alter('gated', run_if => 'EXISTS (SELECT FROM public.secret_gate)')" >/dev/null
denied_run="$(as_alice "SELECT jobs.trigger('gated')")"
[[ "$(wait_final "$denied_run")" == failed ]] || fail "run_if reading a table the owner may not read fails"
[[ "$(value "SELECT sqlstate FROM jobs.job_execution WHERE execution_id = $denied_run")" == 42501 ]] ||
    fail "run_if is evaluated with the owner's rights (42501)"
as_alice "SELECT jobs.alter('gated', run_if => 'current_user = ''cond_alice'' AND session_user = ''cond_alice''')" \
    >/dev/null
owner_run="$(as_alice "SELECT jobs.trigger('gated')")"
[[ "$(wait_final "$owner_run")" == succeeded ]] || fail "run_if sees the owner as current_user and session_user"
pass "run_if is checked as the job's owner (42501 on a table it may not read; current_user is the owner)"

as_alice "SELECT jobs.alter('gated', reset => '{run_if}')" >/dev/null
plain_run="$(as_alice "SELECT jobs.trigger('gated')")"
[[ "$(wait_final "$plain_run")" == succeeded ]] || fail "after reset => '{run_if}' the job runs unconditionally"
pass "reset => '{run_if}' removes the condition"

# In another database the launcher hands the run to a worker there, which
# checks run_if and posts the outcome; the launcher records it.
value "CREATE DATABASE cond_other" >/dev/null
as_alice "SELECT jobs.schedule('remote-gated', NULL, 'SELECT 1', database => 'cond_other', run_if => 'false')" >/dev/null
remote_false="$(as_alice "SELECT jobs.trigger('remote-gated')")"
[[ "$(wait_final "$remote_false")" == skipped ]] || fail "a run in another database whose run_if is false ends skipped"
[[ "$(value "SELECT error || ' ' || coalesce(sqlstate, '-') FROM jobs.job_execution WHERE execution_id = $remote_false")" == \
    "run_if was false -" ]] || fail "the launcher records it as the worker said: run_if was false, no SQLSTATE"
as_alice "SELECT jobs.alter('remote-gated', run_if => 'current_database() = ''cond_other''')" >/dev/null
remote_true="$(as_alice "SELECT jobs.trigger('remote-gated')")"
[[ "$(wait_final "$remote_true")" == succeeded ]] || fail "run_if is checked in the job's database"
pass "run_if in another database: checked there (current_database()), false recorded skipped by the launcher"

# HTTP jobs: run_if is checked by the HTTP worker, as the owner. Port 9 of
# the loopback refuses connections: a run that gets past run_if fails with
# connect_refused, one stopped by it never tries.
as_alice "SELECT jobs.schedule_http('hook-gated', NULL, 'http://127.0.0.1:9/hook', max_retries => 0,
                                    run_if => 'EXISTS (SELECT FROM public.gate WHERE NOT open)')" >/dev/null
http_false="$(as_alice "SELECT jobs.trigger('hook-gated')")"
[[ "$(wait_final "$http_false")" == skipped ]] || fail "an HTTP run whose run_if is false ends skipped"
[[ "$(value "SELECT error || ' ' || (error_kind IS NULL) FROM jobs.job_execution WHERE execution_id = $http_false")" == \
    "run_if was false true" ]] || fail "the skipped HTTP run says run_if was false and sent nothing"
as_alice "SELECT jobs.alter('hook-gated', run_if => '1 / 0 = 1')" >/dev/null
http_error="$(as_alice "SELECT jobs.trigger('hook-gated')")"
[[ "$(wait_final "$http_error")" == failed ]] || fail "an HTTP run whose run_if raises an error fails"
[[ "$(value "SELECT sqlstate || ' ' || error FROM jobs.job_execution WHERE execution_id = $http_error")" == \
    "22012 run_if: division by zero" ]] || fail "the failed HTTP run records run_if's error and SQLSTATE"
as_alice "SELECT jobs.alter('hook-gated', run_if => 'EXISTS (SELECT FROM public.secret_gate)')" >/dev/null
http_denied="$(as_alice "SELECT jobs.trigger('hook-gated')")"
[[ "$(wait_final "$http_denied")" == failed ]] || fail "an HTTP run_if reading a table the owner may not read fails"
[[ "$(value "SELECT sqlstate FROM jobs.job_execution WHERE execution_id = $http_denied")" == 42501 ]] ||
    fail "the HTTP worker checks run_if with the owner's rights (42501)"
as_alice "SELECT jobs.alter('hook-gated', run_if => 'current_user = ''cond_alice''')" >/dev/null
http_true="$(as_alice "SELECT jobs.trigger('hook-gated')")"
[[ "$(wait_final "$http_true")" == failed ]] || fail "an HTTP run whose run_if is true is sent"
[[ "$(value "SELECT error_kind FROM jobs.job_execution WHERE execution_id = $http_true")" == connect_refused ]] ||
    fail "the HTTP run whose run_if is true tried to connect (connect_refused)"
pass "HTTP run_if (checked by the HTTP worker as the owner): false skips, an error fails (22012, 42501), true sends"

# The HTTP worker's check sees the run's jobs.context(), as an SQL job's does.
as_alice "SELECT jobs.alter('hook-gated', run_if => \$r\$(jobs.context() -> 'payload' ->> 'go')::boolean\$r\$)" >/dev/null
http_stay="$(as_alice "SELECT jobs.trigger('hook-gated', '{\"go\": false}')")"
[[ "$(wait_final "$http_stay")" == skipped ]] || fail "an HTTP run_if reads the run's payload from jobs.context() (false)"
http_go="$(as_alice "SELECT jobs.trigger('hook-gated', '{\"go\": true}')")"
[[ "$(wait_final "$http_go")" == failed &&
    "$(value "SELECT error_kind FROM jobs.job_execution WHERE execution_id = $http_go")" == connect_refused ]] ||
    fail "an HTTP run_if reads the run's payload from jobs.context() (true: sent)"
pass "an HTTP job's run_if reads jobs.context(): payload go=false skips the run, go=true sends it"

# The HTTP worker's process is the bootstrap superuser: code that a run_if
# queues for the commit (a deferred constraint trigger) must not run there,
# as that role, after the check. PostgreSQL refuses to queue it within the
# security-restricted operation the check runs in; the run fails and the
# owner gains nothing.
cluster_psql -U cond_alice -o /dev/null <<'SQL'
CREATE TABLE cond_alice_own.armed (x int);
CREATE FUNCTION cond_alice_own.escalate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'ALTER ROLE cond_alice SUPERUSER';
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER at_commit AFTER INSERT ON cond_alice_own.armed DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION cond_alice_own.escalate();
CREATE FUNCTION cond_alice_own.arm() RETURNS boolean LANGUAGE sql AS $$
    INSERT INTO cond_alice_own.armed VALUES (1) RETURNING true
$$;
SQL
as_alice "SELECT jobs.alter('hook-gated', run_if => 'cond_alice_own.arm()')" >/dev/null
http_armed="$(as_alice "SELECT jobs.trigger('hook-gated')")"
[[ "$(wait_final "$http_armed")" == failed ]] || fail "an HTTP run_if that queues a deferred trigger fails"
[[ "$(value "SELECT sqlstate FROM jobs.job_execution WHERE execution_id = $http_armed")" == 42501 ]] ||
    fail "the deferred trigger is refused (42501): $(value "SELECT error FROM jobs.job_execution WHERE execution_id = $http_armed")"
holds "SELECT NOT rolsuper FROM pg_roles WHERE rolname = 'cond_alice'" ||
    fail "cond_alice did not become a superuser through a deferred trigger queued by her run_if"
[[ "$(value "SELECT count(*) FROM cond_alice_own.armed")" == 0 ]] || fail "the run_if's insert was rolled back"
pass "an HTTP run_if cannot leave code for the HTTP worker's commit: a deferred trigger is refused (42501), no escalation"

# The HTTP worker serves every role: a run_if that takes too long is cut off.
as_alice "SELECT jobs.alter('hook-gated', run_if => 'pg_sleep(30) IS NOT NULL')" >/dev/null
http_slow="$(as_alice "SELECT jobs.trigger('hook-gated')")"
[[ "$(wait_final "$http_slow")" == failed ]] || fail "an HTTP run_if that takes too long fails"
[[ "$(value "SELECT sqlstate FROM jobs.job_execution WHERE execution_id = $http_slow")" == 57014 ]] ||
    fail "the slow HTTP run_if is cancelled after 5 seconds (57014)"
holds "SELECT finished_at - started_at < interval '20 seconds' FROM jobs.job_execution WHERE execution_id = $http_slow" ||
    fail "the slow HTTP run_if did not hold the HTTP worker for its 30 seconds"
pass "an HTTP run_if is cut off after 5 seconds (57014): it cannot hold the HTTP worker"

# --- run_if of a workflow ------------------------------------------------------------
# The launcher checks it, as the owner, right before the workflow run starts:
# the same rules as for the HTTP worker (a process serving every role).
flow_steps='[{"step": "only", "job": "flow-step"}]'
as_alice "SELECT jobs.schedule('flow-step', NULL, \$\$INSERT INTO public.cond_runs VALUES ('flow-step')\$\$)" >/dev/null
as_alice "SELECT jobs.schedule_workflow('gated-flow', NULL, '$flow_steps',
                                        run_if => 'EXISTS (SELECT FROM public.gate WHERE NOT open)', priority => 30)" \
    >/dev/null
flow_false="$(as_alice "SELECT jobs.trigger('gated-flow')")"
[[ "$(wait_final "$flow_false")" == skipped ]] || fail "a workflow run whose run_if is false ends skipped"
[[ "$(value "SELECT error || ' ' || (SELECT count(*) FROM jobs.job_execution AS s
                                     WHERE s.workflow_execution_id = e.execution_id)
             FROM jobs.job_execution AS e WHERE e.execution_id = $flow_false")" == "run_if was false 0" ]] ||
    fail "the skipped workflow run says run_if was false and started no step"
as_alice "SELECT jobs.alter('gated-flow', run_if => '1 / 0 = 1')" >/dev/null
flow_error="$(as_alice "SELECT jobs.trigger('gated-flow')")"
[[ "$(wait_final "$flow_error")" == failed ]] || fail "a workflow run whose run_if raises an error fails"
[[ "$(value "SELECT sqlstate || ' ' || error FROM jobs.job_execution WHERE execution_id = $flow_error")" == \
    "22012 run_if: division by zero" ]] || fail "the failed workflow run records run_if's error and SQLSTATE"
as_alice "SELECT jobs.alter('gated-flow', run_if => 'EXISTS (SELECT FROM public.secret_gate)')" >/dev/null
flow_denied="$(as_alice "SELECT jobs.trigger('gated-flow')")"
[[ "$(wait_final "$flow_denied")" == failed &&
   "$(value "SELECT sqlstate FROM jobs.job_execution WHERE execution_id = $flow_denied")" == 42501 ]] ||
    fail "a workflow's run_if is checked with the owner's rights (42501)"
as_alice "SELECT jobs.alter('gated-flow', run_if => 'current_user = ''cond_alice''')" >/dev/null
flow_true="$(as_alice "SELECT jobs.trigger('gated-flow')")"
[[ "$(wait_final "$flow_true")" == succeeded && "$(runs_of flow-step)" == 1 ]] ||
    fail "a workflow run whose run_if holds runs its step: $(show_executions)"
[[ "$(value "SELECT priority FROM jobs.job_execution WHERE workflow_execution_id = $flow_true")" == 30 ]] ||
    fail "the step's run has the workflow's priority (30, above its job's 0)"
pass "workflow run_if (checked by the launcher as the owner): false skips, an error fails (22012, 42501), true runs; its step takes the workflow's priority"

as_alice "SELECT jobs.alter('gated-flow', run_if => 'cond_alice_own.arm()')" >/dev/null
flow_armed="$(as_alice "SELECT jobs.trigger('gated-flow')")"
[[ "$(wait_final "$flow_armed")" == failed &&
   "$(value "SELECT sqlstate FROM jobs.job_execution WHERE execution_id = $flow_armed")" == 42501 ]] ||
    fail "a workflow's run_if that queues a deferred trigger fails (42501)"
holds "SELECT NOT rolsuper FROM pg_roles WHERE rolname = 'cond_alice'" ||
    fail "cond_alice did not become a superuser through a deferred trigger queued by her workflow's run_if"
as_alice "SELECT jobs.alter('gated-flow', run_if => 'pg_sleep(30) IS NOT NULL')" >/dev/null
flow_slow="$(as_alice "SELECT jobs.trigger('gated-flow')")"
[[ "$(wait_final "$flow_slow")" == failed &&
   "$(value "SELECT sqlstate FROM jobs.job_execution WHERE execution_id = $flow_slow")" == 57014 ]] ||
    fail "a slow workflow run_if is cancelled after 5 seconds (57014)"
holds "SELECT finished_at - queued_at < interval '20 seconds' FROM jobs.job_execution WHERE execution_id = $flow_slow" ||
    fail "the slow workflow run_if did not hold the launcher for its 30 seconds"
as_alice "SELECT jobs.unschedule('gated-flow')" >/dev/null
pass "a workflow's run_if cannot escalate through a deferred trigger (42501) and is cut off after 5 seconds (57014)"

# --- priority with one worker --------------------------------------------------------
as_alice "SELECT jobs.schedule('blocker', NULL, 'SELECT pg_sleep(6)')" >/dev/null
as_alice "SELECT jobs.schedule('low', NULL, \$\$INSERT INTO public.cond_runs VALUES ('low')\$\$, priority => -10)" \
    >/dev/null
as_alice "SELECT jobs.schedule('high', NULL, \$\$INSERT INTO public.cond_runs VALUES ('high')\$\$, priority => 50)" \
    >/dev/null
blocker_run="$(as_alice "SELECT jobs.trigger('blocker')")"
wait_until 30 "SELECT status = 'running' FROM jobs.job_execution WHERE execution_id = $blocker_run" ||
    fail "the blocker run starts"
# The low run is queued first, then the high one, while the one worker is busy.
low_run="$(as_alice "SELECT jobs.trigger('low')")"
high_run="$(as_alice "SELECT jobs.trigger('high')")"
holds "SELECT status = 'running' FROM jobs.job_execution WHERE execution_id = $blocker_run" ||
    fail "the blocker is still running once both runs are queued (the test needs it)"
[[ "$(value "SELECT string_agg(priority::text, ',' ORDER BY execution_id) FROM jobs.job_execution
             WHERE execution_id IN ($low_run, $high_run)")" == "-10,50" ]] ||
    fail "queued runs carry their job's priority"
[[ "$(wait_final "$low_run")" == succeeded && "$(wait_final "$high_run")" == succeeded ]] ||
    fail "both runs succeed"
holds "SELECT h.started_at < l.started_at FROM jobs.job_execution h, jobs.job_execution l
       WHERE h.execution_id = $high_run AND l.execution_id = $low_run" ||
    fail "the high-priority run started before the low-priority one queued before it"
holds "SELECT (SELECT at FROM public.cond_runs WHERE job = 'high') < (SELECT at FROM public.cond_runs WHERE job = 'low')" ||
    fail "the high-priority command ran first"
pass "priority: with one worker busy, the high-priority run queued later starts first"

# --- blackout -------------------------------------------------------------------------
# A blackout of the current UTC minute and the two after it (a list, so it
# wraps past minute 59), on an every-second schedule.
blackout="$(value "SELECT string_agg(((extract(minute FROM now() AT TIME ZONE 'UTC')::int + k) % 60)::text, ',')
                   || ' * * * *' FROM generate_series(0, 2) AS k")"
as_alice "SELECT jobs.schedule('dark-skip', '* * * * * *', \$\$INSERT INTO public.cond_runs VALUES ('dark-skip')\$\$,
                               timezone => 'UTC', blackout => '$blackout')" >/dev/null
skip_id="$(value "SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'dark-skip'")"
wait_until 30 "SELECT count(*) > 0 FROM jobs.job_execution WHERE job_id = $skip_id AND status = 'skipped'
               AND error LIKE '%is in the blackout \"$blackout\" (blackout_policy skip)'" ||
    fail "a fire time inside the blackout is recorded skipped, naming the blackout"
[[ "$(runs_of dark-skip)" == 0 ]] || fail "no run of the skip job ran during its blackout"
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $skip_id AND status <> 'skipped'")" == 0 ]] ||
    fail "no run of the skip job was queued during its blackout"
as_alice "SELECT jobs.unschedule('dark-skip')" >/dev/null
pass "blackout skip: fire times inside '$blackout' are recorded skipped and nothing runs"

# defer: a blackout of the current minute only; every fire time in it
# becomes one run at its end.
defer_blackout="$(value "SELECT extract(minute FROM now() AT TIME ZONE 'UTC')::int || ' * * * *'")"
defer_end="$(value "SELECT date_trunc('minute', now()) + interval '1 minute'")"
as_alice "SELECT jobs.schedule('dark-defer', '* * * * * *', \$\$INSERT INTO public.cond_runs VALUES ('dark-defer')\$\$,
                               timezone => 'UTC', blackout => '$defer_blackout', blackout_policy => 'defer')" >/dev/null
defer_id="$(value "SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'dark-defer'")"
if holds "SELECT now() < '$defer_end'::timestamptz - interval '3 seconds'"; then
    wait_until 30 "SELECT count(*) = 1 FROM jobs.job_execution WHERE job_id = $defer_id AND status = 'queued'
                   AND scheduled_for = '$defer_end' AND not_before = '$defer_end'" ||
        fail "a fire time inside the blackout queues one run for its end"
    wait_until 30 "SELECT count(*) > 0 FROM jobs.job_execution WHERE job_id = $defer_id AND status = 'skipped'
                   AND error LIKE '%a run deferred to its end%is queued already (blackout_policy defer)'" ||
        fail "the later fire times inside the blackout are recorded skipped, pointing at the deferred run"
    [[ "$(runs_of dark-defer)" == 0 ]] || fail "nothing of the defer job ran during its blackout"
    pass "blackout defer: fire times inside '$defer_blackout' give one queued run at its end ($defer_end)"
else
    note "too close to the end of the minute to watch the deferred run wait; checking its start only"
fi
wait_until 90 "SELECT count(*) = 1 FROM jobs.job_execution WHERE job_id = $defer_id AND status = 'succeeded'
               AND scheduled_for = '$defer_end'" ||
    fail "the deferred run runs at the end of the blackout"
holds "SELECT started_at >= '$defer_end' FROM jobs.job_execution WHERE job_id = $defer_id AND scheduled_for = '$defer_end'" ||
    fail "the deferred run does not start before the blackout ends"
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $defer_id AND status <> 'skipped'
             AND scheduled_for < '$defer_end'")" == 0 ]] || fail "no run was queued for a time inside the blackout"
as_alice "SELECT jobs.unschedule('dark-defer')" >/dev/null
pass "blackout defer: one run starts at the end of the blackout, however many fire times fell in it"

# --- alerts ----------------------------------------------------------------------------------
as_alice "SELECT jobs.schedule('overlapper', '* * * * * *', 'SELECT pg_sleep(3)')" >/dev/null
wait_until 60 "SELECT count(*) > 0 FROM jobs.job_execution WHERE job_name = 'alert-handler' AND status = 'succeeded'
               AND payload::text LIKE '%overlapper%'" ||
    fail "a time skipped by overlap raises the missed alert (the alert works)"
as_alice "SELECT jobs.unschedule('overlapper')" >/dev/null
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE job_name = 'alert-handler'
             AND payload::text ~ '\"(gated|hook-gated|remote-gated|dark-skip|dark-defer)\"'")" == 0 ]] ||
    fail "runs skipped by run_if or a blackout raise no missed alert"
pass "runs skipped by run_if or a blackout raise no missed alert (a time skipped by overlap does)"

with_last_run="$(check_last_runs)"
pass "jobs.job_last_run agrees with jobs.job_status after runs skipped by run_if (running, then skipped) and by blackouts ($with_last_run jobs with a last run)"
