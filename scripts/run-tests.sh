#!/usr/bin/env bash
# Every test stage of pg_jobs, in order: dependencies, the PGXS build and
# install, unit tests (plain and under ASan+UBSan), pg_regress, pgTAP, the
# fuzz target, the integration scripts and the quick benchmarks.
#
# A failing stage does not stop the run (so every result is seen), but the
# exit status is non-zero if any stage failed. After a failed build, the
# stages that test the installed extension fail without running: they would
# test whatever was installed before. Servers and temp dirs are
# cleaned up whatever happens.
#
# Knobs: PG_JOBS_FUZZ_SECONDS (default 60), PG_JOBS_JOBS (parallel build
# jobs, default nproc), PG_JOBS_STAGES (space-separated stage names to run,
# default all), PG_JOBS_SKIP_DEPS=1 (skip apt).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

# shellcheck source=scripts/common.sh
source "$ROOT/scripts/common.sh"
JOBS="${PG_JOBS_JOBS:-$(nproc 2>/dev/null || echo 2)}"
FUZZ_SECONDS="${PG_JOBS_FUZZ_SECONDS:-60}"
STAGE_FILTER=" ${PG_JOBS_STAGES:-} "

# Every cluster of this run (ours and the integration scripts') lives under
# one private dir, so a final sweep can stop stragglers, e.g. after a script
# was killed by its timeout before its own cleanup ran.
RUN_TMP="$(mktemp -d /tmp/pg_jobs-test.XXXXXX)" || exit 1
chmod 711 "$RUN_TMP"  # the postgres OS user must reach its data dirs
export PG_JOBS_TMP="$RUN_TMP"

# shellcheck source=test/lib/cluster.sh
source "$ROOT/test/lib/cluster.sh"

sweep_leftovers() {
    local pidfile dir
    for pidfile in "$RUN_TMP"/*/data/postmaster.pid; do
        [[ -f "$pidfile" ]] || continue
        dir="$(dirname "$(dirname "$pidfile")")"
        echo "run-tests: stopping a leftover server in $dir" >&2
        _cluster_as_owner "$dir" "$PG_BINDIR/pg_ctl" stop -D "$dir/data" -m immediate -w -t 60 >/dev/null 2>&1 || true
    done
    rm -rf "$RUN_TMP"
}
trap sweep_leftovers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM


# --- Stage bookkeeping -------------------------------------------------------

STAGE_NAMES=()
STAGE_RESULTS=()
STAGE_SECONDS=()

elapsed_since() {
    local now="${EPOCHREALTIME//[!0-9]/}"
    local tenths=$(((now - $1) / 100000))
    echo "$((tenths / 10)).$((tenths % 10))"
}

# Set when the build stage fails: the extension installed on this machine is
# then not this tree's, so the stages that test it would test something else.
BUILD_FAILED=0

# Whether stage NAME runs against the installed extension.
needs_install() {
    case "$1" in
        regress | pgtap | integration:* | bench) return 0 ;;
        *) return 1 ;;
    esac
}

# run_stage NAME FUNCTION [ARGS...]: runs the function in a subshell with
# `set -e` (so clusters it starts are stopped when it ends); status 77 means
# "skipped: nothing to test".
run_stage() {
    local name="$1"
    shift
    if [[ "$STAGE_FILTER" != "  " && "$STAGE_FILTER" != *" ${name%%:*} "* && "$STAGE_FILTER" != *" $name "* ]]; then
        return 0
    fi
    echo
    echo "================================================================"
    echo "== $name"
    echo "================================================================"
    local start="${EPOCHREALTIME//[!0-9]/}"
    local status=0
    if ((BUILD_FAILED)) && needs_install "$name"; then
        echo "not run: the build stage failed, so the installed pg_jobs is not this tree's"
        status=1
    else
        (
            set -e
            "$@"
        )
        status=$?
    fi
    if [[ "$name" == build ]] && ((status != 0)); then
        BUILD_FAILED=1
    fi
    local seconds
    seconds="$(elapsed_since "$start")"
    local result=PASS
    if ((status == 77)); then
        result=SKIP
    elif ((status != 0)); then
        result=FAIL
    fi
    echo "== $name: $result (${seconds}s)"
    STAGE_NAMES+=("$name")
    STAGE_RESULTS+=("$result")
    STAGE_SECONDS+=("$seconds")
}

# --- Stages -------------------------------------------------------------------

stage_deps() {
    "$ROOT/scripts/install-deps.sh"
}

stage_build() {
    make --no-print-directory -j"$JOBS" PG_CONFIG="$PG_CONFIG"
    as_root make --no-print-directory install PG_CONFIG="$PG_CONFIG"
}

# cmake_build DIR [cmake options...]: configure (once) and build.
cmake_build() {
    local dir="$1"
    shift
    mkdir -p "$ROOT/$dir"
    cmake -S "$ROOT" -B "$ROOT/$dir" "$@" >"$ROOT/$dir/configure.log" 2>&1 || {
        cat "$ROOT/$dir/configure.log"
        return 1
    }
    cmake --build "$ROOT/$dir" -j "$JOBS"
}

stage_unit() {
    cmake_build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
    ctest --test-dir "$ROOT/build" --output-on-failure -j "$JOBS" --timeout 600
}

stage_lint() {
    "$ROOT/scripts/lint.sh"
}

stage_unit_asan() {
    cmake_build build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPG_JOBS_SANITIZE=ON -DPG_JOBS_BENCH=OFF
    ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:check_initialization_order=1:strict_init_order=1" \
        UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
        ctest --test-dir "$ROOT/build-asan" --output-on-failure -j "$JOBS" --timeout 900
}

stage_regress() {
    compgen -G "$ROOT/sql/*.sql" >/dev/null || {
        echo "no pg_regress tests in sql/"
        return 77
    }
    cluster_start regress "jobs.database = 'contrib_regression'"
    rm -rf "$ROOT/results" "$ROOT/regression.diffs" "$ROOT/regression.out"
    if ! timeout --foreground -k 30 900 make --no-print-directory installcheck PG_CONFIG="$PG_CONFIG"; then
        cluster_stop  # quietly: the server log is not what failed
        if [[ -f "$ROOT/regression.diffs" ]]; then
            echo "----- regression.diffs -----"
            cat "$ROOT/regression.diffs"
        fi
        return 1
    fi
}

pgtap_launcher_connected() {
    [[ "$(cluster_psql -d pgtap_tests -At -c "SELECT count(*) FROM pg_stat_activity
        WHERE backend_type = 'pg_jobs launcher' AND datname = 'pgtap_tests'")" == 1 ]]
}

stage_pgtap() {
    compgen -G "$ROOT/test/pgtap/*.sql" >/dev/null || {
        echo "no pgTAP tests in test/pgtap/"
        return 77
    }
    cluster_start pgtap "jobs.database = 'pgtap_tests'"
    cluster_psql -c "CREATE DATABASE pgtap_tests"
    cluster_psql -d pgtap_tests -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION pg_jobs"
    # The launcher started before pgtap_tests existed and comes back to it
    # after a pause; tests that read its state (jobs.health()) need it there.
    wait_for 60 pgtap_launcher_connected || {
        echo "the pg_jobs launcher did not connect to pgtap_tests"
        return 1
    }
    # From the repo root, so tests can \copy files by relative path.
    if ! PGDATABASE=pgtap_tests timeout --foreground -k 30 900 pg_prove --timer --failures test/pgtap/*.sql; then
        cluster_stop  # quietly: pg_prove has shown what failed
        return 1
    fi
}

stage_fuzz() {
    cmake_build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPG_JOBS_FUZZ=ON \
        -DCMAKE_CXX_COMPILER="$(command -v clang++-14 || command -v clang++)"
    # libFuzzer writes new inputs into the first corpus dir: use a scratch
    # copy of the seeds plus one file per schedule of the bad-schedule corpus.
    local corpus="$RUN_TMP/fuzz-corpus"
    mkdir -p "$corpus" "$ROOT/build-fuzz/artifacts"
    cp "$ROOT"/test/fuzz/seeds/* "$corpus"/ 2>/dev/null || true
    local tsv
    for tsv in "$ROOT"/test/corpus/*.tsv; do
        [[ -f "$tsv" ]] || continue
        awk -F '\t' -v dir="$corpus" -v base="$(basename "$tsv" .tsv)" \
            '!/^#/ && NF > 0 { file = sprintf("%s/%s_%04d", dir, base, NR); printf "%s", $1 > file; close(file) }' "$tsv"
    done
    echo "fuzzing for ${FUZZ_SECONDS}s from $(find "$corpus" -type f | wc -l) seed inputs"
    local log="$ROOT/build-fuzz/fuzz.log"
    if ! timeout --foreground -k 30 $((FUZZ_SECONDS + 300)) "$ROOT/build-fuzz/cron_fuzz" -max_total_time="$FUZZ_SECONDS" \
        -timeout=10 -rss_limit_mb=2048 -max_len=512 -print_final_stats=1 -dict="$ROOT/test/fuzz/cron.dict" \
        -artifact_prefix="$ROOT/build-fuzz/artifacts/" "$corpus" >"$log" 2>&1; then
        tail -n 80 "$log"
        echo "fuzz: failure; the input is in build-fuzz/artifacts/; reproduce with build-fuzz/cron_fuzz <file>"
        return 1
    fi
    grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb)' "$log" || tail -n 5 "$log"
}

stage_integration() {
    timeout --foreground -k 30 "${PG_JOBS_INTEGRATION_TIMEOUT:-900}" bash "$1"
}

stage_bench() {
    timeout --foreground -k 30 1200 "$ROOT/test/bench/run.sh" --quick
}

# --- Run ------------------------------------------------------------------------

TOTAL_START="${EPOCHREALTIME//[!0-9]/}"
run_stage deps stage_deps
run_stage build stage_build
run_stage unit stage_unit
run_stage lint stage_lint
run_stage unit-asan stage_unit_asan
run_stage regress stage_regress
run_stage pgtap stage_pgtap
run_stage fuzz stage_fuzz
for script in "$ROOT"/test/integration/*.sh; do
    [[ -f "$script" ]] || continue
    run_stage "integration:$(basename "$script" .sh)" stage_integration "$script"
done
run_stage bench stage_bench

echo
echo "================================================================"
printf '%-36s %-6s %9s\n' "stage" "result" "seconds"
printf '%-36s %-6s %9s\n' "------------------------------------" "------" "---------"
passed=0
failed=0
skipped=0
for i in "${!STAGE_NAMES[@]}"; do
    printf '%-36s %-6s %9s\n' "${STAGE_NAMES[i]}" "${STAGE_RESULTS[i]}" "${STAGE_SECONDS[i]}"
    case "${STAGE_RESULTS[i]}" in
        PASS) passed=$((passed + 1)) ;;
        FAIL) failed=$((failed + 1)) ;;
        *) skipped=$((skipped + 1)) ;;
    esac
done
echo "total time: $(elapsed_since "$TOTAL_START")s; skipped stages (nothing to test): $skipped"
echo "$passed passed, $failed failed"
((failed == 0))
