#!/usr/bin/env bash
# Events on channel jobs_events (LISTEN/NOTIFY, issue 13) with real workers:
#   - with jobs.notify_events = all, a LISTEN session receives run_started
#     and run_finished for a succeeded and a failed SQL run and for an HTTP
#     run (status and attempt right), and job_changed for created, altered,
#     disabled, enabled and dropped jobs; a transaction rolled back sends
#     nothing;
#   - an unprivileged role (USAGE ON SCHEMA jobs only) listening sees the
#     ids of another role's runs, and no payload anywhere carries a job
#     name, a command, a URL or an error text;
#   - finished sends run_finished only; off sends nothing (checked against a
#     NOTIFY sent after the run, which arrives after any event of the run:
#     notifications are delivered in commit order).
#
#   test/integration/events.sh      (needs pg_jobs installed: make install)
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

http_test_server_start
scheduler_start events "jobs.notify_events = 'all'"
cluster_psql -o /dev/null <<SQL
CREATE ROLE eve LOGIN;
GRANT USAGE ON SCHEMA jobs TO eve;
SQL

# --- Listeners -----------------------------------------------------------------------
# A psql session that LISTENs and runs a trivial command every 0.2 s: psql
# prints "Asynchronous notification "jobs_events" with payload "..." ..."
# after each command. Its output is the file $1; it stops with the script.
listen_dir="$(mktemp -d /tmp/pg_jobs.events.XXXXXX)"
chmod 777 "$listen_dir"
cluster_on_exit "touch '$listen_dir/stop'; sleep 0.5; rm -rf '$listen_dir'"
start_listener() {
    local user="$1" out="$listen_dir/$1.out"
    (
        echo "LISTEN jobs_events;"
        echo "SELECT 'listening';"
        while [[ ! -e "$listen_dir/stop" ]]; do
            echo "SELECT 1;"
            sleep 0.2
        done
    ) | PGUSER="$user" cluster_psql -At >"$out" 2>&1 &
    wait_for 20 grep -q '^listening$' "$out" || fail "the LISTEN session of $user starts: $(cat "$out")"
}
start_listener postgres
start_listener eve
# The payloads received so far by a listener, one per line.
payloads() { sed -n 's/^Asynchronous notification "jobs_events" with payload "\(.*\)" received from server process with PID [0-9]*\.$/\1/p' "$listen_dir/$1.out"; }
# Whether listener $1 received a payload matching the Python condition $2 on
# `p` (the parsed payload); with $3 = none: that it received none.
received_event() {
    payloads "$1" | python3 -c '
import json, sys
cond, want = sys.argv[1], sys.argv[2]
found = any(eval("(" + cond + ")", {}, {"p": json.loads(line)}) for line in sys.stdin if line.strip())
sys.exit(0 if found == (want == "some") else 1)' "$2" "${3:-some}"
}
wait_event() { wait_for 30 received_event "$1" "$2"; }
# Sends a marker event through the relay (so after the events of every
# transaction committed before: the launcher sends them in commit order)
# and waits until listener $1 has it. The session's own setting lets it
# through whatever the server's is.
marker=0
sync_listener() {
    marker=$((marker + 1))
    cluster_psql -o /dev/null -c "SET jobs.notify_events = finished" \
        -c "SELECT jobs_internal._notify_event('{\"event\": \"marker\", \"n\": $marker}')"
    wait_for 30 received_event "$1" "p.get('event') == 'marker' and p.get('n') == $marker" ||
        fail "the marker NOTIFY $marker reaches $1"
}

# --- all: runs ------------------------------------------------------------------------
ok_job="$(value "SELECT jobs.schedule('ev-secret-ok', NULL, 'SELECT 1 AS ev_command_marker')")"
fail_job="$(value "SELECT jobs.schedule('ev-secret-fail', NULL, 'SELECT 1/0 AS ev_command_marker')")"
http_job="$(value "SELECT jobs.schedule_http('ev-secret-http', NULL, '$base/record/ev-secret-path')")"
ok_run="$(value "SELECT jobs.trigger($ok_job)")"
fail_run="$(value "SELECT jobs.trigger($fail_job)")"
http_run="$(value "SELECT jobs.trigger($http_job)")"
[[ "$(wait_final "$ok_run")" == succeeded ]] || fail "the SQL run succeeds: $(show_executions)"
[[ "$(wait_final "$fail_run")" == failed ]] || fail "the failing SQL run fails: $(show_executions)"
[[ "$(wait_final "$http_run")" == succeeded ]] || fail "the HTTP run succeeds: $(show_executions)"

for run in "$ok_run:$ok_job:succeeded" "$fail_run:$fail_job:failed" "$http_run:$http_job:succeeded"; do
    IFS=: read -r id job status <<<"$run"
    wait_event postgres "p == {'event': 'run_started', 'execution_id': $id, 'job_id': $job, 'status': 'running',
                               'attempt': 1}" ||
        fail "run_started of run $id arrives: $(payloads postgres)"
    wait_event postgres "p == {'event': 'run_finished', 'execution_id': $id, 'job_id': $job, 'status': '$status',
                               'attempt': 1}" ||
        fail "run_finished ($status) of run $id arrives: $(payloads postgres)"
    wait_event eve "p.get('event') == 'run_finished' and p.get('execution_id') == $id" ||
        fail "the unprivileged listener sees run $id's ids: $(payloads eve)"
done
pass "run_started and run_finished (succeeded, failed; SQL and HTTP) arrive with ids, status and attempt"
pass "an unprivileged role listening sees the ids of another role's runs"

# --- all: jobs ------------------------------------------------------------------------
cluster_psql -o /dev/null <<SQL
SELECT jobs.alter($ok_job, command => 'SELECT 2 AS ev_command_marker');
SELECT jobs.disable($ok_job);
SELECT jobs.enable($ok_job);
SELECT jobs.unschedule($fail_job);
SQL
for change in "$ok_job:created" "$ok_job:altered" "$ok_job:disabled" "$ok_job:enabled" "$fail_job:dropped" \
    "$http_job:created"; do
    IFS=: read -r job word <<<"$change"
    wait_event postgres "p == {'event': 'job_changed', 'job_id': $job, 'change': '$word'}" ||
        fail "job_changed ($word) of job $job arrives: $(payloads postgres)"
done
pass "job_changed arrives for created, altered, disabled, enabled and dropped jobs"

rolled_back="$(cluster_psql -At <<'SQL'
BEGIN;
SELECT jobs.schedule('ev-secret-rolled-back', NULL, 'SELECT 1');
ROLLBACK;
SQL
)"
sync_listener postgres
received_event postgres "p.get('job_id') == $rolled_back" none ||
    fail "a rolled-back job creation sends nothing: $(payloads postgres)"
pass "a rolled-back transaction sends no event"

# --- What payloads never carry -------------------------------------------------------
sync_listener eve
for who in postgres eve; do
    leaked="$(payloads "$who" | grep -E 'ev-secret|ev_command_marker|division|127\.0\.0\.1|record|"postgres"|"eve"' || true)"
    [[ -z "$leaked" ]] || fail "no payload received by $who carries a name, command, URL or error: $leaked"
    payloads "$who" | python3 -c '
import json, sys
allowed = {"event", "execution_id", "job_id", "status", "attempt", "change", "n"}
for line in sys.stdin:
    keys = set(json.loads(line))
    assert keys <= allowed, f"unexpected keys {keys - allowed} in {line}"' ||
        fail "payloads received by $who have id, status and change keys only"
done
pass "no payload carries a job name, command, URL, role or error text"

# --- finished, then off ---------------------------------------------------------------
# Each worker reads the new setting when its SIGHUP arrives: the first run
# after the reload may still see the old one, so retry until one does not.
set_setting() {
    cluster_psql -o /dev/null -c "ALTER SYSTEM SET jobs.notify_events = '$1'" -c "SELECT pg_reload_conf()"
}
# Triggers job $1, waits for it to finish and for the listener to have
# everything committed before; true when no run_started arrived for it
# (and, with $2 = off, no run_finished either).
quiet_run() {
    local id
    id="$(value "SELECT jobs.trigger($1)")"
    wait_final "$id" >/dev/null
    sync_listener postgres
    last_run="$id"
    received_event postgres "p.get('event') == 'run_started' and p.get('execution_id') == $id" none || return 1
    [[ "$2" != off ]] || received_event postgres "p.get('execution_id') == $id" none
}
set_setting finished
for job in "$ok_job" "$http_job"; do
    wait_for 30 quiet_run "$job" finished || fail "with finished, runs of job $job send no run_started"
    quiet_run "$job" finished || fail "with finished, no run_started for run $last_run (job $job)"
    wait_event postgres "p.get('event') == 'run_finished' and p.get('execution_id') == $last_run" ||
        fail "with finished, run_finished of run $last_run arrives"
done
pass "finished sends run_finished and no run_started (SQL and HTTP)"

set_setting off
for job in "$ok_job" "$http_job"; do
    wait_for 30 quiet_run "$job" off || fail "with off, runs of job $job send nothing"
    quiet_run "$job" off || fail "with off, run $last_run (job $job) sends nothing"
done
value "SELECT jobs.unschedule($http_job)" >/dev/null
sync_listener postgres
received_event postgres "(p.get('event'), p.get('job_id')) == ('job_changed', $http_job) and
                         p.get('change') == 'dropped'" none || fail "with off, a dropped job sends nothing"
pass "off sends nothing (SQL and HTTP runs, job changes)"
