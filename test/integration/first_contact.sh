#!/usr/bin/env bash
# What a new user meets at start and in the server log (issue 12):
#   - CREATE EXTENSION on a server without pg_jobs preloaded is an ERROR
#     naming shared_preload_libraries and the restart; the session lives on;
#   - jobs.max_workers beyond max_worker_processes is said in the log at start;
#   - CREATE EXTENSION wakes the launcher: it starts scheduling at once;
#   - each run that does not succeed writes one log line, SQL and HTTP alike
#     (kind, job, execution, status, reason): failed, timed_out, cancelled,
#     crashed; jobs.failed_run_log_level = off writes none;
#   - an HTTP answer that failed keeps its reason phrase and the start of its
#     body in `error`; a 405 says method => 'GET'; a cut body says it was cut.
#
#   test/integration/first_contact.sh   (needs pg_jobs installed: make install)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh
# shellcheck source=test/lib/http_server.sh
source test/lib/http_server.sh

# --- Without the preload -------------------------------------------------------------
cluster_start first_contact_no_preload "shared_preload_libraries = ''"
out="$(cluster_psql -v ON_ERROR_STOP=0 2>&1 <<'SQL'
CREATE EXTENSION pg_jobs;
SELECT 'still connected' AS session;
SQL
)"
[[ "$out" == *"ERROR:  pg_jobs must be loaded at server start through shared_preload_libraries"* ]] ||
    fail "CREATE EXTENSION without the preload is refused with an ERROR naming shared_preload_libraries (got: $out)"
[[ "$out" == *"restart the server"* ]] || fail "the refusal says to restart the server (got: $out)"
[[ "$out" == *"still connected"* ]] || fail "the session lives on after the refusal (got: $out)"
! grep -q "FATAL" "$CLUSTER_LOG" || fail "no FATAL in the server log ($(grep FATAL "$CLUSTER_LOG" | head -2))"
[[ "$(value "SELECT count(*) FROM pg_extension WHERE extname = 'pg_jobs'")" == 0 ]] ||
    fail "nothing was created"
[[ "$(value "SELECT count(*) FROM pg_namespace WHERE nspname = 'jobs'")" == 0 ]] || fail "no jobs schema is left"
pass "CREATE EXTENSION without the preload: an ERROR that says what to do, no FATAL, nothing created"
cluster_stop

# --- With it, and too few background workers -------------------------------------------
scheduler_start first_contact "jobs.max_workers = 100" "max_worker_processes = 64" "jobs.default_timeout = '1min'"
grep -q "pg_jobs: jobs.max_workers (100) needs more background workers than max_worker_processes (64) allows" \
    "$CLUSTER_LOG" || fail "the server log says at start that jobs.max_workers does not fit max_worker_processes"
note="$(value "SELECT r FROM jobs.health(), unnest(reasons) AS r WHERE r LIKE 'jobs.max_workers (%'")"
[[ "$note" == "jobs.max_workers (100) needs more background workers than max_worker_processes (64) allows: "*"need 102"* ]] ||
    fail "jobs.health() says it among its reasons: '$note'"
[[ "$(value "SELECT status FROM jobs.health()")" == ok ]] || fail "as a note: the status stays ok"
pass "jobs.max_workers beyond max_worker_processes is logged at start, and noted by jobs.health() (status ok)"

# CREATE EXTENSION wakes the launcher: it starts scheduling at once, not at
# its next look for the extension (every 5 s by itself). A job created just
# after it is then a change the launcher applies, not a job it meets at its
# first load with a fire time gone by.
scheduling() { grep -q "pg_jobs launcher: scheduling" "$CLUSTER_LOG"; }
wait_for 2 scheduling || fail "the launcher starts scheduling within 2 s of CREATE EXTENSION"
pass "the launcher starts scheduling as soon as CREATE EXTENSION commits"

http_test_server_start

# One log line per run that does not succeed: "pg_jobs: <kind> job "<name>" execution <id> ended <status>: <reason>".
log_line() { grep -F "pg_jobs: $1 job \"$2\" execution $3 ended $4: " "$CLUSTER_LOG"; }
trigger_final() { # job -> "<execution id> <status>"
    local id
    id="$(value "SELECT jobs.trigger('$1')")"
    echo "$id $(wait_final "$id")"
}

cluster_psql -o /dev/null <<SQL
SELECT jobs.schedule('divide', NULL, 'SELECT 1/0');
SELECT jobs.schedule('slow', NULL, 'SELECT pg_sleep(30)', timeout => '1 second');
SELECT jobs.schedule('cancel-me', NULL, 'SELECT pg_sleep(30)');
SELECT jobs.schedule('crash-me', NULL, 'SELECT pg_sleep(30)');
SELECT jobs.schedule_http('not-implemented', NULL, '$base/status/501');
SELECT jobs.schedule_http('not-allowed', NULL, '$base/status/405');
SELECT jobs.schedule_http('big', NULL, '$base/bytes/200000');
SQL

read -r id status < <(trigger_final divide)
[[ "$status" == failed ]] || fail "divide failed (got $status)"
wait_for 10 log_line sql divide "$id" failed >/dev/null || fail "a failed SQL run writes its log line"
line="$(log_line sql divide "$id" failed)"
[[ "$line" == *"ended failed: division by zero" ]] || fail "the line gives the reason (got: $line)"
pass "failed SQL run: $(sed 's/.*LOG:  //' <<<"$line")"

read -r id status < <(trigger_final slow)
[[ "$status" == timed_out ]] || fail "slow timed out (got $status)"
wait_for 10 log_line sql slow "$id" timed_out >/dev/null || fail "a timed-out SQL run writes its log line"
pass "timed-out SQL run: $(log_line sql slow "$id" timed_out | sed 's/.*LOG:  //')"

id="$(value "SELECT jobs.trigger('cancel-me')")"
wait_until 20 "SELECT status = 'running' FROM jobs.job_execution WHERE execution_id = $id" ||
    fail "cancel-me started"
value "SELECT jobs.cancel($id)" >/dev/null
[[ "$(wait_final "$id")" == cancelled ]] || fail "cancel-me was cancelled"
wait_for 10 log_line sql cancel-me "$id" cancelled >/dev/null || fail "a cancelled SQL run writes its log line"
! grep -F "execution $id" "$CLUSTER_LOG" | grep -q "ended failed" || fail "the cancelled run is not logged as failed"
pass "cancelled SQL run: $(log_line sql cancel-me "$id" cancelled | sed 's/.*LOG:  //')"

id="$(value "SELECT jobs.trigger('crash-me')")"
wait_until 20 "SELECT status = 'running' FROM jobs.job_execution WHERE execution_id = $id" ||
    fail "crash-me started"
pid="$(value "SELECT worker_pid FROM jobs.job_execution WHERE execution_id = $id")"
kill -9 "$pid"
wait_until 60 "SELECT status = 'crashed' FROM jobs.job_execution WHERE execution_id = $id" ||
    fail "crash-me was marked crashed after kill -9 of its worker"
wait_for 10 log_line sql crash-me "$id" crashed >/dev/null || fail "a crashed run writes its log line"
pass "crashed SQL run: $(log_line sql crash-me "$id" crashed | sed 's/.*LOG:  //')"

read -r id status < <(trigger_final not-implemented)
[[ "$status" == failed ]] || fail "not-implemented failed (got $status)"
error="$(value "SELECT error FROM jobs.job_execution WHERE execution_id = $id")"
[[ "$error" == 'HTTP 501 Not Implemented: {"status": 501}'* ]] ||
    fail "the error keeps the reason phrase and the start of the body (got: $error)"
[[ "$error" == *"method => 'GET'"* ]] || fail "a 501 says method => 'GET' (got: $error)"
wait_for 10 log_line http not-implemented "$id" failed >/dev/null || fail "a failed HTTP run writes its log line"
pass "failed HTTP run: $(log_line http not-implemented "$id" failed | sed 's/.*LOG:  //' | cut -c1-120)..."

read -r id status < <(trigger_final not-allowed)
error="$(value "SELECT error FROM jobs.job_execution WHERE execution_id = $id")"
[[ "$status" == failed && "$error" == "HTTP 405 Method Not Allowed: "*"method => 'GET'"* ]] ||
    fail "a 405 fails with its reason phrase and says method => 'GET' (got: $status, $error)"
pass "HTTP 405: $error"

read -r id status < <(trigger_final big)
row="$(value "SELECT status || '|' || coalesce(error, '') || '|' || length(result #>> '{}') FROM jobs.job_execution WHERE execution_id = $id")"
[[ "$row" == "succeeded|response cut: the body was longer than jobs.http_max_response_size, and result holds its first 65536 bytes|65536" ]] ||
    fail "a body cut at jobs.http_max_response_size says so (got: $row)"
pass "a cut HTTP response says so in error: ${row#succeeded|}"

# Off: no line.
cluster_psql -c "ALTER SYSTEM SET jobs.failed_run_log_level = off" -c "SELECT pg_reload_conf()" -o /dev/null
sleep_until_reloaded() { [[ "$(value "SHOW jobs.failed_run_log_level")" == off ]]; }
wait_for 10 sleep_until_reloaded || fail "the setting is reloaded"
# The worker reads the reload before its next claim; give it a run to pick it up first.
read -r _ status < <(trigger_final divide)
read -r id status < <(trigger_final divide)
[[ "$status" == failed ]] || fail "divide failed again"
! log_line sql divide "$id" failed >/dev/null || fail "jobs.failed_run_log_level = off writes no line"
pass "jobs.failed_run_log_level = off writes no line"
