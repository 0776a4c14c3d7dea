#!/usr/bin/env bash
# Insight with real workers (issue 13): jobs that succeed and fail fill
# jobs.job_stats with the right figures; jobs.health() shows the launcher and
# turns degraded when a run waits for a worker or the launcher cannot queue a
# due run, down while no launcher runs, ok again after its restart, ok (as
# a standby) on a streaming replica;
# jobs.metrics() passes `promtool check metrics` (Debian's prometheus
# package) for a superuser and for an unprivileged role, which sees only its
# own jobs there and in job_stats.
#
#   test/integration/insight.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

command -v promtool >/dev/null || fail "promtool is installed (Debian package prometheus: scripts/install-deps.sh)"

# Two workers, one per owner: a second run of the same owner waits for the first.
scheduler_start insight "jobs.max_workers = 2" "jobs.max_running_per_owner = 1"
cluster_psql -o /dev/null <<'SQL'
CREATE SEQUENCE public.flaky_attempts;  -- not rolled back with a failed run
CREATE ROLE alice LOGIN;
GRANT USAGE ON SCHEMA jobs TO alice;
SELECT jobs.schedule('good', NULL, 'SELECT pg_sleep(0.2)', tags => ARRAY['billing']);
SELECT jobs.schedule('bad', NULL, 'SELECT 1 / 0');
-- Fails twice, then succeeds.
SELECT jobs.schedule('flaky', NULL, $$SELECT 1 / (CASE WHEN nextval('public.flaky_attempts') > 2 THEN 1 ELSE 0 END)$$);
SELECT jobs.schedule('blocker', NULL, 'SELECT pg_sleep(4)');
SQL
as_alice() { cluster_psql -U alice -At -c "$1"; }
as_alice "SELECT jobs.schedule('alice job', NULL, 'SELECT 1')" >/dev/null

run_and_wait() { # job_name: triggers it, waits for the final status, prints it
    local id
    id="$(value "SELECT jobs.trigger('$1')")"
    wait_final "$id"
}
for _ in 1 2 3 4 5; do
    [[ "$(run_and_wait good)" == succeeded ]] || fail "good succeeds"
done
for _ in 1 2 3; do
    [[ "$(run_and_wait bad)" == failed ]] || fail "bad fails"
done
for expected in failed failed succeeded; do
    [[ "$(run_and_wait flaky)" == "$expected" ]] || fail "flaky: $expected"
done
id="$(as_alice "SELECT jobs.trigger('alice job')")"
[[ "$(as_alice "SELECT status FROM jobs.wait($id, '60 seconds')")" == succeeded ]] || fail "alice's job succeeds"
pass "runs done: good 5 succeeded, bad 3 failed, flaky failed twice then succeeded, alice's job succeeded"

# --- job_stats, checked against the runs themselves ------------------------------------------
stats() { value "SELECT $2 FROM jobs.job_stats WHERE job_name = '$1'"; }
[[ "$(stats good "runs_24h || '/' || succeeded_24h || '/' || failed_24h || '/' || runs_7d || '/' || success_rate || '/' || consecutive_failures")" == 5/5/0/5/1/0 ]] ||
    fail "good: 5 runs, 5 succeeded, 0 failed, success_rate 1, no consecutive failure ($(stats good '*'))"
[[ "$(stats bad "runs_24h || '/' || succeeded_24h || '/' || failed_24h || '/' || success_rate || '/' || consecutive_failures || '/' || (last_success_at IS NULL)")" == 3/0/3/0/3/true ]] ||
    fail "bad: 3 runs, all failed, success_rate 0, 3 consecutive failures, never a success ($(stats bad '*'))"
[[ "$(stats flaky "runs_24h || '/' || failed_24h || '/' || round(success_rate::numeric, 4) || '/' || consecutive_failures")" == 3/2/0.3333/0 ]] ||
    fail "flaky: 3 runs, 2 failed, success_rate 1/3, no consecutive failure after its success ($(stats flaky '*'))"
holds "SELECT s.duration_max = (SELECT max(duration) FROM jobs.job_execution e WHERE e.job_id = s.job_id)
          AND s.duration_p50 >= interval '0.2 s' AND s.duration_p50 <= s.duration_p95
          AND s.duration_p95 <= s.duration_p99 AND s.duration_p99 <= s.duration_max
          AND s.last_success_at = (SELECT max(finished_at) FROM jobs.job_execution e WHERE e.job_id = s.job_id)
       FROM jobs.job_stats AS s WHERE s.job_name = 'good'" ||
    fail "good: duration_max is its longest run, p50 >= 0.2 s (pg_sleep), p50 <= p95 <= p99 <= max, last_success_at its last finish"
holds "SELECT s.last_failure_at = (SELECT max(finished_at) FROM jobs.job_execution e WHERE e.job_id = s.job_id)
       FROM jobs.job_stats AS s WHERE s.job_name = 'bad'" || fail "bad: last_failure_at is its last run's finish"
pass "job_stats: counts, success_rate, consecutive failures, durations and last success/failure match the runs"

[[ "$(as_alice "SELECT string_agg(job_name, ',') FROM jobs.job_stats")" == "alice job" ]] ||
    fail "alice (USAGE ON SCHEMA jobs only) sees only her own job in job_stats"
[[ "$(as_alice "SELECT runs_24h || '/' || succeeded_24h FROM jobs.job_stats")" == 1/1 ]] || fail "with its run"
pass "an unprivileged role sees only its own jobs' statistics"

# --- health: ok ---------------------------------------------------------------------------
launcher_pid="$(value "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_jobs launcher'")"
[[ "$(value "SELECT status || '/' || scheduler_running || '/' || launcher_pid || '/' || server_role || '/' || workers_max
             FROM jobs.health()")" == "ok/true/$launcher_pid/primary/2" ]] ||
    fail "health: ok, the launcher's pid $launcher_pid, primary, 2 workers at most ($(value 'SELECT row(h.*) FROM jobs.health() h'))"
holds "SELECT runs_last_hour >= 12 AND failures_last_hour >= 5 AND workers_busy + workers_idle >= 1
              AND launcher_since > pg_postmaster_start_time() FROM jobs.health()" ||
    fail "health counts the runs and failures of the last hour and the workers started"
[[ "$(as_alice "SELECT status || '/' || launcher_pid FROM jobs.health()")" == "ok/$launcher_pid" ]] ||
    fail "an unprivileged role may call health()"
pass "health: ok, launcher pid $launcher_pid, workers and run counts"

# --- metrics: valid Prometheus text --------------------------------------------------------
metrics_file="$CLUSTER_DIR/metrics.txt"
value "SELECT jobs.metrics()" >"$metrics_file"
promtool check metrics <"$metrics_file" || fail "promtool check metrics passes on jobs.metrics() (superuser)"
grep -qx 'pg_jobs_runs_total{job="good",owner="postgres",status="succeeded"} 5' "$metrics_file" ||
    fail "pg_jobs_runs_total counts good's 5 successes"
grep -qx 'pg_jobs_runs_total{job="bad",owner="postgres",status="failed"} 3' "$metrics_file" ||
    fail "and bad's 3 failures"
grep -qx 'pg_jobs_run_duration_seconds_count{job="good",owner="postgres"} 5' "$metrics_file" ||
    fail "the duration histogram counts good's 5 runs"
grep -qx 'pg_jobs_scheduler_up 1' "$metrics_file" || fail "pg_jobs_scheduler_up 1"
as_alice "SELECT jobs.metrics()" >"$metrics_file"
promtool check metrics <"$metrics_file" || fail "promtool check metrics passes on jobs.metrics() (unprivileged role)"
grep -q 'job="alice job"' "$metrics_file" || fail "alice's metrics show her job"
! grep -q 'job="good"\|job="bad"\|owner="postgres"' "$metrics_file" || fail "and none of another role's jobs"
pass "jobs.metrics() passes promtool check metrics, for a superuser and for an unprivileged role (own jobs only)"

# --- degraded: a run waits for a worker -----------------------------------------------------
blocker="$(value "SELECT jobs.trigger('blocker')")"
wait_until 30 "SELECT status = 'running' FROM jobs.job_execution WHERE execution_id = $blocker" ||
    fail "the blocker runs"
waiting="$(value "SELECT jobs.trigger('good')")"
wait_until 10 "SELECT status = 'degraded' AND reasons[1] LIKE '%queued; the oldest free to start has waited%'
               FROM jobs.health(queue_wait_limit => interval '1 second')" ||
    fail "health: degraded while a run waits for a worker longer than queue_wait_limit ($(value 'SELECT row(h.*) FROM jobs.health(queue_wait_limit => interval '\''1 second'\'') h'))"
[[ "$(value "SELECT status FROM jobs.health()")" == ok ]] || fail "within the default limit (1 minute) it is ok"
[[ "$(wait_final "$waiting")" == succeeded ]] || fail "the waiting run runs after the blocker"
wait_until 10 "SELECT status = 'ok' FROM jobs.health(queue_wait_limit => interval '1 second')" ||
    fail "health: ok again once the queue drains"
pass "health: degraded while a queued run waits longer than queue_wait_limit, ok once it ran"

# --- degraded: the launcher cannot queue a due run ------------------------------------------
value "SELECT jobs.schedule('every second', '* * * * * *', 'SELECT 1')" >/dev/null
wait_until 10 "SELECT count(*) > 0 FROM jobs.job_execution WHERE job_name = 'every second' AND status = 'succeeded'" ||
    fail "the every-second job runs"
# A session holding jobs.scheduled_job locked: the launcher blocks when it queues the next run.
cluster_psql -c "BEGIN; LOCK TABLE jobs.scheduled_job IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(6); COMMIT" \
    >/dev/null 2>&1 &
locker=$!
wait_until 10 "SELECT status = 'degraded' AND due_lag > interval '2 seconds'
                      AND reasons[1] LIKE 'due runs are not queued yet: the earliest fire time is % late%'
               FROM jobs.health(lag_limit => interval '2 seconds')" ||
    fail "health: degraded while the launcher cannot queue a due run ($(value 'SELECT row(h.*) FROM jobs.health(lag_limit => interval '\''2 seconds'\'') h'))"
wait "$locker" || true
wait_until 10 "SELECT status = 'ok' AND due_lag < interval '2 seconds' FROM jobs.health(lag_limit => interval '2 seconds')" ||
    fail "health: ok again once the launcher catches up"
value "SELECT jobs.unschedule('every second')" >/dev/null
pass "health: degraded while due runs are not queued for longer than lag_limit (launcher blocked), ok after"

# --- down: no launcher ------------------------------------------------------------------------
value "SELECT pg_terminate_backend($launcher_pid)" >/dev/null
wait_until 10 "SELECT status = 'down' AND NOT scheduler_running AND launcher_pid IS NULL
                      AND reasons[1] LIKE 'the launcher is not running%' FROM jobs.health()" ||
    fail "health: down once the launcher is gone"
grep -qx 'pg_jobs_scheduler_up 0' <(value "SELECT jobs.metrics()") || fail "pg_jobs_scheduler_up 0 while it is down"
pass "health: down (and pg_jobs_scheduler_up 0) while no launcher runs"
wait_until 30 "SELECT status = 'ok' AND scheduler_running AND launcher_pid <> $launcher_pid
                      AND launcher_pid = (SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_jobs launcher')
               FROM jobs.health()" ||
    fail "health: ok again with the restarted launcher's pid"
pass "health: ok again after the launcher restarts, with its new pid"

# --- a standby: ok, it runs nothing until promoted -------------------------------------------
cluster_start_standby insight_replica insight
wait_until 30 "SELECT pg_is_in_recovery()" || fail "the standby is in recovery"
[[ "$(value "SELECT status || '/' || server_role || '/' || scheduler_running || '/' || (reasons[1] LIKE 'standby:%')
             FROM jobs.health()")" == ok/standby/false/true ]] ||
    fail "health on a standby: ok, standby, no launcher, with the reason ($(value 'SELECT row(h.*) FROM jobs.health() h'))"
grep -qx 'pg_jobs_scheduler_up 0' <(value "SELECT jobs.metrics()") || fail "pg_jobs_scheduler_up 0 on the standby"
pass "health on a standby: ok (standby, runs nothing until promoted); metrics work there too"
