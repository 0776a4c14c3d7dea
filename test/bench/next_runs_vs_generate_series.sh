#!/usr/bin/env bash
# Benchmark: jobs.next_runs returning 1,000,000 fire times against
# generate_series returning 1,000,000 timestamps, in one session of a
# throwaway cluster. Runs alternate (baseline, then each variant) RUNS times;
# prints medians and the ratio next_runs / generate_series, and whether the
# goal (at most 3x) holds. Exits 0 whatever the ratio; non-zero on errors.
#
#   test/bench/next_runs_vs_generate_series.sh      (RUNS=7 by default; 3 when
#                                                    PG_JOBS_BENCH_QUICK=1, as test/bench/run.sh --quick sets)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh

if [[ "${PG_JOBS_BENCH_QUICK:-0}" == 1 ]]; then
    RUNS="${RUNS:-3}"
else
    RUNS="${RUNS:-7}"
fi
GOAL_RATIO=3

cluster_start bench_next_runs
cluster_psql -c "CREATE EXTENSION pg_jobs"

cluster_psql -v runs="$RUNS" -v goal="$GOAL_RATIO" <<'SQL'
\pset footer off
CREATE TEMP TABLE variants (position int, name text, query text);
INSERT INTO variants VALUES
    (0, 'generate_series (baseline)',
        $q$SELECT count(*) FROM generate_series(now(), now() + interval '999999 minutes', interval '1 minute')$q$),
    (1, 'next_runs(''* * * * *'') UTC',
        $q$SELECT count(*) FROM jobs.next_runs('* * * * *', 1000000)$q$),
    (2, 'next_runs(''* * * * *'') America/New_York',
        $q$SELECT count(*) FROM jobs.next_runs('* * * * *', 1000000, now(), 'America/New_York')$q$),
    (3, 'next_runs(''30 2 * * 5L'') UTC',
        $q$SELECT count(*) FROM jobs.next_runs('30 2 * * 5L', 1000000)$q$),
    (4, 'next_runs(''30 2 * * 5L'') America/New_York',
        $q$SELECT count(*) FROM jobs.next_runs('30 2 * * 5L', 1000000, now(), 'America/New_York')$q$);
CREATE TEMP TABLE timings (position int, run int, ms float8);

SELECT set_config('bench.runs', :'runs', false) AS runs_setting \gset

-- Warm-up (not timed): loads the library and the tz data.
SELECT count(*) AS warm_up FROM jobs.next_runs('* * * * *', 1000, now(), 'America/New_York') \gset

DO $$
DECLARE
    runs constant int := current_setting('bench.runs')::int;
    v record;
    started timestamptz;
    rows bigint;
BEGIN
    FOR run IN 1 .. runs LOOP
        FOR v IN SELECT * FROM variants ORDER BY position LOOP
            started := clock_timestamp();
            EXECUTE v.query INTO rows;
            INSERT INTO timings VALUES (v.position, run,
                                        extract(epoch FROM clock_timestamp() - started) * 1000);
            IF rows <> 1000000 THEN
                RAISE EXCEPTION '% returned % rows, not 1000000', v.name, rows;
            END IF;
        END LOOP;
    END LOOP;
END
$$;

\echo Medians over :runs alternating runs, 1,000,000 rows each (same session):
WITH medians AS (
    SELECT position, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS median_ms,
           min(ms) AS min_ms, max(ms) AS max_ms
    FROM timings GROUP BY position
), baseline AS (
    SELECT median_ms FROM medians WHERE position = 0
)
SELECT v.name AS query,
       round(m.median_ms::numeric, 1) AS median_ms,
       round(m.min_ms::numeric, 1) AS min_ms,
       round(m.max_ms::numeric, 1) AS max_ms,
       round((m.median_ms / b.median_ms)::numeric, 2) AS ratio,
       CASE WHEN v.position = 0 THEN ''
            WHEN m.median_ms <= :goal * b.median_ms THEN 'goal met (<= ' || :goal || 'x)'
            ELSE 'goal NOT met (> ' || :goal || 'x)' END AS goal
FROM medians AS m JOIN variants AS v USING (position) CROSS JOIN baseline AS b
ORDER BY v.position;
SQL
