#!/usr/bin/env bash
# A late finish cannot overwrite a run's final status (issue 11, section 1).
# A run is marked crashed or cancelled behind its worker's back while its
# command waits at a gate; then the command goes on and ends. Every finishing
# statement (jobs_internal._finish_runs) moves only runs that are still running, so:
#   - a late success leaves the row as marked, and its effects roll back;
#   - a late failure leaves the row as marked, with the mark's error;
#   - the same for a run in another database (the launcher records it);
#   - the worker goes on serving: a run queued behind each one succeeds.
#
#   test/integration/lifecycle_late_finish.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start lifecycle_late_finish "jobs.max_workers = 1"
cluster_psql -o /dev/null <<'SQL'
CREATE DATABASE otherdb;
CREATE TABLE public.effects (execution_id bigint NOT NULL);
CREATE TABLE public.gate (execution_id bigint PRIMARY KEY);
SQL
cluster_psql -d otherdb -o /dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pg_jobs;  -- for jobs.context()
CREATE TABLE public.effects (execution_id bigint NOT NULL);
CREATE TABLE public.gate (execution_id bigint PRIMARY KEY);
SQL

field() { value "SELECT $2 FROM jobs.job_execution WHERE execution_id = $1"; }
is_running() { holds "SELECT status = 'running' FROM jobs.job_execution WHERE execution_id = $1"; }
effects_of() { cluster_psql -At -d "${2:-postgres}" -c "SELECT count(*) FROM public.effects WHERE execution_id = $1"; }
open_gate() { cluster_psql -At -d "${2:-postgres}" -o /dev/null -c "INSERT INTO public.gate VALUES ($1)"; }

# Records its effect, waits until the test opens its gate (each statement of
# the loop sees the latest commits), then ends with `tail`.
gated() {
    echo "INSERT INTO public.effects SELECT (jobs.context()->>'execution_id')::bigint;
DO \$do\$ BEGIN
  WHILE NOT EXISTS (SELECT FROM public.gate WHERE execution_id = (jobs.context()->>'execution_id')::bigint) LOOP
    PERFORM pg_sleep(0.02);
  END LOOP;
END \$do\$;
$1"
}

value "SELECT jobs.schedule('late_success', NULL, \$job\$$(gated 'SELECT 1')\$job\$, timeout => '2 minutes')" >/dev/null
value "SELECT jobs.schedule('late_failure', NULL, \$job\$$(gated 'SELECT 1/0')\$job\$, timeout => '2 minutes')" >/dev/null
value "SELECT jobs.schedule('quick', NULL, \$job\$INSERT INTO public.effects
       SELECT (jobs.context()->>'execution_id')::bigint\$job\$)" >/dev/null
value "SELECT jobs.schedule('remote_late', NULL, \$job\$$(gated 'SELECT 1')\$job\$, timeout => '2 minutes',
       database => 'otherdb')" >/dev/null
value "SELECT jobs.schedule('remote_quick', NULL, \$job\$INSERT INTO public.effects
       SELECT (jobs.context()->>'execution_id')::bigint\$job\$, database => 'otherdb')" >/dev/null

# Triggers job $1, marks its run with status $2 and error $3 behind its
# worker's back while it runs (its command cannot end before the gate
# opens; it runs in database $4), queues
# a run of job $5 behind it, opens the gate, and checks the mark stays.
# One worker at a time (jobs.max_workers = 1): the run behind is served
# by the late run's worker. Prints the late run's execution_id.
late_finish_case() {
    local job="$1" mark="$2" why="$3" db="$4" quick="$5" id pid behind
    id="$(value "SELECT jobs.trigger('$job')")"
    wait_for 30 is_running "$id" || fail "$job: the run starts"
    pid="$(field "$id" worker_pid)"
    value "UPDATE jobs.job_execution SET status = '$mark', finished_at = clock_timestamp(), error = '$why',
           sqlstate = NULL WHERE execution_id = $id AND status = 'running'" >/dev/null
    [[ "$(field "$id" status)" == "$mark" ]] || fail "$job: the run is marked $mark"
    behind="$(value "SELECT jobs.trigger('$quick')")"
    open_gate "$id" "$db"
    [[ "$(wait_final "$behind" 60)" == succeeded ]] ||
        fail "$job: the worker goes on serving: the run queued behind succeeds ($(field "$behind" "row(status, error)"))"
    # The late run's worker recorded its end before taking the next run
    # (in jobs.database); the launcher has settled the other database's.
    wait_until 30 "SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $pid AND state = 'active'
                   AND query LIKE '%public.gate%')" || fail "$job: the late command has ended"
    [[ "$(field "$id" status)" == "$mark" ]] ||
        fail "$job: a late finish does not overwrite '$mark': $(field "$id" "row(status, error, sqlstate)")"
    [[ "$(field "$id" error)" == "$why" ]] || fail "$job: the mark's error stays: $(field "$id" error)"
    [[ "$(field "$id" "rows_affected IS NULL AND sqlstate IS NULL")" == t ]] ||
        fail "$job: nothing of the late finish is recorded: $(field "$id" "row(rows_affected, sqlstate)")"
    [[ "$(field "$behind" worker_pid)" == "$pid" || "$db" != postgres ]] ||
        fail "$job: the same worker ran the next run (pid $pid, then $(field "$behind" worker_pid))"
    echo "$id"
}

# --- A late success after a crash mark: the row stays, the effects roll back ----------------------
id="$(late_finish_case late_success crashed 'marked crashed by the test' postgres quick)"
[[ "$(effects_of "$id")" == 0 ]] ||
    fail "the late success's effects roll back with it (the row says crashed)"
late_logged() { # id outcome: the worker's line for a late finish, and no "ended" line of its own
    cluster_log_tail 2000 | grep -qF "execution $1 had already ended when its command $2; the run keeps the status" ||
        fail "the worker logs that execution $1's command $2 after the run had ended"
    ! cluster_log_tail 2000 | grep -qE "pg_jobs: sql job \"[a-z_]+\" execution $1 ended " ||
        fail "no 'ended' line for execution $1: its outcome was not recorded"
}
late_logged "$id" succeeded
pass "a late success after a crash mark: the run stays crashed with its error, its effects rolled back, the worker goes on"

# --- A late success after a cancel -----------------------------------------------------------------
id="$(late_finish_case late_success cancelled 'cancelled behind its back' postgres quick)"
[[ "$(effects_of "$id")" == 0 ]] || fail "the late success of a cancelled run is rolled back"
pass "a late success after a cancel: the run stays cancelled, its effects rolled back"

# --- A late failure after a crash mark or a cancel -------------------------------------------------
id="$(late_finish_case late_failure crashed 'marked crashed by the test' postgres quick)"
late_logged "$id" "failed: division by zero"
pass "a late failure after a crash mark: the run stays crashed with the mark's error"
late_finish_case late_failure cancelled 'cancelled behind its back' postgres quick >/dev/null
pass "a late failure after a cancel: the run stays cancelled with the mark's error"

# --- In another database: the launcher records the late outcome ------------------------------------
late_finish_case remote_late crashed 'marked crashed by the test' otherdb remote_quick >/dev/null
pass "another database: a late success reported to the launcher leaves the crash mark"
late_finish_case remote_late cancelled 'cancelled behind its back' otherdb remote_quick >/dev/null
pass "another database: a late success reported to the launcher leaves the cancel"

# Every run that was not marked succeeded; nothing else is left running.
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE status IN ('queued', 'running')")" == 0 ]] ||
    fail "no run is left queued or running"
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE job_name IN ('quick', 'remote_quick')
             AND status <> 'succeeded'")" == 0 ]] || fail "every run queued behind succeeded"
pass "nothing is left running; every run behind a late one succeeded"
