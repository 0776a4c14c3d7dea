#!/usr/bin/env bash
# Two-phase commit: jobs.trigger and jobs.schedule in a transaction that is
# PREPAREd take effect at COMMIT PREPARED - run from another session, even
# after a server restart - promptly (not at the launcher's 5-minute safety
# wake-up), and never after ROLLBACK PREPARED or before the commit; also
# with more transactions prepared at once than pg_jobs keeps track of (64).
#
#   test/integration/scheduler_two_phase.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

# Far below the launcher's longest sleep (5 minutes), far above a prompt wake.
PROMPT=10

# One SQL worker: starting more for a burst of runs makes the launcher look
# again a second later, which would hide a missing wake-up.
scheduler_start scheduler_two_phase "max_prepared_transactions = 80" "jobs.max_workers = 1"
cluster_psql -o /dev/null <<'SQL'
CREATE TABLE public.received (payload jsonb, at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE TABLE public.ticks (at timestamptz NOT NULL DEFAULT clock_timestamp());
SELECT jobs.schedule('store', NULL, $$INSERT INTO public.received (payload) SELECT jobs.context() -> 'payload'$$);
SQL

# Prepares a transaction GID that triggers 'store' with PAYLOAD (JSON);
# prints the execution id.
prepare_trigger() {
    local gid="$1" payload="$2"
    cluster_psql -At <<SQL | head -n 1
BEGIN;
SELECT jobs.trigger('store', '$payload');
PREPARE TRANSACTION '$gid';
SQL
}

# A run triggered and finished now: any run committed before it had its chance.
barrier() {
    local id
    id="$(value "SELECT jobs.trigger('store', '{\"barrier\": $1}')")"
    [[ "$(wait_final "$id")" == succeeded ]] || fail "barrier run $1 succeeds"
}

# Runs COMMIT PREPARED GID in a new session; prints the time just before it.
commit_prepared() { cluster_psql -At -c "SELECT clock_timestamp()" -c "COMMIT PREPARED '$1'"; }

# How long after BEFORE (a time) run ID started, in ms: reported, not asserted.
note_delay() {
    note "run $1 started $(value "SELECT round(extract(epoch FROM started_at - '$2'::timestamptz) * 1000)
                                  FROM jobs.job_execution WHERE execution_id = $1") ms after COMMIT PREPARED was sent"
}

received() { value "SELECT count(*) FROM public.received WHERE payload ? '$1'"; }
ran() { [[ "$(received "$1")" == 1 ]]; }

# --- Trigger, COMMIT PREPARED from another session ----------------------------------
id="$(prepare_trigger trigger_commit '{"committed": 1}')"
[[ "$id" =~ ^[0-9]+$ ]] || fail "jobs.trigger in a transaction to prepare returns an id (got '$id')"
[[ "$(value "SELECT count(*) FROM pg_prepared_xacts WHERE gid = 'trigger_commit'")" == 1 ]] ||
    fail "the transaction is prepared"
barrier 1
[[ "$(received committed)" == 0 ]] || fail "a trigger in a prepared transaction does not run before COMMIT PREPARED"
pass "a trigger in a prepared transaction does not run before COMMIT PREPARED"

before="$(commit_prepared trigger_commit)"
wait_for "$PROMPT" ran committed ||
    fail "the trigger runs within ${PROMPT}s of COMMIT PREPARED from another session (status: $(value "SELECT status FROM jobs.job_execution WHERE execution_id = $id"))"
note_delay "$id" "$before"
[[ "$(value "SELECT status FROM jobs.job_execution WHERE execution_id = $id")" == succeeded ]] ||
    fail "the run of the committed prepared trigger is recorded as succeeded"
pass "after COMMIT PREPARED in another session the trigger runs promptly"

# --- ROLLBACK PREPARED ------------------------------------------------------------------
id="$(prepare_trigger trigger_rollback '{"rolled_back": 1}')"
cluster_psql -c "ROLLBACK PREPARED 'trigger_rollback'"
barrier 2
[[ "$(received rolled_back)" == 0 ]] || fail "a trigger whose prepared transaction rolled back never runs"
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE execution_id = $id")" == 0 ]] ||
    fail "a trigger whose prepared transaction rolled back leaves no execution row"
pass "ROLLBACK PREPARED: the trigger never runs and leaves no row"

# --- A new job scheduled in a prepared transaction --------------------------------------
cluster_psql -o /dev/null <<'SQL'
BEGIN;
SELECT jobs.schedule('ticker', '* * * * * *', 'INSERT INTO public.ticks DEFAULT VALUES');
PREPARE TRANSACTION 'schedule_commit';
SQL
barrier 3
[[ "$(value "SELECT count(*) FROM public.ticks")" == 0 ]] || fail "a job scheduled in a prepared transaction does not fire before COMMIT PREPARED"
cluster_psql -c "COMMIT PREPARED 'schedule_commit'"
wait_until "$PROMPT" "SELECT count(*) >= 2 FROM public.ticks" ||
    fail "a '* * * * * *' job scheduled in a prepared transaction fires within ${PROMPT}s of COMMIT PREPARED (ticks: $(value "SELECT count(*) FROM public.ticks"))"
cluster_psql -o /dev/null -c "SELECT jobs.unschedule('ticker')"
pass "a job scheduled in a prepared transaction starts firing promptly after COMMIT PREPARED"

# --- More prepared transactions at once than pg_jobs parks (64) ---------------------------
cluster_psql -o /dev/null <<'SQL'
SELECT format($$BEGIN; SELECT jobs.trigger('store', '{"many": %s}'); PREPARE TRANSACTION 'many_%s';$$, i, i)
FROM generate_series(1, 70) i \gexec
SQL
[[ "$(value "SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'many_%'")" == 70 ]] || fail "70 transactions are prepared"
# The first 64 were parked, the last 6 were not: commit those last, once the
# worker is idle again, so nothing but their own COMMIT PREPARED can start them.
commit_many() {
    cluster_psql -o /dev/null <<SQL
SELECT format('COMMIT PREPARED %L', gid) FROM pg_prepared_xacts
WHERE gid LIKE 'many_%' ORDER BY prepared, transaction::text::bigint LIMIT $1 \gexec
SQL
}
commit_many 64
wait_until "$PROMPT" "SELECT count(*) = 64 FROM public.received WHERE payload ? 'many'" ||
    fail "64 triggers prepared at once all run within ${PROMPT}s of their COMMIT PREPARED (ran $(received many))"
barrier 4
commit_many 6
wait_until "$PROMPT" "SELECT count(*) = 70 FROM public.received WHERE payload ? 'many'" ||
    fail "the 6 triggers prepared beyond the 64 pg_jobs parks run within ${PROMPT}s of their COMMIT PREPARED (ran $(received many))"
pass "more prepared transactions than fit in shared memory still run promptly at COMMIT PREPARED"

# --- Prepared before a restart, committed after it --------------------------------------
id="$(prepare_trigger across_restart '{"across_restart": 1}')"
cluster_restart fast
wait_for 30 launcher_running || fail "the launcher is back after the restart"
[[ "$(value "SELECT count(*) FROM pg_prepared_xacts WHERE gid = 'across_restart'")" == 1 ]] ||
    fail "the prepared transaction survives the restart"
barrier 5
[[ "$(received across_restart)" == 0 ]] || fail "a trigger prepared before a restart does not run before COMMIT PREPARED"
before="$(commit_prepared across_restart)"
wait_for "$PROMPT" ran across_restart ||
    fail "a trigger prepared before a restart runs within ${PROMPT}s of COMMIT PREPARED after it"
note_delay "$id" "$before"
pass "a transaction prepared before a restart and committed after it runs promptly"

# Once no prepared transaction is left, the usual path still works.
id="$(prepare_trigger after_restart '{"after_restart": 1}')"
before="$(commit_prepared after_restart)"
wait_for "$PROMPT" ran after_restart || fail "a trigger prepared and committed after the restart runs promptly"
note_delay "$id" "$before"
pass "after the restart, prepared triggers still run promptly at COMMIT PREPARED"

# jobs.cancel interrupts a run at commit, which COMMIT PREPARED does not
# signal: preparing such a transaction is refused, and nothing is cancelled.
value "SELECT jobs.schedule('sleeper', NULL, 'SELECT pg_sleep(60)')" >/dev/null
id="$(value "SELECT jobs.trigger('sleeper')")"
refused="$(cluster_psql -v VERBOSITY=verbose -c "BEGIN" -c "SELECT jobs.cancel($id)" \
    -c "PREPARE TRANSACTION 'cancel'" 2>&1 || true)"
grep -q 0A000 <<<"$refused" || fail "PREPARE of a transaction that called jobs.cancel is refused (0A000): $refused"
[[ "$(value "SELECT count(*) FROM pg_prepared_xacts WHERE gid = 'cancel'")" == 0 ]] || fail "nothing was prepared"
pass "PREPARE TRANSACTION after jobs.cancel is refused with 0A000"
[[ "$(value "SELECT status FROM jobs.job_execution WHERE execution_id = $id")" =~ ^(queued|running)$ ]] ||
    fail "the run the refused transaction tried to cancel goes on"
value "SELECT jobs.cancel($id)" >/dev/null
