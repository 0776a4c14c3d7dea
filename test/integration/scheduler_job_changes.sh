#!/usr/bin/env bash
# The launcher follows job changes incrementally: with many jobs defined, a
# jobs.schedule/alter/disable/enable/unschedule makes it re-read only the
# changed job (log: "applied N job change(s)"), not reload the table (log:
# "loaded N job(s)"), and each change takes effect at once; a rolled-back
# change is never seen; a transaction changing more than 1,000 jobs, or a
# change that names no job, makes it reload everything.
#
#   test/integration/scheduler_job_changes.sh      (needs pg_jobs installed: make install)
#   IDLE_JOBS=N overrides the number of jobs that are defined but not due.
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

IDLE_JOBS="${IDLE_JOBS:-50000}"

# DEBUG1: the launcher says how it applied each change.
scheduler_start scheduler_job_changes "log_min_messages = debug1" "timezone = 'UTC'"
cluster_psql -o /dev/null <<SQL
CREATE TABLE public.ticks (job text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
-- Jobs that exist but are not due (once a year), straight into the table.
INSERT INTO jobs.scheduled_job (job_name, owner, schedule, timezone, command, database)
SELECT 'idle_' || i, current_user::text::regrole, '0 0 1 1 *', 'UTC', 'SELECT 1', current_database()
FROM generate_series(1, $IDLE_JOBS) i;
SQL

loads() { grep -c "pg_jobs launcher: loaded [0-9]* job(s)" "$CLUSTER_LOG" || true; }
changes() { grep -c "pg_jobs launcher: applied [0-9]* job change(s)" "$CLUSTER_LOG" || true; }
last_line() { grep -o "pg_jobs launcher: $1" "$CLUSTER_LOG" | tail -n 1; }
more_than() { (($("$1") > $2)); }

# A wake that names no job reloads everything.
before="$(loads)"
value "SELECT jobs_internal._wake_scheduler()" >/dev/null
wait_for 30 more_than loads "$before" || fail "jobs_internal._wake_scheduler() without a job id makes the launcher reload"
[[ "$(last_line "loaded [0-9]* job(s)")" == "pg_jobs launcher: loaded $IDLE_JOBS job(s)" ]] ||
    fail "the reload found the $IDLE_JOBS jobs ($(last_line "loaded [0-9]* job(s)"))"
pass "a change without a job id reloads all $IDLE_JOBS jobs"

# A job that ticks every second serves as the clock of the checks below.
loads_before="$(loads)"
changes_before="$(changes)"
witness_id="$(value "SELECT jobs.schedule('witness', '* * * * * *', \$\$INSERT INTO public.ticks VALUES ('witness')\$\$)")"
runs_of() { # job_id after N: at least N runs of the job scheduled after the instant
    count_at_least "$3" "SELECT count(*) FROM jobs.job_execution WHERE job_id = $1
                         AND scheduled_for > '$2'::timestamptz"
}
wait_for 30 runs_of "$witness_id" -infinity 2 || fail "a job scheduled among $IDLE_JOBS others runs"
[[ "$(loads)" == "$loads_before" ]] || fail "jobs.schedule does not reload every job"
[[ "$(changes)" -gt "$changes_before" && "$(last_line "applied [0-9]* job change(s)")" == \
    "pg_jobs launcher: applied 1 job change(s)" ]] ||
    fail "jobs.schedule makes the launcher apply 1 job change ($(last_line "applied [0-9]* job change(s)"))"
pass "jobs.schedule: the launcher applies the one change, without a reload, and the job runs"

# Every later change is applied the same way.
tick_id="$(value "SELECT jobs.schedule('tick', '* * * * * *', \$\$INSERT INTO public.ticks VALUES ('tick')\$\$)")"
wait_for 30 runs_of "$tick_id" -infinity 2 || fail "a second job runs"

# Its command changes, not its schedule: no fire time is skipped or repeated.
altered_at="$(value "SELECT clock_timestamp()")"
value "SELECT jobs.alter('tick', command => \$\$INSERT INTO public.ticks VALUES ('tick, altered')\$\$)" >/dev/null
wait_for 30 runs_of "$tick_id" "$altered_at" 3 || fail "the altered job keeps running"
gaps="$(value "SELECT count(*) FROM (
                   SELECT scheduled_for - lag(scheduled_for) OVER (ORDER BY scheduled_for) AS gap
                   FROM jobs.job_execution WHERE job_id = $tick_id) g
               WHERE gap <> interval '1 second'")"
[[ "$gaps" == 0 ]] || fail "runs stay one second apart across jobs.alter(command => ...) ($gaps other gaps)"
[[ "$(value "SELECT count(*) FROM public.ticks WHERE job = 'tick, altered'")" -ge 1 ]] ||
    fail "the new command runs"
pass "jobs.alter(command): the new command runs, no second skipped or repeated"

# Runs scheduled after the end of the second a change committed in.
runs_after() {
    value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $1
           AND scheduled_for > date_trunc('second', '$2'::timestamptz) + interval '1 second'"
}
value "SELECT jobs.disable('tick')" >/dev/null
disabled_at="$(value "SELECT clock_timestamp()")"
wait_for 30 runs_of "$witness_id" "$disabled_at" 4 || fail "the witness keeps running"
[[ "$(runs_after "$tick_id" "$disabled_at")" == 0 ]] || fail "a disabled job stops firing"
pass "jobs.disable: the job stops"

# Enabling puts back a job id below the last one (the witness's).
value "SELECT jobs.enable('tick')" >/dev/null
enabled_at="$(value "SELECT clock_timestamp()")"
wait_for 30 runs_of "$tick_id" "$enabled_at" 2 || fail "jobs.enable makes the job fire again"
pass "jobs.enable: the job fires again"

value "SELECT jobs.alter('tick', schedule => '0 0 1 1 *')" >/dev/null
moved_at="$(value "SELECT clock_timestamp()")"
wait_for 30 runs_of "$witness_id" "$moved_at" 4 || fail "the witness keeps running"
[[ "$(runs_after "$tick_id" "$moved_at")" == 0 ]] || fail "a job altered to a yearly schedule stops firing every second"
value "SELECT jobs.alter('tick', schedule => '*/2 * * * * *')" >/dev/null
moved_at="$(value "SELECT clock_timestamp()")"
wait_for 30 runs_of "$tick_id" "$moved_at" 2 || fail "the job altered to '*/2 * * * * *' fires"
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $tick_id
             AND scheduled_for > date_trunc('second', '$moved_at'::timestamptz) + interval '1 second'
             AND extract(second FROM scheduled_for)::int % 2 <> 0")" == 0 ]] ||
    fail "after the alter to '*/2 * * * * *' it fires on even seconds only"
pass "jobs.alter(schedule): the new schedule takes effect at once"

value "SELECT jobs.unschedule('tick')" >/dev/null
unscheduled_at="$(value "SELECT clock_timestamp()")"
wait_for 30 runs_of "$witness_id" "$unscheduled_at" 4 || fail "the witness keeps running"
[[ "$(runs_after "$tick_id" "$unscheduled_at")" == 0 ]] || fail "an unscheduled job stops firing"
pass "jobs.unschedule: the job stops"

# A rolled-back definition is never seen.
changes_before="$(changes)"
cluster_psql -o /dev/null <<'SQL'
BEGIN;
SELECT jobs.schedule('ghost', '* * * * * *', $$INSERT INTO public.ticks VALUES ('ghost')$$);
ROLLBACK;
SQL
rolled_back_at="$(value "SELECT clock_timestamp()")"
wait_for 30 runs_of "$witness_id" "$rolled_back_at" 3 || fail "the witness keeps running"
[[ "$(changes)" == "$changes_before" && "$(value "SELECT count(*) FROM public.ticks WHERE job = 'ghost'")" == 0 ]] ||
    fail "a job scheduled in a rolled-back transaction is neither applied nor run"
pass "a rolled-back jobs.schedule is not applied"

# Several jobs in one transaction: one change each, applied together.
cluster_psql -o /dev/null <<'SQL'
BEGIN;
SELECT jobs.schedule('trio_' || i, '* * * * * *', format($$INSERT INTO public.ticks VALUES ('trio_%s')$$, i))
FROM generate_series(1, 3) i;
SELECT jobs.alter('trio_1', command => $$INSERT INTO public.ticks VALUES ('trio_1')$$);
COMMIT;
SQL
trio_ran() { holds "SELECT count(DISTINCT job) = 3 FROM public.ticks WHERE job LIKE 'trio\_%'"; }
wait_for 30 trio_ran || fail "three jobs scheduled in one transaction all run"
[[ "$(last_line "applied [0-9]* job change(s)")" == "pg_jobs launcher: applied 3 job change(s)" ]] ||
    fail "three jobs changed in one transaction are 3 changes ($(last_line "applied [0-9]* job change(s)"))"
value "SELECT count(jobs.unschedule('trio_' || i)) FROM generate_series(1, 3) i" >/dev/null
pass "3 jobs changed in one transaction: applied as 3 changes, all run"

# More than 1,000 jobs changed in one transaction: a full reload.
loads_before="$(loads)"
value "SELECT count(jobs.schedule('bulk_' || i, '0 0 1 1 *', 'SELECT 1')) FROM generate_series(1, 1001) i" >/dev/null
wait_for 30 more_than loads "$loads_before" || fail "1,001 changes in one transaction make the launcher reload"
[[ "$(last_line "loaded [0-9]* job(s)")" == "pg_jobs launcher: loaded $((IDLE_JOBS + 1 + 1001)) job(s)" ]] ||
    fail "the reload found $((IDLE_JOBS + 1 + 1001)) jobs ($(last_line "loaded [0-9]* job(s)"))"
reloaded_at="$(value "SELECT clock_timestamp()")"
wait_for 30 runs_of "$witness_id" "$reloaded_at" 2 || fail "the witness runs on after the reload"
pass "1,001 jobs changed in one transaction: one full reload, jobs keep running"
