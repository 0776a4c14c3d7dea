#!/usr/bin/env bash
# One role cannot hold every worker (issue 10, point 4): with jobs.max_workers
# = 3, alice's job (overlap => 'allow', max_concurrent => 1000, the longest
# timeout jobs.max_timeout allows) triggered 10 times holds at most
# jobs.max_running_per_owner (automatic: 2) workers, and another role's job
# starts while alice's runs still wait; the superuser's too. A timeout past
# jobs.max_timeout is refused at definition (22023).
#
#   test/integration/security_fairness.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start security_fairness "jobs.max_workers = 3"
cluster_psql -o /dev/null <<'SQL'
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
GRANT USAGE ON SCHEMA jobs TO alice, bob;
SQL
as_alice() { cluster_psql -U alice -At -c "$1"; }
as_bob() { cluster_psql -U bob -At -c "$1"; }

as_alice "SELECT jobs.schedule('hog', NULL, 'SELECT pg_sleep(3600)', overlap => 'allow',
                               max_concurrent => 1000, timeout => '1 day')" >/dev/null
for _ in $(seq 10); do
    as_alice "SELECT jobs.trigger('hog')" >/dev/null
done
hog_running="SELECT count(*) FROM jobs.job_execution WHERE job_name = 'hog' AND status = 'running'"
wait_until 60 "SELECT ($hog_running) >= 2" || fail "alice's runs start ($(value "$hog_running") running)"

as_bob "SELECT jobs.schedule('quick', NULL, 'SELECT 1')" >/dev/null
id="$(as_bob "SELECT jobs.trigger('quick')")"
status="$(wait_final "$id" 30)"
[[ "$status" == succeeded ]] ||
    fail "bob's job runs while alice's 10 runs wait (status '$status' after 30 s; alice running: $(value "$hog_running"))"
value "SELECT jobs.schedule('admin quick', NULL, 'SELECT 1')" >/dev/null
id="$(value "SELECT jobs.trigger('admin quick')")"
status="$(wait_final "$id" 30)"
[[ "$status" == succeeded ]] || fail "the superuser's job runs while alice's runs wait (status '$status')"
running="$(value "$hog_running")"
queued="$(value "SELECT count(*) FROM jobs.job_execution WHERE job_name = 'hog' AND status = 'queued'")"
[[ "$running" == 2 && "$queued" == 8 ]] ||
    fail "alice holds at most 2 of the 3 workers (jobs.max_running_per_owner, automatic): $running running, $queued queued"
pass "alice's 10 long runs hold 2 of 3 workers; bob's and the superuser's jobs run meanwhile"

refusal="$(as_alice "SELECT jobs.schedule('hog', NULL, 'SELECT pg_sleep(3600)', overlap => 'allow',
                                         max_concurrent => 1000, timeout => '100 years')" 2>&1 || true)"
grep -q 'timeout 100 years is longer than jobs.max_timeout (1 day)' <<<"$refusal" ||
    fail "a timeout of 100 years is refused by jobs.max_timeout (got '$refusal')"
pass "timeout => '100 years' is refused: longer than jobs.max_timeout (1 day)"
# The workers still sleeping end with the cluster (SIGTERM cancels their runs).
