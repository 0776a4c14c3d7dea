# shellcheck shell=bash
# The dashboard (pg_jobs_web) beside a test cluster. Source after
# test/lib/cluster.sh and test/lib/scheduler.sh.
#
#   web_cluster_start NAME [conf lines...]
#       scheduler_start with password authentication for every role but the
#       superuser postgres (trust on the socket, for the tests' own psql and
#       the dashboard's live-update connection): sign-in needs a password.
#   web_dsn NAME [CLUSTER]
#       a --dsn value: server NAME, the superuser postgres's connection to
#       CLUSTER (a started cluster's name; default: the current one).
#   web_start [pg_jobs_web options...]
#       starts pg_jobs_web on a free loopback port; exports WEB_URL, WEB_PID,
#       WEB_LOG. The servers are the --dsn options given (one per server:
#       --dsn "$(web_dsn west web_west)" --dsn "$(web_dsn east web_east)");
#       with none, the current cluster as server "main". With --tls-cert (and
#       --tls-key) WEB_URL is https: curl needs -k. The log (one file per
#       script, appended to by each web_start) outlives the clusters.
#       Stopped when the script exits; _web_stop it before another web_start.
#   web_login JAR ROLE PASSWORD [read_only]
#       signs in with curl, keeping the cookie in JAR; prints the CSRF token.
#   web_get JAR PATH / web_post JAR TOKEN PATH [curl args...]
#       the body; the HTTP status in $WEB_STATUS (file), see web_status.

web_cluster_start() {
    local name="$1"
    shift
    scheduler_start "$name" "password_encryption = 'scram-sha-256'" "$@"
    local hba="$CLUSTER_DATA/pg_hba.conf"
    _cluster_as_owner "$CLUSTER_DIR" bash -c "cat > '$hba'" <<'HBA'
local all postgres trust
local all all scram-sha-256
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
HBA
    cluster_psql -c "SELECT pg_reload_conf()" >/dev/null
}

_web_free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 20000))
        if ! ss -ltn "sport = :$port" 2>/dev/null | grep -q LISTEN; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

_web_stop() {
    if [[ -n "${WEB_PID:-}" ]] && kill -0 "$WEB_PID" 2>/dev/null; then
        kill "$WEB_PID" 2>/dev/null || true
        # Open event streams end within 5 s (their keep-alive period).
        for _ in $(seq 1 100); do
            kill -0 "$WEB_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$WEB_PID" 2>/dev/null || true
    fi
}

web_binary() {
    local bin
    bin="$("${PG_CONFIG:-pg_config}" --bindir)/pg_jobs_web"
    [[ -x "$bin" ]] || bin="$(dirname "${BASH_SOURCE[0]}")/../../src/web/pg_jobs_web"
    echo "$bin"
}

web_dsn() (
    local name="$1"
    [[ -z "${2:-}" ]] || cluster_use "$2" || return 1
    echo "$name=host=$CLUSTER_DIR port=$PGPORT dbname=postgres user=postgres"
)

web_start() {
    local port arg scheme=http dsn_given=0 defaults=()
    for arg in "$@"; do
        case "$arg" in
            --dsn | --dsn=*) dsn_given=1 ;;
            --tls-cert | --tls-cert=*) scheme=https ;;
        esac
    done
    ((dsn_given)) || defaults=(--dsn "$(web_dsn main)")
    if [[ -z "${_WEB_DIR:-}" ]]; then
        _WEB_DIR="$(mktemp -d)"
        cluster_on_exit "_web_stop; rm -rf '$_WEB_DIR'"
    fi
    port="$(_web_free_port)" || return 1
    WEB_LOG="$_WEB_DIR/pg_jobs_web.log"
    "$(web_binary)" --listen "127.0.0.1:$port" "${defaults[@]}" "$@" >>"$WEB_LOG" 2>&1 &
    WEB_PID=$!
    WEB_URL="$scheme://127.0.0.1:$port"
    export WEB_URL WEB_PID WEB_LOG
    wait_for 20 curl -fsSk -o /dev/null "$WEB_URL/healthz" 2>/dev/null || {
        cat "$WEB_LOG" >&2
        return 1
    }
}

WEB_STATUS_FILE="$(mktemp)"
web_status() { cat "$WEB_STATUS_FILE"; }

web_login() {
    local jar="$1" role="$2" password="$3" read_only="${4:-}"
    local body
    body="$(curl -sS -c "$jar" -b "$jar" -o - -w '\n%{http_code}' \
        --data-urlencode "role=$role" --data-urlencode "password=$password" \
        ${read_only:+--data-urlencode "read_only=1"} "$WEB_URL/api/login")"
    tail -n 1 <<<"$body" >"$WEB_STATUS_FILE"
    sed '$d' <<<"$body" | sed -n 's/.*"csrf_token":"\([0-9a-f]*\)".*/\1/p'
}

web_get() {
    local jar="$1" path="$2"
    shift 2
    local body
    body="$(curl -sS -b "$jar" -o - -w '\n%{http_code}' "$@" "$WEB_URL$path")"
    tail -n 1 <<<"$body" >"$WEB_STATUS_FILE"
    sed '$d' <<<"$body"
}

web_post() {
    local jar="$1" token="$2" path="$3"
    shift 3
    local body
    body="$(curl -sS -b "$jar" -o - -w '\n%{http_code}' ${token:+-H "X-CSRF-Token: $token"} -X POST "$@" \
        "$WEB_URL$path")"
    tail -n 1 <<<"$body" >"$WEB_STATUS_FILE"
    sed '$d' <<<"$body"
}
