#!/usr/bin/env bash
# What events cost (issue 13): the burst of N jobs due at the same instant,
# each an INSERT (as in scheduler_bench.sh), with jobs.notify_events = off
# and = all on one throwaway cluster, alternating (off, all, then all, off,
# ...) so a drift of the machine's load hits both alike. With all, a LISTEN
# session receives the events meanwhile, and the bench checks it got a
# run_started and a run_finished for every run. Prints, per N, the medians of
# due -> last finish and of runs per second, and the ratio all / off (the
# target: under 1.10). Exits 0 whatever the figures; non-zero only when
# something errors (a run missing, events missing, a timeout).
#
#   test/bench/events_bench.sh [--quick]
#       --quick (or PG_JOBS_BENCH_QUICK=1, as test/bench/run.sh --quick sets):
#       N = 1,000, one burst each. Default: N = 1,000 and 10,000, RUNS = 3
#       bursts each (medians); SIZES and RUNS override.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh
# shellcheck source=test/lib/bench.sh
source test/lib/bench.sh

bench_args "$@"
if ((quick)); then
    SIZES="${SIZES:-1000}"
    RUNS="${RUNS:-1}"
else
    SIZES="${SIZES:-1000 10000}"
    RUNS="${RUNS:-3}"
fi

# MODES: the settings compared (off and all are needed for the ratio).
MODES="${MODES:-off all}"

bench_cluster_start events_bench --burst
cluster_psql <<'SQL'
CREATE TABLE public.bench_result (n int NOT NULL, mode text NOT NULL, run int NOT NULL, last_finish_s float8,
                                  runs_per_s float8);
SQL

# The LISTEN session: a trivial command every 0.2 s makes psql print the
# notifications received ("Asynchronous notification ...").
listen_dir="$(mktemp -d /tmp/pg_jobs.events_bench.XXXXXX)"
chmod 777 "$listen_dir"
cluster_on_exit "touch '$listen_dir/stop'; sleep 0.5; rm -rf '$listen_dir'"
(
    echo "LISTEN jobs_events;"
    echo "SELECT 'listening';"
    while [[ ! -e "$listen_dir/stop" ]]; do
        echo "SELECT 1;"
        sleep 0.2
    done
) | cluster_psql -At >"$listen_dir/out" 2>&1 &
wait_for 20 grep -q '^listening$' "$listen_dir/out" || error "the LISTEN session did not start"
events_of() { # event execution-id-range-low: how many such events were received
    grep -c "payload \"{\"event\": \"$1\"" "$listen_dir/out" || true
}

set_mode() {
    cluster_psql -o /dev/null -c "ALTER SYSTEM SET jobs.notify_events = '$1'" -c "SELECT pg_reload_conf()"
}

burst() { # n mode run
    local n="$1" mode="$2" run="$3" due span started_before finished_before
    set_mode "$mode"
    started_before="$(events_of run_started)"
    finished_before="$(events_of run_finished)"
    due="$(bench_create_burst "$n")"
    bench_wait_burst "$n" "$due" "burst of $n ($mode)"
    span="$(bench_burst_span "$due")"
    value "INSERT INTO public.bench_result VALUES ($n, '$mode', $run, $span, $n / $span)" >/dev/null
    log "burst of $n, notify_events = $mode (run $run): last finish $(value "SELECT round($span::numeric, 3)") s after the due instant"
    if [[ "$mode" == all ]]; then
        # Every run's events arrive (the listener polls every 0.2 s).
        wait_for 60 test "$(($(events_of run_finished) - finished_before))" -ge "$n" ||
            error "burst of $n (all): $(($(events_of run_finished) - finished_before)) run_finished events of $n"
        (($(events_of run_started) - started_before >= n)) ||
            error "burst of $n (all): $(($(events_of run_started) - started_before)) run_started events of $n"
    fi
    bench_drop_burst "$n"
    value "DELETE FROM jobs.job_execution" >/dev/null
}

started="${EPOCHREALTIME//[!0-9]/}"
for n in $SIZES; do
    for ((run = 1; run <= RUNS; run++)); do
        order="$MODES"
        ((run % 2)) || order="$(tr ' ' '\n' <<<"$MODES" | tac | tr '\n' ' ')"
        for mode in $order; do
            burst "$n" "$mode" "$run"
        done
    done
done
elapsed=$((((${EPOCHREALTIME//[!0-9]/}) - started) / 1000000))

echo
echo "events benchmark: $(nproc) cores (shared with whatever else runs), jobs.max_workers = $(value "SHOW jobs.max_workers"),"
echo "a LISTEN session receiving the events; medians over $RUNS burst(s) per mode, alternating; ${elapsed}s in all"
cluster_psql -P pager=off -P footer=off <<'SQL'
WITH medians AS (
    SELECT n, mode, percentile_cont(0.5) WITHIN GROUP (ORDER BY last_finish_s) AS last_finish_s,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY runs_per_s) AS runs_per_s
    FROM public.bench_result GROUP BY n, mode
)
SELECT format('burst %s runs', to_char(o.n, 'FM99,999')) AS measure,
       round(o.last_finish_s::numeric, 3) AS "off: due -> last finish (s)",
       round(a.last_finish_s::numeric, 3) AS "all: due -> last finish (s)",
       round(o.runs_per_s::numeric, 0) AS "off: runs/s",
       round(a.runs_per_s::numeric, 0) AS "all: runs/s",
       round((a.last_finish_s / nullif(o.last_finish_s, 0))::numeric, 3) AS "all / off",
       CASE WHEN a.last_finish_s <= 1.10 * o.last_finish_s THEN 'target < 1.10: met'
            ELSE 'target < 1.10: NOT met' END AS target
FROM medians AS o JOIN medians AS a ON a.n = o.n AND a.mode = 'all'
WHERE o.mode = 'off'
ORDER BY o.n;
SQL
