#!/usr/bin/env bash
# HTTP jobs against what a hostile or broken server, or a changed policy, can
# do (issue 10, points 9, 10 and 16), with a real HTTP server on loopback
# (test/lib/http_test_server.py) and an ordinary role owning the jobs:
#   - a run refused by an allowlist changed after its job was defined ends
#     at once as failed (refused_by_policy), even while a slow answer from
#     the same server is in flight, and nothing reaches the server; another
#     run to that server does not wait for the slow answer either;
#   - a job whose URL carries the metadata address in an IPv6 form
#     (http://[::169.254.169.254]/) is refused when it runs, not only when it
#     is defined;
#   - a redirect whose Location is not valid UTF-8, and bodies that are not,
#     are stored as valid text (bad bytes replaced), so pg_dump | pg_restore
#     of the database works.
#
#   test/integration/security_http.sh      (needs pg_jobs installed: make install)
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
requests_in_progress() {
    curl -fsS "$base/stats" | python3 -c 'import json, sys; print(json.load(sys.stdin)["requests_in_progress"])'
}

scheduler_start security_http
cluster_psql -o /dev/null <<SQL
CREATE ROLE mallory LOGIN;
GRANT USAGE ON SCHEMA jobs TO mallory;
SQL
as_mallory() { PGUSER=mallory cluster_psql "$@"; }
mallory_value() { as_mallory -At -c "$1"; }
define() { mallory_value "SELECT jobs.schedule_http('$1', NULL, '$2'${3:+, $3})" >/dev/null; }
trigger() { mallory_value "SELECT jobs.trigger('$1')"; }
field() { value "SELECT $2 FROM jobs.job_execution WHERE execution_id = $1"; }
set_allowlist() {
    cluster_psql -o /dev/null -c "ALTER SYSTEM SET jobs.http_allowed_hosts = '$1'" -c "SELECT pg_reload_conf()"
}

# --- Point 9: a refused run ends at once, even behind a slow answer -----------------------
define slowpoke "$base/delay/120000" "timeout => '5 minutes'"
define beside "$base/ok" "timeout => '30 seconds'"
define late_refused "$base/record/late" "timeout => '30 seconds'"
define probe "http://localhost:$port/ok" "timeout => '30 seconds'"

slow_id="$(trigger slowpoke)"
slow_in_flight() { (($(requests_in_progress) >= 1)); }
wait_for 30 slow_in_flight || fail "the slow request reaches the server"

# Before the fix, libcurl parked a second request to a host whose only
# connection was busy (waiting to learn whether it multiplexes) until the
# slow answer came, its timeout not running.
id="$(trigger beside)"
[[ "$(wait_final "$id" 25)" == succeeded ]] ||
    fail "a run to the same server does not wait behind a slow answer: $(field "$id" "row(status, error)")"
pass "a run to a server busy with a slow answer opens its own connection and succeeds"

set_allowlist '10.0.0.0/8'
# The HTTP worker reads the new list at its next loop; a run refused by it
# (to another host name, so it never shares the busy connection) says it has.
refused_once() {
    local probe_id
    probe_id="$(trigger probe)"
    [[ "$(wait_final "$probe_id" 25)" == failed ]] && [[ "$(field "$probe_id" error)" == refused_by_policy* ]]
}
wait_for 60 refused_once || fail "the HTTP worker applies the changed allowlist: $(show_executions)"

id="$(trigger late_refused)"
status="$(wait_final "$id" 25)"
[[ "$status" == failed ]] ||
    fail "a run refused by a changed allowlist ends failed at once, not '$status' after its timeout: $(field "$id" "row(status, error)")"
[[ "$(field "$id" error)" == "refused_by_policy: address 127.0.0.1 is not allowed by jobs.http_allowed_hosts" ]] ||
    fail "the error says the policy refused: $(field "$id" error)"
[[ "$(received)" == "[]" ]] || fail "nothing reached the server: $(received)"
[[ "$(field "$slow_id" status)" == running ]] || fail "the slow run goes on"
pass "a run refused by an allowlist changed after definition ends at once: failed, refused_by_policy, nothing sent"

[[ "$(mallory_value "SELECT jobs.cancel($slow_id)")" == t ]] || fail "the slow run can be cancelled"
[[ "$(wait_final "$slow_id" 25)" == cancelled ]] || fail "the slow run ends cancelled"

# --- Point 10: an IPv6 form of the metadata address is refused at run time ----------------
# Defined while a superuser listed the address explicitly, then the list goes
# back to "*": the run is judged by the IPv4 address its IPv6 form carries.
set_allowlist '*, 169.254.169.254'
wait_until 30 "SELECT current_setting('jobs.http_allowed_hosts') = '*, 169.254.169.254'" ||
    fail "the allowlist change is visible"
define compat_metadata "http://[::169.254.169.254]/latest/meta-data/" "timeout => '30 seconds'"
define nat64_metadata "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/" "timeout => '30 seconds'"
set_allowlist '*'
probe_passes() {
    local probe_id
    probe_id="$(trigger probe)"
    [[ "$(wait_final "$probe_id" 25)" == succeeded ]]
}
wait_for 60 probe_passes || fail "the HTTP worker applies the allowlist '*': $(show_executions)"
for job in compat_metadata nat64_metadata; do
    id="$(trigger "$job")"
    [[ "$(wait_final "$id" 25)" == failed ]] || fail "$job is refused when it runs: $(field "$id" "row(status, error)")"
    error="$(field "$id" error)"
    [[ "$error" == refused_by_policy:*"for 169.254.169.254) is a link-local address"* ]] ||
        fail "$job: the error names the IPv4 address carried: $error"
done
pass "http://[::169.254.169.254]/ and http://[64:ff9b::a9fe:a9fe]/ are refused at run time (refused_by_policy)"

# --- Point 16: text from the server that is not valid UTF-8 -------------------------------
define bad_location "$base/redirect-bad-bytes"
define bad_body "$base/bad-bytes"
define bad_error_body "$base/bad-bytes/500"
location_id="$(trigger bad_location)"
body_id="$(trigger bad_body)"
error_body_id="$(trigger bad_error_body)"
[[ "$(wait_final "$location_id" 25)" == failed ]] || fail "a redirect is failed: $(field "$location_id" "row(status, error)")"
[[ "$(wait_final "$body_id" 25)" == succeeded ]] || fail "a 200 with a bad body succeeds: $(field "$body_id" "row(status, error)")"
[[ "$(wait_final "$error_body_id" 25)" == failed ]] || fail "a 500 is failed"

# convert_from checks its input: it fails on bytes that are not UTF-8.
valid="$(value "SELECT bool_and(convert_from(convert_to(coalesce(error, ''), 'UTF8'), 'UTF8') IS NOT NULL
                                AND convert_from(convert_to(coalesce(result::text, ''), 'UTF8'), 'UTF8') IS NOT NULL)
                FROM jobs.job_execution WHERE execution_id IN ($location_id, $body_id, $error_body_id)" 2>&1)" ||
    true
[[ "$valid" == t ]] || fail "the stored error and result texts are valid UTF-8: $valid"
error="$(field "$location_id" error)"
[[ "$error" == "HTTP 302 Found redirect to "*"/caf�/��/�(/��/end"*"(redirects are not followed)" ]] ||
    fail "the Location is kept, its bad bytes replaced by U+FFFD: $error"
[[ "$(field "$body_id" "result #>> '{}'")" == "caf� �� �( �� end" ]] ||
    fail "the body is stored as text, its bad bytes replaced: $(field "$body_id" result)"
[[ "$(field "$error_body_id" "result #>> '{}'")" == "caf� �� �( �� end" ]] ||
    fail "the error answer's body too: $(field "$error_body_id" result)"
[[ "$(field "$error_body_id" error)" == "HTTP 500 Internal Server Error: caf� �� �( �� end" ]] ||
    fail "the error quotes the start of the answer's body, its bad bytes replaced: $(field "$error_body_id" error)"
pass "a Location and bodies that are not valid UTF-8 are stored with their bad bytes replaced (U+FFFD)"

dump="$CLUSTER_DIR/security_http.dump"
"$PG_BINDIR/pg_dump" -Fc -f "$dump" "$PGDATABASE" 2>&1 || fail "pg_dump of the database works"
cluster_psql -o /dev/null -c "CREATE DATABASE restored"
"$PG_BINDIR/pg_restore" --exit-on-error -d restored "$dump" 2>&1 ||
    fail "pg_restore of the database into a fresh one works"
restored="$(cluster_psql -d restored -At -c "SELECT count(*) FROM jobs.job_execution
                                              WHERE execution_id IN ($location_id, $body_id, $error_body_id)")"
[[ "$restored" == 3 ]] || fail "the runs are in the restored database: $restored"
trail="SELECT count(*) || ':' || coalesce(max(audit_id), 0) FROM jobs.job_audit"
[[ "$(cluster_psql -d restored -At -c "$trail")" == "$(value "$trail")" ]] ||
    fail "the restored audit trail is the original one (restored $(cluster_psql -d restored -At -c "$trail"), original $(value "$trail"))"
pass "pg_dump | pg_restore of the database works, with those runs and the audit trail in it"
