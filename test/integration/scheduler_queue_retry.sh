#!/usr/bin/env bash
# A fire time is not lost when queueing its run fails: the launcher takes due
# runs from its agenda, then INSERTs them; if that INSERT fails (here a
# trigger refuses scheduled runs for a while, as a full disk or a lock
# timeout would), the retry queues the same fire time once the failure
# clears - exactly once.
#
#   test/integration/scheduler_queue_retry.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start scheduler_queue_retry "timezone = 'UTC'"
# The switch: while public.refusing has a row, every INSERT of a scheduled
# run fails. The sequence counts refused attempts (nextval survives the
# rollback of the launcher's transaction).
cluster_psql -o /dev/null <<'SQL'
CREATE TABLE public.refusing (since timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE SEQUENCE public.refused_attempts;
CREATE TABLE public.once_log (at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE FUNCTION public.refuse_scheduled_runs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.triggered_by = 'schedule' AND EXISTS (SELECT FROM public.refusing) THEN
        PERFORM nextval('public.refused_attempts');
        RAISE EXCEPTION 'test: scheduled runs are refused for now';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER refuse_scheduled_runs BEFORE INSERT ON jobs.job_execution
    FOR EACH ROW EXECUTE FUNCTION public.refuse_scheduled_runs();
INSERT INTO public.refusing DEFAULT VALUES;
SQL
refused() { value "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM public.refused_attempts"; }

# A job due once, a few seconds from now (its next fire is a day later).
due="$(value "SELECT date_trunc('second', clock_timestamp()) + interval '4 seconds'")"
fields="$(value "SELECT to_char('$due'::timestamptz AT TIME ZONE 'UTC', 'FMSS FMMI FMHH24')")"
job_id="$(value "SELECT jobs.schedule('once', '$fields * * *', 'INSERT INTO public.once_log DEFAULT VALUES',
                                      timezone => 'UTC')")"
[[ "$(value "SELECT clock_timestamp() < '$due'::timestamptz")" == t ]] ||
    fail "the job was created before its fire time $due (the machine is too slow)"
pass "job 'once' due at $due; scheduled runs are refused"

# The first attempt at the due time fails, and so does at least one retry.
wait_for 60 count_at_least 2 "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM public.refused_attempts" ||
    fail "the launcher tried to queue the due run and retried (refused attempts: $(refused))"
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $job_id")" == 0 ]] ||
    fail "no run is queued while the INSERT fails"
grep -q "test: scheduled runs are refused for now" "$CLUSTER_LOG" ||
    fail "the launcher logs the failed INSERT"
pass "queueing the due run failed $(refused) times and was logged"

value "DELETE FROM public.refusing" >/dev/null
queued() { count_at_least 1 "SELECT count(*) FROM jobs.job_execution WHERE job_id = $job_id"; }
wait_for 30 queued || fail "once the failure clears, the run of $due is queued (it was lost)"
runs="$(value "SELECT count(*) || ' ' || count(*) FILTER (WHERE scheduled_for = '$due'::timestamptz)
               FROM jobs.job_execution WHERE job_id = $job_id")"
[[ "$runs" == "1 1" ]] || fail "exactly one run, for the fire time $due (runs, of which for $due: $runs)"
[[ "$(wait_final "$(value "SELECT execution_id FROM jobs.job_execution WHERE job_id = $job_id")")" == succeeded ]] ||
    fail "the retried run succeeds"
[[ "$(value "SELECT count(*) FROM public.once_log")" == 1 ]] || fail "the retried run did its work once"
pass "after the failure cleared, the fire time $due was queued once and ran"
