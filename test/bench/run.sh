#!/usr/bin/env bash
# Builds and runs the next_fire_time benchmark (Release, -O2) with 5
# repetitions, prints medians next to the naive minute-stepping baseline,
# then runs every other test/bench/*.sh.
#
#   test/bench/run.sh [--quick]
# --quick (or PG_JOBS_BENCH_QUICK=1) shortens each measurement (for `make test`); figures are printed,
# never judged: the exit status is non-zero only when something errors.
# The SQL-level benchmarks expect the extension to be installed (make install).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=test/lib/bench.sh
source "$ROOT/test/lib/bench.sh"
bench_args "$@"
export PG_JOBS_BENCH_QUICK="$quick"

build="$ROOT/build-bench"
echo "bench: building cron_next_bench in $build (Release)"
mkdir -p "$build"
if ! cmake -S "$ROOT" -B "$build" -DCMAKE_BUILD_TYPE=Release >"$build/configure.log" 2>&1; then
    cat "$build/configure.log" >&2
    exit 1
fi
cmake --build "$build" --target cron_next_bench -j "${PG_JOBS_JOBS:-$(nproc)}"

min_time=0.5
((quick)) && min_time=0.05
results="$(mktemp)"
trap 'rm -f "$results"' EXIT

# The console shows the medians only; the CSV has every aggregate.
"$build/cron_next_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_min_time="$min_time" --benchmark_out="$results" --benchmark_out_format=csv |
    grep -E '^(Run on|Benchmark|---|.*_median )' || true

# One row per schedule and zone: medians of next() calls per second.
echo
echo "next() calls per second, median of 5 (naive = minute-by-minute field check)"
"$build/cron_next_bench" --list_cases | awk -F '\t' -v results="$results" '
    function human(x) {
        if (x >= 1e9) return sprintf("%.2fG", x / 1e9)
        if (x >= 1e6) return sprintf("%.2fM", x / 1e6)
        if (x >= 1e3) return sprintf("%.2fk", x / 1e3)
        return sprintf("%.1f", x)
    }
    BEGIN {
        column = 0
        while ((getline line < results) > 0) {
            n = split(line, field, ",")
            if (line ~ /^name,/) {
                for (i = 1; i <= n; i++) if (field[i] == "items_per_second") column = i
                continue
            }
            name = field[1]
            gsub(/"/, "", name)
            if (column > 0 && name ~ /_median$/) {
                sub(/_median$/, "", name)
                rate[name] = field[column] + 0
            }
        }
        format = "%-16s | %-7s | %25s | %16s | %s\n"
        printf format, "schedule", "zone", "pg_jobs next()/s (median)", "naive baseline/s", "ratio"
    }
    {
        split("utc berlin", zones, " ")
        for (z = 1; z <= 2; z++) {
            fast = rate["next/" $1 "/" zones[z]]
            slow = rate["naive/" $1 "/" zones[z]]
            if (slow <= 0) ratio = "n/a"
            else if (fast / slow < 10) ratio = sprintf("%.2fx", fast / slow)
            else ratio = sprintf("%.0fx", fast / slow)
            printf format, $2, zones[z], human(fast), human(slow), ratio
        }
    }'

status=0
for script in "$ROOT"/test/bench/*.sh; do
    [[ "$(basename "$script")" == run.sh ]] && continue
    echo
    echo "bench: running $(basename "$script")"
    if ! bash "$script"; then
        echo "bench: $(basename "$script") failed" >&2
        status=1
    fi
done
exit "$status"
