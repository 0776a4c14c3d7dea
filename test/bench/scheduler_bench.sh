#!/usr/bin/env bash
# Benchmark of the scheduler against pg_cron, on one throwaway cluster with
# both preloaded (shared_preload_libraries = 'pg_jobs,pg_cron'):
#   - burst: N jobs due at the same instant, each an INSERT: runs per second
#     and time from the due instant to the last finish, pg_jobs vs pg_cron;
#   - trigger latency, commit -> start, p50/p99 over sequential triggers;
#   - start lag of a `* * * * * *` job (started_at - scheduled_for), p50/p99;
#   - (not in --quick) launcher CPU and memory with 1,000,000 idle pg_jobs
#     jobs, and pg_cron's with 100,000 (IDLE_JOBS, IDLE_CRON_JOBS). Memory is
#     judged on RssAnon (the process's own memory); VmRSS is shown too but
#     also counts the shared buffers the process touched reading the jobs;
#   - the ceiling: single-row INSERT transactions per second (pgbench -c2 -j2).
# Prints medians and ratios. Exits 0 whatever the figures; non-zero only when
# something errors (a run missing, a failure, a timeout).
#
#   test/bench/scheduler_bench.sh [--quick]
#       --quick (or PG_JOBS_BENCH_QUICK=1, as test/bench/run.sh --quick sets):
#       N = 1,000 only, one run each, 20 s of the seconds job, 5 s of pgbench;
#       under 2 minutes. Default: N = 1,000 and 10,000, 3 runs each (medians),
#       60 s of the seconds job, 3 x 10 s of pgbench.
#   CRON_MODE=libpq (default) or bgw: how pg_cron runs its jobs. libpq is its
#       default (a new connection per run, at most cron.max_running_jobs = 32
#       at a time); bgw sets cron.use_background_workers = on (a background
#       worker per run, limited by max_worker_processes).
#
# How the bursts are timed: pg_jobs jobs get a 6-field schedule due once, a
# few seconds ahead ('S M H * * *', UTC); pg_cron jobs a 5-field schedule
# due once at the next minute boundary far enough ahead ('M H * * *': pg_cron
# 1.4 has no seconds and evaluates in GMT). Both are measured from that due
# instant, each on an otherwise idle cluster (the jobs of one never run while
# the other's burst runs). pg_cron jobs are created in transactions of 1,000
# (pg_cron misses jobs past 4,096 created in one transaction).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

quick="${PG_JOBS_BENCH_QUICK:-0}"
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 ;;
        *)
            echo "usage: $0 [--quick]" >&2
            exit 2
            ;;
    esac
done
if ((quick)); then
    SIZES="${SIZES:-1000}"
    RUNS="${RUNS:-1}"
    LAG_SECONDS="${LAG_SECONDS:-20}"
    PGBENCH_SECONDS="${PGBENCH_SECONDS:-5}"
    default_steps="pg_jobs_burst trigger lag ceiling pg_cron_burst"
else
    SIZES="${SIZES:-1000 10000}"
    RUNS="${RUNS:-3}"
    LAG_SECONDS="${LAG_SECONDS:-60}"
    PGBENCH_SECONDS="${PGBENCH_SECONDS:-10}"
    default_steps="pg_jobs_burst trigger lag idle ceiling pg_cron_burst"
fi
IDLE_JOBS="${IDLE_JOBS:-1000000}"
IDLE_CRON_JOBS="${IDLE_CRON_JOBS:-100000}"
IDLE_SECONDS="${IDLE_SECONDS:-30}"
TRIGGERS="${TRIGGERS:-1000}"
CRON_MODE="${CRON_MODE:-libpq}"
# STEPS: a subset of the measurements, for looking into one of them.
STEPS=" ${STEPS:-$default_steps} "
step() { [[ "$STEPS" == *" $1 "* ]]; }

error() {
    echo "scheduler_bench: $*" >&2
    exit 1
}
log() { echo "scheduler_bench: $*" >&2; }

cron_conf=()
case "$CRON_MODE" in
    libpq) cron_conf=("cron.use_background_workers = off") ;;
    bgw) cron_conf=("cron.use_background_workers = on") ;;
    *) error "CRON_MODE is libpq or bgw, not '$CRON_MODE'" ;;
esac
cluster_start scheduler_bench "shared_preload_libraries = 'pg_jobs,pg_cron'" "cron.database_name = 'postgres'" \
    "max_worker_processes = 64" "max_connections = 200" "timezone = 'UTC'" "${cron_conf[@]}"
cluster_psql <<'SQL'
CREATE EXTENSION pg_jobs;
CREATE EXTENSION pg_cron;
CREATE TABLE public.sink (n int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE TABLE public.ceiling (v int NOT NULL);
-- One row per measurement; the report at the end takes medians over runs.
CREATE TABLE public.bench_result (metric text NOT NULL, n int, system text NOT NULL, run int NOT NULL, value float8);
SQL
if step pg_jobs_burst || step trigger || step lag || step idle; then
    wait_for 30 launcher_running || error "the pg_jobs launcher did not start"
fi
record() { # metric n system run SQL-expression
    value "INSERT INTO public.bench_result VALUES ('$1', $2, '$3', $4, ($5))" >/dev/null
}

# --- Burst, pg_jobs -----------------------------------------------------------------
# Prints the due instant once N jobs due then are committed (retrying with a
# wider margin if creating them took longer than planned).
pg_jobs_create_burst() {
    local n="$1" margin due fields committed
    for margin in $((3 + n / 1000)) $((10 + n / 200)); do
        due="$(value "SELECT date_trunc('second', clock_timestamp()) + interval '$margin seconds'")"
        fields="$(value "SELECT to_char('$due'::timestamptz AT TIME ZONE 'UTC', 'FMSS FMMI FMHH24')")"
        committed="$(cluster_psql -At <<SQL
BEGIN;
SELECT count(jobs.schedule('burst_' || i, '$fields * * *', 'INSERT INTO public.sink (n) VALUES (' || i || ')',
                           timezone => 'UTC')) FROM generate_series(1, $n) i;
COMMIT;
SELECT clock_timestamp() < '$due'::timestamptz - interval '500 milliseconds';
SQL
)"
        if [[ "$(tail -n 1 <<<"$committed")" == t ]]; then
            echo "$due"
            return 0
        fi
        log "creating $n pg_jobs jobs took longer than ${margin}s; retrying with a wider margin"
        value "SELECT count(jobs.unschedule('burst_' || i)) FROM generate_series(1, $n) i" >/dev/null
    done
    error "could not create $n pg_jobs jobs ahead of their due time"
}

pg_jobs_burst() {
    local n="$1" run="$2" due finals
    due="$(pg_jobs_create_burst "$n")"
    finals="SELECT count(*) FROM jobs.job_execution WHERE scheduled_for = '$due'::timestamptz
            AND job_name LIKE 'burst\\_%' AND status NOT IN ('queued', 'running')"
    wait_for $((120 + n / 20)) count_at_least "$n" "$finals" ||
        error "pg_jobs burst of $n: only $(value "$finals") runs finished"
    local stats
    stats="$(value "SELECT count(*) FILTER (WHERE status = 'succeeded') || ' ' || (SELECT count(*) FROM public.sink)
                    FROM jobs.job_execution WHERE scheduled_for = '$due'::timestamptz AND job_name LIKE 'burst\\_%'")"
    [[ "$stats" == "$n $n" ]] || error "pg_jobs burst of $n: succeeded runs and rows inserted are '$stats'"
    local span="(SELECT extract(epoch FROM max(finished_at) - '$due'::timestamptz) FROM jobs.job_execution
                 WHERE scheduled_for = '$due'::timestamptz AND job_name LIKE 'burst\\_%')"
    record burst_last_finish_s "$n" pg_jobs "$run" "$span"
    record burst_runs_per_s "$n" pg_jobs "$run" "$n / $span"
    record burst_first_start_ms "$n" pg_jobs "$run" "(SELECT extract(epoch FROM min(started_at) - '$due'::timestamptz) * 1000
        FROM jobs.job_execution WHERE scheduled_for = '$due'::timestamptz AND job_name LIKE 'burst\\_%')"
    log "pg_jobs burst of $n (run $run): last finish $(value "SELECT round($span::numeric, 3)") s after the due instant"
    value "SELECT count(jobs.unschedule('burst_' || i)) FROM generate_series(1, $n) i" >/dev/null
    value "TRUNCATE public.sink" >/dev/null
}

# --- Burst, pg_cron -------------------------------------------------------------------------
pg_cron_burst() {
    local n="$1" run="$2" due fields first
    due="$(value "SELECT date_trunc('minute', clock_timestamp() + interval '$((8 + n / 400)) seconds') + interval '1 minute'")"
    fields="$(value "SELECT to_char('$due'::timestamptz AT TIME ZONE 'UTC', 'FMMI FMHH24')")"
    value "TRUNCATE cron.job_run_details" >/dev/null
    for ((first = 1; first <= n; first += 1000)); do
        value "SELECT count(cron.schedule('burst_' || i, '$fields * * *', 'INSERT INTO public.sink (n) VALUES (' || i || ')'))
               FROM generate_series($first, least($first + 999, $n)) i" >/dev/null
    done
    [[ "$(value "SELECT clock_timestamp() < '$due'::timestamptz - interval '2 seconds'")" == t ]] ||
        error "creating $n pg_cron jobs took past their due minute"
    log "pg_cron burst of $n (run $run): due at $due"
    local finals="SELECT count(*) FROM cron.job_run_details WHERE status IN ('succeeded', 'failed')"
    wait_until $(($(value "SELECT ceil(extract(epoch FROM '$due'::timestamptz - clock_timestamp()))::int") + 5)) \
        "SELECT clock_timestamp() > '$due'::timestamptz" || error "the clock moves"
    wait_for $((120 + n / 20)) count_at_least "$n" "$finals" ||
        error "pg_cron burst of $n: only $(value "$finals") runs finished"
    local stats
    stats="$(value "SELECT count(*) FILTER (WHERE status = 'succeeded') || ' ' || (SELECT count(*) FROM public.sink)
                    FROM cron.job_run_details")"
    [[ "$stats" == "$n $n" ]] || error "pg_cron burst of $n: succeeded runs and rows inserted are '$stats'"
    local span="(SELECT extract(epoch FROM max(end_time) - '$due'::timestamptz) FROM cron.job_run_details)"
    record burst_last_finish_s "$n" pg_cron "$run" "$span"
    record burst_runs_per_s "$n" pg_cron "$run" "$n / $span"
    record burst_first_start_ms "$n" pg_cron "$run" "(SELECT extract(epoch FROM min(start_time) - '$due'::timestamptz) * 1000
        FROM cron.job_run_details)"
    log "pg_cron burst of $n (run $run): last finish $(value "SELECT round($span::numeric, 3)") s after the due instant"
    value "SELECT count(cron.unschedule(jobid)) FROM cron.job WHERE jobname LIKE 'burst\\_%'" >/dev/null
    value "TRUNCATE public.sink" >/dev/null
}

# --- Trigger latency ------------------------------------------------------------------------
# The payload carries clock_timestamp() of the triggering statement, which
# commits at once (autocommit); latency = started_at - that.
trigger_latency() {
    local script="$CLUSTER_DIR/triggers.sql" i
    value "SELECT jobs.schedule('latency', NULL, 'SELECT 1')" >/dev/null
    {
        for ((i = 1; i <= 20 + TRIGGERS; i++)); do
            echo "SELECT jobs.trigger('latency', jsonb_build_object('i', $i, 'before_commit', clock_timestamp())) AS id \\gset"
            echo "SELECT status AS status FROM jobs.wait(:id) \\gset"
        done
    } >"$script"
    cluster_psql -f "$script" >/dev/null
    local runs="FROM jobs.job_execution WHERE job_name = 'latency' AND triggered_by = 'manual' AND (payload->>'i')::int > 20"
    [[ "$(value "SELECT count(*) FILTER (WHERE status = 'succeeded') $runs")" == "$TRIGGERS" ]] ||
        error "not all $TRIGGERS latency triggers succeeded"
    local ms="extract(epoch FROM started_at - (payload->>'before_commit')::timestamptz) * 1000"
    record trigger_p50_ms 0 pg_jobs 1 "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY $ms) $runs"
    record trigger_p99_ms 0 pg_jobs 1 "SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY $ms) $runs"
    record trigger_to_finish_p50_ms 0 pg_jobs 1 "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY
        extract(epoch FROM finished_at - (payload->>'before_commit')::timestamptz) * 1000) $runs"
    log "trigger latency: $TRIGGERS sequential triggers measured (after 20 warm-up ones)"
}

# --- Start lag of a seconds job -----------------------------------------------------------------
start_lag() {
    local start
    value "SELECT jobs.schedule('lag', '* * * * * *', 'SELECT 1', timezone => 'UTC')" >/dev/null
    start="$(value "SELECT date_trunc('second', clock_timestamp()) + interval '2 seconds'")"
    local runs="FROM jobs.job_execution WHERE job_name = 'lag' AND scheduled_for >= '$start'::timestamptz
                AND scheduled_for < '$start'::timestamptz + interval '$LAG_SECONDS seconds'"
    wait_for $((LAG_SECONDS + 60)) count_at_least "$LAG_SECONDS" "SELECT count(*) $runs AND status NOT IN ('queued', 'running')" ||
        error "the seconds job did not run $LAG_SECONDS times in $LAG_SECONDS s ($(value "SELECT count(*) $runs"))"
    value "SELECT jobs.unschedule('lag')" >/dev/null
    local ms="extract(epoch FROM started_at - scheduled_for) * 1000"
    record lag_p50_ms 0 pg_jobs 1 "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY $ms) $runs"
    record lag_p99_ms 0 pg_jobs 1 "SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY $ms) $runs"
    record lag_max_ms 0 pg_jobs 1 "SELECT max($ms) $runs"
    log "start lag: $LAG_SECONDS runs of a '* * * * * *' job measured"
}

# --- Idle launcher with many jobs -------------------------------------------------------------
# CPU (utime + stime from /proc over a window) and memory of a launcher
# process while many enabled jobs wait, none due in the window.
proc_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
proc_kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }
# cpu_quiet PID: true once PID used under a tenth of a core over the last
# 2+ s, i.e. it finished loading its jobs (called repeatedly by wait_for;
# remembers the previous sample). Not "no CPU at all": pg_cron's launcher
# keeps a few percent busy with many jobs.
quiet_ticks=""
quiet_since=0
cpu_quiet() {
    local now ticks limit
    now="${EPOCHREALTIME//[!0-9]/}"
    ticks="$(proc_cpu_ticks "$1")"
    limit=$(($(getconf CLK_TCK) / 10))
    if [[ -z "$quiet_ticks" ]]; then
        quiet_ticks="$ticks"
        quiet_since="$now"
        return 1
    fi
    ((now - quiet_since >= 2000000)) || return 1
    if (((ticks - quiet_ticks) * 1000000 / (now - quiet_since) <= limit)); then
        return 0
    fi
    quiet_ticks="$ticks"
    quiet_since="$now"
    return 1
}

measure_idle() { # system backend_type jobs
    local system="$1" type="$2" jobs="$3" pid before after hz
    pid="$(value "SELECT pid FROM pg_stat_activity WHERE backend_type = '$type'")"
    [[ -n "$pid" && -r "/proc/$pid/stat" ]] || error "no '$type' process to measure"
    hz="$(getconf CLK_TCK)"
    before="$(proc_cpu_ticks "$pid")"
    # The measurement window itself: nothing to wait for, the process is idle.
    sleep "$IDLE_SECONDS"
    after="$(proc_cpu_ticks "$pid")"
    record idle_cpu_percent "$jobs" "$system" 1 "$(((after - before) * 10000 / (hz * IDLE_SECONDS)))::float8 / 100"
    record idle_rss_mb "$jobs" "$system" 1 "$(proc_kb "$pid" VmRSS)::float8 / 1024"
    record idle_private_mb "$jobs" "$system" 1 "$(proc_kb "$pid" RssAnon)::float8 / 1024"
    log "$system launcher with $jobs idle jobs: $((after - before)) clock ticks in ${IDLE_SECONDS}s," \
        "VmRSS $(proc_kb "$pid" VmRSS) kB, RssAnon $(proc_kb "$pid" RssAnon) kB"
}

idle_launchers() {
    # Due once a day, two hours from now: never in the window.
    local fields first
    fields="$(value "SELECT to_char((clock_timestamp() + interval '2 hours') AT TIME ZONE 'UTC', 'FMMI FMHH24')")"
    # Straight into the table, in one statement: this measures the launcher,
    # not jobs.schedule (whose validation takes ~40 us a job). The schedule
    # and zone are the ones jobs.schedule accepts; the barrier's trigger
    # below wakes the launcher, which reloads the table.
    log "creating $IDLE_JOBS idle pg_jobs jobs"
    value "INSERT INTO jobs.scheduled_job (job_name, owner, schedule, timezone, command, database)
           SELECT 'idle_' || i, current_user, '$fields * * *', 'UTC', 'SELECT 1', current_database()
           FROM generate_series(1, $IDLE_JOBS) i" >/dev/null
    # jobs.schedule wakes the launcher at commit (jobs changed); it reloads
    # the table. Loaded = its CPU time stops growing.
    value "SELECT jobs.schedule('idle_barrier', NULL, 'SELECT 1')" >/dev/null
    quiet_ticks=""
    wait_for 600 cpu_quiet "$(value "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_jobs launcher'")" ||
        error "the pg_jobs launcher kept busy after loading $IDLE_JOBS jobs"
    measure_idle pg_jobs 'pg_jobs launcher' "$IDLE_JOBS"
    value "DELETE FROM jobs.scheduled_job WHERE job_name LIKE 'idle\\_%'" >/dev/null
    log "creating $IDLE_CRON_JOBS idle pg_cron jobs"
    for ((first = 1; first <= IDLE_CRON_JOBS; first += 1000)); do
        value "SELECT count(cron.schedule('idle_' || i, '$fields * * *', 'SELECT 1'))
               FROM generate_series($first, least($first + 999, $IDLE_CRON_JOBS)) i" >/dev/null
    done
    quiet_ticks=""
    wait_for 600 cpu_quiet "$(value "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_cron launcher'")" ||
        error "the pg_cron launcher kept busy after loading $IDLE_CRON_JOBS jobs"
    measure_idle pg_cron 'pg_cron launcher' "$IDLE_CRON_JOBS"
    value "DELETE FROM cron.job WHERE jobname LIKE 'idle\\_%'" >/dev/null
}

# --- Ceiling: plain INSERT transactions ----------------------------------------------------------
ceiling() {
    local run="$1" script="$CLUSTER_DIR/insert.pgbench" output tps
    echo "INSERT INTO public.ceiling (v) VALUES (1);" >"$script"
    output="$("$PG_BINDIR/pgbench" -n -c2 -j2 -T "$PGBENCH_SECONDS" -f "$script" 2>&1)" || error "pgbench failed: $output"
    tps="$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$output" | head -n 1)"
    [[ -n "$tps" ]] || error "no tps in the pgbench output: $output"
    record insert_tps 0 baseline "$run" "$tps"
    value "TRUNCATE public.ceiling" >/dev/null
}

started="${EPOCHREALTIME//[!0-9]/}"
for n in $SIZES; do
    for ((run = 1; run <= RUNS; run++)); do
        step pg_jobs_burst && pg_jobs_burst "$n" "$run"
    done
done
step trigger && trigger_latency
step lag && start_lag
step idle && idle_launchers
for ((run = 1; run <= RUNS; run++)); do
    step ceiling && ceiling "$run"
done
# Last: it waits for a minute boundary (pg_cron has no seconds schedules).
for n in $SIZES; do
    for ((run = 1; run <= RUNS; run++)); do
        step pg_cron_burst && pg_cron_burst "$n" "$run"
    done
done
elapsed=$((((${EPOCHREALTIME//[!0-9]/}) - started) / 1000000))

echo
echo "pg_jobs scheduler benchmark: $(nproc) cores, jobs.max_workers = $(value "SHOW jobs.max_workers" 2>/dev/null || echo '?'),"
echo "pg_cron $(value "SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'") in $CRON_MODE mode" \
    "(cron.max_running_jobs = $(value "SHOW cron.max_running_jobs")); medians over $RUNS run(s); ${elapsed}s in all"
cluster_psql -P pager=off -P footer=off <<'SQL'
WITH medians AS (
    SELECT metric, n, system, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS median
    FROM public.bench_result GROUP BY metric, n, system
), burst AS (
    SELECT n, metric,
           max(median) FILTER (WHERE system = 'pg_jobs') AS pg_jobs,
           max(median) FILTER (WHERE system = 'pg_cron') AS pg_cron
    FROM medians WHERE metric LIKE 'burst\_%' GROUP BY n, metric
)
SELECT format('burst %s jobs: %s', to_char(n, 'FM99,999'),
              CASE metric WHEN 'burst_runs_per_s' THEN 'runs per second'
                          WHEN 'burst_last_finish_s' THEN 'due -> last finish (s)'
                          ELSE 'due -> first start (ms)' END) AS measure,
       round(pg_jobs::numeric, CASE WHEN metric = 'burst_last_finish_s' THEN 3 ELSE 0 END) AS pg_jobs,
       round(pg_cron::numeric, CASE WHEN metric = 'burst_last_finish_s' THEN 3 ELSE 0 END) AS pg_cron,
       CASE WHEN metric = 'burst_runs_per_s' THEN round((pg_jobs / nullif(pg_cron, 0))::numeric, 1) || 'x'
            WHEN metric = 'burst_last_finish_s' THEN round((pg_cron / nullif(pg_jobs, 0))::numeric, 1) || 'x faster'
            ELSE '' END AS ratio,
       CASE WHEN metric = 'burst_runs_per_s' AND pg_jobs IS NOT NULL AND pg_cron IS NOT NULL THEN
                CASE WHEN pg_jobs >= 10 * pg_cron THEN 'goal >= 10x: met' ELSE 'goal >= 10x: NOT met' END
            ELSE '' END AS goal
FROM burst
ORDER BY n, CASE metric WHEN 'burst_runs_per_s' THEN 0 WHEN 'burst_last_finish_s' THEN 1 ELSE 2 END;

WITH medians AS (
    SELECT metric, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS median
    FROM public.bench_result GROUP BY metric
), ceiling AS (
    SELECT median FROM medians WHERE metric = 'insert_tps'
), best_burst AS (
    SELECT max(percentile) AS rate FROM (
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS percentile
        FROM public.bench_result WHERE metric = 'burst_runs_per_s' AND system = 'pg_jobs' GROUP BY n) b
)
SELECT measure, value, goal FROM (VALUES
    (1, 'trigger commit -> start p50 (ms)', (SELECT round(median::numeric, 2) FROM medians WHERE metric = 'trigger_p50_ms'),
        CASE WHEN NOT EXISTS (SELECT FROM medians WHERE metric = 'trigger_p50_ms') THEN '' WHEN (SELECT median FROM medians WHERE metric = 'trigger_p50_ms') <= 2 THEN 'goal <= 2: met' ELSE 'goal <= 2: NOT met' END),
    (2, 'trigger commit -> start p99 (ms)', (SELECT round(median::numeric, 2) FROM medians WHERE metric = 'trigger_p99_ms'),
        CASE WHEN NOT EXISTS (SELECT FROM medians WHERE metric = 'trigger_p99_ms') THEN '' WHEN (SELECT median FROM medians WHERE metric = 'trigger_p99_ms') <= 10 THEN 'goal <= 10: met' ELSE 'goal <= 10: NOT met' END),
    (3, 'trigger commit -> finish p50 (ms)', (SELECT round(median::numeric, 2) FROM medians WHERE metric = 'trigger_to_finish_p50_ms'), ''),
    (4, '* * * * * * start lag p50 (ms)', (SELECT round(median::numeric, 2) FROM medians WHERE metric = 'lag_p50_ms'), ''),
    (5, '* * * * * * start lag p99 (ms)', (SELECT round(median::numeric, 2) FROM medians WHERE metric = 'lag_p99_ms'),
        CASE WHEN NOT EXISTS (SELECT FROM medians WHERE metric = 'lag_p99_ms') THEN '' WHEN (SELECT median FROM medians WHERE metric = 'lag_p99_ms') <= 5 THEN 'goal <= 5: met' ELSE 'goal <= 5: NOT met' END),
    (6, '* * * * * * start lag max (ms)', (SELECT round(median::numeric, 2) FROM medians WHERE metric = 'lag_max_ms'), ''),
    (6.1, 'launcher CPU %, ' || to_char((SELECT max(n) FROM public.bench_result WHERE metric = 'idle_cpu_percent' AND system = 'pg_jobs'), 'FM9,999,999') || ' idle pg_jobs jobs',
        (SELECT round(value::numeric, 2) FROM public.bench_result WHERE metric = 'idle_cpu_percent' AND system = 'pg_jobs'),
        CASE WHEN (SELECT value FROM public.bench_result WHERE metric = 'idle_cpu_percent' AND system = 'pg_jobs') < 1 THEN 'goal < 1: met' ELSE 'goal < 1: NOT met' END),
    (6.2, 'launcher private memory MB (RssAnon), pg_jobs', (SELECT round(value::numeric, 1) FROM public.bench_result WHERE metric = 'idle_private_mb' AND system = 'pg_jobs'),
        CASE WHEN (SELECT value FROM public.bench_result WHERE metric = 'idle_private_mb' AND system = 'pg_jobs') < 100 THEN 'goal < 100: met' ELSE 'goal < 100: NOT met' END
        || (SELECT ' (VmRSS ' || round(value::numeric, 1) || ', with shared buffers touched)' FROM public.bench_result WHERE metric = 'idle_rss_mb' AND system = 'pg_jobs')),
    (6.3, 'launcher CPU %, ' || to_char((SELECT max(n) FROM public.bench_result WHERE metric = 'idle_cpu_percent' AND system = 'pg_cron'), 'FM9,999,999') || ' idle pg_cron jobs',
        (SELECT round(value::numeric, 2) FROM public.bench_result WHERE metric = 'idle_cpu_percent' AND system = 'pg_cron'), ''),
    (6.4, 'launcher private memory MB (RssAnon), pg_cron', (SELECT round(value::numeric, 1) FROM public.bench_result WHERE metric = 'idle_private_mb' AND system = 'pg_cron'),
        (SELECT '(VmRSS ' || round(value::numeric, 1) || ')' FROM public.bench_result WHERE metric = 'idle_rss_mb' AND system = 'pg_cron')),
    (7, 'ceiling: INSERT transactions/s (pgbench -c2 -j2)', (SELECT round(median) FROM ceiling), ''),
    (8, 'best pg_jobs burst rate / ceiling', (SELECT round((rate / (SELECT median FROM ceiling))::numeric, 2) FROM best_burst), '')
) AS t (position, measure, value, goal)
WHERE value IS NOT NULL
ORDER BY position;
SQL
