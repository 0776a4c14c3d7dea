#!/usr/bin/env bash
# A job runs with exactly its owner's rights until its commit, and nothing
# passes from one run to the next (issue 10, points 1, 2, 12 and 5):
#   - code a job defers to its commit (a deferred constraint trigger, a
#     WITH HOLD cursor filled at commit) runs as the owner, not as the
#     superuser, in jobs.database and in another database;
#   - every setting a run makes (search_path, a custom placeholder, TimeZone)
#     is gone for the next run of the same worker;
#   - a worker never serves a second owner: a superuser's run that leaves a
#     dblink connection open cannot hand it to alice's next run;
#   - a run whose owner may no longer log in (28000) or connect to the job's
#     database (42501) fails with a clear error and does nothing.
# jobs.max_workers = 1, so consecutive runs would share one worker if they could.
#
#   test/integration/security_identity.sh      (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

scheduler_start security_identity "jobs.max_workers = 1"
cluster_psql -o /dev/null <<'SQL'
CREATE ROLE alice LOGIN;
GRANT USAGE ON SCHEMA jobs TO alice;
CREATE SCHEMA alice AUTHORIZATION alice;
CREATE DATABASE otherdb;
CREATE TABLE public.seen (job text, who text, pid int, detail text, at timestamptz NOT NULL DEFAULT clock_timestamp());
GRANT INSERT, SELECT ON public.seen TO PUBLIC;
SQL
cluster_psql -d otherdb -o /dev/null -c "CREATE SCHEMA alice AUTHORIZATION alice"

as_alice() { cluster_psql -U alice -At -c "$1"; }
alice_super() { value "SELECT rolsuper FROM pg_roles WHERE rolname = 'alice'"; }
run_error() { value "SELECT coalesce(sqlstate, '') || '|' || coalesce(error, '') FROM jobs.job_execution WHERE execution_id = $1"; }

# --- 1a: a deferred constraint trigger fires at commit, as the owner -----------------------
for db in postgres otherdb; do
    cluster_psql -U alice -d "$db" -o /dev/null <<'SQL'
CREATE TABLE alice.t (x int);
CREATE FUNCTION alice.escalate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'ALTER ROLE alice SUPERUSER';
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER escalate AFTER INSERT ON alice.t DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION alice.escalate();
SQL
    as_alice "SELECT jobs.schedule('deferred_$db', NULL, 'INSERT INTO alice.t VALUES (1)', database => '$db')" >/dev/null
    id="$(as_alice "SELECT jobs.trigger('deferred_$db')")"
    status="$(wait_final "$id")"
    [[ "$(alice_super)" == f ]] ||
        fail "a deferred trigger of alice's job in $db does not make alice superuser (status '$status', $(run_error "$id"))"
    [[ "$status" == failed ]] ||
        fail "alice's run whose deferred trigger tries ALTER ROLE ... SUPERUSER fails in $db (status '$status')"
    [[ "$(run_error "$id")" == 42501* ]] ||
        fail "the run is recorded with 42501 in $db (got '$(run_error "$id")')"
    pass "a deferred constraint trigger runs at commit as alice in $db: permission denied, alice stays unprivileged"
done
[[ "$(cluster_psql -U alice -At -c 'SELECT count(*) FROM alice.t')" == 0 ]] ||
    fail "the failed run's insert is rolled back"

# --- 1b: a WITH HOLD cursor is filled at commit, as the owner ------------------------------
cluster_psql -U alice -o /dev/null <<'SQL'
CREATE FUNCTION alice.f() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.seen (job, who, pid) VALUES ('hold', current_user, pg_backend_pid());
    BEGIN
        EXECUTE 'ALTER ROLE alice SUPERUSER';
    EXCEPTION WHEN insufficient_privilege THEN
        NULL;
    END;
    RETURN 1;
END $$;
SQL
as_alice "SELECT jobs.schedule('hold', NULL, 'DECLARE c CURSOR WITH HOLD FOR SELECT alice.f()')" >/dev/null
id="$(as_alice "SELECT jobs.trigger('hold')")"
status="$(wait_final "$id")"
who="$(value "SELECT string_agg(who, ',') FROM public.seen WHERE job = 'hold'")"
[[ "$(alice_super)" == f && "$who" == alice ]] ||
    fail "a WITH HOLD cursor filled at commit runs alice.f() as alice (ran as '$who', alice superuser: $(alice_super), status '$status', $(run_error "$id"))"
[[ "$status" == succeeded ]] || fail "the cursor job succeeds (status '$status', $(run_error "$id"))"
pass "a WITH HOLD cursor is filled at commit as alice (alice.f() saw current_user alice; alice stays unprivileged)"

# --- 2: settings end with the run -------------------------------------------------------------
as_alice "SELECT jobs.schedule('set_things', NULL, \$\$SET search_path = alice, pg_catalog; SET app.tenant_secret = 's3cr3t';
                                                    SET TimeZone = 'Asia/Tokyo'\$\$)" >/dev/null
show="INSERT INTO public.seen (job, who, pid, detail) SELECT '%s', current_user, pg_backend_pid(),
          current_setting('search_path') || '|' || coalesce(current_setting('app.tenant_secret', true), '') || '|' || current_setting('TimeZone')"
# shellcheck disable=SC2059
as_alice "SELECT jobs.schedule('show_alice', NULL, \$\$$(printf "$show" show_alice)\$\$)" >/dev/null
# shellcheck disable=SC2059
value "SELECT jobs.schedule('show_admin', NULL, \$\$$(printf "$show" show_admin)\$\$)" >/dev/null
default_path="$(value "SELECT reset_val FROM pg_settings WHERE name = 'search_path'")"
default_zone="$(value "SELECT reset_val FROM pg_settings WHERE name = 'TimeZone'")"
id="$(as_alice "SELECT jobs.trigger('set_things')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "the job that SETs things succeeds ($(run_error "$id"))"
id="$(as_alice "SELECT jobs.trigger('show_alice')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "alice's next job succeeds ($(run_error "$id"))"
id="$(value "SELECT jobs.trigger('show_admin')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "the superuser's next job succeeds ($(run_error "$id"))"
for job in show_alice show_admin; do
    seen="$(value "SELECT detail FROM public.seen WHERE job = '$job'")"
    [[ "$seen" == "$default_path||$default_zone" ]] ||
        fail "$job sees the default settings, not the previous run's (got '$seen', want '$default_path||$default_zone')"
done
pass "SET search_path / app.tenant_secret / TimeZone in a run are gone for the next run, alice's own and the superuser's"

# --- 12: a worker never serves a second owner -------------------------------------------------
cluster_psql -o /dev/null -c "CREATE EXTENSION dblink"
value "SELECT jobs.schedule('leave_dblink', NULL, \$\$INSERT INTO public.seen (job, who, pid)
           SELECT 'leave_dblink', current_user, pg_backend_pid() FROM dblink_connect('maint', 'host=$PGHOST port=$PGPORT dbname=postgres user=postgres')\$\$)" >/dev/null
as_alice "SELECT jobs.schedule('use_dblink', NULL, \$\$INSERT INTO public.seen (job, who, pid) VALUES ('use_dblink', current_user, pg_backend_pid());
           SELECT dblink_exec('maint', 'ALTER ROLE alice SUPERUSER')\$\$)" >/dev/null
id="$(value "SELECT jobs.trigger('leave_dblink')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "the superuser's dblink job succeeds ($(run_error "$id"))"
id="$(as_alice "SELECT jobs.trigger('use_dblink')")"
status="$(wait_final "$id")"
[[ "$(alice_super)" == f ]] || fail "alice's job cannot use the superuser's dblink connection (alice became superuser)"
[[ "$status" == failed ]] || fail "alice's job using a connection named 'maint' fails: it has none (status '$status')"
admin_pid="$(value "SELECT pid FROM public.seen WHERE job = 'leave_dblink'")"
alice_pids="$(value "SELECT string_agg(DISTINCT pid::text, ',') FROM public.seen WHERE job IN ('hold', 'show_alice')")"
[[ "$admin_pid" != "$alice_pids" && "$alice_pids" != *,* ]] ||
    fail "alice's runs share one worker, never the superuser's (superuser's pid $admin_pid, alice's $alice_pids)"
pass "a worker serves one owner: the superuser's open dblink connection is not in alice's worker (pid $admin_pid vs $alice_pids)"

# --- 5: an owner who may no longer log in or connect --------------------------------------
cluster_psql -o /dev/null <<'SQL'
CREATE ROLE carol LOGIN;
GRANT USAGE ON SCHEMA jobs TO carol;
CREATE DATABASE carol_db;
REVOKE CONNECT ON DATABASE carol_db FROM PUBLIC;
GRANT CONNECT ON DATABASE carol_db TO carol;
SQL
as_carol() { cluster_psql -U carol -At -c "$1"; }
as_carol "SELECT jobs.schedule('carol_here', NULL, \$\$INSERT INTO public.seen (job, who) VALUES ('carol_here', current_user)\$\$)" >/dev/null
as_carol "SELECT jobs.schedule('carol_there', NULL, 'SELECT 1', database => 'carol_db')" >/dev/null
id="$(as_carol "SELECT jobs.trigger('carol_here')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "carol's job runs while carol may log in ($(run_error "$id"))"
id="$(as_carol "SELECT jobs.trigger('carol_there')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "carol's job in carol_db runs while she may connect ($(run_error "$id"))"

cluster_psql -o /dev/null -c "ALTER ROLE carol NOLOGIN"
id="$(value "SELECT jobs.trigger(job_id) FROM jobs.scheduled_job WHERE job_name = 'carol_here'")"
[[ "$(wait_final "$id")" == failed ]] || fail "a run of carol's job after ALTER ROLE carol NOLOGIN fails ($(run_error "$id"))"
[[ "$(run_error "$id")" == '28000|role "carol" is not permitted to log in' ]] ||
    fail "it is recorded with 28000 (got '$(run_error "$id")')"
[[ "$(value "SELECT count(*) FROM public.seen WHERE job = 'carol_here'")" == 1 ]] || fail "the refused run did nothing"
pass "a run of an owner who may not log in fails: 28000 'role \"carol\" is not permitted to log in', nothing done"

cluster_psql -o /dev/null -c "ALTER ROLE carol LOGIN" -c "REVOKE CONNECT ON DATABASE carol_db FROM carol"
id="$(value "SELECT jobs.trigger(job_id) FROM jobs.scheduled_job WHERE job_name = 'carol_there'")"
[[ "$(wait_final "$id")" == failed ]] || fail "a run of carol's job after REVOKE CONNECT fails ($(run_error "$id"))"
[[ "$(run_error "$id")" == '42501|permission denied for database "carol_db"' ]] ||
    fail "it is recorded with 42501 (got '$(run_error "$id")')"
pass "a run of an owner without CONNECT on the job's database fails: 42501 'permission denied for database \"carol_db\"'"

id="$(value "SELECT jobs.trigger('show_admin')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "the superuser's jobs still run afterwards ($(run_error "$id"))"
id="$(as_carol "SELECT jobs.trigger('carol_here')")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "carol's job in jobs.database runs again once she may log in ($(run_error "$id"))"
pass "the superuser's and carol's other runs are not affected"

# A superuser owner without LOGIN: PostgreSQL lets no process connect as it,
# so its worker takes its identity by session authorization; the run works.
cluster_psql -o /dev/null -c "CREATE ROLE root_nologin SUPERUSER NOLOGIN"
cluster_psql -o /dev/null -c "SET ROLE root_nologin" -c "SELECT jobs.schedule('nologin_super', NULL, \$\$
    INSERT INTO public.seen (job, who, detail) SELECT 'nologin_super', current_user, session_user\$\$)"
id="$(value "SELECT jobs.trigger(job_id) FROM jobs.scheduled_job WHERE job_name = 'nologin_super'")"
[[ "$(wait_final "$id")" == succeeded ]] || fail "a NOLOGIN superuser's job runs ($(run_error "$id"))"
seen="$(value "SELECT who || ' ' || detail FROM public.seen WHERE job = 'nologin_super'")"
[[ "$seen" == "root_nologin root_nologin" ]] || fail "it runs as root_nologin, session and current user (got '$seen')"
pass "a superuser owner without LOGIN is not affected: its job runs as that role"
