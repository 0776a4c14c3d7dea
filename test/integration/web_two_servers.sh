#!/usr/bin/env bash
# pg_jobs_web with two servers (issue 14, "several servers in one dashboard"):
# two clusters, each with pg_jobs and its own jobs, behind one dashboard
# started with two named --dsn options.
#   - a sign-in opens a connection to each server as that role; the session
#     lists both servers;
#   - /api/jobs and /api/overview answer for both, each result tagged with its
#     server, each with that server's jobs only; ?server= picks one;
#   - actions go to the server named: a trigger on "east" runs there;
#   - a role that exists on one server only signs in to that one;
#   - a server that goes down shows as an error in its result while the
#     other keeps answering.
#
#   test/integration/web_two_servers.sh      (needs pg_jobs and pg_jobs_web installed: make install)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh
# shellcheck source=test/lib/web.sh
source test/lib/web.sh

define_jobs() { # server-name
    cluster_psql -o /dev/null <<SQL
CREATE ROLE alice LOGIN PASSWORD 'alice-pw-Secret1';
GRANT USAGE ON SCHEMA jobs TO alice;
SET ROLE alice;
SELECT jobs.schedule('report_$1', '0 3 * * *', 'SELECT 1');
SELECT jobs.schedule('adhoc_$1', NULL, 'SELECT 1');
RESET ROLE;
SQL
}

web_cluster_start web_west
define_jobs west
# Only on west: a role the other server does not know.
cluster_psql -o /dev/null -c "CREATE ROLE carol LOGIN PASSWORD 'carol-pw-Secret4'; GRANT USAGE ON SCHEMA jobs TO carol"

web_cluster_start web_east
define_jobs east

web_start --dsn "$(web_dsn west web_west)" --dsn "$(web_dsn east web_east)" ||
    fail "pg_jobs_web starts with two --dsn"
tmp="$(mktemp -d)"
cluster_on_exit "rm -rf '$tmp'"

A="$tmp/alice.jar"
C="$tmp/carol.jar"
json_has() { grep -q -- "$2" <<<"$1"; }

# --- Sign-in opens both ------------------------------------------------------------------
token="$(web_login "$A" alice alice-pw-Secret1)"
[[ "$(web_status)" == 200 && -n "$token" ]] || fail "alice signs in (HTTP $(web_status))"
signed_in() { # session-json -> "west=true east=false"
    python3 -c 'import json, sys
print(" ".join("%s=%s" % (s["name"], str(s["signed_in"]).lower()) for s in json.loads(sys.argv[1])["servers"]))' "$1"
}
session="$(web_get "$A" /api/session)"
[[ "$(signed_in "$session")" == "west=true east=true" ]] || fail "alice's session is signed in to both servers: $session"
pass "one sign-in opens a connection to each server as that role"

# --- Each server's jobs, tagged by server ------------------------------------------------
jobs="$(web_get "$A" /api/jobs)"
python3 - "$jobs" <<'PY' || fail "the jobs page lists each server's jobs under its name: $jobs"
import json, sys
answer = json.loads(sys.argv[1])
names = {r["server"]: sorted(j["job_name"] for j in r["data"]["rows"]) for r in answer["results"]}
assert names == {"west": ["adhoc_west", "report_west"], "east": ["adhoc_east", "report_east"]}, names
PY
east_only="$(web_get "$A" "/api/jobs?server=east")"
python3 - "$east_only" <<'PY' || fail "?server=east answers for east only: $east_only"
import json, sys
answer = json.loads(sys.argv[1])
assert [r["server"] for r in answer["results"]] == ["east"], answer
PY
overview="$(web_get "$A" /api/overview)"
python3 - "$overview" <<'PY' || fail "the overview has one card per server, each with its own counts: $overview"
import json, sys
answer = json.loads(sys.argv[1])
cards = {r["server"]: r["data"] for r in answer["overview"]["results"]}
assert set(cards) == {"west", "east"}, cards
assert all(c["jobs"] == 2 and c["health"]["status"] == "ok" for c in cards.values()), cards
PY
pass "/api/jobs and /api/overview answer for both servers, each result tagged with its server; ?server= picks one"

# --- An action goes to the server named -------------------------------------------------
east_adhoc="$(cluster_psql -At -c "SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'adhoc_east'")"
answer="$(web_post "$A" "$token" /api/job/trigger -d server=east -d "id=$east_adhoc")"
[[ "$(web_status)" == 200 ]] || fail "a trigger on east (HTTP $(web_status)): $answer"
wait_until 30 "SELECT count(*) = 1 FROM jobs.job_execution WHERE job_name = 'adhoc_east' AND status = 'succeeded'" ||
    fail "the run happens on east"
cluster_use web_west
[[ "$(cluster_psql -At -c "SELECT count(*) FROM jobs.job_execution")" == 0 ]] || fail "nothing ran on west"
pass "a trigger names its server: the run happens there and nowhere else"

# --- A role known to one server only ----------------------------------------------------
web_login "$C" carol carol-pw-Secret4 >/dev/null
[[ "$(web_status)" == 200 ]] || fail "carol signs in where she exists (HTTP $(web_status))"
session="$(web_get "$C" /api/session)"
[[ "$(signed_in "$session")" == "west=true east=false" ]] || fail "carol's session is signed in to west only: $session"
pass "a role that exists on one server only signs in to that one"

# --- One server down ---------------------------------------------------------------------
cluster_stop web_east
overview="$(web_get "$A" /api/overview)"
python3 - "$overview" <<'PY' || fail "with east down, west answers and east shows an error: $overview"
import json, sys
answer = json.loads(sys.argv[1])
results = {r["server"]: r for r in answer["overview"]["results"]}
assert "data" in results["west"] and results["west"]["data"]["jobs"] == 2, results["west"]
assert "error" in results["east"], results["east"]
PY
pass "a server that goes down shows as an error in its result; the other keeps answering"

[[ -s "$WEB_LOG" ]] || fail "the dashboard's log is there to read"
for secret in alice-pw-Secret1 carol-pw-Secret4; do
    ! grep -q -- "$secret" "$WEB_LOG" || fail "a password is in the dashboard's log"
done
pass "no password in the dashboard's log"
