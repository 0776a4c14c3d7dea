#!/usr/bin/env bash
# Jobs and the databases they run in (issue 10, point 8), with an
# unprivileged owner's jobs and real workers:
#   - a template database is refused as a job's target (22023), by
#     jobs.schedule and by jobs.alter;
#   - an idle pool worker connected to a database (jobs.worker_idle_timeout
#     is an hour here) blocks none of CREATE DATABASE ... TEMPLATE it,
#     ALTER DATABASE ... RENAME, DROP DATABASE: it leaves when the command
#     starts, and the command succeeds (a command its caller may not run
#     leaves the worker alone); WITH (FORCE) ends a run in progress there,
#     even one whose command swallows cancels, and the run is recorded.
#
#   test/integration/security_databases.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start security_databases "jobs.max_workers = 2" "jobs.worker_idle_timeout = '1h'"
cluster_psql -o /dev/null <<'SQL'
CREATE DATABASE tdb;
CREATE DATABASE tmpl;
ALTER DATABASE tmpl IS_TEMPLATE true;
CREATE ROLE alice LOGIN;
GRANT USAGE ON SCHEMA jobs TO alice;
SQL

as_alice() { cluster_psql -At -v VERBOSITY=verbose -c "SET ROLE alice" -c "$1" 2>&1 | tail -n +1; }

# --- Template databases are refused -------------------------------------------------------------
for db in template1 tmpl; do
    out="$(as_alice "SELECT jobs.schedule('in_$db', NULL, 'SELECT 1', database => '$db')" || true)"
    if ! { grep -q "22023" <<<"$out" && grep -q "database \"$db\" is a template database" <<<"$out" &&
        grep -q "HINT" <<<"$out"; }; then
        fail "jobs.schedule refuses the template database $db with 22023 and a hint: $out"
    fi
done
as_alice "SELECT jobs.schedule('in_tdb', NULL, 'SELECT 1', database => 'tdb')" >/dev/null
out="$(as_alice "SELECT jobs.alter('in_tdb', database => 'template1')" || true)"
if ! { grep -q "22023" <<<"$out" && grep -q "is a template database" <<<"$out"; }; then
    fail "jobs.alter refuses a template database with 22023: $out"
fi
[[ "$(value "SELECT database FROM jobs.scheduled_job WHERE job_name = 'in_tdb'")" == tdb ]] ||
    fail "the refused jobs.alter changed nothing"
pass "template databases (template1, one marked IS_TEMPLATE) are refused as job targets with 22023, by jobs.schedule and jobs.alter"

# --- Idle workers leave a database that a command needs alone --------------------------------------
run_once_in_tdb() {
    local id
    id="$(cluster_psql -At -c "SET ROLE alice" -c "SELECT jobs.trigger('in_tdb')" | tail -1)"
    [[ "$(wait_final "$id" 30)" == succeeded ]] || fail "the job in tdb runs: $(show_executions "job_name = 'in_tdb'")"
    wait_until 30 "SELECT count(*) >= 1 FROM pg_stat_activity WHERE backend_type = 'pg_jobs worker'
                   AND datname = 'tdb'" || fail "an idle pool worker stays connected to tdb after the run"
}
no_worker_in() { holds "SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'pg_jobs worker' AND datname = '$1'"; }

run_once_in_tdb
# Only who may run the command makes the workers leave.
out="$(cluster_psql -c "SET ROLE alice" -c "DROP DATABASE tdb" 2>&1)" && fail "alice may not drop tdb"
grep -q "must be owner" <<<"$out" || fail "alice's DROP DATABASE tdb is refused by PostgreSQL: $out"
holds "SELECT count(*) >= 1 FROM pg_stat_activity WHERE backend_type = 'pg_jobs worker' AND datname = 'tdb'" ||
    fail "the idle worker stays in tdb after a DROP DATABASE its caller may not run"
pass "a DROP DATABASE by a role that may not drop the database leaves the idle worker alone"

out="$(cluster_psql -c "CREATE DATABASE tdb_copy TEMPLATE tdb" 2>&1)" ||
    fail "CREATE DATABASE ... TEMPLATE tdb succeeds while a pool worker idles in tdb: $out"
no_worker_in tdb || fail "the idle worker left tdb"
pass "CREATE DATABASE tdb_copy TEMPLATE tdb succeeds; the idle worker left tdb"

run_once_in_tdb
out="$(cluster_psql -c "ALTER DATABASE tdb RENAME TO tdb_renamed" 2>&1)" ||
    fail "ALTER DATABASE tdb RENAME succeeds while a pool worker idles in tdb: $out"
cluster_psql -c "ALTER DATABASE tdb_renamed RENAME TO tdb" >/dev/null
pass "ALTER DATABASE tdb RENAME TO tdb_renamed succeeds"

run_once_in_tdb
out="$(cluster_psql -c "DROP DATABASE tdb" 2>&1)" || fail "DROP DATABASE tdb succeeds while a pool worker idles in tdb: $out"
[[ "$(value "SELECT count(*) FROM pg_database WHERE datname = 'tdb'")" == 0 ]] || fail "tdb is gone"
pass "DROP DATABASE tdb succeeds"

# A run in progress blocks a plain DROP DATABASE, as any session would; WITH (FORCE) ends it (SIGTERM),
# even when its command swallows cancels, and the run is recorded.
cluster_psql -o /dev/null -c "CREATE DATABASE fdb"
as_alice "SELECT jobs.schedule('in_fdb', NULL, \$job\$DO \$do\$ BEGIN LOOP BEGIN PERFORM pg_sleep(0.2);
          EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; END \$do\$\$job\$, database => 'fdb')" >/dev/null
id="$(cluster_psql -At -c "SET ROLE alice" -c "SELECT jobs.trigger('in_fdb')" | tail -1)"
wait_until 30 "SELECT status = 'running' FROM jobs.job_execution WHERE execution_id = $id" || fail "the run in fdb starts"
out="$(cluster_psql -c "DROP DATABASE fdb WITH (FORCE)" 2>&1)" ||
    fail "DROP DATABASE fdb WITH (FORCE) succeeds while a run there swallows cancels: $out"
[[ "$(wait_final "$id" 30)" == cancelled ]] || fail "the run ended by DROP DATABASE ... WITH (FORCE) is cancelled"
[[ "$(value "SELECT error FROM jobs.job_execution WHERE execution_id = $id")" == shutdown:* ]] ||
    fail "the run ended by DROP DATABASE ... WITH (FORCE) is cancelled ('shutdown: ...'): $(show_executions "job_name = 'in_fdb'")"
pass "DROP DATABASE ... WITH (FORCE) during a run that swallows cancels: the run is cancelled ('shutdown: ...')"

# The scheduler carries on: a job in another database still runs.
cluster_psql -c "SELECT jobs.schedule('in_copy', NULL, 'SELECT 1', database => 'tdb_copy')" >/dev/null
id="$(value "SELECT jobs.trigger('in_copy')")"
[[ "$(wait_final "$id" 30)" == succeeded ]] || fail "a job in tdb_copy still runs: $(show_executions)"
pass "jobs in other databases still run afterwards"
