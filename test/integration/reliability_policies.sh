#!/usr/bin/env bash
# The per-job scheduling policies, with real workers and clocks:
#   - overlap skip: a '* * * * * *' job whose run takes 2.5 s gets 'skipped'
#     rows naming the run still running, and no two runs at once;
#   - overlap queue: at most one run waits, none run at once;
#   - overlap allow with max_concurrent 2: two at once, never three;
#   - overlap replace: the running run is cancelled ('replaced by run N');
#   - run_at one-shot: fires once at run_at, then disables itself;
#   - max_runs 3: exactly 3 scheduled runs, then disabled with the reason;
#   - start_at/end_at: runs only inside the window, then disabled;
#   - starting_deadline: with every worker busy, a run that could not start
#     in time is 'skipped', none starts late;
#   - misfire across a server stop: skip runs nothing missed, run_once the
#     latest missed time, run_all each one oldest first; a missed one-shot
#     runs once (run_once) or is disabled unrun (skip).
# Policies are set with UPDATE as superuser (jobs.enable makes the launcher
# re-read the job), so the test does not depend on jobs.schedule arguments.
#
#   test/integration/reliability_policies.sh      (needs pg_jobs installed: make install)
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

# jobs.max_running_per_owner = jobs.max_workers: one role's runs may take every worker here.
scheduler_start reliability_policies "jobs.max_workers = 4" "jobs.max_running_per_owner = 4" "max_worker_processes = 16"

# define NAME SCHEDULE-SQL COMMAND SET-CLAUSE: a disabled job, its policy
# columns set, then enabled (which tells the launcher).
define() {
    value "SELECT jobs.schedule('$1', $2, \$cmd\$$3\$cmd\$, enabled => false)" >/dev/null
    [[ -z "$4" ]] || value "UPDATE jobs.scheduled_job SET $4 WHERE job_name = '$1'" >/dev/null
    value "SELECT jobs.enable('$1')" >/dev/null
}
stop_job() { value "SELECT jobs.disable('$1')" >/dev/null; }
runs() { value "SELECT count(*) FROM jobs.job_execution WHERE job_name = '$1' AND ${2:-true}"; }
# Most runs of the job that were running at the same instant.
max_at_once() {
    value "SELECT coalesce(max(n), 0) FROM (
             SELECT (SELECT count(*) FROM jobs.job_execution AS b
                     WHERE b.job_name = a.job_name AND b.started_at IS NOT NULL
                       AND b.started_at <= a.started_at AND coalesce(b.finished_at, 'infinity') > a.started_at) AS n
             FROM jobs.job_execution AS a WHERE a.job_name = '$1' AND a.started_at IS NOT NULL) AS s"
}
# Waits until no run of the job is queued or running.
settle() { wait_until 60 "SELECT count(*) = 0 FROM jobs.job_execution WHERE job_name = '$1'
                          AND status IN ('queued', 'running')" || fail "the runs of $1 end"; }

# --- overlap skip ------------------------------------------------------------------------------------
define ov_skip "'* * * * * *'" "SELECT pg_sleep(2.5)" ""
wait_until 90 "SELECT count(*) FILTER (WHERE status = 'succeeded') >= 2 AND count(*) FILTER (WHERE status = 'skipped') >= 2
               FROM jobs.job_execution WHERE job_name = 'ov_skip'" ||
    fail "overlap skip: runs and skipped rows appear"
stop_job ov_skip
settle ov_skip
[[ "$(max_at_once ov_skip)" == 1 ]] || fail "overlap skip: never two runs at once ($(max_at_once ov_skip))"
holds "SELECT bool_and(error ~ '^skipped: the run [0-9]+ (started at .* was still running|was still waiting to start)')
       FROM jobs.job_execution WHERE job_name = 'ov_skip' AND status = 'skipped'" ||
    fail "overlap skip: the skipped rows say which run was still running: $(value "SELECT error FROM jobs.job_execution
          WHERE job_name = 'ov_skip' AND status = 'skipped' LIMIT 1")"
holds "SELECT bool_and(finished_at IS NOT NULL AND started_at IS NULL AND triggered_by = 'schedule')
       FROM jobs.job_execution WHERE job_name = 'ov_skip' AND status = 'skipped'" ||
    fail "overlap skip: a skipped row never started"
pass "overlap skip: $(runs ov_skip "status = 'succeeded'") runs, $(runs ov_skip "status = 'skipped'") skipped, \
never two at once; e.g. '$(value "SELECT error FROM jobs.job_execution WHERE job_name = 'ov_skip' AND status = 'skipped' LIMIT 1")'"

# A manual trigger is not subject to overlap.
define ov_manual "'* * * * * *'" "SELECT pg_sleep(3)" ""
wait_until 60 "SELECT count(*) > 0 FROM jobs.job_execution WHERE job_name = 'ov_manual' AND status = 'running'" ||
    fail "overlap skip: the scheduled run starts"
id="$(value "SELECT jobs.trigger('ov_manual')")"
[[ "$(value "SELECT status FROM jobs.job_execution WHERE execution_id = $id")" != skipped ]] ||
    fail "a manual trigger is not skipped"
[[ "$(wait_final "$id" 60)" == succeeded ]] || fail "a manual run during a scheduled one runs"
stop_job ov_manual
settle ov_manual
pass "overlap skip: a manual trigger while a scheduled run is running still runs"

# --- overlap queue -----------------------------------------------------------------------------------
define ov_queue "'* * * * * *'" "SELECT pg_sleep(2.5)" "overlap = 'queue'"
most_waiting=0
deadline=$((SECONDS + 90))
while ((SECONDS < deadline)); do
    waiting="$(runs ov_queue "status = 'queued'")"
    ((waiting > most_waiting)) && most_waiting=$waiting
    if count_at_least 3 "SELECT count(*) FROM jobs.job_execution WHERE job_name = 'ov_queue' AND status = 'succeeded'" &&
        count_at_least 2 "SELECT count(*) FROM jobs.job_execution WHERE job_name = 'ov_queue' AND status = 'skipped'"; then
        break
    fi
    sleep 0.2  # a sampling pace, not a wait for a condition
done
stop_job ov_queue
settle ov_queue
((most_waiting <= 1)) || fail "overlap queue: at most one run waits (saw $most_waiting)"
count_at_least 3 "SELECT count(*) FROM jobs.job_execution WHERE job_name = 'ov_queue' AND status = 'succeeded'" ||
    fail "overlap queue: runs succeed ($(runs ov_queue "status = 'succeeded'"))"
[[ "$(max_at_once ov_queue)" == 1 ]] || fail "overlap queue: a waiting run starts only after the running one ($(max_at_once ov_queue))"
holds "SELECT bool_and(error LIKE 'skipped: the run % was already waiting for the running one (overlap queue)')
       FROM jobs.job_execution WHERE job_name = 'ov_queue' AND status = 'skipped'" || fail "overlap queue: skipped rows say why"
# A waiting run starts soon after the one it waited for.
holds "SELECT count(*) > 0 FROM jobs.job_execution AS a JOIN jobs.job_execution AS b
       ON b.job_name = a.job_name AND b.started_at >= a.finished_at AND b.queued_at < a.finished_at
       WHERE a.job_name = 'ov_queue'" || fail "overlap queue: a run queued during another starts after it"
pass "overlap queue: $(runs ov_queue "status = 'succeeded'") runs one after the other, at most $most_waiting waiting, \
$(runs ov_queue "status = 'skipped'") skipped"

# --- overlap allow -----------------------------------------------------------------------------------
define ov_allow "'* * * * * *'" "SELECT pg_sleep(2.5)" "overlap = 'allow', max_concurrent = 2"
wait_until 90 "SELECT count(*) FILTER (WHERE status = 'succeeded') >= 4 AND count(*) FILTER (WHERE status = 'skipped') >= 1
               FROM jobs.job_execution WHERE job_name = 'ov_allow'" || fail "overlap allow: runs and skipped rows appear"
stop_job ov_allow
settle ov_allow
[[ "$(max_at_once ov_allow)" == 2 ]] || fail "overlap allow, max_concurrent 2: two at once, never three ($(max_at_once ov_allow))"
holds "SELECT bool_and(error LIKE 'skipped: % run(s) of the job were still active, max_concurrent is 2 (overlap allow)')
       FROM jobs.job_execution WHERE job_name = 'ov_allow' AND status = 'skipped'" || fail "overlap allow: skipped rows say why"
pass "overlap allow, max_concurrent 2: 2 runs at once at most, $(runs ov_allow "status = 'skipped'") skipped"

# --- overlap replace ---------------------------------------------------------------------------------
define ov_replace "'*/2 * * * * *'" "SELECT pg_sleep(60)" "overlap = 'replace'"
wait_until 90 "SELECT count(*) >= 2 FROM jobs.job_execution WHERE job_name = 'ov_replace' AND status = 'cancelled'
               AND started_at IS NOT NULL" || fail "overlap replace: running runs are cancelled"
stop_job ov_replace
value "SELECT jobs.cancel(execution_id) FROM jobs.job_execution WHERE job_name = 'ov_replace' AND status IN ('queued', 'running')" >/dev/null
settle ov_replace
holds "SELECT bool_and(a.error = format('replaced by run %s (overlap replace)', b.execution_id) AND b.execution_id > a.execution_id)
       FROM jobs.job_execution AS a
       JOIN jobs.job_execution AS b ON b.execution_id = substring(a.error FROM 'run ([0-9]+)')::bigint
       WHERE a.job_name = 'ov_replace' AND a.status = 'cancelled' AND a.error LIKE 'replaced%'" ||
    fail "overlap replace: the cancelled run names the later run that replaced it: $(value "SELECT string_agg(error, '; ')
          FROM jobs.job_execution WHERE job_name = 'ov_replace'")"
[[ "$(runs ov_replace "status = 'succeeded'")" == 0 ]] || fail "overlap replace: no 60 s run finished"
[[ "$(max_at_once ov_replace)" == 1 ]] || fail "overlap replace: the new run starts once the replaced one stopped"
pass "overlap replace: $(runs ov_replace "error LIKE 'replaced by run%'") runs replaced, e.g. \
'$(value "SELECT error FROM jobs.job_execution WHERE job_name = 'ov_replace' AND error LIKE 'replaced%' LIMIT 1")'"

# --- run_at one-shot ---------------------------------------------------------------------------------
define once "NULL" "SELECT 1" "run_at = date_trunc('second', now()) + interval '5 seconds'"
wait_until 60 "SELECT NOT enabled FROM jobs.scheduled_job WHERE job_name = 'once'" || fail "the one-shot job disables itself"
[[ "$(value "SELECT disabled_reason FROM jobs.scheduled_job WHERE job_name = 'once'")" == "one-shot run done" ]] ||
    fail "one-shot: disabled_reason 'one-shot run done'"
holds "SELECT count(*) = 1 AND bool_and(e.scheduled_for = j.run_at AND e.triggered_by = 'schedule')
       FROM jobs.job_execution AS e JOIN jobs.scheduled_job AS j USING (job_id) WHERE e.job_name = 'once'" ||
    fail "one-shot: one scheduled run, for run_at"
[[ "$(value "SELECT enabled FROM jobs.job_status WHERE job_name = 'once'")" == f ]] || fail "one-shot: job_status shows it disabled"
pass "run_at one-shot: one run at run_at, then disabled ('one-shot run done')"

# A run_at that passes while the launcher is getting to the job is late, not missed.
if holds "SELECT to_regprocedure('jobs.schedule_in(text, interval, text)') IS NOT NULL"; then
    value "SELECT jobs.schedule_in('soon', '1 millisecond', 'SELECT 1')" >/dev/null
    wait_until 60 "SELECT NOT enabled FROM jobs.scheduled_job WHERE job_name = 'soon'" || fail "schedule_in: the job disables itself"
    settle soon
    holds "SELECT count(*) = 1 AND bool_and(status = 'succeeded') FROM jobs.job_execution WHERE job_name = 'soon'" ||
        fail "schedule_in with a 1 ms delay runs once ($(runs soon))"
    pass "schedule_in('1 millisecond'): runs once, then '$(value "SELECT disabled_reason FROM jobs.scheduled_job WHERE job_name = 'soon'")'"
else
    note "jobs.schedule_in does not exist: skipping its check"
fi

# --- max_runs ----------------------------------------------------------------------------------------
define limited "'* * * * * *'" "SELECT 1" "max_runs = 3"
wait_until 60 "SELECT NOT enabled FROM jobs.scheduled_job WHERE job_name = 'limited'" || fail "max_runs: the job disables itself"
[[ "$(value "SELECT disabled_reason FROM jobs.scheduled_job WHERE job_name = 'limited'")" == "max_runs (3) reached" ]] ||
    fail "max_runs: disabled_reason 'max_runs (3) reached'"
settle limited
[[ "$(runs limited)" == 3 ]] || fail "max_runs 3: exactly 3 runs ($(runs limited))"
pass "max_runs 3: exactly 3 runs, then disabled ('max_runs (3) reached')"

# --- start_at / end_at -------------------------------------------------------------------------------
define windowed "'* * * * * *'" "SELECT 1" \
    "start_at = date_trunc('second', now()) + interval '5 seconds', end_at = date_trunc('second', now()) + interval '8 seconds'"
wait_until 60 "SELECT NOT enabled FROM jobs.scheduled_job WHERE job_name = 'windowed'" || fail "end_at: the job disables itself"
[[ "$(value "SELECT disabled_reason FROM jobs.scheduled_job WHERE job_name = 'windowed'")" == "end_at "*" passed" ]] ||
    fail "end_at: disabled_reason says end_at passed: $(value "SELECT disabled_reason FROM jobs.scheduled_job WHERE job_name = 'windowed'")"
settle windowed
holds "SELECT count(*) BETWEEN 1 AND 4 AND bool_and(e.scheduled_for BETWEEN j.start_at AND j.end_at)
       FROM jobs.job_execution AS e JOIN jobs.scheduled_job AS j USING (job_id) WHERE e.job_name = 'windowed'" ||
    fail "start_at/end_at: runs only inside the window ($(runs windowed))"
pass "start_at/end_at: $(runs windowed) runs inside the window, then disabled ('$(value "SELECT disabled_reason
      FROM jobs.scheduled_job WHERE job_name = 'windowed'")')"

# --- starting_deadline -------------------------------------------------------------------------------
value "SELECT jobs.schedule('hog', NULL, 'SELECT pg_sleep(6)')" >/dev/null
define punctual "'* * * * * *'" "SELECT 1" "starting_deadline = '1 second'"
wait_until 60 "SELECT count(*) > 0 FROM jobs.job_execution WHERE job_name = 'punctual' AND status = 'succeeded'" ||
    fail "starting_deadline: runs start while workers are free"
hogs="$(value "SELECT string_agg(jobs.trigger('hog')::text, ',') FROM generate_series(1, 4)")"
wait_until 60 "SELECT count(*) > 0 FROM jobs.job_execution WHERE job_name = 'punctual' AND status = 'skipped'
               AND error LIKE 'skipped: missed its starting deadline of %'" ||
    fail "starting_deadline: a run that could not start in time is skipped"
for id in ${hogs//,/ }; do wait_final "$id" 60 >/dev/null; done
wait_until 60 "SELECT count(*) > 0 FROM jobs.job_execution WHERE job_name = 'punctual' AND status = 'succeeded'
               AND queued_at > (SELECT max(finished_at) FROM jobs.job_execution WHERE job_name = 'hog')" ||
    fail "starting_deadline: runs start again once workers are free"
stop_job punctual
settle punctual
holds "SELECT bool_and(started_at <= scheduled_for + interval '1 second' + interval '200 milliseconds')
       FROM jobs.job_execution WHERE job_name = 'punctual' AND started_at IS NOT NULL" ||
    fail "starting_deadline: no run started after its deadline"
pass "starting_deadline 1 s with every worker busy: $(runs punctual "error LIKE '%deadline%'") skipped, e.g. \
'$(value "SELECT error FROM jobs.job_execution WHERE job_name = 'punctual' AND error LIKE '%deadline%' LIMIT 1")'; none started late"

# --- overlap of HTTP jobs ----------------------------------------------------------------------------
# The HTTP worker claims in batches: a waiting run must still wait for the
# running one, and start once it has finished.
http_test_server_start
value "SELECT jobs.schedule_http('h_queue', '* * * * * *', 'http://127.0.0.1:$(cat "$server_dir/port")/delay/2500',
                                 enabled => false)" >/dev/null
value "UPDATE jobs.scheduled_job SET overlap = 'queue' WHERE job_name = 'h_queue'" >/dev/null
value "SELECT jobs.enable('h_queue')" >/dev/null
wait_until 90 "SELECT count(*) FILTER (WHERE status = 'succeeded') >= 3 AND count(*) FILTER (WHERE status = 'skipped') >= 1
               FROM jobs.job_execution WHERE job_name = 'h_queue'" || fail "overlap queue, HTTP: runs and skipped rows appear"
stop_job h_queue
settle h_queue
[[ "$(max_at_once h_queue)" == 1 ]] || fail "overlap queue, HTTP: never two requests at once ($(max_at_once h_queue))"
[[ "$(runs h_queue "status NOT IN ('succeeded', 'skipped')")" == 0 ]] || fail "overlap queue, HTTP: only succeeded and skipped runs"
pass "overlap queue, HTTP job: $(runs h_queue "status = 'succeeded'") requests one after the other, \
$(runs h_queue "status = 'skipped'") skipped"

# --- misfire across a server stop --------------------------------------------------------------------
# Three fire times that fall inside the outage: seconds base, base+1, base+2
# of every minute, base a few seconds from now. The server stops before
# base and starts after base+2; the next fire is a minute later.
base="$(value "SELECT extract(epoch FROM date_trunc('second', now()))::bigint + 10")"
seconds="$((base % 60)),$(((base + 1) % 60)),$(((base + 2) % 60))"
for policy in skip run_once run_all; do
    define "mf_$policy" "'$seconds * * * * *'" "SELECT 1" "misfire = '$policy'"
done
define once_missed_skip NULL "SELECT 1" "run_at = to_timestamp($base + 1)"
define once_missed_run NULL "SELECT 1" "run_at = to_timestamp($base + 1), misfire = 'run_once'"
_cluster_as_owner "$CLUSTER_DIR" "$PG_BINDIR/pg_ctl" stop -D "$CLUSTER_DATA" -m fast -w -t 60 >/dev/null
(($(date +%s) < base)) || fail "misfire: the server stopped before the first fire time (machine too slow; rerun)"
clock_reached() { (($(date +%s) >= $1)); }
wait_for 30 clock_reached $((base + 4)) || fail "the outage lasts"
_cluster_as_owner "$CLUSTER_DIR" "$PG_BINDIR/pg_ctl" start -D "$CLUSTER_DATA" -l "$CLUSTER_LOG" -w -t 120 >/dev/null ||
    fail "the server starts again"
wait_for 30 launcher_running || fail "the launcher starts again"
wait_until 60 "SELECT count(*) = 3 FROM jobs.job_execution WHERE job_name = 'mf_run_all' AND status = 'succeeded'" ||
    fail "misfire run_all: the 3 missed times run ($(runs mf_run_all))"
wait_until 60 "SELECT count(*) = 1 FROM jobs.job_execution WHERE job_name = 'mf_run_once' AND status = 'succeeded'" ||
    fail "misfire run_once: one catch-up run ($(runs mf_run_once))"
wait_until 60 "SELECT NOT enabled FROM jobs.scheduled_job WHERE job_name = 'once_missed_run'" ||
    fail "a missed one-shot with misfire run_once runs, then disables itself"
wait_until 60 "SELECT NOT enabled FROM jobs.scheduled_job WHERE job_name = 'once_missed_skip'" ||
    fail "a missed one-shot with misfire skip disables itself"
settle once_missed_run
holds "SELECT array_agg(extract(epoch FROM scheduled_for)::bigint ORDER BY execution_id) = ARRAY[$base, $base + 1, $base + 2]::bigint[]
       FROM jobs.job_execution WHERE job_name = 'mf_run_all'" ||
    fail "misfire run_all: every missed time ($base, +1, +2), oldest first: $(value "SELECT string_agg(execution_id || ':' ||
          extract(epoch FROM scheduled_for)::bigint, ', ' ORDER BY execution_id) FROM jobs.job_execution WHERE job_name = 'mf_run_all'")"
[[ "$(max_at_once mf_run_all)" == 1 ]] || fail "misfire run_all: the catch-up runs run one after the other (overlap skip)"
holds "SELECT extract(epoch FROM scheduled_for)::bigint = $base + 2 FROM jobs.job_execution WHERE job_name = 'mf_run_once'" ||
    fail "misfire run_once: the run is for the latest missed time"
holds "SELECT count(*) = 0 FROM jobs.job_execution WHERE job_name = 'mf_skip' AND scheduled_for < to_timestamp($base + 60)
         AND status <> 'skipped'" ||
    fail "misfire skip: no missed time runs"
holds "SELECT skipped_count = 3 AND extract(epoch FROM scheduled_for)::bigint = $base + 2
              AND error LIKE 'skipped: the scheduler was not running at 3 fire times, from % (misfire skip)'
       FROM jobs.job_execution WHERE job_name = 'mf_skip' AND status = 'skipped'" ||
    fail "misfire skip: the 3 missed times are one skipped run: $(value "SELECT string_agg(row(status, skipped_count,
          extract(epoch FROM scheduled_for)::bigint - $base, error)::text, ', ') FROM jobs.job_execution WHERE job_name = 'mf_skip'")"
holds "SELECT count(*) = 1 AND bool_and(status = 'succeeded') FROM jobs.job_execution WHERE job_name = 'once_missed_run'" ||
    fail "a missed one-shot with misfire run_once runs once"
[[ "$(value "SELECT disabled_reason FROM jobs.scheduled_job WHERE job_name = 'once_missed_run'")" == "one-shot run done" ]] ||
    fail "the missed one-shot that ran says 'one-shot run done'"
[[ "$(runs once_missed_skip)" == 0 ]] || fail "a missed one-shot with misfire skip does not run"
[[ "$(value "SELECT disabled_reason FROM jobs.scheduled_job WHERE job_name = 'once_missed_skip'")" == *missed* ]] ||
    fail "the missed one-shot says it was missed"
pass "misfire across a server stop: skip 0 runs (one skipped row counting the 3 times), run_once 1 (the latest time), run_all 3 (oldest first, one at a time); \
missed one-shot: run_once runs it once, skip disables it ('$(value "SELECT disabled_reason FROM jobs.scheduled_job
WHERE job_name = 'once_missed_skip'")')"

with_last_run="$(check_last_runs)"
pass "jobs.job_last_run agrees with jobs.job_status after skipped runs, overlap replace (cancels) and misfires ($with_last_run jobs with a last run)"
