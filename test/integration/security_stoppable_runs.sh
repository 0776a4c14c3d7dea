#!/usr/bin/env bash
# Runs whose command swallows cancellation can still be stopped (issue 10,
# points 3 and 19), by an unprivileged owner's jobs on one worker
# (jobs.max_workers = 1), in jobs.database and in another database:
#   - a timeout the command ignores: after jobs.cancel_grace_period the
#     worker process is ended, the run recorded 'timed_out' (57014), its
#     effects rolled back, and a fresh worker runs the run queued behind it;
#   - a command that catches the cancel and returns does not succeed;
#   - jobs.cancel the command ignores: the same, 'cancelled by alice';
#   - pg_terminate_backend ends the worker as it ends a backend (it returns
#     true within its timeout); the run is 'cancelled', 'shutdown: ...',
#     57P01, and retried per its policy;
#   - pg_ctl stop -m fast stops the server while such a run runs;
#   - a job in another database honours its timeout (point 19), and the same
#     escalations work there.
#
#   test/integration/security_stoppable_runs.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start security_stoppable_runs "jobs.max_workers = 1" "jobs.cancel_grace_period = '1s'"
cluster_psql -o /dev/null <<'SQL'
CREATE DATABASE otherdb;
CREATE ROLE alice LOGIN;
GRANT USAGE ON SCHEMA jobs TO alice;
CREATE TABLE public.effects (execution_id bigint NOT NULL, job text NOT NULL);
GRANT INSERT ON public.effects TO alice;
SQL
cluster_psql -d otherdb -o /dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pg_jobs;  -- for jobs.context()
GRANT USAGE ON SCHEMA jobs TO alice;
CREATE TABLE public.effects (execution_id bigint NOT NULL, job text NOT NULL);
GRANT INSERT ON public.effects TO alice;
SQL

[[ "$(value "SELECT boot_val FROM pg_settings WHERE name = 'jobs.cancel_grace_period'")" == 5000 ]] ||
    fail "jobs.cancel_grace_period defaults to 5s"
[[ "$(value "SELECT context FROM pg_settings WHERE name = 'jobs.cancel_grace_period'")" == sighup ]] ||
    fail "jobs.cancel_grace_period is reloadable"
pass "jobs.cancel_grace_period: default 5s, reloadable"

as_alice() { cluster_psql -At -d "${2:-postgres}" -c "SET ROLE alice" -c "$1" | tail -1; }
field() { value "SELECT $2 FROM jobs.job_execution WHERE execution_id = $1"; }
effects_of() { cluster_psql -At -d "${2:-postgres}" -c "SELECT count(*) FROM public.effects WHERE execution_id = $1"; }
is_running() { holds "SELECT status = 'running' FROM jobs.job_execution WHERE execution_id = $1"; }
worker_gone() { holds "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $1"; }

# Records its run, then loops forever, swallowing every cancel (57014).
swallow() {
    echo "INSERT INTO public.effects SELECT (jobs.context()->>'execution_id')::bigint, '$1';
DO \$do\$ BEGIN LOOP BEGIN PERFORM pg_sleep(0.2); EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; END \$do\$"
}
# The same, but only on the first attempt: a retry succeeds.
swallow_once() {
    echo "INSERT INTO public.effects SELECT (jobs.context()->>'execution_id')::bigint, '$1';
DO \$do\$ BEGIN IF jobs.context()->>'triggered_by' <> 'retry' THEN
  LOOP BEGIN PERFORM pg_sleep(0.2); EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP;
END IF; END \$do\$"
}

as_alice "SELECT jobs.schedule('quick', NULL, \$job\$INSERT INTO public.effects
          SELECT (jobs.context()->>'execution_id')::bigint, 'quick'\$job\$)" >/dev/null

# --- A timeout the command ignores ---------------------------------------------------------------
as_alice "SELECT jobs.schedule('stubborn_timeout', NULL, \$job\$$(swallow stubborn_timeout)\$job\$, timeout => '1 second')" >/dev/null
id="$(as_alice "SELECT jobs.trigger('stubborn_timeout')")"
wait_for 30 is_running "$id" || fail "the stubborn run starts"
pid="$(field "$id" worker_pid)"
behind="$(as_alice "SELECT jobs.trigger('quick')")"
[[ "$(wait_final "$id" 30)" == timed_out ]] ||
    fail "a run that swallows its timeout's cancel ends timed_out: $(field "$id" "row(status, error)")"
[[ "$(field "$id" sqlstate)" == 57014 ]] || fail "the timed out run has SQLSTATE 57014: $(field "$id" sqlstate)"
[[ "$(field "$id" error)" == *timeout* ]] || fail "the error names the timeout: $(field "$id" error)"
[[ "$(field "$id" error_detail)" == *jobs.cancel_grace_period* ]] ||
    fail "the detail says the worker was ended after jobs.cancel_grace_period: $(field "$id" error_detail)"
[[ "$(effects_of "$id")" == 0 ]] || fail "the effects of the stubborn run are rolled back"
wait_for 30 worker_gone "$pid" || fail "the worker that ran the stubborn command has exited"
[[ "$(wait_final "$behind" 30)" == succeeded ]] ||
    fail "the run queued behind it runs on a fresh worker: $(field "$behind" "row(status, error)")"
[[ "$(field "$behind" worker_pid)" != "$pid" ]] || fail "the run behind it ran on another worker process"
pass "a timeout the command ignores: worker ended after the grace period, run timed_out (57014), queued run ran on a fresh worker"

# --- A command that catches the cancel and returns ---------------------------------------------
as_alice "SELECT jobs.schedule('catch_and_return', NULL, \$job\$INSERT INTO public.effects
          SELECT (jobs.context()->>'execution_id')::bigint, 'catch_and_return';
          DO \$do\$ BEGIN PERFORM pg_sleep(60); EXCEPTION WHEN query_canceled THEN NULL; END \$do\$ \$job\$,
          timeout => '1 second')" >/dev/null
id="$(as_alice "SELECT jobs.trigger('catch_and_return')")"
[[ "$(wait_final "$id" 30)" == timed_out ]] ||
    fail "a command that catches its timeout's cancel and returns does not succeed: $(field "$id" "row(status, error)")"
[[ "$(effects_of "$id")" == 0 ]] || fail "its effects are rolled back"
pass "a command that catches its timeout's cancel and returns ends timed_out, effects rolled back"

# --- jobs.cancel the command ignores ---------------------------------------------------------------
as_alice "SELECT jobs.schedule('stubborn', NULL, \$job\$$(swallow stubborn)\$job\$)" >/dev/null
id="$(as_alice "SELECT jobs.trigger('stubborn')")"
wait_for 30 is_running "$id" || fail "the stubborn run starts"
[[ "$(as_alice "SELECT jobs.cancel($id)")" == t ]] || fail "alice cancels her running run"
[[ "$(wait_final "$id" 30)" == cancelled ]] ||
    fail "a run that swallows jobs.cancel ends cancelled: $(field "$id" "row(status, error)")"
[[ "$(field "$id" error)" == "cancelled by alice" ]] || fail "the error says who cancelled: $(field "$id" error)"
[[ "$(effects_of "$id")" == 0 ]] || fail "the effects of the cancelled stubborn run are rolled back"
behind="$(as_alice "SELECT jobs.trigger('quick')")"
[[ "$(wait_final "$behind" 30)" == succeeded ]] || fail "the next run succeeds: $(field "$behind" "row(status, error)")"
pass "jobs.cancel the command ignores: 'cancelled by alice', effects rolled back, the next run succeeds"

# --- pg_terminate_backend ------------------------------------------------------------------------------
as_alice "SELECT jobs.schedule('stubborn_once', NULL, \$job\$$(swallow_once stubborn_once)\$job\$,
          max_retries => 1, retry_backoff => '100 milliseconds')" >/dev/null
id="$(as_alice "SELECT jobs.trigger('stubborn_once')")"
wait_for 30 is_running "$id" || fail "the stubborn_once run starts"
pid="$(field "$id" worker_pid)"
[[ "$(value "SELECT pg_terminate_backend($pid, 20000)" 2>/dev/null)" == t ]] ||
    fail "pg_terminate_backend ends the worker running a command that swallows cancels (returns true)"
[[ "$(wait_final "$id" 30)" == cancelled ]] || fail "the terminated run ends cancelled: $(field "$id" "row(status, error)")"
[[ "$(field "$id" error)" == shutdown:* && "$(field "$id" sqlstate)" == 57P01 ]] ||
    fail "the terminated run says 'shutdown: ...' with 57P01: $(field "$id" "row(error, sqlstate)")"
[[ "$(effects_of "$id")" == 0 ]] || fail "the effects of the terminated run are rolled back"
retry="$(value "SELECT execution_id FROM jobs.job_execution WHERE retry_of = $id")"
[[ -n "$retry" && "$(wait_final "$retry" 30)" == succeeded ]] ||
    fail "the terminated run is retried and the retry succeeds: $(show_executions "job_name = 'stubborn_once'")"
pass "pg_terminate_backend: true; the run is cancelled ('$(field "$id" error)', 57P01) and its retry succeeds"

# --- pg_ctl stop -m fast ------------------------------------------------------------------------------
id="$(as_alice "SELECT jobs.trigger('stubborn')")"
wait_for 30 is_running "$id" || fail "the stubborn run starts before the stop"
if ! _cluster_as_owner "$CLUSTER_DIR" "$PG_BINDIR/pg_ctl" stop -D "$CLUSTER_DATA" -m fast -w -t 60 >/dev/null 2>&1; then
    _cluster_as_owner "$CLUSTER_DIR" "$PG_BINDIR/pg_ctl" stop -D "$CLUSTER_DATA" -m immediate -w -t 60 >/dev/null 2>&1 || true
    fail "pg_ctl stop -m fast stops the server while a command swallows cancels"
fi
_cluster_as_owner "$CLUSTER_DIR" "$PG_BINDIR/pg_ctl" start -D "$CLUSTER_DATA" -l "$CLUSTER_LOG" -w -t 60 >/dev/null ||
    fail "the server starts again"
wait_for 60 launcher_running || fail "the launcher is back after the fast stop"
[[ "$(wait_final "$id" 30)" == cancelled && "$(field "$id" error)" == shutdown:* ]] ||
    fail "the run stopped by the fast shutdown is cancelled with reason shutdown: $(field "$id" "row(status, error)")"
pass "pg_ctl stop -m fast stops the server during such a run; the run is cancelled ('shutdown: ...')"

# --- Another database ----------------------------------------------------------------------------------
# Point 19: the job's timeout applies there too.
as_alice "SELECT jobs.schedule('remote_sleep', NULL, \$job\$INSERT INTO public.effects
          SELECT (jobs.context()->>'execution_id')::bigint, 'remote_sleep'; SELECT pg_sleep(6)\$job\$,
          database => 'otherdb', timeout => '2 seconds')" >/dev/null
id="$(as_alice "SELECT jobs.trigger('remote_sleep')")"
[[ "$(wait_final "$id" 30)" == timed_out ]] ||
    fail "a run in otherdb past its 2 s timeout is timed_out: $(field "$id" "row(status, error, duration)")"
[[ "$(field "$id" sqlstate)" == 57014 && "$(effects_of "$id" otherdb)" == 0 ]] ||
    fail "it has SQLSTATE 57014 and its effects in otherdb are rolled back"
pass "a run in another database honours its job's timeout: timed_out ($(field "$id" error))"

as_alice "SELECT jobs.schedule('remote_stubborn', NULL, \$job\$$(swallow remote_stubborn)\$job\$,
          database => 'otherdb', timeout => '1 second')" >/dev/null
as_alice "SELECT jobs.schedule('remote_quick', NULL, \$job\$INSERT INTO public.effects
          SELECT (jobs.context()->>'execution_id')::bigint, 'remote_quick'\$job\$, database => 'otherdb')" >/dev/null
id="$(as_alice "SELECT jobs.trigger('remote_stubborn')")"
wait_for 30 is_running "$id" || fail "the stubborn run in otherdb starts"
pid="$(field "$id" worker_pid)"
behind="$(as_alice "SELECT jobs.trigger('remote_quick')")"
[[ "$(wait_final "$id" 30)" == timed_out ]] ||
    fail "a run in otherdb that swallows its timeout's cancel ends timed_out: $(field "$id" "row(status, error)")"
[[ "$(field "$id" error_detail)" == *jobs.cancel_grace_period* && "$(effects_of "$id" otherdb)" == 0 ]] ||
    fail "its detail names jobs.cancel_grace_period and its effects are rolled back: $(field "$id" error_detail)"
wait_for 30 worker_gone "$pid" || fail "its worker in otherdb has exited"
[[ "$(wait_final "$behind" 30)" == succeeded ]] ||
    fail "the run queued behind it in otherdb succeeds: $(field "$behind" "row(status, error)")"
pass "in another database, a timeout the command ignores ends the worker; the run is timed_out, the next one runs"

as_alice "SELECT jobs.schedule('remote_cancelled', NULL, \$job\$$(swallow remote_cancelled)\$job\$, database => 'otherdb')" >/dev/null
id="$(as_alice "SELECT jobs.trigger('remote_cancelled')")"
wait_for 30 is_running "$id" || fail "the remote_cancelled run starts"
[[ "$(as_alice "SELECT jobs.cancel($id)")" == t ]] || fail "alice cancels her run in otherdb"
[[ "$(wait_final "$id" 30)" == cancelled && "$(field "$id" error)" == "cancelled by alice" ]] ||
    fail "a run in otherdb that swallows jobs.cancel ends 'cancelled by alice': $(field "$id" "row(status, error)")"
pass "in another database, jobs.cancel the command ignores: 'cancelled by alice'"

id="$(as_alice "SELECT jobs.trigger('remote_cancelled')")"
wait_for 30 is_running "$id" || fail "the remote_cancelled run starts again"
pid="$(field "$id" worker_pid)"
[[ "$(value "SELECT pg_terminate_backend($pid, 20000)" 2>/dev/null)" == t ]] ||
    fail "pg_terminate_backend ends the worker in otherdb (returns true)"
[[ "$(wait_final "$id" 30)" == cancelled && "$(field "$id" error)" == shutdown:* && "$(field "$id" sqlstate)" == 57P01 ]] ||
    fail "the terminated run in otherdb is cancelled, 'shutdown: ...', 57P01: $(field "$id" "row(status, error, sqlstate)")"
behind="$(as_alice "SELECT jobs.trigger('remote_quick')")"
[[ "$(wait_final "$behind" 30)" == succeeded ]] || fail "the next run in otherdb succeeds"
pass "in another database, pg_terminate_backend: true; the run is cancelled (shutdown, 57P01); the next one runs"

leftover="$(value "SELECT count(*) FROM jobs.job_execution WHERE status IN ('queued', 'running')")"
[[ "$leftover" == 0 ]] || fail "no run is left queued or running: $(show_executions)"
pass "no run is left queued or running"

with_last_run="$(check_last_runs)"
pass "jobs.job_last_run agrees with jobs.job_status after runs stopped past their grace period ($with_last_run jobs with a last run)"
