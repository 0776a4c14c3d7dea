#!/usr/bin/env bash
# The upgrade path from 0.1.0 (issue 11, point 5), with this build's library:
#   - a database whose pg_jobs SQL objects are at 0.1.0 (CREATE EXTENSION
#     pg_jobs VERSION '0.1.0', with SQL and HTTP jobs of several roles and
#     options, a queued run and a run history) while the library is newer:
#     the launcher says so once in the server log (both versions and the fix,
#     ALTER EXTENSION pg_jobs UPDATE), keeps its pid and runs nothing, across
#     its periodic checks and reloads; the library's SQL functions called
#     against the old objects answer (or fail cleanly) without crashing;
#   - ALTER EXTENSION pg_jobs UPDATE then gives exactly the catalog of a fresh
#     install in another database (pg_dump --binary-upgrade --schema-only,
#     which shows the extension's own objects with their bodies, attributes,
#     ACLs, initial privileges, comments, policies, triggers and membership;
#     plus the extension's config tables), keeps every job, run and sequence
#     value (owners become role OIDs; jobs and runs of dropped roles are
#     owned by no role), and the old jobs run: the waiting launcher starts
#     scheduling with the same pid;
#   - pg_dump / pg_restore of that database into a new cluster keeps the jobs,
#     their history and the sequences, leaves the secrets out (jobs_internal._secret
#     is not dumped: see the README), keeps roles' USAGE on schema jobs, and
#     the restored jobs run (once the owner has set their secret again).
#
#   test/integration/upgrade_path.sh      (needs pg_jobs installed: make install)
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

version="$(sed -n "s/^default_version = '\(.*\)'/\1/p" pg_jobs.control)"
[[ -n "$version" && "$version" != 0.1.0 ]] || fail "pg_jobs.control names the current version ($version)"

http_test_server_start
requests_to() { received | python3 -c "import json, sys; print(sum(r['path'] == sys.argv[1] for r in json.load(sys.stdin)))" "$1"; }

# Jobs live in database "postgres" (the default jobs.database); fresh_db gets a
# fresh install to compare with. No history limit: runs are compared by id.
conf=("jobs.history_per_job = 0" "jobs.max_workers = 4")
cluster_start upgrade_path "${conf[@]}"
cluster_on_exit _scheduler_dump_on_failure
wait_for 30 launcher_running || fail "the launcher starts"

launcher_pid() { value "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_jobs launcher'"; }
postmaster_started="$(value "SELECT pg_postmaster_start_time()")"
log_count() { grep -cF -- "$1" "$CLUSTER_LOG" || true; }
logged() { grep -qF -- "$1" "$CLUSTER_LOG"; }
waiting_line="pg_jobs launcher: extension pg_jobs in database \"postgres\" is at version 0.1.0 but the library is version $version; no job runs until ALTER EXTENSION pg_jobs UPDATE is run in that database"

# --- 0.1.0: jobs, a queued run and a history ---------------------------------------------
cluster_psql -o /dev/null <<SQL
CREATE EXTENSION pg_jobs VERSION '0.1.0';
CREATE SCHEMA app;
CREATE TABLE app.effects (job text NOT NULL, who name NOT NULL DEFAULT current_user, payload jsonb,
                          execution_id bigint, at timestamptz NOT NULL DEFAULT clock_timestamp());
GRANT USAGE ON SCHEMA app TO PUBLIC;
GRANT INSERT ON app.effects TO PUBLIC;
-- An OID gap, so that no role has the same OID in the cluster restored below.
CREATE ROLE filler_1; CREATE ROLE filler_2; CREATE ROLE filler_3;
CREATE ROLE alice LOGIN;
CREATE ROLE "Mixed Case" LOGIN;
CREATE ROLE bob LOGIN;
CREATE ROLE carol LOGIN;
GRANT USAGE ON SCHEMA jobs TO alice, "Mixed Case", bob, carol;
GRANT SELECT ON jobs.job_status TO alice;  -- a grant on a view the update redefines

SELECT jobs.schedule('tick', '* * * * * *',
    \$\$INSERT INTO app.effects (job, execution_id) VALUES ('tick', (jobs.context() ->> 'execution_id')::bigint)\$\$,
    timeout => '1 minute', max_retries => 1);
SELECT jobs.schedule_http('hook', '@every 3 seconds', '$base/record/hook',
    headers => '{"Authorization": "Bearer upgrade-token", "X-Test": "upgrade"}', body => '{"n": 1}',
    max_retries => 2, retry_backoff => '2 seconds');
SELECT jobs.schedule('gone', '@daily', 'SELECT 1');
SELECT jobs.unschedule('gone');  -- a hole in the job ids

SET ROLE alice;
SELECT jobs.schedule('nightly', '30 2 * * *', 'INSERT INTO app.effects (job) VALUES (''nightly'')',
    timezone => 'Europe/Berlin', overlap => 'queue', misfire => 'run_once', max_retries => 3,
    retry_backoff => '2 seconds', retry_backoff_max => '1 minute', starting_deadline => '1 hour',
    start_at => now(), end_at => now() + interval '10 years', max_runs => 1000);
SELECT jobs.schedule('often', '@every 2 seconds', 'INSERT INTO app.effects (job) VALUES (''often'')',
    overlap => 'allow', max_concurrent => 2);
SELECT jobs.schedule('on_demand', NULL,
    'INSERT INTO app.effects (job, payload) VALUES (''on_demand'', jobs.context() -> ''payload'')',
    min_trigger_interval => '1 second');
RESET ROLE;
SET ROLE "Mixed Case";
SELECT jobs.schedule('mixed', '@every 2 seconds', 'INSERT INTO app.effects (job) VALUES (''mixed'')');
RESET ROLE;
-- Two roles that 0.1.0 let go while they had jobs of one name.
SET ROLE bob;
SELECT jobs.schedule('report', '0 3 * * *', 'INSERT INTO app.effects (job) VALUES (''bob'')');
RESET ROLE;
SET ROLE carol;
SELECT jobs.schedule('report', '0 4 * * *', 'INSERT INTO app.effects (job) VALUES (''carol'')');
RESET ROLE;

-- History as 0.1.0 wrote it (that library no longer runs here).
INSERT INTO jobs.job_execution (job_id, job_name, owner, database, command, kind, status, triggered_by,
                                triggered_by_user, scheduled_for, queued_at, started_at, finished_at, attempt,
                                payload, result, error, sqlstate, error_detail, rows_affected, worker_pid,
                                http_status, http_timing, retry_of, not_before, cancel_requested_by)
SELECT j.job_id, j.job_name, j.owner, j.database, j.command, j.kind, h.status, h.triggered_by, h.by_user,
       now() - h.ago, now() - h.ago, now() - h.ago + interval '1 ms', now() - h.ago + interval '20 ms', h.attempt,
       h.payload, h.result, h.error, h.sqlstate, h.detail, h.nrows, 4242, h.http_status, h.timing, NULL, NULL, h.canceller
FROM jobs.scheduled_job AS j
JOIN (VALUES
    ('tick', 'succeeded', 'schedule', NULL::name, interval '10 minutes', 1, NULL::jsonb, NULL::jsonb, NULL, NULL,
     NULL, 1::bigint, NULL::integer, NULL::jsonb, NULL::name),
    ('tick', 'failed', 'schedule', NULL, interval '9 minutes', 1, NULL, NULL, 'relation "x" does not exist', '42P01',
     'CONTEXT: SQL statement', NULL, NULL, NULL, NULL),
    ('tick', 'skipped', 'schedule', NULL, interval '8 minutes', 1, NULL, NULL, 'the previous run was still running',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('hook', 'succeeded', 'schedule', NULL, interval '7 minutes', 1, NULL, '{"ok": true}', NULL, NULL, NULL, NULL, 200,
     '{"dns_ms": 0.1, "total_ms": 3.5}', NULL),
    ('hook', 'failed', 'schedule', NULL, interval '6 minutes', 1, NULL, '{"error": "boom"}', 'HTTP 503', NULL, NULL,
     NULL, 503, '{"total_ms": 2.0}', NULL),
    ('on_demand', 'succeeded', 'manual', 'alice', interval '5 minutes', 1, '{"k": 1}', NULL, NULL, NULL, NULL, 1, NULL,
     NULL, NULL),
    ('on_demand', 'cancelled', 'manual', 'alice', interval '4 minutes', 1, NULL, NULL, 'cancelled by alice', '57014',
     NULL, NULL, NULL, NULL, 'alice'),
    ('nightly', 'crashed', 'schedule', NULL, interval '3 minutes', 2, NULL, NULL, 'the worker running it exited',
     NULL, NULL, NULL, NULL, NULL, NULL),
    ('report', 'succeeded', 'schedule', NULL, interval '2 minutes', 1, NULL, NULL, NULL, NULL, NULL, 1, NULL, NULL,
     NULL))
    AS h(job, status, triggered_by, by_user, ago, attempt, payload, result, error, sqlstate, detail, nrows,
         http_status, timing, canceller)
    ON h.job = j.job_name;
-- A retry of the failed tick run, as the 0.1.0 trigger queued it (finished).
INSERT INTO jobs.job_execution (job_id, job_name, owner, database, command, status, triggered_by, scheduled_for,
                                queued_at, started_at, finished_at, attempt, retry_of, not_before)
SELECT e.job_id, e.job_name, e.owner, e.database, e.command, 'succeeded', 'retry', e.scheduled_for,
       e.finished_at, e.finished_at + interval '1 s', e.finished_at + interval '2 s', 2, e.execution_id,
       e.finished_at + interval '1 s'
FROM jobs.job_execution AS e WHERE e.job_name = 'tick' AND e.status = 'failed';
SQL
queued_id="$(cluster_psql -At -c "SET ROLE alice" -c "SELECT jobs.trigger('on_demand', '{\"from\": \"0.1.0\"}')")"
[[ "$queued_id" =~ ^[0-9]+$ ]] || fail "alice queues a run of her job at 0.1.0: $queued_id"
# The owners' roles go, as 0.1.0 allowed (its jobs stayed, and failed).
cluster_psql -o /dev/null -c "DROP OWNED BY bob, carol" -c "DROP ROLE bob" -c "DROP ROLE carol"
pass "at 0.1.0: SQL and HTTP jobs of four roles, a queued run, a history; the owners of two jobs dropped"

# --- 0.1.0 objects, newer library: it waits, and says so once ---------------------------------
wait_for 60 logged "$waiting_line" ||
    fail "the launcher logs that the SQL objects are older than the library, and the fix:
$(grep 'pg_jobs' "$CLUSTER_LOG" | tail -n 5)"
pid_waiting="$(launcher_pid)"
[[ "$pid_waiting" =~ ^[0-9]+$ ]] || fail "the launcher is running while it waits: '$pid_waiting'"
pass "the log says: $waiting_line"

# The library's SQL functions against the 0.1.0 objects: each answers or fails
# with an ordinary error; the server never restarts.
calls_output="$(cluster_psql -At 2>&1 <<SQL || true
\set ON_ERROR_STOP 0
SELECT status FROM jobs.wait($queued_id, interval '100 milliseconds');
SELECT jobs.describe('*/5 * * * *', 'UTC');
SELECT count(*) FROM jobs.next_runs('@hourly', 3);
SELECT jobs.context();
SELECT jobs._is_retryable('sql', 'failed', NULL, 'boom'), jobs._retry_at(now(), 1, '1 second', '30 seconds', 1) > now();
SET ROLE alice;
SELECT jobs.schedule('scratch', NULL, 'SELECT 1');
SELECT jobs.alter('scratch', command => 'SELECT 2');
SELECT jobs.disable('scratch');
SELECT jobs.enable('scratch');
SELECT jobs.cancel(jobs.trigger('scratch'));
SELECT jobs.unschedule('scratch');
SELECT jobs.alter_http(1, timeout => '5 seconds');
RESET ROLE;
CREATE ROLE dave LOGIN;
CREATE ROLE erin LOGIN;
REASSIGN OWNED BY dave TO erin;
DROP OWNED BY dave;
DROP ROLE dave;
DROP ROLE erin;
SQL
)"
[[ "$(value "SELECT pg_postmaster_start_time()")" == "$postmaster_started" ]] ||
    fail "no SQL function crashes the server at 0.1.0: $calls_output"
! grep -qE "terminated by signal|server process .* was terminated|std::terminate" "$CLUSTER_LOG" ||
    fail "no process of the server was killed: $(grep -E "terminated" "$CLUSTER_LOG" | head -n 3)"
[[ "$calls_output" == *"queued"* && "$calls_output" == *"every 5 minutes"* ]] ||
    fail "jobs.wait and jobs.describe answer at 0.1.0: $calls_output"
[[ "$(value "SELECT count(*) FROM jobs.scheduled_job WHERE job_name = 'scratch'")" == 0 ]] ||
    fail "jobs.schedule and jobs.unschedule work at 0.1.0: $calls_output"
pass "the library's SQL functions and role hooks work against the 0.1.0 objects, without a crash"

# Two more checks by the launcher (each reload wakes it), and time for the
# seconds job to be due many times over: nothing runs, the pid stays, the
# line is not repeated.
launcher_woke_since() { holds "SELECT state_change > '$1' FROM pg_stat_activity WHERE pid = $pid_waiting"; }
window_start="$(value "SELECT clock_timestamp()")"
for reload in 1 2; do
    mark="$(value "SELECT clock_timestamp()")"
    value "SELECT pg_reload_conf()" >/dev/null
    wait_for 30 launcher_woke_since "$mark" || fail "the waiting launcher wakes at reload $reload"
done
seconds_due() { holds "SELECT clock_timestamp() > '$window_start'::timestamptz + interval '3 seconds'"; }
wait_for 30 seconds_due
[[ "$(launcher_pid)" == "$pid_waiting" ]] || fail "the waiting launcher keeps its pid (no crash loop)"
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE started_at > '$window_start' OR queued_at > '$window_start'")" == 0 ]] ||
    fail "no run is queued or started while the SQL objects are at 0.1.0: $(show_executions "queued_at > '$window_start'")"
[[ "$(value "SELECT count(*) FROM app.effects")" == 0 ]] || fail "no job's command ran at 0.1.0"
[[ "$(value "SELECT status FROM jobs.job_execution WHERE execution_id = $queued_id")" == queued ]] ||
    fail "the run queued at 0.1.0 waits"
[[ "$(log_count "$waiting_line")" == 1 ]] || fail "the line is logged once, not at every check ($(log_count "$waiting_line"))"
[[ "$(requests_to /record/hook)" == 0 ]] || fail "the HTTP job called nobody at 0.1.0"
pass "while waiting: the same launcher pid $pid_waiting after two reloads, nothing queued or run, one log line"

# --- ALTER EXTENSION pg_jobs UPDATE ------------------------------------------------------------
# What the update must keep, captured at 0.1.0 (owner as a name), and compared
# in the updating transaction, before any new run.
cluster_psql -o /dev/null <<'SQL'
CREATE TABLE app.jobs_before AS SELECT * FROM jobs.scheduled_job;
CREATE TABLE app.runs_before AS SELECT * FROM jobs.job_execution;
CREATE TABLE app.sequences_before AS
SELECT 'job' AS seq, last_value, is_called FROM jobs.scheduled_job_job_id_seq
UNION ALL SELECT 'run', last_value, is_called FROM jobs.job_execution_execution_id_seq;
SQL
update_result="$(cluster_psql -At <<'SQL'
BEGIN;
ALTER EXTENSION pg_jobs UPDATE;
-- A row as jsonb, with only the columns that 0.1.0 had (later versions add some).
CREATE FUNCTION pg_temp.as_before(row_now jsonb, row_before jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE
RETURN (SELECT jsonb_object_agg(x.k, x.v) FROM jsonb_each(row_now) AS x(k, v) WHERE row_before ? x.k);
SELECT 'version ' || extversion FROM pg_extension WHERE extname = 'pg_jobs';
-- Jobs whose owner exists: identical, the owner now the role's OID.
SELECT 'jobs changed ' || count(*)
FROM app.jobs_before AS b FULL JOIN jobs.scheduled_job AS j USING (job_id)
WHERE pg_catalog.to_regrole(quote_ident(b.owner)) IS NOT NULL
  AND (j.job_id IS NULL OR to_jsonb(b) - 'owner' IS DISTINCT FROM pg_temp.as_before(to_jsonb(j), to_jsonb(b)) - 'owner'
       OR j.owner::oid IS DISTINCT FROM pg_catalog.to_regrole(quote_ident(b.owner))::oid);
-- Jobs of dropped roles: kept, disabled, owned by no role, the old owner named.
SELECT 'orphans ' || string_agg(format('%s|%s|%s|%s', j.job_name, j.owner::oid, j.enabled,
                                       j.disabled_reason LIKE '%role "' || b.owner || '"%'), ',' ORDER BY j.job_name)
FROM app.jobs_before AS b JOIN jobs.scheduled_job AS j USING (job_id)
WHERE pg_catalog.to_regrole(quote_ident(b.owner)) IS NULL
  AND to_jsonb(b) - 'owner' - 'enabled' - 'disabled_reason' - 'job_name'
      = pg_temp.as_before(to_jsonb(j), to_jsonb(b)) - 'owner' - 'enabled' - 'disabled_reason' - 'job_name';
SELECT 'jobs ' || (SELECT count(*) FROM app.jobs_before) || ' ' || (SELECT count(*) FROM jobs.scheduled_job);
-- Runs: identical; owner_name the name they had, owner its role (0: dropped).
SELECT 'runs changed ' || count(*)
FROM app.runs_before AS b FULL JOIN jobs.job_execution AS e USING (execution_id)
WHERE e.execution_id IS NULL OR b.execution_id IS NULL
   OR to_jsonb(b) - 'owner' IS DISTINCT FROM pg_temp.as_before(to_jsonb(e), to_jsonb(b)) - 'owner'
   OR e.owner_name IS DISTINCT FROM b.owner OR e.skipped_count IS NOT NULL
   OR e.owner::oid IS DISTINCT FROM coalesce(pg_catalog.to_regrole(quote_ident(b.owner))::oid, 0);
SELECT 'runs ' || (SELECT count(*) FROM app.runs_before) || ' ' || count(*)
       || ' ownerless ' || count(*) FILTER (WHERE owner = 0) FROM jobs.job_execution;
SELECT 'sequences changed ' || count(*)
FROM app.sequences_before AS b
JOIN (SELECT 'job' AS seq, last_value, is_called FROM jobs.scheduled_job_job_id_seq
      UNION ALL SELECT 'run', last_value, is_called FROM jobs.job_execution_execution_id_seq) AS a USING (seq)
WHERE (a.last_value, a.is_called) IS DISTINCT FROM (b.last_value, b.is_called);
COMMIT;
SQL
)" || fail "ALTER EXTENSION pg_jobs UPDATE works on a 0.1.0 database with jobs and history"
expect_line() {
    grep -qxF -- "$1" <<<"$update_result" || fail "$2: expected '$1' in
$update_result"
}
expect_line "version $version" "the extension is at $version"
expect_line "jobs changed 0" "every job of an existing role is kept as it was, its owner now the role's OID"
expect_line "orphans report (bob)|0|f|t,report (carol)|0|f|t" \
    "the jobs of dropped roles are kept, disabled, owned by no role, named apart, their old owner in disabled_reason"
expect_line "jobs 8 8" "every job is kept"
expect_line "runs changed 0" "every run is kept as it was, owner_name its owner's name, owner its role (0 if dropped)"
expect_line "runs 13 13 ownerless 2" "every run is there; only the runs of the dropped roles are owned by no role"
expect_line "sequences changed 0" "the sequences keep their values"
pass "ALTER EXTENSION pg_jobs UPDATE keeps every job, run and sequence value; owners become role OIDs"

# --- The catalog equals a fresh install's --------------------------------------------------------
cluster_psql -o /dev/null -c "CREATE DATABASE fresh_db"
cluster_psql -d fresh_db -o /dev/null <<'SQL'
SET client_min_messages = warning;  -- not jobs.database: CREATE EXTENSION says so
CREATE EXTENSION pg_jobs;
-- The grants the 0.1.0 database got from its administrator, in the same order.
GRANT USAGE ON SCHEMA jobs TO alice, "Mixed Case";
GRANT SELECT ON jobs.job_status TO alice;
SQL
# pg_dump --binary-upgrade dumps an extension's objects one by one (with
# ALTER EXTENSION ... ADD and their initial privileges); lines carrying OIDs,
# the dump's random \restrict key and sequence values (compared above) go.
catalog_of() {
    "$PG_BINDIR/pg_dump" --binary-upgrade --schema-only --exclude-schema=app -d "$1" |
        sed -E -e '/binary_upgrade_set_next_/d' -e '/relfrozenxid/d' -e '/^SELECT pg_catalog\.setval\(/d' \
            -e '/^\\(un)?restrict /d' -e "s/^WHERE oid = '[0-9]+';/WHERE oid = N;/" \
            -e "s/(binary_upgrade_create_empty_extension\('pg_jobs', 'jobs', false, '[^']*').*/\1 .../"
    # The config tables, which the line above shortens (they are OIDs there).
    "$PG_BINDIR/psql" -X -At -d "$1" -c "
        SELECT 'config ' || c::regclass || ' ' || quote_literal(e.extcondition[i])
        FROM pg_extension AS e, unnest(e.extconfig) WITH ORDINALITY AS u(c, i)
        WHERE e.extname = 'pg_jobs' ORDER BY 1"
}
catalog_of postgres >"$CLUSTER_DIR/updated.catalog"
catalog_of fresh_db >"$CLUSTER_DIR/fresh.catalog"
members="$(grep -c '^ALTER EXTENSION pg_jobs ADD ' "$CLUSTER_DIR/fresh.catalog" || true)"
((members > 80)) || fail "the catalog dump shows the extension's objects ($members members)"
grep -q "^config jobs.job_audit ''" "$CLUSTER_DIR/fresh.catalog" || fail "the catalog dump lists the config tables"
if ! catalog_diff="$(diff "$CLUSTER_DIR/updated.catalog" "$CLUSTER_DIR/fresh.catalog")"; then
    fail "the updated catalog equals a fresh $version install (< updated, > fresh):
$(head -n 60 <<<"$catalog_diff")"
fi
pass "the updated catalog equals a fresh install's: $members objects, their definitions, ACLs, comments, config tables"

# A normal dump keeps the grants made at 0.1.0 (the update recorded only the
# extension's own initial privileges).
grants="$("$PG_BINDIR/pg_dump" --schema-only --exclude-schema=app -d postgres | grep -E '^GRANT .* TO (alice|"Mixed Case");' | LC_ALL=C sort | tr '\n' ' ')"
[[ "$grants" == 'GRANT SELECT ON TABLE jobs.job_status TO alice; GRANT USAGE ON SCHEMA jobs TO "Mixed Case"; GRANT USAGE ON SCHEMA jobs TO alice; ' ]] ||
    fail "pg_dump keeps the grants made at 0.1.0: $grants"
pass "pg_dump keeps the USAGE on schema jobs and the SELECT on jobs.job_status granted at 0.1.0"

# --- The old jobs run, with the new library ------------------------------------------------------
wait_for 30 logged "pg_jobs launcher: extension pg_jobs in database \"postgres\" is now at version $version" ||
    fail "the launcher notices the update"
[[ "$(launcher_pid)" == "$pid_waiting" ]] || fail "the launcher that waited is the one that schedules (same pid)"
[[ "$(wait_final "$queued_id")" == succeeded ]] || fail "the run queued at 0.1.0 runs after the update: $(show_executions)"
[[ "$(value "SELECT who || ' ' || payload FROM app.effects WHERE job = 'on_demand'")" == 'alice {"from": "0.1.0"}' ]] ||
    fail "it ran as alice with its payload: $(value "SELECT who || ' ' || payload FROM app.effects WHERE job = 'on_demand'")"
max_old_run="$(value "SELECT max(execution_id) FROM app.runs_before")"
ran_as() {
    holds "SELECT count(*) > 0 FROM jobs.job_execution AS e JOIN app.effects AS f ON f.job = e.job_name
           WHERE e.job_name = '$1' AND e.status = 'succeeded' AND e.execution_id > $max_old_run AND f.who = '$2'"
}
wait_for 60 ran_as tick postgres || fail "the seconds job runs after the update: $(show_executions)"
wait_for 60 ran_as often alice || fail "alice's job runs, as alice: $(show_executions)"
wait_for 60 ran_as mixed "Mixed Case" || fail "the job of role \"Mixed Case\" runs, as that role: $(show_executions)"
hook_ran() {
    holds "SELECT count(*) > 0 FROM jobs.job_execution WHERE job_name = 'hook' AND status = 'succeeded'
           AND execution_id > $max_old_run AND http_status = 200"
}
wait_for 60 hook_ran || fail "the HTTP job runs after the update: $(show_executions "job_name = 'hook'")"
auth="$(received | python3 -c "import json, sys; print([{k.lower(): v for k, v in r['headers'].items()}.get('authorization') for r in json.load(sys.stdin) if r['path'] == '/record/hook'][0])")"
[[ "$auth" == "Bearer upgrade-token" ]] || fail "the HTTP job sends its header as defined at 0.1.0: $auth"
tick_effects="$(value "SELECT count(*) FROM app.effects AS f JOIN jobs.job_execution AS e USING (execution_id)
                       WHERE f.job = 'tick' AND e.status = 'succeeded' AND e.execution_id > $max_old_run")"
((tick_effects > 0)) || fail "the seconds job's effects name its succeeded runs"
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE job_name LIKE 'report%' AND execution_id > $max_old_run")" == 0 ]] ||
    fail "the jobs of dropped roles do not run"
new_job="$(value "SELECT jobs.schedule('after_update', NULL, 'SELECT 1')")"
((new_job > $(value "SELECT max(job_id) FROM app.jobs_before"))) || fail "a new job gets an id after the old ones: $new_job"
[[ "$(value "SELECT count(*) FROM jobs.job_audit WHERE job_id = $new_job AND action = 'created'")" == 1 ]] ||
    fail "the audit trail records a job created after the update"
pass "the old jobs run after the update (SQL as their owners, HTTP with its headers), the queued run too; new ids follow the old"

# --- pg_dump / pg_restore into a new cluster -------------------------------------------------------
cluster_psql -o /dev/null <<SQL
SET ROLE alice;
SELECT jobs.set_secret('api_token', 'restored-secret');
SELECT jobs.schedule_http('with_secret', NULL, '$base/record/secret',
    headers => '{"Authorization": "Bearer {{secret:api_token}}"}');
SQL
secret_run="$(cluster_psql -At -c "SET ROLE alice" -c "SELECT jobs.trigger('with_secret')")"
[[ "$(wait_final "$secret_run")" == succeeded ]] || fail "alice's HTTP job with a secret runs before the dump"
source_cluster="$CLUSTER_NAME"
dump="$CLUSTER_DIR/upgrade_path.dump"
# The runs that had finished before the dump: in it, and unchanged since.
final_before_dump="$(value "SELECT string_agg(execution_id::text, ',') FROM jobs.job_execution
                             WHERE status NOT IN ('queued', 'running')")"
"$PG_BINDIR/pg_dump" -Fc -f "$dump" postgres || fail "pg_dump of the jobs database works"
# What the dump holds: jobs (unchanged by runs), the final runs, the sequences' values.
jobs_dumped="$(value "SELECT jsonb_agg(to_jsonb(j) - 'owner' || jsonb_build_object('owner', j.owner::text) ORDER BY job_id)
                      FROM jobs.scheduled_job AS j")"
dumped_sequence() {
    "$PG_BINDIR/pg_restore" -f - "$dump" |
        sed -n "s/^SELECT pg_catalog.setval('jobs.$1', \([0-9]*\), true);$/\1/p"
}
job_seq="$(dumped_sequence scheduled_job_job_id_seq)"
run_seq="$(dumped_sequence job_execution_execution_id_seq)"
[[ "$job_seq" =~ ^[0-9]+$ && "$run_seq" =~ ^[0-9]+$ ]] ||
    fail "the dump sets the sequences of jobs and runs (jobs: '$job_seq', runs: '$run_seq')"

cluster_start upgrade_path_restored "${conf[@]}"
cluster_on_exit _scheduler_dump_on_failure
# Roles are the cluster's: the administrator creates them (other OIDs here).
cluster_psql -o /dev/null -c 'CREATE ROLE alice LOGIN' -c 'CREATE ROLE "Mixed Case" LOGIN'
# In two steps, as a long restore may go: the launcher finds the extension
# (still without jobs) before the jobs and runs arrive; their COPY wakes it.
"$PG_BINDIR/pg_restore" --exit-on-error --section=pre-data -d postgres "$dump" ||
    fail "pg_restore (pre-data) into a new cluster works"
wait_for 60 grep -qF "pg_jobs launcher: scheduling 0 job(s)" "$CLUSTER_LOG" ||
    fail "the restored cluster's launcher schedules as soon as the extension exists"
# In one transaction, as the README says: a job due while the rows went in
# one COPY at a time could be queued before the run history's COPY, and take
# an execution_id that COPY then brings again (a duplicate key).
"$PG_BINDIR/pg_restore" --exit-on-error --single-transaction --section=data --section=post-data -d postgres "$dump" ||
    fail "pg_restore (data, post-data) into a new cluster works"

restored_jobs="$(value "SELECT jsonb_agg(to_jsonb(j) - 'owner' || jsonb_build_object('owner', j.owner::text) ORDER BY job_id)
                        FROM jobs.scheduled_job AS j")"
[[ "$restored_jobs" == "$jobs_dumped" ]] || fail "the restored jobs are the dumped ones, owned by the same roles (by name)"
# (The restored launcher may have queued runs already: the runs' sequence is
# at least the dumped value, never restarted.)
if [[ "$(value "SELECT last_value FROM jobs.scheduled_job_job_id_seq")" != "$job_seq" ]] ||
    ! holds "SELECT last_value >= $run_seq FROM jobs.job_execution_execution_id_seq"; then
    fail "the restored sequences have the dumped values ($job_seq, $run_seq)"
fi
restored_runs="$(value "SELECT count(*) FROM jobs.job_execution")"
runs_digest() {
    value "SELECT count(*) || ' ' || md5(string_agg((to_jsonb(e) - 'owner' || jsonb_build_object('owner', e.owner::text))::text,
                                                '|' ORDER BY execution_id))
           FROM jobs.job_execution AS e WHERE execution_id IN ($final_before_dump)"
}
restored_digest="$(runs_digest)"
cluster_use "$source_cluster"
source_digest="$(runs_digest)"
source_secrets="$(value "SELECT count(*) FROM jobs_internal._secret")"
cluster_use upgrade_path_restored
[[ "$restored_digest" == "$source_digest" ]] ||
    fail "the runs finished before the dump are restored, row for row (restored $restored_digest, source $source_digest)"
((restored_runs > 12)) || fail "the history from 0.1.0 and since is restored ($restored_runs runs)"
[[ "$source_secrets" == 1 && "$(value "SELECT count(*) FROM jobs_internal._secret")" == 0 ]] ||
    fail "secrets are not restored (source $source_secrets, restored $(value "SELECT count(*) FROM jobs_internal._secret"))"
[[ "$(cluster_psql -At -c "SET ROLE alice" -c "SELECT count(*) FROM jobs.secrets")" == 0 ]] ||
    fail "alice has no secret in the restored cluster"
holds "SELECT has_schema_privilege('alice', 'jobs', 'USAGE') AND has_table_privilege('alice', 'jobs.job_status', 'SELECT')" ||
    fail "the grants to alice are restored"
pass "pg_restore into a new cluster keeps the jobs, their history and the sequences; secrets are not restored"

# The restored jobs run: scheduled ones and the triggers of their owners.
wait_for 60 launcher_running || fail "the restored cluster's launcher runs"
restored_ran() {
    holds "SELECT count(*) > 0 FROM jobs.job_execution AS e JOIN app.effects AS f USING (execution_id)
           WHERE e.job_name = 'tick' AND e.status = 'succeeded' AND e.execution_id > $run_seq"
}
wait_for 60 restored_ran || fail "the restored seconds job runs: $(show_executions "execution_id > $run_seq")"
missing="$(cluster_psql -At -c "SET ROLE alice" -c "SELECT jobs.trigger('with_secret')")"
[[ "$(wait_final "$missing")" == failed ]] || fail "alice's job that needs the secret fails until she sets it again"
cluster_psql -At -o /dev/null -c "SET ROLE alice" -c "SELECT jobs.set_secret('api_token', 'set-again')"
again="$(cluster_psql -At -c "SET ROLE alice" -c "SELECT jobs.trigger('with_secret')")"
[[ "$(wait_final "$again")" == succeeded ]] || fail "alice's job runs once she has set the secret again: $(show_executions "execution_id = $again")"
((again > run_seq)) || fail "new runs are numbered after the restored ones ($again > $run_seq)"
pass "the restored jobs run (the seconds job; alice's HTTP job once she sets its secret again); new runs follow the restored ids"
