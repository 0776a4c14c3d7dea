# shellcheck shell=bash
# Helpers for the scheduler integration tests (test/integration/scheduler_*.sh):
# a cluster with pg_jobs created and its launcher up, one-value queries, and
# "ok"/"not ok" reporting. Source after test/lib/cluster.sh.
#
#   scheduler_start NAME [conf lines...]  cluster_start + CREATE EXTENSION
#                                         pg_jobs + wait for the launcher
#   value SQL                             one value (psql -At), errors to stderr
#   holds SQL                             true when SQL returns 't'
#   count_at_least N SQL                  true when SQL returns a number >= N
#   wait_until SECONDS SQL                wait_for SQL to return 't'
#   wait_final ID [SECONDS]               jobs.wait(ID); prints the final status
#   show_executions [WHERE]               executions summary (for failure messages)
#   check_last_runs [DB]                  jobs.job_last_run agrees with
#                                         jobs.job_status for every job (fails
#                                         if not); prints how many jobs have a row
#   fail MESSAGE / pass MESSAGE           TAP-like lines; fail exits 1
#
# On failure the EXIT hook prints a summary of jobs.job_execution, so a red
# run says what the scheduler did, not only what the test expected.

fail() {
    echo "not ok - $*" >&2
    exit 1
}
pass() { echo "ok - $*"; }
note() { echo "# $*"; }

value() { cluster_psql -At -c "$1"; }

# jobs.job_last_run (kept as runs end) gives every job the last_status
# jobs.job_status reads from the history: its row's status, unless a run with
# a higher execution_id is running. One statement, so one snapshot.
check_last_runs() {
    local db="${1:-postgres}" answer
    answer="$(cluster_psql -d "$db" -At -c "
        SELECT count(*) FILTER (WHERE d.derived IS DISTINCT FROM d.last_status) || ' ' || count(d.execution_id) || ' '
               || coalesce(string_agg(d.job_name || ': ' || coalesce(d.derived, 'none') || ' <> '
                                      || coalesce(d.last_status, 'none'), ', ')
                           FILTER (WHERE d.derived IS DISTINCT FROM d.last_status), '')
        FROM (SELECT s.job_name, s.last_status, l.execution_id,
                     CASE WHEN r.running_id > coalesce(l.execution_id, 0) THEN 'running' ELSE l.status END AS derived
              FROM jobs.job_status AS s
              LEFT JOIN jobs.job_last_run AS l ON l.job_id = s.job_id
              LEFT JOIN (SELECT e.job_id, max(e.execution_id) AS running_id FROM jobs.job_execution AS e
                         WHERE e.status = 'running' GROUP BY e.job_id) AS r ON r.job_id = s.job_id) AS d")"
    [[ "$answer" == "0 "* ]] || fail "jobs.job_last_run agrees with jobs.job_status: wrong, right, which: $answer"
    read -r _ answer _ <<<"$answer"
    echo "$answer"
}
holds() { [[ "$(value "$1" 2>/dev/null)" == t ]]; }
count_at_least() {
    local got
    got="$(value "$2" 2>/dev/null)" || return 1
    [[ "$got" =~ ^[0-9]+$ ]] && ((got >= $1))
}
wait_until() {
    local seconds="$1"
    shift
    wait_for "$seconds" holds "$1"
}

# jobs.wait with a deadline well past any run in these tests; prints the
# status the row has when jobs.wait returns (final, or not if it timed out).
wait_final() {
    local id="$1" seconds="${2:-60}"
    value "SELECT status FROM jobs.wait($id, interval '$seconds seconds')"
}

show_executions() {
    local where="${1:-true}"
    cluster_psql -P pager=off -c "
        SELECT job_id, job_name, triggered_by, status, count(*) AS runs,
               min(scheduled_for) AS first_scheduled, max(scheduled_for) AS last_scheduled,
               max(left(error, 80)) AS an_error
        FROM jobs.job_execution WHERE $where
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 3, 4 LIMIT 40" 2>&1 || true
}

_scheduler_dump_on_failure() {
    local status=$?
    ((status != 0)) || return 0
    [[ -n "${PGPORT:-}" ]] || return 0
    echo "----- jobs.job_execution at failure -----" >&2
    show_executions true >&2
    echo "----- pg_jobs processes -----" >&2
    cluster_psql -P pager=off -c "SELECT pid, backend_type, datname, usename, state, wait_event_type, wait_event,
        backend_start::time(3), left(query, 50) AS query
        FROM pg_stat_activity WHERE backend_type LIKE 'pg_jobs%'" >&2 2>&1 || true
}

launcher_running() {
    holds "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_jobs launcher'"
}

scheduler_start() {
    cluster_start "$@"
    cluster_on_exit _scheduler_dump_on_failure
    cluster_psql -c "CREATE EXTENSION pg_jobs"
    wait_for 30 launcher_running || fail "the pg_jobs launcher shows in pg_stat_activity"
}

# The counts every crash test ends with, for jobs whose command inserts its
# execution_id into public.effects: no scheduled time has two runs, no run
# of the job TICK_JOB failed, effects = succeeded runs, none twice. Prints
# a summary of runs per job and status (for the pass line).
check_effects_once() {
    local tick_job="$1" dups tick_failed mismatch twice
    dups="$(value "SELECT count(*) FROM (SELECT job_id, scheduled_for FROM jobs.job_execution
                                        WHERE triggered_by = 'schedule' GROUP BY 1, 2 HAVING count(*) > 1) d")"
    [[ "$dups" == 0 ]] || fail "no scheduled time has two runs ($dups have)"
    tick_failed="$(value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $tick_job AND status = 'failed'")"
    [[ "$tick_failed" == 0 ]] || fail "no run of the seconds job failed ($tick_failed did)"
    mismatch="$(value "SELECT count(*) FROM jobs.job_execution e FULL JOIN public.effects f USING (execution_id)
                       WHERE (e.status = 'succeeded') IS DISTINCT FROM (f.execution_id IS NOT NULL)")"
    [[ "$mismatch" == 0 ]] ||
        fail "effects = succeeded runs: every succeeded run has an effect, no other run has one ($mismatch mismatches)"
    twice="$(value "SELECT count(*) FROM (SELECT execution_id FROM public.effects GROUP BY 1 HAVING count(*) > 1) d")"
    [[ "$twice" == 0 ]] || fail "no run's effect is applied twice ($twice are)"
    value "SELECT string_agg(job_name || ' ' || status || ':' || n, ', ' ORDER BY job_name, status)
           FROM (SELECT job_name, status, count(*) AS n FROM jobs.job_execution GROUP BY 1, 2) s"
}
