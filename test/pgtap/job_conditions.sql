-- pgTAP: issue 15's run_if, priority and blackout options at definition, as
-- an unprivileged role granted only USAGE ON SCHEMA jobs: what is stored,
-- every refusal (SQLSTATE and message), reset, bulk creation, the queued
-- run's priority, and the blackout arithmetic of jobs_internal._blackout_end. What
-- the workers and the launcher do with them: test/integration/
-- scheduler_conditions.sh. Everything rolls back.
-- Run from the repository root: pg_prove test/pgtap/job_conditions.sql
\ir lib/begin.sql

SELECT plan(40);

CREATE ROLE pgtap_cond_alice;
GRANT USAGE ON SCHEMA jobs TO pgtap_cond_alice;

-- The message and CONTEXT of the error a command raises as pgtap_cond_alice.
CREATE FUNCTION pg_temp.error_of(command text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    message text;
    context text;
BEGIN
    PERFORM pg_temp.as_role('pgtap_cond_alice', command);
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, context = PG_EXCEPTION_CONTEXT;
    RETURN message || ' | ' || split_part(context, E'\n', 1);
END
$$;
CREATE FUNCTION pg_temp.alice(command text) RETURNS text
LANGUAGE sql RETURN pg_temp.as_role('pgtap_cond_alice', command);

-- run_if ---------------------------------------------------------------------------------
SELECT lives_ok($$ SELECT pg_temp.alice($q$SELECT jobs.schedule('gated', '@daily', 'SELECT 1',
                                               run_if => 'EXISTS (SELECT FROM pg_class) AND now() > ''2000-01-01''')$q$) $$,
                'an unprivileged role defines a job with run_if');
SELECT is(pg_temp.alice($q$SELECT run_if FROM jobs.scheduled_job WHERE job_name = 'gated'$q$),
          'EXISTS (SELECT FROM pg_class) AND now() > ''2000-01-01''', 'run_if is stored as written');
SELECT throws_ok($$ SELECT pg_temp.alice($q$SELECT jobs.schedule('bad', '@daily', 'SELECT 1', run_if => 'true AND')$q$) $$,
                 '42601', 'syntax error at or near ")"', 'a run_if that does not parse is refused (42601)');
SELECT is(pg_temp.error_of($q$SELECT jobs.schedule('bad', '@daily', 'SELECT 1', run_if => '1 = = 1')$q$),
          'syntax error at or near "=" | the run_if of job "bad", checked when the job is defined (nothing was run)',
          'the syntax error names the job''s run_if');
SELECT throws_ok($$ SELECT pg_temp.alice($q$SELECT jobs.schedule('bad', '@daily', 'SELECT 1',
                                                run_if => 'true); DROP TABLE t; SELECT (1')$q$) $$,
                 '42601', 'run_if must be one SQL expression', 'run_if cannot smuggle in a second statement');
SELECT throws_ok($$ SELECT pg_temp.alice($q$SELECT jobs.schedule('bad', '@daily', 'SELECT 1',
                                                run_if => 'true) FROM pg_class WHERE (true')$q$) $$,
                 '42601', 'run_if must be one SQL expression', 'run_if cannot be a query with FROM');
SELECT throws_ok($$ SELECT pg_temp.alice($q$SELECT jobs.schedule('bad', '@daily', 'SELECT 1', run_if => '')$q$) $$,
                 '42601', NULL, 'an empty run_if is refused');
SELECT is(pg_temp.alice($q$SELECT count(*) FROM jobs.scheduled_job WHERE job_name = 'bad'$q$), '0',
          'no refused job was stored');
SELECT throws_ok($$ SELECT pg_temp.alice($q$SELECT jobs.alter('gated', run_if => 'nope nope')$q$) $$,
                 '42601', NULL, 'jobs.alter checks run_if too');
SELECT lives_ok($$ SELECT pg_temp.alice($q$SELECT jobs.alter('gated', run_if => 'random() < 2')$q$) $$,
                'jobs.alter changes run_if');
SELECT is(pg_temp.alice($q$SELECT run_if FROM jobs.scheduled_job WHERE job_name = 'gated'$q$), 'random() < 2',
          'the new run_if is stored');
SELECT lives_ok($$ SELECT pg_temp.alice($q$SELECT jobs.alter('gated', reset => '{run_if}')$q$) $$,
                'reset => ''{run_if}'' removes the condition');
SELECT is(pg_temp.alice($q$SELECT run_if IS NULL FROM jobs.scheduled_job WHERE job_name = 'gated'$q$), 'true',
          'run_if is NULL after the reset');
SELECT throws_ok($$ SELECT pg_temp.alice($q$SELECT jobs.alter('gated', run_if => 'true', reset => '{run_if}')$q$) $$,
                 '22023', 'an option cannot be both given and reset: run_if', 'run_if cannot be given and reset');

-- priority ----------------------------------------------------------------------------------
SELECT is(pg_temp.alice($q$SELECT priority FROM jobs.scheduled_job WHERE job_name = 'gated'$q$), '0',
          'priority defaults to 0');
SELECT throws_ok($$ SELECT pg_temp.alice($q$SELECT jobs.schedule('p', '@daily', 'SELECT 1', priority => 101)$q$) $$,
                 '22023', 'priority must be between -100 and 100, not 101', 'priority above 100 is refused');
SELECT throws_ok($$ SELECT pg_temp.alice($q$SELECT jobs.schedule('p', '@daily', 'SELECT 1', priority => -101)$q$) $$,
                 '22023', 'priority must be between -100 and 100, not -101', 'priority below -100 is refused');
SELECT throws_ok($$ SELECT pg_temp.alice($q$SELECT jobs.schedule('p', '@daily', 'SELECT 1', priority => NULL)$q$) $$,
                 '22023', 'priority must be between -100 and 100, not NULL', 'a NULL priority is refused');
SELECT throws_ok($$ SELECT pg_temp.alice($q$SELECT jobs.alter('gated', priority => 200)$q$) $$,
                 '22023', 'priority must be between -100 and 100, not 200', 'jobs.alter checks priority');
SELECT lives_ok($$ SELECT pg_temp.alice($q$SELECT jobs.schedule('p', NULL, 'SELECT 1', priority => -100)$q$) $$,
                'priority -100 is taken');
SELECT lives_ok($$ SELECT pg_temp.alice($q$SELECT jobs.alter('p', priority => 100)$q$) $$,
                'jobs.alter sets priority 100');
SELECT pg_temp.alice($q$SELECT jobs.trigger('p')$q$) AS p_run \gset
SELECT is(pg_temp.alice(format('SELECT priority FROM jobs.job_execution WHERE execution_id = %s', :p_run)), '100',
          'a triggered run carries its job''s priority');
SELECT pg_temp.alice($q$SELECT count(jobs.schedule('bulk ' || i, '@daily', 'SELECT 1', priority => 7, run_if => 'true'))
                        FROM generate_series(1, 3) AS i$q$) AS bulk_count \gset
SELECT is(pg_temp.alice($q$SELECT string_agg(j.priority || ' ' || coalesce(j.run_if, '-'), ',')
                           FROM jobs.scheduled_job AS j WHERE j.job_name LIKE 'bulk %'$q$),
          '7 true,7 true,7 true', 'jobs created in bulk keep priority and run_if');

-- blackout -------------------------------------------------------------------------------------
SELECT lives_ok($$ SELECT pg_temp.alice($q$SELECT jobs.schedule('dark', '*/5 * * * *', 'SELECT 1',
                                               blackout => '* 1-4 * * *', timezone => 'Europe/Berlin')$q$) $$,
                'a job with a blackout is defined');
SELECT is(pg_temp.alice($q$SELECT blackout || ' ' || blackout_policy FROM jobs.scheduled_job WHERE job_name = 'dark'$q$),
          '* 1-4 * * * skip', 'the blackout is stored; its policy defaults to skip');
SELECT throws_ok($$ SELECT pg_temp.alice($q$SELECT jobs.schedule('b', '@daily', 'SELECT 1', blackout => '* 25 * * *')$q$) $$,
                 '22023', NULL, 'an invalid blackout is refused with 22023');
SELECT is(pg_temp.error_of($q$SELECT jobs.schedule('b', '@daily', 'SELECT 1', blackout => '* 25 * * *')$q$)
              LIKE 'invalid blackout: %', true, 'the error says the blackout is invalid');
SELECT throws_ok($$ SELECT pg_temp.alice($q$SELECT jobs.schedule('b', '@daily', 'SELECT 1', blackout => '@every 5 minutes')$q$) $$,
                 '22023', 'invalid blackout "@every 5 minutes": a blackout is a cron expression of minutes, not an interval',
                 'an interval is not a blackout');
SELECT throws_ok($$ SELECT pg_temp.alice($q$SELECT jobs.schedule('b', '@daily', 'SELECT 1', blackout => '*/10 * * * * *')$q$) $$,
                 '22023', 'invalid blackout "*/10 * * * * *": a blackout is a cron expression of minutes (5 fields), without a seconds field',
                 'a blackout has no seconds field');
SELECT throws_ok($$ SELECT pg_temp.alice($q$SELECT jobs.schedule('b', '@daily', 'SELECT 1', blackout => '* * * * *')$q$) $$,
                 '22023', 'blackout leaves the job no minute to start in', 'a blackout of every minute is refused');
SELECT throws_ok($$ SELECT pg_temp.alice($q$SELECT jobs.schedule('b', '@daily', 'SELECT 1', blackout => '* 1 * * *',
                                                blackout_policy => 'later')$q$) $$,
                 '22023', 'blackout_policy must be ''skip'' or ''defer'', not ''later''', 'an unknown blackout_policy is refused');
SELECT throws_ok($$ SELECT pg_temp.alice($q$SELECT jobs.alter('dark', blackout => '61 * * * *')$q$) $$,
                 '22023', NULL, 'jobs.alter checks the blackout');
SELECT lives_ok($$ SELECT pg_temp.alice($q$SELECT jobs.alter('dark', blackout_policy => 'defer')$q$) $$,
                'jobs.alter sets blackout_policy defer');
SELECT lives_ok($$ SELECT pg_temp.alice($q$SELECT jobs.alter('dark', reset => '{blackout}')$q$) $$,
                'reset => ''{blackout}'' removes the blackout');
SELECT is(pg_temp.alice($q$SELECT coalesce(blackout, '-') || ' ' || blackout_policy FROM jobs.scheduled_job
                           WHERE job_name = 'dark'$q$), '- defer', 'no blackout after the reset');
SELECT throws_ok($$ SELECT pg_temp.alice($q$SELECT jobs_internal._blackout_end('* 1 * * *', 'UTC', now())$q$) $$,
                 '42501', NULL, 'an unprivileged role cannot call the internal jobs_internal._blackout_end');

-- jobs_internal._blackout_end (as the superuser): the launcher's question for each fire time.
SELECT is(jobs_internal._blackout_end('* 1-4 * * *', 'UTC', '2026-03-02 02:30:15+00'), '2026-03-02 05:00+00'::timestamptz,
          'inside 01:00-04:59: it ends at 05:00');
SELECT is(jobs_internal._blackout_end('* 1-4 * * *', 'UTC', '2026-03-02 05:00+00'), NULL, 'outside: NULL');
SELECT is(jobs_internal._blackout_end('* 1-4 * * *', 'Europe/Berlin', '2026-03-02 02:30+00'), '2026-03-02 04:00+00'::timestamptz,
          'in the job''s zone: 01:00-04:59 Berlin ends at 04:00 UTC in winter');
SELECT is(jobs_internal._blackout_end('* 23 * * *; * 0 * * *', 'UTC', '2026-03-02 23:59+00'), '2026-03-03 01:00+00'::timestamptz,
          'a blackout of two expressions over midnight ends at the end of both');

SELECT * FROM finish();
ROLLBACK;
