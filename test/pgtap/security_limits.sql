-- pgTAP: the limits that keep one role from stopping the scheduler for the
-- others (issue 10, points 15, 17 and 18), tried as an unprivileged role
-- granted USAGE ON SCHEMA jobs:
--   - jobs.max_payload_size: jobs.trigger, jobs.schedule_http and
--     jobs.alter_http refuse a larger payload or body with 54000;
--   - jobs.max_jobs_per_owner: 1000 by default, superusers not limited;
--   - the quota check serializes on a row of an extension table, not on an
--     advisory key (the lock that blocks is tested by
--     test/integration/security_flood.sh);
--   - jobs.min_schedule_interval: a schedule firing more often is refused
--     with 22023 for other roles than superusers;
--   - jobs.job_history shows skipped_count.
-- Everything rolls back. Run from the repository root:
-- pg_prove test/pgtap/security_limits.sql
\ir lib/begin.sql

SELECT plan(35);

CREATE FUNCTION pg_temp.as_alice(command text) RETURNS text
LANGUAGE sql AS $$ SELECT pg_temp.as_role('pgtap_limits_alice', command) $$;

-- The DETAIL and HINT of the error a command raises (NULL if it raises none).
CREATE FUNCTION pg_temp.error_parts(command text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    detail text;
    hint text;
BEGIN
    EXECUTE command;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN concat_ws(' | ', nullif(detail, ''), nullif(hint, ''));
END
$$;

CREATE ROLE pgtap_limits_alice;
GRANT USAGE ON SCHEMA jobs TO pgtap_limits_alice;
SELECT lives_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('on demand', NULL, 'SELECT 1')$q$)$$,
                'alice defines an on-demand job');
SELECT lives_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule_http('hook', NULL, 'http://127.0.0.1:1/')$q$)$$,
                'and an HTTP job');

-- 15: jobs.max_payload_size -------------------------------------------------------------
SELECT results_eq($$SELECT boot_val, unit, context FROM pg_settings WHERE name = 'jobs.max_payload_size'$$,
                  $$VALUES ('1024', 'kB', 'superuser')$$, 'max_payload_size: 1MB by default, superusers set it');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT set_config('jobs.max_payload_size', '1GB', true)$q$)$$,
                 '42501', NULL, 'other roles may not change it');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.trigger('on demand', to_jsonb(repeat('x', 2000000)))$q$)$$,
                 '54000', 'payload is 2000008 bytes as jsonb, more than jobs.max_payload_size (1MB)',
                 'trigger: a 2 MB payload is refused');
SELECT is(pg_temp.error_parts($$SELECT pg_temp.as_alice($q$SELECT jobs.trigger('on demand', to_jsonb(repeat('x', 2000000)))$q$)$$),
          'The limit applies to the jsonb value and to its JSON text, which the job receives. | Pass a smaller '
          'payload (keep large data in a table and pass its key), or ask a superuser to raise '
          'jobs.max_payload_size.', 'the refusal''s detail and hint');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.trigger('on demand',
                                                                (SELECT jsonb_agg('1e131071'::numeric)
                                                                 FROM generate_series(1, 10)))$q$)$$,
                 '54000', 'payload is more than jobs.max_payload_size (1MB) as JSON text',
                 'trigger: a small jsonb value whose JSON text is larger is refused (numbers of 131072 digits)');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.trigger('on demand', to_jsonb(repeat(chr(1), 190000000)))$q$)$$,
                 '54000', NULL, 'trigger: the 190 MB payload of the report is refused');
SELECT lives_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.trigger('on demand', to_jsonb(repeat('x', 1000000)))$q$)$$,
                'trigger: a payload under the limit is queued');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule_http('hook2', NULL, 'http://127.0.0.1:1/',
                                                                        body => to_jsonb(repeat('x', 2000000)))$q$)$$,
                 '54000', 'body is 2000008 bytes as jsonb, more than jobs.max_payload_size (1MB)',
                 'schedule_http: a 2 MB body is refused');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.alter_http('hook', body => to_jsonb(repeat('x', 2000000)))$q$)$$,
                 '54000', NULL, 'alter_http: a 2 MB body is refused');
SET LOCAL jobs.max_payload_size = '4MB';
SELECT lives_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.trigger('on demand', to_jsonb(repeat('x', 2000000)))$q$)$$,
                'a superuser may raise the limit');
SELECT throws_ok($$SET LOCAL jobs.max_payload_size = '65GB'$$, '22023', NULL, 'at most 64MB');
RESET jobs.max_payload_size;

-- 18: jobs.max_jobs_per_owner has a default -------------------------------------------
SELECT results_eq($$SELECT boot_val, context FROM pg_settings WHERE name = 'jobs.max_jobs_per_owner'$$,
                  $$VALUES ('1000', 'superuser')$$, 'max_jobs_per_owner: 1000 by default');
INSERT INTO jobs.scheduled_job (job_name, owner, schedule, timezone, command, database)
SELECT 'filler ' || i, 'pgtap_limits_alice', '@daily', 'UTC', 'SELECT 1', current_database()
FROM generate_series(1, 998) AS i;
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('one too many', '@daily', 'SELECT 1')$q$)$$,
                 '53400', 'role "pgtap_limits_alice" already has 1000 jobs, and jobs.max_jobs_per_owner is 1000',
                 'the 1001st job of a role is refused by default');
SELECT lives_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('filler 1', '@hourly', 'SELECT 1')$q$)$$,
                'redefining one of them is fine');
SET LOCAL jobs.max_jobs_per_owner = 1;
SELECT lives_ok($$SELECT jobs.schedule('pgtap super ' || i, '@daily', 'SELECT 1') FROM generate_series(1, 3) AS i$$,
                'superusers are not limited');
SET LOCAL jobs.max_jobs_per_owner = 0;
SELECT lives_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('one too many', '@daily', 'SELECT 1')$q$)$$,
                '0 still means no limit');
DELETE FROM jobs.scheduled_job WHERE owner = 'pgtap_limits_alice'::regrole AND job_name LIKE 'filler %';
RESET jobs.max_jobs_per_owner;

-- 17: the quota check takes no advisory lock --------------------------------------------
SELECT lives_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('counted', '@daily', 'SELECT 1')$q$)$$,
                'a job counted against the quota');
SELECT is((SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()), 0::bigint,
          'the quota check held no advisory lock (any role could take its key)');
SELECT is((SELECT count(*) FROM jobs_internal._owner_lock AS l JOIN pg_roles AS r ON r.oid = l.owner_oid
           WHERE r.rolname = 'pgtap_limits_alice'), 1::bigint, 'it locked alice''s row in jobs_internal._owner_lock');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT count(*) FROM jobs_internal._owner_lock$q$)$$, '42501', NULL,
                 'other roles cannot read (or lock) jobs_internal._owner_lock');

-- 18: jobs.min_schedule_interval --------------------------------------------------------
SELECT results_eq($$SELECT boot_val, unit, context FROM pg_settings WHERE name = 'jobs.min_schedule_interval'$$,
                  $$VALUES ('10', 's', 'superuser')$$, 'min_schedule_interval: 10 seconds by default, superusers set it');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('flood', '@every 1 second', 'SELECT 1')$q$)$$,
                 '22023', 'schedule "@every 1 second" fires more often than jobs.min_schedule_interval (10s) allows',
                 'schedule: @every 1 second is refused');
SELECT is(pg_temp.error_parts($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('flood', '@every 1 second', 'SELECT 1')$q$)$$),
          'Two of its fire times are only 00:00:01 apart. | Choose a schedule whose fire times are at least 10s '
          'apart, for example ''@every 10s'', or ask a superuser to lower jobs.min_schedule_interval.',
          'the refusal''s detail and hint');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('flood', '*/5 * * * * *', 'SELECT 1')$q$)$$,
                 '22023', NULL, 'schedule: a seconds field firing every 5 seconds is refused');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('flood', '0,3 * * * * *', 'SELECT 1')$q$)$$,
                 '22023', NULL, 'schedule: two fire times 3 seconds apart are refused');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule_http('flood', '* * * * * *', 'http://127.0.0.1:1/')$q$)$$,
                 '22023', NULL, 'schedule_http: every second is refused');
SELECT lives_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('ten', '*/10 * * * * *', 'SELECT 1')$q$)$$,
                'schedule: every 10 seconds is fine');
SELECT lives_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('minutely', '* * * * *', 'SELECT 1')$q$)$$,
                'schedule: every minute is fine');
SELECT throws_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.alter('ten', schedule => '@every 2 seconds')$q$)$$,
                 '22023', NULL, 'alter: a schedule firing every 2 seconds is refused');
SELECT lives_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.alter('ten', timeout => '1 minute')$q$)$$,
                'alter: other options of the job are changed as before');
SELECT lives_ok($$SELECT jobs.schedule('pgtap super flood', '* * * * * *', 'SELECT 1')$$,
                'superusers are not limited');
SET LOCAL jobs.min_schedule_interval = 0;
SELECT lives_ok($$SELECT pg_temp.as_alice($q$SELECT jobs.schedule('flood', '* * * * * *', 'SELECT 1')$q$)$$,
                '0: no limit');
RESET jobs.min_schedule_interval;

-- 18: skipped_count ------------------------------------------------------------------------
SELECT has_column('jobs', 'job_history', 'skipped_count', 'job_history shows skipped_count');

SELECT * FROM finish();
ROLLBACK;
