#!/usr/bin/env bash
# Secrets of HTTP jobs by reference (issue 10, point 11), with real roles, the
# HTTP worker and the loopback test server (test/lib/http_test_server.py):
#   - a header "Bearer {{secret:api_token}}" reaches the service with the
#     value of the job OWNER's secret (not the caller's, not another role's);
#   - a missing secret fails the run (42704, naming the secret), not retried;
#   - a service echoing the secret back gets *** stored instead;
#   - the value is nowhere in the job rows, job_execution, job_history or the
#     server log, also after failing jobs.schedule_http / jobs.set_secret
#     calls with log_min_error_statement = error (their STATEMENT line is
#     left out, while other failing statements are logged as usual).
#
#   test/integration/security_secrets.sh      (needs pg_jobs installed: make install)
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
# The value of header $1 in the last recorded request.
last_header() {
    received | python3 -c 'import json, sys
requests = json.load(sys.stdin)
headers = {k.lower(): v for k, v in requests[-1]["headers"].items()} if requests else {}
print(headers.get(sys.argv[1].lower(), "<none>"))' "$1"
}

scheduler_start security_secrets "log_min_error_statement = error" "jobs.max_workers = 1"
cluster_psql -o /dev/null <<'SQL'
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
GRANT USAGE ON SCHEMA jobs TO alice, bob;
SQL
as_alice() { cluster_psql -U alice -At -c "$1"; }
as_bob() { cluster_psql -U bob -At -c "$1"; }
field() { value "SELECT $2 FROM jobs.job_execution WHERE execution_id = $1"; }

alice_secret="alice-s3cret-$RANDOM$RANDOM"
alice_rotated="alice-rotated-$RANDOM$RANDOM"
bob_secret="bob-s3cret-$RANDOM$RANDOM"
admin_secret="admin-s3cret-$RANDOM$RANDOM"
literal_header="literal-header-$RANDOM$RANDOM"
bad_name_value="bad-name-value-$RANDOM$RANDOM"
aborted_value="aborted-tx-value-$RANDOM$RANDOM"
prepared_value="prepared-value-$RANDOM$RANDOM"
all_values=("$alice_secret" "$alice_rotated" "$bob_secret" "$admin_secret" "$literal_header" "$bad_name_value"
    "$aborted_value" "$prepared_value")

# --- The request carries the owner's value ------------------------------------------------
as_alice "SELECT jobs.set_secret('api_token', '$alice_secret')" >/dev/null ||
    fail "a role granted USAGE ON SCHEMA jobs stores a secret with jobs.set_secret"
as_bob "SELECT jobs.set_secret('api_token', '$bob_secret')" >/dev/null
value "SELECT jobs.set_secret('api_token', '$admin_secret')" >/dev/null
as_alice "SELECT jobs.schedule_http('hook', NULL, '$base/record/hook',
          headers => '{\"Authorization\": \"Bearer {{secret:api_token}}\", \"X-Pair\": \"{{secret:api_token}}:{{secret:api_token}}\"}')" >/dev/null
id="$(as_alice "SELECT jobs.trigger('hook')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "alice's HTTP job with a secret reference succeeds: $(show_executions)"
[[ "$(last_header Authorization)" == "Bearer $alice_secret" ]] ||
    fail "the request carries alice's secret in place of the reference: $(last_header Authorization)"
[[ "$(last_header X-Pair)" == "$alice_secret:$alice_secret" ]] || fail "every reference in a value is replaced"
pass "the request carries the expanded value: Authorization: Bearer <alice's api_token>"

forget_received
id="$(value "SELECT jobs.trigger(job_id) FROM jobs.scheduled_job WHERE job_name = 'hook' AND owner = 'alice'::regrole")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "a superuser triggers alice's job"
[[ "$(last_header Authorization)" == "Bearer $alice_secret" ]] ||
    fail "triggered by the superuser (who has an api_token too), the request still carries the owner's secret"
pass "a run triggered by a superuser uses the job owner's secret, not the caller's"

as_alice "SELECT jobs.set_secret('api_token', '$alice_rotated')" >/dev/null
forget_received
id="$(as_alice "SELECT jobs.trigger('hook')")"
[[ "$(wait_final "$id")" == succeeded && "$(last_header Authorization)" == "Bearer $alice_rotated" ]] ||
    fail "after set_secret with a new value, the next run sends the new value"
pass "set_secret replaces the value; the next run sends it"

# --- Another role's secret is never used; a missing secret fails the run --------------------------
as_alice "SELECT jobs.set_secret('only_alice', 'x-$alice_secret')" >/dev/null
as_bob "SELECT jobs.schedule_http('steal', NULL, '$base/record/steal',
        headers => '{\"X-Key\": \"{{secret:only_alice}}\"}', max_retries => 2,
        retry_backoff => '100 milliseconds')" >/dev/null 2>&1
forget_received
id="$(as_bob "SELECT jobs.trigger('steal')")"
[[ "$(wait_final "$id")" == failed ]] || fail "bob's job naming a secret only alice has fails: $(show_executions)"
failure="$(field "$id" "sqlstate || '|' || error")"
[[ "$failure" == '42704|invalid_request: secret "only_alice" does not exist'* ]] ||
    fail "the failure is 42704 and names the secret: $failure"
[[ "$(received)" == "[]" ]] || fail "nothing was sent for a run whose secret is missing"
only_one_run() {
    holds "SELECT count(*) = 1 FROM jobs.job_execution WHERE job_name = 'steal'"
}
# A retry would be queued by the same transaction that recorded the failure.
only_one_run || fail "a missing secret is not retried: $(show_executions "job_name = 'steal'")"
pass "a run whose owner lacks the secret fails (42704, naming the secret), sends nothing, is not retried"

as_alice "SELECT jobs.drop_secret('only_alice')" >/dev/null
as_alice "SELECT jobs.schedule_http('dropped', NULL, '$base/record/dropped', headers => '{\"X-Key\": \"{{secret:only_alice}}\"}')" >/dev/null 2>&1
id="$(as_alice "SELECT jobs.trigger('dropped')")"
[[ "$(wait_final "$id")" == failed && "$(field "$id" sqlstate)" == 42704 ]] ||
    fail "after drop_secret, runs referring to it fail with 42704"
pass "after jobs.drop_secret, runs that refer to the secret fail"

# --- A service that echoes the secret back ---------------------------------------------------
as_alice "SELECT jobs.schedule_http('echo', NULL, '$base/echo?status=500', headers => '{\"Authorization\": \"Bearer {{secret:api_token}}\"}')" >/dev/null
id="$(as_alice "SELECT jobs.trigger('echo')")"
[[ "$(wait_final "$id")" == failed ]] || fail "the echoing service answers 500"
[[ "$(field "$id" "result->'headers'->>'Authorization'")" == 'Bearer ***' ]] ||
    fail "the echoed secret is stored as ***: $(field "$id" result)"
pass "a secret the service echoes back is stored as *** in result"

# --- Failing statements with log_min_error_statement = error -----------------------------------
cluster_psql -v ON_ERROR_STOP=0 -o /dev/null 2>/dev/null <<SQL || true
SELECT jobs.schedule_http('lit', NULL, '$base/ok', method => 'FETCH',
                          headers => '{"Authorization": "Bearer $literal_header"}');
SELECT jobs.schedule_http('ref', NULL, '$base/ok', method => 'FETCH',
                          headers => '{"Authorization": "Bearer {{secret:api_token}}"}');
SELECT jobs.set_secret('bad name', '$bad_name_value');
BEGIN;
SELECT 1 / 0;
SELECT jobs.set_secret('in_aborted', '$aborted_value');
ROLLBACK;
PREPARE put_secret(text) AS SELECT jobs.set_secret('bad name', \$1);
EXECUTE put_secret('$prepared_value');
SELECT 'control-statement-marker'::int;
SQL
wait_for 10 grep -q "control-statement-marker" "$CLUSTER_LOG" ||
    fail "a failing statement is logged with its STATEMENT line (the control): $(cluster_log_tail 20)"
grep -q 'unknown HTTP method "FETCH"' "$CLUSTER_LOG" || fail "the error of a failing schedule_http is logged"
if grep -q "STATEMENT:.*schedule_http\|STATEMENT:.*set_secret" "$CLUSTER_LOG"; then
    fail "the text of a failing schedule_http / set_secret statement is logged: $(grep -n STATEMENT "$CLUSTER_LOG")"
fi
pass "failing schedule_http and set_secret statements are logged without their text (others keep theirs)"

# --- The values are nowhere ----------------------------------------------------------------------
notice="$(as_alice "SELECT jobs.schedule_http('later', NULL, '$base/ok', headers => '{\"X-Later\": \"{{secret:not_yet}}\"}')" 2>&1 >/dev/null)"
grep -q 'NOTICE:  secret "not_yet" does not exist yet' <<<"$notice" ||
    fail "defining a job that refers to a secret not set yet says so (a notice): $notice"
pass "a reference to a secret that does not exist yet is accepted, with a notice"

for secret in "${all_values[@]}"; do
    found="$(value "SELECT concat_ws(',',
        (SELECT 'scheduled_job' FROM jobs.scheduled_job AS j WHERE j::text LIKE '%$secret%' LIMIT 1),
        (SELECT '_http_secret' FROM jobs_internal._http_secret AS s WHERE s::text LIKE '%$secret%' LIMIT 1),
        (SELECT 'job_execution' FROM jobs.job_execution AS e WHERE e::text LIKE '%$secret%' LIMIT 1),
        (SELECT 'job_history' FROM jobs.job_history AS h WHERE h::text LIKE '%$secret%' LIMIT 1))")"
    [[ -z "$found" ]] || fail "a secret value is stored in $found"
    if grep -q -- "$secret" "$CLUSTER_LOG"; then
        fail "a secret value is in the server log: $(grep -n -- "$secret" "$CLUSTER_LOG")"
    fi
done
[[ "$(as_alice "SELECT string_agg(name, ',' ORDER BY name) FROM jobs.secrets")" == api_token ]] ||
    fail "jobs.secrets lists alice's secrets by name"
pass "no secret value in scheduled_job, _http_secret, job_execution, job_history or the server log"
