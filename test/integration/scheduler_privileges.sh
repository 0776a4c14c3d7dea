#!/usr/bin/env bash
# Jobs run as their owner with exactly the owner's privileges: an unprivileged
# role's job is denied what the role is denied (42501 recorded), runs as that
# role and cannot switch back to the superuser; DROP ROLE of a job owner is
# refused in jobs.database, and a job whose owner was dropped from another
# database, or whose database is gone, fails with a clear error, never runs as
# a role that later takes the name, and blocks nothing; a job for another
# database runs there. A run that a member of jobs_admin triggers runs as the
# job's owner.
#
#   test/integration/scheduler_privileges.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start scheduler_privileges "jobs.min_schedule_interval = 0"
cluster_psql -o /dev/null <<'SQL'
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
GRANT USAGE ON SCHEMA jobs TO alice, bob;
CREATE TABLE public.secret (x int);
INSERT INTO public.secret VALUES (42);
REVOKE ALL ON public.secret FROM PUBLIC;
CREATE TABLE public.who_ran (job text, who text, superuser text, at timestamptz NOT NULL DEFAULT clock_timestamp());
GRANT INSERT, SELECT ON public.who_ran TO alice, bob;
CREATE TABLE public.admin_log (at timestamptz NOT NULL DEFAULT clock_timestamp());
SELECT jobs.schedule('admin_only', NULL, 'INSERT INTO public.admin_log DEFAULT VALUES');
SQL

as_alice() { cluster_psql -U alice -At -c "$1"; }
as_bob() { cluster_psql -U bob -At -c "$1"; }

# --- Denied what the owner is denied ---------------------------------------------------
as_alice "SELECT jobs.schedule('peek', NULL, 'SELECT * FROM public.secret')" >/dev/null ||
    fail "a role with USAGE ON SCHEMA jobs can schedule a job"
id="$(as_alice "SELECT jobs.trigger('peek')")"
status="$(as_alice "SELECT status FROM jobs.wait($id, interval '60 seconds')")" ||
    fail "the owner can jobs.wait on its own run"
[[ "$status" == failed ]] || fail "alice's job reading a table alice cannot read fails (status '$status')"
failure="$(value "SELECT sqlstate || '|' || error FROM jobs.job_execution WHERE execution_id = $id")"
[[ "$failure" == '42501|permission denied for table secret' ]] ||
    fail "the denial is recorded with 42501 (got '$failure')"
pass "an unprivileged owner's job is denied: failed, 42501 'permission denied for table secret'"

# --- Runs as the owner, never as the superuser ------------------------------------------
as_alice "SELECT jobs.schedule('whoami', NULL, \$\$INSERT INTO public.who_ran (job, who, superuser)
                                                SELECT 'whoami', current_user, has_table_privilege('public.secret', 'SELECT')\$\$)" >/dev/null
id="$(as_alice "SELECT jobs.trigger('whoami')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "alice's whoami job succeeds"
who="$(value "SELECT who || ' ' || superuser FROM public.who_ran WHERE job = 'whoami'")"
# (Not current_setting('is_superuser'): that follows the session user, as
# inside a SECURITY DEFINER function, not the privileges in force.)
[[ "$who" == 'alice false' ]] || fail "the job runs as its owner alice, with alice's privileges (got '$who')"
owner="$(value "SELECT owner FROM jobs.scheduled_job WHERE job_name = 'whoami'")"
[[ "$owner" == alice ]] || fail "the job's owner column is alice (got '$owner')"
pass "alice's job runs with current_user = alice and without the superuser's privileges"

# A job must not be able to leave its owner's identity.
escape_number=0
for escape in "SET ROLE postgres" "SET SESSION AUTHORIZATION postgres" "RESET ROLE" "RESET SESSION AUTHORIZATION"; do
    escape_number=$((escape_number + 1))
    name="escape_$escape_number"
    as_alice "SELECT jobs.schedule('$name', NULL, \$\$$escape; INSERT INTO public.who_ran (job, who, superuser)
                  SELECT '$name', current_user, current_setting('is_superuser') FROM public.secret\$\$)" >/dev/null
    id="$(as_alice "SELECT jobs.trigger('$name')")"
    status="$(wait_final "$id")"
    leaked="$(value "SELECT count(*) FROM public.who_ran WHERE job = '$name'")"
    [[ "$status" == failed && "$leaked" == 0 ]] ||
        fail "'$escape' in alice's job does not give superuser rights (status '$status', rows read from secret: $leaked, error: $(value "SELECT error FROM jobs.job_execution WHERE execution_id = $id"))"
done
pass "SET ROLE / SET SESSION AUTHORIZATION / RESET ROLE in a job cannot reach the superuser"

# Names resolve among the caller's own jobs.
other_trigger="$(as_alice "SELECT jobs.trigger('admin_only')" 2>&1 || true)"
grep -q 'ERROR' <<<"$other_trigger" || fail "alice cannot trigger the superuser's job by name (got '$other_trigger')"
admin_job="$(value "SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'admin_only'")"
other_trigger="$(as_alice "SELECT jobs.trigger($admin_job::bigint)" 2>&1 || true)"
grep -q 'ERROR' <<<"$other_trigger" || fail "alice cannot trigger the superuser's job by id (got '$other_trigger')"
[[ "$(value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $admin_job")" == 0 ]] ||
    fail "no run of the superuser's job was queued by alice"
pass "alice cannot trigger another owner's job by name or by id"

# --- jobs_admin: a run triggered by an administrator runs as the job's owner -----------------
cluster_psql -o /dev/null <<'SQL'
CREATE ROLE carol LOGIN;
GRANT jobs_admin TO carol;
CREATE TABLE public.admin_runs (who text, triggered_by_user text, superuser boolean);
GRANT INSERT ON public.admin_runs TO alice;
SQL
as_carol() { cluster_psql -U carol -At -c "$1"; }
alice_job="$(as_alice "SELECT jobs.schedule('for_carol', NULL, \$\$INSERT INTO public.admin_runs
    SELECT current_user, jobs.context() ->> 'triggered_by_user', has_table_privilege('public.secret', 'SELECT')\$\$)")"
id="$(as_carol "SELECT jobs.trigger($alice_job::bigint)")" || fail "carol (jobs_admin) may trigger alice's job by id"
status="$(as_carol "SELECT status FROM jobs.wait($id, interval '60 seconds')")" ||
    fail "carol may wait for the run of alice's job"
[[ "$status" == succeeded ]] ||
    fail "alice's job triggered by carol succeeds (status '$status', error '$(value "SELECT error FROM jobs.job_execution WHERE execution_id = $id")')"
got="$(value "SELECT who || ' ' || triggered_by_user || ' ' || superuser FROM public.admin_runs")"
[[ "$got" == 'alice carol false' ]] ||
    fail "a run triggered by carol runs as alice, with alice's privileges, and records carol (got '$got')"
recorded="$(as_carol "SELECT owner || ' ' || triggered_by_user FROM jobs.job_execution WHERE execution_id = $id")"
[[ "$recorded" == 'alice carol' ]] || fail "carol sees the run: owner alice, triggered by carol (got '$recorded')"
pass "a run of alice's job triggered by carol (jobs_admin) runs as alice; triggered_by_user is carol"
denied="$(as_carol "SELECT jobs.alter($alice_job::bigint, command => 'ALTER ROLE carol SUPERUSER')" 2>&1 || true)"
grep -q 'permission denied to change the command' <<<"$denied" ||
    fail "carol may not change the command of alice's job (got '$denied')"
pass "carol cannot change what alice's job runs"

# The audit trail covers the scheduler's own changes too: a one-shot job that
# disables itself after its run is recorded as disabled, by the scheduler.
once_job="$(as_alice "SELECT jobs.schedule_in('alice_once', interval '1 second', 'SELECT 1')")"
wait_until 30 "SELECT disabled_reason = 'one-shot run done' FROM jobs.scheduled_job WHERE job_id = $once_job" ||
    fail "alice's one-shot job runs and disables itself"
audit="$(as_alice "SELECT string_agg(action || ' by ' || changed_by || coalesce(' (' || (new_values ->> 'disabled_reason') || ')', ''),
                                     ', ' ORDER BY audit_id) FROM jobs.job_audit WHERE job_id = $once_job")"
launcher_role="$(value "SELECT rolname FROM pg_roles WHERE oid = 10")"
[[ "$audit" == "created by alice, disabled by $launcher_role (one-shot run done)" ]] ||
    fail "alice reads her job's trail: created by her, disabled by the scheduler (got '$audit')"
pass "the trail records the scheduler disabling a one-shot job ('$audit')"

# The role belongs to the cluster: a second database's CREATE EXTENSION finds
# it, and DROP EXTENSION leaves it (and its members) in place.
cluster_psql -c "CREATE DATABASE admin_role_db"
cluster_psql -d admin_role_db -c "CREATE EXTENSION pg_jobs" 2>&1 | grep -v NOTICE || true
[[ "$(cluster_psql -d admin_role_db -At -c "SELECT count(*) FROM pg_extension WHERE extname = 'pg_jobs'")" == 1 ]] ||
    fail "CREATE EXTENSION pg_jobs succeeds in a second database although jobs_admin exists"
cluster_psql -d admin_role_db -c "DROP EXTENSION pg_jobs"
holds "SELECT pg_has_role('carol', 'jobs_admin', 'MEMBER')" ||
    fail "DROP EXTENSION in another database leaves jobs_admin and its members"
[[ "$(cluster_psql -d admin_role_db -At -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'jobs_internal'")" == 0 ]] ||
    fail "DROP EXTENSION removes schema jobs_internal (created by the extension's script)"
cluster_psql -c "DROP DATABASE admin_role_db"
pass "a second database's CREATE EXTENSION finds jobs_admin; DROP EXTENSION leaves it"

# --- Scheduled runs as the owner; a dropped owner fails clearly -----------------------------
as_alice "SELECT jobs.schedule('alice_tick', '* * * * * *', \$\$INSERT INTO public.who_ran (job, who) VALUES ('alice_tick', current_user)\$\$)" >/dev/null
as_bob "SELECT jobs.schedule('bob_tick', '* * * * * *', \$\$INSERT INTO public.who_ran (job, who) VALUES ('bob_tick', current_user)\$\$)" >/dev/null
bob_job="$(value "SELECT job_id FROM jobs.scheduled_job WHERE job_name = 'bob_tick'")"
ran() { count_at_least "$2" "SELECT count(*) FROM public.who_ran WHERE job = '$1' AND at > '$3'::timestamptz"; }
wait_for 30 ran alice_tick 2 -infinity || fail "alice's seconds job runs"
wait_for 30 ran bob_tick 2 -infinity || fail "bob's seconds job runs"
[[ "$(value "SELECT count(*) FROM public.who_ran WHERE job IN ('alice_tick', 'bob_tick') AND who <> substr(job, 1, length(who))")" == 0 ]] ||
    fail "scheduled runs execute as their owners"
pass "scheduled runs of alice's and bob's jobs run as alice and bob"

# Jobs belong to the role, as PostgreSQL's own objects do: in jobs.database,
# DROP ROLE of an owner is refused (PostgreSQL's own privileges revoked first).
refused="$(cluster_psql -v VERBOSITY=verbose -c "REVOKE ALL ON SCHEMA jobs FROM bob" \
                        -c "REVOKE ALL ON public.who_ran FROM bob" -c "DROP ROLE bob" 2>&1 || true)"
if ! grep -q '2BP01' <<<"$refused" || ! grep -q 'Role bob owns 1 job of pg_jobs' <<<"$refused" ||
    ! grep -q 'REASSIGN OWNED BY bob' <<<"$refused"; then
    fail "DROP ROLE of a job owner is refused with 2BP01 (got '$refused')"
fi
holds "SELECT count(*) = 1 FROM pg_roles WHERE rolname = 'bob'" || fail "bob is still there"
pass "DROP ROLE bob in jobs.database: 2BP01, 'Role bob owns 1 job of pg_jobs ...', hint REASSIGN/DROP OWNED"

# From another database DROP ROLE cannot see the jobs: they stay, and their
# runs fail - never running as a role created later under the same name.
cluster_psql -c "CREATE DATABASE elsewhere"
cluster_psql -d elsewhere -c "DROP ROLE bob"
dropped_at="$(value "SELECT clock_timestamp()")"
bob_failed() {
    holds "SELECT count(*) > 0 FROM jobs.job_execution WHERE job_id = $bob_job AND status = 'failed'
           AND sqlstate = '42704' AND scheduled_for > '$dropped_at'::timestamptz"
}
wait_for 30 bob_failed || fail "the next run of a job whose owner was dropped is recorded as failed"
error="$(value "SELECT sqlstate || ' ' || error FROM jobs.job_execution WHERE job_id = $bob_job AND status = 'failed'
                AND scheduled_for > '$dropped_at'::timestamptz ORDER BY execution_id DESC LIMIT 1")"
[[ "$error" == 42704*bob* ]] || fail "the failure is 42704 and names the dropped owner (got '$error')"
pass "dropped owner: the run fails with '$error'"
cluster_psql -c "CREATE ROLE bob LOGIN" -c "GRANT USAGE ON SCHEMA jobs TO bob" \
             -c "GRANT INSERT, SELECT ON public.who_ran TO bob" -o /dev/null
[[ "$(as_bob "SELECT count(*) FROM jobs.job_status")" == 0 ]] || fail "a new role named bob owns none of the old bob's jobs"
recreated_at="$(value "SELECT clock_timestamp()")"
bob_failed_again() {
    holds "SELECT count(*) > 0 FROM jobs.job_execution WHERE job_id = $bob_job AND status = 'failed'
           AND sqlstate = '42704' AND scheduled_for > '$recreated_at'::timestamptz"
}
wait_for 30 bob_failed_again || fail "the old bob's job keeps failing after a new bob exists"
failed_at="$(value "SELECT clock_timestamp()")"
wait_for 30 ran alice_tick 3 "$failed_at" || fail "other jobs keep running after an owner was dropped"
stuck="$(value "SELECT count(*) FROM jobs.job_execution WHERE job_id = $bob_job AND status = 'succeeded'
                AND scheduled_for > date_trunc('second', '$dropped_at'::timestamptz) + interval '1 second'")"
[[ "$stuck" == 0 ]] || fail "no run of the dropped owner's job succeeds ($stuck did)"
[[ "$(value "SELECT count(*) FROM public.who_ran WHERE job = 'bob_tick' AND at > '$dropped_at'::timestamptz")" == 0 ]] ||
    fail "the dropped owner's job never runs as the new bob"
pass "a new role named bob owns nothing; the old job never runs again, as nobody; other jobs keep running"

# --- Another database -----------------------------------------------------------------------
cluster_psql -c "CREATE DATABASE other"
cluster_psql -d other -c "CREATE TABLE public.other_log (db text, who text, at timestamptz NOT NULL DEFAULT clock_timestamp())"
value "SELECT jobs.schedule('in_other', NULL, 'INSERT INTO public.other_log (db, who) SELECT current_database(), current_user',
                            database => 'other')" >/dev/null
id="$(value "SELECT jobs.trigger('in_other')")"
status="$(wait_final "$id" 120)"
[[ "$status" == succeeded ]] ||
    fail "a job for another database runs there (status '$status', error '$(value "SELECT error FROM jobs.job_execution WHERE execution_id = $id")')"
got="$(cluster_psql -d other -At -c "SELECT db || ' ' || who FROM public.other_log")"
[[ "$got" == 'other postgres' ]] || fail "the job for database 'other' ran there (other_log: '$got')"
pass "a job for another database runs in that database"
value "SELECT jobs.schedule('other_tick', '* * * * * *', 'INSERT INTO public.other_log (db) SELECT current_database()',
                            database => 'other')" >/dev/null
other_ticks() { [[ "$(cluster_psql -d other -At -c "SELECT count(*) >= 3 FROM public.other_log WHERE who IS NULL")" == t ]]; }
wait_for 30 other_ticks || fail "a seconds job for another database fires there"
pass "a seconds job for another database fires there"

cluster_psql -c "CREATE DATABASE gone"
value "SELECT jobs.schedule('in_gone', NULL, 'SELECT 1', database => 'gone')" >/dev/null
cluster_psql -c "DROP DATABASE gone"
id="$(value "SELECT jobs.trigger('in_gone')")"
status="$(wait_final "$id" 120)"
error="$(value "SELECT error FROM jobs.job_execution WHERE execution_id = $id")"
[[ "$status" == failed && "$error" == *gone* ]] ||
    fail "a job whose database was dropped fails, naming the database (status '$status', error '$error')"
pass "a job whose database is gone fails with '$error'"
after_gone="$(value "SELECT clock_timestamp()")"
wait_for 30 ran alice_tick 3 "$after_gone" || fail "other jobs keep running after a job's database is gone"
pass "other jobs keep running"
