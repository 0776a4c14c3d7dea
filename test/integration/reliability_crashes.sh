#!/usr/bin/env bash
# Crash recovery, for real: `kill -9` of an SQL worker mid-run, then of the
# launcher mid-run. Either makes the postmaster reinitialize (every process
# with shared memory is ended and started again). After that cycle:
#   - every run that was running is 'crashed', with the reason in `error`,
#     and its effects (an INSERT before a long sleep) are not applied;
#   - every run that was queued still runs and succeeds;
#   - the launcher comes back and a `* * * * * *` job keeps firing;
#   - counting everything: runs expected = runs recorded, effects =
#     succeeded runs, no effect twice, no scheduled time twice.
# Every job's command inserts its execution_id (from jobs.context()) into
# public.effects, so effects join to jobs.job_execution.
#
#   test/integration/reliability_crashes.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

# Two workers: two slow runs take both, so the runs triggered after them are
# certainly still queued when the crash comes.
# jobs.max_running_per_owner = jobs.max_workers: one role's runs may take every worker here.
scheduler_start reliability_crashes "jobs.max_workers = 2" "jobs.max_running_per_owner = 2" "timezone = 'UTC'" "jobs.history_per_job = 0"
cluster_psql -o /dev/null <<'SQL'
CREATE TABLE public.effects (
    execution_id bigint NOT NULL,
    job text NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- The runs this script triggers and the status each must end with.
CREATE TABLE public.expected (
    execution_id bigint PRIMARY KEY,
    phase text NOT NULL,
    final_status text NOT NULL
);
SELECT jobs.schedule('tick', '* * * * * *',
    $$INSERT INTO public.effects (execution_id, job) SELECT (jobs.context()->>'execution_id')::bigint, 'tick'$$);
-- Two slow jobs, so that no overlap policy stands between their runs.
SELECT jobs.schedule(name, NULL,
    $$INSERT INTO public.effects (execution_id, job) SELECT (jobs.context()->>'execution_id')::bigint, 'slow';
      SELECT pg_sleep(30) /* slow-marker */$$)
FROM (VALUES ('slow'), ('slow2')) AS j (name);
SELECT jobs.schedule('quick', NULL,
    $$INSERT INTO public.effects (execution_id, job) SELECT (jobs.context()->>'execution_id')::bigint, 'quick'$$);
SQL
tick_job="$(value "SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'tick'")"
quick_runs=10

wait_for 30 count_at_least 3 "SELECT count(*) FROM jobs.job_execution WHERE job_id = $tick_job AND status = 'succeeded'" ||
    fail "the seconds job fires before any crash"
pass "the seconds job fires"

# --- Helpers -------------------------------------------------------------------------------
launcher_pid() { value "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_jobs launcher'" 2>/dev/null; }
new_launcher_running() {
    local pid
    pid="$(launcher_pid)" || return 1
    [[ -n "$pid" && "$pid" != "$1" ]]
}
reinit_count() { grep -c "all server processes terminated; reinitializing" "$CLUSTER_LOG" || true; }
status_of() { value "SELECT status FROM jobs.job_execution WHERE execution_id = $1"; }
effects_of() { value "SELECT count(*) FROM public.effects WHERE execution_id = $1"; }
ticks_scheduled_after() {
    count_at_least "$2" "SELECT count(*) FROM jobs.job_execution WHERE job_id = $tick_job
                         AND status = 'succeeded' AND scheduled_for > '$1'::timestamptz"
}

# start_crash_scene PHASE: two slow runs running (both workers busy), then
# $quick_runs quick runs triggered in one transaction, all still queued.
# Sets victim, blocker.
start_crash_scene() {
    local phase="$1"
    victim="$(value "SELECT jobs.trigger('slow')")"
    blocker="$(value "SELECT jobs.trigger('slow2')")"
    value "INSERT INTO public.expected VALUES ($victim, '$phase', 'crashed'), ($blocker, '$phase', 'crashed')" >/dev/null
    wait_until 60 "SELECT count(*) = 2 FROM jobs.job_execution WHERE execution_id IN ($victim, $blocker)
                   AND status = 'running' AND worker_pid IS NOT NULL" ||
        fail "$phase: both slow runs are running (statuses: $(status_of "$victim"), $(status_of "$blocker"))"
    value "INSERT INTO public.expected SELECT jobs.trigger('quick'), '$phase', 'succeeded'
           FROM generate_series(1, $quick_runs)" >/dev/null
    [[ "$(value "SELECT count(*) FROM public.expected x JOIN jobs.job_execution e USING (execution_id)
                 WHERE x.phase = '$phase' AND x.final_status = 'succeeded' AND e.status = 'queued'")" == "$quick_runs" ]] ||
        fail "$phase: the $quick_runs quick runs are queued behind the slow ones"
    # Both are in pg_sleep: their INSERT has run, uncommitted.
    wait_until 30 "SELECT count(*) = 2 FROM pg_stat_activity WHERE backend_type = 'pg_jobs worker'
                   AND query LIKE '%slow-marker%' AND wait_event = 'PgSleep'" ||
        fail "$phase: two workers are sleeping inside the slow command, after its INSERT"
}

# check_crash_outcome PHASE: after the reinitialization, the slow runs are
# crashed without effects and the queued runs all succeed, once each.
check_crash_outcome() {
    local phase="$1" id status error
    for id in "$victim" "$blocker"; do
        status="$(wait_final "$id")"
        [[ "$status" == crashed ]] || fail "$phase: the run that was running ($id) is 'crashed' (got '$status')"
        error="$(value "SELECT coalesce(error, '') FROM jobs.job_execution WHERE execution_id = $id")"
        [[ -n "$error" ]] || fail "$phase: the crashed run $id says why in error"
        [[ "$(effects_of "$id")" == 0 ]] || fail "$phase: the INSERT of the crashed run $id is not applied"
    done
    pass "$phase: both running runs are 'crashed' (error: $error), their INSERT not applied"

    wait_until 60 "SELECT count(*) = 0 FROM public.expected x JOIN jobs.job_execution e USING (execution_id)
                   WHERE x.phase = '$phase' AND e.status IN ('queued', 'running')" ||
        fail "$phase: the runs queued at the crash all finish"
    local outcome
    outcome="$(value "SELECT count(*) FILTER (WHERE e.status = 'succeeded') || ' '
                             || count(*) FILTER (WHERE (SELECT count(*) FROM public.effects f
                                                        WHERE f.execution_id = e.execution_id) = 1)
                      FROM public.expected x JOIN jobs.job_execution e USING (execution_id)
                      WHERE x.phase = '$phase' AND x.final_status = 'succeeded'")"
    [[ "$outcome" == "$quick_runs $quick_runs" ]] ||
        fail "$phase: the $quick_runs runs queued at the crash all succeed with one effect each (succeeded, with one effect: $outcome)"
    pass "$phase: the $quick_runs runs queued at the crash all ran after it, one effect each"
}

# --- kill -9 of an SQL worker mid-run -------------------------------------------------------------
start_crash_scene worker-kill
worker="$(value "SELECT worker_pid FROM jobs.job_execution WHERE execution_id = $victim")"
[[ "$(value "SELECT backend_type FROM pg_stat_activity WHERE pid = $worker")" == "pg_jobs worker" ]] ||
    fail "the victim's worker_pid $worker is a 'pg_jobs worker'"
old_launcher="$(launcher_pid)"
reinits="$(reinit_count)"
kill -9 "$worker"
note "killed worker $worker (run $victim) with SIGKILL"
wait_for 60 new_launcher_running "$old_launcher" || fail "worker-kill: a new launcher runs after the crash"
(($(reinit_count) > reinits)) || fail "worker-kill: the postmaster reinitialized after the SIGKILL"
pass "worker-kill: the postmaster reinitialized and a new launcher runs (pid $(launcher_pid), was $old_launcher)"
check_crash_outcome worker-kill
recovered="$(value "SELECT clock_timestamp()")"
wait_for 30 ticks_scheduled_after "$recovered" 3 || fail "worker-kill: the seconds job fires after the crash"
pass "worker-kill: the seconds job keeps firing"

# --- kill -9 of the launcher mid-run ---------------------------------------------------------------
start_crash_scene launcher-kill
old_launcher="$(launcher_pid)"
[[ -n "$old_launcher" ]] || fail "launcher-kill: the launcher runs"
reinits="$(reinit_count)"
kill -9 "$old_launcher"
note "killed the launcher $old_launcher with SIGKILL (runs $victim and $blocker running)"
wait_for 60 new_launcher_running "$old_launcher" || fail "launcher-kill: the launcher comes back"
(($(reinit_count) > reinits)) || fail "launcher-kill: the postmaster reinitialized after the SIGKILL"
pass "launcher-kill: the postmaster reinitialized and the launcher came back (pid $(launcher_pid))"
check_crash_outcome launcher-kill
recovered="$(value "SELECT clock_timestamp()")"
wait_for 30 ticks_scheduled_after "$recovered" 3 || fail "launcher-kill: the seconds job fires after the crash"
pass "launcher-kill: the seconds job keeps firing"

# --- Counting everything ------------------------------------------------------------------------------
value "SELECT jobs.disable('tick')" >/dev/null
wait_until 60 "SELECT count(*) = 0 FROM jobs.job_execution WHERE status IN ('queued', 'running')" ||
    fail "every run reaches a final status"

# Runs expected = runs recorded: every triggered run is in the history, with
# the status it must have, and no manual run is there that was not triggered.
wrong="$(value "SELECT count(*) FROM public.expected x FULL JOIN
                  (SELECT * FROM jobs.job_execution WHERE triggered_by = 'manual') e USING (execution_id)
                WHERE x.final_status IS DISTINCT FROM e.status")"
[[ "$wrong" == 0 ]] || fail "runs expected = runs recorded, each with its expected status ($wrong differ)"
pass "runs expected = runs recorded: $(value "SELECT count(*) FROM public.expected") triggered runs, each with its expected status"

summary="$(check_effects_once "$tick_job")"
pass "across both crashes: effects = succeeded runs, none twice, no scheduled time twice ($summary)"

with_last_run="$(check_last_runs)"
pass "jobs.job_last_run agrees with jobs.job_status after crash recovery (workers and the launcher killed mid-run) ($with_last_run jobs with a last run)"
