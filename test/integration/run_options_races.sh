#!/usr/bin/env bash
# Two sessions at once cannot get past the per-job min_trigger_interval or the
# jobs.max_jobs_per_owner limit together: the first session's transaction is
# PREPAREd (so it holds its locks with no session open), the second one must
# wait for it, and once it commits the second is refused.
#
#   test/integration/run_options_races.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start run_options_races "max_prepared_transactions = 10"
cluster_psql -o /dev/null <<'SQL'
CREATE ROLE app LOGIN;
GRANT USAGE ON SCHEMA jobs TO app;
ALTER ROLE app SET jobs.max_jobs_per_owner = 1;
SQL
app_psql() { cluster_psql -U app "$@"; }
app_psql -o /dev/null -c "SELECT jobs.schedule('limited', NULL, 'SELECT 1', min_trigger_interval => '1 hour')"

out_dir="$(mktemp -d)"
cluster_on_exit "rm -rf '$out_dir'"

# A session blocked on a lock, running a statement that contains TEXT.
waiting_on_lock() {
    holds "SELECT count(*) = 1 FROM pg_stat_activity
           WHERE wait_event_type = 'Lock' AND query LIKE '%$1%' AND pid <> pg_backend_pid()"
}

# Starts SQL as app in the background (its pid in $background_pid); its
# output goes to $out_dir/NAME.out and .err.
background_pid=
start_in_background() {
    local name="$1" sql="$2"
    app_psql -At -c "$sql" >"$out_dir/$name.out" 2>"$out_dir/$name.err" &
    background_pid=$!
}

# --- min_trigger_interval ------------------------------------------------------------
app_psql -At -o /dev/null <<'SQL'
BEGIN;
SELECT jobs.trigger('limited');
PREPARE TRANSACTION 'first_trigger';
SQL
start_in_background second_trigger "SELECT jobs.trigger('limited', '{\"second\": true}')"
wait_for 30 waiting_on_lock 'second": true' || fail "a second trigger waits for the first one's transaction"
pass "a concurrent trigger of a job with min_trigger_interval waits for the first one to end"
cluster_psql -c "COMMIT PREPARED 'first_trigger'"
if wait "$background_pid"; then
    fail "the second trigger is refused once the first commits (it returned $(cat "$out_dir/second_trigger.out"))"
fi
grep -q 'job "limited" was triggered less than 01:00:00 ago' "$out_dir/second_trigger.err" ||
    fail "the refusal names the interval (got: $(cat "$out_dir/second_trigger.err"))"
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE job_name = 'limited'")" == 1 ]] ||
    fail "exactly one run was queued"
pass "once the first trigger commits, the second is refused: one run"

# The same in REPEATABLE READ, whose snapshot (taken before the first trigger
# commits) would not show the first run: the second trigger fails to
# serialize instead of passing.
cluster_psql -o /dev/null -c "UPDATE jobs.job_execution SET queued_at = queued_at - interval '2 hours'
                              WHERE job_name = 'limited'"
app_psql -At -o /dev/null <<'SQL'
BEGIN;
SELECT jobs.trigger('limited');
PREPARE TRANSACTION 'first_trigger_rr';
SQL
app_psql -At >"$out_dir/rr_trigger.out" 2>"$out_dir/rr_trigger.err" <<'SQL' &
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM jobs.job_execution;
SELECT jobs.trigger('limited', '{"repeatable": true}');
COMMIT;
SQL
background_pid=$!
wait_for 30 waiting_on_lock 'repeatable": true' || fail "a REPEATABLE READ trigger waits for the first one"
cluster_psql -c "COMMIT PREPARED 'first_trigger_rr'"
if wait "$background_pid"; then
    fail "the REPEATABLE READ trigger is refused (it returned $(cat "$out_dir/rr_trigger.out"))"
fi
grep -q 'could not serialize access' "$out_dir/rr_trigger.err" ||
    fail "the REPEATABLE READ trigger fails to serialize (got: $(cat "$out_dir/rr_trigger.err"))"
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE job_name = 'limited'")" == 2 ]] ||
    fail "exactly one more run was queued"
pass "in REPEATABLE READ the second trigger fails to serialize: one run"

# A rolled-back trigger does not count.
app_psql -At -o /dev/null <<'SQL'
BEGIN;
SELECT jobs.alter('limited', reset => '{min_trigger_interval}');
PREPARE TRANSACTION 'unlimit';
SQL
cluster_psql -c "ROLLBACK PREPARED 'unlimit'"
app_psql -At -c "SELECT jobs.trigger('limited')" >/dev/null 2>&1 && fail "the limit is still there after a rollback"
pass "a rolled-back change leaves the limit in force"

# --- jobs.max_jobs_per_owner ------------------------------------------------------------
app_psql -o /dev/null -c "SELECT jobs.unschedule('limited')"
app_psql -At -o /dev/null <<'SQL'
BEGIN;
SELECT jobs.schedule('first', NULL, 'SELECT 1');
PREPARE TRANSACTION 'first_job';
SQL
start_in_background second_job "SELECT jobs.schedule('second', NULL, 'SELECT 1')"
wait_for 30 waiting_on_lock 'schedule(_second_' || fail "creating a second job waits for the first one"
pass "a concurrent job creation by the same owner waits for the first one to end"
cluster_psql -c "COMMIT PREPARED 'first_job'"
if wait "$background_pid"; then
    fail "the second job is refused once the first commits (it returned $(cat "$out_dir/second_job.out"))"
fi
grep -q 'role "app" already has 1 jobs, and jobs.max_jobs_per_owner is 1' "$out_dir/second_job.err" ||
    fail "the refusal gives the count and the limit (got: $(cat "$out_dir/second_job.err"))"
[[ "$(value "SELECT string_agg(job_name, ',') FROM jobs.scheduled_job WHERE owner = 'app'::regrole")" == first ]] ||
    fail "app has only its first job"
pass "once the first creation commits, the second is refused (53400): the limit holds"
app_psql -o /dev/null -c "SELECT jobs.schedule('first', '@daily', 'SELECT 2')" ||
    fail "redefining the job at the limit works"
pass "redefining a job at the limit works"
