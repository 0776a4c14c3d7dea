-- pgTAP: jobs belong to roles, not to names (issue 10, points 6 and 7).
--  6. The owner is the role's OID: ALTER ROLE ... RENAME keeps the jobs with
--     the role, a new role under an old name owns nothing; DROP ROLE of a role
--     that owns jobs is refused (2BP01), REASSIGN OWNED moves its jobs, DROP
--     OWNED removes them and keeps their history.
--  7. Another role's job or run by id answers exactly as a missing one
--     (42704, naming nobody).
-- Roles are unprivileged, granted USAGE ON SCHEMA jobs. Everything rolls
-- back; no run is ever committed.
-- Run from the repository root: pg_prove test/pgtap/security_ownership.sql
\ir lib/begin.sql

SELECT plan(58);

-- Everything an error tells its receiver: SQLSTATE, message, detail, hint
-- (NULL if the command succeeds).
CREATE FUNCTION pg_temp.error_of(role_name name, command text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    state text;
    message text;
    detail text;
    hint text;
BEGIN
    BEGIN
        PERFORM pg_temp.as_role(role_name, command);
        RETURN NULL;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
                                hint = PG_EXCEPTION_HINT;
        RETURN concat_ws(' | ', state, message, detail, hint);
    END;
END
$$;

CREATE ROLE pgtap_own_bob;
CREATE ROLE pgtap_own_eve;
CREATE ROLE pgtap_own_dave;
CREATE ROLE pgtap_own_carol;
CREATE ROLE pgtap_own_admin CREATEROLE;
GRANT USAGE ON SCHEMA jobs TO pgtap_own_bob, pgtap_own_eve, pgtap_own_dave, pgtap_own_carol, pgtap_own_admin;

-- 7. Another role's job and run by id ---------------------------------------------------------
SELECT pg_temp.as_role('pgtap_own_bob', $$SELECT jobs.schedule('bobjob', NULL, 'SELECT 1')$$)::bigint AS bob_job \gset
SELECT pg_temp.as_role('pgtap_own_bob',
                       $$SELECT jobs.schedule_http('bobhttp', NULL, 'https://example.com/hook')$$)::bigint AS bob_http \gset
SELECT pg_temp.as_role('pgtap_own_bob', $$SELECT jobs.trigger('bobjob')$$)::bigint AS bob_run \gset
SELECT (SELECT max(job_id) + 1000 FROM jobs.scheduled_job) AS no_job,
       (SELECT max(execution_id) + 1000 FROM jobs.job_execution) AS no_run \gset

-- What eve hears about bob's id, and about a missing id, with the ids written N.
CREATE FUNCTION pg_temp.answers(call text, existing bigint, missing bigint) RETURNS text[]
LANGUAGE sql AS $$
    SELECT ARRAY[regexp_replace(pg_temp.error_of('pgtap_own_eve', format(call, existing)), '\m' || existing || '\M',
                                'N', 'g'),
                 regexp_replace(pg_temp.error_of('pgtap_own_eve', format(call, missing)), '\m' || missing || '\M',
                                'N', 'g')];
$$;
CREATE TEMPORARY TABLE id_calls (call text, target text) ON COMMIT DROP;
INSERT INTO id_calls VALUES
    ('SELECT jobs.alter(%s::bigint, command => ''SELECT 666'')', 'job'),
    ('SELECT jobs.alter(%s::bigint, enabled => false)', 'job'),
    ('SELECT jobs.alter_http(%s::bigint, url => ''https://example.com/x'')', 'http'),
    ('SELECT jobs.enable(%s::bigint)', 'job'),
    ('SELECT jobs.disable(%s::bigint)', 'job'),
    ('SELECT jobs.unschedule(%s::bigint)', 'job'),
    ('SELECT jobs.trigger(%s::bigint)', 'job'),
    ('SELECT jobs.trigger(%s::bigint, ''{"x": 1}'')', 'job'),
    ('SELECT jobs.cancel(%s::bigint)', 'run'),
    ('SELECT status FROM jobs.wait(%s::bigint, interval ''0'')', 'run');
SELECT is(a[1], a[2], format('%s: another role''s id answers as a missing one (%s)', c.call, a[2]))
FROM id_calls AS c,
     LATERAL pg_temp.answers(c.call, CASE c.target WHEN 'job' THEN :bob_job WHEN 'http' THEN :bob_http
                                                   ELSE :bob_run END,
                             CASE c.target WHEN 'run' THEN :no_run ELSE :no_job END) AS a
ORDER BY c.call;
SELECT is(pg_temp.error_of('pgtap_own_eve', format('SELECT jobs.trigger(%s::bigint)', :bob_job)),
          format('42704 | job with ID %s does not exist |  | List the jobs with SELECT job_id, job_name FROM jobs.job_status.',
                 :bob_job),
          'another role''s job: 42704 "job with ID n does not exist"');
SELECT is(pg_temp.error_of('pgtap_own_eve', format('SELECT jobs.cancel(%s::bigint)', :bob_run)),
          format('42704 | execution %s does not exist |  | List runs with SELECT execution_id, job_name, status FROM '
                 'jobs.job_history.', :bob_run),
          'another role''s run: 42704 "execution n does not exist"');
SELECT is((SELECT count(*) FROM id_calls AS c
           WHERE pg_temp.error_of('pgtap_own_eve', format(c.call, CASE c.target WHEN 'job' THEN :bob_job
                                                                     WHEN 'http' THEN :bob_http ELSE :bob_run END))
                 ~ '(bob|permission)'), 0::bigint, 'no answer names the owner, the job or a permission');
SELECT is(replace(pg_temp.error_of('pgtap_own_eve', $$SELECT jobs.trigger('bobjob')$$), 'bobjob', 'N'),
          replace(pg_temp.error_of('pgtap_own_eve', $$SELECT jobs.trigger('nosuchjob')$$), 'nosuchjob', 'N'),
          'by name: another role''s job answers as a missing one');
SELECT is((SELECT command FROM jobs.scheduled_job WHERE job_id = :bob_job), 'SELECT 1', 'bob''s job is unchanged');
SELECT is((SELECT count(*) FROM jobs.job_execution WHERE job_id = :bob_job), 1::bigint,
          'eve queued no run of bob''s job');
SELECT is(pg_temp.error_of('pgtap_own_bob', format('SELECT jobs.disable(%s::bigint)', :bob_job)), NULL,
          'bob still changes his own job by id');
SELECT lives_ok(format('SELECT jobs.enable(%s::bigint)', :bob_job), 'a superuser still changes any job by id');
SELECT is(pg_temp.error_of(current_user, format('SELECT jobs.cancel(%s::bigint)', :bob_run)), NULL,
          'a superuser still cancels any run');

-- 6. The owner is the role's OID ---------------------------------------------------------------
SELECT col_type_is('jobs', 'scheduled_job', 'owner', 'regrole', 'scheduled_job.owner is the role (regrole)');
SELECT col_type_is('jobs', 'job_execution', 'owner', 'regrole', 'job_execution.owner is the role (regrole)');
SELECT col_type_is('jobs', 'job_status', 'owner', 'name', 'job_status.owner is a readable name');
SELECT col_type_is('jobs', 'job_history', 'owner', 'name', 'job_history.owner is a readable name');

SELECT pg_temp.as_role('pgtap_own_dave', $$SELECT jobs.schedule('nightly', '@daily', 'SELECT 1')$$)::bigint
    AS dave_nightly \gset
SELECT pg_temp.as_role('pgtap_own_dave', $$SELECT jobs.schedule('weekly', '@weekly', 'SELECT 2')$$)::bigint
    AS dave_weekly \gset
SELECT pg_temp.as_role('pgtap_own_dave', $$SELECT jobs.schedule('shared name', NULL, 'SELECT 3')$$)::bigint
    AS dave_shared \gset
SELECT pg_temp.as_role('pgtap_own_dave', $$SELECT jobs.trigger('shared name')$$)::bigint AS dave_queued \gset
-- A finished run of dave's (no run is committed here, so written by hand).
INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, status, triggered_by,
                                started_at, finished_at)
VALUES (:dave_nightly, 'nightly', 'pgtap_own_dave', 'pgtap_own_dave', current_database(), 'SELECT 1', 'succeeded',
        'manual', now(), now())
RETURNING execution_id AS dave_done \gset

-- RENAME keeps the jobs with the role.
ALTER ROLE pgtap_own_dave RENAME TO pgtap_own_david;
SELECT is(pg_temp.as_role('pgtap_own_david', 'SELECT count(*) FROM jobs.job_status'), '3',
          'a renamed role still sees its jobs');
SELECT is(pg_temp.as_role('pgtap_own_david', $$SELECT string_agg(DISTINCT owner, ',') FROM jobs.job_status$$),
          'pgtap_own_david', 'shown under its new name in jobs.job_status');
SELECT is(pg_temp.as_role('pgtap_own_david', $$SELECT string_agg(DISTINCT owner, ',') FROM jobs.job_history$$),
          'pgtap_own_david', 'and in jobs.job_history');
SELECT is(pg_temp.as_role('pgtap_own_david', $$SELECT jobs.trigger('nightly') > 0$$), 'true',
          'and triggers them by name');

-- A new role under the old name owns nothing.
CREATE ROLE pgtap_own_dave;
GRANT USAGE ON SCHEMA jobs TO pgtap_own_dave;
SELECT is(pg_temp.as_role('pgtap_own_dave', 'SELECT count(*) FROM jobs.scheduled_job'), '0',
          'a new role with the old name sees none of the jobs');
SELECT is(pg_temp.as_role('pgtap_own_dave', 'SELECT count(*) FROM jobs.job_execution'), '0', 'nor their runs');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_own_dave', $$SELECT jobs.trigger('nightly')$$),
                 '42704', 'job "nightly" does not exist', 'nor triggers them by name');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_own_dave',
                        format('SELECT jobs.trigger(%s::bigint)', :dave_nightly)),
                 '42704', format('job with ID %s does not exist', :dave_nightly), 'nor by id');

-- DROP ROLE is refused while the role owns jobs: 2BP01, the count, how to fix.
REVOKE USAGE ON SCHEMA jobs FROM pgtap_own_david;  -- PostgreSQL's own dependency
SELECT throws_ok('DROP ROLE pgtap_own_david', '2BP01',
                 'role "pgtap_own_david" cannot be dropped because some objects depend on it',
                 'DROP ROLE of a role that owns jobs is refused (2BP01)');
SELECT matches(pg_temp.error_of(current_user, 'DROP ROLE pgtap_own_david'),
               '^2BP01 \| .* \| Role pgtap_own_david owns 3 jobs of pg_jobs in database \S+\. \| '
               'Remove them with DROP OWNED BY pgtap_own_david .*REASSIGN OWNED BY pgtap_own_david TO',
               'its DETAIL counts the jobs, its HINT names DROP OWNED and REASSIGN OWNED');
SELECT throws_ok(format('SELECT pg_temp.as_role(%L, %L)', 'pgtap_own_admin', 'DROP ROLE pgtap_own_david'), '2BP01',
                 NULL, 'also for a CREATEROLE role that cannot see the jobs');
SELECT throws_ok('DROP ROLE IF EXISTS pgtap_own_nobody, pgtap_own_david', '2BP01', NULL,
                 'also among several roles');
SELECT is((SELECT count(*) FROM pg_roles WHERE rolname = 'pgtap_own_david'), 1::bigint, 'the role is still there');

-- REASSIGN OWNED: a name clash is refused, and nothing moves.
SELECT pg_temp.as_role('pgtap_own_carol', $$SELECT jobs.schedule('shared name', NULL, 'SELECT 4')$$)::bigint
    AS carol_shared \gset
SELECT throws_ok('REASSIGN OWNED BY pgtap_own_david TO pgtap_own_carol', '23505',
                 'cannot reassign job "shared name" to role "pgtap_own_carol": it would own two jobs of that name',
                 'REASSIGN OWNED that would give a role two jobs of one name is refused (23505)');
SELECT is((SELECT count(*) FROM jobs.scheduled_job WHERE owner = 'pgtap_own_david'::regrole), 3::bigint,
          'nothing moved');
SELECT is(pg_temp.as_role('pgtap_own_carol', format('SELECT jobs.unschedule(%s::bigint)', :carol_shared)), 'true',
          '(carol removes her job of that name)');

-- Secrets follow the jobs, except a name the new owner already has.
GRANT USAGE ON SCHEMA jobs TO pgtap_own_david;
SELECT pg_temp.as_role('pgtap_own_david', $$SELECT jobs.set_secret('tok', 'david-token')$$);
SELECT pg_temp.as_role('pgtap_own_david', $$SELECT jobs.set_secret('both', 'david-both')$$);
SELECT pg_temp.as_role('pgtap_own_carol', $$SELECT jobs.set_secret('both', 'carol-both')$$);

-- REASSIGN OWNED moves the jobs and their queued runs; started runs stay in
-- the history of the role that ran them.
REASSIGN OWNED BY pgtap_own_david TO pgtap_own_carol;
SELECT is((SELECT string_agg(format('%s=%s', owner_id::regrole, value), ',' ORDER BY owner_id::regrole::text, name)
           FROM jobs_internal._secret WHERE owner_id IN ('pgtap_own_carol'::regrole, 'pgtap_own_david'::regrole)),
          'pgtap_own_carol=carol-both,pgtap_own_carol=david-token,pgtap_own_david=david-both',
          'REASSIGN OWNED moves the secrets too, but never over one the new owner has');
SELECT is(pg_temp.as_role('pgtap_own_carol', 'SELECT string_agg(job_name, '','' ORDER BY job_name) FROM jobs.job_status'),
          'nightly,shared name,weekly', 'REASSIGN OWNED gives the role''s jobs to the new role');
SELECT is(pg_temp.as_role('pgtap_own_carol', $$SELECT string_agg(DISTINCT owner, ',') FROM jobs.job_status$$),
          'pgtap_own_carol', 'shown as hers');
SELECT is((SELECT count(*) FROM jobs.scheduled_job WHERE owner = 'pgtap_own_david'::regrole), 0::bigint,
          'the old owner has none left');
SELECT is((SELECT owner::text FROM jobs.job_execution WHERE execution_id = :dave_queued), 'pgtap_own_carol',
          'a queued run moves with its job: it will run as the new owner');
SELECT is((SELECT owner::text FROM jobs.job_execution WHERE execution_id = :dave_done), 'pgtap_own_david',
          'a finished run stays in the history of the role that ran it');
SELECT is(pg_temp.as_role('pgtap_own_carol', $$SELECT jobs.trigger('weekly') > 0$$), 'true',
          'the new owner triggers the jobs by name');
GRANT USAGE ON SCHEMA jobs TO pgtap_own_david;
SELECT is(pg_temp.as_role('pgtap_own_david', $$SELECT jobs.schedule('nightly', NULL, 'SELECT 5') > 0$$), 'true',
          '(the old owner defines a new job)');

-- DROP OWNED removes the role's jobs and cancels their queued runs; the
-- history stays.
DROP OWNED BY pgtap_own_carol;
SELECT is((SELECT count(*) FROM jobs_internal._secret WHERE owner_id = 'pgtap_own_carol'::regrole), 0::bigint,
          'DROP OWNED deletes the role''s secrets');
SELECT is((SELECT count(*) FROM jobs_internal._secret WHERE owner_id = 'pgtap_own_david'::regrole), 1::bigint,
          'and no other role''s');
SELECT is((SELECT count(*) FROM jobs.scheduled_job WHERE owner = 'pgtap_own_carol'::regrole), 0::bigint,
          'DROP OWNED removes the role''s jobs');
SELECT is((SELECT count(*) FROM jobs.scheduled_job WHERE owner = 'pgtap_own_david'::regrole), 1::bigint,
          'and no other role''s');
SELECT is((SELECT status FROM jobs.job_execution WHERE execution_id = :dave_queued), 'cancelled',
          'their queued runs are cancelled');
SELECT is((SELECT count(*) FROM jobs.job_execution WHERE job_id IN (:dave_nightly, :dave_weekly, :dave_shared)),
          4::bigint, 'their history stays');

-- Once the role owns nothing it can be dropped; its history stays, shown
-- under its name, visible to no role that takes the name later.
DROP OWNED BY pgtap_own_david;
SELECT lives_ok('DROP ROLE pgtap_own_carol, pgtap_own_david', 'a role without jobs can be dropped');
SELECT is((SELECT count(*) FROM jobs_internal._secret WHERE owner_id NOT IN (SELECT oid FROM pg_roles)), 0::bigint,
          'no secret outlives its role');
SELECT is((SELECT owner FROM jobs.job_history WHERE execution_id = :dave_done), 'pgtap_own_dave'::name,
          'its runs stay in jobs.job_history under the owner''s name as of the run');
SELECT is((SELECT owner::oid FROM jobs.job_execution WHERE execution_id = :dave_done), 0::oid,
          'and belong to no role (owner 0)');
CREATE ROLE pgtap_own_carol;
GRANT USAGE ON SCHEMA jobs TO pgtap_own_carol;
SELECT is(pg_temp.as_role('pgtap_own_carol', 'SELECT count(*) FROM jobs.job_history'), '0',
          'a new role with a dropped role''s name sees none of its history');

SELECT * FROM finish();
ROLLBACK;
