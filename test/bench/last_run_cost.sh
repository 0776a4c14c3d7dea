#!/usr/bin/env bash
# What keeping jobs.job_last_run costs the runs: scheduler_bench.sh's burst
# (N jobs due at once: runs per second) and sequential triggers (commit ->
# finish p50), with this build (PG_CONFIG) and with a build of the same code
# without jobs.job_last_run (BASE_PG_CONFIG: another PostgreSQL copy where
# that build is installed), in turns (base, this, base, this, ...), ROUNDS
# times each; prints the medians and the ratio. Each turn is a fresh cluster.
#
#   BASE_PG_CONFIG=/path/to/other/pg_config test/bench/last_run_cost.sh
#   knobs: ROUNDS (default 3, --quick / PG_JOBS_BENCH_QUICK=1: 1), SIZES
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
export SIZES="${SIZES:-2000}" RUNS="${RUNS:-3}" TRIGGERS="${TRIGGERS:-500}" STEPS="pg_jobs_burst trigger"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

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
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

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
