#!/usr/bin/env bash
# Commands that PostgreSQL runs only outside a transaction block run as jobs,
# on their own, as their owner (a role that is not a superuser): VACUUM,
# CREATE INDEX CONCURRENTLY, REINDEX ... CONCURRENTLY, and REFRESH
# MATERIALIZED VIEW CONCURRENTLY (which PostgreSQL also allows in a block),
# in jobs.database and in another database. Each run succeeds and its effect
# is there; the same command on a superuser's table fails (the run is not a
# superuser's); VACUUM mixed with other statements is refused when defined.
#
#   test/integration/standalone_commands.sh   (needs pg_jobs installed: make install)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start standalone_commands
cluster_psql -o /dev/null <<'SQL'
CREATE ROLE alice LOGIN;
GRANT USAGE ON SCHEMA jobs TO alice;
CREATE SCHEMA app AUTHORIZATION alice;
CREATE TABLE public.admin_items (id int PRIMARY KEY);
CREATE DATABASE other;
GRANT CONNECT ON DATABASE other TO alice;
SET ROLE alice;
CREATE TABLE app.items (id int PRIMARY KEY, v int NOT NULL);
INSERT INTO app.items SELECT g, g % 7 FROM generate_series(1, 1000) g;
DELETE FROM app.items WHERE id % 2 = 0;
CREATE MATERIALIZED VIEW app.totals AS SELECT v, count(*) AS n FROM app.items GROUP BY v;
CREATE UNIQUE INDEX totals_v ON app.totals (v);
SQL
cluster_psql -d other -o /dev/null <<'SQL'
CREATE SCHEMA app AUTHORIZATION alice;
SET ROLE alice;
CREATE TABLE app.other_items (id int PRIMARY KEY);
INSERT INTO app.other_items SELECT generate_series(1, 100);
SQL

# Defines alice's on-demand job $1 running $2 (in database $3, default
# jobs.database), triggers it and prints the run's final status and error.
run_as_alice() {
    local name="$1" command="$2" database="${3:-postgres}" id
    id="$(cluster_psql -At -v name="$name" -v command="$command" -v db="$database" <<'SQL'
SET ROLE alice;
SELECT jobs.schedule(:'name', NULL, :'command', database => :'db') \g /dev/null
SELECT jobs.trigger(:'name');
SQL
)"
    value "SELECT status || coalesce(' ' || sqlstate || ': ' || error, '')
           FROM jobs.wait($id, interval '60 seconds')"
}

expect_succeeded() {
    local got
    got="$(run_as_alice "$@")"
    [[ "$got" == succeeded ]] || fail "job '$1' ($2) succeeded (got: $got)"
}

expect_succeeded vacuum 'VACUUM (ANALYZE) app.items'
holds "SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL FROM pg_stat_all_tables
       WHERE relid = 'app.items'::regclass" || fail "the VACUUM job vacuumed and analyzed app.items"
pass "VACUUM (ANALYZE) runs as a job of a role that is not a superuser"

expect_succeeded create-index 'CREATE INDEX CONCURRENTLY items_v ON app.items (v)'
holds "SELECT indisvalid FROM pg_index WHERE indexrelid = 'app.items_v'::regclass" ||
    fail "CREATE INDEX CONCURRENTLY built a valid index"
[[ "$(value "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'app.items_v'::regclass")" == alice ]] ||
    fail "the index belongs to alice"
pass "CREATE INDEX CONCURRENTLY runs as a job and builds a valid index"

old_index="$(value "SELECT 'app.items_v'::regclass::oid")"
expect_succeeded reindex 'REINDEX INDEX CONCURRENTLY app.items_v'
new_index="$(value "SELECT 'app.items_v'::regclass::oid")"
[[ "$new_index" != "$old_index" ]] || fail "REINDEX CONCURRENTLY replaced the index (oid $old_index -> $new_index)"
holds "SELECT indisvalid FROM pg_index WHERE indexrelid = 'app.items_v'::regclass" ||
    fail "the rebuilt index is valid"
pass "REINDEX INDEX CONCURRENTLY runs as a job"

cluster_psql -c "SET ROLE alice; INSERT INTO app.items VALUES (2000, 100)" -o /dev/null
expect_succeeded refresh 'REFRESH MATERIALIZED VIEW CONCURRENTLY app.totals'
holds "SELECT EXISTS (SELECT FROM app.totals WHERE v = 100 AND n = 1)" ||
    fail "REFRESH MATERIALIZED VIEW CONCURRENTLY brought the new row into app.totals"
pass "REFRESH MATERIALIZED VIEW CONCURRENTLY runs as a job"

expect_succeeded vacuum-other 'VACUUM app.other_items' other
cluster_psql -d other -At -c "SELECT last_vacuum IS NOT NULL FROM pg_stat_all_tables
                              WHERE relid = 'app.other_items'::regclass" | grep -qx t ||
    fail "the VACUUM job in database other vacuumed app.other_items"
pass "VACUUM runs as a job in another database"

# Comments before the statement, nested ones too (PostgreSQL's block
# comments nest): the worker still sees a VACUUM.
expect_succeeded vacuum-commented $'/* nightly /* nested */ upkeep */\n-- of the items\nvacuum app.items'
pass "a VACUUM after comments (nested ones too) runs as a standalone command"

got="$(run_as_alice reindex-admin 'REINDEX TABLE CONCURRENTLY public.admin_items')"
[[ "$got" == "failed 42501: must be owner of table admin_items" ]] ||
    fail "REINDEX CONCURRENTLY of a superuser's table fails as alice's (got: $got)"
pass "a job's REINDEX CONCURRENTLY runs with its owner's privileges, not a superuser's"

# After each of them the worker went on: an ordinary job still runs.
expect_succeeded plain 'INSERT INTO app.items VALUES (3000, 1)'
pass "an ordinary run follows on the same worker"

if out="$(cluster_psql -c "SET ROLE alice" -c "SELECT jobs.schedule('mixed', NULL, 'VACUUM app.items; SELECT 1')" 2>&1)"; then
    fail "VACUUM with other statements is refused when defined (it was accepted)"
fi
[[ "$out" == *"VACUUM cannot run together with other statements"* ]] ||
    fail "the refusal says why (got: $out)"
pass "VACUUM with other statements in one command is refused when the job is defined"
