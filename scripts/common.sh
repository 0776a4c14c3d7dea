# shellcheck shell=bash
# Shared by scripts/demo.sh and scripts/run-tests.sh (sourced, not run).

# PostgreSQL 15's pg_config, whatever else is on PATH.
if [[ -z "${PG_CONFIG:-}" && -x /usr/lib/postgresql/15/bin/pg_config ]]; then
    export PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
fi
export PG_CONFIG="${PG_CONFIG:-pg_config}"

# as_root CMD...: runs CMD as root (directly, or through sudo).
as_root() {
    if ((EUID == 0)); then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "$(basename "$0"): '$*' needs root and sudo is not installed" >&2
        return 1
    fi
}
