#!/usr/bin/env bash
# History retention keeps its period (about a minute) whether or not any job
# is due to wake the launcher (issue 11, section 4):
#   - ALTER SYSTEM SET jobs.history_per_job = 5 and a reload, then an
#     on-demand job of an unprivileged role (overlap 'allow', max_concurrent
#     50) triggered 30 times, with nothing else scheduled: once its runs have
#     ended, a later pass trims the job to its 5 newest runs. (The reload's
#     own pass came before the runs; before the fix the launcher, with no run
#     in progress at that pass, never woke for the next one and slept up to
#     5 minutes.)
#   - the other order: back to the default limit (100), 30 more runs are all
#     kept; then ALTER SYSTEM SET jobs.history_per_job = 5 and a reload trim
#     the job to 5 again.
#
#   test/integration/retention_period.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start retention_period "timezone = 'UTC'"

[[ "$(value "SELECT current_setting('jobs.history_per_job')")" == 100 ]] ||
    fail "jobs.history_per_job starts at its default, 100"

cluster_psql -o /dev/null <<'SQL'
CREATE ROLE app LOGIN;
GRANT USAGE ON SCHEMA jobs TO app;
SQL
as_app() { cluster_psql -U app -At "$@"; }

# The launcher reports itself idle after every iteration: its state_change
# moves once it has handled a wake-up (here: the reload's SIGHUP, which makes
# it do a retention pass at once).
launcher_state_change() {
    value "SELECT state_change FROM pg_stat_activity WHERE backend_type = 'pg_jobs launcher'"
}
launcher_iterated_since() {
    holds "SELECT state_change > '$1' FROM pg_stat_activity WHERE backend_type = 'pg_jobs launcher'"
}
set_history_per_job() {
    local before
    before="$(launcher_state_change)"
    cluster_psql -o /dev/null -c "ALTER SYSTEM SET jobs.history_per_job = $1" -c "SELECT pg_reload_conf()"
    wait_for 30 launcher_iterated_since "$before" || fail "the launcher wakes up for the reload"
}

finished="SELECT count(*) FROM jobs.job_execution WHERE job_name = 'burst' AND status NOT IN ('queued', 'running')"
unfinished="SELECT count(*) FROM jobs.job_execution WHERE job_name = 'burst' AND status IN ('queued', 'running')"
trigger_30() {
    local args=() i
    for ((i = 0; i < 30; i++)); do
        args+=(-c "SELECT jobs.trigger('burst')")
    done
    as_app -o /dev/null "${args[@]}"
    wait_until 120 "SELECT ($unfinished) = 0" || fail "the 30 runs end ($(value "$unfinished") still queued or running)"
}
newest_5() {
    value "SELECT string_agg(execution_id::text, ',' ORDER BY execution_id) FROM (
             SELECT execution_id FROM jobs.job_execution WHERE job_name = 'burst'
             AND status NOT IN ('queued', 'running') ORDER BY execution_id DESC LIMIT 5) AS s"
}

# --- The limit first, then the runs: the period alone trims them -----------------------------
set_history_per_job 5
as_app -o /dev/null -c "SELECT jobs.schedule('burst', NULL, 'SELECT 1', overlap => 'allow', max_concurrent => 50)"
holds "SELECT count(*) = 1 FROM jobs.scheduled_job" || fail "nothing else is scheduled"
trigger_30
newest="$(newest_5)"
note "the 30 runs ended; $(value "$finished") finished run(s) in the history"
wait_until 150 "SELECT ($finished) <= 5" ||
    fail "a later retention pass trims the job to jobs.history_per_job = 5 with no job due (it has $(value "$finished") finished runs)"
[[ "$(value "$finished")" == 5 && "$(newest_5)" == "$newest" ]] ||
    fail "the 5 newest runs are kept (got $(value "$finished") runs: $(newest_5); expected $newest)"
pass "jobs.history_per_job = 5 set before 30 triggered runs: the next pass, with no job due, keeps the 5 newest"

# --- The runs first, then the limit: the reload's pass trims them ----------------------------
set_history_per_job DEFAULT
trigger_30
[[ "$(value "$finished")" == 35 ]] || fail "with the default limit (100) all 35 finished runs stay (got $(value "$finished"))"
pass "with the default jobs.history_per_job (100), all 35 finished runs stay"
newest="$(newest_5)"
set_history_per_job 5
wait_until 150 "SELECT ($finished) <= 5" ||
    fail "after jobs.history_per_job = 5 and a reload the job is trimmed to 5 (it has $(value "$finished") finished runs)"
[[ "$(value "$finished")" == 5 && "$(newest_5)" == "$newest" ]] ||
    fail "the 5 newest runs are kept (got $(value "$finished") runs: $(newest_5); expected $newest)"
pass "30 runs under the default limit, then jobs.history_per_job = 5 and a reload: the 5 newest stay"
