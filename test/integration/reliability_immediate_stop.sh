#!/usr/bin/env bash
# Stopping the server under load, for real:
#   - `pg_ctl -m immediate` (a crash) with 1,000 runs queued and some running:
#     after start, every run that was running is 'crashed' (with the reason),
#     every queued run still runs, each succeeded run has exactly one effect,
#     no other run has one, no effect is applied twice and no scheduled time
#     runs twice;
#   - a fast shutdown during a long SQL run: the server stops (the restart
#     returns), and the run ends in a final status without its effects. The
#     issue wants it 'cancelled' with reason 'shutdown': until that is built,
#     that one check prints "not ok ... # TODO" and does not fail the script.
# Every job's command inserts its execution_id (from jobs.context()) into
# public.effects, so effects join to jobs.job_execution.
#
#   test/integration/reliability_immediate_stop.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

max_workers=4
bulk_runs=1000
# Every run is counted: keep them all (jobs.history_per_job = 0).
# jobs.max_running_per_owner = jobs.max_workers: one role's runs may take every worker here.
scheduler_start reliability_immediate_stop "jobs.max_workers = $max_workers" "jobs.max_running_per_owner = $max_workers" "timezone = 'UTC'" "jobs.history_per_job = 0"
cluster_psql -o /dev/null <<'SQL'
CREATE TABLE public.effects (
    execution_id bigint NOT NULL,
    job text NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
SELECT jobs.schedule('tick', '* * * * * *',
    $$INSERT INTO public.effects (execution_id, job) SELECT (jobs.context()->>'execution_id')::bigint, 'tick'$$);
SELECT jobs.schedule('slow', NULL,
    $$INSERT INTO public.effects (execution_id, job) SELECT (jobs.context()->>'execution_id')::bigint, 'slow';
      SELECT pg_sleep(60) /* slow-marker */$$);
-- A short sleep per run keeps the 1,000 runs busy for a while, so the stop
-- certainly finds runs queued and running.
SELECT jobs.schedule('bulk', NULL,
    $$INSERT INTO public.effects (execution_id, job) SELECT (jobs.context()->>'execution_id')::bigint, 'bulk';
      SELECT pg_sleep(0.05)$$);
SQL
tick_job="$(value "SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'tick'")"
bulk_job="$(value "SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'bulk'")"
wait_for 30 count_at_least 2 "SELECT count(*) FROM jobs.job_execution WHERE job_id = $tick_job AND status = 'succeeded'" ||
    fail "the seconds job fires"
pass "the seconds job fires"

status_of() { value "SELECT status FROM jobs.job_execution WHERE execution_id = $1"; }
effects_of() { value "SELECT count(*) FROM public.effects WHERE execution_id = $1"; }

# --- pg_ctl -m immediate with 1,000 runs queued and some running ------------------------------
slow="$(value "SELECT jobs.trigger('slow')")"
wait_until 60 "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_jobs worker'
               AND query LIKE '%slow-marker%' AND wait_event = 'PgSleep'" ||
    fail "the slow run is sleeping, after its INSERT (status: $(status_of "$slow"))"
# One transaction queues all of them.
value "SELECT count(jobs.trigger('bulk')) FROM generate_series(1, $bulk_runs)" >/dev/null
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $bulk_job")" == "$bulk_runs" ]] ||
    fail "$bulk_runs bulk runs are queued"
wait_until 60 "SELECT count(*) FILTER (WHERE status = 'running') >= 1 AND count(*) FILTER (WHERE status = 'succeeded') >= 1
               FROM jobs.job_execution WHERE job_id = $bulk_job" ||
    fail "bulk runs start"
before="$(value "SELECT string_agg(status || ':' || n, ', ' ORDER BY status)
                 FROM (SELECT status, count(*) AS n FROM jobs.job_execution WHERE job_id = $bulk_job GROUP BY 1) s")"
note "bulk runs just before the immediate stop: $before"
cluster_restart immediate || fail "the server restarts after an immediate stop"
restarted="$(value "SELECT pg_postmaster_start_time()")"
wait_for 60 launcher_running || fail "the launcher is back after the immediate stop"
pass "immediate stop with bulk runs queued and running ($before); the server and its launcher are back"

status="$(wait_final "$slow")"
[[ "$status" == crashed ]] || fail "the slow run that was running is 'crashed' (got '$status')"
[[ -n "$(value "SELECT coalesce(error, '') FROM jobs.job_execution WHERE execution_id = $slow")" ]] ||
    fail "the crashed slow run says why in error"
[[ "$(effects_of "$slow")" == 0 ]] || fail "the INSERT of the crashed slow run is not applied"
pass "the slow run that was running is 'crashed' with a reason, its INSERT not applied"

bulk_left() {
    value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $bulk_job AND status IN ('queued', 'running')" 2>/dev/null
}
wait_until 300 "SELECT count(*) = 0 FROM jobs.job_execution WHERE job_id = $bulk_job AND status IN ('queued', 'running')" ||
    fail "all $bulk_runs bulk runs reach a final status ($(bulk_left) left)"
pass "all $bulk_runs bulk runs reached a final status"

# Runs that were running at the stop are those that started before the
# restart and did not finish before it: each is 'crashed', and nothing else is
# (runs that never started, such as ticks skipped by the overlap policy, aren't).
wrong="$(value "SELECT count(*) FROM jobs.job_execution
                WHERE coalesce(started_at < '$restarted'::timestamptz
                               AND (finished_at IS NULL OR finished_at >= '$restarted'::timestamptz), false)
                      IS DISTINCT FROM (status = 'crashed')")"
[[ "$wrong" == 0 ]] || fail "exactly the runs that were running at the stop are 'crashed' ($wrong differ):
$(show_executions)"
no_reason="$(value "SELECT count(*) FROM jobs.job_execution WHERE status = 'crashed' AND coalesce(error, '') = ''")"
[[ "$no_reason" == 0 ]] || fail "every crashed run has a reason in error ($no_reason have none)"
crashed_bulk="$(value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $bulk_job AND status = 'crashed'")"
((crashed_bulk <= max_workers - 1)) ||
    fail "at most $((max_workers - 1)) bulk runs (one per other worker) were running, so crashed ($crashed_bulk are)"
pass "exactly the runs running at the stop are 'crashed', with a reason ($crashed_bulk bulk runs and the slow one)"

# Every queued run still ran: the bulk runs are all succeeded but the crashed ones.
bulk="$(value "SELECT count(*) || ' ' || count(*) FILTER (WHERE status = 'succeeded') || ' '
                      || count(*) FILTER (WHERE started_at >= '$restarted'::timestamptz)
               FROM jobs.job_execution WHERE job_id = $bulk_job")"
read -r recorded succeeded after_restart <<<"$bulk"
[[ "$recorded" == "$bulk_runs" ]] || fail "runs expected = runs recorded: $bulk_runs bulk runs (recorded: $recorded)"
[[ "$succeeded" == $((bulk_runs - crashed_bulk)) ]] ||
    fail "every bulk run but the $crashed_bulk crashed ones succeeded ($succeeded did)"
((after_restart >= 1)) || fail "runs still queued at the stop ran after the restart ($after_restart did)"
pass "runs expected = runs recorded ($bulk_runs bulk); $succeeded succeeded, $after_restart of them after the restart"

# --- Fast shutdown during a long SQL run ------------------------------------------------------------
long="$(value "SELECT jobs.trigger('slow')")"
wait_until 60 "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_jobs worker'
               AND query LIKE '%slow-marker%' AND wait_event = 'PgSleep'" ||
    fail "the long run is sleeping, after its INSERT (status: $(status_of "$long"))"
# pg_ctl waits for the stop at most its timeout (cluster_restart: 120 s) and
# fails past it: the restart returning is the proof the run did not hold it up.
cluster_restart fast || fail "a fast shutdown during a long run stops the server (pg_ctl restart -m fast returned an error)"
wait_for 60 launcher_running || fail "the launcher is back after the fast restart"
pass "a fast shutdown during a 60 s run stops the server; it starts again"
status="$(wait_final "$long")"
case "$status" in
    queued | running) fail "the run interrupted by the fast shutdown reaches a final status (still '$status')" ;;
esac
[[ "$status" != succeeded ]] || fail "the run interrupted by the fast shutdown did not succeed"
[[ "$(effects_of "$long")" == 0 ]] || fail "the INSERT of the run interrupted by the fast shutdown is not applied"
pass "the run interrupted by the fast shutdown ends '$status', its INSERT not applied"
error="$(value "SELECT coalesce(error, '') FROM jobs.job_execution WHERE execution_id = $long")"
[[ "$status" == cancelled && "$error" == shutdown:* ]] ||
    fail "the run interrupted by the fast shutdown is 'cancelled' with reason shutdown (got '$status': $error)"
pass "the run interrupted by the fast shutdown is 'cancelled' with reason shutdown ($error)"

# --- Counting everything ------------------------------------------------------------------------------
value "SELECT jobs.disable('tick')" >/dev/null
wait_until 60 "SELECT count(*) = 0 FROM jobs.job_execution WHERE status IN ('queued', 'running')" ||
    fail "every run reaches a final status"
summary="$(check_effects_once "$tick_job")"
pass "across both stops: effects = succeeded runs, none twice, no scheduled time twice ($summary)"
