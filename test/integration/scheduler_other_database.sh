#!/usr/bin/env bash
# Jobs in a database other than jobs.database (here: postgres) run there, in
# a pool of persistent workers connected to that database, with the launcher
# recording their runs: scheduled runs match the rows they inserted; a
# trigger's payload is read with jobs.context() (extension installed there);
# jobs.wait returns the final row; failures keep their SQLSTATE and detail;
# an unprivileged owner is denied there what it is denied; a worker killed
# mid-run leaves a 'crashed' run and the next runs work; a dropped database
# fails its runs clearly and blocks nothing; jobs.max_workers is the total
# over all databases. Also: every run starts from a clean session (temporary
# tables, prepared statements, cursors, currval, advisory locks, settings), in
# jobs.database and elsewhere.
#
#   test/integration/scheduler_other_database.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start scheduler_other_database "jobs.max_workers = 4"
cluster_psql -o /dev/null <<'SQL'
CREATE DATABASE appdb;     -- with the extension (for jobs.context())
CREATE DATABASE plaindb;   -- without it
CREATE ROLE alice LOGIN;
GRANT USAGE ON SCHEMA jobs TO alice;
CREATE TABLE public.probe (job text, what text, n bigint, pid int);
SQL
cluster_psql -d appdb -o /dev/null <<'SQL'
SET client_min_messages = warning;  -- CREATE EXTENSION outside jobs.database says so with a NOTICE
CREATE EXTENSION pg_jobs;
CREATE TABLE public.ticks (execution_id bigint, db text, who text, at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE TABLE public.received (payload jsonb, context jsonb);
CREATE TABLE public.secret (x int);
REVOKE ALL ON public.secret FROM PUBLIC;
CREATE TABLE public.who_ran (who text, super bool);
GRANT INSERT ON public.who_ran TO alice;
CREATE TABLE public.probe (job text, what text, n bigint, pid int);
SQL
cluster_psql -d plaindb -o /dev/null <<'SQL'
CREATE TABLE public.ticks (db text, at timestamptz NOT NULL DEFAULT clock_timestamp());
SQL

in_db() { cluster_psql -d "$1" -At -c "$2"; }
error_of() { value "SELECT sqlstate || '|' || error FROM jobs.job_execution WHERE execution_id = $1"; }

# --- A seconds schedule in appdb: every succeeded run inserted exactly one row there ----------------
value "SELECT jobs.schedule('app_tick', '* * * * * *', \$\$INSERT INTO public.ticks (execution_id, db, who)
       SELECT (jobs.context() ->> 'execution_id')::bigint, current_database(), current_user\$\$, database => 'appdb')" >/dev/null
wait_until 30 "SELECT count(*) >= 3 FROM jobs.job_execution WHERE job_name = 'app_tick' AND status = 'succeeded'" ||
    fail "a '* * * * * *' job in appdb fires and succeeds"
value "SELECT jobs.disable('app_tick')" >/dev/null
wait_until 30 "SELECT count(*) = 0 FROM jobs.job_execution WHERE job_name = 'app_tick' AND status IN ('queued', 'running')" ||
    fail "app_tick's last runs finish once it is disabled"
succeeded="$(value "SELECT string_agg(execution_id::text, ',' ORDER BY execution_id) FROM jobs.job_execution
                    WHERE job_name = 'app_tick' AND status = 'succeeded'")"
inserted="$(in_db appdb "SELECT string_agg(execution_id::text, ',' ORDER BY execution_id) FROM public.ticks")"
[[ "$succeeded" == "$inserted" ]] ||
    fail "each succeeded run of app_tick inserted one row in appdb (succeeded: $succeeded; rows: $inserted)"
not_ok="$(value "SELECT count(*) FROM jobs.job_execution WHERE job_name = 'app_tick' AND status <> 'succeeded'")"
[[ "$not_ok" == 0 ]] || fail "no run of app_tick fails ($not_ok did: $(show_executions "job_name = 'app_tick'"))"
[[ "$(in_db appdb "SELECT count(*) FROM public.ticks WHERE db <> 'appdb' OR who <> 'postgres'")" == 0 ]] ||
    fail "app_tick ran in appdb as its owner postgres"
pass "a '* * * * * *' job in appdb fires; its $(tr ',' '\n' <<<"$succeeded" | wc -l) succeeded runs match the rows inserted there, one each"

pid="$(value "SELECT worker_pid FROM jobs.job_execution WHERE job_name = 'app_tick' ORDER BY execution_id DESC LIMIT 1")"
where="$(value "SELECT backend_type || ' in ' || datname FROM pg_stat_activity WHERE pid = $pid")"
[[ "$where" == 'pg_jobs worker in appdb' ]] || fail "worker_pid names the worker connected to appdb (got '$where')"
runs_here="$(value "SELECT count(DISTINCT worker_pid) FROM jobs.job_execution WHERE job_name = 'app_tick'")"
pass "the runs were made by $runs_here persistent 'pg_jobs worker' process(es) connected to appdb"

# --- The same without the extension in the target database ----------------------------------------
value "SELECT jobs.schedule('plain_tick', '* * * * * *', 'INSERT INTO public.ticks (db) SELECT current_database()',
                            database => 'plaindb')" >/dev/null
wait_until 30 "SELECT count(*) >= 3 FROM jobs.job_execution WHERE job_name = 'plain_tick' AND status = 'succeeded'" ||
    fail "a '* * * * * *' job in plaindb (no extension there) fires and succeeds"
value "SELECT jobs.disable('plain_tick')" >/dev/null
wait_until 30 "SELECT count(*) = 0 FROM jobs.job_execution WHERE job_name = 'plain_tick' AND status IN ('queued', 'running')" ||
    fail "plain_tick's last runs finish once it is disabled"
runs="$(value "SELECT count(*) FILTER (WHERE status = 'succeeded') || '/' || count(*) FROM jobs.job_execution WHERE job_name = 'plain_tick'")"
rows="$(in_db plaindb "SELECT count(*) FROM public.ticks WHERE db = 'plaindb'")"
[[ "$runs" == "$rows/$rows" ]] || fail "plain_tick: all runs succeeded, one row each (runs succeeded/all: $runs, rows: $rows)"
pass "without the extension in plaindb too: $rows runs, all succeeded, $rows rows"

value "SELECT jobs.schedule('plain_context', NULL, 'SELECT jobs.context()', database => 'plaindb')" >/dev/null
id="$(value "SELECT jobs.trigger('plain_context')")"
[[ "$(wait_final "$id")" == failed && "$(error_of "$id")" == '3F000|schema "jobs" does not exist' ]] ||
    fail "jobs.context() in a database without the extension fails clearly (got '$(error_of "$id")')"
pass "jobs.context() where the extension is not installed: failed, 3F000 'schema \"jobs\" does not exist'"

# --- Trigger with a payload, read with jobs.context(); jobs.wait returns the final row ---------------
value "SELECT jobs.schedule('app_store', NULL, \$\$INSERT INTO public.received SELECT jobs.context() -> 'payload', jobs.context()\$\$,
                            database => 'appdb')" >/dev/null
id="$(value "SELECT jobs.trigger('app_store', '{\"greeting\": \"hello\", \"n\": 42}')")"
row="$(value "SELECT w.status || '|' || w.rows_affected || '|' || w.triggered_by || '|' || w.database || '|'
                     || (w.started_at IS NOT NULL AND w.finished_at >= w.started_at AND w.queued_at <= w.started_at)
                     || '|' || (w.worker_pid IS NOT NULL) || '|' || (w.error IS NULL)
              FROM jobs.wait($id, interval '60 seconds') AS w")"
[[ "$row" == 'succeeded|1|manual|appdb|true|true|true' ]] ||
    fail "jobs.wait returns the final row of a run in appdb (got '$row')"
pass "jobs.wait returns the final row: succeeded, rows_affected 1, times and worker_pid set"
payload="$(in_db appdb "SELECT payload FROM public.received")"
[[ "$payload" == '{"n": 42, "greeting": "hello"}' ]] || fail "the payload reached the job in appdb (got '$payload')"
context_ok="$(in_db appdb "SELECT context ->> 'execution_id' = '$id' AND context ->> 'job_name' = 'app_store'
                                  AND context ->> 'triggered_by' = 'manual' AND context ->> 'triggered_by_user' = 'postgres'
                           FROM public.received")"
[[ "$context_ok" == t ]] || fail "jobs.context() in appdb carries the run's fields (got $(in_db appdb "SELECT context FROM public.received"))"
pass "a trigger's payload is read with jobs.context() in appdb"

# A command of any length travels to the worker (here about 200 kB).
value "SELECT jobs.schedule('app_long', NULL, 'INSERT INTO public.received (payload) SELECT to_jsonb(length('''
       || repeat('x', 200000) || '''))', database => 'appdb')" >/dev/null
id="$(value "SELECT jobs.trigger('app_long')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "a 200 kB command runs in appdb ($(error_of "$id"))"
[[ "$(in_db appdb "SELECT count(*) FROM public.received WHERE payload = '200000'")" == 1 ]] ||
    fail "the 200 kB command arrived whole"
pass "a 200 kB command is handed over whole"

# --- Failures keep message, SQLSTATE and detail -----------------------------------------------------
value "SELECT jobs.schedule('app_raise', NULL, \$o\$DO \$\$ BEGIN
    RAISE EXCEPTION 'custom failure' USING ERRCODE = 'P0042', DETAIL = 'the detail text';
END \$\$\$o\$, database => 'appdb')" >/dev/null
id="$(value "SELECT jobs.trigger('app_raise')")"
[[ "$(wait_final "$id")" == failed ]] || fail "a failing command in appdb is recorded as failed"
[[ "$(error_of "$id")" == 'P0042|custom failure' ]] || fail "the failure keeps SQLSTATE and message (got '$(error_of "$id")')"
detail="$(value "SELECT error_detail FROM jobs.job_execution WHERE execution_id = $id")"
[[ "$detail" == *'the detail text'* && "$detail" == *'CONTEXT: PL/pgSQL function inline_code_block'* ]] ||
    fail "the failure keeps DETAIL and CONTEXT (got '$detail')"
[[ "$(value "SELECT rows_affected IS NULL AND finished_at >= started_at FROM jobs.job_execution WHERE execution_id = $id")" == t ]] ||
    fail "a failed run has finished_at and no rows_affected"
pass "a failing command in appdb: failed, P0042 'custom failure', DETAIL and CONTEXT recorded"

value "SELECT jobs.schedule('app_divide', NULL, 'SELECT 1 / 0', database => 'appdb')" >/dev/null
id="$(value "SELECT jobs.trigger('app_divide')")"
[[ "$(wait_final "$id")" == failed && "$(error_of "$id")" == '22012|division by zero' ]] ||
    fail "division by zero in appdb is recorded with 22012 (got '$(error_of "$id")')"
value "SELECT jobs.schedule('app_long_error', NULL, \$o\$DO \$\$ BEGIN RAISE EXCEPTION '%', repeat('é', 3000); END \$\$\$o\$,
                            database => 'appdb')" >/dev/null
id="$(value "SELECT jobs.trigger('app_long_error')")"
[[ "$(wait_final "$id")" == failed ]] || fail "a run failing with a 6 kB message is recorded as failed"
cut_error="$(value "SELECT length(error) || '|' || octet_length(error) || '|' || (error = repeat('é', length(error)))
               FROM jobs.job_execution WHERE execution_id = $id")"
[[ "$cut_error" == '1023|2046|true' ]] || fail "a long message is cut at a character boundary (length|bytes|intact: '$cut_error')"
pass "22012 recorded; a 6 kB message is cut to 2 kB at a character boundary"

# --- The owner's privileges, in appdb -------------------------------------------------------------------
cluster_psql -U alice -At -o /dev/null -c "SELECT jobs.schedule('peek', NULL, 'SELECT * FROM public.secret', database => 'appdb')"
id="$(cluster_psql -U alice -At -c "SELECT jobs.trigger('peek')")"
[[ "$(wait_final "$id")" == failed && "$(error_of "$id")" == '42501|permission denied for table secret' ]] ||
    fail "alice's job in appdb is denied what alice is denied there (got '$(error_of "$id")')"
cluster_psql -U alice -At -o /dev/null -c "SELECT jobs.schedule('whoami', NULL,
    \$\$SET ROLE postgres; INSERT INTO public.who_ran SELECT current_user, usesuper FROM pg_user WHERE usename = current_user\$\$, database => 'appdb')"
id="$(cluster_psql -U alice -At -c "SELECT jobs.trigger('whoami')")"
[[ "$(wait_final "$id")" == failed && "$(in_db appdb "SELECT count(*) FROM public.who_ran")" == 0 ]] ||
    fail "alice's job in appdb cannot SET ROLE to the superuser (status $(value "SELECT status FROM jobs.job_execution WHERE execution_id = $id"))"
cluster_psql -U alice -At -o /dev/null -c "SELECT jobs.alter('whoami', command => \$\$INSERT INTO public.who_ran
    SELECT current_user, usesuper FROM pg_user WHERE usename = current_user\$\$)"
id="$(cluster_psql -U alice -At -c "SELECT jobs.trigger('whoami')")"
[[ "$(wait_final "$id")" == succeeded && "$(in_db appdb "SELECT who || ' ' || super FROM public.who_ran")" == 'alice false' ]] ||
    fail "alice's job runs in appdb as alice (got '$(in_db appdb "SELECT who || ' ' || super FROM public.who_ran")')"
pass "an unprivileged owner's job in appdb: denied 42501, cannot SET ROLE, runs as alice"

# --- Every run starts from a clean session (in jobs.database and in appdb) --------------------------------
# Each job first records what the session still holds from earlier runs,
# then leaves the same behind again. Run several times in a row, the runs
# share a worker (checked), so anything left would be seen.
probe_job() { # name database
    local database_clause=""
    [[ "$2" == postgres ]] || database_clause=", database => '$2'"
    value "SELECT jobs.schedule('$1', NULL, \$\$
        INSERT INTO public.probe SELECT '$1', 'prepared', count(*), pg_backend_pid() FROM pg_prepared_statements;
        INSERT INTO public.probe SELECT '$1', 'cursors', count(*), pg_backend_pid() FROM pg_cursors;
        INSERT INTO public.probe SELECT '$1', 'advisory', count(*), pg_backend_pid() FROM pg_locks
            WHERE locktype = 'advisory' AND pid = pg_backend_pid();
        INSERT INTO public.probe SELECT '$1', 'lastval', public.has_lastval(), pg_backend_pid();
        INSERT INTO public.probe SELECT '$1', 'work_mem', setting::bigint, pg_backend_pid() FROM pg_settings WHERE name = 'work_mem';
        CREATE TEMP TABLE scratch (x int);
        INSERT INTO scratch VALUES (1);
        PREPARE leftover AS SELECT 1;
        DECLARE leftover_cursor CURSOR WITH HOLD FOR SELECT 1;
        SELECT pg_advisory_lock(4242), nextval('public.counter')\$\$ $database_clause)" >/dev/null
}
# A procedure that COMMITs (possible only when the CALL is the whole command)
# ends the run's transaction, and its SET would outlive the run.
for database in postgres appdb; do
    cluster_psql -d "$database" -o /dev/null <<'SQL'
CREATE PROCEDURE public.leave_setting() LANGUAGE plpgsql AS $$ BEGIN SET work_mem = '77MB'; COMMIT; END $$;
CREATE SEQUENCE public.counter;
CREATE FUNCTION public.has_lastval() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lastval();
    RETURN 1;
EXCEPTION WHEN object_not_in_prerequisite_state THEN
    RETURN 0;
END $$;
SQL
done
probe_job probe_local postgres
probe_job probe_app appdb
# Written as users do (comments, nested ones too, lower case): the worker
# still sees the CALL.
value "SELECT jobs.schedule('set_local', NULL, '/* keeps /* nested */ a SET */ call public.leave_setting()')" >/dev/null
value "SELECT jobs.schedule('set_app', NULL, E'-- keeps a SET\\n  call public.leave_setting()', database => 'appdb')" >/dev/null
# The check needs runs that shared a worker; with jobs.max_workers = 4 a
# worker may be retired between two runs to make room for another owner's, so
# the rounds go on (at most 9) until each probe has had two runs in one worker.
shares_workers() {
    local job
    for job in probe_local probe_app; do
        (($(value "SELECT count(*) - count(DISTINCT worker_pid) FROM jobs.job_execution WHERE job_name = '$job'") > 0)) ||
            return 1
    done
}
for round in 1 2 3 4 5 6 7 8 9; do
    for job in probe_local set_local probe_app set_app; do
        id="$(value "SELECT jobs.trigger('$job')")"
        status="$(wait_final "$id")"
        [[ "$status" == succeeded ]] || fail "$job run $round succeeds (status '$status': $(error_of "$id"))"
    done
    ((round < 3)) || ! shares_workers || break
done
for pair in probe_local:postgres probe_app:appdb; do
    job="${pair%%:*}"
    database="${pair##*:}"
    shared="$(value "SELECT count(*) - count(DISTINCT worker_pid) FROM jobs.job_execution WHERE job_name = '$job'")"
    ((shared > 0)) || fail "$job: runs shared a worker (else this check proves nothing)"
    work_mem_kb="$(value "SELECT setting FROM pg_settings WHERE name = 'work_mem'")"
    left="$(in_db "$database" "SELECT string_agg(DISTINCT what || '=' || n, ', ') FROM public.probe
                               WHERE job = '$job' AND (n <> 0 AND what <> 'work_mem' OR what = 'work_mem' AND n <> $work_mem_kb)")"
    [[ -z "$left" ]] || fail "$job ($database): a run saw what an earlier run left: $left"
done
pass "the temp-table job runs at least 3 times, at least twice in one worker; no run sees an earlier run's temp table, prepared statement, cursor, currval, advisory lock or SET (postgres and appdb)"
# And the advisory lock is free for others as soon as the run is over.
free="$(in_db appdb "SELECT pg_try_advisory_lock(4242)")"
[[ "$free" == t ]] || fail "the advisory lock a job in appdb took is released after its run"
pass "a session-level advisory lock taken by a job is released when its run ends"

# --- Worker ended mid-run: SIGTERM (no restart), then kill -9 (server restart) -----------------------------
value "SELECT jobs.schedule('app_sleep', NULL, 'SELECT pg_sleep(600)', database => 'appdb')" >/dev/null
running_sleep() { # id -> worker pid, once pg_stat_activity shows the command active in appdb
    value "SELECT a.pid FROM jobs.job_execution e JOIN pg_stat_activity a ON a.pid = e.worker_pid
           WHERE e.execution_id = $1 AND e.status = 'running' AND a.datname = 'appdb' AND a.state = 'active'
             AND a.query = 'SELECT pg_sleep(600)' AND a.backend_type = 'pg_jobs worker'" 2>/dev/null
}
sleep_is_active() { [[ -n "$(running_sleep "$1")" ]]; }
launcher_pid() { value "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_jobs launcher'" 2>/dev/null; }
launcher_replaced() { local now; now="$(launcher_pid)" && [[ -n "$now" && "$now" != "$1" ]]; }

id="$(value "SELECT jobs.trigger('app_sleep')")"
wait_for 30 sleep_is_active "$id" ||
    fail "the running job shows in pg_stat_activity as an active 'pg_jobs worker' in appdb with its query"
pid="$(running_sleep "$id")"
pass "a running job in appdb shows in pg_stat_activity: pg_jobs worker, appdb, active, 'SELECT pg_sleep(600)'"
value "SELECT pg_terminate_backend($pid)" >/dev/null
[[ "$(wait_final "$id")" == cancelled ]] || fail "a run whose appdb worker was terminated (SIGTERM) becomes cancelled"
error="$(value "SELECT error FROM jobs.job_execution WHERE execution_id = $id")"
[[ "$error" == shutdown:* ]] || fail "a run cancelled by SIGTERM says 'shutdown: ...' (got '$error')"
id="$(value "SELECT jobs.trigger('app_store', '{\"after\": \"terminate\"}')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "the next run in appdb succeeds after a worker was terminated"
pass "SIGTERM of the appdb worker mid-run: 'cancelled' with reason shutdown; the next run succeeds"

# The launcher ends while a run is in progress: the worker reports with no
# launcher there, and the next launcher (restarted by the postmaster) records it.
value "SELECT jobs.schedule('app_nap', NULL, 'SELECT pg_sleep(2)', database => 'appdb')" >/dev/null
nap_is_active() { holds "SELECT count(*) = 1 FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(2)' AND state = 'active'"; }
id="$(value "SELECT jobs.trigger('app_nap')")"
wait_for 30 nap_is_active || fail "the 2 s job runs in appdb"
old_launcher="$(launcher_pid)"
value "SELECT pg_terminate_backend($old_launcher)" >/dev/null
status="$(wait_final "$id")"
[[ "$status" == succeeded ]] || fail "a run that ended while no launcher ran is recorded by the next launcher (got '$status')"
launcher_replaced "$old_launcher" || fail "a new launcher runs"
timing="$(value "SELECT finished_at - started_at >= interval '2 seconds'
                        AND finished_at < (SELECT backend_start FROM pg_stat_activity WHERE backend_type = 'pg_jobs launcher')
                 FROM jobs.job_execution WHERE execution_id = $id")"
[[ "$timing" == t ]] || fail "the run finished before the new launcher started, and its times are the worker's"
pass "a run in appdb that finished while the launcher was down is recorded 'succeeded' by the next launcher"

id="$(value "SELECT jobs.trigger('app_sleep')")"
wait_for 30 sleep_is_active "$id" || fail "the sleeping job runs again"
pid="$(running_sleep "$id")"
old_launcher="$(launcher_pid)"
kill -9 "$pid"
wait_for 60 launcher_replaced "$old_launcher" || fail "the server restarts after a worker was killed with SIGKILL"
status="$(wait_final "$id")"
[[ "$status" == crashed ]] || fail "a run whose appdb worker was killed with SIGKILL becomes crashed (got '$status')"
id="$(value "SELECT jobs.trigger('app_store', '{\"after\": \"kill\"}')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "the next run in appdb succeeds after the kill -9"
value "SELECT jobs.enable('app_tick')" >/dev/null
since="$(value "SELECT clock_timestamp()")"
wait_until 30 "SELECT count(*) >= 2 FROM jobs.job_execution WHERE job_name = 'app_tick' AND status = 'succeeded'
               AND started_at > '$since'::timestamptz" || fail "scheduled runs in appdb continue after the kill -9"
pass "kill -9 of the appdb worker mid-run: 'crashed' after the server restart; triggers and schedules work again"

# --- A database that is dropped -------------------------------------------------------------------------
cluster_psql -c "CREATE DATABASE gone"
cluster_psql -d gone -c "CREATE TABLE public.ticks (at timestamptz DEFAULT clock_timestamp())"
value "SELECT jobs.schedule('gone_tick', '* * * * * *', 'INSERT INTO public.ticks DEFAULT VALUES', database => 'gone')" >/dev/null
wait_until 30 "SELECT count(*) >= 1 FROM jobs.job_execution WHERE job_name = 'gone_tick' AND status = 'succeeded'" ||
    fail "a job in database gone runs before the drop"
# A worker stays connected between runs, so a plain DROP DATABASE waits for it; FORCE ends it.
cluster_psql -c "DROP DATABASE gone WITH (FORCE)"
dropped_at="$(value "SELECT clock_timestamp()")"
wait_until 30 "SELECT count(*) >= 2 FROM jobs.job_execution WHERE job_name = 'gone_tick' AND status = 'failed'
               AND queued_at > '$dropped_at'::timestamptz" || fail "runs of a job whose database was dropped fail"
error="$(value "SELECT sqlstate || '|' || error FROM jobs.job_execution WHERE job_name = 'gone_tick' AND status = 'failed'
                ORDER BY execution_id DESC LIMIT 1")"
[[ "$error" == '3D000|database "gone" does not exist' ]] || fail "the failure names the database (got '$error')"
wait_until 30 "SELECT count(*) >= 3 FROM jobs.job_execution WHERE job_name = 'app_tick' AND status = 'succeeded'
               AND started_at > '$dropped_at'::timestamptz" || fail "other jobs keep running after a database was dropped"
stuck="$(value "SELECT count(*) FROM jobs.job_execution WHERE job_name = 'gone_tick' AND status IN ('queued', 'running')
                AND queued_at < clock_timestamp() - interval '5 seconds'")"
[[ "$stuck" == 0 ]] || fail "no run of the dropped database's job stays queued or running ($stuck do)"
pass "a dropped database: its runs fail with 3D000 '$(cut -d'|' -f2 <<<"$error")'; other jobs keep running"
value "SELECT jobs.unschedule('gone_tick'), jobs.disable('app_tick')" >/dev/null

cluster_psql -c "ALTER DATABASE plaindb ALLOW_CONNECTIONS false"
id="$(value "SELECT jobs.trigger('plain_context')")"
[[ "$(wait_final "$id")" == failed && "$(error_of "$id")" == '55000|database "plaindb" does not accept connections' ]] ||
    fail "a run in a database that refuses connections fails clearly (got '$(error_of "$id")')"
cluster_psql -c "ALTER DATABASE plaindb ALLOW_CONNECTIONS true"
pass "a database that does not accept connections: its runs fail with 55000"

# --- jobs.max_workers is the total over all databases --------------------------------------------------
cluster_psql -c "ALTER SYSTEM SET jobs.max_workers = 1" >/dev/null
cluster_restart fast
wait_for 30 launcher_running || fail "the launcher runs again after the restart"
value "SELECT jobs.schedule('one_local', NULL, 'SELECT 1')" >/dev/null
value "SELECT jobs.schedule('one_plain', NULL, 'SELECT 1', database => 'plaindb')" >/dev/null
most_workers=0
for round in 1 2; do
    for job in one_local app_store one_plain; do
        id="$(value "SELECT jobs.trigger('$job')")"
        status="$(wait_final "$id")"
        [[ "$status" == succeeded ]] || fail "with jobs.max_workers = 1, $job (round $round) runs (status '$status')"
        workers="$(value "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_jobs worker'")"
        ((workers > most_workers)) && most_workers="$workers"
    done
done
((most_workers <= 1)) || fail "never more than jobs.max_workers = 1 worker runs (saw $most_workers)"
pass "with jobs.max_workers = 1, runs in postgres, appdb and plaindb take turns in the one worker slot"
