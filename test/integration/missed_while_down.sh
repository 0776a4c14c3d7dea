#!/usr/bin/env bash
# Fire times missed while no scheduler ran (issue 13, alert event 'missed':
# "because the scheduler was down at that time (found at start-up)"):
#   - at its start the launcher records, for each job with misfire 'skip'
#     whose fire times passed since its last scheduled run (or since it was
#     last defined or enabled), one 'skipped' run with their count
#     (skipped_count), the first and the last in its error, and logs it;
#   - a job that catches up (misfire run_once) gets its catch-up run instead,
#     and a job that missed nothing gets no row;
#   - an alert watching 'missed' is delivered for it.
# The outage is made by moving the jobs' updated_at ten and a half minutes
# back with the triggers off (session_replication_role = replica), then
# restarting the server: the fire times in between were never queued.
#
#   test/integration/missed_while_down.sh      (needs pg_jobs installed: make install)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start missed_while_down "jobs.alert_window = '1s'"
cluster_psql -o /dev/null <<'SQL'
CREATE ROLE alice LOGIN;
GRANT USAGE ON SCHEMA jobs TO alice;
CREATE TABLE public.alerts_seen (payload jsonb);
GRANT INSERT ON public.alerts_seen TO alice;
SET ROLE alice;
SELECT jobs.schedule('minutely', '* * * * *', 'SELECT 1');
SELECT jobs.schedule('catching_up', '* * * * *', 'SELECT 1', misfire => 'run_once');
SELECT jobs.schedule('yearly', '0 3 1 1 *', 'SELECT 1');
SELECT jobs.schedule('on_missed', NULL, $$INSERT INTO public.alerts_seen SELECT jobs.context() -> 'payload'$$);
SELECT jobs.alert('down', 'on_missed', jobs => ARRAY['minutely'], events => '{missed}');
RESET ROLE;
SET session_replication_role = replica;
UPDATE jobs.scheduled_job SET updated_at = now() - interval '10 minutes 30 seconds'
WHERE job_name IN ('minutely', 'catching_up', 'yearly');
SQL
cluster_restart fast || fail "the server restarts"
wait_for 30 launcher_running || fail "the launcher runs after the restart"

missed_row() { # job -> "skipped_count|error" of its row for fire times missed while down
    value "SELECT skipped_count || '|' || error FROM jobs.job_execution
           WHERE job_name = '$1' AND status = 'skipped' AND error LIKE 'skipped: the scheduler was not running%'"
}
wait_until 30 "SELECT EXISTS (SELECT FROM jobs.job_execution WHERE job_name = 'minutely' AND status = 'skipped')" ||
    fail "the launcher records the fire times 'minutely' missed while it was down"
row="$(missed_row minutely)"
count="${row%%|*}"
((count >= 10 && count <= 11)) || fail "ten or eleven minutes were missed, counted in skipped_count: $row"
[[ "$row" == *"|skipped: the scheduler was not running at $count fire times, from "*" to "*" (misfire skip)" ]] ||
    fail "the error says how many, from when to when: $row"
holds "SELECT scheduled_for <= now() AND scheduled_for > now() - interval '2 minutes' AND triggered_by = 'schedule'
       FROM jobs.job_execution WHERE job_name = 'minutely' AND status = 'skipped'" ||
    fail "the row stands at the last missed time, as a scheduled run"
grep -q "pg_jobs: 1 job(s) missed fire times while no scheduler ran (misfire skip): recorded as skipped runs" \
    "$CLUSTER_LOG" || fail "the launcher logs it"
pass "a 'skip' job's fire times missed while the scheduler was down: one skipped run, with their count and span"

[[ -z "$(missed_row catching_up)" ]] || fail "a job that catches up gets no skipped row: $(missed_row catching_up)"
wait_until 60 "SELECT EXISTS (SELECT FROM jobs.job_execution WHERE job_name = 'catching_up' AND status = 'succeeded'
               AND scheduled_for < (SELECT pg_postmaster_start_time()))" ||
    fail "the misfire run_once job catches up instead"
[[ -z "$(missed_row yearly)" ]] || fail "a job that missed nothing gets no row: $(missed_row yearly)"
pass "a job with misfire run_once catches up instead; one that missed nothing gets no row"

wait_until 60 "SELECT EXISTS (SELECT FROM public.alerts_seen WHERE payload ->> 'event' = 'missed'
               AND payload -> 'job' ->> 'job_name' = 'minutely')" ||
    fail "the alert watching 'missed' is delivered: $(value "SELECT string_agg(payload::text, ' ') FROM public.alerts_seen")"
pass "an alert watching 'missed' is delivered for fire times missed while the scheduler was down"
