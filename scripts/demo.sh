#!/usr/bin/env bash
# `make demo`: builds and installs pg_jobs, starts a throwaway PostgreSQL 15
# cluster with the library preloaded, creates the extension and runs a few
# real queries, then starts the dashboard pg_jobs_web beside it (with two
# demo logins). Both keep running until `make demo-stop`.
#
#   scripts/demo.sh start | stop
# State (socket dir, port) is kept in .demo/state at the repo root.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STATE_DIR="$ROOT/.demo"
STATE_FILE="$STATE_DIR/state"

# shellcheck source=scripts/common.sh
source "$ROOT/scripts/common.sh"

say() { echo "demo: $*"; }


load_library() {
    # shellcheck source=test/lib/cluster.sh
    source "$ROOT/test/lib/cluster.sh"
}

demo_running() {
    [[ -f "$STATE_FILE" ]] || return 1
    # shellcheck source=/dev/null
    source "$STATE_FILE"
    [[ -d "${DEMO_DIR:-}/data" ]] &&
        _cluster_as_owner "$DEMO_DIR" "$PG_BINDIR/pg_ctl" status -D "$DEMO_DIR/data" >/dev/null 2>&1
}

print_how_to_connect() {
    cat <<EOF

The demo cluster is running (PostgreSQL 15, pg_jobs preloaded, data in $DEMO_DIR/data).
Connect with:

    psql -h $DEMO_DIR -p $DEMO_PORT -U postgres

  (over TCP, roles sign in with a password: psql -h localhost -p $DEMO_PORT -U alice, password alice-demo)
Server log: $DEMO_DIR/postgresql.log
Stop it and remove its data with:

    make demo-stop

The job 'tick' keeps firing every 5 seconds: SELECT * FROM jobs.job_history LIMIT 5;
(stop it with: SELECT jobs.unschedule('tick');)
EOF
}

showcase() {
    local psql=("$PG_BINDIR/psql" -X -h "$DEMO_DIR" -p "$DEMO_PORT" -U postgres -d postgres)
    "${psql[@]}" -q -v ON_ERROR_STOP=1 <<'SQL'
\pset footer off
SET timezone = 'UTC';
\set ECHO queries
\echo
\echo '-- The next 4 runs of a schedule that fires every 15 minutes:'
SELECT * FROM jobs.next_runs('*/15 * * * *', 4);

\echo '-- 02:30 every day in New York, across the spring-forward gap of 2026-03-08:'
\echo '-- 02:30 does not exist that day, so the run happens once, at 03:30 EDT.'
SELECT run AS at_utc, run AT TIME ZONE 'America/New_York' AS new_york_wall_clock
FROM jobs.next_runs('30 2 * * *', 3, '2026-03-07 12:00+00', 'America/New_York') AS run;

\echo '-- Schedules in plain English:'
SELECT schedule, time_zone, jobs.describe(schedule, time_zone) AS description
FROM (VALUES ('30 2 * * 5L', 'Europe/Berlin'),
             ('*/10 * * * * *', 'UTC'),
             ('0 9 * * 1#1', 'Australia/Sydney'),
             ('@every 90 seconds', 'UTC')) AS examples(schedule, time_zone);

\echo '-- Jobs: one that fires every 5 seconds, and an on-demand one that reads its trigger payload:'
CREATE TABLE demo_log (at timestamptz NOT NULL DEFAULT clock_timestamp(), note text);
SELECT jobs.schedule('tick', '*/5 * * * * *', $$INSERT INTO demo_log (note) VALUES ('tick')$$) AS tick_job_id;
SELECT jobs.schedule('greet', NULL,
                     $$INSERT INTO demo_log (note) SELECT 'hello ' || (jobs.context() -> 'payload' ->> 'name')$$)
       AS greet_job_id;

\echo '-- Trigger it (the run starts at commit) and wait for the result:'
SELECT jobs.trigger('greet', '{"name": "world"}') AS execution_id \gset
SELECT execution_id, status, triggered_by, duration, rows_affected FROM jobs.wait(:execution_id);

\echo '-- Wait (at most 20 s) until tick has run twice, then look at the history:'
DO $$
BEGIN
    FOR i IN 1..200 LOOP
        EXIT WHEN (SELECT count(*) FROM jobs.job_execution WHERE job_name = 'tick' AND status = 'succeeded') >= 2;
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;
SELECT note, at FROM demo_log ORDER BY at;
SELECT job_name, schedule, last_status, next_run_at, total_runs, succeeded_runs FROM jobs.job_status;
SELECT execution_id, job_name, status, triggered_by, scheduled_for, duration FROM jobs.job_history LIMIT 5;
SQL
    echo
    echo "-- A mistake is explained: what is wrong, where, and how to fix it:"
    local output
    output="$("${psql[@]}" -q -e -v ON_ERROR_STOP=0 -c "SELECT * FROM jobs.next_runs('61 * * * *');" 2>&1 || true)"
    echo "$output"
    if [[ "$output" != *ERROR* ]]; then
        say "expected an error for '61 * * * *' but got none" >&2
    fi
}

# The dashboard: password sign-in for every role but the superuser postgres
# (trust on the socket, for psql and the dashboard's own live-update
# connection), two demo roles, and pg_jobs_web on a loopback port.
start_dashboard() {
    local hba="$DEMO_DIR/data/pg_hba.conf"
    _cluster_as_owner "$DEMO_DIR" bash -c "cat > '$hba'" <<'HBA'
local all postgres trust
local all all scram-sha-256
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
HBA
    "$PG_BINDIR/psql" -X -q -h "$DEMO_DIR" -p "$DEMO_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -o /dev/null <<'SQL'
SELECT pg_reload_conf();
SET password_encryption = 'scram-sha-256';
CREATE ROLE demo_admin LOGIN PASSWORD 'demo-admin' IN ROLE jobs_admin;
CREATE ROLE alice LOGIN PASSWORD 'alice-demo';
GRANT USAGE ON SCHEMA jobs TO alice;
SET ROLE alice;
SELECT jobs.schedule('alice_report', '*/30 * * * * *', 'SELECT count(*) FROM pg_class');
SELECT jobs.schedule('alice_broken', '0 * * * *', 'SELECT 1 / 0');
SELECT jobs.trigger('alice_broken');
RESET ROLE;
SQL
    local port=8765
    if ss -ltn "sport = :$port" 2>/dev/null | grep -q LISTEN; then
        port=$((20000 + RANDOM % 20000))
    fi
    local web_log="$DEMO_DIR/pg_jobs_web.log"
    "$("$PG_CONFIG" --bindir)/pg_jobs_web" --listen "127.0.0.1:$port" \
        --dsn "demo=host=$DEMO_DIR port=$DEMO_PORT dbname=postgres user=postgres" >"$web_log" 2>&1 &
    local pid=$!
    local i
    for i in $(seq 1 100); do
        curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if ! kill -0 "$pid" 2>/dev/null; then
        say "the dashboard did not start:" >&2
        cat "$web_log" >&2
        return 1
    fi
    {
        printf 'DEMO_WEB_PID=%q\n' "$pid"
        printf 'DEMO_WEB_URL=%q\n' "http://127.0.0.1:$port/"
    } >>"$STATE_FILE"
    DEMO_WEB_URL="http://127.0.0.1:$port/"
}

print_dashboard() {
    [[ -n "${DEMO_WEB_URL:-}" ]] || return 0
    cat <<EOF

The dashboard pg_jobs_web is running: open $DEMO_WEB_URL
  sign in as demo_admin / demo-admin  (a member of jobs_admin: sees and operates every job)
  or as      alice / alice-demo       (a plain role: sees only her own jobs)
Its log: $DEMO_DIR/pg_jobs_web.log
EOF
}

# Runs on exit while the demo is being set up: a half-made cluster is removed.
abandon_unfinished_demo() {
    local dir="${_CLUSTER_DIRS[demo]:-}"
    if [[ -n "$dir" ]]; then
        _cluster_pg_ctl_stop "$dir"
        rm -rf "$dir"
    fi
    say "the demo did not start; nothing is left running" >&2
}

# Only ever delete what cluster.sh created for the demo.
is_demo_dir() { [[ "$1" == /tmp/pg_jobs.demo.* ]]; }

start_demo() {
    load_library
    if demo_running; then
        say "a demo cluster is already running (port $DEMO_PORT)."
        print_how_to_connect
        print_dashboard
        echo "To rebuild and start afresh: make demo-stop && make demo"
        return 0
    fi
    if [[ -f "$STATE_FILE" ]]; then
        say "removing the state of a demo cluster that is no longer running"
        if is_demo_dir "${DEMO_DIR:-}"; then
            rm -rf "$DEMO_DIR"
        fi
        rm -rf "$STATE_DIR"
    fi

    "$ROOT/scripts/install-deps.sh"
    say "building pg_jobs"
    make --no-print-directory -j"$(nproc)" PG_CONFIG="$PG_CONFIG"
    as_root make --no-print-directory install PG_CONFIG="$PG_CONFIG"

    # A persistent cluster: no cleanup on exit, except if this script fails
    # before the cluster is usable.
    trap abandon_unfinished_demo EXIT
    CLUSTER_KEEP=1 PG_JOBS_TMP=/tmp cluster_start demo
    DEMO_DIR="$CLUSTER_DIR"
    DEMO_PORT="$PGPORT"
    chmod 711 "$DEMO_DIR"  # lets other OS users reach the socket
    cluster_psql -c "CREATE EXTENSION pg_jobs"

    mkdir -p "$STATE_DIR"
    {
        echo "# The running demo cluster (scripts/demo.sh); removed by make demo-stop."
        printf 'DEMO_DIR=%q\n' "$DEMO_DIR"
        printf 'DEMO_DATA=%q\n' "$DEMO_DIR/data"
        printf 'DEMO_PORT=%q\n' "$DEMO_PORT"
        printf 'DEMO_BINDIR=%q\n' "$PG_BINDIR"
    } >"$STATE_FILE"
    trap - EXIT
    say "started a PostgreSQL 15 cluster on port $DEMO_PORT and ran CREATE EXTENSION pg_jobs"

    if ! showcase; then
        say "a demo query failed (see above); the cluster is left running for a look" >&2
        print_how_to_connect
        return 1
    fi
    start_dashboard
    print_how_to_connect
    print_dashboard
}

stop_demo() {
    load_library
    if [[ ! -f "$STATE_FILE" ]]; then
        say "no demo cluster is running (no $STATE_FILE)"
        return 0
    fi
    # shellcheck source=/dev/null
    source "$STATE_FILE"
    PG_BINDIR="${DEMO_BINDIR:-$PG_BINDIR}"
    if [[ -n "${DEMO_WEB_PID:-}" ]] && kill -0 "$DEMO_WEB_PID" 2>/dev/null; then
        kill "$DEMO_WEB_PID" 2>/dev/null || true
        say "stopped the dashboard (pid $DEMO_WEB_PID)"
    fi
    if is_demo_dir "${DEMO_DIR:-}" && [[ -d "$DEMO_DIR" ]]; then
        _cluster_pg_ctl_stop "$DEMO_DIR"
        rm -rf "$DEMO_DIR"
        say "stopped the demo cluster (port ${DEMO_PORT:-?}) and removed $DEMO_DIR"
    else
        say "the demo cluster's directory is already gone"
    fi
    rm -rf "$STATE_DIR"
}

case "${1:-}" in
    start) start_demo ;;
    stop) stop_demo ;;
    *)
        echo "usage: $0 start|stop" >&2
        exit 2
        ;;
esac
