#!/usr/bin/env bash
# 5,000 jobs created in ONE transaction, all due in the same second, all run
# exactly once (pg_cron silently misses jobs past 4,096 in one transaction),
# by workers started ahead of that second, none before it.
#
#   test/integration/scheduler_many_jobs.sh      (needs pg_jobs installed: make install)
#   JOBS=N overrides the number of jobs.
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

JOBS="${JOBS:-5000}"

scheduler_start scheduler_many_jobs
cluster_psql -c "CREATE TABLE public.many_log (n int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())"

# Every job fires once a minute at the same second S, chosen about 10 s ahead,
# so the first fire after the commit is one shared second for all of them
# (if creating them took longer, the same second a minute later: still shared).
second="$(value "SELECT floor(extract(second FROM clock_timestamp() + interval '10 seconds'))::int")"  # 0-59: ::int would round 59.6 to 60
created="$(cluster_psql -At <<SQL
BEGIN;
SELECT count(jobs.schedule('many_' || i, '$second * * * * *', 'INSERT INTO public.many_log (n) VALUES (' || i || ')',
                           timezone => 'UTC'))
FROM generate_series(1, $JOBS) i;
COMMIT;
SELECT clock_timestamp();
SQL
)"
committed_at="$(tail -n 1 <<<"$created")"
[[ "$(head -n 1 <<<"$created")" == "$JOBS" ]] || fail "$JOBS jobs created in one transaction (got: $created)"
[[ "$(value "SELECT count(*) FROM jobs.scheduled_job WHERE job_name LIKE 'many\_%'")" == "$JOBS" ]] ||
    fail "$JOBS jobs in jobs.scheduled_job"
pass "$JOBS jobs created in one transaction (committed at $committed_at, due at second $second)"

# The fire time they all share: the first that any of them got (the
# launcher may have seen the commit just after the second S it expected).
expected="$(value "SELECT date_trunc('minute', t) + make_interval(secs => $second)
                          + CASE WHEN date_trunc('minute', t) + make_interval(secs => $second) <= t
                                 THEN interval '1 minute' ELSE interval '0' END
                   FROM (SELECT '$committed_at'::timestamptz AS t) c")"
any_fired() {
    holds "SELECT count(*) > 0 FROM jobs.job_execution e JOIN jobs.scheduled_job j USING (job_id)
           WHERE j.job_name LIKE 'many\_%'"
}
wait_for 150 any_fired || fail "the jobs fire (expected at $expected)"
due="$(value "SELECT min(scheduled_for) FROM jobs.job_execution e JOIN jobs.scheduled_job j USING (job_id)
              WHERE j.job_name LIKE 'many\_%'")"
[[ "$(value "SELECT '$due'::timestamptz = '$expected'::timestamptz")" == t ]] ||
    note "the first fire is $due, not $expected (the commit came close to second $second)"
note "all $JOBS jobs are due at $due"

many_done() {
    count_at_least "$JOBS" "SELECT count(*) FROM jobs.job_execution
                            WHERE scheduled_for = '$due'::timestamptz AND status IN ('succeeded', 'failed')"
}
wait_for 180 many_done || fail "all $JOBS runs due at $due finished within 180 s of the first ($(value "SELECT count(*) FROM jobs.job_execution
    WHERE scheduled_for = '$due'::timestamptz AND status IN ('succeeded', 'failed')") did)"
pass "$JOBS runs due at $due finished"

summary="$(value "SELECT count(*) || ' ' || count(DISTINCT job_id) || ' ' || count(*) FILTER (WHERE status = 'succeeded')
                  FROM jobs.job_execution WHERE scheduled_for = '$due'::timestamptz")"
[[ "$summary" == "$JOBS $JOBS $JOBS" ]] ||
    fail "each of the $JOBS jobs ran exactly once at $due and succeeded (runs, distinct jobs, succeeded: $summary)"
missing="$(value "SELECT count(*) FROM jobs.scheduled_job j WHERE j.job_name LIKE 'many\_%'
                  AND NOT EXISTS (SELECT 1 FROM jobs.job_execution e
                                  WHERE e.job_id = j.job_id AND e.scheduled_for = '$due'::timestamptz)")"
[[ "$missing" == 0 ]] || fail "no job was missed ($missing were)"
pass "every job ran exactly once at $due, all succeeded, none missed"

# The burst found its workers ready: the launcher starts them about a second
# before the fire time (without that, they start when the runs are queued,
# 25 ms before it). And no run started before its time.
early="$(value "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_jobs worker'
                AND backend_start < '$due'::timestamptz - interval '200 milliseconds'")"
((early > 0)) || fail "workers for the burst were started ahead of its fire time (none started before $due - 200 ms:
$(value "SELECT string_agg(backend_start::text, ', ') FROM pg_stat_activity WHERE backend_type = 'pg_jobs worker'"))"
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE scheduled_for = '$due'::timestamptz
             AND started_at < scheduled_for")" == 0 ]] || fail "no run of the burst started before $due"
pass "$early workers were started ahead of the burst, and no run started before its fire time"

# The effects happened once each, too.
effects="$(value "SELECT count(*) || ' ' || count(DISTINCT n) || ' ' || min(n) || ' ' || max(n) FROM public.many_log")"
[[ "$effects" == "$JOBS $JOBS 1 $JOBS" ]] || fail "each job's INSERT happened exactly once (rows, distinct, min, max: $effects)"
pass "each job's INSERT happened exactly once"

# Not a timing assertion: the figure is printed for the record.
note "$(value "SELECT 'burst of $JOBS: first start ' || round(extract(epoch FROM min(started_at) - '$due'::timestamptz) * 1000) ||
               ' ms after the due second, last finish ' || round(extract(epoch FROM max(finished_at) - '$due'::timestamptz) * 1000) ||
               ' ms after, ' || round($JOBS / greatest(extract(epoch FROM max(finished_at) - min(started_at)), 0.001)) || ' runs/s'
               FROM jobs.job_execution WHERE scheduled_for = '$due'::timestamptz")"

# Stop the next minute's burst before the cluster goes away.
cluster_psql -c "SELECT count(jobs.unschedule('many_' || i)) FROM generate_series(1, $JOBS) i" >/dev/null
pass "the $JOBS jobs can be unscheduled"
