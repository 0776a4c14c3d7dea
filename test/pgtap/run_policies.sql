-- pgTAP: the overlap and starting-deadline policies, as production decides
-- them: the SQL functions jobs_internal._overlap_skip_reason and
-- jobs_internal._missed_starting_deadline, which the statements that queue and claim
-- runs call (src/pg/store/run_policy_sql.hpp). Every case, with explicit
-- instants: nothing here depends on the clock or on a running scheduler.
-- Run from the repository root: pg_prove test/pgtap/run_policies.sql
\ir lib/begin.sql

SELECT plan(36);

-- (overlap, max_concurrent, running, waiting) -> skip reason; running run 7
-- started at 2030-01-01 00:00, waiting run 8.
CREATE FUNCTION pg_temp.reason(overlap text, max_concurrent integer, running bigint, waiting bigint) RETURNS text
LANGUAGE sql AS $$
    SELECT jobs_internal._overlap_skip_reason(overlap, max_concurrent, running, waiting,
                                     CASE WHEN running > 0 THEN 7 END,
                                     CASE WHEN running > 0 THEN '2030-01-01 00:00+00'::timestamptz END,
                                     CASE WHEN waiting > 0 THEN 8 END)
$$;

-- overlap skip: a run due while another is active is skipped.
SELECT is(pg_temp.reason('skip', 1, 0, 0), NULL, 'skip: nothing active, queued');
SELECT is(pg_temp.reason('skip', 1, 1, 0),
          'skipped: the run 7 started at 2030-01-01 00:00:00+00 was still running (overlap skip)',
          'skip: a running run skips it, naming the run');
SELECT is(pg_temp.reason('skip', 1, 0, 1), 'skipped: the run 8 was still waiting to start (overlap skip)',
          'skip: a waiting run skips it');
SELECT is(pg_temp.reason('skip', 1, 1, 1),
          'skipped: the run 7 started at 2030-01-01 00:00:00+00 was still running (overlap skip)',
          'skip: running and waiting: the running one is named');
SELECT is(pg_temp.reason('skip', 5, 1, 0),
          'skipped: the run 7 started at 2030-01-01 00:00:00+00 was still running (overlap skip)',
          'skip: max_concurrent does not matter');

-- overlap queue: at most one waiting run.
SELECT is(pg_temp.reason('queue', 1, 0, 0), NULL, 'queue: nothing active, queued');
SELECT is(pg_temp.reason('queue', 1, 1, 0), NULL, 'queue: a running run: queued (it waits at its claim)');
SELECT is(pg_temp.reason('queue', 1, 0, 1),
          'skipped: the run 8 was already waiting for the running one (overlap queue)',
          'queue: a waiting run skips it');
SELECT is(pg_temp.reason('queue', 1, 1, 1),
          'skipped: the run 8 was already waiting for the running one (overlap queue)',
          'queue: running and waiting: skipped');

-- overlap allow: up to max_concurrent active runs, running and waiting together.
SELECT is(pg_temp.reason('allow', 3, 2, 0), NULL, 'allow: 2 of 3 active: queued');
SELECT is(pg_temp.reason('allow', 3, 1, 1), NULL, 'allow: 1 running + 1 waiting of 3: queued');
SELECT is(pg_temp.reason('allow', 3, 2, 1),
          'skipped: 3 run(s) of the job were still active, max_concurrent is 3 (overlap allow)',
          'allow: 2 running + 1 waiting of 3: skipped');
SELECT is(pg_temp.reason('allow', 3, 3, 0),
          'skipped: 3 run(s) of the job were still active, max_concurrent is 3 (overlap allow)',
          'allow: 3 running of 3: skipped');
SELECT is(pg_temp.reason('allow', 3, 0, 3),
          'skipped: 3 run(s) of the job were still active, max_concurrent is 3 (overlap allow)',
          'allow: 3 waiting of 3: skipped');
SELECT is(pg_temp.reason('allow', 1, 0, 0), NULL, 'allow: max_concurrent 1, nothing active: queued');
SELECT is(pg_temp.reason('allow', 1, 1, 0),
          'skipped: 1 run(s) of the job were still active, max_concurrent is 1 (overlap allow)',
          'allow: max_concurrent 1, one running: skipped');
SELECT is(pg_temp.reason('allow', 1000, 999, 0), NULL, 'allow: 999 of 1000: queued');

-- overlap replace: never skipped; the unfinished runs are cancelled instead.
SELECT is(pg_temp.reason('replace', 1, 0, 0), NULL, 'replace: nothing active: queued');
SELECT is(pg_temp.reason('replace', 1, 1, 0), NULL, 'replace: a running run: queued (it replaces it)');
SELECT is(pg_temp.reason('replace', 1, 0, 1), NULL, 'replace: a waiting run: queued (it replaces it)');
SELECT is(pg_temp.reason('replace', 1, 3, 2), NULL, 'replace: many active: queued');

-- The overlap values are these four (a fifth would have no case here).
SELECT throws_ok($$SELECT jobs.schedule('pgtap overlap', '@daily', 'SELECT 1', overlap => 'wait')$$, '22023', NULL,
                 'no other overlap value is accepted');

-- starting_deadline: late when more than the deadline has passed since scheduled_for.
SELECT is(jobs_internal._missed_starting_deadline('2030-01-01 00:00+00', NULL, '2031-01-01 00:00+00'), false,
          'no deadline: never late');
SELECT is(jobs_internal._missed_starting_deadline('-infinity', NULL, '2030-01-01 00:00+00'), false,
          'no deadline: not even for -infinity');
SELECT is(jobs_internal._missed_starting_deadline('2030-01-01 00:00+00', '10 seconds', '2030-01-01 00:00:05+00'), false,
          'within the deadline');
SELECT is(jobs_internal._missed_starting_deadline('2030-01-01 00:00+00', '10 seconds', '2030-01-01 00:00:10+00'), false,
          'exactly at the deadline: not late');
SELECT is(jobs_internal._missed_starting_deadline('2030-01-01 00:00+00', '10 seconds', '2030-01-01 00:00:10.000001+00'),
          true, 'a microsecond past the deadline: late');
SELECT is(jobs_internal._missed_starting_deadline('2030-01-01 00:00+00', '10 seconds', '2029-12-31 23:59+00'), false,
          'before its scheduled time: not late');
SELECT is(jobs_internal._missed_starting_deadline('2030-01-01 00:00+00', '0 seconds', '2030-01-01 00:00+00'), false,
          'a zero deadline, on time: not late');
SELECT is(jobs_internal._missed_starting_deadline('2030-01-01 00:00+00', '0 seconds', '2030-01-01 00:00:00.000001+00'), true,
          'a zero deadline, a microsecond later: late');
SELECT is(jobs_internal._missed_starting_deadline('2030-01-01 00:00+00', '1 month', '2030-01-31 00:00+00'), false,
          'a month counts 30 days: day 30 is not late');
SELECT is(jobs_internal._missed_starting_deadline('2030-01-01 00:00+00', '1 month', '2030-01-31 00:00:01+00'), true,
          'a month counts 30 days: past day 30 is late');
SELECT is(jobs_internal._missed_starting_deadline('-infinity', '100 years', '2030-01-01 00:00+00'), true,
          'scheduled for -infinity: late whatever the deadline');
SELECT is(jobs_internal._missed_starting_deadline('infinity', '1 second', '2030-01-01 00:00+00'), true,
          'scheduled for infinity: never startable, late');
SELECT lives_ok($$SELECT jobs_internal._missed_starting_deadline('4713-01-01 00:00+00 BC', '100 years', '294276-12-31 00:00+00')$$,
                'the widest range of times and a huge deadline do not overflow');

-- Internal: nobody but the scheduler and the extension's functions calls them.
SELECT ok(NOT has_function_privilege('public', 'jobs_internal._overlap_skip_reason(text, integer, bigint, bigint, bigint, timestamptz, bigint)', 'EXECUTE')
          AND NOT has_function_privilege('public', 'jobs_internal._missed_starting_deadline(timestamptz, interval, timestamptz)', 'EXECUTE'),
          'PUBLIC may not execute the policy functions');

SELECT * FROM finish();
ROLLBACK;
