#!/usr/bin/env bash
# Benchmark of the scheduler against pg_cron, on one throwaway cluster with
# both preloaded (shared_preload_libraries = 'pg_jobs,pg_cron'):
#   - burst: N jobs due at the same instant, each an INSERT: runs per second
#     and time from the due instant to the last finish, pg_jobs vs pg_cron;
#   - trigger latency, commit -> start, p50/p99 over sequential triggers;
#   - start lag of a `* * * * * *` job (started_at - scheduled_for), p50/p99;
#   - idle launchers: CPU and memory of pg_jobs's launcher with 1,000,000
#     jobs none of which is due, and of pg_cron's with 100,000 and 1,000,000
#     (IDLE_JOBS, IDLE_CRON_JOBS; --quick: 100,000 and none): CPU % of one
#     core over IDLE_SECONDS, VmRSS and its parts RssAnon/RssFile/RssShmem,
#     and Pss (see measure_idle); then how long pg_jobs's launcher takes to
#     apply one job change at that size, against a full reload;
#   - the ceiling: plain single-row INSERT transactions per second on the
#     same cluster (pgbench -c2 -j2).
# Prints medians and ratios. Exits 0 whatever the figures; non-zero only when
# something errors (a run missing, a failure, a timeout).
#
#   test/bench/scheduler_bench.sh [--quick]
#       --quick (or PG_JOBS_BENCH_QUICK=1, as test/bench/run.sh --quick sets):
#       N = 1,000 only, one run each, 20 s of the seconds job, 5 s of pgbench,
#       pg_jobs's idle launcher only, over 2 s; about 2 minutes (half of it
#       waiting for pg_cron's minute boundary). Default: N = 1,000 and
#       10,000, 3 runs each (medians), 60 s of the seconds job, 3 x 10 s of
#       pgbench, idle launchers over 30 s (about 15 minutes in all).
#   ALERTS=1: one alert watching every job (jobs.alert with its default
#       events, an SQL handler) is defined first: the bursts then show what
#       the launcher's alert pass costs (issue 13). Default 0: no alert.
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
# shellcheck source=test/lib/bench.sh
source test/lib/bench.sh

bench_args "$@"
if ((quick)); then
    SIZES="${SIZES:-1000}"
    RUNS="${RUNS:-1}"
    LAG_SECONDS="${LAG_SECONDS:-20}"
    PGBENCH_SECONDS="${PGBENCH_SECONDS:-5}"
    IDLE_JOBS="${IDLE_JOBS:-100000}"
    IDLE_CRON_JOBS="${IDLE_CRON_JOBS-}"
    IDLE_SECONDS="${IDLE_SECONDS:-2}"
else
    SIZES="${SIZES:-1000 10000}"
    RUNS="${RUNS:-3}"
    LAG_SECONDS="${LAG_SECONDS:-60}"
    PGBENCH_SECONDS="${PGBENCH_SECONDS:-10}"
    IDLE_JOBS="${IDLE_JOBS:-1000000}"
    IDLE_CRON_JOBS="${IDLE_CRON_JOBS:-100000 1000000}"
    IDLE_SECONDS="${IDLE_SECONDS:-30}"
fi
default_steps="pg_jobs_burst trigger lag idle ceiling pg_cron_burst"
TRIGGERS="${TRIGGERS:-1000}"
CRON_MODE="${CRON_MODE:-libpq}"
# STEPS: a subset of the measurements, for looking into one of them.
STEPS=" ${STEPS:-$default_steps} "
step() { [[ "$STEPS" == *" $1 "* ]]; }

cron_conf=()
case "$CRON_MODE" in
    libpq) cron_conf=("cron.use_background_workers = off") ;;
    bgw) cron_conf=("cron.use_background_workers = on") ;;
    *) error "CRON_MODE is libpq or bgw, not '$CRON_MODE'" ;;
esac
bench_cluster_start scheduler_bench --cron --burst "${cron_conf[@]}"
cluster_psql <<'SQL'
CREATE TABLE public.ceiling (v int NOT NULL);
-- One row per measurement; the report at the end takes medians over runs.
CREATE TABLE public.bench_result (metric text NOT NULL, n int, system text NOT NULL, run int NOT NULL, value float8);
SQL
if [[ "${ALERTS:-0}" == 1 ]]; then
    value "SELECT jobs.schedule('bench alert handler', NULL, 'SELECT 1')" >/dev/null
    value "SELECT jobs.alert('bench alert', 'bench alert handler')" >/dev/null
    log "an alert watches every job (ALERTS=1)"
fi
record() { # metric n system run SQL-expression
    value "INSERT INTO public.bench_result VALUES ('$1', $2, '$3', $4, ($5))" >/dev/null
}

# --- Burst, pg_jobs -----------------------------------------------------------------
pg_jobs_burst() {
    local n="$1" run="$2" due span
    due="$(bench_create_burst "$n")"
    bench_wait_burst "$n" "$due" "pg_jobs burst of $n"
    span="$(bench_burst_span "$due")"
    record burst_last_finish_s "$n" pg_jobs "$run" "$span"
    record burst_runs_per_s "$n" pg_jobs "$run" "$n / $span"
    record burst_first_start_ms "$n" pg_jobs "$run" "(SELECT extract(epoch FROM min(started_at) - '$due'::timestamptz) * 1000
        FROM jobs.job_execution WHERE scheduled_for = '$due'::timestamptz AND job_name LIKE 'burst\\_%')"
    log "pg_jobs burst of $n (run $run): last finish $(value "SELECT round($span::numeric, 3)") s after the due instant"
    bench_drop_burst "$n"
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
# CPU and memory of a launcher process while many enabled jobs wait, none
# due in the window. The measures, as /proc names them:
#   CPU %      utime + stime (/proc/PID/stat) over IDLE_SECONDS, in % of one core;
#   VmRSS      all resident pages mapped by the process = RssAnon + RssFile + RssShmem;
#   RssAnon    its private memory (heap: the jobs it holds);
#   RssFile    mapped files (postgres binary, libraries), shared with every backend;
#   RssShmem   PostgreSQL shared memory it has touched (shared buffers read while
#              loading jobs count here, though they are the server's cache);
#   Pss        (/proc/PID/smaps_rollup) resident memory with each shared page
#              divided among the processes that map it.
proc_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
proc_kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }
proc_pss_kb() { awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup"; }
# settled PID: true once PID has finished loading its jobs: it used under a
# tenth of a core over the last 2+ s, or its RssAnon has not changed for 5+ s
# (a launcher that stays busier, as pg_cron's with a million jobs). Called
# repeatedly by wait_for; remembers the previous sample.
settle_ticks=""
settle_anon=""
settle_since=0
settled() {
    local now ticks anon limit elapsed
    now="${EPOCHREALTIME//[!0-9]/}"
    ticks="$(proc_cpu_ticks "$1")"
    anon="$(proc_kb "$1" RssAnon)"
    limit=$(($(getconf CLK_TCK) / 10))
    elapsed=$((now - settle_since))
    if [[ -n "$settle_ticks" ]] && ((elapsed >= 2000000)); then
        if (((ticks - settle_ticks) * 1000000 / elapsed <= limit)); then
            return 0
        fi
        if [[ "$anon" == "$settle_anon" ]]; then
            ((elapsed >= 5000000))
            return
        fi
    elif [[ -n "$settle_ticks" && "$anon" == "$settle_anon" ]]; then
        return 1
    fi
    settle_ticks="$ticks"
    settle_anon="$anon"
    settle_since="$now"
    return 1
}
launcher_pid() { value "SELECT pid FROM pg_stat_activity WHERE backend_type = '$1'"; }

anon_above() { (($(proc_kb "$1" RssAnon) > $2)); }

# Measures the launcher once it has loaded the jobs just created; `anon` is
# its RssAnon from before they were (it grows when it loads them).
measure_idle() { # system backend_type jobs anon
    local system="$1" type="$2" jobs="$3" pid before after hz
    pid="$(launcher_pid "$type")"
    [[ -n "$pid" && -r "/proc/$pid/stat" ]] || error "no '$type' process to measure"
    wait_for 120 anon_above "$pid" "$4" || error "the $system launcher did not load the $jobs jobs"
    settle_ticks=""
    wait_for 900 settled "$pid" || error "the $system launcher kept busy after loading $jobs jobs"
    hz="$(getconf CLK_TCK)"
    before="$(proc_cpu_ticks "$pid")"
    # The measurement window itself: nothing to wait for, the process is idle.
    sleep "$IDLE_SECONDS"
    after="$(proc_cpu_ticks "$pid")"
    record idle_cpu_percent "$jobs" "$system" 1 "$(((after - before) * 10000 / (hz * IDLE_SECONDS)))::float8 / 100"
    local measure
    for measure in VmRSS RssAnon RssFile RssShmem; do
        record "idle_${measure}_mb" "$jobs" "$system" 1 "$(proc_kb "$pid" "$measure")::float8 / 1024"
    done
    record idle_Pss_mb "$jobs" "$system" 1 "$(proc_pss_kb "$pid")::float8 / 1024"
    log "$system launcher with $jobs idle jobs: $((after - before)) clock ticks in ${IDLE_SECONDS}s," \
        "VmRSS $(proc_kb "$pid" VmRSS) kB = RssAnon $(proc_kb "$pid" RssAnon) + RssFile $(proc_kb "$pid" RssFile)" \
        "+ RssShmem $(proc_kb "$pid" RssShmem) kB; Pss $(proc_pss_kb "$pid") kB"
}

# How long the launcher takes to apply one job change at IDLE_JOBS jobs, from
# its own DEBUG1 lines ("applied N job change(s) in X ms", "loaded N job(s)
# in X ms"). A full reload is what every change cost before changes were
# applied one job at a time.
log_lines() { grep -c "pg_jobs launcher: $1 in " "$CLUSTER_LOG" || true; }
more_log_lines() { (($(log_lines "$1") > $2)); }
last_log_ms() { grep -o "pg_jobs launcher: $1 in [0-9.]* ms" "$CLUSTER_LOG" | tail -n 1 | sed 's/.* in \([0-9.]*\) ms$/\1/'; }
time_change() { # metric run log-pattern SQL
    local before
    before="$(log_lines "$3")"
    value "$4" >/dev/null
    wait_for 60 more_log_lines "$3" "$before" || error "the launcher did not log '$3' after: $4"
    record "$1" "$IDLE_JOBS" pg_jobs "$2" "$(last_log_ms "$3")"
}
time_job_changes() {
    local fields="$1" run before attempt
    value "ALTER SYSTEM SET log_min_messages = debug1" >/dev/null
    value "SELECT pg_reload_conf()" >/dev/null
    # The launcher reads the setting when it next wakes: wake it with full
    # reloads until it logs one.
    before="$(log_lines "loaded [0-9]* job(s)")"
    for ((attempt = 1; ; attempt++)); do
        value "SELECT jobs_internal._wake_scheduler()" >/dev/null
        wait_for 20 more_log_lines "loaded [0-9]* job(s)" "$before" && break
        ((attempt < 5)) || error "the launcher does not log at DEBUG1"
    done
    for ((run = 1; run <= 3; run++)); do
        time_change full_reload_ms "$run" "loaded [0-9]* job(s)" "SELECT jobs_internal._wake_scheduler()"
    done
    for ((run = 1; run <= 5; run++)); do
        time_change apply_alter_ms "$run" "applied 1 job change(s)" \
            "SELECT jobs.alter('idle_$((run * 1000))', schedule => '$fields * * 1')"
        # Early job ids: the agenda's job list closes the gap.
        time_change apply_unschedule_ms "$run" "applied 1 job change(s)" "SELECT jobs.unschedule('idle_$run')"
        time_change apply_schedule_ms "$run" "applied 1 job change(s)" \
            "SELECT jobs.schedule('idle_new_$run', '$fields * * *', 'SELECT 1')"
    done
    value "ALTER SYSTEM RESET log_min_messages" >/dev/null
    value "SELECT pg_reload_conf()" >/dev/null
    log "timed full reloads and single job changes at $IDLE_JOBS jobs"
}

idle_launchers() {
    # Due once a day, two hours from now: never in the window.
    local fields n anon
    fields="$(value "SELECT to_char((clock_timestamp() + interval '2 hours') AT TIME ZONE 'UTC', 'FMMI FMHH24')")"
    # Straight into the tables, in one statement each: this measures the
    # launchers, not jobs.schedule (whose validation takes ~40 us a job) or
    # cron.schedule. The schedule and zone are ones both accept.
    log "creating $IDLE_JOBS idle pg_jobs jobs"
    anon="$(proc_kb "$(launcher_pid 'pg_jobs launcher')" RssAnon)"
    value "INSERT INTO jobs.scheduled_job (job_name, owner, schedule, timezone, command, database)
           SELECT 'idle_' || i, current_user::text::regrole, '$fields * * *', 'UTC', 'SELECT 1', current_database()
           FROM generate_series(1, $IDLE_JOBS) i" >/dev/null
    # A wake that names no job makes the launcher reload the whole table.
    value "SELECT jobs_internal._wake_scheduler()" >/dev/null
    measure_idle pg_jobs 'pg_jobs launcher' "$IDLE_JOBS" "$anon"
    time_job_changes "$fields"
    value "DELETE FROM jobs.scheduled_job WHERE job_name LIKE 'idle\\_%'" >/dev/null
    value "SELECT jobs_internal._wake_scheduler()" >/dev/null
    for n in $IDLE_CRON_JOBS; do
        log "creating $n idle pg_cron jobs"
        anon="$(proc_kb "$(launcher_pid 'pg_cron launcher')" RssAnon)"
        # The table's statement trigger tells pg_cron's launcher to reload.
        value "INSERT INTO cron.job (schedule, command, nodename, nodeport, database, username, jobname)
               SELECT '$fields * * *', 'SELECT 1', 'localhost', current_setting('port')::int, current_database(),
                      current_user, 'idle_' || i
               FROM generate_series(1, $n) i" >/dev/null
        measure_idle pg_cron 'pg_cron launcher' "$n" "$anon"
        value "DELETE FROM cron.job WHERE jobname LIKE 'idle\\_%'" >/dev/null
    done
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
    (6.5, 'one job change applied at ' || (SELECT to_char(max(n), 'FM9,999,999') FROM public.bench_result WHERE metric = 'full_reload_ms') || ' jobs (ms): jobs.alter',
        (SELECT round(median::numeric, 3) FROM medians WHERE metric = 'apply_alter_ms'),
        (SELECT round((f.median / nullif(a.median, 0))::numeric) || 'x faster than a full reload'
         FROM medians f, medians a WHERE f.metric = 'full_reload_ms' AND a.metric = 'apply_alter_ms')),
    (6.6, '  ... jobs.unschedule (an early job id)', (SELECT round(median::numeric, 3) FROM medians WHERE metric = 'apply_unschedule_ms'), ''),
    (6.7, '  ... jobs.schedule (a new job)', (SELECT round(median::numeric, 3) FROM medians WHERE metric = 'apply_schedule_ms'), ''),
    (6.8, '  full reload (ms): what every change cost before', (SELECT round(median::numeric, 1) FROM medians WHERE metric = 'full_reload_ms'), ''),
    (7, 'ceiling: plain single-row INSERT transactions/s (pgbench -c2 -j2)', (SELECT round(median) FROM ceiling), ''),
    (8, 'best pg_jobs burst rate / ceiling', (SELECT round((rate / (SELECT median FROM ceiling))::numeric, 2) FROM best_burst), '')
) AS t (position, measure, value, goal)
WHERE value IS NOT NULL
ORDER BY position;
SQL

if [[ "$(value "SELECT count(*) FROM public.bench_result WHERE metric LIKE 'idle\\_%'")" != 0 ]]; then
    echo
    echo "Idle launchers, measured over ${IDLE_SECONDS}s: CPU = utime + stime (/proc/PID/stat) in % of one core;"
    echo "memory in MB from /proc/PID/status (VmRSS = RssAnon + RssFile + RssShmem) and /proc/PID/smaps_rollup (Pss)."
    echo "RssAnon is the launcher's own memory; RssFile the postgres binary and libraries, RssShmem the shared"
    echo "memory it touched (both shared with every backend); Pss divides shared pages among the processes using them."
    cluster_psql -P pager=off -P footer=off <<'SQL'
SELECT system || ', ' || to_char(n, 'FM9,999,999') || ' jobs' AS launcher,
       round(max(value) FILTER (WHERE metric = 'idle_cpu_percent')::numeric, 2) AS "CPU %",
       round(max(value) FILTER (WHERE metric = 'idle_VmRSS_mb')::numeric, 1) AS "VmRSS",
       round(max(value) FILTER (WHERE metric = 'idle_RssAnon_mb')::numeric, 1) AS "RssAnon",
       round(max(value) FILTER (WHERE metric = 'idle_RssFile_mb')::numeric, 1) AS "RssFile",
       round(max(value) FILTER (WHERE metric = 'idle_RssShmem_mb')::numeric, 1) AS "RssShmem",
       round(max(value) FILTER (WHERE metric = 'idle_Pss_mb')::numeric, 1) AS "Pss",
       CASE WHEN system = 'pg_jobs' THEN
           CASE WHEN max(value) FILTER (WHERE metric = 'idle_cpu_percent') < 1 THEN 'CPU < 1%: met' ELSE 'CPU < 1%: NOT met' END
           || ', ' ||
           CASE WHEN max(value) FILTER (WHERE metric = 'idle_VmRSS_mb') < 100 THEN 'VmRSS < 100 MB: met' ELSE 'VmRSS < 100 MB: NOT met' END
       ELSE '' END AS goal
FROM public.bench_result
WHERE metric LIKE 'idle\_%'
GROUP BY system, n
ORDER BY system DESC, n;
SQL
fi
