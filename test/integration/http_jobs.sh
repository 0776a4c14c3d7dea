#!/usr/bin/env bash
# HTTP jobs against a real HTTP server on loopback (test/lib/http_test_server.py):
# the request a service receives (method, headers, Idempotency-Key, the JSON
# job context), job-result parsing, "success": false, error statuses,
# timeouts, redirects (not followed), big responses, connection refused, the
# host allowlist at definition and after DNS resolution, secret headers
# masked in the table and never in the server log, scheduled and triggered
# runs, and a fast restart with requests in flight.
#
#   test/integration/http_jobs.sh      (needs pg_jobs installed: make install)
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

# --- The test server ------------------------------------------------------------------
http_test_server_start

scheduler_start http_jobs "jobs.http_max_response_size = '1kB'"

run_status() { wait_final "$1"; }
field() { value "SELECT $2 FROM jobs.job_execution WHERE execution_id = $1"; }

# --- The request a service receives --------------------------------------------------
secret="s3cret-$RANDOM$RANDOM"
cluster_psql -o /dev/null <<SQL
SELECT jobs.schedule_http('record', NULL, '$base/record/hook',
                          headers => '{"Authorization": "Bearer $secret", "X-Team": "data"}',
                          body => '{"table": "events", "days": 30}');
SQL
id="$(value "SELECT jobs.trigger('record', '{\"reason\": \"test\"}')")"
[[ "$(run_status "$id")" == succeeded ]] || fail "an HTTP job answered 200 succeeds: $(show_executions)"
request="$(received)"
check_request() {
    REQUEST="$request" python3 - "$id" "$secret" <<'PY'
import json, os, sys
execution_id, secret = int(sys.argv[1]), sys.argv[2]
requests = json.loads(os.environ["REQUEST"])
assert len(requests) == 1, f"one request, got {len(requests)}"
r = requests[0]
h = {k.lower(): v for k, v in r["headers"].items()}
assert r["method"] == "POST", r["method"]
assert r["path"] == "/record/hook", r["path"]
assert h.get("content-type") == "application/json", h
assert h.get("user-agent", "").startswith("pg_jobs/"), h
assert h.get("idempotency-key") == str(execution_id), h
assert h.get("authorization") == "Bearer " + secret, "the real secret is sent"
assert h.get("x-team") == "data", h
body = json.loads(r["body"])
for key in ("jobName", "jobId", "executionId", "triggeredBy", "triggeredByUser", "scheduledFor", "attempt",
            "config", "payload"):
    assert key in body, f"body has {key}: {body}"
assert body["jobName"] == "record" and body["executionId"] == execution_id, body
assert body["triggeredBy"] == "manual" and body["attempt"] == 1, body
assert body["config"] == {"table": "events", "days": 30}, body
assert body["payload"] == {"reason": "test"}, body
PY
}
check_request || fail "the service receives POST, Content-Type, User-Agent pg_jobs/<version>, Idempotency-Key =
execution_id, the headers, and the job context as the JSON body; got: $request"
pass "the request carries method, headers, Idempotency-Key and the job context (config, payload) as JSON"

[[ "$(value "SELECT http_headers->>'Authorization' FROM jobs.scheduled_job WHERE job_name = 'record'")" == '***' ]] ||
    fail "the Authorization header is shown as *** in jobs.scheduled_job"
[[ "$(value "SELECT http_headers->>'X-Team' FROM jobs.scheduled_job WHERE job_name = 'record'")" == data ]] ||
    fail "other headers are shown as they are"
if grep -q "$secret" "$CLUSTER_LOG"; then
    fail "the secret header value appears in the server log"
fi
pass "secret header values are masked in jobs.scheduled_job and absent from the server log"
[[ "$(field "$id" "http_status")" == 200 ]] || fail "http_status is 200"
[[ "$(field "$id" "http_timing ?& array['dns_ms', 'connect_ms', 'tls_ms', 'first_byte_ms', 'total_ms']
                   AND (http_timing->>'total_ms')::float > 0")" == t ]] ||
    fail "the run records its timings: $(field "$id" http_timing)"
pass "the execution row has http_status 200 and the timings (dns, connect, tls, first byte, total)"

# --- Results and failures ----------------------------------------------------------------
define() { value "SELECT jobs.schedule_http('$1', NULL, '$2'${3:+, $3})" >/dev/null; }
trigger() { value "SELECT jobs.trigger('$1')"; }

define result "$base/job-result?processed=7&succeeded=6&failed=1"
id="$(trigger result)"
[[ "$(run_status "$id")" == succeeded ]] || fail "a job-result answer succeeds"
[[ "$(field "$id" "result->>'itemsProcessed' || '/' || (result->>'itemsFailed')")" == 7/1 ]] ||
    fail "the job-result body is stored in result: $(field "$id" result)"
pass "a JSON job-result body is stored in result"

define failure "$base/job-failure?error=disk%20full"
id="$(trigger failure)"
[[ "$(run_status "$id")" == failed ]] || fail "200 with \"success\": false is a failure"
[[ "$(field "$id" "result->>'error'")" == "disk full" && -n "$(field "$id" error)" ]] ||
    fail "the failure keeps the body and says why: $(field "$id" "row(error, result)")"
pass "200 with \"success\": false is recorded as failed, with the body"

define unavailable "$base/status/503"
id="$(trigger unavailable)"
[[ "$(run_status "$id")" == failed && "$(field "$id" http_status)" == 503 ]] ||
    fail "a 503 answer is failed with http_status 503: $(field "$id" "row(status, http_status, error)")"
grep -q 503 <<<"$(field "$id" error)" || fail "the error names the status"
pass "a non-2xx answer is failed, with http_status and an error naming it"

define slow "$base/delay/5000" "timeout => '300 milliseconds'"
id="$(trigger slow)"
[[ "$(run_status "$id")" == timed_out ]] || fail "a request slower than its timeout is timed_out: $(field "$id" "row(status, error)")"
pass "a request slower than its timeout is recorded as timed_out"

define moved "$base/redirect/302?to=/ok"
id="$(trigger moved)"
[[ "$(run_status "$id")" == failed && "$(field "$id" http_status)" == 302 ]] ||
    fail "a redirect is not followed: $(field "$id" "row(status, http_status, error)")"
pass "redirects are not followed (302 is recorded, as failed)"

define big "$base/bytes/100000"
id="$(trigger big)"
[[ "$(run_status "$id")" == succeeded ]] || fail "a big answer succeeds: $(field "$id" "row(status, error)")"
length="$(field "$id" "length(result #>> '{}')")"
[[ "$length" == 1024 ]] || fail "a text body is cut at jobs.http_max_response_size (1kB): stored $length characters"
pass "a big response body is cut at jobs.http_max_response_size and kept as text"

closed_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
define refused "http://127.0.0.1:$closed_port/"
id="$(trigger refused)"
[[ "$(run_status "$id")" == failed ]] || fail "connection refused fails"
grep -q connect_refused <<<"$(field "$id" error)" || fail "the error says the connection was refused: $(field "$id" error)"
pass "connection refused is failed, with error connect_refused"

# --- Allowlist ------------------------------------------------------------------------
denied="$(cluster_psql -v VERBOSITY=verbose -c "SET jobs.http_allowed_hosts = '10.0.0.0/8'" \
    -c "SELECT jobs.schedule_http('denied', NULL, 'http://127.0.0.1:$port/ok')" 2>&1 || true)"
grep -q 'ERROR:  42501' <<<"$denied" || fail "a URL whose address is not allowed is refused at definition: $denied"
pass "jobs.http_allowed_hosts refuses a disallowed address when the job is defined (42501)"

cluster_psql -o /dev/null -c "ALTER SYSTEM SET jobs.http_allowed_hosts = '10.0.0.0/8'" -c "SELECT pg_reload_conf()"
define by_name "http://localhost:$port/record/by-name"
forget_received
id="$(trigger by_name)"
[[ "$(run_status "$id")" == failed ]] || fail "a name resolving to a disallowed address is refused at run time"
grep -q refused_by_policy <<<"$(field "$id" error)" || fail "the error says the policy refused: $(field "$id" error)"
[[ "$(received)" == "[]" ]] || fail "nothing reached the server"
cluster_psql -o /dev/null -c "ALTER SYSTEM RESET jobs.http_allowed_hosts" -c "SELECT pg_reload_conf()"
pass "after DNS resolution the allowlist is checked again (refused_by_policy, nothing sent)"

# --- Scheduled runs -----------------------------------------------------------------------
forget_received
define ticking "$base/record/tick"
cluster_psql -o /dev/null -c "SELECT jobs.alter('ticking', schedule => '* * * * * *')"
wait_until 30 "SELECT count(*) >= 3 FROM jobs.job_execution WHERE job_name = 'ticking' AND status = 'succeeded'
               AND triggered_by = 'schedule'" || fail "a scheduled HTTP job fires every second: $(show_executions)"
cluster_psql -o /dev/null -c "SELECT jobs.disable('ticking')"
pass "a scheduled HTTP job fires on its schedule"

# --- Cancel during a slow request ---------------------------------------------------------
define sleepy "$base/delay/60000" "timeout => '2 minutes'"
id="$(trigger sleepy)"
wait_until 30 "SELECT status = 'running' FROM jobs.job_execution WHERE execution_id = $id" ||
    fail "the slow request is in flight"
request_in_progress() {
    curl -fsS "$base/stats" | python3 -c 'import json, sys; sys.exit(json.load(sys.stdin)["requests_in_progress"] < 1)'
}
wait_for 30 request_in_progress || fail "the server is answering the slow request"
[[ "$(value "SELECT jobs.cancel($id)")" == t ]] || fail "jobs.cancel of a running HTTP run returns true"
[[ "$(wait_final "$id" 20)" == cancelled ]] ||
    fail "a cancelled HTTP request ends 'cancelled' long before its 60 s answer: $(field "$id" "row(status, error)")"
[[ "$(field "$id" error)" == "cancelled by "* ]] || fail "the error says who cancelled: $(field "$id" error)"
[[ "$(value "SELECT jobs.cancel($id)")" == f ]] || fail "cancelling a finished run returns false"
pass "jobs.cancel aborts a slow request in flight: 'cancelled by <role>'"

# --- Retries: 5xx and connection errors are retried, 4xx not; one Idempotency-Key -------------
forget_received
define flaky "$base/record/flaky?status=503" "max_retries => 2, retry_backoff => '100 milliseconds'"
id="$(trigger flaky)"
retries_done() {
    holds "SELECT count(*) = 3 AND bool_and(status = 'failed') FROM jobs.job_execution WHERE job_name = 'flaky'"
}
wait_for 60 retries_done || fail "a 503 is retried max_retries times: $(show_executions)"
chain="$(value "SELECT string_agg(attempt || ':' || coalesce(retry_of::text, '-'), ' ' ORDER BY execution_id)
                FROM jobs.job_execution WHERE job_name = 'flaky'")"
[[ "$chain" =~ ^1:-\ 2:$id\ 3:[0-9]+$ ]] || fail "each retry is its own row with attempt and retry_of: $chain"
keys="$(received | python3 -c 'import json, sys
print(" ".join(sorted({r["headers"].get("Idempotency-Key", "?") for r in json.load(sys.stdin)})))')"
[[ "$(received | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')" == 3 ]] ||
    fail "the service received 3 deliveries"
[[ "$keys" == "$id" ]] || fail "every delivery of a run carries the first attempt's Idempotency-Key ($id): $keys"
pass "HTTP 503: retried twice (attempts 1-3, retry_of chain), one Idempotency-Key for all deliveries"

define missing "$base/status/404" "max_retries => 2, retry_backoff => '100 milliseconds'"
id="$(trigger missing)"
[[ "$(run_status "$id")" == failed ]] || fail "a 404 fails"
define control "$base/ok"
control_id="$(trigger control)"
[[ "$(run_status "$control_id")" == succeeded ]] || fail "a later run succeeds"
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE job_name = 'missing'")" == 1 ]] ||
    fail "a 4xx is not retried: $(show_executions)"
define refused_retry "http://127.0.0.1:$closed_port/" "max_retries => 1, retry_backoff => '100 milliseconds'"
id="$(trigger refused_retry)"
refused_retried() {
    holds "SELECT count(*) = 2 AND bool_and(error LIKE 'connect_refused%') FROM jobs.job_execution
           WHERE job_name = 'refused_retry' AND status = 'failed'"
}
wait_for 60 refused_retried || fail "connection refused is retried: $(show_executions)"
pass "HTTP 404 is not retried; connection refused is"

# --- Restart with requests in flight ------------------------------------------------------
define hanging "$base/delay/60000" "timeout => '2 minutes'"
ids="$(value "SELECT string_agg(jobs.trigger('hanging')::text, ',') FROM generate_series(1, 5)")"
wait_until 30 "SELECT count(*) = 5 FROM jobs.job_execution WHERE execution_id IN ($ids) AND status = 'running'" ||
    fail "the slow requests are in flight"
cluster_restart fast
statuses="$(value "SELECT string_agg(DISTINCT status || ':' || coalesce(error, ''), '; ') FROM jobs.job_execution
                   WHERE execution_id IN ($ids)")"
[[ "$statuses" == "cancelled:shutdown"* ]] ||
    fail "requests in flight at a fast shutdown are cancelled with reason shutdown; got: $statuses"
pass "a fast shutdown aborts requests in flight and records them cancelled (shutdown)"
id="$(trigger result)"
[[ "$(run_status "$id")" == succeeded ]] || fail "HTTP jobs run again after the restart"
pass "HTTP jobs run after the restart"
