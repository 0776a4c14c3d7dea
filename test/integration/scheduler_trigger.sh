#!/usr/bin/env bash
# jobs.trigger, jobs.wait and jobs.context with real workers: the payload
# reaches the handler; wait returns the final row; a trigger runs only when
# its transaction commits, never after a rollback; a command of several
# statements is one transaction; failures record the error and SQLSTATE.
#
#   test/integration/scheduler_trigger.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start scheduler_trigger "jobs.history_per_job = 0"
cluster_psql -o /dev/null <<'SQL'
CREATE TABLE public.received (payload jsonb, context jsonb, at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE TABLE public.pairs (x int PRIMARY KEY);
SELECT jobs.schedule('store', NULL, $$INSERT INTO public.received (payload, context)
                                      SELECT jobs.context() -> 'payload', jobs.context()$$);
SELECT jobs.schedule('slow', NULL, 'SELECT pg_sleep(1)');
SELECT jobs.schedule('two_ok', NULL, 'INSERT INTO public.pairs VALUES (10); UPDATE public.pairs SET x = 11 WHERE x = 10');
SELECT jobs.schedule('two_fail', NULL, 'INSERT INTO public.pairs VALUES (1); INSERT INTO public.pairs VALUES (1)');
SELECT jobs.schedule('divide', NULL, 'SELECT 1 / 0');
SELECT jobs.schedule('raise', NULL, $o$DO $$ BEGIN
    RAISE EXCEPTION 'custom failure' USING ERRCODE = 'P0042', DETAIL = 'the detail text', HINT = 'the hint';
END $$$o$);
SQL

# A trigger is served by its owner's idle worker: the commit wakes that
# worker, and no other worker starts for the run it takes (the launcher
# starts one only when the owner has none idle). A role of its own, first,
# while process slots are free for more workers.
cluster_psql -o /dev/null -c "CREATE ROLE idler LOGIN; GRANT USAGE ON SCHEMA jobs TO idler"
cluster_psql -U idler -o /dev/null -c "SELECT jobs.schedule('idle_served', NULL, 'SELECT 1')"
idler_pids="SELECT coalesce(string_agg(a.pid::text, ' ' ORDER BY a.pid), '') FROM pg_stat_activity AS a
            WHERE a.backend_type = 'pg_jobs worker' AND a.usename = 'idler'"
idler_idle="SELECT bool_and(wait_event IS NOT DISTINCT FROM 'Extension') FROM pg_stat_activity
            WHERE backend_type = 'pg_jobs worker' AND usename = 'idler'"
for i in $(seq 1 12); do
    id="$(cluster_psql -U idler -At -c "SELECT jobs.trigger('idle_served')")"
    [[ "$(wait_final "$id")" == succeeded ]] || fail "a run of the role's job succeeds ($i)"
    wait_until 30 "$idler_idle" || fail "the role's workers wait idle after run $i"
    ((i > 1)) || first="$(value "$idler_pids")"
done
[[ "$first" =~ ^[0-9]+$ && "$(value "$idler_pids")" == "$first" ]] ||
    fail "the role's runs went to its one idle worker $first, and no other worker started (now: $(value "$idler_pids"))"
pass "a trigger wakes its owner's idle worker, and no other worker starts"

# --- Payload, context and wait --------------------------------------------------------
id="$(value "SELECT jobs.trigger('store', '{\"greeting\": \"hello\", \"n\": 42}')")"
[[ "$id" =~ ^[0-9]+$ ]] || fail "jobs.trigger returns an execution_id (got '$id')"
status="$(wait_final "$id")"
[[ "$status" == succeeded ]] || fail "jobs.wait returns the triggered run's final row (status '$status')"
pass "jobs.trigger returns an execution_id; jobs.wait returns status 'succeeded'"

row="$(value "SELECT w.execution_id = $id AND w.triggered_by = 'manual' AND w.triggered_by_user = 'postgres'
                     AND w.payload = '{\"greeting\": \"hello\", \"n\": 42}' AND w.started_at IS NOT NULL
                     AND w.finished_at >= w.started_at AND w.queued_at <= w.started_at AND w.rows_affected = 1
                     AND w.error IS NULL AND w.job_name = 'store' AND w.attempt = 1
              FROM jobs.wait($id) w")"
[[ "$row" == t ]] || fail "the row jobs.wait returns has the run's fields; got:
$(cluster_psql -x -c "SELECT * FROM jobs.wait($id)")"
pass "the row from jobs.wait has triggered_by 'manual', the user, the payload, times and rows_affected"

got="$(value "SELECT payload FROM public.received")"
[[ "$got" == '{"n": 42, "greeting": "hello"}' ]] || fail "the handler read jobs.context()->'payload' (got '$got')"
pass "the handler reads its payload from jobs.context()"

context_ok="$(value "SELECT context ->> 'execution_id' = '$id' AND context ->> 'job_name' = 'store'
                            AND (context ->> 'job_id')::bigint = (SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'store')
                            AND context ->> 'triggered_by' = 'manual' AND context ->> 'triggered_by_user' = 'postgres'
                            AND context ? 'scheduled_for'
                     FROM public.received")"
[[ "$context_ok" == t ]] || fail "jobs.context() has job_id, job_name, execution_id, triggered_by(_user), scheduled_for; got:
$(value "SELECT context FROM public.received")"
pass "jobs.context() carries job_id, job_name, execution_id, triggered_by, triggered_by_user"
[[ -z "$(value "SELECT jobs.context()")" ]] || fail "jobs.context() is NULL outside a job"
pass "jobs.context() is NULL outside a job"

# The job_id overload, and a NULL payload.
id="$(value "SELECT jobs.trigger((SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'store'))")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "jobs.trigger(job_id) runs the job"
# jobs.context() keeps the key: {"payload": null}, so -> gives JSON null.
[[ "$(value "SELECT count(*) FROM public.received WHERE payload IS NULL OR payload = 'null'::jsonb")" == 1 ]] ||
    fail "a trigger without payload gives a null jobs.context()->'payload' (got: $(value "SELECT string_agg(coalesce(payload::text, 'SQL NULL'), ', ') FROM public.received"))"
pass "jobs.trigger(job_id) works; no payload means a NULL payload"

# --- jobs.wait with a short timeout returns the row as it is ----------------------------
id="$(value "SELECT jobs.trigger('slow')")"
early="$(value "SELECT status FROM jobs.wait($id, interval '10 milliseconds')")"
[[ "$early" == queued || "$early" == running ]] ||
    fail "jobs.wait with a 10 ms timeout on a 1 s job returns it queued or running (got '$early')"
[[ "$(wait_final "$id")" == succeeded ]] || fail "the slow job then succeeds"
pass "jobs.wait returns the unfinished row when its timeout passes ('$early'), the final one later"

unknown="$(cluster_psql -v VERBOSITY=verbose -c "SELECT jobs.wait(987654321)" 2>&1 || true)"
grep -q 'ERROR:  42704' <<<"$unknown" || fail "jobs.wait on an unknown execution_id fails with 42704; got: $unknown"
pass "jobs.wait on an unknown execution_id fails with 42704"

# Under REPEATABLE READ the transaction's snapshot never sees the run finish;
# jobs.wait must read past it (and return long before its 1-minute timeout).
id="$(value "SELECT jobs.trigger('slow')")"
in_rr="$(cluster_psql -At <<SQL
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM jobs.job_execution;
SELECT status || ' ' || (clock_timestamp() - now() < interval '50 seconds') FROM jobs.wait($id, interval '1 minute');
COMMIT;
SQL
)"
[[ "$(tail -n1 <<<"$in_rr")" == "succeeded true" ]] ||
    fail "jobs.wait inside a REPEATABLE READ transaction returns the finished run (got: $in_rr)"
pass "jobs.wait inside a REPEATABLE READ transaction sees the run finish"

# --- Transactional like NOTIFY ------------------------------------------------------------
rolled="$(cluster_psql -At <<'SQL'
BEGIN;
SELECT jobs.trigger('store', '{"rolled": "back"}');
ROLLBACK;
SQL
)"
[[ "$rolled" =~ ^[0-9]+$ ]] || fail "jobs.trigger in a transaction returns an id (got '$rolled')"
# Barrier: a later trigger's completion (workers claim runs in id order).
barrier="$(value "SELECT jobs.trigger('store', '{\"barrier\": 1}')")"
[[ "$(wait_final "$barrier")" == succeeded ]] || fail "the barrier run succeeds"
[[ "$(value "SELECT count(*) FROM public.received WHERE payload ? 'rolled'")" == 0 ]] ||
    fail "a trigger whose transaction rolled back never runs"
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE execution_id = $rolled OR payload ? 'rolled'")" == 0 ]] ||
    fail "a rolled-back trigger leaves no execution row"
pass "a trigger in a rolled-back transaction never runs and leaves no row"

# The run must not start before the commit, even when the commit comes late.
committed="$(cluster_psql -At <<'SQL'
BEGIN;
SELECT jobs.trigger('store', '{"late": "commit"}') AS id \gset
SELECT pg_sleep(0.5);
SELECT :id || ' ' || clock_timestamp();
COMMIT;
SQL
)"
committed="$(tail -n 1 <<<"$committed")"
late_id="${committed%% *}"
before_commit="${committed#* }"
[[ "$(wait_final "$late_id")" == succeeded ]] || fail "a trigger committed late runs"
[[ "$(value "SELECT started_at > '$before_commit'::timestamptz FROM jobs.job_execution WHERE execution_id = $late_id")" == t ]] ||
    fail "the run starts after the commit (started_at $(value "SELECT started_at FROM jobs.job_execution WHERE execution_id = $late_id"), last statement before COMMIT at $before_commit)"
pass "a trigger runs only after its transaction commits"

# Many triggers committed together: each runs exactly once.
cluster_psql -c "SELECT count(jobs.trigger('store', jsonb_build_object('batch', i))) FROM generate_series(1, 200) i" >/dev/null
batch_done() { holds "SELECT count(*) = 200 FROM public.received WHERE payload ? 'batch'"; }
wait_for 60 batch_done || fail "200 triggers committed in one transaction all run (ran $(value "SELECT count(*) FROM public.received WHERE payload ? 'batch'"))"
[[ "$(value "SELECT count(DISTINCT payload) = 200 AND count(*) = 200 FROM public.received WHERE payload ? 'batch'")" == t ]] ||
    fail "each of the 200 triggers runs exactly once"
[[ "$(value "SELECT count(*) FILTER (WHERE status = 'succeeded') = 200 FROM jobs.job_execution WHERE payload ? 'batch'")" == t ]] ||
    fail "the 200 runs are recorded as succeeded"
pass "200 triggers in one transaction run exactly once each"

# --- Several statements, one transaction ----------------------------------------------------
id="$(value "SELECT jobs.trigger('two_ok')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "a two-statement command succeeds"
[[ "$(value "SELECT string_agg(x::text, ',') FROM public.pairs")" == 11 ]] ||
    fail "both statements of a command took effect (pairs: $(value "SELECT string_agg(x::text, ',') FROM public.pairs"))"
pass "a command of two statements runs both"

id="$(value "SELECT jobs.trigger('two_fail')")"
[[ "$(wait_final "$id")" == failed ]] || fail "a command whose second statement fails is recorded as failed"
[[ "$(value "SELECT count(*) FROM public.pairs WHERE x = 1")" == 0 ]] ||
    fail "the first statement's effect is rolled back when the second fails"
failure="$(value "SELECT sqlstate || '|' || error FROM jobs.job_execution WHERE execution_id = $id")"
[[ "$failure" == 23505\|*duplicate\ key* ]] || fail "the failure records SQLSTATE 23505 and the message (got '$failure')"
pass "second statement fails -> first rolled back, status failed, sqlstate 23505 and message recorded"

# --- Failures --------------------------------------------------------------------------------
id="$(value "SELECT jobs.trigger('divide')")"
[[ "$(wait_final "$id")" == failed ]] || fail "SELECT 1 / 0 fails"
failure="$(value "SELECT sqlstate || '|' || error || '|' || (finished_at IS NOT NULL) FROM jobs.job_execution WHERE execution_id = $id")"
[[ "$failure" == '22012|division by zero|true' ]] || fail "the failure records 22012 and 'division by zero' (got '$failure')"
pass "a failing job records error 'division by zero', sqlstate 22012 and finished_at"

id="$(value "SELECT jobs.trigger('raise')")"
[[ "$(wait_final "$id")" == failed ]] || fail "RAISE EXCEPTION fails the job"
failure="$(value "SELECT sqlstate || '|' || error || '|' || coalesce(error_detail, '') FROM jobs.job_execution WHERE execution_id = $id")"
[[ "$failure" == 'P0042|custom failure|'*'the detail text'* ]] ||
    fail "the failure records the custom SQLSTATE, message and DETAIL (got '$failure')"
pass "RAISE with ERRCODE and DETAIL records sqlstate P0042, message and error_detail"

counts="$(value "SELECT total_runs || ' ' || succeeded_runs || ' ' || failed_runs || ' ' || last_status
                 FROM jobs.job_status WHERE job_name = 'divide'")"
[[ "$counts" == '1 0 1 failed' ]] || fail "jobs.job_status counts the failed run (got '$counts')"
newest="$(value "SELECT execution_id FROM jobs.job_history LIMIT 1")"
[[ "$newest" == "$(value "SELECT max(execution_id) FROM jobs.job_execution")" ]] ||
    fail "jobs.job_history lists the newest run first"
pass "jobs.job_status and jobs.job_history reflect the runs"

# A failing job does not stop the others.
id="$(value "SELECT jobs.trigger('store', '{\"after\": \"failures\"}')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "jobs still run after failures"
pass "jobs still run after failures"

# A role's first run needs a worker while other roles' idle workers hold
# every process slot (max_worker_processes 8 < 2 + jobs.max_workers, and
# the 200 triggers above started as many workers as could start): idle
# workers of roles without queued runs make room.
cluster_psql -o /dev/null -c "CREATE ROLE latecomer LOGIN; GRANT USAGE ON SCHEMA jobs TO latecomer"
cluster_psql -U latecomer -o /dev/null -c "SELECT jobs.schedule('late_run', NULL, 'SELECT 1')"
slots_taken="SELECT count(*) >= current_setting('max_worker_processes')::int FROM pg_stat_activity
             WHERE backend_type LIKE 'pg\_jobs %' OR backend_type = 'logical replication launcher'"
holds "$slots_taken" || fail "other roles' workers hold every process slot first:
$(cluster_psql -c "SELECT pid, backend_type, usename FROM pg_stat_activity WHERE backend_type <> 'client backend'")"
id="$(cluster_psql -U latecomer -At -c "SELECT jobs.trigger('late_run')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "the role's first run gets a worker"
pass "a role's first run gets a worker although others' idle workers held every process slot"
