#!/usr/bin/env bash
# One role must not be able to stop the scheduler for the others (issue 10,
# points 15, 17 and 18), with real roles, workers and sessions:
#   - 15: runs whose payload (190 MB of chr(1), JSON text > 1 GB) was written
#     directly into jobs.job_execution, bypassing jobs.trigger's check, for a
#     SQL job in jobs.database, a SQL job in another database and an HTTP
#     job, and one whose payload is small as jsonb but 1.3 GB as text: each
#     fails alone (54000, the reason in error), and another role's runs
#     queued after them still run;
#   - 17: a role holding the advisory key the quota check used to take
#     (pg_advisory_lock(hashtext('pg_jobs.max_jobs_per_owner'),
#     hashtext('alice'))) no longer blocks alice's jobs.schedule;
#   - 18: a job with overlap skip whose run takes several seconds records the
#     fire times skipped meanwhile as one row with skipped_count > 1, not a
#     row each.
#
#   test/integration/security_flood.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh
# shellcheck source=test/lib/http_server.sh
source test/lib/http_server.sh

# A quota, so that the old code took its advisory lock.
scheduler_start security_flood "jobs.max_workers = 3" "jobs.max_jobs_per_owner = 50"

http_test_server_start

cluster_psql -o /dev/null <<'SQL'
CREATE ROLE alice LOGIN;
CREATE ROLE mallory LOGIN;
GRANT USAGE ON SCHEMA jobs TO alice, mallory;
CREATE TABLE public.ran (job text, at timestamptz NOT NULL DEFAULT clock_timestamp());
GRANT INSERT ON public.ran TO alice;
CREATE DATABASE otherdb;
SQL
cluster_psql -d otherdb -o /dev/null <<'SQL'
CREATE TABLE public.ran (job text, at timestamptz NOT NULL DEFAULT clock_timestamp());
GRANT INSERT ON public.ran TO alice;
SQL
as_alice() { cluster_psql -U alice -At -c "$1"; }

# --- 15: an oversize payload fails its own run, not the claim -----------------------------
value "SELECT jobs.schedule('big_local', NULL, 'SELECT 1')" >/dev/null
value "SELECT jobs.schedule('big_remote', NULL, 'SELECT 1', database => 'otherdb')" >/dev/null
value "SELECT jobs.schedule_http('big_http', NULL, 'http://127.0.0.1:$port/ok')" >/dev/null
as_alice "SELECT jobs.schedule('alice_local', NULL, \$\$INSERT INTO public.ran VALUES ('alice_local')\$\$)" >/dev/null
as_alice "SELECT jobs.schedule('alice_remote', NULL, \$\$INSERT INTO public.ran VALUES ('alice_remote')\$\$,
                               database => 'otherdb')" >/dev/null
as_alice "SELECT jobs.schedule_http('alice_http', NULL, 'http://127.0.0.1:$port/ok')" >/dev/null

# Written as the superuser, as rows queued before the limit existed would be.
big_ids="$(value "INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, kind,
                                                  triggered_by, payload)
                  SELECT j.job_id, j.job_name, j.owner, pg_get_userbyid(j.owner), j.database, j.command, j.kind, 'manual', p.payload
                  FROM jobs.scheduled_job AS j
                  CROSS JOIN (SELECT to_jsonb(repeat(chr(1), 190000000)) AS payload) AS p
                  WHERE j.job_name IN ('big_local', 'big_remote', 'big_http')
                  RETURNING execution_id" | paste -sd,)"
[[ "$big_ids" =~ ^[0-9]+,[0-9]+,[0-9]+$ ]] || fail "three oversize runs are queued ($big_ids)"
# A small jsonb value (about 100 kB) whose JSON text is 1.3 GB: 10,000
# numbers of 131072 digits each.
wide_id="$(value "INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, kind,
                                                  triggered_by, payload)
                  SELECT j.job_id, j.job_name, j.owner, pg_get_userbyid(j.owner), j.database, j.command, j.kind, 'manual',
                         (SELECT jsonb_agg('1e131071'::numeric) FROM generate_series(1, 10000))
                  FROM jobs.scheduled_job AS j WHERE j.job_name = 'big_local'
                  RETURNING execution_id")"
# Queued after them: on the old code every claim failed on the oversize
# run first, so these waited for ever.
alice_ids=()
for job in alice_local alice_remote alice_http; do
    alice_ids+=("$(as_alice "SELECT jobs.trigger('$job')")")
done
for id in "${alice_ids[@]}"; do
    status="$(value "SELECT status FROM jobs.wait($id, interval '90 seconds')")"
    [[ "$status" == succeeded ]] ||
        fail "alice's run $id queued after the oversize runs succeeds (status '$status')"
done
pass "another role's runs queued behind oversize runs still run (SQL here, SQL in otherdb, HTTP)"
wait_until 60 "SELECT bool_and(status = 'failed') FROM jobs.job_execution WHERE execution_id IN ($big_ids)" ||
    fail "the oversize runs end failed: $(value "SELECT string_agg(execution_id || ' ' || status, ', ')
                                               FROM jobs.job_execution WHERE execution_id IN ($big_ids)")"
holds "SELECT bool_and(sqlstate = '54000' AND started_at IS NULL AND worker_pid IS NULL
                       AND error ~ '^the run''s payload is 190000008 bytes as jsonb, more than jobs.max_payload_size \(1MB\)$')
       FROM jobs.job_execution WHERE execution_id IN ($big_ids)" ||
    fail "each oversize run failed with 54000 and the sizes: $(value "SELECT string_agg(sqlstate || ' ' || error, '; ')
                                                                FROM jobs.job_execution WHERE execution_id IN ($big_ids)")"
wait_until 60 "SELECT status NOT IN ('queued', 'running') FROM jobs.job_execution WHERE execution_id = $wide_id" ||
    fail "the run with a wide payload ends"
wide="$(value "SELECT status || ' ' || sqlstate || ' ' || error FROM jobs.job_execution WHERE execution_id = $wide_id")"
[[ "$wide" == "failed 54000 the run's payload is more than jobs.max_payload_size (1MB) as JSON text" ]] ||
    fail "the run whose payload is small as jsonb but 1.3 GB as JSON text failed alone ($wide)"
[[ "$(value "SELECT count(*) FROM public.ran WHERE job = 'alice_local'")" == 1 &&
    "$(cluster_psql -d otherdb -At -c "SELECT count(*) FROM public.ran WHERE job = 'alice_remote'")" == 1 ]] ||
    fail "alice's SQL runs did their work once each"
pass "each oversize run failed alone: 54000 '$(value "SELECT error FROM jobs.job_execution
                                                     WHERE execution_id = ${big_ids%%,*}")'"
for job in big_local big_remote; do
    id="$(value "SELECT jobs.trigger('$job', '{\"small\": true}')")"
    [[ "$(wait_final "$id" 60)" == succeeded ]] || fail "$job runs with a small payload afterwards"
done
pass "the workers that met the oversize runs go on running runs"

# --- 17: an advisory key held by another role does not block jobs.schedule --------------
lock_dir="$(mktemp -d /tmp/pg_jobs.security_flood_lock.XXXXXX)"
cluster_on_exit "rm -rf '$lock_dir'"
cluster_psql -U mallory -At -c "SELECT pg_advisory_lock(hashtext('pg_jobs.max_jobs_per_owner'), hashtext('alice'))" \
    -c "SELECT pg_sleep(120)" >"$lock_dir/out" 2>&1 &
locker_pid=$!
cluster_on_exit "kill $locker_pid 2>/dev/null || true"
wait_until 30 "SELECT count(*) = 1 FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
               WHERE l.locktype = 'advisory' AND l.granted AND a.usename = 'mallory'" ||
    fail "mallory holds the advisory key"
if ! out="$(cluster_psql -U alice -At -c "SET statement_timeout = '5s'" \
    -c "SELECT jobs.schedule('while_locked', '@daily', 'SELECT 1')" 2>&1)"; then
    fail "alice's jobs.schedule completes while mallory holds the old advisory key ($out)"
fi
pass "alice's jobs.schedule is not blocked by mallory's pg_advisory_lock on the quota's old key"
value "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'mallory'" >/dev/null
wait "$locker_pid" 2>/dev/null || true

# --- 18: skipped fire times coalesce ------------------------------------------------------
slow_id="$(value "SELECT jobs.schedule('slow', '* * * * * *', 'SELECT pg_sleep(6)')")"
wait_until 60 "SELECT coalesce(max(skipped_count), 0) >= 3 FROM jobs.job_execution
               WHERE job_id = $slow_id AND status = 'skipped'" ||
    fail "the fire times skipped during a long run are counted on one row"
value "SELECT jobs.disable($slow_id)" >/dev/null
wait_until 60 "SELECT count(*) = 0 FROM jobs.job_execution WHERE job_id = $slow_id
               AND status IN ('queued', 'running')" || fail "the slow job's runs end"
read -r runs skipped_rows skipped_times < <(value "SELECT count(*) FILTER (WHERE status <> 'skipped'),
        count(*) FILTER (WHERE status = 'skipped'), coalesce(sum(skipped_count), 0)
        FROM jobs.job_execution WHERE job_id = $slow_id" | tr '|' ' ')
((skipped_rows <= runs)) ||
    fail "at most one skipped row per run it waited for ($skipped_rows skipped rows for $runs runs)"
((skipped_times > skipped_rows)) ||
    fail "the skipped rows stand for more fire times than there are rows ($skipped_times for $skipped_rows)"
holds "SELECT bool_and(skipped_count IS NOT NULL) FROM jobs.job_history WHERE job_id = $slow_id AND status = 'skipped'" ||
    fail "jobs.job_history shows skipped_count"
pass "$runs runs of a 6 s job scheduled every second: $skipped_times skipped fire times in $skipped_rows row(s)"
