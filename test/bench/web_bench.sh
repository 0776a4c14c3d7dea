#!/usr/bin/env bash
# pg_jobs_web with many jobs: the median time of the jobs page API
# (GET /api/jobs, 50 rows) at 100,000 jobs (10,000 with PG_JOBS_BENCH_QUICK=1)
# for the page shapes the dashboard asks for, next to a baseline in the same
# go: the plain way, SELECT ... FROM jobs.job_status ORDER BY job_name LIMIT 50
# through psql. The history is several runs per job with a mix of statuses.
# The filter by last status, before and after jobs.job_last_run: the page's
# statement (the count and the first 50 by name) with the former filter
# (each job's latest started run read from the history, DISTINCT ON) against
# the one through jobs.job_last_run, both through psql. Then N open live pages (SSE streams; 100) and how many
# connections they cost the database (goal: one LISTEN connection per server).
#
#   test/bench/web_bench.sh      (needs pg_jobs and pg_jobs_web installed: make install)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh
# shellcheck source=test/lib/web.sh
source test/lib/web.sh

jobs=100000 runs=300000 repeat=11 pages=100
if [[ "${PG_JOBS_BENCH_QUICK:-0}" == 1 ]]; then
    jobs=10000 runs=30000 repeat=7 pages=100
fi

web_cluster_start web_bench "jobs.max_jobs_per_owner = 1000000"
cluster_psql -o /dev/null -c "CREATE ROLE boss LOGIN PASSWORD 'boss-pw' IN ROLE jobs_admin"
echo "web_bench: creating $jobs jobs (10 owners) and $runs finished runs"
cluster_psql -o /dev/null <<SQL
SELECT format('CREATE ROLE owner_%s', i) FROM generate_series(1, 10) AS i \gexec
-- Straight into the table (as the superuser): jobs.schedule one by one would take minutes.
INSERT INTO jobs.scheduled_job (job_name, owner, schedule, timezone, command, database, enabled)
SELECT 'job_' || i, ('owner_' || (1 + i % 10))::regrole,
       CASE i % 4 WHEN 0 THEN '0 3 * * *' WHEN 1 THEN '*/15 * * * *' WHEN 2 THEN '@hourly' ELSE NULL END,
       'UTC', 'SELECT ' || i, 'postgres', i % 7 <> 0
FROM generate_series(1, $jobs) AS i;
INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, status, triggered_by,
                                queued_at, started_at, finished_at)
SELECT j.job_id, j.job_name, j.owner, j.owner::text, 'postgres', j.command,
       CASE WHEN r % 100 < 85 THEN 'succeeded' WHEN r % 100 < 93 THEN 'failed' WHEN r % 100 < 96 THEN 'timed_out'
            WHEN r % 100 < 98 THEN 'cancelled' ELSE 'crashed' END, 'schedule',
       now() - (r || ' seconds')::interval, now() - (r || ' seconds')::interval,
       now() - (r || ' seconds')::interval + ((r % 500) || ' milliseconds')::interval
FROM generate_series(1, $runs) AS r
JOIN jobs.scheduled_job AS j ON j.job_id = 1 + (r::bigint * 7919) % $jobs;
-- What the scheduler keeps as runs end (these runs were inserted as ended).
INSERT INTO jobs.job_last_run (job_id, execution_id, status, started_at, finished_at, duration)
SELECT DISTINCT ON (e.job_id) e.job_id, e.execution_id, e.status, e.started_at, e.finished_at, e.duration
FROM jobs.job_execution AS e WHERE e.started_at IS NOT NULL ORDER BY e.job_id, e.execution_id DESC;
VACUUM ANALYZE jobs.scheduled_job, jobs.job_execution, jobs.job_last_run;
SQL

web_start
jar="$(mktemp)"
cluster_on_exit "rm -f '$jar'"
web_login "$jar" boss boss-pw >/dev/null
[[ "$(web_status)" == 200 ]] || fail "sign-in for the benchmark"

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# time_api PATH: median milliseconds of GET PATH (curl's total time on loopback).
time_api() {
    local path="$1" i
    curl -fsS -b "$jar" -o /dev/null "$WEB_URL$path"  # warm up
    for ((i = 0; i < repeat; i++)); do
        curl -fsS -b "$jar" -o /dev/null -w '%{time_total}\n' "$WEB_URL$path"
    done | awk '{ printf "%.1f\n", $1 * 1000 }' | median
}

time_psql() {
    local sql="$1" i
    for ((i = 0; i < repeat; i++)); do
        local start="${EPOCHREALTIME//[!0-9]/}"
        cluster_psql -At -o /dev/null -c "$sql"
        echo $(((${EPOCHREALTIME//[!0-9]/} - start) / 100))
    done | median | awk '{ printf "%.1f\n", $1 / 10 }'
}

baseline="$(time_psql "SELECT * FROM jobs.job_status ORDER BY job_name LIMIT 50")"
echo
echo "jobs page API at $jobs jobs, $runs runs: median of $repeat (ms); baseline: jobs.job_status ORDER BY job_name LIMIT 50 via psql = $baseline ms"
printf '%-44s %10s %10s\n' "request" "median ms" "vs base"
worst=0
for path in "/api/jobs?sort=name" "/api/jobs?sort=name&page=1000" "/api/jobs?sort=owner&dir=desc" \
    "/api/jobs?q=job_4242" "/api/jobs?owner=owner_3" "/api/jobs?status=failed" "/api/jobs?status=succeeded" \
    "/api/jobs?status=crashed" "/api/jobs?status=disabled" "/api/jobs?sort=last_status" \
    "/api/jobs?sort=last_status&dir=desc&page=100" "/api/jobs?status=failed&sort=last_status" \
    "/api/overview" "/api/runs"; do
    t="$(time_api "$path")"
    printf '%-44s %10s %9sx\n' "$path" "$t" "$(awk -v a="$t" -v b="$baseline" 'BEGIN { printf "%.2f", a / b }')"
    worst="$(awk -v a="$t" -v b="$worst" 'BEGIN { print (a > b ? a : b) }')"
done
echo "slowest jobs-page request: $worst ms (goal: < 300 ms at 100,000 jobs)"

# The filter by last status, the page's statement before and after
# jobs.job_last_run (the count and the first 50 jobs by name).
last_page() { # the filter's job_id IN (...) subquery for status $1
    echo "WITH page AS MATERIALIZED (SELECT j.job_id FROM jobs.scheduled_job AS j WHERE j.job_id IN ($1)
          ORDER BY j.job_name, j.job_id LIMIT 50)
          SELECT (SELECT count(*) FROM jobs.scheduled_job AS j WHERE j.job_id IN ($1)), (SELECT count(*) FROM page)"
}
former() {
    echo "SELECT l.job_id FROM (SELECT DISTINCT ON (e.job_id) e.job_id, e.status FROM jobs.job_execution AS e
          WHERE e.started_at IS NOT NULL ORDER BY e.job_id, e.execution_id DESC) AS l WHERE l.status = '$1'"
}
kept() {
    echo "SELECT l.job_id FROM jobs.job_last_run AS l LEFT JOIN (SELECT r.job_id, max(r.execution_id) AS running_id
          FROM jobs.job_execution AS r WHERE r.status = 'running' GROUP BY r.job_id) AS r ON r.job_id = l.job_id
          WHERE l.status = '$1' AND (r.running_id IS NULL OR r.running_id < l.execution_id)"
}
echo
echo "filter by last status, the page's count and first 50 by name via psql: median of $repeat (ms)"
printf '%-12s %8s %14s %14s %8s\n' "status" "jobs" "before (hist.)" "after (kept)" "ratio"
for status in failed succeeded crashed; do
    same="$(value "SELECT (SELECT array_agg(f.job_id ORDER BY f.job_id) FROM ($(former "$status")) AS f)
                   IS NOT DISTINCT FROM (SELECT array_agg(k.job_id ORDER BY k.job_id) FROM ($(kept "$status")) AS k)")"
    [[ "$same" == t ]] || fail "the filter by last status $status finds the same jobs before and after"
    before="$(time_psql "$(last_page "$(former "$status")")")"
    after="$(time_psql "$(last_page "$(kept "$status")")")"
    printf '%-12s %8s %14s %14s %7sx\n' "$status" "$(value "$(last_page "$(kept "$status")")" | cut -d'|' -f1)" \
        "$before" "$after" "$(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.1f", a / b }')"
done

# N live pages: N open event streams cost the database one connection.
# One role opens them all here: raise its limit, and the threads (a quarter
# of them serve live streams).
_web_stop
web_start --streams-per-role "$pages" --threads $((pages * 4 + 64))
web_login "$jar" boss boss-pw >/dev/null
echo
streams=()
for ((i = 0; i < pages; i++)); do
    curl -sS -N -b "$jar" -o /dev/null --max-time 60 "$WEB_URL/api/events" 2>/dev/null &
    streams+=($!)
done
wait_for 30 bash -c "curl -fsS '$WEB_URL/healthz' | grep -q '\"live_pages\":$pages'" ||
    fail "$pages live pages are open: $(curl -fsS "$WEB_URL/healthz")"
live="$(value "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_jobs_web live'")"
listening="$(value "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pg_jobs_web%'")"
echo "$pages open live pages: $live LISTEN connection(s) for 1 server; $listening dashboard connection(s) in all (the other: the signed-in session)"
kill "${streams[@]}" 2>/dev/null || true
wait "${streams[@]}" 2>/dev/null || true
[[ "$live" == 1 ]] || fail "$pages live pages cost $live LISTEN connections, not 1"
