#!/usr/bin/env bash
# pg_jobs_web's JSON API, endpoint by endpoint, against a real cluster with
# password authentication: sign-in (a wrong password and an unknown role get
# the same answer; a role the server lets in without a password is refused),
# sessions (HttpOnly SameSite=Strict cookie, idle expiry, sign-out), what each
# role sees (a plain role never sees another role's jobs or runs), every
# action (with and without the CSRF token, from another origin, in a
# read-only session and with --read-only), validation with the engine's
# caret, live updates (SSE), /metrics and its token, TLS; no password in any log.
#
#   test/integration/web_api.sh      (needs pg_jobs and pg_jobs_web installed: make install)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh
# shellcheck source=test/lib/web.sh
source test/lib/web.sh

web_cluster_start web_api
cluster_psql -o /dev/null <<'SQL'
CREATE ROLE alice LOGIN PASSWORD 'alice-pw-Secret1';
CREATE ROLE bob LOGIN PASSWORD 'bob-pw-Secret2';
CREATE ROLE boss LOGIN PASSWORD 'boss-pw-Secret3' IN ROLE jobs_admin;
GRANT USAGE ON SCHEMA jobs TO alice, bob;
SET ROLE alice;
SELECT jobs.schedule('alice_report', '0 3 * * *', 'SELECT 1', tags => ARRAY['billing', 'nightly']);
SELECT jobs.schedule('alice_adhoc', NULL, 'SELECT pg_sleep(0.2)');
SELECT jobs.schedule('alice_slow', NULL, 'SELECT pg_sleep(60)');
SELECT jobs.alert('alice watch', 'alice_adhoc', jobs => ARRAY['alice_report']);
RESET ROLE;
SET ROLE bob;
SELECT jobs.schedule('bob_private', '@hourly', 'SELECT 2');
SELECT jobs.schedule('bob_adhoc', NULL, 'SELECT 3');
RESET ROLE;
SQL
alice_adhoc="$(value "SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'alice_adhoc'")"
alice_report="$(value "SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'alice_report'")"
alice_slow="$(value "SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'alice_slow'")"
bob_adhoc="$(value "SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'bob_adhoc'")"
bob_run="$(value "SELECT jobs.trigger($bob_adhoc)")"
wait_final "$bob_run" >/dev/null

web_start --session-idle 3600 --metrics-token metrics-token-xyz
tmp="$(mktemp -d)"
cluster_on_exit "rm -rf '$tmp'"
expect_status() {
    local want="$1" what="$2"
    [[ "$(web_status)" == "$want" ]] || fail "$what: HTTP $(web_status), expected $want"
}
json_has() { grep -q -- "$2" <<<"$1"; }

# --- Sign-in ---------------------------------------------------------------------
curl -fsS "$WEB_URL/healthz" | grep -q '"ok":true' || fail "healthz answers"
curl -fsS -o /dev/null -w '%{http_code}' "$WEB_URL/assets/index.html" | grep -q 200 || fail "the page is served"
pass "/healthz and the page's files are served"

wrong="$(curl -sS -d role=alice -d password=not-it "$WEB_URL/api/login")"
unknown="$(curl -sS -d role=no_such_role -d password=not-it "$WEB_URL/api/login")"
code="$(curl -sS -o /dev/null -w '%{http_code}' -d role=alice -d password=not-it "$WEB_URL/api/login")"
[[ "$code" == 401 ]] || fail "a wrong password is refused with 401 (got $code)"
[[ "$wrong" == "$unknown" ]] || fail "a wrong password and an unknown role get the same answer: '$wrong' / '$unknown'"
json_has "$wrong" "wrong role or password" || fail "the refusal says 'wrong role or password': $wrong"
pass "a wrong password is refused (401) with exactly the answer an unknown role gets: $wrong"

code="$(curl -sS -o /dev/null -w '%{http_code}' -d role=alice -d password= "$WEB_URL/api/login")"
[[ "$code" == 401 ]] || fail "an empty password is refused (got $code)"
code="$(curl -sS -o /dev/null -w '%{http_code}' -d role=postgres -d password=anything "$WEB_URL/api/login")"
[[ "$code" == 401 ]] || fail "postgres, let in by trust without a password, is refused (got $code)"
grep -q "without asking for its password" "$WEB_LOG" || fail "the log says why a trust sign-in was refused"
pass "an empty password, and a role the server lets in without asking for a password (trust), are refused"

code="$(curl -sS -o /dev/null -w '%{http_code}' -H 'Origin: http://evil.example' -d role=alice \
    -d password=alice-pw-Secret1 "$WEB_URL/api/login")"
[[ "$code" == 403 ]] || fail "a cross-origin sign-in is refused (got $code)"
pass "a sign-in posted from another origin is refused (403)"

headers="$(curl -sS -D - -o /dev/null -d role=alice -d password=alice-pw-Secret1 "$WEB_URL/api/login")"
grep -qi '^Set-Cookie: pg_jobs_web_session=[0-9a-f]\{64\}; Path=/; HttpOnly; SameSite=Strict' <<<"$headers" ||
    fail "the session cookie is HttpOnly and SameSite=Strict: $headers"
pass "the session cookie is HttpOnly; SameSite=Strict (and random, 256 bits)"

A="$tmp/alice" B="$tmp/boss" R="$tmp/readonly"
alice_token="$(web_login "$A" alice alice-pw-Secret1)"
expect_status 200 "alice signs in"
[[ "$alice_token" =~ ^[0-9a-f]{64}$ ]] || fail "sign-in returns a CSRF token"
boss_token="$(web_login "$B" boss boss-pw-Secret3)"
expect_status 200 "boss signs in"
ro_token="$(web_login "$R" alice alice-pw-Secret1 read_only)"
expect_status 200 "alice signs in read-only"
pass "sign-in as alice, boss (jobs_admin) and a read-only alice"

# --- Reading ------------------------------------------------------------------------
web_get "$tmp/none" /api/jobs >/dev/null
expect_status 401 "/api/jobs without a session"
for path in /api/session /api/overview /api/runs "/api/job?server=main&id=1" "/api/run?server=main&id=1" \
    "/api/validate?server=main&schedule=@daily" /api/events; do
    web_get "$tmp/none" "$path" --max-time 5 >/dev/null || true
    expect_status 401 "$path without a session"
done
pass "every read endpoint answers 401 without a session"

session="$(web_get "$A" /api/session)"
json_has "$session" '"role":"alice"' && json_has "$session" '"read_only":false' || fail "/api/session: $session"
json_has "$(web_get "$R" /api/session)" '"read_only":true' || fail "a read-only session says so"
pass "/api/session names the role and whether the session is read-only"

jobs_alice="$(web_get "$A" /api/jobs)"
expect_status 200 "/api/jobs as alice"
json_has "$jobs_alice" '"total" : 3' || fail "alice sees her 3 jobs: $jobs_alice"
json_has "$jobs_alice" 'bob_' && fail "alice sees one of bob's jobs: $jobs_alice"
jobs_boss="$(web_get "$B" /api/jobs)"
json_has "$jobs_boss" '"total" : 5' && json_has "$jobs_boss" bob_private || fail "boss (jobs_admin) sees all 5: $jobs_boss"
pass "/api/jobs: alice sees her 3 jobs and none of bob's; boss (jobs_admin) sees all 5"

for owner_filter in "owner=bob" "q=bob" "status=succeeded"; do
    out="$(web_get "$A" "/api/jobs?$owner_filter")"
    json_has "$out" bob_ && fail "alice sees bob's jobs with $owner_filter: $out"
done
json_has "$(web_get "$A" "/api/jobs?q=adhoc")" '"total" : 1' || fail "search q=adhoc finds one of alice's jobs"
json_has "$(web_get "$B" "/api/jobs?owner=bob")" '"total" : 2' || fail "owner=bob finds bob's 2 jobs for boss"
json_has "$(web_get "$B" "/api/jobs?status=succeeded")" '"job_name" : "bob_adhoc"' || fail "status=succeeded"
json_has "$(web_get "$B" "/api/jobs?status=never")" '"total" : 4' || fail "status=never: the 4 jobs never run"
# Last status (jobs.job_last_run, kept as runs end): bob_adhoc's run succeeded.
json_has "$(web_get "$B" "/api/jobs?status=succeeded")" '"total" : 1' || fail "status=succeeded: bob_adhoc only"
json_has "$(web_get "$B" "/api/jobs?status=failed")" '"total" : 0' || fail "status=failed: none"
for dir in asc desc; do
    first="$(web_get "$B" "/api/jobs?sort=last_status&dir=$dir&per_page=1")"
    json_has "$first" '"job_name" : "bob_adhoc"' && json_has "$first" '"last_status" : "succeeded"' ||
        fail "sort=last_status&dir=$dir: the job that ran first, the jobs never run last: $first"
    last="$(web_get "$B" "/api/jobs?sort=last_status&dir=$dir&per_page=2&page=3")"
    json_has "$last" '"total" : 5' && json_has "$last" '"last_status" : null' ||
        fail "sort=last_status&dir=$dir, the last page: a job never run: $last"
done
json_has "$(web_get "$B" "/api/jobs?kind=http")" '"total" : 0' || fail "kind=http: none"
page2="$(web_get "$B" "/api/jobs?sort=name&dir=desc&per_page=2&page=2")"
json_has "$page2" '"total" : 5' || fail "pagination keeps the total: $page2"
[[ "$(grep -o '"job_name" : "[a-z_]*"' <<<"$page2" | tr '\n' ' ')" == '"job_name" : "alice_slow" "job_name" : "alice_report" ' ]] ||
    fail "name descending, page 2 of 2 per page: $page2"
web_get "$B" "/api/jobs?sort=1;DROP%20TABLE%20x" >/dev/null
expect_status 200 "an unknown sort column is ignored"
json_has "$(web_get "$A" "/api/jobs?tag=billing")" '"total" : 1' || fail "tag=billing finds alice_report"
json_has "$(web_get "$A" "/api/jobs?tag=billing")" '"tags" : \["billing","nightly"\]' || fail "the jobs page shows tags"
json_has "$(web_get "$A" "/api/jobs?tag=other")" '"total" : 0' || fail "tag=other finds nothing"
pass "/api/jobs: search, owner, status (last status too), kind and tag filters, sort (by last status too, jobs never run last) and pagination (an unknown sort column is ignored)"

job="$(web_get "$A" "/api/job?server=main&id=$alice_report")"
json_has "$job" '"describe" : "at 03:00 every day, UTC time"' || fail "the job's schedule in words: $job"
next_runs="$(grep -o '"next_runs" : \[[^]]*\]' <<<"$job")"
[[ "$(grep -o 'T03:00:00+00:00' <<<"$next_runs" | wc -l)" == 10 ]] || fail "the job's next 10 fire times: $job"
json_has "$job" '"changed_by":"alice","action":"created"' || fail "the job's audit trail: $job"
json_has "$job" '"explain" : \["' || fail "the job page carries jobs.explain's reasons: $job"
web_get "$A" "/api/job?server=main&id=$bob_adhoc" >/dev/null
expect_status 404 "alice asks for bob's job"
web_get "$A" "/api/job?server=main&id=abc" >/dev/null
expect_status 400 "a job id that is not a number"
web_get "$A" "/api/job?server=other&id=1" >/dev/null
expect_status 404 "a server that does not exist"
pass "/api/job: definition, schedule in words, 10 next fire times, jobs.explain, audit trail; bob's job is 404 for alice"

runs_alice="$(web_get "$A" /api/runs)"
json_has "$runs_alice" bob_adhoc && fail "alice sees bob's run: $runs_alice"
json_has "$(web_get "$B" /api/runs)" bob_adhoc || fail "boss sees bob's run"
web_get "$A" "/api/run?server=main&id=$bob_run" >/dev/null
expect_status 404 "alice asks for bob's run"
json_has "$(web_get "$B" "/api/run?server=main&id=$bob_run")" '"status": "succeeded"' || fail "/api/run as boss"
pass "/api/runs and /api/run: alice never sees bob's run (404); boss does"

overview="$(web_get "$A" /api/overview)"
json_has "$overview" '"jobs" : 3' || fail "alice's overview counts her jobs only: $overview"
json_has "$overview" '"scheduler_up":true' || fail "the overview says the scheduler is up: $overview"
json_has "$overview" '"health" : {"status" : "ok", "reasons" : ' ||
    fail "the overview gives jobs.health()'s status and reasons: $overview"
alerts="$(web_get "$A" /api/alerts)"
python3 - "$alerts" <<'PY' || fail "alice's alerts page lists her alert: $alerts"
import json, sys
results = json.loads(sys.argv[1])["results"]
alerts = results[0]["data"]
assert [a["alert_name"] for a in alerts] == ["alice watch"], alerts
a = alerts[0]
assert a["handler"] == "alice_adhoc" and a["watched_jobs"] == ["alice_report"], a
assert a["events"] == ["failed", "recovered"] and a["firing"] in (None, False) and a["jobs"] == [], a
PY
pass "/api/alerts: the signed-in role's alerts, their rule and state"
pass "/api/overview: scheduler up (through the dashboard's own connection), health ok, alice's counts only"

bad="$(web_get "$A" "/api/validate?server=main&schedule=61+*+*+*+*")"
expect_status 422 "a bad schedule"
json_has "$bad" 'out of range 0-59' && json_has "$bad" '"detail":"at character 1 of \\"61 \* \* \* \*\\":\\n  61 \* \* \* \*\\n  ^"' ||
    fail "the engine's error with its caret: $bad"
good="$(web_get "$A" "/api/validate?server=main&schedule=*/5+*+*+*+*&timezone=Europe/Berlin")"
json_has "$good" '"description" : "every 5 minutes, Europe/Berlin time"' || fail "a good schedule in words: $good"
pass "/api/validate: the engine's error with its caret (422), or the schedule in words and next runs"

# --- Changing -------------------------------------------------------------------------
before="$(value "SELECT count(*) FROM jobs.job_execution")"
web_post "$A" "" /api/job/trigger -d server=main -d "id=$alice_adhoc" >/dev/null
expect_status 403 "a trigger without the CSRF token"
web_post "$A" "$boss_token" /api/job/trigger -d server=main -d "id=$alice_adhoc" >/dev/null
expect_status 403 "a trigger with another session's CSRF token"
web_post "$A" "$alice_token" /api/job/trigger -H 'Origin: http://evil.example' -d server=main -d "id=$alice_adhoc" >/dev/null
expect_status 403 "a trigger from another origin"
[[ "$(value "SELECT count(*) FROM jobs.job_execution")" == "$before" ]] || fail "a refused trigger queued a run"
pass "POST without the session's CSRF token (none, another session's, another origin) is refused (403) and changes nothing"

for action in trigger enable disable delete schedule; do
    web_post "$R" "$ro_token" "/api/job/$action" -d server=main -d "id=$alice_adhoc" -d 'schedule=@daily' >/dev/null
    expect_status 403 "$action in a read-only session"
done
web_post "$R" "$ro_token" /api/run/cancel -d server=main -d "id=$bob_run" >/dev/null
expect_status 403 "cancel in a read-only session"
[[ "$(value "SELECT count(*) FROM jobs.job_execution")" == "$before" ]] || fail "a read-only session queued a run"
holds "SELECT enabled AND schedule IS NULL FROM jobs.scheduled_job WHERE job_id = $alice_adhoc" ||
    fail "a read-only session changed a job"
pass "a read-only session can change nothing (trigger, enable, disable, delete, schedule, cancel: 403)"

out="$(web_post "$A" "$alice_token" /api/job/trigger -d server=main -d "id=$alice_adhoc" --data-urlencode 'payload={"n": 7}')"
expect_status 200 "alice triggers her job"
run="$(sed -n 's/.*"execution_id" : \([0-9]*\).*/\1/p' <<<"$out")"
[[ "$(wait_final "$run")" == succeeded ]] || fail "the triggered run succeeds"
holds "SELECT payload = '{\"n\": 7}' AND triggered_by_user = 'alice' FROM jobs.job_execution WHERE execution_id = $run" ||
    fail "the run carries the payload and was triggered by alice"
web_post "$A" "$alice_token" /api/job/trigger -d server=main -d "id=$bob_adhoc" >/dev/null
expect_status 404 "alice triggers bob's job"
web_post "$A" "$alice_token" /api/job/trigger -d server=main -d "id=$alice_adhoc" -d 'payload={bad' >/dev/null
expect_status 400 "a payload that is not JSON"
pass "trigger: runs as alice with the payload; bob's job is 404; a bad payload is 400"

web_post "$A" "$alice_token" /api/job/disable -d server=main -d "id=$alice_report" >/dev/null
expect_status 200 "disable"
holds "SELECT NOT enabled FROM jobs.scheduled_job WHERE job_id = $alice_report" || fail "disable disables"
web_post "$A" "$alice_token" /api/job/enable -d server=main -d "id=$alice_report" >/dev/null
expect_status 200 "enable"
holds "SELECT enabled FROM jobs.scheduled_job WHERE job_id = $alice_report" || fail "enable enables"
web_post "$A" "$alice_token" /api/job/disable -d server=main -d "id=$bob_adhoc" >/dev/null
expect_status 404 "alice disables bob's job"
holds "SELECT enabled FROM jobs.scheduled_job WHERE job_id = $bob_adhoc" || fail "bob's job is still enabled"
pass "enable and disable alice's job; bob's job is 404 and stays enabled"

bad="$(web_post "$A" "$alice_token" /api/job/schedule -d server=main -d "id=$alice_report" --data-urlencode 'schedule=0 25 * * *')"
expect_status 400 "a bad schedule is refused"
json_has "$bad" '\^' || fail "the refusal carries the caret: $bad"
web_post "$A" "$alice_token" /api/job/schedule -d server=main -d "id=$alice_report" --data-urlencode 'schedule=15 4 * * *' \
    -d timezone=Europe/Paris >/dev/null
expect_status 200 "a new schedule"
holds "SELECT schedule = '15 4 * * *' AND timezone = 'Europe/Paris' FROM jobs.scheduled_job WHERE job_id = $alice_report" ||
    fail "the schedule and time zone changed"
pass "schedule: a bad one refused with the caret; a good one saved with its time zone"

slow="$(sed -n 's/.*"execution_id" : \([0-9]*\).*/\1/p' <<<"$(web_post "$A" "$alice_token" /api/job/trigger -d server=main -d "id=$alice_slow")")"
wait_until 30 "SELECT status = 'running' FROM jobs.job_execution WHERE execution_id = $slow"
web_post "$A" "$alice_token" /api/run/cancel -d server=main -d "id=$bob_run" >/dev/null
expect_status 404 "alice cancels bob's run"
out="$(web_post "$A" "$alice_token" /api/run/cancel -d server=main -d "id=$slow")"
expect_status 200 "alice cancels her running run"
[[ "$(wait_final "$slow")" == cancelled ]] || fail "the running run ends cancelled"
pass "cancel: alice's running run ends cancelled; bob's run is 404"

web_post "$A" "$alice_token" /api/job/delete -d server=main -d "id=$bob_adhoc" >/dev/null
expect_status 404 "alice deletes bob's job"
web_post "$A" "$alice_token" /api/job/delete -d server=main -d "id=$alice_slow" >/dev/null
expect_status 200 "alice deletes her job"
holds "SELECT NOT EXISTS (SELECT FROM jobs.scheduled_job WHERE job_id = $alice_slow)
       AND EXISTS (SELECT FROM jobs.scheduled_job WHERE job_id = $bob_adhoc)" || fail "delete removed the right job"
pass "delete: alice's job is gone; bob's (404) stays"

# --- Live updates ------------------------------------------------------------------------
curl -sS -N -b "$A" --max-time 6 "$WEB_URL/api/events" >"$tmp/events" 2>/dev/null &
stream=$!
wait_for 10 grep -q '"type":"status"' "$tmp/events" || fail "the event stream starts with the servers' status"
value "SELECT jobs.trigger($bob_adhoc)" >/dev/null
wait_for 10 grep -q '"type":"change","server":"main"' "$tmp/events" || fail "a run makes a change event: $(cat "$tmp/events")"
grep -q "bob_adhoc\|\"job_id\"" "$tmp/events" && fail "the event stream names a job: $(cat "$tmp/events")"
wait "$stream" || true
live="$(value "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_jobs_web live'")"
[[ "$live" == 1 ]] || fail "one live-update connection per server (found $live)"
pass "/api/events: a status message, then a change event for any run (naming no job); one LISTEN connection"

# --- Metrics -----------------------------------------------------------------------------
code="$(curl -sS -o /dev/null -w '%{http_code}' "$WEB_URL/metrics")"
[[ "$code" == 401 ]] || fail "/metrics without its token (got $code)"
code="$(curl -sS -o /dev/null -w '%{http_code}' -b "$B" -H 'Authorization: Bearer wrong' "$WEB_URL/metrics")"
[[ "$code" == 401 ]] || fail "/metrics with a wrong token, even signed in (got $code)"
code="$(curl -sS -o "$tmp/metrics" -w '%{http_code}' -H 'Authorization: Bearer metrics-token-xyz' "$WEB_URL/metrics")"
if holds "SELECT to_regprocedure('jobs.metrics()') IS NOT NULL"; then
    [[ "$code" == 200 ]] || fail "/metrics with its token (got $code): $(cat "$tmp/metrics")"
    pass "/metrics serves jobs.metrics() with its token only"
else
    [[ "$code" == 503 ]] && grep -q "jobs.metrics() failed" "$tmp/metrics" ||
        fail "/metrics says jobs.metrics() is missing (got $code): $(cat "$tmp/metrics")"
    pass "/metrics needs its token; this server has no jobs.metrics() yet, and /metrics says so (503)"
fi

# --- Sign-out, idle expiry ------------------------------------------------------------------
web_post "$A" "" /api/logout -d x=1 >/dev/null
expect_status 403 "sign-out without the CSRF token"
web_post "$A" "$alice_token" /api/logout -d x=1 >/dev/null
expect_status 200 "sign-out"
web_get "$A" /api/jobs >/dev/null
expect_status 401 "after sign-out"
pass "sign-out (with the CSRF token) ends the session"

_web_stop
web_start --session-idle 2 --read-only
web_login "$A" alice alice-pw-Secret1 >/dev/null
alice_token="$(sed -n 's/.*"csrf_token":"\([0-9a-f]*\)".*/\1/p' <<<"$(web_get "$A" /api/session)")"
json_has "$(web_get "$A" /api/session)" '"read_only":true' || fail "--read-only makes every session read-only"
web_post "$A" "$alice_token" /api/job/trigger -d server=main -d "id=$alice_adhoc" >/dev/null
expect_status 403 "a trigger with --read-only"
pass "--read-only: every session is read-only; a trigger is refused (403)"
# Asking would keep the session alive: watch the session count instead.
wait_for 10 bash -c "curl -fsS '$WEB_URL/healthz' | grep -q '\"sessions\":0'" || fail "an idle session expires"
web_get "$A" /api/jobs >/dev/null
expect_status 401 "an expired session"
pass "a session idle longer than --session-idle expires (401)"

# --- One role cannot take the dashboard for itself ----------------------------------------
# Each sign-in holds a connection per server, each live stream a server
# thread: a role keeps at most --sessions-per-role sessions (one more
# sign-in ends its least recently used), at most 8 live streams, and all
# roles together at most a quarter of the threads (--threads 48: 12).
_web_stop
web_start --threads 48 --sessions-per-role 3
for i in 1 2 3 4; do
    web_login "$tmp/alice$i" alice alice-pw-Secret1 >/dev/null
    expect_status 200 "alice's sign-in $i"
done
web_get "$tmp/alice1" /api/jobs >/dev/null
expect_status 401 "alice's least recently used session, after a fourth sign-in"
for i in 2 3 4; do
    web_get "$tmp/alice$i" /api/jobs >/dev/null
    expect_status 200 "alice's session $i"
done
alice_connections() {
    value "SELECT count(*) FROM pg_stat_activity WHERE usename = 'alice' AND application_name = 'pg_jobs_web'"
}
alice_connections_at_most_3() { (($(alice_connections) <= 3)); }
wait_for 10 alice_connections_at_most_3 ||
    fail "alice keeps one connection per session, 3 at most (found $(alice_connections))"
pass "--sessions-per-role 3: a fourth sign-in ends alice's least recently used session; 3 connections"

streams=()
open_stream() { # jar file
    curl -sS -N -b "$1" --max-time 60 "$WEB_URL/api/events" >"$2" 2>/dev/null &
    streams+=($!)
    wait_for 10 grep -q '"type":"status"' "$2" || fail "a live stream opens ($2: $(cat "$2"))"
}
for i in 1 2 3 4 5 6 7 8; do
    open_stream "$tmp/alice$((2 + i % 3))" "$tmp/alice_stream$i"
done
code="$(curl -sS -o "$tmp/refused" -w '%{http_code}' -b "$tmp/alice4" --max-time 10 "$WEB_URL/api/events")"
[[ "$code" == 429 ]] || fail "alice's ninth live stream is refused with 429 (got $code: $(cat "$tmp/refused"))"
grep -q "too many live streams for this role (8)" "$tmp/refused" || fail "the refusal says why: $(cat "$tmp/refused")"
web_login "$tmp/bob" bob bob-pw-Secret2 >/dev/null
for i in 1 2 3 4; do
    open_stream "$tmp/bob" "$tmp/bob_stream$i"
done
web_login "$tmp/boss" boss boss-pw-Secret3 >/dev/null
code="$(curl -sS -o "$tmp/refused" -w '%{http_code}' -b "$tmp/boss" --max-time 10 "$WEB_URL/api/events")"
[[ "$code" == 503 ]] || fail "a live stream past a quarter of the threads is refused with 503 (got $code)"
curl -fsS --max-time 5 "$WEB_URL/healthz" | grep -q '"ok":true' || fail "requests are served while every stream is open"
web_get "$tmp/boss" /api/jobs >/dev/null
expect_status 200 "boss's request while every stream is open"
kill "${streams[@]}" 2>/dev/null || true
wait "${streams[@]}" 2>/dev/null || true
# A closed stream gives its place back once the server notices (its next
# write: at most 5 s).
wait_for 20 bash -c "curl -sS -o /dev/null -w '%{http_code}' -b '$tmp/boss' --max-time 2 '$WEB_URL/api/events' | grep -q 200" ||
    fail "closed streams give their places back"
pass "live streams: 8 per role (429 past them), a quarter of the threads in all (503); requests still served; places come back"

# --- TLS ----------------------------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
    >/dev/null 2>&1
_web_stop
web_start --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" || fail "pg_jobs_web serves HTTPS"
headers="$(curl -sS -k -D - -o /dev/null -d role=alice -d password=alice-pw-Secret1 "$WEB_URL/api/login")"
grep -qi '^Set-Cookie: .*; Secure' <<<"$headers" || fail "over TLS the cookie is Secure: $headers"
pass "--tls-cert/--tls-key: HTTPS, and the session cookie is Secure"

# --- No password in any log ------------------------------------------------------------------
for secret in alice-pw-Secret1 boss-pw-Secret3; do
    grep -q -- "$secret" "$WEB_LOG" "$CLUSTER_LOG" && fail "a password is in a log"
done
pass "no password appears in the dashboard's log or the server log"
