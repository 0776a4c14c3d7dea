#!/usr/bin/env bash
# One role's extreme times and intervals must not stop the scheduler for
# everyone (issue 10, points 13 and 14), with a real launcher:
#   - the -infinity / misfire run_all scenario: jobs.schedule refuses run_at
#     -infinity (22023); a job whose latest scheduled run is for -infinity
#     (history written before the check) redefined with misfire run_all
#     catches up at most 100 runs, the launcher stays small (VmRSS below
#     200 MB, it grew ~150 MB/s before) and the other jobs keep firing, also
#     after a kill -9 of the launcher (crash restart) with that history back;
#   - values a superuser UPDATEs into jobs.scheduled_job directly
#     (starting_deadline '178000000 years', start_at 4714 BC): other jobs
#     keep firing, also after a restart, where the bad jobs are disabled
#     with a disabled_reason naming the value, and jobs.job_status answers;
#   - a job whose runs cannot be queued (a failing trigger stands in for any
#     per-job error): the launcher finds it job by job, disables it with the
#     error in disabled_reason, and the other jobs keep firing;
#   - a role's workflow whose run_if takes 2 s, triggered 4 times: the
#     checks are the HTTP worker's, and the seconds job keeps firing (the
#     launcher made them, and stalled 8 s), and another owner's conditional
#     workflow starts after one of them, not all (owners take turns);
#   - 12 triggers of a role's 3,000-step workflow: the seconds job keeps
#     firing (the launcher started them all in one pass);
#   - a role's HTTP runs whose run_if takes 3 s: the superuser's HTTP run
#     waits for one check at most (it waited for all of them), and a run
#     cancelled while it waits for its check ends cancelled, unsent.
#
#   test/integration/security_launcher_isolation.sh   (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh
# shellcheck source=test/lib/http_server.sh
source test/lib/http_server.sh

scheduler_start security_launcher_isolation "jobs.max_workers = 2" "jobs.min_schedule_interval = 0"
cluster_psql -o /dev/null <<'SQL'
CREATE ROLE alice LOGIN;
GRANT USAGE ON SCHEMA jobs TO alice;
CREATE TABLE public.ticks (at timestamptz NOT NULL DEFAULT clock_timestamp());
SELECT jobs.schedule('tick', '* * * * * *', 'INSERT INTO public.ticks DEFAULT VALUES');
SQL
as_alice() { cluster_psql -U alice -At -c "$1"; }

launcher_pid() { value "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_jobs launcher'"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
ticks_after() { count_at_least "$2" "SELECT count(*) FROM public.ticks WHERE at > '$1'::timestamptz"; }
# The longest gap (s) between two runs of the seconds job, from 2 s before
# $1 to 1 s after $2.
longest_tick_gap() {
    value "SELECT round(max(extract(epoch FROM t.at - t.before))::numeric, 2)
           FROM (SELECT at, lag(at) OVER (ORDER BY at) AS before FROM public.ticks
                 WHERE at > '$1'::timestamptz - interval '2 seconds') AS t
           WHERE t.at <= '$2'::timestamptz + interval '1 second'"
}
max_rss_kb=0
# Waits (up to SECONDS) for the seconds job to fire 3 times after MARK, checking
# the launcher's resident memory on every poll.
ticks_with_sane_launcher() {
    local seconds="$1" mark="$2" what="$3" deadline pid rss
    deadline=$((SECONDS + seconds))
    while ((SECONDS < deadline)); do
        pid="$(launcher_pid)"
        if [[ -n "$pid" ]]; then
            rss="$(rss_kb "$pid")"
            ((rss > max_rss_kb)) && max_rss_kb=$rss
            ((rss < 200 * 1024)) || fail "$what: the launcher stays below 200 MB (VmRSS ${rss} kB)"
        fi
        if ticks_after "$mark" 3; then
            return 0
        fi
        sleep 0.2
    done
    fail "$what: the seconds job keeps firing (launcher VmRSS up to ${max_rss_kb} kB)
$(cluster_log_tail 15)"
}

mark="$(value "SELECT clock_timestamp()")"
ticks_with_sane_launcher 30 "$mark" "start"
pass "the seconds job fires"

# --- Point 13: run_at -infinity, then misfire run_all --------------------------------------
out="$(as_alice "SELECT jobs.schedule('neg', NULL, 'SELECT 1', run_at => '-infinity', misfire => 'run_once')" 2>&1)" &&
    fail "jobs.schedule refuses run_at => '-infinity' (it returned $out)"
[[ "$out" == *"run_at must be between 1970-01-01 00:00:00+00 and 9999-12-31 23:59:59+00, not -infinity"* ]] ||
    fail "the refusal names the range: $out"
pass "jobs.schedule refuses run_at -infinity for an ordinary role"

# The history such a job left (written before the check existed): its
# latest scheduled run is for -infinity.
neg="$(as_alice "SELECT jobs.schedule('neg', NULL, 'SELECT 1')")"
value "INSERT INTO jobs.job_execution (job_id, job_name, owner, database, command, triggered_by, scheduled_for,
                                       status, finished_at)
       VALUES ($neg, 'neg', 'alice', current_database(), 'SELECT 1', 'schedule', '-infinity', 'succeeded',
               clock_timestamp())" >/dev/null
mark="$(value "SELECT clock_timestamp()")"
as_alice "SELECT jobs.schedule('neg', '* * * * *', 'SELECT 1', misfire => 'run_all')" >/dev/null
# Its scheduled runs besides the -infinity one: the catch-up (at most 100),
# and the minutes it fires on its own meanwhile (one or two).
catch_ups() { value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $neg AND scheduled_for > '-infinity'"; }
wait_until 30 "SELECT count(*) > 0 FROM jobs.job_execution WHERE job_id = $neg AND scheduled_for > '-infinity'" ||
    fail "the redefined job catches up its missed minutes
$(cluster_log_tail 15)"
ticks_with_sane_launcher 30 "$mark" "run_all from -infinity"
caught="$(catch_ups)"
((caught <= 102)) || fail "at most 100 catch-up runs (+ its own minutes: $caught runs)"
pass "run_all from a -infinity history: $caught catch-up run(s), launcher VmRSS ${max_rss_kb} kB, the seconds job fires"

# kill -9 of the launcher (the postmaster restarts everything), with the
# -infinity history back as the job's latest scheduled run.
as_alice "SELECT jobs.disable('neg')" >/dev/null
wait_until 60 "SELECT count(*) = 0 FROM jobs.job_execution WHERE job_id = $neg AND status IN ('queued', 'running')" ||
    fail "the catch-up runs finish"
value "DELETE FROM jobs.job_execution WHERE job_id = $neg AND scheduled_for > '-infinity'" >/dev/null
value "UPDATE jobs.scheduled_job SET enabled = true WHERE job_id = $neg" >/dev/null
old_launcher="$(launcher_pid)"
kill -9 "$old_launcher"
note "killed the launcher $old_launcher with SIGKILL"
new_launcher() { local pid; pid="$(launcher_pid 2>/dev/null)" && [[ -n "$pid" && "$pid" != "$old_launcher" ]]; }
wait_for 60 new_launcher || fail "the launcher comes back after kill -9"
mark="$(value "SELECT clock_timestamp()")"
max_rss_kb=0
ticks_with_sane_launcher 60 "$mark" "after the crash restart"
wait_until 30 "SELECT count(*) > 0 FROM jobs.job_execution WHERE job_id = $neg AND scheduled_for > '-infinity'" ||
    fail "after the crash restart the job catches up again"
caught="$(catch_ups)"
((caught <= 102)) || fail "at most 100 catch-up runs after the restart (+ its own minutes: $caught runs)"
pass "after kill -9 of the launcher: launcher VmRSS ${max_rss_kb} kB, $caught catch-up run(s), the seconds job fires"
as_alice "SELECT jobs.unschedule('neg')" >/dev/null

# --- Point 14: extreme values UPDATEd into the table directly -----------------------------
as_alice "SELECT jobs.schedule('deadline', '* * * * * *', 'SELECT 1', starting_deadline => '1 minute')" >/dev/null
as_alice "SELECT jobs.schedule('ancient', '* * * * * *', 'SELECT 1', start_at => now())" >/dev/null
wait_until 30 "SELECT count(*) > 0 FROM jobs.job_execution WHERE job_name = 'deadline' AND status = 'succeeded'" ||
    fail "the deadline job fires before its row is changed"
value "UPDATE jobs.scheduled_job SET starting_deadline = '178000000 years' WHERE job_name = 'deadline'" >/dev/null
value "UPDATE jobs.scheduled_job SET start_at = '4714-11-24 00:00:00+00 BC' WHERE job_name = 'ancient'" >/dev/null
mark="$(value "SELECT clock_timestamp()")"
ticks_with_sane_launcher 30 "$mark" "starting_deadline 178000000 years in the table"
value "SELECT count(*) FROM jobs.job_status" >/dev/null || fail "jobs.job_status answers a superuser"
pass "with starting_deadline '178000000 years' and start_at 4714 BC stored, the seconds job fires; job_status answers"

cluster_restart fast
wait_for 30 launcher_running || fail "the launcher is back after a restart"
mark="$(value "SELECT clock_timestamp()")"
ticks_with_sane_launcher 30 "$mark" "after a restart with the extreme values stored"
disabled_with() {
    holds "SELECT NOT enabled AND disabled_reason LIKE '$2' FROM jobs.scheduled_job WHERE job_name = '$1'"
}
wait_for 30 disabled_with deadline \
    'the scheduler cannot run this job: starting_deadline must be at most 100 years, not 178000000 years%' ||
    fail "the deadline job is disabled with the reason: $(value "SELECT enabled, disabled_reason FROM jobs.scheduled_job WHERE job_name = 'deadline'")"
wait_for 30 disabled_with ancient 'the scheduler cannot run this job: start_at must be between %4714%' ||
    fail "the ancient job is disabled with the reason: $(value "SELECT enabled, disabled_reason FROM jobs.scheduled_job WHERE job_name = 'ancient'")"
value "SELECT count(*) FROM jobs.job_status" >/dev/null || fail "jobs.job_status answers a superuser"
[[ "$(as_alice "SELECT disabled_reason FROM jobs.job_status WHERE job_name = 'deadline'")" == *"fix it with jobs.alter"* ]] ||
    fail "the owner sees why in jobs.job_status"
pass "after a restart both jobs are disabled with a disabled_reason naming the value; the others fire"

# The owner fixes the value and enables the job again.
as_alice "SELECT jobs.alter('deadline', starting_deadline => '1 minute', enabled => true)" >/dev/null
mark="$(value "SELECT clock_timestamp()")"
wait_until 30 "SELECT count(*) > 0 FROM jobs.job_execution WHERE job_name = 'deadline' AND status = 'succeeded'
               AND started_at > '$mark'" || fail "the fixed job fires again"
pass "fixed with jobs.alter and enabled, the job fires again"
as_alice "SELECT jobs.unschedule('deadline'), jobs.unschedule('ancient')" >/dev/null

# --- Point 14: a job whose runs cannot be queued ---------------------------------------------
# Any per-job error of the queueing statement (here a trigger stands in for
# one) used to fail the whole batch, every second, for every job.
cluster_psql -o /dev/null <<'SQL'
CREATE FUNCTION public.poison() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'timestamp out of range' USING ERRCODE = 'datetime_field_overflow';
END
$$;
CREATE TRIGGER poison BEFORE INSERT ON jobs.job_execution
    FOR EACH ROW WHEN (NEW.job_name = 'poison') EXECUTE FUNCTION public.poison();
SQL
as_alice "SELECT jobs.schedule('poison', '* * * * * *', 'SELECT 1')" >/dev/null
wait_for 30 disabled_with poison \
    'the scheduler could not queue its runs: timestamp out of range (SQLSTATE 22008)%' ||
    fail "the job whose runs cannot be queued is disabled with the error: $(value "SELECT enabled, disabled_reason FROM jobs.scheduled_job WHERE job_name = 'poison'")
$(cluster_log_tail 15)"
mark="$(value "SELECT clock_timestamp()")"
ticks_with_sane_launcher 30 "$mark" "with a job whose runs cannot be queued"
pass "a job whose runs cannot be queued is disabled with the error; the others keep firing"

# --- A role's slow conditions do not hold up the launcher -----------------------------------
# A workflow's run_if is checked right before its run starts, by the process
# that checks HTTP runs' conditions (the HTTP worker), never by the
# launcher: it was, one check after another (each up to 5 s) while no run
# of anyone was queued.
as_alice "SELECT jobs.schedule('a_step', NULL, 'SELECT 1')" >/dev/null
as_alice "SELECT jobs.schedule_workflow('a_slow', NULL, '[{\"step\": \"a\", \"job\": \"a_step\"}]',
                                        run_if => 'pg_sleep(2) IS NOT NULL', overlap => 'allow',
                                        max_concurrent => 100)" >/dev/null
mark="$(value "SELECT clock_timestamp()")"
as_alice "SELECT count(jobs.trigger('a_slow')) FROM generate_series(1, 4)" >/dev/null
wait_for 60 holds "SELECT count(*) = 4 FROM jobs.job_execution
                   WHERE job_name = 'a_slow' AND kind = 'workflow' AND status = 'succeeded'" ||
    fail "alice's 4 workflow runs pass their run_if and succeed: $(value "SELECT string_agg(status || coalesce(': ' || error, ''), ', ')
          FROM jobs.job_execution WHERE job_name = 'a_slow' AND kind = 'workflow'")"
# While the checks took their 8 s, the seconds job kept firing: the
# longest gap between its runs from before the triggers to after the last
# check (a stalled launcher left one of 8 s).
until_at="$(value "SELECT max(started_at) + interval '2 seconds' FROM jobs.job_execution
                   WHERE job_name = 'a_slow' AND kind = 'workflow'")"
wait_for 20 ticks_after "$until_at" 1 || fail "the seconds job fires after the checks"
gap="$(longest_tick_gap "$mark" "$until_at")"
awk -v g="$gap" 'BEGIN { exit !(g != "" && g < 3) }' ||
    fail "the seconds job keeps firing while alice's conditions are checked (longest gap ${gap} s)"
pass "4 runs of a workflow whose run_if takes 2 s: they succeed, and the seconds job fires meanwhile (longest gap ${gap} s)"

# The HTTP worker checks those conditions one at a time, the owners in
# turn: the superuser's conditional workflow, triggered after alice's 4
# slow ones, starts after one of her checks, not after all four (8 s).
value "SELECT jobs.schedule('boss_step', NULL, 'SELECT 1')" >/dev/null
value "SELECT jobs.schedule_workflow('boss_flow', NULL, '[{\"step\": \"b\", \"job\": \"boss_step\"}]',
                                     run_if => 'true')" >/dev/null
as_alice "SELECT count(jobs.trigger('a_slow')) FROM generate_series(1, 4)" >/dev/null
boss_flow_run="$(value "SELECT jobs.trigger('boss_flow')")"
[[ "$(wait_final "$boss_flow_run")" == succeeded ]] || fail "the superuser's conditional workflow run succeeds"
boss_flow_wait="$(value "SELECT round(extract(epoch FROM started_at - queued_at)::numeric, 2) FROM jobs.job_execution
                         WHERE execution_id = $boss_flow_run")"
awk -v w="$boss_flow_wait" 'BEGIN { exit !(w < 5) }' ||
    fail "the superuser's conditional workflow starts after one of alice's checks at most (it waited ${boss_flow_wait} s)"
wait_for 60 holds "SELECT count(*) = 8 FROM jobs.job_execution
                   WHERE job_name = 'a_slow' AND kind = 'workflow' AND status = 'succeeded'" ||
    fail "alice's 4 more workflow runs succeed"
pass "the superuser's conditional workflow, triggered after alice's 4 slow ones, waited ${boss_flow_wait} s to start"

# --- A role's wide workflows do not hold up the launcher ------------------------------------
# Starting a workflow run of thousands of steps takes the launcher a while
# (each root step decided and recorded). It started every due workflow run
# in one go, so 12 triggers of a 3,000-step workflow held every job's
# scheduling for their whole time; now it starts them one at a time for
# at most 100 ms a pass, and schedules in between.
as_alice "SELECT jobs.schedule_workflow('a_wide', NULL,
            (SELECT jsonb_agg(jsonb_build_object('step', 's' || i, 'job', 'a_step', 'when', 'failure'))
             FROM generate_series(1, 3000) AS i), overlap => 'allow', max_concurrent => 100)" >/dev/null
mark="$(value "SELECT clock_timestamp()")"
as_alice "SELECT count(jobs.trigger('a_wide')) FROM generate_series(1, 12)" >/dev/null
wait_for 120 holds "SELECT count(*) = 12 FROM jobs.job_execution WHERE job_name = 'a_wide' AND status = 'succeeded'" ||
    fail "alice's 12 wide workflow runs succeed: $(value "SELECT string_agg(status, ', ') FROM jobs.job_execution
                                                           WHERE job_name = 'a_wide'")"
until_at="$(value "SELECT max(finished_at) FROM jobs.job_execution WHERE job_name = 'a_wide'")"
wait_for 20 ticks_after "$until_at" 1 || fail "the seconds job fires after the wide workflows"
gap="$(longest_tick_gap "$mark" "$until_at")"
awk -v g="$gap" 'BEGIN { exit !(g != "" && g < 2.5) }' ||
    fail "the seconds job keeps firing while alice's wide workflows start (longest gap ${gap} s)"
pass "12 runs of a 3,000-step workflow: they succeed, and the seconds job fires meanwhile (longest gap ${gap} s)"

# --- A role's slow conditions do not hold up everyone's HTTP runs ---------------------------
# The HTTP worker checks the run_if of HTTP and e-mail runs (and of workflow
# runs) as their owners. It checked a claimed batch one after another while
# its transfers and everyone's other runs waited: alice's 6 runs with a 3 s
# condition held the superuser's plain HTTP run back 15 s and more. Now it
# checks one per turn of its loop, owners in turn, and claims the others'
# runs meanwhile: the superuser's run waits for one check at most.
http_test_server_start
value "SELECT jobs.schedule_http('boss_hook', NULL, '$base/ok')" >/dev/null
as_alice "SELECT jobs.schedule_http('a_gated', NULL, '$base/ok', run_if => 'pg_sleep(3) IS NOT NULL',
                                    overlap => 'allow', max_concurrent => 100)" >/dev/null
as_alice "SELECT count(jobs.trigger('a_gated')) FROM generate_series(1, 6)" >/dev/null
wait_for 30 holds "SELECT count(*) > 0 FROM jobs.job_execution WHERE job_name = 'a_gated' AND status = 'running'" ||
    fail "the HTTP worker takes alice's gated runs"
boss_run="$(value "SELECT jobs.trigger('boss_hook')")"
[[ "$(wait_final "$boss_run")" == succeeded ]] || fail "the superuser's HTTP run succeeds"
boss_wait="$(value "SELECT round(extract(epoch FROM finished_at - queued_at)::numeric, 2) FROM jobs.job_execution
                    WHERE execution_id = $boss_run")"
awk -v w="$boss_wait" 'BEGIN { exit !(w < 8) }' ||
    fail "the superuser's HTTP run waits for one of alice's checks at most (it took ${boss_wait} s from queued to done)
$(value "SELECT execution_id, job_name, status, queued_at, started_at, finished_at FROM jobs.job_execution
         WHERE kind = 'http' ORDER BY execution_id")
$(cluster_log_tail 40)"
wait_for 90 holds "SELECT count(*) = 6 FROM jobs.job_execution WHERE job_name = 'a_gated' AND status = 'succeeded'" ||
    fail "alice's 6 gated runs pass their run_if and succeed: $(value "SELECT string_agg(status || coalesce(': ' || error, ''), ', ')
          FROM jobs.job_execution WHERE job_name = 'a_gated'")"
pass "alice's 6 HTTP runs whose run_if takes 3 s succeed, and the superuser's HTTP run meanwhile took ${boss_wait} s"

# A run cancelled while it waits for its check ends cancelled and is never sent.
forget_received
as_alice "SELECT jobs.schedule_http('a_gated_rec', NULL, '$base/record/gated', run_if => 'pg_sleep(3) IS NOT NULL',
                                    overlap => 'allow', max_concurrent => 100)" >/dev/null
as_alice "SELECT count(jobs.trigger('a_gated')) FROM generate_series(1, 3)" >/dev/null
last_gated="$(as_alice "SELECT jobs.trigger('a_gated_rec')")"
wait_for 30 holds "SELECT status = 'running' FROM jobs.job_execution WHERE execution_id = $last_gated" ||
    fail "the HTTP worker takes the run to cancel"
as_alice "SELECT jobs.cancel($last_gated)" >/dev/null
[[ "$(wait_final "$last_gated")" == cancelled ]] || fail "the run cancelled while it waits for its check ends cancelled"
wait_for 60 holds "SELECT count(*) = 9 FROM jobs.job_execution WHERE job_name = 'a_gated' AND status = 'succeeded'" ||
    fail "the other gated runs succeed"
[[ "$(received)" != *'/record/gated'* ]] || fail "the cancelled run is never sent: $(received)"
pass "a run cancelled while it waits for its run_if check ends cancelled, and nothing is sent"
