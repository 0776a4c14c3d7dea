#!/usr/bin/env bash
# Jobs that speak to people (issue 13), with real workers:
#   - an e-mail job defined by an unprivileged role, triggered with a
#     payload, delivers one message to a real SMTP server on loopback
#     (test/lib/smtp_test_server.py, Debian's python3-aiosmtpd): envelope,
#     subject and body with their placeholders filled, the run recorded like
#     an HTTP run (status, SMTP reply code, timings);
#   - a recipient refused for good (550) fails the run without a retry, even
#     with retries left; one refused for now (451) is retried until the
#     retries run out;
#   - the host policy (jobs.http_allowed_hosts) applies to the mail server
#     when the run connects, not only when the job is defined;
#   - an HTTP job with send => 'body' posts its body with the placeholders
#     filled, JSON-escaped, to the recording HTTP server (a Slack-style
#     webhook); a path absent from the payload becomes "";
#   - an alert whose handler is an e-mail job mails the summary of a failure
#     once (and not again within repeat_after).
#
#   test/integration/email_jobs.sh      (needs pg_jobs installed: make install)
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

# --- The servers ---------------------------------------------------------------------------
http_test_server_start
mail_dir="$(mktemp -d /tmp/pg_jobs.smtp_server.XXXXXX)"
test/lib/smtp_test_server.py --port 0 --record-dir "$mail_dir" >"$mail_dir/out" 2>&1 &
mail_pid=$!
cluster_on_exit "kill $mail_pid 2>/dev/null; rm -rf '$mail_dir'"
wait_for 20 test -s "$mail_dir/out" || fail "the test SMTP server starts"
mail_port="$(head -n 1 "$mail_dir/out")"
[[ "$mail_port" =~ ^[0-9]+$ ]] || fail "the test SMTP server prints its port: $(cat "$mail_dir/out")"
smtp="smtp://127.0.0.1:$mail_port"
messages() { find "$mail_dir" -name '*.json' | wc -l; }

scheduler_start email_jobs "jobs.alert_window = '1s'"
cluster_psql -o /dev/null <<SQL
CREATE ROLE mailer LOGIN;
GRANT USAGE ON SCHEMA jobs TO mailer;
SQL
as_mailer() { cluster_psql -At -c "SET ROLE mailer" -c "$1"; }
field() { value "SELECT $2 FROM jobs.job_execution WHERE execution_id = $1"; }

# --- A triggered e-mail job delivers its message ---------------------------------------------
as_mailer "SELECT jobs.schedule_email('notify', NULL, '$smtp', 'pg_jobs@example.com',
                                      ARRAY['ops@example.com', 'dba@example.com'],
                                      'Job {{payload.job}} failed ({{attempt}})',
                                      E'{{payload.summary}}\n.a line with a dot\nrun {{execution_id}} by {{triggered_by}}{{payload.none}}')" >/dev/null
id="$(as_mailer "SELECT jobs.trigger('notify', '{\"job\": \"nightly-report\", \"summary\": \"division by zero\"}')" | tail -n 1)"
[[ "$(wait_final "$id")" == succeeded ]] || fail "the e-mail job succeeds: $(show_executions)"
[[ "$(messages)" == 1 ]] || fail "the SMTP server received one message, not $(messages)"
MESSAGE="$(cat "$mail_dir/1.json")" python3 - "$id" <<'PY' || fail "the message arrives as defined: $(cat "$mail_dir/1.json")"
import json, os, sys
execution_id = sys.argv[1]
m = json.loads(os.environ["MESSAGE"])
assert m["mail_from"] == "pg_jobs@example.com", m["mail_from"]
assert m["rcpt_tos"] == ["ops@example.com", "dba@example.com"], m["rcpt_tos"]
head, _, body = m["data"].partition("\r\n\r\n")
headers = head.split("\r\n")
assert "Subject: Job nightly-report failed (1)" in headers, headers
assert "From: pg_jobs@example.com" in headers, headers
assert any(h.startswith("Message-ID: <pg_jobs." + execution_id + ".") for h in headers), headers
assert body == "division by zero\r\n.a line with a dot\r\nrun " + execution_id + " by manual\r\n", repr(body)
PY
pass "a triggered e-mail job delivers one message: envelope, subject and body filled from its context"
[[ "$(field "$id" "row(kind, http_status, error IS NULL, http_timing ? 'total_ms', owner_name)")" == "(email,250,t,t,mailer)" ]] ||
    fail "the run is recorded like an HTTP run: $(field "$id" "row(kind, http_status, error, http_timing, owner_name)")"
pass "the run records kind email, the SMTP reply 250, its timings and its owner"

# --- A permanent refusal fails at once; a transient one is retried -----------------------------
as_mailer "SELECT jobs.schedule_email('refused', NULL, '$smtp', 'pg_jobs@example.com', ARRAY['reject@example.com'],
                                      's', 'b', max_retries => 3, retry_backoff => '1 second')" >/dev/null
id="$(as_mailer "SELECT jobs.trigger('refused')" | tail -n 1)"
[[ "$(wait_final "$id")" == failed ]] || fail "a refused recipient fails the run: $(show_executions)"
[[ "$(field "$id" "http_status")" == 550 ]] || fail "the run records the SMTP reply 550: $(field "$id" "row(http_status, error)")"
[[ "$(field "$id" "error LIKE 'SMTP 550 (permanent): %'")" == t ]] || fail "the error says SMTP 550: $(field "$id" error)"
# The retry of a failed run is queued in the transaction that records the
# failure: none now means none ever.
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE job_name = 'refused'")" == 1 ]] ||
    fail "a 550 is not retried: $(show_executions "job_name = 'refused'")"
[[ "$(messages)" == 1 ]] || fail "nothing was delivered for the refused recipient"
pass "a recipient refused with 550 fails the run without a retry (retries left: 3)"

as_mailer "SELECT jobs.schedule_email('busy', NULL, '$smtp', 'pg_jobs@example.com', ARRAY['tempfail@example.com'],
                                      's', 'b', max_retries => 2, retry_backoff => '1 second',
                                      retry_backoff_max => '1 second')" >/dev/null
as_mailer "SELECT jobs.trigger('busy')" >/dev/null
wait_until 60 "SELECT count(*) = 3 AND bool_and(status = 'failed') FROM jobs.job_execution WHERE job_name = 'busy'" ||
    fail "a 451 is retried twice: $(show_executions "job_name = 'busy'")"
[[ "$(value "SELECT string_agg(attempt || ':' || http_status, ',' ORDER BY attempt) FROM jobs.job_execution
             WHERE job_name = 'busy'")" == "1:451,2:451,3:451" ]] ||
    fail "each attempt records 451: $(show_executions "job_name = 'busy'")"
# The third failure was recorded without queueing a fourth attempt (the retry
# trigger runs in the same transaction): three runs, all final, is the end.
pass "a recipient refused with 451 (try later) is retried until max_retries runs out"

# --- The host policy applies when the run connects ----------------------------------------------
cluster_psql -o /dev/null -c "ALTER SYSTEM SET jobs.http_allowed_hosts = 'mail.example.com'" -c "SELECT pg_reload_conf()"
wait_until 30 "SELECT current_setting('jobs.http_allowed_hosts') = 'mail.example.com'" || fail "the setting is reloaded"
id="$(as_mailer "SELECT jobs.trigger('notify')" | tail -n 1)"
[[ "$(wait_final "$id")" == failed ]] || fail "a run to a mail server the policy refuses fails: $(show_executions)"
[[ "$(field "$id" "error_kind")" == refused_by_policy ]] ||
    fail "it is refused by the policy: $(field "$id" "row(error_kind, error)")"
[[ "$(messages)" == 1 ]] || fail "nothing was delivered past the policy"
cluster_psql -o /dev/null -c "ALTER SYSTEM RESET jobs.http_allowed_hosts" -c "SELECT pg_reload_conf()"
wait_until 30 "SELECT current_setting('jobs.http_allowed_hosts') = '*'" || fail "the setting is reset"
pass "jobs.http_allowed_hosts applies to the mail server when the run connects"

# --- send => 'body': a webhook gets the filled body -----------------------------------------------
as_mailer "SELECT jobs.schedule_http('slack', NULL, '$base/record/slack', send => 'body',
                                     body => '{\"text\": \"{{payload.summary}}\", \"run\": \"{{execution_id}}\",
                                               \"missing\": \"{{payload.nope}}\", \"n\": \"{{payload.count}}\"}')" >/dev/null
forget_received
id="$(as_mailer "SELECT jobs.trigger('slack', jsonb_build_object('summary', E'job \"x\" failed:\n\\\\ done', 'count', 3))" | tail -n 1)"
[[ "$(wait_final "$id")" == succeeded ]] || fail "the send => 'body' job succeeds: $(show_executions)"
REQUEST="$(received)" python3 - "$id" <<'PY' || fail "the webhook gets the filled body: $(received)"
import json, os, sys
requests = json.loads(os.environ["REQUEST"])
assert len(requests) == 1, requests
r = requests[0]
assert r["path"] == "/record/slack", r["path"]
assert {k.lower(): v for k, v in r["headers"].items()}.get("content-type") == "application/json", r["headers"]
body = json.loads(r["body"])
assert body == {"text": 'job "x" failed:\n\\ done', "run": sys.argv[1], "missing": "", "n": "3"}, body
PY
pass "send => 'body' posts the body with its placeholders filled and JSON-escaped; an absent path gives \"\""

# --- An alert delivered by e-mail -----------------------------------------------------------------
as_mailer "SELECT jobs.schedule('breaks', NULL, 'SELECT 1 / 0')" >/dev/null
as_mailer "SELECT jobs.schedule_email('page_me', NULL, '$smtp', 'pg_jobs@example.com', ARRAY['oncall@example.com'],
                                      '[{{payload.event}}] {{payload.job.job_name}}', '{{payload.summary}}')" >/dev/null
as_mailer "SELECT jobs.alert('breaks by mail', 'page_me', jobs => ARRAY['breaks'])" >/dev/null
before="$(messages)"
id="$(as_mailer "SELECT jobs.trigger('breaks')" | tail -n 1)"
[[ "$(wait_final "$id")" == failed ]] || fail "the watched job fails: $(show_executions)"
more_messages() { (($(messages) > before)); }
wait_for 60 more_messages || fail "the alert's e-mail arrives: $(show_executions "job_name = 'page_me'")"
newest="$(find "$mail_dir" -name '*.json' -newer "$mail_dir/out" -printf '%T@ %p\n' | sort -n | tail -n 1 | cut -d' ' -f2)"
MESSAGE="$(cat "$newest")" python3 - <<'PY' || fail "the alert mail names the event, the job and the error: $(cat "$newest")"
import json, os
m = json.loads(os.environ["MESSAGE"])
assert m["rcpt_tos"] == ["oncall@example.com"], m["rcpt_tos"]
head, _, body = m["data"].partition("\r\n\r\n")
assert "Subject: [failed] breaks" in head.split("\r\n"), head
assert body.startswith('job "breaks" failed after 1 attempt: division by zero'), repr(body)
PY
# Failing again within repeat_after (1 hour): counted, not mailed.
id="$(as_mailer "SELECT jobs.trigger('breaks')" | tail -n 1)"
[[ "$(wait_final "$id")" == failed ]] || fail "the watched job fails again"
wait_until 30 "SELECT suppressed = 1 FROM jobs.alert_status WHERE alert_name = 'breaks by mail'" ||
    fail "the repeat is suppressed: $(value "SELECT row(deliveries, suppressed) FROM jobs.alert_status")"
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE job_name = 'page_me'")" == 1 ]] ||
    fail "one e-mail for the alert, not one per failure: $(show_executions "job_name = 'page_me'")"
pass "an alert with an e-mail handler mails the failure's summary once; a repeat within repeat_after is suppressed"
