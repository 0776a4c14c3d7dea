#!/usr/bin/env bash
# Issue 15's scheduling options with real workers, defined by an unprivileged
# role: a schedule of several cron expressions fires at the times of each
# (a time both match once).
#
#   test/integration/scheduler_options.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start scheduler_options "jobs.history_per_job = 0" "jobs.min_schedule_interval = 0"
cluster_psql -o /dev/null <<'SQL'
CREATE ROLE options_alice LOGIN;
GRANT USAGE ON SCHEMA jobs TO options_alice;
CREATE TABLE public.list_runs (at timestamptz NOT NULL DEFAULT clock_timestamp());
GRANT INSERT ON public.list_runs TO options_alice;
SQL
as_alice() { cluster_psql -At -U options_alice -c "$1"; }

# --- Several schedules ------------------------------------------------------------
# Seconds divisible by 4 or by 3; 0, 12, 24, 36 and 48 are matched by both.
list_id="$(as_alice "SELECT jobs.schedule('two expressions', '*/4 * * * * *; */3 * * * * *',
                                          'INSERT INTO public.list_runs DEFAULT VALUES')")"
[[ "$list_id" =~ ^[0-9]+$ ]] || fail "an unprivileged role schedules a job with two expressions (got '$list_id')"
list_seconds() {
    echo "SELECT count(*) FILTER (WHERE s % 4 = 0 AND s % 3 <> 0) >= 2
                 AND count(*) FILTER (WHERE s % 3 = 0 AND s % 4 <> 0) >= 2
                 AND count(*) FILTER (WHERE s % 12 = 0) >= 1
          FROM (SELECT extract(second FROM scheduled_for)::int AS s FROM jobs.job_execution
                WHERE job_id = $list_id AND status = 'succeeded') r"
}
wait_until 60 "$(list_seconds)" ||
    fail "the job fires at times of each expression, and at a time both match (runs: $(value "SELECT string_agg(
          extract(second FROM scheduled_for)::text, ' ' ORDER BY scheduled_for) FROM jobs.job_execution
          WHERE job_id = $list_id"))"
pass "'*/4 * * * * *; */3 * * * * *' fires at seconds of each expression and at one both match"

stray="$(value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $list_id
                AND (extract(second FROM scheduled_for)::int % 4 <> 0 AND extract(second FROM scheduled_for)::int % 3 <> 0
                     OR scheduled_for <> date_trunc('second', scheduled_for) OR triggered_by <> 'schedule')")"
[[ "$stray" == 0 ]] || fail "every run is at a time one of the expressions matches ($stray are not)"
twice="$(value "SELECT count(*) - count(DISTINCT scheduled_for) FROM jobs.job_execution WHERE job_id = $list_id")"
[[ "$twice" == 0 ]] || fail "a time both expressions match fires once ($twice duplicates)"
# No time of either expression is missed between the first and the last run.
missed="$(value "SELECT count(*) FROM generate_series(
                     (SELECT min(scheduled_for) FROM jobs.job_execution WHERE job_id = $list_id),
                     (SELECT max(scheduled_for) FROM jobs.job_execution WHERE job_id = $list_id),
                     interval '1 second') AS t
                 WHERE (extract(second FROM t)::int % 4 = 0 OR extract(second FROM t)::int % 3 = 0)
                   AND NOT EXISTS (SELECT FROM jobs.job_execution e WHERE e.job_id = $list_id AND e.scheduled_for = t)")"
[[ "$missed" == 0 ]] || fail "no fire time of either expression is missed ($missed are)"
rows="$(value "SELECT (SELECT count(*) FROM public.list_runs) =
                      (SELECT count(*) FROM jobs.job_execution WHERE job_id = $list_id AND status = 'succeeded')")"
[[ "$rows" == t ]] || fail "each run ran the command once"
pass "each run is at a time of one expression, none twice, none missed"

next_ok="$(as_alice "SELECT next_run_at > now() AND extract(second FROM next_run_at)::int % 4 * (extract(second FROM next_run_at)::int % 3) = 0
                     FROM jobs.job_status WHERE job_id = $list_id")"
[[ "$next_ok" == t ]] || fail "jobs.job_status shows the next time of the list"
pass "jobs.job_status.next_run_at is the earliest next time of the expressions"
as_alice "SELECT jobs.unschedule('two expressions')" >/dev/null

echo "# all scheduler_options checks passed"
