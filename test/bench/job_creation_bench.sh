#!/usr/bin/env bash
# Creating many jobs in one statement, pg_jobs against pg_cron (issue 11,
# point 4), on one throwaway cluster with both preloaded:
#   SELECT count(jobs.schedule('j' || i, '0 3 * * *', 'SELECT 1')) FROM generate_series(1, N) i
#   SELECT count(cron.schedule('j' || i, '0 3 * * *', 'SELECT 1')) FROM generate_series(1, N) i
# each as the superuser and as an ordinary login role granted only USAGE ON
# SCHEMA jobs (and cron), with jobs.max_jobs_per_owner raised for it and
# jobs.min_schedule_interval at its default, so every check of job creation
# runs (the quota under the owner's lock, the schedule's shortest gap, the
# audit trail, ...). One autocommit statement each, timed by psql (\timing:
# the statement and its commit). The four are interleaved in every run, and
# each starts on empty tables with both launchers idle (they reload after
# each commit). Prints jobs per second (medians over the runs) and the ratio
# pg_jobs / pg_cron for the same role, against the goal of 4x.
#
#   test/bench/job_creation_bench.sh [--quick]
#       --quick (or PG_JOBS_BENCH_QUICK=1, as test/bench/run.sh --quick sets):
#       N = 1,000, 3 runs (seconds). Default: N = 100,000, 5 runs (a few
#       minutes). SIZES and RUNS override.
#   BASELINE_PG_CONFIG=/path/to/pg_config: also measure the pg_jobs (and
#       pg_cron) installed there, on a second cluster after the first, for a
#       before/after line (for example the pre-wave-2 build at
#       /opt/pg_base/usr/lib/postgresql/15/bin/pg_config). An older pg_jobs
#       without jobs.max_jobs_per_owner simply has no quota to raise.
# Exits 0 whatever the figures; non-zero only when something errors (a
# statement fails, or creates fewer jobs than asked).
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
    RUNS="${RUNS:-3}"
else
    SIZES="${SIZES:-100000}"
    RUNS="${RUNS:-5}"
fi
BASELINE_PG_CONFIG="${BASELINE_PG_CONFIG:-}"
GOAL=4

results="$(mktemp /tmp/pg_jobs-job-creation.XXXXXX)"
trap 'rm -f "$results"' EXIT

# CPU ticks (utime + stime) of a process, 0 once it is gone.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
launcher_pids() {
    value "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity
           WHERE backend_type IN ('pg_jobs launcher', 'pg_cron launcher')"
}
# True when no launcher used CPU over the last quarter second.
launchers_idle() {
    local pids before=() after=() pid
    read -r -a pids <<<"$(launcher_pids)"
    for pid in "${pids[@]}"; do before+=("$(cpu_ticks "$pid")"); done
    sleep 0.25
    for pid in "${pids[@]}"; do after+=("$(cpu_ticks "$pid")"); done
    [[ "${before[*]}" == "${after[*]}" ]]
}

# Empties both systems' job tables and waits until the launchers are idle.
reset_jobs() {
    cluster_psql <<'SQL' >/dev/null
SET client_min_messages = warning;
TRUNCATE jobs.scheduled_job CASCADE;
SELECT format('TRUNCATE %s', to_regclass('jobs.job_audit')) WHERE to_regclass('jobs.job_audit') IS NOT NULL \gexec
SELECT format('SELECT %s._wake_scheduler()', coalesce(to_regnamespace('jobs_internal')::text, 'jobs')) \gexec
TRUNCATE cron.job;
SQL
    wait_for 120 launchers_idle || error "the launchers did not settle"
}

# One timed statement: prints its duration in ms (psql's \timing).
timed_ms() { # role SQL
    local output
    output="$(PGUSER="$1" cluster_psql -At -c '\timing on' -c "$2" 2>&1)" || error "as $1: $2: $output"
    local created ms
    created="$(head -n 1 <<<"$output")"
    ms="$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$output" | tail -n 1)"
    [[ -n "$ms" ]] || error "no timing in: $output"
    echo "$created $ms"
}

# Creates N jobs in one statement as ROLE with SYSTEM's function, records
# the rate in $results: label system role n run jobs_per_s.
measure() { # label system role n run
    local label="$1" system="$2" role="$3" n="$4" run="$5" fn out created ms
    case "$system" in
        pg_jobs) fn=jobs.schedule ;;
        pg_cron) fn=cron.schedule ;;
    esac
    reset_jobs
    out="$(timed_ms "$role" "SELECT count($fn('j' || i, '0 3 * * *', 'SELECT 1')) FROM generate_series(1, $n) i")"
    read -r created ms <<<"$out"
    [[ "$created" == "$n" ]] || error "$label $system as $role: created $created of $n jobs"
    echo -e "$label\t$system\t$role\t$n\t$run\t$(awk -v n="$n" -v ms="$ms" 'BEGIN { printf "%.1f", n / (ms / 1000) }')" >>"$results"
    log "$label: $n jobs with $fn as $role (run $run): $ms ms"
}

# Measures the pg_jobs and pg_cron installed with PG_BINDIR, on a fresh
# cluster (in a subshell: its own cluster, stopped when it ends).
measure_install() { # label
    local label="$1"
    bench_cluster_start "job_creation_$label" --cron "max_wal_size = '4GB'"
    cluster_psql <<'SQL' >/dev/null
CREATE ROLE alice LOGIN;
GRANT USAGE ON SCHEMA jobs, cron TO alice;
-- Superuser-only settings, for this role only (an older pg_jobs has none:
-- a placeholder then, which nothing reads).
ALTER ROLE alice SET jobs.max_jobs_per_owner = 100000000;
SQL
    local version
    version="$(value "SELECT extversion FROM pg_extension WHERE extname = 'pg_jobs'")"
    log "$label: pg_jobs $version, pg_cron $(value "SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'")"
    echo -e "#version\t$label\t$version" >>"$results"
    local n run role
    for n in $SIZES; do
        for ((run = 1; run <= RUNS; run++)); do
            for role in postgres alice; do
                measure "$label" pg_jobs "$role" "$n" "$run"
                measure "$label" pg_cron "$role" "$n" "$run"
            done
        done
    done
}

started="${EPOCHREALTIME//[!0-9]/}"
(measure_install current)
if [[ -n "$BASELINE_PG_CONFIG" ]]; then
    [[ -x "$BASELINE_PG_CONFIG" ]] || error "BASELINE_PG_CONFIG=$BASELINE_PG_CONFIG is not a program"
    (
        PG_BINDIR="$("$BASELINE_PG_CONFIG" --bindir)"
        measure_install baseline
    )
fi
elapsed=$((((${EPOCHREALTIME//[!0-9]/}) - started) / 1000000))

echo
echo "Creating N jobs in one statement (SELECT count(<f>('j' || i, '0 3 * * *', 'SELECT 1')) FROM generate_series(1, N) i),"
echo "jobs per second, median of $RUNS run(s); $(nproc) cores; ${elapsed}s in all."
echo "superuser: postgres; role: a login role with only USAGE ON SCHEMA jobs, cron (jobs.max_jobs_per_owner raised)."
awk -F '\t' -v goal="$GOAL" '
    function median(key,    n, i, j, t, v) {
        n = split(values[key], v, " ")
        for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    function human(x) { return x >= 1000 ? sprintf("%.1fk", x / 1000) : sprintf("%.0f", x) }
    $1 == "#version" { version[$2] = $3; next }
    {
        key = $1 SUBSEP $3 SUBSEP $4
        values[key SUBSEP $2] = values[key SUBSEP $2] " " $6
        if (!(key in seen)) { seen[key] = 1; order[++count] = key }
    }
    END {
        format = "%-20s | %-9s | %9s | %15s | %15s | %6s | %s\n"
        printf format, "install", "role", "N", "jobs.schedule/s", "cron.schedule/s", "ratio", "goal"
        for (k = 1; k <= count; k++) {
            split(order[k], part, SUBSEP)
            mine = median(order[k] SUBSEP "pg_jobs")
            theirs = median(order[k] SUBSEP "pg_cron")
            ratio = theirs > 0 ? mine / theirs : 0
            printf format, part[1] " (" version[part[1]] ")", part[2] == "postgres" ? "superuser" : "role", \
                part[3], human(mine), human(theirs), sprintf("%.1fx", ratio), \
                part[1] == "current" ? (ratio >= goal ? ">= " goal "x: met" : ">= " goal "x: NOT met") : ""
            rate[part[1] SUBSEP part[2] SUBSEP part[3]] = mine
        }
        for (k = 1; k <= count; k++) {
            split(order[k], part, SUBSEP)
            if (part[1] != "current") continue
            before = rate["baseline" SUBSEP part[2] SUBSEP part[3]]
            if (before > 0)
                printf "current / baseline, %s, N = %s: %.1fx\n", part[2] == "postgres" ? "superuser" : "role", \
                    part[3], rate[order[k]] / before
        }
    }' "$results"
