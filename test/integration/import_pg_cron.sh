#!/usr/bin/env bash
# jobs.import_pg_cron against a real pg_cron 1.4 (Debian's postgresql-15-cron),
# preloaded next to pg_jobs, with cron.database_name = jobs.database: pg_cron
# jobs of several roles and databases, named and unnamed, a "$" schedule and a
# "30 seconds" one (pg_cron 1.5 writes these; 1.4's cron.schedule refuses
# them, so they are written to cron.job directly, as a newer pg_cron leaves
# them), one pg_jobs cannot run (*/90), an inactive one, one of a dropped role,
# one on another server, one whose command does not parse. Checks each row the
# import returns and each job it made (owner, name, schedule, time zone,
# command, database, enabled), that the pg_cron originals are inactive (and
# the untranslatable one left active), the audit trail, that a rolled-back
# import leaves nothing, that a second call changes nothing, that
# disable_source => false leaves pg_cron's job active and a later call switches
# it off, that a non-superuser is refused, and that the imported jobs fire in
# pg_jobs, as their owners, in their databases, while pg_cron no longer runs
# them.
#
#   test/integration/import_pg_cron.sh      (needs pg_jobs installed: make install; and postgresql-15-cron)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh

if [[ ! -f "$("$PG_BINDIR/pg_config" --pkglibdir 2>/dev/null || echo /nonexistent)/pg_cron.so" ]]; then
    fail "pg_cron is installed for this PostgreSQL (postgresql-15-cron; scripts/install-deps.sh installs it)"
fi

scheduler_start import_pg_cron "shared_preload_libraries = 'pg_cron,pg_jobs'" "cron.database_name = 'postgres'"

# Without pg_cron in the database: a clear error.
out="$(cluster_psql -c "SELECT * FROM jobs.import_pg_cron()" 2>&1)" && fail "the import fails without pg_cron"
[[ "$out" == *'pg_cron is not installed in database "postgres"'* && "$out" == *HINT* ]] ||
    fail "without pg_cron the import says it is not installed, with a hint: $out"
pass "without CREATE EXTENSION pg_cron the import is refused: pg_cron is not installed in database \"postgres\""

port="$(value "SHOW port")"
cluster_psql -o /dev/null <<SQL
CREATE EXTENSION pg_cron;
CREATE DATABASE appdb;
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
GRANT USAGE ON SCHEMA cron TO alice, bob;
GRANT USAGE ON SCHEMA jobs TO alice;  -- for jobs.context() in her command, and to be refused the import below
CREATE TABLE public.ticks (job text, who text, db text, at timestamptz NOT NULL DEFAULT now());
GRANT INSERT ON public.ticks TO alice, bob;
-- alice's jobs, as she makes them: a named one, an unnamed one, one that ticks every minute.
SET ROLE alice;
SELECT cron.schedule('nightly-report', '30 2 * * *', 'SELECT 1');
SELECT cron.schedule('*/5 * * * *', \$\$DELETE FROM public.ticks WHERE at < now() - interval '1 year'\$\$);
SELECT cron.schedule('minutely', '* * * * *',
    \$\$INSERT INTO public.ticks (job, who, db) VALUES (coalesce(jobs.context() ->> 'job_name', 'pg_cron'), current_user, current_database())\$\$);
RESET ROLE;
-- The superuser's: in another database for bob, one pg_jobs cannot run, an inactive one.
SELECT cron.schedule_in_database('bob-weekly', '0 4 * * 1', 'SELECT 2', 'appdb', 'bob');
SELECT cron.schedule('odd-step', '*/90 * * * *', 'SELECT 3');
SELECT cron.schedule('paused', '0 5 * * *', 'SELECT 4');
SELECT cron.alter_job(jobid, active := false) FROM cron.job WHERE jobname = 'paused';
SELECT cron.schedule('typo', '0 7 * * *', 'SELEC 6');
-- What pg_cron 1.5 writes and 1.4 refuses, and a job on another server.
INSERT INTO cron.job (jobname, schedule, command, nodename, nodeport, database, username) VALUES
    ('month-end', '0 23 \$ * *', 'SELECT 7', 'localhost', $port, 'postgres', 'alice'),
    ('fast', '30 seconds',
     \$\$INSERT INTO public.ticks (job, who, db) VALUES ('fast', current_user, current_database())\$\$,
     'localhost', $port, 'appdb', 'bob'),
    ('elsewhere', '0 8 * * *', 'SELECT 8', 'db.example.com', 5432, 'postgres', 'postgres');
SQL
cluster_psql -d appdb -o /dev/null <<'SQL'
CREATE TABLE public.ticks (job text, who text, db text, at timestamptz NOT NULL DEFAULT now());
GRANT INSERT ON public.ticks TO bob;
SQL
# Outside jobs.database (the extension may be created elsewhere, for jobs.next_runs and the like): refused.
out="$(cluster_psql -d appdb -c "SET client_min_messages = warning" -c "CREATE EXTENSION pg_jobs" \
    -c "SELECT * FROM jobs.import_pg_cron()" 2>&1)" && fail "the import is refused outside jobs.database"
[[ "$out" == *'jobs can only be defined in database "postgres" (the jobs.database setting), not in "appdb"'* ]] ||
    fail "outside jobs.database the import says where to run it: $out"
pass "outside jobs.database the import is refused (jobs can only be defined in database \"postgres\")"
cron_id() { value "SELECT jobid FROM cron.job WHERE jobname IS NOT DISTINCT FROM $1"; }
unnamed="$(value "SELECT jobid FROM cron.job WHERE jobname IS NULL")"
[[ "$unnamed" =~ ^[0-9]+$ ]] || fail "the unnamed pg_cron job exists"
pass "pg_cron holds 10 jobs of alice, bob and postgres, in postgres and appdb"

# --- Refused: a role that is not a superuser, even one with pg_cron jobs ------------------------------------------
out="$(cluster_psql -U alice -c "SELECT * FROM jobs.import_pg_cron()" 2>&1)" && fail "alice may not import"
[[ "$out" == *"ERROR:  permission denied to import pg_cron jobs"* && "$out" == *"only a superuser"* ]] ||
    fail "a non-superuser gets 42501 with a clear message: $out"
[[ "$(value "SELECT count(*) FROM jobs.scheduled_job")" == 0 ]] || fail "the refused import created nothing"
pass "a role that is not a superuser is refused (permission denied to import pg_cron jobs), nothing is created"

# --- A rolled-back import leaves both sides as they were ----------------------------------------------------------
cluster_psql -o /dev/null -c "BEGIN" -c "SELECT * FROM jobs.import_pg_cron()" -c "ROLLBACK"
[[ "$(value "SELECT count(*) FROM jobs.scheduled_job")|$(value "SELECT count(*) FILTER (WHERE active) FROM cron.job")" == "0|9" ]] ||
    fail "a rolled-back import leaves no job and every pg_cron job as it was"
pass "an import rolled back leaves no job and pg_cron's jobs active"

# --- The import, once pg_cron has run 'minutely' (so that its not running it afterwards means something), away from
# a minute boundary so that no run of pg_cron's straddles the import ----------------------------------------------
wait_until 90 "SELECT count(*) >= 1 FROM public.ticks WHERE job = 'pg_cron'" ||
    fail "pg_cron runs alice's minutely job before the import"
wait_until 70 "SELECT extract(second FROM clock_timestamp()) BETWEEN 5 AND 45" || fail "the clock moves"
# A job of a role dropped since. pg_cron 1.4's scheduler cannot load it and restarts every second until it is
# gone: it is added now and removed once the import has been checked, so that pg_cron runs again after that.
cluster_psql -o /dev/null -c "CREATE ROLE ghost LOGIN" \
    -c "SELECT cron.schedule_in_database('orphan', '0 6 * * *', 'SELECT 5', 'postgres', 'ghost')" -c "DROP ROLE ghost"
report="$(cluster_psql -At -F'|' -c "SELECT cron_jobid, job_id IS NOT NULL, job_name, note FROM jobs.import_pg_cron()
                                       ORDER BY cron_jobid")"
imported_at="$(value "SELECT clock_timestamp()")"
sed 's/^/#   /' <<<"$report"
expect_row() {  # cron job name (SQL), whether a job was made, the job's name, the note
    local id row
    id="$(cron_id "$1")"
    row="$(grep "^$id|" <<<"$report")" || fail "the import reports pg_cron job $1 ($id)"
    [[ "$row" == "$id|$2|$3|$4" ]] || fail "pg_cron job $1: expected '$id|$2|$3|$4', got '$row'"
}
expect_row "'nightly-report'" t nightly-report 'imported; pg_cron job set inactive'
expect_row NULL t "pg_cron-$unnamed" 'imported; pg_cron job set inactive'
expect_row "'minutely'" t minutely 'imported; pg_cron job set inactive'
expect_row "'bob-weekly'" t bob-weekly 'imported; pg_cron job set inactive'
expect_row "'odd-step'" t odd-step 'schedule "*/90 * * * *" not translated: invalid cron schedule: minute step 90 is out of range 1-59; imported disabled, without a schedule; the pg_cron job is left as it was'
expect_row "'paused'" t paused 'imported disabled, as it is inactive in pg_cron'
expect_row "'orphan'" f orphan 'not imported: role "ghost" does not exist'
expect_row "'typo'" f typo 'not imported: syntax error at or near "SELEC" (42601)'
expect_row "'month-end'" t month-end 'imported (schedule "0 23 $ * *" is "0 23 L * *" here); pg_cron job set inactive'
expect_row "'fast'" t fast 'imported; pg_cron job set inactive'
expect_row "'elsewhere'" f elsewhere "not imported: pg_cron runs it on db.example.com port 5432, not on this server (port $port)"
[[ "$(wc -l <<<"$report")" == 11 ]] || fail "one row per pg_cron job"
pass "the import reports each of the 11 pg_cron jobs: 8 imported (one without its schedule), 3 not, each with why"

# --- The jobs it made -------------------------------------------------------------------------------------------
jobs_now="$(cluster_psql -At -F'|' -c "SELECT job_name, owner, coalesce(schedule, '-'), timezone, database, enabled,
                                              overlap, tags, command
                                       FROM jobs.scheduled_job ORDER BY job_name")"
expected_jobs="bob-weekly|bob|0 4 * * 1|UTC|appdb|t|queue|{pg_cron}|SELECT 2
fast|bob|30 seconds|UTC|appdb|t|queue|{pg_cron}|INSERT INTO public.ticks (job, who, db) VALUES ('fast', current_user, current_database())
minutely|alice|* * * * *|UTC|postgres|t|queue|{pg_cron}|INSERT INTO public.ticks (job, who, db) VALUES (coalesce(jobs.context() ->> 'job_name', 'pg_cron'), current_user, current_database())
month-end|alice|0 23 L * *|UTC|postgres|t|queue|{pg_cron}|SELECT 7
nightly-report|alice|30 2 * * *|UTC|postgres|t|queue|{pg_cron}|SELECT 1
odd-step|postgres|-|UTC|postgres|f|queue|{pg_cron}|SELECT 3
paused|postgres|0 5 * * *|UTC|postgres|f|queue|{pg_cron}|SELECT 4
pg_cron-$unnamed|alice|*/5 * * * *|UTC|postgres|t|queue|{pg_cron}|DELETE FROM public.ticks WHERE at < now() - interval '1 year'"
[[ "$jobs_now" == "$expected_jobs" ]] || fail "the imported jobs: expected
$expected_jobs
got
$jobs_now"
holds "SELECT description = 'imported from pg_cron job ' || $(cron_id "'fast'") FROM jobs.scheduled_job WHERE job_name = 'fast'" ||
    fail "an imported job's description names its pg_cron job"
holds "SELECT description LIKE '%schedule \"*/90 * * * *\" pg_jobs cannot run: %' FROM jobs.scheduled_job
       WHERE job_name = 'odd-step'" || fail "the untranslated job's description keeps pg_cron's schedule and why"
pass "8 jobs: owner, name (pg_cron-$unnamed for the unnamed one), schedule (\$ as L), UTC, database, enabled, command as in pg_cron"

cron_now="$(cluster_psql -At -F'|' -c "SELECT coalesce(jobname, '-'), active FROM cron.job ORDER BY jobid")"
expected_cron="nightly-report|f
-|f
minutely|f
bob-weekly|f
odd-step|t
paused|f
typo|t
month-end|f
fast|f
elsewhere|t
orphan|t"
[[ "$cron_now" == "$expected_cron" ]] || fail "pg_cron's jobs: expected
$expected_cron
got
$cron_now"
pass "the pg_cron originals of the imported jobs are inactive; those not imported, or imported without their schedule, are left active"
cluster_psql -o /dev/null -c "DELETE FROM cron.job WHERE jobname = 'orphan'"

[[ "$(value "SELECT count(*) || '|' || string_agg(DISTINCT changed_by, ',') || '|' || string_agg(DISTINCT action, ',')
             FROM jobs.job_audit")" == "8|postgres|created" ]] || fail "the audit trail records 8 creations by postgres"
pass "jobs.job_audit records the 8 creations, made by the importing superuser"

# --- A second call changes nothing -------------------------------------------------------------------------------
state() {
    value "SELECT md5(concat_ws('/',
        (SELECT string_agg(j::text, ',' ORDER BY j.job_id) FROM jobs.scheduled_job AS j),
        (SELECT string_agg(c::text, ',' ORDER BY c.jobid) FROM cron.job AS c),
        (SELECT count(*) FROM jobs.job_audit)))"
}
before="$(state)"
second="$(cluster_psql -At -F'|' -c "SELECT cron_jobid, coalesce(job_id::text, '-'), note FROM jobs.import_pg_cron()")"
[[ "$(state)" == "$before" ]] || fail "a second import changes no job, no pg_cron job, no audit row"
[[ "$(grep -c '|already imported$' <<<"$second")" == 8 ]] ||
    fail "a second import reports the 8 imported jobs as already imported: $second"
[[ "$(grep -c '|-|not imported: ' <<<"$second")" == 2 ]] || fail "and the 2 others left as not imported again: $second"
pass "a second import changes nothing: 8 'already imported', 2 'not imported' again (the dropped role's job is gone)"

# --- disable_source => false, then a later call switches pg_cron's job off ---------------------------------------
cluster_psql -o /dev/null -c "SELECT cron.schedule('later', '0 9 * * *', 'SELECT 9')"
later="$(cron_id "'later'")"
row="$(cluster_psql -At -F'|' -c "SELECT job_id IS NOT NULL, note FROM jobs.import_pg_cron(disable_source => false)
                                   WHERE cron_jobid = $later")"
[[ "$row" == "t|imported; the pg_cron job is still active: both run until it is set inactive" ]] ||
    fail "disable_source => false imports and says pg_cron's job is still active: $row"
holds "SELECT active FROM cron.job WHERE jobid = $later" || fail "disable_source => false leaves pg_cron's job active"
holds "SELECT enabled FROM jobs.scheduled_job WHERE job_name = 'later'" || fail "the job is enabled as in pg_cron"
row="$(value "SELECT note FROM jobs.import_pg_cron() WHERE cron_jobid = $later")"
[[ "$row" == "already imported; pg_cron job set inactive" ]] || fail "a later import switches pg_cron's job off: $row"
holds "SELECT NOT active FROM cron.job WHERE jobid = $later" || fail "pg_cron's 'later' is inactive now"
pass "disable_source => false leaves pg_cron's job active (said in the note); a later import sets it inactive"

# --- Deleting an imported job does not bring it back; a pg_jobs job of the same name is never overwritten ------
value "SELECT jobs.unschedule(job_id) FROM jobs.scheduled_job WHERE job_name = 'later'" >/dev/null
row="$(value "SELECT note FROM jobs.import_pg_cron() WHERE cron_jobid = $later")"
[[ "$row" == "already imported (as job "*", since removed)" ]] || fail "a removed imported job is not imported again: $row"
value "SELECT jobs.schedule('clash', '0 1 * * *', 'SELECT 10')" >/dev/null
cluster_psql -o /dev/null -c "SELECT cron.schedule('clash', '0 2 * * *', 'SELECT 11')"
row="$(value "SELECT note FROM jobs.import_pg_cron() WHERE cron_jobid = $(cron_id "'clash'")")"
[[ "$row" == 'not imported: role "postgres" already has a job named "clash"' ]] || fail "a name clash is reported: $row"
holds "SELECT schedule = '0 1 * * *' AND command = 'SELECT 10' FROM jobs.scheduled_job WHERE job_name = 'clash'" ||
    fail "the existing job of that name is left as it was"
holds "SELECT active FROM cron.job WHERE jobname = 'clash'" || fail "the clashing pg_cron job stays active"
pass "a removed imported job does not come back; a job of the same owner and name is left alone and reported"

# --- The imported jobs fire in pg_jobs, as their owners, in their databases; pg_cron runs none of them -----------
# A pg_cron job made after the imports shows that pg_cron is running meanwhile.
cluster_psql -o /dev/null -c "SELECT cron.schedule('control', '* * * * *', \$\$INSERT INTO public.ticks (job) VALUES ('control')\$\$)"
wait_until 60 "SELECT count(*) >= 1 FROM jobs.job_execution WHERE job_name = 'fast' AND status = 'succeeded'" ||
    fail "the imported '30 seconds' job runs in pg_jobs within 60 s"
[[ "$(cluster_psql -d appdb -At -c "SELECT DISTINCT who || '@' || db FROM public.ticks WHERE job = 'fast'")" == bob@appdb ]] ||
    fail "the '30 seconds' job ran as bob in appdb"
pass "the imported '30 seconds' job ran in pg_jobs, as bob, in appdb"
wait_until 90 "SELECT count(*) >= 1 FROM jobs.job_execution WHERE job_name = 'minutely' AND status = 'succeeded'" ||
    fail "the imported '* * * * *' job runs in pg_jobs at the next minute boundary"
[[ "$(value "SELECT DISTINCT who || '@' || db FROM public.ticks WHERE job = 'minutely'")" == alice@postgres ]] ||
    fail "the minutely job ran as alice in postgres"
[[ "$(value "SELECT count(*) FROM public.ticks WHERE job = 'pg_cron' AND at > '$imported_at'")" == 0 ]] ||
    fail "pg_cron ran its minutely job after the import"

wait_until 90 "SELECT count(*) >= 1 FROM public.ticks WHERE job = 'control'" ||
    fail "pg_cron is running: it runs a job made after the imports"
# The jobs it set inactive ('later' was active for a while on purpose; the others left active fire at fixed hours).
cron_runs="SELECT count(*) FROM cron.job_run_details WHERE start_time > '$imported_at'
           AND jobid IN (SELECT jobid FROM cron.job WHERE NOT active AND jobname IS DISTINCT FROM 'later')"
[[ "$(value "$cron_runs")" == 0 ]] || fail "pg_cron started no run of the jobs it set inactive after the import"
pass "the imported '* * * * *' job ran in pg_jobs as alice; pg_cron, which ran it before and runs a new job meanwhile, started no run of the imported jobs after the import"
