#!/usr/bin/env bash
# The scheduler across server restarts: jobs keep firing after a fast restart
# and after a crash (immediate stop); a @reboot job runs once per start; the
# processes show in pg_stat_activity as 'pg_jobs launcher' / 'pg_jobs worker',
# a worker with the command it runs in `query` and state 'active'.
#
#   test/integration/scheduler_restart.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start scheduler_restart
cluster_psql -o /dev/null <<'SQL'
CREATE TABLE public.ticks (at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE TABLE public.boots (server_started timestamptz NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
SELECT jobs.schedule('tick', '* * * * * *', 'INSERT INTO public.ticks DEFAULT VALUES');
SELECT jobs.schedule('boot', '@reboot', 'INSERT INTO public.boots (server_started) SELECT pg_postmaster_start_time()');
SELECT jobs.schedule('busy', NULL, 'SELECT pg_sleep(30) /* busy-marker */');
SQL
tick_job="$(value "SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'tick'")"

ticks_after() { count_at_least "$2" "SELECT count(*) FROM public.ticks WHERE at > '$1'::timestamptz"; }
boots_of_this_start() { value "SELECT count(*) FROM public.boots WHERE server_started = pg_postmaster_start_time()"; }
boot_ran() { [[ "$(boots_of_this_start)" -ge 1 ]]; }

mark="$(value "SELECT clock_timestamp()")"
wait_for 30 ticks_after "$mark" 3 || fail "the seconds job fires before any restart"
pass "the seconds job fires"

# --- Processes in pg_stat_activity -----------------------------------------------------
[[ "$(value "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_jobs launcher'")" == 1 ]] ||
    fail "one 'pg_jobs launcher' in pg_stat_activity"
workers_seen() { holds "SELECT count(*) >= 1 FROM pg_stat_activity WHERE backend_type = 'pg_jobs worker'"; }
wait_for 30 workers_seen || fail "a 'pg_jobs worker' in pg_stat_activity while jobs run"
pass "pg_stat_activity shows backend_type 'pg_jobs launcher' and 'pg_jobs worker'"

busy_id="$(value "SELECT jobs.trigger('busy')")"
busy_shown() {
    holds "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_jobs worker'
           AND state = 'active' AND query LIKE '%busy-marker%'"
}
wait_for 30 busy_shown || fail "a worker running a command shows it in query with state 'active':
$(cluster_psql -c "SELECT backend_type, state, query FROM pg_stat_activity WHERE backend_type LIKE 'pg_jobs%'")"
[[ "$(value "SELECT status FROM jobs.job_execution WHERE execution_id = $busy_id")" == running ]] ||
    fail "the busy run is marked running (committed before the command starts)"
pass "a worker shows its command in pg_stat_activity.query, state 'active'; the run is 'running'"

# --- Fast restart ---------------------------------------------------------------------------
# The busy job is still running: a fast shutdown must not wait for it, and
# its row must not stay 'running' forever.
cluster_restart fast
wait_for 30 launcher_running || fail "the launcher is back after a fast restart"
restarted="$(value "SELECT pg_postmaster_start_time()")"
wait_for 30 ticks_after "$restarted" 3 || fail "the seconds job fires after a fast restart"
pass "jobs keep firing after a fast restart"
wait_for 30 boot_ran || fail "the @reboot job runs after the restart"
pass "the @reboot job ran after the restart"

busy_final() { holds "SELECT status NOT IN ('queued', 'running') FROM jobs.job_execution WHERE execution_id = $busy_id"; }
wait_for 30 busy_final || fail "the run interrupted by the restart does not stay '$(value "SELECT status FROM jobs.job_execution WHERE execution_id = $busy_id")'"
busy_status="$(value "SELECT status FROM jobs.job_execution WHERE execution_id = $busy_id")"
busy_error="$(value "SELECT error FROM jobs.job_execution WHERE execution_id = $busy_id")"
[[ "$busy_status" == cancelled && "$busy_error" == shutdown:* ]] ||
    fail "the run interrupted by a fast restart is closed as cancelled, reason shutdown (got '$busy_status': '$busy_error')"
pass "the run interrupted by the restart is closed as '$busy_status'"

# --- Crash (immediate stop) ---------------------------------------------------------------------
cluster_restart immediate
wait_for 60 launcher_running || fail "the launcher is back after an immediate restart"
restarted="$(value "SELECT pg_postmaster_start_time()")"
wait_for 30 ticks_after "$restarted" 3 || fail "the seconds job fires after an immediate restart"
pass "jobs keep firing after an immediate (crash) restart"
wait_for 30 boot_ran || fail "the @reboot job runs after the second restart"

# Let the scheduler settle a few seconds, then count: once per start, never more.
mark="$(value "SELECT clock_timestamp()")"
wait_for 30 ticks_after "$mark" 3 || fail "the seconds job keeps firing"
# The first start does not count: @reboot runs only jobs defined before the
# scheduler started, and this one was defined after. Each restart counts once.
per_start="$(value "SELECT string_agg(n::text, ',' ORDER BY s) FROM (SELECT server_started s, count(*) n FROM public.boots GROUP BY 1) b")"
starts="$(value "SELECT count(DISTINCT server_started) FROM public.boots")"
[[ "$per_start" == 1,1 ]] ||
    fail "the @reboot job ran once per restart (runs per server start: '$per_start')"
[[ "$(value "SELECT count(*) FROM jobs.job_execution e JOIN jobs.scheduled_job j USING (job_id)
             WHERE j.job_name = 'boot' AND e.triggered_by = 'reboot'")" == "$starts" ]] ||
    fail "the @reboot runs are recorded with triggered_by 'reboot'"
pass "the @reboot job ran once per restart (2 restarts), recorded as triggered_by 'reboot'"

[[ "$(value "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_jobs launcher'")" == 1 ]] ||
    fail "exactly one launcher after two restarts"
pass "exactly one launcher after the restarts"

dups="$(value "SELECT count(*) FROM (SELECT scheduled_for FROM jobs.job_execution WHERE job_id = $tick_job
                                    GROUP BY 1 HAVING count(*) > 1) d")"
[[ "$dups" == 0 ]] || fail "no fire time ran twice across the restarts ($dups did)"
failed="$(value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $tick_job AND status = 'failed'")"
[[ "$failed" == 0 ]] || fail "no run of the seconds job failed across the restarts ($failed did)"
pass "no fire time of the seconds job ran twice or failed across the restarts"
