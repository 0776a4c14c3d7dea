# shellcheck shell=bash
# Throwaway PostgreSQL 15 clusters for tests, with pg_jobs preloaded.
#
#   source test/lib/cluster.sh
#   cluster_start NAME [postgresql.conf lines...]
#       initdb in a fresh temp dir, private port, start; exports PGHOST (the
#       socket dir), PGPORT, PGUSER=postgres, PGDATABASE=postgres,
#       CLUSTER_NAME, CLUSTER_DIR, CLUSTER_DATA, CLUSTER_LOG. The cluster is
#       stopped and its dir removed when the script (or subshell) exits.
#   cluster_stop [NAME]         stop and remove (default: the current one)
#   cluster_restart [MODE]      restart the current cluster (stop mode:
#                               fast (default), smart or immediate)
#   cluster_start_standby NAME PRIMARY
#                               a streaming hot standby of PRIMARY (current)
#   cluster_promote             promote the current cluster (a standby)
#   cluster_use NAME            make another started cluster the current one
#   cluster_psql ARGS...        psql -X -q -v ON_ERROR_STOP=1 on the current one
#   cluster_pid                 the postmaster's pid
#   cluster_log_tail [N]        last N (default 50) lines of the server log
#   wait_for SECONDS CMD...     poll CMD until it succeeds or the deadline passes
#   cluster_on_exit CMD         also run CMD (a string) when the script exits
#
# Several clusters per script are fine; the last started is the current one.
# The EXIT trap is composed with any trap already set in the main shell; if
# your script sets its own EXIT trap after cluster_start, or inside a
# ( subshell ), use cluster_on_exit instead (a later `trap ... EXIT` would
# replace ours and leave servers running).
# Call cluster_start in the main shell or a ( subshell ), never inside $(...).
#
# Works as root (the server runs as the `postgres` OS user through runuser)
# and as an ordinary user (the server runs as that user). The database
# superuser is always `postgres`, with trust authentication.
#
# Environment knobs:
#   PG_JOBS_TMP      parent of the cluster dirs (default /tmp); must be
#                    traversable by the postgres OS user
#   CLUSTER_KEEP=1   do not register cleanup (used by scripts/demo.sh)
#   PG_BINDIR        PostgreSQL programs (default: pg_config --bindir)

if [[ -n "${_PG_JOBS_CLUSTER_SH:-}" ]]; then
    return 0
fi
_PG_JOBS_CLUSTER_SH=1

# --- PostgreSQL programs ----------------------------------------------------

_cluster_find_bindir() {
    local dir=""
    if [[ -n "${PG_CONFIG:-}" ]] && command -v "$PG_CONFIG" >/dev/null 2>&1; then
        dir="$("$PG_CONFIG" --bindir 2>/dev/null || true)"
    elif command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir 2>/dev/null || true)"
    fi
    if [[ -z "$dir" || ! -x "$dir/pg_ctl" ]]; then
        dir=/usr/lib/postgresql/15/bin
    fi
    echo "$dir"
}
PG_BINDIR="${PG_BINDIR:-$(_cluster_find_bindir)}"

# --- Registry of started clusters (parallel arrays keyed by name) -----------

declare -gA _CLUSTER_DIRS=()
declare -gA _CLUSTER_PORTS=()
declare -ga _CLUSTER_ORDER=()
_CLUSTER_TRAP_INSTALLED=""
_CLUSTER_EXIT_HOOKS=()
# The (sub)shell that registered the traps: a subshell inherits our arrays but
# not our traps, so it must install its own.
_CLUSTER_TRAP_OWNER=""

_cluster_log() { echo "cluster: $*" >&2; }

# Runs a command as the OS user that owns the servers, from a directory that
# user can read (pg_ctl complains when it cannot stat the current directory).
_cluster_as_owner() {
    local dir="$1"
    shift
    if ((EUID == 0)); then
        (cd "$dir" && runuser -u postgres -- "$@")
    else
        (cd "$dir" && "$@")
    fi
}

# --- Ports ------------------------------------------------------------------

_cluster_port_busy() {
    local port="$1"
    if command -v ss >/dev/null 2>&1; then
        # Anything bound to the port (TCP listen) counts as busy.
        ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
    fi
    # Another cluster from this library may use the same number for a socket.
    compgen -G "${PG_JOBS_TMP:-/tmp}/pg_jobs.*/.s.PGSQL.$port" >/dev/null && return 0
    return 1
}

_cluster_pick_port() {
    local port attempt
    for ((attempt = 0; attempt < 200; attempt++)); do
        port=$((20000 + RANDOM % 20001))
        if ! _cluster_port_busy "$port"; then
            echo "$port"
            return 0
        fi
    done
    _cluster_log "no free port found in 20000-40000"
    return 1
}

# --- Cleanup ----------------------------------------------------------------

_cluster_pg_ctl_stop() {
    local dir="$1" data="$1/data"
    [[ -f "$data/postmaster.pid" ]] || return 0
    if ! _cluster_as_owner "$dir" "$PG_BINDIR/pg_ctl" stop -D "$data" -m fast -w -t 60 >/dev/null 2>&1; then
        _cluster_log "fast shutdown of $data failed; using immediate"
        _cluster_as_owner "$dir" "$PG_BINDIR/pg_ctl" stop -D "$data" -m immediate -w -t 60 >/dev/null 2>&1 || true
    fi
}

_cluster_cleanup_all() {
    local status="$1" name dir
    local i
    for ((i = ${#_CLUSTER_ORDER[@]} - 1; i >= 0; i--)); do
        name="${_CLUSTER_ORDER[i]}"
        dir="${_CLUSTER_DIRS[$name]:-}"
        [[ -n "$dir" ]] || continue
        if [[ "$status" != 0 && -f "$dir/postgresql.log" ]]; then
            echo "----- last lines of the server log of cluster '$name' ($dir/postgresql.log) -----" >&2
            tail -n 40 "$dir/postgresql.log" >&2 || true
            echo "-----" >&2
        fi
        _cluster_pg_ctl_stop "$dir"
        rm -rf "$dir"
        unset "_CLUSTER_DIRS[$name]"
    done
    _CLUSTER_ORDER=()
}

_cluster_on_exit_trap() {
    local status=$?
    # The script is ending anyway: a failing step here must not cut the
    # cleanup short under the caller's `set -e`.
    set +e
    local hook
    for hook in "${_CLUSTER_EXIT_HOOKS[@]}"; do
        (exit "$status")
        eval "$hook"
    done
    _cluster_cleanup_all "$status"
    return "$status"
}

# `trap -p` prints: trap -- 'command' EXIT; eval unquotes the command.
_cluster_trap_command() {
    eval "set -- $1"
    printf '%s' "$3"
}

# Installs our EXIT trap, keeping whatever EXIT trap was there before as a
# hook, and makes INT/TERM/HUP exit (bash runs no EXIT trap on a signal that
# has no trap of its own).
_cluster_install_trap() {
    if [[ "$_CLUSTER_TRAP_OWNER" == "$BASHPID" ]] && trap -p EXIT | grep -q _cluster_on_exit_trap; then
        return 0
    fi
    if [[ "$_CLUSTER_TRAP_OWNER" != "$BASHPID" ]]; then
        # A subshell: clusters started by the parent are the parent's job.
        _CLUSTER_EXIT_HOOKS=()
        _CLUSTER_ORDER=()
    fi
    local previous
    previous="$(trap -p EXIT)"
    # In a ( subshell ), `trap -p` shows the parent's trap, which the subshell
    # will not run: adopting it would run the parent's clean-up here.
    if [[ "$BASHPID" == "$$" && -n "$previous" && "$previous" != *_cluster_on_exit_trap* ]]; then
        _CLUSTER_EXIT_HOOKS+=("$(_cluster_trap_command "$previous")")
    fi
    trap _cluster_on_exit_trap EXIT
    local signal code
    for signal in INT TERM HUP; do
        case "$signal" in INT) code=130 ;; TERM) code=143 ;; HUP) code=129 ;; esac
        if [[ -z "$(trap -p "$signal")" ]]; then
            # shellcheck disable=SC2064  # the code is fixed now, on purpose
            trap "exit $code" "$signal"
        fi
    done
    _CLUSTER_TRAP_OWNER="$BASHPID"
}

cluster_on_exit() {
    _cluster_install_trap
    _CLUSTER_EXIT_HOOKS+=("$1")
}

# --- Starting and stopping --------------------------------------------------

_cluster_export() {
    local name="$1" dir="${_CLUSTER_DIRS[$1]}"
    export CLUSTER_NAME="$name"
    export CLUSTER_DIR="$dir"
    export CLUSTER_DATA="$dir/data"
    export CLUSTER_LOG="$dir/postgresql.log"
    export PGHOST="$dir"
    export PGPORT="${_CLUSTER_PORTS[$name]}"
    export PGUSER=postgres
    export PGDATABASE=postgres
}

cluster_start() {
    if (($# < 1)); then
        _cluster_log "usage: cluster_start NAME [postgresql.conf lines...]"
        return 2
    fi
    local name="$1"
    shift
    if [[ -n "${_CLUSTER_DIRS[$name]:-}" ]]; then
        _cluster_log "a cluster named '$name' is already running in ${_CLUSTER_DIRS[$name]}"
        return 1
    fi
    if [[ ! -x "$PG_BINDIR/initdb" ]]; then
        _cluster_log "PostgreSQL programs not found in $PG_BINDIR (install postgresql-15, or run scripts/install-deps.sh)"
        return 1
    fi
    if ((EUID == 0)) && ! id postgres >/dev/null 2>&1; then
        _cluster_log "the 'postgres' OS user does not exist (install postgresql-15)"
        return 1
    fi
    [[ "${CLUSTER_KEEP:-0}" == 1 ]] || _cluster_install_trap

    local parent="${PG_JOBS_TMP:-/tmp}"
    local safe_name="${name//[^A-Za-z0-9_-]/_}"
    local dir
    dir="$(mktemp -d "$parent/pg_jobs.${safe_name:0:24}.XXXXXX")" || return 1
    # Register before anything can fail, so the dir is always removed.
    _CLUSTER_DIRS[$name]="$dir"
    _CLUSTER_ORDER+=("$name")
    ((EUID == 0)) && chown postgres: "$dir"
    chmod 700 "$dir"

    if ! _cluster_as_owner "$dir" "$PG_BINDIR/initdb" -D "$dir/data" -U postgres --auth=trust \
        --encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
        _cluster_log "initdb failed for '$name':"
        cat "$dir/initdb.log" >&2
        return 1
    fi

    local attempt port
    for attempt in 1 2 3 4 5; do
        port="$(_cluster_pick_port)" || return 1
        # Later lines win in postgresql.conf, so callers can override ours.
        {
            echo "# --- added by test/lib/cluster.sh (attempt $attempt) ---"
            echo "port = $port"
            echo "unix_socket_directories = '$dir'"
            echo "listen_addresses = 'localhost'"
            echo "shared_preload_libraries = 'pg_jobs'"
            echo "fsync = off"
            echo "log_line_prefix = '%m [%p] %q%a '"
            local line
            for line in "$@"; do
                echo "$line"
            done
        } >>"$dir/data/postgresql.conf"
        _CLUSTER_PORTS[$name]="$port"
        if _cluster_as_owner "$dir" "$PG_BINDIR/pg_ctl" start -D "$dir/data" -l "$dir/postgresql.log" \
            -w -t 60 >/dev/null 2>&1; then
            _cluster_export "$name"
            _cluster_log "started '$name' on port $port (socket dir $dir)"
            return 0
        fi
        # A port taken between our check and the bind: try another one.
        if grep -q "could not bind\|Address already in use\|could not create any TCP/IP sockets" \
            "$dir/postgresql.log" 2>/dev/null; then
            _cluster_log "port $port was taken; retrying"
            _cluster_pg_ctl_stop "$dir"
            : >"$dir/postgresql.log"
            continue
        fi
        break
    done
    _cluster_log "could not start '$name'; server log:"
    tail -n 40 "$dir/postgresql.log" >&2 || true
    return 1
}

# cluster_start_standby NAME PRIMARY: a hot standby of the started cluster
# PRIMARY, streaming from it (pg_basebackup -R over its socket), on its own
# port; it becomes the current cluster.
cluster_start_standby() {
    if (($# != 2)) || [[ -z "${_CLUSTER_DIRS[$2]:-}" ]]; then
        _cluster_log "usage: cluster_start_standby NAME PRIMARY (PRIMARY: a started cluster)"
        return 2
    fi
    local name="$1" primary="$2"
    local primary_dir="${_CLUSTER_DIRS[$primary]}" primary_port="${_CLUSTER_PORTS[$primary]}"
    [[ "${CLUSTER_KEEP:-0}" == 1 ]] || _cluster_install_trap
    local safe_name="${name//[^A-Za-z0-9_-]/_}"
    local dir
    dir="$(mktemp -d "${PG_JOBS_TMP:-/tmp}/pg_jobs.${safe_name:0:24}.XXXXXX")" || return 1
    _CLUSTER_DIRS[$name]="$dir"
    _CLUSTER_ORDER+=("$name")
    ((EUID == 0)) && chown postgres: "$dir"
    chmod 700 "$dir"
    if ! _cluster_as_owner "$dir" "$PG_BINDIR/pg_basebackup" -h "$primary_dir" -p "$primary_port" -U postgres \
        -D "$dir/data" -R -X stream -c fast >"$dir/basebackup.log" 2>&1; then
        _cluster_log "pg_basebackup of '$primary' failed:"
        cat "$dir/basebackup.log" >&2
        return 1
    fi
    local port
    port="$(_cluster_pick_port)" || return 1
    {
        echo "# --- standby of '$primary', added by test/lib/cluster.sh ---"
        echo "port = $port"
        echo "unix_socket_directories = '$dir'"
        echo "hot_standby = on"
    } >>"$dir/data/postgresql.conf"
    _CLUSTER_PORTS[$name]="$port"
    if ! _cluster_as_owner "$dir" "$PG_BINDIR/pg_ctl" start -D "$dir/data" -l "$dir/postgresql.log" \
        -w -t 60 >/dev/null 2>&1; then
        _cluster_log "could not start standby '$name'; server log:"
        tail -n 40 "$dir/postgresql.log" >&2 || true
        return 1
    fi
    _cluster_export "$name"
    _cluster_log "started standby '$name' of '$primary' on port $port"
}

# cluster_promote: promotes the current cluster (a standby) and waits for it.
cluster_promote() {
    _cluster_as_owner "$CLUSTER_DIR" "$PG_BINDIR/pg_ctl" promote -D "$CLUSTER_DATA" -w -t 60 >/dev/null
}

cluster_stop() {
    local name="${1:-${CLUSTER_NAME:-}}"
    if [[ -z "$name" || -z "${_CLUSTER_DIRS[$name]:-}" ]]; then
        _cluster_log "cluster_stop: no cluster named '${name}'"
        return 1
    fi
    local dir="${_CLUSTER_DIRS[$name]}"
    _cluster_pg_ctl_stop "$dir"
    rm -rf "$dir"
    unset "_CLUSTER_DIRS[$name]"
    unset "_CLUSTER_PORTS[$name]"
    local kept=() other
    for other in "${_CLUSTER_ORDER[@]}"; do
        [[ "$other" == "$name" ]] || kept+=("$other")
    done
    _CLUSTER_ORDER=("${kept[@]}")
    if [[ "${CLUSTER_NAME:-}" == "$name" ]]; then
        if ((${#_CLUSTER_ORDER[@]} > 0)); then
            _cluster_export "${_CLUSTER_ORDER[-1]}"
        else
            unset CLUSTER_NAME CLUSTER_DIR CLUSTER_DATA CLUSTER_LOG PGHOST PGPORT
        fi
    fi
    return 0
}

cluster_use() {
    if [[ -z "${1:-}" || -z "${_CLUSTER_DIRS[$1]:-}" ]]; then
        _cluster_log "cluster_use: no cluster named '${1:-}'"
        return 1
    fi
    _cluster_export "$1"
}

cluster_restart() {
    local mode="${1:-fast}"
    if [[ -z "${CLUSTER_DIR:-}" ]]; then
        _cluster_log "cluster_restart: no current cluster"
        return 1
    fi
    if ! _cluster_as_owner "$CLUSTER_DIR" "$PG_BINDIR/pg_ctl" restart -D "$CLUSTER_DATA" -m "$mode" \
        -l "$CLUSTER_LOG" -w -t 120 >/dev/null 2>&1; then
        _cluster_log "restart (-m $mode) of '$CLUSTER_NAME' failed; server log:"
        tail -n 40 "$CLUSTER_LOG" >&2 || true
        return 1
    fi
}

cluster_psql() {
    "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$@"
}

cluster_pid() {
    [[ -n "${CLUSTER_DATA:-}" ]] || return 1
    head -n 1 "$CLUSTER_DATA/postmaster.pid" 2>/dev/null
}

cluster_log_tail() {
    tail -n "${1:-50}" "${CLUSTER_LOG:?no current cluster}"
}

# wait_for SECONDS CMD...: runs CMD until it succeeds; fails (status 1) with a
# message once SECONDS have passed. The pause between tries grows from 50 ms
# to 1 s, so quick conditions are seen quickly without a busy loop.
wait_for() {
    if (($# < 2)); then
        _cluster_log "usage: wait_for SECONDS CMD..."
        return 2
    fi
    local limit="$1"
    shift
    local start_us now_us pause=0.05
    start_us="${EPOCHREALTIME//[!0-9]/}"
    local limit_us=$((limit * 1000000))
    while true; do
        if "$@"; then
            return 0
        fi
        now_us="${EPOCHREALTIME//[!0-9]/}"
        if ((now_us - start_us >= limit_us)); then
            _cluster_log "timed out after ${limit}s waiting for: $*"
            return 1
        fi
        sleep "$pause"
        case "$pause" in 0.05) pause=0.1 ;; 0.1) pause=0.2 ;; 0.2) pause=0.5 ;; *) pause=1 ;; esac
    done
}
