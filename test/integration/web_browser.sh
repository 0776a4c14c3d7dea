#!/usr/bin/env bash
# pg_jobs_web in a real browser (headless Chromium driven by python3-selenium;
# scripts/install-deps.sh installs chromium, chromium-driver and
# python3-selenium): sign in, see the jobs, trigger one and watch its badge
# turn succeeded without a reload, type a bad schedule and see the engine's
# error with its caret, disable a job, sign in as a plain role and see only
# its jobs, a read-only session. The checks are in test/browser/web_browser.py;
# screenshots go to build/web-screenshots (PG_JOBS_WEB_SCREENSHOTS).
#
#   test/integration/web_browser.sh      (needs pg_jobs and pg_jobs_web installed: make install)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh
# shellcheck source=test/lib/web.sh
source test/lib/web.sh

for program in /usr/bin/chromium /usr/bin/chromedriver; do
    [[ -x "$program" ]] || fail "$program is missing: run scripts/install-deps.sh"
done
/usr/bin/python3 -c 'import selenium' 2>/dev/null || fail "python3-selenium is missing: run scripts/install-deps.sh"

web_cluster_start web_browser
cluster_psql -o /dev/null <<'SQL'
CREATE ROLE alice LOGIN PASSWORD 'alice-pw';
CREATE ROLE bob LOGIN PASSWORD 'bob-pw';
CREATE ROLE boss LOGIN PASSWORD 'boss-pw' IN ROLE jobs_admin;
GRANT USAGE ON SCHEMA jobs TO alice, bob;
CREATE TABLE public.greetings (name text, at timestamptz DEFAULT now());
GRANT INSERT ON public.greetings TO alice;
SET ROLE alice;
SELECT jobs.schedule('alice_report', '*/10 * * * * *', 'SELECT count(*) FROM pg_class');
SELECT jobs.schedule('alice_fail', '0 3 * * *', 'SELECT 1 / 0');
SELECT jobs.alert('alice watch', 'alice_report', jobs => ARRAY['alice_fail']);
RESET ROLE;
SET ROLE bob;
SELECT jobs.schedule('bob_secret_job', '@hourly', 'SELECT 2');
RESET ROLE;
SELECT jobs.schedule('nightly_vacuum', '30 2 * * *', 'VACUUM (ANALYZE) public.greetings');
SELECT jobs.schedule('greet', NULL,
                     $$INSERT INTO public.greetings (name) SELECT jobs.context() -> 'payload' ->> 'name'; SELECT pg_sleep(0.3)$$);
SELECT jobs.trigger(job_id) FROM jobs.scheduled_job WHERE job_name = 'alice_fail';
SQL
web_start
shots="${PG_JOBS_WEB_SCREENSHOTS:-build/web-screenshots}"
mkdir -p "$shots"
# Chromium writes its profile under HOME; keep it in the test's temp dir.
HOME="$CLUSTER_DIR" timeout 300 /usr/bin/python3 test/browser/web_browser.py "$WEB_URL" "$shots"
holds "SELECT EXISTS (SELECT FROM public.greetings WHERE name = 'browser')" ||
    fail "the run triggered from the browser ran with its payload"
pass "the run triggered from the browser inserted its payload's name"
holds "SELECT NOT enabled FROM jobs.scheduled_job WHERE job_name = 'greet'" || fail "Disable in the browser disabled greet"
pass "greet is disabled in the database"
echo "# screenshots in $shots"
