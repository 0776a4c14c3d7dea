#!/usr/bin/env bash
# History retention and stuck-run detection, done by the launcher:
#   - the settings' defaults (jobs.history_per_job 100, jobs.history_max_age
#     30 days, jobs.history_failed_max_age -1);
#   - with jobs.history_per_job = 5, jobs.history_max_age = 1 day and
#     jobs.history_failed_max_age = 7 days, thousands of history rows of
#     several jobs (inserted directly) are trimmed to exact counts: the 5
#     newest succeeded/cancelled/skipped runs per job, failed/timed_out/crashed
#     runs kept for 7 days and not counted, nothing older than a day
#     otherwise; queued and running runs are never deleted, however old;
#   - with jobs.history_failed_max_age back to -1, failed runs count and age
#     like the others;
#   - a run left 'running' past its timeout with no live worker becomes
#     'crashed' (and is retried), while a run past its timeout whose worker
#     is alive is left alone;
#   - without a reload, the pass a minute later trims the runs of a job
#     that ran since.
# A configuration reload makes the launcher do a pass at once, so most
# checks wait for reloads, not for the minute between passes.
#
#   test/integration/reliability_retention.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start reliability_retention "timezone = 'UTC'"

# --- Defaults -------------------------------------------------------------------------------
defaults="$(value "SELECT current_setting('jobs.history_per_job') || ' ' || current_setting('jobs.history_max_age')
    || ' ' || current_setting('jobs.history_failed_max_age')")"
[[ "$defaults" == "100 30d -1" ]] || fail "defaults: history_per_job 100, history_max_age 30d, failed -1 (got: $defaults)"
pass "defaults: jobs.history_per_job = 100, jobs.history_max_age = 30d, jobs.history_failed_max_age = -1"

settings() {
    cluster_psql -o /dev/null -c "ALTER SYSTEM SET jobs.history_per_job = $1" \
        -c "ALTER SYSTEM SET jobs.history_max_age = '$2'" \
        -c "ALTER SYSTEM SET jobs.history_failed_max_age = '$3'" -c "SELECT pg_reload_conf()"
}
# No retention while the rows go in.
settings 0 0 -1

# --- History rows -----------------------------------------------------------------------------
# Jobs a, b, c exist (on demand); job 424242 is gone (its history stays and is
# trimmed too). Per job, rows in insertion order (execution_id order):
#   a: 200 failed ended 10 days ago, 1000 failed ended within the hour,
#      3000 succeeded ended within the hour, 1 queued and 1 running, both
#      queued 60 days ago;
#   b: 2000 succeeded ended 2 days ago, then 3 succeeded ended 10 minutes ago;
#   c: 10 timed_out ended 2 days ago, then 10 cancelled/skipped ended recently;
#   424242: 1500 succeeded ended within the hour.
cluster_psql -o /dev/null <<'SQL'
SELECT jobs.schedule(name, NULL, 'SELECT 1') FROM (VALUES ('a'), ('b'), ('c')) AS j (name);
CREATE FUNCTION pg_temp.add_runs(job bigint, runs integer, run_status text, ended_ago interval) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO jobs.job_execution (job_id, job_name, owner, database, command, status, triggered_by,
                                    queued_at, started_at, finished_at)
    SELECT job, coalesce((SELECT job_name FROM jobs.scheduled_job WHERE job_id = job), 'gone'), 'postgres',
           'postgres', 'SELECT 1',
           CASE WHEN run_status = 'cancelled/skipped' THEN (ARRAY['cancelled', 'skipped'])[1 + i % 2]
                ELSE run_status END,
           'manual', now() - ended_ago - interval '2 seconds', now() - ended_ago - interval '1 second',
           now() - ended_ago + i * interval '1 millisecond'
    FROM generate_series(1, runs) AS i
$$;
SELECT pg_temp.add_runs((SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'a'), 200, 'failed', '10 days');
SELECT pg_temp.add_runs((SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'a'), 1000, 'failed', '1 hour');
SELECT pg_temp.add_runs((SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'a'), 3000, 'succeeded', '1 hour');
INSERT INTO jobs.job_execution (job_id, job_name, owner, database, command, status, triggered_by, queued_at,
                                started_at, worker_pid)
SELECT job_id, 'a', 'postgres', 'postgres', 'SELECT 1', status, 'manual', now() - interval '60 days',
       CASE WHEN status = 'running' THEN now() - interval '1 minute' END,
       CASE WHEN status = 'running' THEN 999999 END
FROM jobs.scheduled_job, (VALUES ('queued'), ('running')) AS s (status) WHERE job_name = 'a';
SELECT pg_temp.add_runs((SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'b'), 2000, 'succeeded', '2 days');
SELECT pg_temp.add_runs((SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'b'), 3, 'succeeded', '10 minutes');
SELECT pg_temp.add_runs((SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'c'), 10, 'timed_out', '2 days');
SELECT pg_temp.add_runs((SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'c'), 10, 'cancelled/skipped',
                        '5 minutes');
SELECT pg_temp.add_runs(424242, 1500, 'succeeded', '1 hour');
SQL
# The queued run of 'a' must stay queued: a worker would run it. Keep workers
# off it by making it a retry waiting far in the future.
cluster_psql -o /dev/null -c "UPDATE jobs.job_execution SET not_before = now() + interval '1 day'
    WHERE status = 'queued' AND job_name = 'a'"
total="$(value "SELECT count(*) FROM jobs.job_execution")"
note "$total history rows inserted"

# Per job and status group, as "job:status=count" in a fixed order.
summary() {
    value "SELECT string_agg(job_name || ':' || status || '=' || n, ' ' ORDER BY job_name, status)
           FROM (SELECT job_name, status, count(*) AS n FROM jobs.job_execution
                 WHERE job_name IN ('a', 'b', 'c', 'gone') GROUP BY 1, 2) AS s"
}
summary_is() { [[ "$(summary 2>/dev/null)" == "$1" ]]; }

# Oldest rows that must survive, by execution_id, to check which ones stay.
newest_ids() {
    value "SELECT string_agg(execution_id::text, ',' ORDER BY execution_id) FROM (
             SELECT execution_id FROM jobs.job_execution WHERE job_name = '$1' AND status $2
             ORDER BY execution_id DESC LIMIT $3) AS s"
}
a_newest="$(newest_ids a "= 'succeeded'" 5)"
c_newest="$(newest_ids c "IN ('cancelled', 'skipped')" 5)"
gone_newest="$(newest_ids gone "= 'succeeded'" 5)"

# --- Per job, by age, failed kept apart --------------------------------------------------------
settings 5 '1d' '7d'
expected="a:failed=1000 a:queued=1 a:running=1 a:succeeded=5 b:succeeded=3 c:cancelled=3 c:skipped=2 c:timed_out=10 gone:succeeded=5"
wait_for 90 summary_is "$expected" ||
    fail "history trimmed to 5 per job, 1 day, failed kept 7 days (expected: $expected; got: $(summary))"
pass "history trimmed: 5 newest counted runs per job, nothing older than a day but failed runs (7 days)"
[[ "$(newest_ids a "= 'succeeded'" 5)" == "$a_newest" && "$(newest_ids c "IN ('cancelled', 'skipped')" 5)" == "$c_newest" &&
    "$(newest_ids gone "= 'succeeded'" 5)" == "$gone_newest" ]] || fail "the runs kept are each job's newest"
pass "the runs kept are the newest ones"
holds "SELECT count(*) = 2 FROM jobs.job_execution WHERE job_name = 'a' AND status IN ('queued', 'running')
       AND queued_at < now() - interval '59 days'" || fail "queued and running runs are never deleted"
pass "queued and running runs stay, however old"

# --- Failed runs like the others (-1) ---------------------------------------------------------
settings 5 '1d' -1
# a's newest 5 finished runs are its succeeded ones; c's timed_out runs are 2 days old.
expected="a:queued=1 a:running=1 a:succeeded=5 b:succeeded=3 c:cancelled=3 c:skipped=2 gone:succeeded=5"
wait_for 60 summary_is "$expected" ||
    fail "with jobs.history_failed_max_age = -1 failed runs count and age like others (expected: $expected; got: $(summary))"
pass "jobs.history_failed_max_age = -1: failed runs count toward the 5 and age like the others"

# --- Stuck runs ---------------------------------------------------------------------------------
# A live run past its timeout (its started_at moved back an hour): its worker
# is alive, so it stays 'running'. Its own timer (5 minutes) never fires here.
cluster_psql -o /dev/null -c "SELECT jobs.schedule('long', NULL, 'SELECT pg_sleep(600)', timeout => '5 minutes')" \
    -c "SELECT jobs.schedule('short', NULL, 'SELECT 1', timeout => '1 second', max_retries => 1)"
long_id="$(value "SELECT jobs.trigger('long')")"
wait_until 30 "SELECT status = 'running' FROM jobs.job_execution WHERE execution_id = $long_id" ||
    fail "the long run starts"
cluster_psql -o /dev/null -c "UPDATE jobs.job_execution SET started_at = now() - interval '1 hour'
    WHERE execution_id = $long_id"
# A run of 'short' left 'running' 10 minutes ago by a process that is gone.
stuck_id="$(value "INSERT INTO jobs.job_execution (job_id, job_name, owner, database, command, status,
                       triggered_by, queued_at, started_at, worker_pid)
                   SELECT job_id, job_name, owner, database, command, 'running', 'manual',
                          now() - interval '10 minutes', now() - interval '10 minutes', 999998
                   FROM jobs.scheduled_job WHERE job_name = 'short' RETURNING execution_id")"
cluster_psql -o /dev/null -c "SELECT pg_reload_conf()"
wait_until 60 "SELECT status = 'crashed' FROM jobs.job_execution WHERE execution_id = $stuck_id" ||
    fail "the stuck run becomes crashed"
error="$(value "SELECT error FROM jobs.job_execution WHERE execution_id = $stuck_id")"
[[ "$error" == "crashed: no process was running it past its timeout"* ]] ||
    fail "the stuck run's error says why (got: $error)"
pass "a run 'running' past its timeout + grace with no live worker becomes crashed: $error"
holds "SELECT status = 'running' FROM jobs.job_execution WHERE execution_id = $long_id" ||
    fail "the live run past its timeout stays running (it is $(value "SELECT status FROM jobs.job_execution WHERE execution_id = $long_id"))"
pass "a run past its timeout whose worker is alive stays running"
retry_id="$(value "SELECT execution_id FROM jobs.job_execution WHERE retry_of = $stuck_id")"
[[ -n "$retry_id" ]] || fail "the crashed run is retried"
[[ "$(wait_final "$retry_id")" == succeeded ]] || fail "the retry of the crashed run succeeds"
pass "the crashed run is retried, and the retry succeeds"
holds "SELECT count(*) = 2 FROM jobs.job_execution WHERE job_name = 'a' AND status IN ('queued', 'running')" ||
    fail "a's queued and running runs (within their timeout) are untouched"
pass "a running run within its timeout is not taken for a stuck one"
cluster_psql -o /dev/null -c "SELECT jobs.cancel($long_id)"

# --- Without a reload: the pass a minute later trims what ran since ---------------------------
cluster_psql -o /dev/null -c "SELECT jobs.schedule('tick', '* * * * * *', 'SELECT 1')"
tick_finished="SELECT count(*) FROM jobs.job_execution WHERE job_name = 'tick' AND status NOT IN ('queued', 'running')"
wait_for 60 count_at_least 8 "$tick_finished" || fail "the seconds job runs"
cluster_psql -o /dev/null -c "SELECT jobs.disable('tick')"
wait_until 150 "SELECT ($tick_finished) = 5" ||
    fail "the next timed pass trims the new runs to 5 (tick has $(value "$tick_finished"))"
pass "without a reload, the next pass (a minute later) trims the runs that ended since: 5 left"
