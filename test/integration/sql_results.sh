#!/usr/bin/env bash
# An SQL run's result (issue 15) with real workers: a succeeded run records
# the first row its command's last statement returned, as to_jsonb renders
# it (SELECT, INSERT ... RETURNING, the last statement of several); a last
# statement without rows (INSERT, a utility command, VACUUM, a CALL, an
# empty SELECT), a failed and a timed-out run keep result NULL; a first row
# over 8192 bytes of JSON is not kept (NULL, and error says so) and a huge
# one never hurts the run; composites, arrays, NULLs, jsonb, bytea, quotes
# and non-ASCII text render; the row is rendered as the job's owner (a
# user-defined cast to json sees the owner, not a superuser), and an error
# there fails the run, saying where. The same in another database, with
# another encoding (LATIN1), whose worker posts the result to the launcher.
# The owner is a role granted only USAGE ON SCHEMA jobs (and a schema of its
# own for its tables and types).
#
#   test/integration/sql_results.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start sql_results "jobs.max_workers = 4"
cluster_psql -o /dev/null <<'SQL'
CREATE ROLE alice LOGIN;
GRANT USAGE ON SCHEMA jobs TO alice;
CREATE SCHEMA app AUTHORIZATION alice;
CREATE DATABASE latindb TEMPLATE template0 ENCODING 'LATIN1' LOCALE 'C';
SQL
cluster_psql -U alice -o /dev/null <<'SQL'
CREATE TABLE app.items (id int PRIMARY KEY, v text);
CREATE TYPE app.pair AS (a int, b text);
CREATE PROCEDURE app.touch() LANGUAGE sql AS 'UPDATE app.items SET v = v';
-- A type whose rendering runs the owner's code: to_jsonb renders it with its
-- cast to json, which notes who ran it.
CREATE TABLE app.rendered_by (current_role_name text, session_role_name text, super boolean);
CREATE TYPE app.mood AS ENUM ('calm', 'angry');
CREATE FUNCTION app.mood_json(m app.mood) RETURNS json LANGUAGE plpgsql AS $$
BEGIN
    IF m = 'angry' THEN
        RAISE EXCEPTION 'this mood cannot be shown';
    END IF;
    INSERT INTO app.rendered_by SELECT current_user, session_user, rolsuper FROM pg_roles WHERE rolname = current_user;
    RETURN json_build_object('mood', m::text, 'by', current_user);
END
$$;
CREATE CAST (app.mood AS json) WITH FUNCTION app.mood_json(app.mood);
SQL

as_alice() { cluster_psql -U alice -At -c "$1"; }
n=0
# run_job COMMAND [schedule options]: schedules COMMAND as alice as job
# "r<n>" (n counts up), triggers it, waits for the run; sets id to its execution_id.
id=
run_job() {
    n=$((n + 1))
    as_alice "SELECT jobs.schedule('r$n', NULL, \$cmd\$$1\$cmd\$${2:+, $2})" >/dev/null
    id="$(as_alice "SELECT jobs.trigger('r$n')")"
    wait_final "$id" 60 >/dev/null
}
row_of() {
    value "SELECT status || ' | ' || coalesce(result::text, 'NULL') || ' | ' || coalesce(error, '-')
           || ' | ' || coalesce(rows_affected::text, '-') FROM jobs.job_execution WHERE execution_id = $1"
}
# expect ID STATUS RESULT_JSON_OR_NULL WHAT
expect() {
    local id="$1" status="$2" result="$3" what="$4" want
    if [[ "$result" == NULL ]]; then want="result IS NULL"; else want="result = '$result'::jsonb"; fi
    holds "SELECT status = '$status' AND $want AND (error IS NULL OR status <> 'succeeded')
           FROM jobs.job_execution WHERE execution_id = $1" || fail "$what: $(row_of "$id")"
    pass "$what"
}

# --- Rows of the last statement ----------------------------------------------------------------------
run_job "SELECT 42 AS batch, 'x' AS tag"
expect "$id" succeeded '{"batch": 42, "tag": "x"}' 'a SELECT records its row as a JSON object keyed by column name'
run_job "SELECT g AS n FROM generate_series(7, 9) AS g"
expect "$id" succeeded '{"n": 7}' 'a SELECT of three rows records the first'
[[ "$(value "SELECT rows_affected FROM jobs.job_execution WHERE execution_id = $id")" == 3 ]] ||
    fail "rows_affected still counts every row"
run_job "INSERT INTO app.items VALUES (1, 'one'), (2, 'two') RETURNING id, upper(v) AS v"
expect "$id" succeeded '{"id": 1, "v": "ONE"}' 'INSERT ... RETURNING records the first returned row'
run_job "SELECT 1 AS first; UPDATE app.items SET v = v || '!' WHERE id = 2 RETURNING v AS changed"
expect "$id" succeeded '{"changed": "two!"}' 'several statements: the result is the last statement'"'"'s first row'
run_job "DELETE FROM app.items WHERE id = 2 RETURNING *; SELECT 'after' AS last"
expect "$id" succeeded '{"last": "after"}' 'a DELETE ... RETURNING followed by a SELECT: the SELECT'"'"'s row'
holds "SELECT count(*) = 1 FROM app.items" || fail "the DELETE of that run committed"

run_job "SELECT 5 AS \"itemsProcessed\""
holds "SELECT items_processed = 5 FROM jobs.job_stats WHERE job_name = 'r$n'" ||
    fail "jobs.job_stats counts itemsProcessed of an SQL run's row: $(value "SELECT items_processed FROM jobs.job_stats WHERE job_name = 'r$n'")"
pass "jobs.job_stats sums the itemsProcessed column of SQL runs' rows"

# --- No rows: NULL ------------------------------------------------------------------------------------
run_job "SELECT 1 AS a; INSERT INTO app.items VALUES (3, 'three')"
expect "$id" succeeded NULL 'a last statement without RETURNING (after a SELECT): result NULL'
run_job "SELECT id FROM app.items WHERE false"
expect "$id" succeeded NULL 'a SELECT of no rows: result NULL'
run_job "CREATE TABLE app.made (x int)"
expect "$id" succeeded NULL 'a utility statement: result NULL'
run_job "VACUUM app.items"
expect "$id" succeeded NULL 'VACUUM (run as a standalone command): result NULL'
run_job "CALL app.touch()"
expect "$id" succeeded NULL 'a CALL: result NULL'
run_job "SELECT 1 AS a; SELECT 1 / 0 AS b"
expect "$id" failed NULL 'a failed run (its first statement returned a row): result NULL'
run_job "SELECT 1 AS a; SELECT pg_sleep(30) AS s" "timeout => '1 second'"
expect "$id" timed_out NULL 'a timed-out run: result NULL'

# --- Values of every kind -----------------------------------------------------------------------------
weird="SELECT ROW(1, 'z')::app.pair AS p, ARRAY[1, NULL, 3] AS arr, NULL::text AS nothing,
              '{\"k\": [1, {\"d\": null}]}'::jsonb AS j, E'quote \" back \\\\ tab \t caf\u00e9' AS s,
              '\\x00ff'::bytea AS b, 12345678901234567890.5::numeric AS big, ARRAY[ROW(2, 'y')::app.pair] AS pairs,
              'NaN'::float8 AS nan, true AS yes"
run_job "$weird"
holds "SELECT e.result = (SELECT to_jsonb(r) FROM ($weird) AS r) AND e.result ->> 's' LIKE '%café'
       AND jsonb_typeof(e.result -> 'nothing') = 'null'
       FROM jobs.job_execution AS e WHERE e.execution_id = $id AND e.status = 'succeeded'" ||
    fail "composite, array, NULL, jsonb, escapes, non-ASCII, bytea, numeric, NaN render as to_jsonb does: $(row_of "$id")"
pass "a composite, arrays, a NULL column, jsonb, quotes, backslash, tab, non-ASCII, bytea, numeric, NaN render as to_jsonb renders the row"
run_job "SET TimeZone = 'Asia/Kolkata'; SELECT timestamptz '2024-01-02 03:04:05+00' AS at"
expect "$id" succeeded '{"at": "2024-01-02T08:34:05+05:30"}' 'the row renders with the settings of the command (its SET TimeZone)'
run_job "SELECT 1 AS a, 2 AS a"
expect "$id" succeeded '{"a": 2}' 'two columns of one name: the last one wins, as in to_jsonb'

# --- The size limit -----------------------------------------------------------------------------------
# {"s": "<n x>"} is n + 9 bytes of JSON.
run_job "SELECT repeat('x', 8183) AS s"
holds "SELECT status = 'succeeded' AND length(result::text) = 8192 AND error IS NULL
       FROM jobs.job_execution WHERE execution_id = $id" || fail "a result of exactly 8192 bytes is kept: $(row_of "$id" | cut -c1-200)"
pass "a first row of exactly 8192 bytes of JSON is kept"
note_text='result not kept: the first row the command returned is longer than 8192 bytes as JSON'
run_job "SELECT repeat('x', 8184) AS s"
holds "SELECT status = 'succeeded' AND result IS NULL AND error = '$note_text'
       FROM jobs.job_execution WHERE execution_id = $id" || fail "8193 bytes: not kept, and error says so: $(row_of "$id")"
pass "a first row of 8193 bytes of JSON: the run succeeds, result NULL, error says why"
run_job "SELECT repeat('x', 20000000) AS huge, 1 AS n"
holds "SELECT status = 'succeeded' AND result IS NULL AND error = '$note_text'
       FROM jobs.job_execution WHERE execution_id = $id" || fail "a 20 MB first row: not kept: $(row_of "$id")"
pass "a 20 MB first row: the run succeeds, result NULL, error says why"

# --- Rendering runs as the owner -----------------------------------------------------------------------
run_job "SELECT 'calm'::app.mood AS m"
expect "$id" succeeded '{"m": {"mood": "calm", "by": "alice"}}' 'a user-defined cast to json renders the value'
holds "SELECT count(*) = 1 AND bool_and(current_role_name = 'alice' AND session_role_name = 'alice' AND NOT super)
       FROM app.rendered_by" ||
    fail "the cast ran as alice, not a superuser: $(value "SELECT string_agg(concat_ws(',', current_role_name, session_role_name, super), ';') FROM app.rendered_by")"
pass "the owner's cast ran as the owner (current_user and session_user alice, no superuser), in the run's transaction"
run_job "SELECT 'angry'::app.mood AS m"
holds "SELECT status = 'failed' AND result IS NULL AND error = 'this mood cannot be shown'
          AND error_detail LIKE '%rendering the first row returned by job \"r$n\" as its result%'
       FROM jobs.job_execution WHERE execution_id = $id" ||
    fail "an error while rendering fails the run and says where: $(value "SELECT error || ' / ' || error_detail FROM jobs.job_execution WHERE execution_id = $id")"
pass "an error of the owner's code while rendering fails the run, its CONTEXT saying it was the result"

# --- Another database, another encoding -----------------------------------------------------------------
run_job "SELECT 7 AS n, 'caf' || chr(233) AS word, ARRAY['a', NULL] AS list" "database => 'latindb'"
expect "$id" succeeded '{"n": 7, "word": "café", "list": ["a", null]}' \
    'another database (LATIN1): the result comes back through the launcher, in the encoding of jobs.database'
run_job "SELECT repeat('x', 8184) AS s" "database => 'latindb'"
holds "SELECT status = 'succeeded' AND result IS NULL AND error = '$note_text'
       FROM jobs.job_execution WHERE execution_id = $id" || fail "another database, over the limit: $(row_of "$id")"
pass "another database: a first row over the limit is not kept, and error says so"
run_job "SELECT repeat(chr(233), 8180) AS s" "database => 'latindb'"
holds "SELECT status = 'succeeded' AND result IS NULL AND error = '$note_text'
       FROM jobs.job_execution WHERE execution_id = $id" ||
    fail "another database: 8189 bytes in LATIN1 are over the limit in UTF-8: $(row_of "$id")"
pass "another database: the limit applies to the JSON in jobs.database's encoding (8189 LATIN1 bytes, 16369 in UTF-8)"
run_job "SELECT 1 AS a; SELECT 1 / 0 AS b" "database => 'latindb'"
expect "$id" failed NULL 'another database: a failed run keeps result NULL'
run_job "DO \$do\$ BEGIN RAISE EXCEPTION 'caf%', chr(233) USING DETAIL = 'cr' || chr(232) || 'me'; END \$do\$" \
    "database => 'latindb'"
holds "SELECT status = 'failed' AND error = 'caf' || chr(233) AND error_detail LIKE 'cr' || chr(232) || 'me%'
       FROM jobs.job_execution WHERE execution_id = $id" ||
    fail "another database: a failed run's error keeps its accents: $(row_of "$id") / $(value "SELECT error_detail FROM jobs.job_execution WHERE execution_id = $id")"
pass "another database (LATIN1): a failed run's error and detail reach jobs.database with their accents"
run_job "CREATE TEMP TABLE made (x int)" "database => 'latindb'"
expect "$id" succeeded NULL 'another database: a statement without rows keeps result NULL'
