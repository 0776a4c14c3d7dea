#!/usr/bin/env bash
# HTTP jobs end to end (issue 6, proof): N = 10,000 runs of an HTTP job
# triggered at once against nginx on loopback, then wrk against the same URL
# as the ceiling, in the same go; medians over the repetitions and the ratio.
#
#   test/bench/http_jobs_bench.sh [--quick]
#       --quick (or PG_JOBS_BENCH_QUICK=1, as test/bench/run.sh --quick sets):
#       3 repetitions, wrk 3 s (about a minute in all). Default: 5
#       repetitions, wrk 10 s. N stays 10,000 in both (HTTP_RUNS to change).
#
# One cluster with pg_jobs preloaded (and track_commit_timestamp on), one
# on-demand HTTP job (jobs.schedule_http, schedule NULL) calling nginx, which
# answers every request with a small static JSON job result over keep-alive
# connections. Each repetition:
#   - one transaction calls jobs.trigger N times and commits: N runs of one
#     job queued at the same instant is the "thousands at once" case (a
#     webhook fan-out), and needs no N job definitions; the runs of one job
#     are not serialised (no overlap rule applies to triggers);
#   - measured from that commit (pg_xact_commit_timestamp of a row the
#     transaction wrote) to max(finished_at) of its runs: completed runs per
#     second and time to the last completion; also commit -> first start;
#   - every one of the N runs must have succeeded with http_status 200: the
#     script prints the failures and exits non-zero otherwise;
#   - nginx's stub_status is sampled every 50 ms during the run: the peak of
#     open connections (bounded by jobs.http_max_concurrent, default 256,
#     whatever the queue length) and the connections nginx accepted;
#   - wrk -t2 -c<jobs.http_max_concurrent> against the same URL: requests/s.
# A warm-up run first starts the HTTP worker (it starts on demand), so the
# figures measure running jobs, not starting a background process.
#
# Prints figures and a goal line (>= 4,000 completed runs/s, all succeeded).
# Exits 0 whatever the speed; non-zero only when something errors: a run
# that failed or is missing, a timeout, nginx not starting.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh
# shellcheck source=test/lib/bench.sh
source test/lib/bench.sh

bench_args "$@"
N="${HTTP_RUNS:-10000}"
if ((quick)); then
    RUNS="${RUNS:-3}"
    WRK_SECONDS="${WRK_SECONDS:-3}"
else
    RUNS="${RUNS:-5}"
    WRK_SECONDS="${WRK_SECONDS:-10}"
fi
GOAL_RUNS_PER_S=4000

for tool in nginx wrk curl; do
    if ! command -v "$tool" >/dev/null 2>&1 && [[ ! -x "/usr/sbin/$tool" ]]; then
        error "$tool is not installed (scripts/install-deps.sh installs it)"
    fi
done
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

# --- nginx on loopback ----------------------------------------------------------------
nginx_dir="$(mktemp -d /tmp/pg_jobs-nginx.XXXXXX)"
sampler_pid=""
stop_helpers() {
    [[ -n "$sampler_pid" ]] && kill "$sampler_pid" 2>/dev/null
    [[ -f "$nginx_dir/nginx.pid" ]] && kill "$(cat "$nginx_dir/nginx.pid")" 2>/dev/null
    rm -rf "$nginx_dir"
}
cluster_on_exit stop_helpers

port="$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# One worker process (the machine's cores are shared with PostgreSQL and
# wrk); no access log; keep-alive connections never closed for their count.
cat >"$nginx_dir/nginx.conf" <<CONF
worker_processes 1;
pid $nginx_dir/nginx.pid;
error_log $nginx_dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 65;
    client_body_temp_path $nginx_dir/client_body;
    proxy_temp_path $nginx_dir/proxy;
    fastcgi_temp_path $nginx_dir/fastcgi;
    uwsgi_temp_path $nginx_dir/uwsgi;
    scgi_temp_path $nginx_dir/scgi;
    server {
        listen 127.0.0.1:$port;
        location / {
            default_type application/json;
            return 200 '{"success": true, "itemsProcessed": 1}\n';
        }
        location = /nginx_status {
            stub_status;
        }
    }
}
CONF
"$NGINX" -p "$nginx_dir" -e "$nginx_dir/error.log" -c "$nginx_dir/nginx.conf"
url="http://127.0.0.1:$port/hook"
status_url="http://127.0.0.1:$port/nginx_status"
nginx_up() { curl -fsS -o /dev/null "$status_url" 2>/dev/null; }
wait_for 10 nginx_up || error "nginx did not start: $(cat "$nginx_dir/error.log" 2>/dev/null)"

# stub_status: "Active connections: A" then "accepts handled requests" counts.
accepted_connections() { curl -fsS "$status_url" | awk 'NR == 3 { print $1 }'; }
# Writes the open connections (minus this request's own) every 50 ms.
sample_connections() {
    local active
    while :; do
        active="$(curl -fsS --max-time 1 "$status_url" 2>/dev/null | awk '/^Active connections:/ { print $3 - 1 }')"
        [[ -n "$active" ]] && echo "$active" >>"$1"
        sleep 0.05
    done
}

# --- The cluster and the job -------------------------------------------------------------
scheduler_start http_jobs_bench "track_commit_timestamp = on" "timezone = 'UTC'" "jobs.history_per_job = 0"
max_concurrent="$(value "SHOW jobs.http_max_concurrent")"
cluster_psql -o /dev/null <<SQL
SELECT jobs.schedule_http('bench_http', NULL, '$url');
-- One row per triggered run, written by the triggering transaction: its
-- xmin's commit timestamp is the instant the runs were released.
CREATE TABLE public.bench_trigger (run int NOT NULL, execution_id bigint NOT NULL, began timestamptz NOT NULL);
CREATE TABLE public.bench_result (metric text NOT NULL, run int NOT NULL, value float8);
SQL
record() { # metric run SQL-expression
    value "INSERT INTO public.bench_result VALUES ('$1', $2, ($3))" >/dev/null
}

id="$(value "SELECT jobs.trigger('bench_http')")"
[[ "$(wait_final "$id" 60)" == succeeded ]] ||
    error "the warm-up run did not succeed: $(value "SELECT row(status, http_status, error) FROM jobs.job_execution
                                                      WHERE execution_id = $id")"
log "warm-up run succeeded; the HTTP worker is up"

# --- One repetition ------------------------------------------------------------------
# CPU time (user + system, ms) a process has used so far, from /proc/PID/stat.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) * 1000 / hz }' "/proc/$1/stat"; }
runs_of() { echo "FROM jobs.job_execution WHERE execution_id IN (SELECT execution_id FROM public.bench_trigger WHERE run = $1)"; }

burst() {
    local run="$1" runs last accepts_before samples="$nginx_dir/samples.$1" worker cpu_before
    runs="$(runs_of "$run")"
    accepts_before="$(accepted_connections)"
    worker="$(value "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_jobs http worker'")"
    [[ -n "$worker" ]] || error "the HTTP worker is not running"
    cpu_before="$(cpu_ms "$worker")"
    : >"$samples"
    sample_connections "$samples" &
    sampler_pid=$!
    cluster_psql -o /dev/null <<SQL
BEGIN;
INSERT INTO public.bench_trigger (run, execution_id, began)
SELECT $run, jobs.trigger('bench_http'), clock_timestamp() FROM generate_series(1, $N);
COMMIT;
SQL
    # The run claimed last is usually among the last to finish; then every one.
    last="$(value "SELECT max(execution_id) FROM public.bench_trigger WHERE run = $run")"
    wait_final "$last" 120 >/dev/null
    local finals="SELECT count(*) $runs AND status NOT IN ('queued', 'running')"
    if ! wait_for 120 count_at_least "$N" "$finals"; then
        kill "$sampler_pid" 2>/dev/null
        sampler_pid=""
        show_executions "execution_id IN (SELECT execution_id FROM public.bench_trigger WHERE run = $run)" >&2
        error "run $run: only $(value "$finals") of $N runs finished within the deadline"
    fi
    local cpu_used
    cpu_used="$(awk -v a="$cpu_before" -v b="$(cpu_ms "$worker")" 'BEGIN { print b - a }')"
    kill "$sampler_pid" 2>/dev/null
    wait "$sampler_pid" 2>/dev/null || true
    sampler_pid=""

    # Correctness: every run there, succeeded, with http_status 200.
    local good
    good="$(value "SELECT count(*) FILTER (WHERE status = 'succeeded' AND http_status = 200) $runs")"
    if [[ "$good" != "$N" ]]; then
        echo "http_jobs_bench: run $run: $good of $N runs succeeded with HTTP 200; the others:" >&2
        cluster_psql -P pager=off -c "SELECT status, http_status, left(error, 100) AS error, count(*) $runs
            AND NOT (status = 'succeeded' AND http_status IS NOT DISTINCT FROM 200)
            GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT 20" >&2
        error "run $run: runs failed or are missing"
    fi

    local commit="(SELECT pg_xact_commit_timestamp(xmin) FROM public.bench_trigger WHERE run = $run LIMIT 1)"
    local span="(SELECT extract(epoch FROM max(finished_at) - $commit) $runs)"
    record runs_per_s "$run" "SELECT $N / $span"
    record last_finish_s "$run" "SELECT $span"
    record first_start_ms "$run" "SELECT extract(epoch FROM min(started_at) - $commit) * 1000 $runs"
    record worker_cpu_us_per_run "$run" "SELECT $cpu_used * 1000.0 / $N"
    record worker_cpu_percent "$run" "SELECT $cpu_used / 10.0 / $span"
    record trigger_s "$run" "SELECT extract(epoch FROM $commit - min(began)) FROM public.bench_trigger WHERE run = $run"
    local peak
    peak="$(sort -n "$samples" | tail -n 1)"
    [[ -n "$peak" ]] || error "no stub_status sample taken during run $run"
    record peak_connections "$run" "$peak"
    record accepted_connections "$run" "$(($(accepted_connections) - accepts_before - $(wc -l <"$samples") - 1))"
    log "run $run: $N runs succeeded; commit -> last finish $(value "SELECT round($span::numeric, 3)") s," \
        "$(value "SELECT round($N / $span)") runs/s; peak open connections $peak ($(wc -l <"$samples") samples)"
    # The next repetition starts from a clean table, as the first did.
    value "VACUUM ANALYZE jobs.job_execution" >/dev/null
}

# wrk's connections equal jobs.http_max_concurrent: the same number of
# requests in flight as pg_jobs may have.
ceiling() {
    local run="$1" output rps
    output="$(wrk -t2 -c"$max_concurrent" -d"${WRK_SECONDS}s" "$url" 2>&1)" || error "wrk failed: $output"
    rps="$(awk '/^Requests\/sec:/ { print $2 }' <<<"$output")"
    [[ -n "$rps" ]] || error "no Requests/sec in the wrk output: $output"
    if grep -q "Non-2xx\|Socket errors" <<<"$output"; then
        log "wrk reported errors: $(grep "Non-2xx\|Socket errors" <<<"$output")"
    fi
    record wrk_requests_per_s "$run" "$rps"
    log "run $run: wrk -t2 -c$max_concurrent -d${WRK_SECONDS}s: $rps requests/s"
}

started="${EPOCHREALTIME//[!0-9]/}"
for ((run = 1; run <= RUNS; run++)); do
    burst "$run"
    ceiling "$run"
done
elapsed=$((((${EPOCHREALTIME//[!0-9]/}) - started) / 1000000))

echo
echo "HTTP jobs benchmark: $(nproc) cores, nginx (1 worker) on loopback, jobs.http_max_concurrent = $max_concurrent;"
echo "N = $N runs of one HTTP job triggered in one transaction; medians over $RUNS run(s); ${elapsed}s in all"
cluster_psql -P pager=off -P footer=off <<SQL
WITH medians AS (
    SELECT metric, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS median,
           string_agg(round(value::numeric, CASE WHEN abs(value) >= 100 THEN 0 WHEN abs(value) >= 10 THEN 1 ELSE 3 END)::text,
                      ' ' ORDER BY run) AS every_run
    FROM public.bench_result GROUP BY metric
), m AS (
    SELECT metric, median, every_run FROM medians
)
SELECT measure, value, every_run AS "each run", goal FROM (VALUES
    (1, 'pg_jobs: completed runs/s (commit -> last finish)',
        (SELECT round(median) FROM m WHERE metric = 'runs_per_s'),
        (SELECT every_run FROM m WHERE metric = 'runs_per_s'),
        CASE WHEN (SELECT median FROM m WHERE metric = 'runs_per_s') >= $GOAL_RUNS_PER_S
             THEN 'goal >= $GOAL_RUNS_PER_S, all succeeded: met' ELSE 'goal >= $GOAL_RUNS_PER_S, all succeeded: NOT met' END),
    (2, 'pg_jobs: commit -> last finish (s)', (SELECT round(median::numeric, 3) FROM m WHERE metric = 'last_finish_s'),
        (SELECT every_run FROM m WHERE metric = 'last_finish_s'), ''),
    (3, 'pg_jobs: commit -> first start (ms)', (SELECT round(median::numeric, 1) FROM m WHERE metric = 'first_start_ms'),
        (SELECT every_run FROM m WHERE metric = 'first_start_ms'), ''),
    (4, 'runs that succeeded with HTTP 200', $N, 'all, every run', ''),
    (5, 'peak open connections at nginx (stub_status, 50 ms samples)',
        (SELECT round(median) FROM m WHERE metric = 'peak_connections'),
        (SELECT every_run FROM m WHERE metric = 'peak_connections'),
        CASE WHEN (SELECT max(value) FROM public.bench_result WHERE metric = 'peak_connections') <= $max_concurrent
             THEN 'bounded by $max_concurrent: yes' ELSE 'bounded by $max_concurrent: NO' END),
    (6, 'connections nginx accepted during a run', (SELECT round(median) FROM m WHERE metric = 'accepted_connections'),
        (SELECT every_run FROM m WHERE metric = 'accepted_connections'), ''),
    (6.5, 'HTTP worker CPU per run (us, user + system)',
        (SELECT round(median::numeric, 1) FROM m WHERE metric = 'worker_cpu_us_per_run'),
        (SELECT every_run FROM m WHERE metric = 'worker_cpu_us_per_run'), ''),
    (6.6, 'HTTP worker busy, % of one core (commit -> last finish)',
        (SELECT round(median) FROM m WHERE metric = 'worker_cpu_percent'),
        (SELECT every_run FROM m WHERE metric = 'worker_cpu_percent'), ''),
    (7, 'the transaction of $N jobs.trigger calls (s)', (SELECT round(median::numeric, 3) FROM m WHERE metric = 'trigger_s'),
        (SELECT every_run FROM m WHERE metric = 'trigger_s'), ''),
    (8, 'ceiling: wrk -t2 -c$max_concurrent -d${WRK_SECONDS}s, requests/s',
        (SELECT round(median) FROM m WHERE metric = 'wrk_requests_per_s'),
        (SELECT every_run FROM m WHERE metric = 'wrk_requests_per_s'), ''),
    (9, 'pg_jobs / wrk', (SELECT round((p.median / nullif(w.median, 0))::numeric, 3) FROM m p, m w
                          WHERE p.metric = 'runs_per_s' AND w.metric = 'wrk_requests_per_s'), '', '')
) AS t (position, measure, value, every_run, goal)
ORDER BY position;
SQL
