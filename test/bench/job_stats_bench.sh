#!/usr/bin/env bash
# Benchmark: reading jobs.job_stats over JOBS jobs with 100 finished runs each
# (10,000 jobs, 1,000,000 runs; 1,000 jobs when PG_JOBS_BENCH_QUICK=1, as
# test/bench/run.sh --quick sets), in one session of a throwaway cluster.
# The history is written straight into the tables, interleaved in time as
# real runs are (a job's runs lie on different pages), 10 % failed, over the
# last ~4 days. Runs alternate RUNS times: the baseline jobs.job_status (the
# view every release had: per job, its last run and run counts), then
# jobs.job_stats whole, one job's row of it, and jobs.metrics(). Prints
# medians and the ratio to the baseline. Exits 0 whatever the figures;
# non-zero on errors.
#
#   test/bench/job_stats_bench.sh      (JOBS=10000 RUNS=5; JOBS=1000 RUNS=3 when quick)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh

if [[ "${PG_JOBS_BENCH_QUICK:-0}" == 1 ]]; then
    JOBS="${JOBS:-1000}"
    RUNS="${RUNS:-3}"
else
    JOBS="${JOBS:-10000}"
    RUNS="${RUNS:-5}"
fi
RUNS_PER_JOB=100

# No launcher work on this history: retention keeps 100 runs per job, 30 days.
cluster_start bench_job_stats "shared_buffers = 256MB"
cluster_psql -c "CREATE EXTENSION pg_jobs"

started="${EPOCHREALTIME//[!0-9]/}"
cluster_psql -v jobs="$JOBS" -v per_job="$RUNS_PER_JOB" -o /dev/null <<'SQL'
-- On-demand jobs: the launcher schedules nothing.
INSERT INTO jobs.scheduled_job (job_name, owner, schedule, timezone, command, database, tags)
SELECT 'bench-' || i, current_user::regrole, NULL, 'UTC', 'SELECT 1', current_database(), ARRAY['bench']
FROM generate_series(1, :jobs) AS i;
-- Run r of each job finished r hours ago (minus the job's offset), oldest first.
INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, status, triggered_by,
                                scheduled_for, queued_at, started_at, finished_at, result)
SELECT j.job_id, j.job_name, j.owner, current_user, current_database(), 'SELECT 1',
       CASE WHEN (r + j.job_id) % 10 = 0 THEN 'failed' ELSE 'succeeded' END, 'schedule',
       t.fire, t.fire, t.fire + interval '3 ms' * (r % 7), t.fire + interval '10 ms' * (r % 13 + 1),
       CASE WHEN r % 2 = 0 THEN jsonb_build_object('itemsProcessed', r) END
FROM generate_series(1, :per_job) AS r
CROSS JOIN jobs.scheduled_job AS j
CROSS JOIN LATERAL (SELECT now() - r * interval '1 hour' - (j.job_id % 3600) * interval '1 second' AS fire) AS t
ORDER BY t.fire;
VACUUM ANALYZE jobs.scheduled_job;
VACUUM ANALYZE jobs.job_execution;
SQL
loaded_ms=$(((${EPOCHREALTIME//[!0-9]/} - started) / 1000))
echo "history: $JOBS jobs x $RUNS_PER_JOB runs written in ${loaded_ms} ms"

cluster_psql -v runs="$RUNS" -v jobs="$JOBS" <<'SQL'
\pset footer off
CREATE TEMP TABLE variants (position int, name text, query text);
INSERT INTO variants VALUES
    -- sum(length(v::text)): every column of every row is computed and read.
    (0, 'job_status, every job (baseline)', $q$SELECT sum(length(v::text)) FROM jobs.job_status AS v$q$),
    (1, 'job_stats, every job', $q$SELECT sum(length(v::text)) FROM jobs.job_stats AS v$q$),
    (2, 'job_stats, one job (by job_id)',
        $q$SELECT sum(length(v::text)) FROM jobs.job_stats AS v WHERE v.job_id = (SELECT max(job_id) / 2 FROM jobs.scheduled_job)$q$),
    (3, 'job_stats of the jobs tagged ''bench''', $q$SELECT sum(length(v::text)) FROM jobs.job_stats AS v
        JOIN jobs.scheduled_job AS j USING (job_id) WHERE 'bench' = ANY (j.tags)$q$),
    (4, 'metrics() (jobs.metrics_max_jobs 500)', $q$SELECT length(jobs.metrics())$q$);
CREATE TEMP TABLE timings (position int, run int, ms float8);
SELECT set_config('bench.runs', :'runs', false) AS runs_setting \gset
SELECT count(*) AS warm_up FROM jobs.job_stats \gset

DO $$
DECLARE
    runs constant int := current_setting('bench.runs')::int;
    v record;
    started timestamptz;
    answer bigint;
BEGIN
    FOR run IN 1 .. runs LOOP
        FOR v IN SELECT * FROM variants ORDER BY position LOOP
            started := clock_timestamp();
            EXECUTE v.query INTO answer;
            INSERT INTO timings VALUES (v.position, run, extract(epoch FROM clock_timestamp() - started) * 1000);
        END LOOP;
    END LOOP;
END
$$;

SELECT format('jobs.job_stats over %s jobs x 100 runs, median of %s (ms)', :'jobs', :'runs') AS title \gset
\echo :title
WITH medians AS (
    SELECT position, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms FROM timings GROUP BY position)
SELECT v.name AS query, round(m.ms::numeric, 1) AS median_ms,
       round((m.ms / (SELECT ms FROM medians WHERE position = 0))::numeric, 2) AS vs_baseline
FROM medians AS m JOIN variants AS v USING (position) ORDER BY position;
SQL
