#!/usr/bin/env bash
# What keeping jobs.job_last_run costs the runs. First the statement that
# ends runs alone: 10,000 calls of jobs._finish_runs, one running run each
# (1,000 jobs, 10 runs each, a commit every 100), microseconds per call. Then scheduler_bench.sh's burst
# (N jobs due at once: runs per second) and sequential triggers (commit ->
# finish p50), with this build (PG_CONFIG) and with a build of the same code
# without jobs.job_last_run (BASE_PG_CONFIG: another PostgreSQL copy where
# that build is installed), in turns (base, this, base, this, ...), ROUNDS
# times each; prints the medians and the ratio. Each turn is a fresh cluster.
#
#   BASE_PG_CONFIG=/path/to/other/pg_config test/bench/last_run_cost.sh
#   knobs: SKIP_BURSTS=1 (the finish statement only), FINISH_LOOPS (default 3), ROUNDS (default 3, --quick / PG_JOBS_BENCH_QUICK=1: 1), SIZES
#   (default 2000), RUNS (bursts per turn, default 3), TRIGGERS (default 500).
# Without BASE_PG_CONFIG it says so and exits 0 (test/bench/run.sh runs
# every bench; this one needs a second install).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ -z "${BASE_PG_CONFIG:-}" ]]; then
    echo "last_run_cost: skipped (set BASE_PG_CONFIG to the pg_config of an install of the code without jobs.job_last_run)"
    exit 0
fi
this_pg_config="${PG_CONFIG:-$(command -v pg_config)}"
rounds="${ROUNDS:-3}"
[[ "${PG_JOBS_BENCH_QUICK:-0}" == 1 || "${1:-}" == --quick ]] && rounds="${ROUNDS:-1}"
# --finish-loop: (internal) one cluster of the install PG_CONFIG names; prints
# the microseconds per jobs_internal._finish_runs call (jobs._finish_runs at
# 0.1.0), FINISH_LOOPS times.
if [[ "${1:-}" == --finish-loop ]]; then
    # shellcheck source=test/lib/cluster.sh
    source test/lib/cluster.sh
    # shellcheck source=test/lib/scheduler.sh
    source test/lib/scheduler.sh
    scheduler_start last_run_cost >/dev/null 2>&1
    value "SELECT count(jobs.schedule('j' || i, NULL, 'SELECT 1')) FROM generate_series(1, 1000) AS i" >/dev/null
    for ((i = 0; i < ${FINISH_LOOPS:-3}; i++)); do
        cluster_psql -At 2>&1 <<'SQL' | sed -n 's/.*us_per_call=//p'
-- Runs made and finished in transactions of 100 (100 jobs, one run each):
-- the launcher never sees them running (it would take them for crashed
-- ones: no pg_jobs worker runs them).
-- The finish function where the install has it (jobs_internal since 0.2.0's
-- schema move, jobs before), called the same way for both.
CREATE FUNCTION pg_temp.finish_runs(from_status text, ids bigint[], statuses text[]) RETURNS bigint
LANGUAGE plpgsql AS $f$
DECLARE
    moved bigint;
BEGIN
    EXECUTE format('SELECT %s($1, $2, $3)', coalesce(to_regproc('jobs_internal._finish_runs')::text,
                                                      'jobs._finish_runs')) INTO moved USING from_status, ids, statuses;
    RETURN moved;
END
$f$;
DO $$
DECLARE
    ids bigint[];
    started timestamptz;
    total interval := interval '0';
    moved bigint := 0;
BEGIN
    FOR batch IN 1 .. 100 LOOP
        WITH made AS (
            INSERT INTO jobs.job_execution (job_id, job_name, owner, database, command, triggered_by, status,
                                            started_at)
            SELECT j.job_id, j.job_name, j.owner, j.database, j.command, 'manual', 'running', clock_timestamp()
            FROM jobs.scheduled_job AS j WHERE j.job_id % 10 = batch % 10
            ORDER BY j.job_id LIMIT 100
            RETURNING execution_id)
        SELECT array_agg(execution_id ORDER BY execution_id) INTO ids FROM made;
        started := clock_timestamp();
        FOR i IN 1 .. cardinality(ids) LOOP
            moved := moved + pg_temp.finish_runs('running', ARRAY[ids[i]], '{succeeded}');
        END LOOP;
        total := total + (clock_timestamp() - started);
        COMMIT;
    END LOOP;
    IF moved <> 10000 THEN
        RAISE EXCEPTION 'only % of 10000 runs finished', moved;
    END IF;
    RAISE NOTICE 'us_per_call=%', round(extract(epoch FROM total) * 1e6 / moved, 1);
END
$$;
SQL
    done
    exit 0
fi
export SIZES="${SIZES:-2000}" RUNS="${RUNS:-3}" TRIGGERS="${TRIGGERS:-500}" STEPS="pg_jobs_burst trigger"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
for ((round = 1; round <= rounds; round++)); do
    for side in base this; do
        config="$this_pg_config"
        [[ "$side" == base ]] && config="$BASE_PG_CONFIG"
        PG_CONFIG="$config" PG_BINDIR="$("$config" --bindir)" "$0" --finish-loop >>"$out/finish.$side"
    done
done
finish_base="$(median <"$out/finish.base")" finish_this="$(median <"$out/finish.this")"
echo "jobs._finish_runs, one running run a call: without $finish_base us, with $finish_this us a call" \
    "($(awk -v a="$finish_this" -v b="$finish_base" 'BEGIN { printf "%.2f", a / b }')x; medians of $((rounds * ${FINISH_LOOPS:-3})) loops of 10,000)"
[[ "${SKIP_BURSTS:-0}" == 1 ]] && exit 0

for ((round = 1; round <= rounds; round++)); do
    for side in base this; do
        config="$this_pg_config"
        [[ "$side" == base ]] && config="$BASE_PG_CONFIG"
        echo "last_run_cost: round $round, $side ($config)" >&2
        PG_CONFIG="$config" PG_BINDIR="$("$config" --bindir)" test/bench/scheduler_bench.sh >"$out/$side.$round" 2>"$out/$side.$round.err" ||
            { cat "$out/$side.$round.err" >&2; exit 1; }
    done
done

# metric PATTERN SIDE: the figure of the line matching PATTERN in each turn of SIDE, one a line.
figures() {
    local file
    for file in "$out/$2".[0-9]*; do
        [[ "$file" == *.err ]] && continue
        grep -F "$1" "$file" | head -n 1 | awk -F'|' '{ gsub(/ /, "", $2); print $2 }'
    done
}

echo
echo "jobs.job_last_run's cost: median of $rounds turn(s) each, bursts of $SIZES jobs ($RUNS per turn), $TRIGGERS triggers"
printf '%-40s %12s %12s %8s\n' "measure" "without" "with" "ratio"
for measure in "runs per second" "due -> last finish (s)" "trigger commit -> finish p50 (ms)" \
    "trigger commit -> start p50 (ms)"; do
    base="$(figures "$measure" base | median)"
    this="$(figures "$measure" this | median)"
    printf '%-40s %12s %12s %7sx\n' "$measure" "$base" "$this" \
        "$(awk -v a="$this" -v b="$base" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }')"
done
