#!/usr/bin/env bash
# Jobs fire on schedule: a `* * * * * *` job runs every second on the second
# with no gaps, and each run's effects commit together with its `succeeded`
# row; a `* * * * *` job runs at the next minute boundary; disabled jobs do
# not fire; alter, disable, enable and unschedule take effect at once.
#
#   test/integration/scheduler_fires.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start scheduler_fires "jobs.history_per_job = 0"
cluster_psql -o /dev/null <<'SQL'
CREATE TABLE public.ticks (at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE TABLE public.tocks (at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE TABLE public.minutes (at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE TABLE public.never (at timestamptz NOT NULL DEFAULT clock_timestamp());
SQL

# The minute job first, so its wait overlaps the seconds checks below. Not in
# the last seconds of a minute, so "the next boundary" is unambiguous.
wait_until 10 "SELECT extract(second FROM clock_timestamp()) < 55" || fail "the clock moves"
minute_id="$(value "SELECT jobs.schedule('minutely', '* * * * *', 'INSERT INTO public.minutes DEFAULT VALUES')")"
minute_created="$(value "SELECT clock_timestamp()")"
tick_id="$(value "SELECT jobs.schedule('tick', '* * * * * *', 'INSERT INTO public.ticks DEFAULT VALUES')")"
never_id="$(value "SELECT jobs.schedule('never', '* * * * * *', 'INSERT INTO public.never DEFAULT VALUES',
                                        enabled => false)")"
[[ "$tick_id" =~ ^[0-9]+$ && "$minute_id" =~ ^[0-9]+$ && "$never_id" =~ ^[0-9]+$ ]] ||
    fail "jobs.schedule returns job ids (got '$tick_id', '$minute_id', '$never_id')"
pass "jobs.schedule returns a job_id"

# --- Every second ----------------------------------------------------------------
runs=6
count_ticks() { count_at_least "$runs" "SELECT count(*) FROM public.ticks"; }
wait_for 30 count_ticks || fail "the every-second job ran $runs times within 30 s (ran $(value 'SELECT count(*) FROM public.ticks'))"
pass "the '* * * * * *' job ran at least $runs times"

# One statement, one snapshot: a run's INSERT and its 'succeeded' row commit together.
same="$(value "SELECT (SELECT count(*) FROM public.ticks) || ' ' ||
                      (SELECT count(*) FROM jobs.job_execution WHERE job_id = $tick_id AND status = 'succeeded')")"
read -r tick_rows tick_succeeded <<<"$same"
[[ "$tick_rows" == "$tick_succeeded" ]] ||
    fail "rows inserted ($tick_rows) == succeeded executions ($tick_succeeded) in one snapshot"
pass "rows inserted == succeeded executions ($tick_rows), seen in one snapshot"

bad="$(value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $tick_id
              AND (triggered_by <> 'schedule' OR scheduled_for IS NULL
                   OR scheduled_for <> date_trunc('second', scheduled_for))")"
[[ "$bad" == 0 ]] || fail "every run of the seconds job is triggered_by 'schedule' on a whole second ($bad are not)"
distinct="$(value "SELECT count(*) = count(DISTINCT scheduled_for) FROM jobs.job_execution WHERE job_id = $tick_id")"
[[ "$distinct" == t ]] || fail "each scheduled_for of the seconds job is distinct"
pass "scheduled_for values are distinct whole seconds, triggered_by 'schedule'"

# No drift and no skipped seconds: consecutive runs are exactly one second apart.
gaps="$(value "SELECT coalesce(string_agg(gap::text, ', '), '') FROM (
                   SELECT scheduled_for - lag(scheduled_for) OVER (ORDER BY scheduled_for) AS gap
                   FROM jobs.job_execution WHERE job_id = $tick_id) g
               WHERE gap <> interval '1 second'")"
[[ -z "$gaps" ]] || fail "consecutive runs of the seconds job are one second apart (other gaps: $gaps)"
pass "consecutive runs are exactly one second apart"

late="$(value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $tick_id AND status = 'succeeded'
               AND NOT (started_at >= scheduled_for AND finished_at >= started_at AND queued_at IS NOT NULL
                        AND rows_affected = 1 AND error IS NULL)")"
[[ "$late" == 0 ]] ||
    fail "succeeded runs have started_at >= scheduled_for, finished_at, rows_affected = 1 and no error ($late do not)"
pass "succeeded rows have started_at >= scheduled_for, finished_at, rows_affected = 1"

status_row="$(value "SELECT enabled AND last_status = 'succeeded' AND total_runs >= $runs
                            AND succeeded_runs >= $runs AND failed_runs = 0
                            AND next_run_at > now() AND next_run_at <= now() + interval '1 second'
                     FROM jobs.job_status WHERE job_id = $tick_id")"
[[ "$status_row" == t ]] || fail "jobs.job_status shows the seconds job's counts and next run; got:
$(cluster_psql -x -c "SELECT *, now() FROM jobs.job_status WHERE job_id = $tick_id")"
pass "jobs.job_status shows runs, last status and next_run_at for the seconds job"

# --- Disabled at creation -------------------------------------------------------------
# Barrier: the seconds job's progress, not a sleep.
ticks_since() { count_at_least "$2" "SELECT count(*) FROM jobs.job_execution WHERE job_id = $tick_id
                                     AND status = 'succeeded' AND scheduled_for > '$1'::timestamptz"; }
now_mark="$(value "SELECT clock_timestamp()")"
wait_for 30 ticks_since "$now_mark" 2 || fail "the seconds job keeps running"
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $never_id")" == 0 &&
    "$(value "SELECT count(*) FROM public.never")" == 0 ]] || fail "a job created disabled never runs"
pass "a job created with enabled => false never runs"

# --- alter, disable, enable, unschedule -----------------------------------------------
tock_id="$(value "SELECT jobs.schedule('tock', '* * * * * *', 'INSERT INTO public.tocks DEFAULT VALUES')")"
tock_runs_after() { count_at_least "$2" "SELECT count(*) FROM jobs.job_execution WHERE job_id = $tock_id
                                         AND status = 'succeeded' AND scheduled_for > '$1'::timestamptz"; }
wait_for 30 tock_runs_after "-infinity" 2 || fail "a second seconds job runs"

# A run already being queued when the change commits may still happen: allow
# fire times up to the end of the second of the change, none after.
# Prints how many runs of $tock_id are scheduled after that.
runs_after_change() {
    value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $tock_id
           AND scheduled_for > date_trunc('second', '$1'::timestamptz) + interval '1 second'"
}

value "SELECT jobs.alter('tock', schedule => '*/2 * * * * *')" >/dev/null
altered_at="$(value "SELECT clock_timestamp()")"
wait_for 30 tock_runs_after "$altered_at" 2 || fail "the altered job runs on its new schedule"
odd="$(value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $tock_id
              AND scheduled_for > date_trunc('second', '$altered_at'::timestamptz) + interval '1 second'
              AND extract(second FROM scheduled_for)::int % 2 <> 0")"
[[ "$odd" == 0 ]] || fail "after jobs.alter to '*/2 * * * * *' the job fires on even seconds only ($odd odd)"
pass "jobs.alter(schedule => '*/2 * * * * *') takes effect at once"

value "SELECT jobs.disable('tock')" >/dev/null
disabled_at="$(value "SELECT clock_timestamp()")"
wait_for 30 ticks_since "$disabled_at" 4 || fail "the seconds job keeps running"
after="$(runs_after_change "$disabled_at")"
[[ "$after" == 0 ]] || fail "a disabled job does not fire ($after runs after jobs.disable)"
[[ "$(value "SELECT enabled FROM jobs.scheduled_job WHERE job_id = $tock_id")" == f ]] ||
    fail "jobs.disable sets enabled = false"
pass "jobs.disable stops the job (no run in the 4 s after)"

value "SELECT jobs.enable('tock')" >/dev/null
enabled_at="$(value "SELECT clock_timestamp()")"
wait_for 30 tock_runs_after "$enabled_at" 1 || fail "jobs.enable makes the job fire again"
pass "jobs.enable makes it fire again"

unscheduled="$(value "SELECT jobs.unschedule('tock')")"
unscheduled_at="$(value "SELECT clock_timestamp()")"
[[ "$unscheduled" == t ]] || fail "jobs.unschedule returns true for an existing job (got '$unscheduled')"
[[ "$(value "SELECT count(*) FROM jobs.scheduled_job WHERE job_id = $tock_id")" == 0 ]] ||
    fail "jobs.unschedule deletes the job"
wait_for 30 ticks_since "$unscheduled_at" 4 || fail "the seconds job keeps running"
after="$(runs_after_change "$unscheduled_at")"
[[ "$after" == 0 ]] || fail "an unscheduled job does not fire ($after runs after jobs.unschedule)"
[[ "$(value "SELECT count(*) > 0 FROM jobs.job_execution WHERE job_id = $tock_id")" == t ]] ||
    fail "the history of an unscheduled job is kept"
pass "jobs.unschedule stops the job and keeps its history"

# --- Every minute ------------------------------------------------------------------------
# The first fire is the minute boundary after creation: at most 60 s plus the run.
minute_ran() { holds "SELECT count(*) >= 1 FROM jobs.job_execution WHERE job_id = $minute_id AND status = 'succeeded'"; }
wait_for 75 minute_ran || fail "the '* * * * *' job ran within 75 s of its creation"
minute_ok="$(value "SELECT bool_and(scheduled_for = date_trunc('minute', scheduled_for))
                           AND min(scheduled_for) = date_trunc('minute', '$minute_created'::timestamptz) + interval '1 minute'
                           AND (SELECT count(*) FROM public.minutes) = count(*) FILTER (WHERE status = 'succeeded')
                    FROM jobs.job_execution WHERE job_id = $minute_id")"
[[ "$minute_ok" == t ]] || fail "the minute job first fires at the next minute boundary after creation ($minute_created):
$(cluster_psql -c "SELECT scheduled_for, started_at, status FROM jobs.job_execution WHERE job_id = $minute_id")"
pass "the '* * * * *' job fired at the next minute boundary"

# Sanity: the seconds job never failed and never left a row behind in 'queued'
# for long (the last second's run may still be in flight).
stuck="$(value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $tick_id
                AND (status NOT IN ('succeeded', 'queued', 'running')
                     OR (status IN ('queued', 'running') AND scheduled_for < now() - interval '10 seconds'))")"
[[ "$stuck" == 0 ]] || fail "no run of the seconds job failed or stayed queued/running ($stuck did)"
pass "the seconds job has no failed or stuck runs ($(value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $tick_id") runs)"

# Scheduled runs are queued a little ahead of their fire time (not_before =
# scheduled_for) and an idle worker starts them at the instant: never before.
early="$(value "SELECT count(*) FROM jobs.job_execution WHERE scheduled_for IS NOT NULL AND started_at < scheduled_for")"
[[ "$early" == 0 ]] || fail "no run starts before its scheduled time ($early did:
$(cluster_psql -c "SELECT execution_id, job_id, scheduled_for, queued_at, started_at FROM jobs.job_execution
                   WHERE started_at < scheduled_for LIMIT 10"))"
ahead="$(value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $tick_id AND queued_at < scheduled_for
                AND not_before = scheduled_for")"
((ahead > 0)) || fail "runs of the seconds job are queued ahead of their fire time (none was)"
pass "every run started at or after its scheduled time ($ahead runs of the seconds job were queued ahead)"
