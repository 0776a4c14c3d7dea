#!/usr/bin/env bash
# Alerts with real workers (issue 13, "Alerts"): a failing job alerts once
# through an SQL handler job (which records its payload in a table) and
# through an HTTP handler (the recording test server), alerts again after
# repeat_after while it keeps failing, then sends recovered once; a run still
# running after long_running_after alerts once; a storm of 50 failing jobs
# reaches the handler as one batched payload listing them all; a scheduled
# time skipped by the overlap policy alerts as missed.
#
#   test/integration/alerts.sh      (needs pg_jobs installed: make install)
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
# A short window keeps the test quick; the storm below still lands in one.
scheduler_start alerts "jobs.alert_window = '2s'" "jobs.max_workers = 4" "jobs.min_schedule_interval = '1s'"

cluster_psql -o /dev/null <<SQL
CREATE TABLE public.received (id bigserial PRIMARY KEY, handler text, payload jsonb,
                              at timestamptz DEFAULT clock_timestamp());
-- Each event delivered: a payload, or each item of a batched one.
CREATE VIEW public.delivered AS
SELECT r.id, r.handler, i.item ->> 'event' AS event, i.item
FROM public.received AS r,
     LATERAL (SELECT r.payload AS item WHERE NOT r.payload ? 'items'
              UNION ALL SELECT jsonb_array_elements(r.payload -> 'items')) AS i;
-- The switch of the failing job: while public.broken has a row it fails.
CREATE TABLE public.broken (x int);
INSERT INTO public.broken VALUES (1);
CREATE ROLE alice LOGIN;
GRANT USAGE ON SCHEMA jobs TO alice;
GRANT INSERT, SELECT ON public.received TO alice;
GRANT USAGE ON SEQUENCE public.received_id_seq TO alice;
GRANT SELECT ON public.broken TO alice;
SQL
as_alice() { cluster_psql -U alice -At -c "$1"; }
# alice's jobs: a handler that records its payload, and a job failing while public.broken has a row.
as_alice "SELECT jobs.schedule('record alert', NULL,
  \$\$INSERT INTO public.received (handler, payload) VALUES ('sql', jobs.context() -> 'payload')\$\$)" >/dev/null
as_alice "SELECT jobs.schedule_http('post alert', NULL, '$base/record/alert')" >/dev/null
as_alice "SELECT jobs.schedule('nightly-report', '1 second',
  'SELECT 1 / (1 - (SELECT count(*) FROM public.broken))::int', max_retries => 1,
  retry_backoff => '100 milliseconds')" >/dev/null
as_alice "SELECT jobs.alert('report failed', 'record alert', ARRAY['nightly-report'], repeat_after => '3 seconds')" \
    >/dev/null
as_alice "SELECT jobs.alert('report failed (http)', 'post alert', ARRAY['nightly-report'],
                            repeat_after => '1 hour')" >/dev/null
pass "alice defined a failing job, two handlers and two alerts"

sql_deliveries() { value "SELECT count(*) FROM public.delivered WHERE handler = 'sql' AND $1"; }
http_deliveries() {
    received | python3 -c 'import json, sys
print(sum(1 for r in json.load(sys.stdin) if r["path"] == "/record/alert"))'
}

# --- failed: once, with the payload of the contract ---------------------------------------
wait_for 60 count_at_least 1 "SELECT count(*) FROM public.received WHERE payload ->> 'event' = 'failed'" ||
    fail "a failed alert reached the SQL handler: $(value "SELECT * FROM jobs.alert_status")"
payload="$(value "SELECT payload FROM public.received WHERE handler = 'sql' ORDER BY id LIMIT 1")"
PAYLOAD="$payload" python3 - <<'PY'
import json, os
p = json.loads(os.environ["PAYLOAD"])
assert p["alert"] == "report failed", p
assert p["event"] == "failed", p
job = p["job"]
assert job["job_name"] == "nightly-report" and job["owner"] == "alice" and job["schedule"] == "1 second", job
run = p["run"]
for key in ("execution_id", "status", "attempt", "scheduled_for", "started_at", "duration", "error", "sqlstate",
            "http_status"):
    assert key in run, (key, run)
assert run["status"] == "failed" and run["attempt"] == 2 and run["sqlstate"] == "22012", run
assert p["summary"] == 'job "nightly-report" failed after 2 attempts: division by zero', p["summary"]
assert p["firing_since"] is not None, p
PY
pass "the failed alert names the job, its last attempt (2, no retry left) and the error: $(value "SELECT payload ->> 'summary' FROM public.received ORDER BY id LIMIT 1")"

http_at_least() { (($(http_deliveries) >= $1)); }
wait_for 60 http_at_least 1 || fail "the failed alert reached the HTTP handler"
received | python3 -c 'import json, sys
reqs = [r for r in json.load(sys.stdin) if r["path"] == "/record/alert"]
body = json.loads(reqs[0]["body"])
p = body["payload"]
assert p["alert"] == "report failed (http)" and p["event"] == "failed", p
assert p["job"]["job_name"] == "nightly-report", p' || fail "the HTTP handler received the alert as its payload"
pass "the HTTP handler received the same alert in its request body's payload"

# The job keeps failing every second: the SQL alert repeats after its 3 s, the HTTP one (1 hour) does not.
first_at="$(value "SELECT min(at) FROM public.received WHERE handler = 'sql'")"
wait_for 60 count_at_least 2 "SELECT count(*) FROM public.delivered WHERE handler = 'sql' AND event = 'failed'" ||
    fail "the failed alert repeats after repeat_after while the job keeps failing"
gap="$(value "SELECT extract(epoch FROM (SELECT at FROM public.received WHERE handler = 'sql' ORDER BY id OFFSET 1 LIMIT 1) - '$first_at'::timestamptz)")"
# Decided at a pass, delivered with its batch: the gap is repeat_after give or take a pass (window / 4).
[[ "$(value "SELECT $gap >= 2.5")" == t ]] || fail "the repeat came about repeat_after (3 s) later, not after ${gap}s"
value "SELECT count(*) FROM jobs.job_execution WHERE job_name = 'nightly-report' AND status = 'failed' AND attempt = 2" |
    { read -r n; ((n >= 3)) || fail "the job failed more often than it was reported ($n final failures)"; }
[[ "$(http_deliveries)" == 1 ]] || fail "the HTTP alert (repeat_after 1 hour) was delivered once, not $(http_deliveries) times"
status="$(as_alice "SELECT firing, deliveries, suppressed > 0, last_handler_execution_id IS NOT NULL,
                           cardinality(handler_execution_ids)
                    FROM jobs.alert_status WHERE alert_name = 'report failed (http)'")"
[[ "$status" == "t|1|t|t|1" ]] || fail "alert_status: firing, 1 delivery, repeats suppressed, its handler run ($status)"
pass "repeated after ${gap}s (repeat_after 3 s); the 1-hour alert stayed at one delivery, later failures counted as suppressed"

# --- recovered: once ------------------------------------------------------------------------
value "DELETE FROM public.broken" >/dev/null
wait_for 60 count_at_least 1 "SELECT count(*) FROM public.delivered WHERE event = 'recovered'" ||
    fail "a recovered alert reached the SQL handler"
wait_for 30 http_at_least 2 || fail "a recovered alert reached the HTTP handler"
summary="$(value "SELECT item ->> 'summary' FROM public.delivered WHERE event = 'recovered'")"
[[ "$summary" == 'job "nightly-report" recovered: run '* ]] || fail "the recovered summary ($summary)"
# Later successes send nothing more: wait for two more passes and count.
sleep_passes_until="$(value "SELECT clock_timestamp() + interval '5 seconds'")"
wait_until 20 "SELECT clock_timestamp() > '$sleep_passes_until'" || true
[[ "$(sql_deliveries "event = 'recovered'")" == 1 ]] || fail "recovered was sent once"
[[ "$(http_deliveries)" == 2 ]] || fail "the HTTP handler got failed and recovered only ($(http_deliveries))"
[[ "$(as_alice "SELECT bool_or(firing) FROM jobs.alert_status")" == f ]] || fail "no alert fires after the recovery"
pass "recovered sent once to each handler ($summary)"

# --- a role sees only its own alerts -------------------------------------------------------
cluster_psql -o /dev/null -c "SELECT jobs.schedule('admin handler', NULL, 'SELECT 1')"
cluster_psql -o /dev/null -c "SELECT jobs.alert('admin watch', 'admin handler')"
[[ "$(as_alice "SELECT count(DISTINCT alert_name) FROM jobs.alert_status")" == 2 ]] ||
    fail "alice sees her two alerts, not the superuser's"
pass "alert_status shows alice only her own alerts"

# --- long_running ---------------------------------------------------------------------------
as_alice "SELECT jobs.schedule('slow', NULL, 'SELECT pg_sleep(6)')" >/dev/null
as_alice "SELECT jobs.alert('slow runs', 'record alert', ARRAY['slow'], events => '{long_running}',
                            long_running_after => '2 seconds')" >/dev/null
slow_id="$(as_alice "SELECT jobs.trigger('slow')")"
wait_for 30 count_at_least 1 "SELECT count(*) FROM public.delivered WHERE event = 'long_running'" ||
    fail "a run still running after long_running_after alerts"
[[ "$(value "SELECT item -> 'run' ->> 'execution_id' FROM public.delivered WHERE event = 'long_running'")" == "$slow_id" ]] ||
    fail "the long_running alert names the run"
[[ "$(wait_final "$slow_id")" == succeeded ]] || fail "the slow run succeeds"
[[ "$(sql_deliveries "event = 'long_running'")" == 1 ]] || fail "long_running is sent once per run"
pass "long_running sent once for run $slow_id"

# --- missed: a scheduled time skipped by the overlap policy --------------------------------
as_alice "SELECT jobs.schedule('overlapping', '1 second', 'SELECT pg_sleep(3)')" >/dev/null
as_alice "SELECT jobs.alert('missed times', 'record alert', ARRAY['overlapping'], events => '{missed}')" >/dev/null
wait_for 40 count_at_least 1 "SELECT count(*) FROM public.delivered WHERE event = 'missed'" ||
    fail "a scheduled time skipped by overlap alerts as missed"
summary="$(value "SELECT item ->> 'summary' FROM public.delivered WHERE event = 'missed' LIMIT 1")"
[[ "$summary" == *'overlap skip'* ]] || fail "the missed summary says why ($summary)"
as_alice "SELECT jobs.unschedule('overlapping')" >/dev/null
pass "missed: $summary"

# --- a storm: 50 jobs failing at once make one delivery ------------------------------------
cluster_psql -o /dev/null <<'SQL'
SELECT jobs.schedule('storm handler', NULL,
  $$INSERT INTO public.received (handler, payload) VALUES ('storm', jobs.context() -> 'payload')$$);
SELECT jobs.schedule(format('storm %s', i), NULL, 'SELECT 1 / 0') FROM generate_series(1, 50) AS i;
SELECT jobs.alert('storm', 'storm handler', (SELECT array_agg(format('storm %s', i)) FROM generate_series(1, 50) i),
                  events => '{failed}');
SQL
# The window is 2 s here; a 20 s one keeps all 50 in one pass however slowly they run on a busy machine.
cluster_psql -o /dev/null -c "ALTER SYSTEM SET jobs.alert_window = '20s'" -c "SELECT pg_reload_conf()"
value "SELECT count(jobs.trigger(format('storm %s', i))) FROM generate_series(1, 50) AS i" >/dev/null
wait_until 60 "SELECT count(*) = 50 FROM jobs.job_execution WHERE job_name LIKE 'storm %' AND status = 'failed'" ||
    fail "the 50 storm jobs failed"
wait_for 60 count_at_least 1 "SELECT count(*) FROM public.received WHERE handler = 'storm'" ||
    fail "the storm reached its handler"
storm="$(value "SELECT count(*) || ' ' || (SELECT payload ->> 'count' FROM public.received WHERE handler = 'storm')
               || ' ' || (SELECT jsonb_array_length(payload -> 'jobs') FROM public.received WHERE handler = 'storm')
               || ' ' || (SELECT payload ->> 'batched' FROM public.received WHERE handler = 'storm')
               FROM public.received WHERE handler = 'storm'")"
[[ "$storm" == "1 50 50 true" ]] || fail "one batched delivery listing the 50 jobs (deliveries, count, jobs, batched: $storm)"
[[ "$(value "SELECT count(*) FROM jobs.alert_status WHERE alert_name = 'storm' AND deliveries = 1 AND firing")" == 50 ]] ||
    fail "alert_status: each of the 50 jobs fires, with that one delivery"
pass "50 failing jobs: one delivery listing them ($(value "SELECT payload ->> 'summary' FROM public.received WHERE handler = 'storm'" | cut -c1-100)...)"
