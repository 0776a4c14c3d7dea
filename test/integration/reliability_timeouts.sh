#!/usr/bin/env bash
# Timeouts, jobs.cancel and retries of SQL runs, with real workers:
#   - a run longer than its job's timeout is cancelled and recorded
#     'timed_out' (SQLSTATE 57014, the timeout in the message), its effects
#     rolled back; jobs.default_timeout applies to jobs that set none;
#   - jobs.cancel interrupts a running run ('cancelled by <role>', effects
#     rolled back) and ends a queued one before it starts; only the owner or
#     a superuser may cancel;
#   - a timed out run with max_retries gets retries (attempt, retry_of), each
#     waiting its backoff; a run crashed by kill -9, or cancelled by a fast
#     shutdown, is retried after the restart and the retry succeeds;
#   - effects = succeeded runs throughout.
#
#   test/integration/reliability_timeouts.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

# jobs.max_running_per_owner = jobs.max_workers: one role's runs may take every worker here.
scheduler_start reliability_timeouts "jobs.max_workers = 2" "jobs.max_running_per_owner = 2"
cluster_psql -o /dev/null <<'SQL'
CREATE TABLE public.effects (execution_id bigint NOT NULL, job text NOT NULL);
GRANT INSERT ON public.effects TO PUBLIC;
CREATE ROLE alice LOGIN;
CREATE ROLE mallory LOGIN;
GRANT USAGE ON SCHEMA jobs TO alice, mallory;
SQL
# A command that records its run, then takes `seconds`: rolled back if interrupted.
effect_then_sleep() {
    echo "INSERT INTO public.effects SELECT (jobs.context()->>'execution_id')::bigint, '$1'; SELECT pg_sleep($2)"
}
field() { value "SELECT $2 FROM jobs.job_execution WHERE execution_id = $1"; }
effects_of() { value "SELECT count(*) FROM public.effects WHERE execution_id = $1"; }
is_running() { holds "SELECT status = 'running' FROM jobs.job_execution WHERE execution_id = $1"; }

# --- Timeouts -----------------------------------------------------------------------------------
value "SELECT jobs.schedule('slow', NULL, \$\$$(effect_then_sleep slow 60)\$\$, timeout => '1 second')" >/dev/null
id="$(value "SELECT jobs.trigger('slow')")"
[[ "$(wait_final "$id" 30)" == timed_out ]] || fail "a run past its 1 s timeout is timed_out: $(field "$id" "row(status, error)")"
[[ "$(field "$id" sqlstate)" == 57014 ]] || fail "a timed out run has SQLSTATE 57014: $(field "$id" sqlstate)"
[[ "$(field "$id" error)" == *"timeout of 1 second"* || "$(field "$id" error)" == *"timeout of 1s"* ||
    "$(field "$id" error)" == *timeout* ]] || fail "the error names the timeout: $(field "$id" error)"
holds "SELECT duration < interval '20 seconds' FROM jobs.job_execution WHERE execution_id = $id" ||
    fail "the run ended at its timeout, not at the end of its 60 s command: $(field "$id" duration)"
[[ "$(effects_of "$id")" == 0 ]] || fail "the effects of a timed out run are rolled back"
pass "a run past its timeout: timed_out, 57014, '$(field "$id" error)', effects rolled back"

cluster_psql -o /dev/null -c "ALTER SYSTEM SET jobs.default_timeout = '1s'" -c "SELECT pg_reload_conf()"
value "SELECT jobs.schedule('slow_default', NULL, \$\$$(effect_then_sleep slow_default 60)\$\$)" >/dev/null
wait_until 30 "SELECT current_setting('jobs.default_timeout') = '1s'" || fail "the setting is reloaded"
default_timed_out() {
    local id
    id="$(value "SELECT jobs.trigger('slow_default')")"
    [[ "$(wait_final "$id" 30)" == timed_out ]]
}
# Workers read the reloaded setting at their next run: the first may still see the old one.
wait_for 60 default_timed_out || fail "jobs.default_timeout applies to a job that sets no timeout"
cluster_psql -o /dev/null -c "ALTER SYSTEM RESET jobs.default_timeout" -c "SELECT pg_reload_conf()"
pass "jobs.default_timeout applies to jobs without a timeout of their own"

# --- jobs.cancel ----------------------------------------------------------------------------------
cluster_psql -o /dev/null <<SQL
SET ROLE alice;
SELECT jobs.schedule('long', NULL, \$\$$(effect_then_sleep long 600)\$\$);
RESET ROLE;
SQL
id="$(cluster_psql -At -c "SET ROLE alice" -c "SELECT jobs.trigger('long')" | tail -1)"
wait_for 30 is_running "$id" || fail "the long run starts"
denied="$(cluster_psql -At -c "SET ROLE mallory" -c "SELECT jobs.cancel($id)" 2>&1 || true)"
grep -q "execution $id does not exist" <<<"$denied" ||
    fail "another role may not cancel alice's run; to it the run does not exist: $denied"
missing="$(cluster_psql -v VERBOSITY=verbose -At -c "SELECT jobs.cancel(999999999)" 2>&1 || true)"
grep -q 42704 <<<"$missing" || fail "cancelling an unknown execution is 42704: $missing"
[[ "$(cluster_psql -At -c "SET ROLE alice" -c "SELECT jobs.cancel($id)" | tail -1)" == t ]] ||
    fail "the owner cancels her running run"
[[ "$(wait_final "$id" 30)" == cancelled ]] || fail "a cancelled running run ends cancelled: $(field "$id" "row(status, error)")"
[[ "$(field "$id" error)" == "cancelled by alice" ]] || fail "the error says who cancelled: $(field "$id" error)"
[[ "$(effects_of "$id")" == 0 ]] || fail "the effects of a cancelled run are rolled back"
[[ "$(value "SELECT jobs.cancel($id)")" == f ]] || fail "cancelling a finished run returns false"
pass "jobs.cancel of a running run: 'cancelled by alice', effects rolled back; others may not (to them it does not exist); unknown id 42704"

# Both workers busy: a third run stays queued, and a cancel ends it before it starts.
busy1="$(cluster_psql -At -c "SET ROLE alice" -c "SELECT jobs.trigger('long')" | tail -1)"
busy2="$(cluster_psql -At -c "SET ROLE alice" -c "SELECT jobs.trigger('long')" | tail -1)"
wait_for 30 is_running "$busy1" || fail "the first busy run starts"
wait_for 30 is_running "$busy2" || fail "the second busy run starts"
queued="$(cluster_psql -At -c "SET ROLE alice" -c "SELECT jobs.trigger('long')" | tail -1)"
[[ "$(field "$queued" status)" == queued ]] || fail "with both workers busy the third run waits"
[[ "$(value "SELECT jobs.cancel($queued)")" == t ]] || fail "a superuser cancels a queued run"
[[ "$(field "$queued" status)" == cancelled ]] || fail "a cancelled queued run is cancelled at once"
[[ "$(value "SELECT (jobs.wait($queued, '5 seconds')).status")" == cancelled ]] || fail "jobs.wait returns it"
value "SELECT jobs.cancel($busy1), jobs.cancel($busy2)" >/dev/null
[[ "$(wait_final "$busy1" 30)" == cancelled && "$(wait_final "$busy2" 30)" == cancelled ]] ||
    fail "the busy runs are cancelled"
holds "SELECT started_at IS NULL FROM jobs.job_execution WHERE execution_id = $queued" ||
    fail "the cancelled queued run never started"
pass "jobs.cancel of a queued run ends it at once; it never starts"

# --- Retries ---------------------------------------------------------------------------------------
value "SELECT jobs.schedule('retried', NULL, \$\$$(effect_then_sleep retried 60)\$\$, timeout => '500 milliseconds',
                            max_retries => 2, retry_backoff => '200 milliseconds')" >/dev/null
id="$(value "SELECT jobs.trigger('retried')")"
all_attempts_done() {
    holds "SELECT count(*) = 3 AND bool_and(status = 'timed_out') FROM jobs.job_execution WHERE job_name = 'retried'"
}
wait_for 60 all_attempts_done || fail "a timed out run is retried twice: $(show_executions "job_name = 'retried'")"
chain="$(value "SELECT string_agg(attempt || ':' || triggered_by, ' ' ORDER BY execution_id) FROM jobs.job_execution
                WHERE job_name = 'retried'")"
[[ "$chain" == "1:manual 2:retry 3:retry" ]] || fail "attempts 1, 2, 3, the retries triggered_by 'retry': $chain"
holds "SELECT bool_and(r.started_at >= f.finished_at + interval '150 milliseconds')
       FROM jobs.job_execution AS r JOIN jobs.job_execution AS f ON f.execution_id = r.retry_of
       WHERE r.job_name = 'retried'" || fail "each retry waits its backoff after the failure"
pass "timed out with max_retries 2: attempts $chain, each after its backoff"

# A run crashed by kill -9 of its worker is retried after the restart.
cluster_psql -o /dev/null <<'SQL'
SELECT jobs.schedule('crash_once', NULL,
    $$INSERT INTO public.effects SELECT (jobs.context()->>'execution_id')::bigint, 'crash_once';
      SELECT CASE WHEN jobs.context()->>'triggered_by' <> 'retry' THEN pg_sleep(600) END$$,
    max_retries => 1, retry_backoff => '100 milliseconds');
SQL
id="$(value "SELECT jobs.trigger('crash_once')")"
wait_for 30 is_running "$id" || fail "the crash_once run starts"
kill -9 "$(field "$id" worker_pid)"
wait_for 60 launcher_running || fail "the launcher is back after the crash restart"
[[ "$(wait_final "$id" 60)" == crashed ]] || fail "the killed run is crashed: $(field "$id" "row(status, error)")"
retry="$(value "SELECT execution_id FROM jobs.job_execution WHERE retry_of = $id")"
[[ -n "$retry" ]] || fail "the crashed run gets a retry: $(show_executions "job_name = 'crash_once'")"
[[ "$(wait_final "$retry" 60)" == succeeded ]] || fail "the retry of the crashed run succeeds: $(field "$retry" "row(status, error)")"
[[ "$(effects_of "$id"):$(effects_of "$retry")" == 0:1 ]] || fail "only the retry's effects are applied"
pass "kill -9 mid-run: the run is crashed, its retry (attempt $(field "$retry" attempt)) succeeds, effects once"

# A run cancelled by a fast shutdown is retried after the start.
cluster_psql -o /dev/null <<'SQL'
SELECT jobs.schedule('stop_once', NULL,
    $$INSERT INTO public.effects SELECT (jobs.context()->>'execution_id')::bigint, 'stop_once';
      SELECT CASE WHEN jobs.context()->>'triggered_by' <> 'retry' THEN pg_sleep(600) END$$,
    max_retries => 1, retry_backoff => '100 milliseconds');
SQL
id="$(value "SELECT jobs.trigger('stop_once')")"
wait_for 30 is_running "$id" || fail "the stop_once run starts"
cluster_restart fast
wait_for 60 launcher_running || fail "the launcher is back after the fast restart"
[[ "$(wait_final "$id" 30)" == cancelled && "$(field "$id" error)" == shutdown:* ]] ||
    fail "the run interrupted by the fast shutdown is cancelled with reason shutdown: $(field "$id" "row(status, error)")"
retry="$(value "SELECT execution_id FROM jobs.job_execution WHERE retry_of = $id")"
[[ -n "$retry" && "$(wait_final "$retry" 60)" == succeeded ]] ||
    fail "the run cancelled by the shutdown is retried after the start: $(show_executions "job_name = 'stop_once'")"
[[ "$(effects_of "$id"):$(effects_of "$retry")" == 0:1 ]] || fail "only the retry's effects are applied"
pass "fast shutdown mid-run: cancelled (shutdown), retried after the start, the retry succeeds, effects once"

# --- Counting -------------------------------------------------------------------------------------
mismatch="$(value "SELECT count(*) FROM jobs.job_execution AS e
                   WHERE (e.status = 'succeeded') <> EXISTS (SELECT FROM public.effects f WHERE f.execution_id = e.execution_id)")"
[[ "$mismatch" == 0 ]] || fail "effects = succeeded runs ($mismatch runs differ)"
[[ "$(value "SELECT count(*) FROM (SELECT execution_id FROM public.effects GROUP BY 1 HAVING count(*) > 1) d")" == 0 ]] ||
    fail "no effect twice"
pass "effects = succeeded runs, none twice"

with_last_run="$(check_last_runs)"
pass "jobs.job_last_run agrees with jobs.job_status after timeouts, cancels and retries ($with_last_run jobs with a last run)"
