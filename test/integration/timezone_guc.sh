#!/usr/bin/env bash
# jobs.timezone through postgresql.conf, ALTER SYSTEM and SET, and 2,000
# garbage schedules (plus garbage zone names) that must never crash the server.
#
#   test/integration/timezone_guc.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh

fail() {
    echo "not ok - $*" >&2
    exit 1
}
pass() { echo "ok - $*"; }

# One value from a fresh session (a new backend reads the reloaded config).
value() { cluster_psql -At -c "$1"; }
timezone_is() { [[ "$(value 'SHOW jobs.timezone')" == "$1" ]]; }
log_has() { grep -qF -- "$1" "$CLUSTER_LOG"; }
conf() { echo "$1" >>"$CLUSTER_DATA/postgresql.conf"; }
reload() { value "SELECT pg_reload_conf()" >/dev/null; }

cluster_start timezone_guc
cluster_psql -c "CREATE EXTENSION pg_jobs"
server_pid="$(cluster_pid)"

# --- Default and postgresql.conf ----------------------------------------------
timezone_is UTC || fail "jobs.timezone defaults to UTC (got '$(value 'SHOW jobs.timezone')')"
pass "jobs.timezone defaults to UTC"

conf "jobs.timezone = 'Asia/Tokyo'"
reload
wait_for 30 timezone_is Asia/Tokyo || fail "jobs.timezone from postgresql.conf is honoured after reload"
pass "jobs.timezone from postgresql.conf is honoured after pg_reload_conf()"

# 09:00 in Tokyo is 00:00 UTC: the reloaded setting is the functions' default zone.
first="$(value "SET timezone = 'UTC'; SELECT jobs.next_runs('0 9 * * *', 1, '2026-04-30 12:00+00')")"
[[ "$first" == "2026-05-01 00:00:00+00" ]] || fail "next_runs uses the reloaded jobs.timezone (got '$first')"
pass "jobs.next_runs defaults to the reloaded jobs.timezone"

# --- A bad value in postgresql.conf is refused on reload ----------------------
conf "jobs.timezone = 'Mars/Base'"
reload
wait_for 30 log_has 'invalid value for parameter "jobs.timezone": "Mars/Base"' ||
    fail "a bad jobs.timezone in postgresql.conf is logged on reload"
wait_for 30 log_has 'Time zone "Mars/Base" is not known.' || fail "the log line says why the zone was refused"
wait_for 30 log_has 'contains errors; unaffected changes were applied' ||
    fail "the server reports that the configuration file has errors"
pass "a bad jobs.timezone in postgresql.conf is rejected on reload with a log line"
timezone_is Asia/Tokyo || fail "the old jobs.timezone stays after a rejected reload (got '$(value 'SHOW jobs.timezone')')"
pass "the previous value stays in force"

conf "jobs.timezone = 'Europe/Berlin'"
reload
wait_for 30 timezone_is Europe/Berlin || fail "a corrected postgresql.conf is honoured on the next reload"
pass "a corrected postgresql.conf is honoured on the next reload"

cluster_restart fast
server_pid="$(cluster_pid)"
timezone_is Europe/Berlin || fail "jobs.timezone from postgresql.conf is honoured at startup"
pass "jobs.timezone from postgresql.conf is honoured at startup"

# --- SET and ALTER SYSTEM ------------------------------------------------------
set_output="$(cluster_psql -v VERBOSITY=verbose -c "SET jobs.timezone = 'Mars/Base'" 2>&1 || true)"
grep -qF 'ERROR:  22023: invalid value for parameter "jobs.timezone": "Mars/Base"' <<<"$set_output" ||
    fail "SET jobs.timezone = 'Mars/Base' fails with 22023; got: $set_output"
grep -qF 'DETAIL:  Time zone "Mars/Base" is not known.' <<<"$set_output" || fail "SET error has a DETAIL: $set_output"
grep -qF "HINT:  Use a name from pg_timezone_names, for example 'Europe/Berlin' or 'UTC'." <<<"$set_output" ||
    fail "SET error has a HINT: $set_output"
pass "SET jobs.timezone = 'Mars/Base' fails with SQLSTATE 22023, DETAIL and HINT"

set_value="$(value "SET jobs.timezone = 'australia/lord_howe'; SHOW jobs.timezone")"
[[ "$set_value" == "australia/lord_howe" ]] || fail "SET accepts zone names in any case (got '$set_value')"
pass "SET jobs.timezone accepts zone names in any case"

alter_output="$(cluster_psql -c "ALTER SYSTEM SET jobs.timezone = 'Mars/Base'" 2>&1 || true)"
grep -qF 'invalid value for parameter "jobs.timezone": "Mars/Base"' <<<"$alter_output" ||
    fail "ALTER SYSTEM refuses a bad jobs.timezone; got: $alter_output"
cluster_psql -c "ALTER SYSTEM SET jobs.timezone = 'Australia/Sydney'"
reload
wait_for 30 timezone_is Australia/Sydney || fail "ALTER SYSTEM SET jobs.timezone is honoured after reload"
cluster_psql -c "ALTER SYSTEM RESET jobs.timezone"
reload
wait_for 30 timezone_is Europe/Berlin || fail "ALTER SYSTEM RESET falls back to postgresql.conf"
pass "ALTER SYSTEM refuses bad zones and applies good ones on reload"

# --- Garbage never crashes the server -------------------------------------------
# Deterministic garbage (fixed seed): cron-ish tokens, names, macros, interval
# words, punctuation, non-ASCII, and now and then a very long string. Never a
# '$', so $g$ quoting is safe.
garbage_sql="$CLUSTER_DIR/garbage.sql"
awk -v count=2000 -v q="'" 'BEGIN {
    srand(20260308);
    n = split("* ? L W # / - , 0 1 5 7 12 23 24 29 30 31 32 59 60 61 99 -1 +3 0x1F 1e9 999999999999999999999 " \
              "jan FEB mar dec Jam mon TUE sun sat Fri fro L-3 L-31 5L 8L 1#1 5#5 1#6 0#0 @ @every @EVERY @daily " \
              "@reboot @yearly @hourly @fortnightly seconds second minutes hours days weeks month years " \
              "1.5 0.000001 PT1S P1D 00:00:01 24:00:00 infinity -infinity NaN ago @every@every " \
              "é ☃ ß \t \t\t ; ( ) [ ] { } x abc interval \" \\ %s %n \\x00 _ ~ ! ^ & | = < >", tok, " ");
    na = split("* * ? L 0 1 2 5 7 10 15 23 28 29 30 31 59 60 0 6 12 13 jan jun dec sun mon fri sat L-1 L-30 5L 0L " \
               "1#1 5#5 7#2 1#6 x 99 -", atom, " ");
    nn = split("* 0 1 2 3 5 7 10 12", num, " ");
    tok[++n] = q;
    tok[++n] = q q;
    for (i = 1; i <= count; i++) {
        s = "";
        if (i % 97 == 0) {
            # Long input: around and beyond the parser length limit.
            piece = tok[int(rand() * n) + 1] " ";
            len = 9990 + int(rand() * 30);
            while (length(s) < len) s = s piece;
        } else if (rand() < 0.5) {
            # Five or six plausible fields: lists of ranges and steps over
            # numbers, names and specials, with the odd wrong character.
            fields = rand() < 0.7 ? 5 : 6;
            for (f = 0; f < fields; f++) {
                items = 1 + int(rand() * 3);
                field = "";
                plain = rand() < 0.8;  # mostly small numbers, so later fields get parsed too
                for (it = 0; it < items; it++) {
                    item = plain ? num[int(rand() * nn) + 1] : atom[int(rand() * na) + 1];
                    if (rand() < 0.3) item = item "-" (plain ? num[int(rand() * nn) + 1] : atom[int(rand() * na) + 1]);
                    if (rand() < 0.3) item = item "/" (plain ? num[int(rand() * nn) + 1] : atom[int(rand() * na) + 1]);
                    field = field (it > 0 ? "," : "") item;
                }
                s = s (f > 0 ? " " : "") field;
            }
        } else {
            k = int(rand() * 9);
            if (rand() < 0.2) s = "@every ";
            for (j = 0; j < k; j++) {
                sep = rand() < 0.75 ? " " : "";
                s = s tok[int(rand() * n) + 1] sep;
            }
        }
        printf "SELECT count(*) FROM jobs.next_runs($g$%s$g$, 3, $g$2026-01-01 00:00+00$g$, $g$UTC$g$);\n", s;
        printf "SELECT jobs.describe($g$%s$g$, $g$UTC$g$) IS NOT NULL;\n", s;
    }
    # Garbage zone names.
    for (i = 1; i <= 200; i++) {
        z = "";
        k = 1 + int(rand() * 4);
        for (j = 0; j < k; j++) z = z tok[int(rand() * n) + 1] (rand() < 0.5 ? "/" : "");
        printf "SELECT count(*) FROM jobs.next_runs($g$@daily$g$, 1, now(), $g$%s$g$);\n", z;
    }
}' >"$garbage_sql"
statements="$(grep -c '^SELECT' "$garbage_sql")"

garbage_err="$CLUSTER_DIR/garbage.err"
garbage_log="$CLUSTER_DIR/garbage.log"
log_offset="$(stat -c %s "$CLUSTER_LOG")"
status=0
"$PG_BINDIR/psql" -X -q -v VERBOSITY=verbose -f "$garbage_sql" >/dev/null 2>"$garbage_err" || status=$?
((status == 0)) || fail "psql survived all $statements garbage statements (exit status $status): $(tail -n 5 "$garbage_err")"
[[ "$(cluster_pid)" == "$server_pid" ]] || fail "the postmaster pid is unchanged"
[[ "$(value 'SELECT 1')" == 1 ]] || fail "SELECT 1 works after the garbage"
# A crashed backend does not change the postmaster pid: look for the crash
# report in the server log written since the garbage started.
tail -c +"$((log_offset + 1))" "$CLUSTER_LOG" >"$garbage_log"
crash_pattern='terminated by signal|server process \(PID [0-9]+\) (was terminated|exited)|terminating any other active|server closed the connection'
if grep -E "$crash_pattern" "$garbage_log" "$garbage_err" >/dev/null; then
    fail "no backend crashed: $(grep -E "$crash_pattern" "$garbage_log" "$garbage_err" | head -n 3)"
fi
errors="$(grep -c '^psql:.*ERROR:' "$garbage_err" || true)"
unexpected="$(grep '^psql:.*ERROR:' "$garbage_err" |
    grep -vE 'ERROR:  22023: (invalid cron schedule: |invalid time zone ")' || true)"
[[ -z "$unexpected" ]] || fail "every error is a 22023 schedule or zone error; also got: $(head -n 3 <<<"$unexpected")"
if grep -E 'std::|basic_string|exception|failed unexpectedly' "$garbage_err" >/dev/null; then
    fail "no error mentions C++ internals: $(grep -E 'std::|basic_string|exception|failed unexpectedly' "$garbage_err" | head -n 3)"
fi
pass "$statements garbage statements ($errors refused with 22023) left the server running (pid $server_pid)"
