# shellcheck shell=bash
# What the benchmarks (test/bench/*.sh) share: the command line,
# their messages, the throwaway cluster, and the burst of N jobs due at the
# same instant. bench_cluster_start and the burst helpers need
# test/lib/cluster.sh and test/lib/scheduler.sh sourced too.
#
#   bench_args "$@"
#       reads [--quick] (or PG_JOBS_BENCH_QUICK=1, as test/bench/run.sh
#       --quick sets) into quick (0 or 1); anything else: usage, exit 2.
#   log MESSAGE / error MESSAGE
#       a line on stderr, prefixed with the script's name; error exits 1.
#   bench_cluster_start NAME [--cron] [--burst] [conf lines...]
#       cluster_start with timezone = 'UTC', CREATE EXTENSION pg_jobs, then
#       waits for its launcher. --cron: pg_cron preloaded beside pg_jobs
#       (cron.database_name = 'postgres') and created. --burst: room for a
#       burst (max_worker_processes = 64, max_connections = 200,
#       jobs.history_per_job = 0) and the table public.sink (n int) that the
#       burst's jobs insert into.
#   bench_create_burst N
#       creates N pg_jobs jobs burst_1..burst_N due once at the same instant
#       a few seconds ahead, each inserting its number into public.sink;
#       prints that instant once they are committed (retrying with a wider
#       margin if creating them took longer than planned).
#   bench_wait_burst N DUE WHAT
#       waits until the N runs of the burst due at DUE have finished; errors
#       (naming WHAT) unless all N succeeded and inserted their row.
#   bench_burst_span DUE
#       an SQL expression: seconds from DUE to the burst's last finish.
#   bench_drop_burst N
#       unschedules the burst's jobs and empties public.sink.

BENCH_NAME="$(basename "$0" .sh)"

log() { echo "$BENCH_NAME: $*" >&2; }
error() {
    log "$@"
    exit 1
}

# shellcheck disable=SC2034  # quick is read by the script that sources this
bench_args() {
    quick="${PG_JOBS_BENCH_QUICK:-0}"
    local arg
    for arg in "$@"; do
        case "$arg" in
            --quick) quick=1 ;;
            *)
                echo "usage: $0 [--quick]" >&2
                exit 2
                ;;
        esac
    done
}

bench_cluster_start() {
    local name="$1" cron=0 burst=0 conf=("timezone = 'UTC'")
    shift
    while (($#)); do
        case "$1" in
            --cron) cron=1 ;;
            --burst) burst=1 ;;
            *) break ;;
        esac
        shift
    done
    ((cron)) && conf+=("shared_preload_libraries = 'pg_jobs,pg_cron'" "cron.database_name = 'postgres'")
    ((burst)) && conf+=("max_worker_processes = 64" "max_connections = 200" "jobs.history_per_job = 0")
    cluster_start "$name" "${conf[@]}" "$@"
    cluster_psql -c "CREATE EXTENSION pg_jobs"
    ((cron)) && cluster_psql -c "CREATE EXTENSION pg_cron"
    ((burst)) && cluster_psql -c "CREATE TABLE public.sink (n int NOT NULL)"
    wait_for 30 launcher_running || error "the pg_jobs launcher did not start"
}

bench_create_burst() {
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
        # Runs queued before the unschedule committed still run: let them
        # end, then start from an empty sink.
        wait_until 120 "SELECT clock_timestamp() > '$due'::timestamptz + interval '1 second'
                        AND NOT EXISTS (SELECT FROM jobs.job_execution WHERE status IN ('queued', 'running'))" ||
            error "runs of the abandoned burst did not end"
        value "TRUNCATE public.sink" >/dev/null
    done
    error "could not create $n pg_jobs jobs ahead of their due time"
}

bench_wait_burst() {
    local n="$1" due="$2" what="$3" runs finals stats
    runs="FROM jobs.job_execution WHERE scheduled_for = '$due'::timestamptz AND job_name LIKE 'burst\\_%'"
    finals="SELECT count(*) $runs AND status NOT IN ('queued', 'running')"
    wait_for $((120 + n / 20)) count_at_least "$n" "$finals" || error "$what: only $(value "$finals") runs finished"
    stats="$(value "SELECT count(*) FILTER (WHERE status = 'succeeded') || ' ' || (SELECT count(*) FROM public.sink) $runs")"
    [[ "$stats" == "$n $n" ]] || error "$what: succeeded runs and rows inserted are '$stats'"
}

bench_burst_span() {
    echo "(SELECT extract(epoch FROM max(finished_at) - '$1'::timestamptz) FROM jobs.job_execution
      WHERE scheduled_for = '$1'::timestamptz AND job_name LIKE 'burst\\_%')"
}

bench_drop_burst() {
    value "SELECT count(jobs.unschedule('burst_' || i)) FROM generate_series(1, $1) i" >/dev/null
    value "TRUNCATE public.sink" >/dev/null
}
