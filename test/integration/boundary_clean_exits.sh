#!/usr/bin/env bash
# The C++/PostgreSQL boundary (src/pg/common/guard.hpp, worker_main.hpp,
# transaction.hpp), exercised through the scheduler's processes and the SQL
# functions that go through run_guarded: a job that succeeds, one that
# fails, one cancelled while it runs, jobs.wait and jobs.context, errors of
# the privileged functions; a failure inside the SQL worker's and the HTTP
# worker's own transactions (logged, rolled back, the process goes on);
# then a fast restart (every worker told to stop) and an immediate one.
# Afterwards the server log must show no C++ exception that reached
# std::terminate ("terminate called"), no pg_jobs process ended by a signal
# (an abort is a crash to the postmaster, which restarts every backend) and
# no worker that exited after an unexpected failure.
#
#   test/integration/boundary_clean_exits.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start boundary_clean_exits "jobs.max_workers = 1"
cluster_psql -o /dev/null <<'SQL'
CREATE ROLE alice LOGIN;
GRANT USAGE ON SCHEMA jobs TO alice;
GRANT CREATE ON SCHEMA public TO alice;
SQL
as_alice() { cluster_psql -U alice -At -c "$1"; }

as_alice "SELECT jobs.schedule('works', NULL, 'SELECT (jobs.context())->>''job_name''')" >/dev/null
as_alice "SELECT jobs.schedule('fails', NULL, 'SELECT 1/0')" >/dev/null
as_alice "SELECT jobs.schedule('sleeps', NULL, 'SELECT pg_sleep(60)')" >/dev/null

id="$(as_alice "SELECT jobs.trigger('works')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "a job reading jobs.context() succeeds"
id="$(as_alice "SELECT jobs.trigger('fails')")"
[[ "$(wait_final "$id")" == failed ]] || fail "a job that divides by zero fails"
[[ "$(value "SELECT sqlstate FROM jobs.job_execution WHERE execution_id = $id")" == 22012 ]] ||
    fail "the failed run keeps its SQLSTATE (22012)"
pass "jobs run and fail through the worker as before"

id="$(as_alice "SELECT jobs.trigger('sleeps')")"
wait_until 30 "SELECT status = 'running' FROM jobs.job_execution WHERE execution_id = $id" ||
    fail "the sleeping run starts"
as_alice "SELECT jobs.cancel($id)" >/dev/null
[[ "$(wait_final "$id")" == cancelled ]] || fail "jobs.cancel ends a running run"
pass "jobs.cancel (jobs_internal._request_cancel) and jobs.wait end a running run"

# Errors raised by the guarded functions keep their SQLSTATE and message.
expect_error() {
    local sql="$1" sqlstate="$2" output
    if output="$(cluster_psql -U alice -At -v VERBOSITY=verbose -c "$sql" 2>&1)"; then
        fail "$sql is refused"
    fi
    grep -q "ERROR:  $sqlstate" <<<"$output" || fail "$sql is refused with $sqlstate (got: $output)"
}
expect_error "SELECT jobs.wait(999999999)" 42704
expect_error "SELECT jobs.schedule('bad', '61 * * * *', 'SELECT 1')" 22023
expect_error "SELECT jobs.alter('nobody''s job', enabled => false)" 42704
[[ "$(as_alice "SELECT jobs.context() IS NULL")" == t ]] || fail "jobs.context() is NULL outside a job"
pass "errors of jobs.wait, jobs.schedule and jobs.alter keep their SQLSTATE; jobs.context() is NULL outside a job"

# A failure inside a process's own transaction (src/pg/common/transaction.hpp)
# is logged, rolled back, and the process carries on. The switch: while
# public.refusing has a row, a trigger refuses the SQL worker's 'failed' mark
# and the HTTP worker's claim. Before refusing, it writes a row (gone if the
# transaction was rolled back) and counts the attempt (a sequence survives
# the rollback).
cluster_psql -o /dev/null <<'SQL'
CREATE TABLE public.refusing (what text NOT NULL);
CREATE TABLE public.written_before_refusing (what text NOT NULL);
CREATE SEQUENCE public.refused_attempts;
CREATE FUNCTION public.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    step text := CASE WHEN NEW.kind = 'http' AND NEW.status = 'running' THEN 'http claim'
                      WHEN NEW.kind = 'sql' AND NEW.status = 'failed' THEN 'failed mark' END;
BEGIN
    IF step IS NOT NULL AND EXISTS (SELECT FROM public.refusing AS r WHERE r.what = step) THEN
        INSERT INTO public.written_before_refusing VALUES (step);
        PERFORM nextval('public.refused_attempts');
        RAISE EXCEPTION 'test: the % is refused', step;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER refuse BEFORE UPDATE ON jobs.job_execution
    FOR EACH ROW EXECUTE FUNCTION public.refuse();
SQL
refused() { value "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM public.refused_attempts"; }
run_pid() { value "SELECT worker_pid FROM jobs.job_execution WHERE execution_id = $1"; }

# The SQL worker: a run fails, and recording that fails.
id="$(as_alice "SELECT jobs.trigger('works')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "a job runs before the refusal"
worker_pid="$(run_pid "$id")"
value "INSERT INTO public.refusing VALUES ('failed mark')" >/dev/null
id="$(as_alice "SELECT jobs.trigger('fails')")"
wait_for 30 grep -q "pg_jobs worker: could not record a failed run: test: the failed mark is refused" "$CLUSTER_LOG" ||
    fail "the SQL worker logs the failure to record a failed run"
[[ "$(value "SELECT status FROM jobs.job_execution WHERE execution_id = $id")" == running ]] ||
    fail "the refused 'failed' mark left the run as it was"
value "DELETE FROM public.refusing" >/dev/null
id="$(as_alice "SELECT jobs.trigger('works')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "a job runs after the refused mark"
[[ "$(run_pid "$id")" == "$worker_pid" ]] ||
    fail "the same SQL worker ran the next job (pid $worker_pid before, $(run_pid "$id") after)"
pass "a failed transaction of the SQL worker is logged and the worker goes on with the next run"

# The HTTP worker: its claim fails, again and again, then succeeds.
as_alice "SELECT jobs.schedule_http('nobody_listens', NULL, 'http://127.0.0.1:9/')" >/dev/null
value "INSERT INTO public.refusing VALUES ('http claim')" >/dev/null
before="$(refused)"
id="$(as_alice "SELECT jobs.trigger('nobody_listens')")"
wait_for 30 count_at_least $((before + 2)) \
    "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM public.refused_attempts" ||
    fail "the HTTP worker tried to claim the run, and tried again (refused attempts: $(refused))"
grep -q "pg_jobs http worker: could not claim runs: test: the http claim is refused" "$CLUSTER_LOG" ||
    fail "the HTTP worker logs the failed claim"
http_pid="$(value "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_jobs http worker'")"
[[ -n "$http_pid" ]] || fail "the HTTP worker is up while its claims fail"
value "DELETE FROM public.refusing" >/dev/null
[[ "$(wait_final "$id")" == failed ]] || fail "once the claim succeeds, the HTTP run ends (connection refused)"
[[ "$(run_pid "$id")" == "$http_pid" ]] ||
    fail "the HTTP worker whose claims failed ran the run (pid $http_pid, ran by $(run_pid "$id"))"
[[ "$(value "SELECT count(*) FROM public.written_before_refusing")" == 0 ]] ||
    fail "every refused transaction was rolled back (rows written before the refusal remain)"
pass "a failed claim of the HTTP worker is logged, rolled back and retried by the same process; nothing of the refused transactions remains"

# A job whose stored time zone the server does not know (as after a restore
# onto a server with another tz database): the launcher warns while loading
# it, from inside the agenda's C++ code (guard.hpp's report), and schedules
# the others.
as_alice "SELECT jobs.schedule('zoneless', '0 3 * * *', 'SELECT 1')" >/dev/null
value "UPDATE jobs.scheduled_job SET timezone = 'No/Such_Zone' WHERE job_name = 'zoneless'" >/dev/null

# Every worker is told to stop (SIGTERM), then everything is killed at once.
cluster_restart fast || fail "a fast restart succeeds"
wait_for 30 launcher_running || fail "the launcher runs after a fast restart"
id="$(as_alice "SELECT jobs.trigger('works')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "a job runs after the fast restart"
wait_for 30 grep -q 'WARNING:  pg_jobs: skipping jobs with time zone "No/Such_Zone"' "$CLUSTER_LOG" ||
    fail "the launcher warns about the job whose time zone is unknown"
wait_until 30 "SELECT NOT enabled AND disabled_reason LIKE 'the scheduler cannot run this job: its time zone \"No/Such_Zone\" is unusable: %'
               FROM jobs.scheduled_job WHERE job_name = 'zoneless'" ||
    fail "the job is disabled with the reason: $(value "SELECT row(enabled, disabled_reason) FROM jobs.scheduled_job WHERE job_name = 'zoneless'")"
cluster_restart immediate || fail "an immediate restart succeeds"
wait_for 30 launcher_running || fail "the launcher runs after an immediate restart"
pass "the scheduler comes back after a fast and an immediate restart, warning about a job with an unknown zone and disabling it with the reason"

# The log of every process of this cluster, from its first start.
if grep -n "terminate called" "$CLUSTER_LOG" >&2; then
    fail "no C++ exception reached std::terminate"
fi
if grep -nE "pg_jobs.*(was terminated by signal|exits after an unexpected failure)" "$CLUSTER_LOG" >&2; then
    fail "no pg_jobs process was killed by a signal or exited after an unexpected failure"
fi
pass "the server log shows no std::terminate, no pg_jobs process ended by a signal, no unexpected failure"
