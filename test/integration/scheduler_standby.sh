#!/usr/bin/env bash
# Streaming replication: a hot standby (pg_basebackup -R) receives the jobs
# and their history but runs nothing - no launcher, no worker, no run recorded
# by it; after the primary stops and the standby is promoted, the new primary
# carries on with the replicated jobs, without running any scheduled time twice,
# and every succeeded run has exactly one effect.
#
#   test/integration/scheduler_standby.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start standby_primary
cluster_psql -o /dev/null <<'SQL'
CREATE TABLE public.ticks (execution_id bigint, at timestamptz NOT NULL DEFAULT clock_timestamp());
SELECT jobs.schedule('tick', '* * * * * *',
                     $$INSERT INTO public.ticks (execution_id) SELECT (jobs.context()->>'execution_id')::bigint$$);
SQL
wait_for 30 count_at_least 3 "SELECT count(*) FROM public.ticks" || fail "the seconds job fires on the primary"
pass "the seconds job fires on the primary"

cluster_start_standby standby_replica standby_primary
wait_until 30 "SELECT pg_is_in_recovery()" || fail "the standby is in recovery"
# Replication is live: the standby sees runs the primary keeps adding.
seen="$(value "SELECT count(*) FROM public.ticks")"
wait_for 30 count_at_least $((seen + 2)) "SELECT count(*) FROM public.ticks" ||
    fail "the standby receives the primary's new runs"
[[ "$(value "SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'pg_jobs%'")" == 0 ]] ||
    fail "a standby runs no pg_jobs process; found:
$(value "SELECT backend_type FROM pg_stat_activity WHERE backend_type LIKE 'pg_jobs%'")"
pass "the standby replicates jobs and runs, and runs no launcher or worker"

# A standby refuses writes, so defining or triggering a job there fails
# (read-only transaction), as any write would.
refused="$(cluster_psql -v VERBOSITY=verbose -c "SELECT jobs.trigger('tick')" 2>&1 || true)"
grep -q 'ERROR:  25006' <<<"$refused" || fail "jobs.trigger on a standby fails with 25006; got: $refused"
pass "jobs.trigger on a standby is refused as a write (25006)"

# --- Failover ----------------------------------------------------------------------
cluster_use standby_primary
last_on_primary="$(value "SELECT max(scheduled_for) FROM jobs.job_execution")"
cluster_stop standby_primary
cluster_use standby_replica
# The standby has replayed everything the primary wrote before its clean stop.
wait_until 30 "SELECT coalesce(max(scheduled_for) = '$last_on_primary'::timestamptz, false) FROM jobs.job_execution" ||
    fail "the standby has replayed the primary's last run ($last_on_primary)"
cluster_promote
wait_until 30 "SELECT NOT pg_is_in_recovery()" || fail "the standby is promoted"
wait_until 30 "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_jobs launcher'" ||
    fail "the promoted server starts the launcher"
pass "after promotion the launcher runs"

wait_for 30 count_at_least 3 \
    "SELECT count(*) FROM jobs.job_execution WHERE status = 'succeeded' AND scheduled_for > '$last_on_primary'" ||
    fail "the promoted server fires the replicated job"
pass "the promoted server fires the job replicated from the old primary"

# Let it run a little longer, then compare records and effects.
mark="$(value "SELECT max(scheduled_for) FROM jobs.job_execution")"
wait_for 30 count_at_least 2 "SELECT count(*) FROM jobs.job_execution WHERE scheduled_for > '$mark'" ||
    fail "the job keeps firing after promotion"
cluster_psql -c "SELECT jobs.disable('tick')" >/dev/null
wait_until 30 "SELECT count(*) = 0 FROM jobs.job_execution WHERE status IN ('queued', 'running')" ||
    fail "the last runs finish"

[[ "$(value "SELECT count(*) FROM (SELECT job_id, scheduled_for FROM jobs.job_execution
                                    WHERE triggered_by = 'schedule' GROUP BY 1, 2 HAVING count(*) > 1) d")" == 0 ]] ||
    fail "no scheduled time has two runs"
mismatch="$(value "SELECT count(*) FROM jobs.job_execution e FULL JOIN public.ticks t USING (execution_id)
                   WHERE (e.status = 'succeeded') IS DISTINCT FROM (t.execution_id IS NOT NULL)")"
[[ "$mismatch" == 0 ]] || fail "every succeeded run has exactly one effect and no effect lacks a succeeded run
($mismatch mismatches): $(show_executions)"
[[ "$(value "SELECT count(*) FROM (SELECT execution_id FROM public.ticks GROUP BY 1 HAVING count(*) > 1) d")" == 0 ]] ||
    fail "no run's effect is applied twice"
others="$(value "SELECT string_agg(status || ':' || count, ', ') FROM (SELECT status, count(*) FROM jobs.job_execution
                 WHERE status <> 'succeeded' GROUP BY status) s")"
pass "across the failover: no scheduled time twice, succeeded runs = effects (other runs: ${others:-none})"
