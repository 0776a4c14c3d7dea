-- pgTAP: alerts (issue 13, "Alerts"): jobs.alert, jobs.drop_alert and
-- jobs.alert_status - the definitions and their errors, row level security
-- (bob, an unprivileged role granted only USAGE ON SCHEMA jobs, never sees
-- alice's alerts), and the launcher's pass (jobs_internal._alert_pass, called here
-- by hand over runs written by hand): failed once per repeat_after,
-- recovered once, a batch for several jobs, the window that holds a batch
-- back, the handler's owner. Everything rolls back.
-- Run from the repository root: pg_prove test/pgtap/alerts.sql
\ir lib/begin.sql

SELECT plan(72);

CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
GRANT USAGE ON SCHEMA jobs TO alice, bob;

-- The objects -------------------------------------------------------------------------
SELECT has_function('jobs', 'alert', ARRAY['text', 'text', 'text[]', 'text[]', 'interval', 'interval'],
                    'jobs.alert(alert_name, handler, jobs, events, long_running_after, repeat_after)');
SELECT function_returns('jobs', 'alert', ARRAY['text', 'text', 'text[]', 'text[]', 'interval', 'interval'], 'bigint',
                        'jobs.alert returns the alert_id');
SELECT has_function('jobs', 'drop_alert', ARRAY['text'], 'jobs.drop_alert(alert_name)');
SELECT has_view('jobs', 'alert_status', 'jobs.alert_status exists');
SELECT has_column('jobs', 'alert_status', c, format('alert_status has %s', c))
FROM unnest(ARRAY['alert_name', 'job_id', 'job_name', 'firing', 'firing_since', 'last_delivered_at', 'deliveries',
                  'last_handler_execution_id', 'handler_execution_ids']) AS c;
SELECT ok((SELECT 'security_invoker=true' = ANY (reloptions) FROM pg_class WHERE oid = 'jobs.alert_status'::regclass),
          'alert_status applies the reader''s row level security');
SELECT is_definer('jobs_internal', '_alert', ARRAY['name', 'text', 'text', 'text[]', 'text[]', 'interval', 'interval'],
                  'alert''s privileged part runs with the extension owner''s rights');
SELECT isnt(obj_description('jobs.alert_status'::regclass, 'pg_class'), NULL, 'alert_status has a comment');
SELECT ok(NOT has_function_privilege('alice', 'jobs_internal._alert_pass(interval)', 'EXECUTE'),
          'roles may not run the launcher''s alert pass');

-- Definitions ---------------------------------------------------------------------------
SELECT pg_temp.as_role('alice', $$SELECT jobs.schedule('handler', NULL, 'SELECT 1')$$) AS handler_job \gset
SELECT pg_temp.as_role('alice', $$SELECT jobs.schedule('work', NULL, 'SELECT 1 / 0')$$) AS work_job \gset
SELECT pg_temp.as_role('alice', $$SELECT jobs.schedule('other', NULL, 'SELECT 1 / 0')$$) AS other_job \gset
SELECT jobs.schedule('root work', NULL, 'SELECT 1 / 0') AS root_job \gset
SELECT jobs.schedule('root handler', NULL, 'SELECT 1') AS root_handler \gset
SELECT pg_temp.as_role('alice', $$SELECT jobs.alert('work failed', 'handler', ARRAY['work'])$$) AS alert_id \gset
SELECT isnt(:'alert_id'::bigint, NULL::bigint, 'alice defines an alert on her job');
SELECT is(pg_temp.as_role('alice', $$SELECT jobs.alert('work failed', 'handler', ARRAY['work'],
                                                       repeat_after => '1 hour')$$),
          :'alert_id'::text, 'the same name replaces the alert (same alert_id)');
SELECT is((SELECT events FROM jobs.alert_definition WHERE alert_id = :alert_id), '{failed,recovered}'::text[],
          'events default to failed and recovered');
SELECT is((SELECT repeat_after FROM jobs.alert_definition WHERE alert_id = :alert_id), interval '1 hour',
          'repeat_after defaults to 1 hour');
SELECT is((SELECT owner::text FROM jobs.alert_definition WHERE alert_id = :alert_id), 'alice',
          'the alert belongs to its caller');

-- Errors ------------------------------------------------------------------------------------
SELECT throws_ok($$SELECT pg_temp.as_role('alice', 'SELECT jobs.alert(''a'', ''handler'', events => ''{failed,exploded}'')')$$,
                 '22023', 'unknown alert event "exploded"', 'an unknown event is refused');
SELECT throws_ok($$SELECT pg_temp.as_role('alice', 'SELECT jobs.alert(''a'', ''handler'', events => ''{}'')')$$,
                 '22023', 'events must list at least one event', 'no events is refused');
SELECT throws_ok($$SELECT pg_temp.as_role('alice', 'SELECT jobs.alert(''a'', ''handler'', events => ''{long_running}'')')$$,
                 '22023', 'event long_running needs long_running_after', 'long_running needs long_running_after');
SELECT throws_ok($$SELECT pg_temp.as_role('alice', 'SELECT jobs.alert(''a'', ''handler'', long_running_after => ''1 minute'')')$$,
                 '22023', 'long_running_after is given but events do not list long_running',
                 'long_running_after without long_running is refused');
SELECT throws_ok($$SELECT pg_temp.as_role('alice', 'SELECT jobs.alert(''a'', ''nobody'')')$$,
                 '22023', 'handler job "nobody" does not exist', 'a missing handler is refused');
SELECT throws_ok($$SELECT pg_temp.as_role('alice', 'SELECT jobs.alert(''a'', ''root handler'')')$$,
                 '22023', 'handler job "root handler" does not exist',
                 'another role''s job is no handler (reported as missing)');
SELECT throws_ok($$SELECT pg_temp.as_role('alice', 'SELECT jobs.alert(''a'', ''handler'', ARRAY[''root work''])')$$,
                 '22023', 'job "root work" does not exist', 'another role''s job cannot be watched');
SELECT throws_ok($$SELECT pg_temp.as_role('alice', 'SELECT jobs.alert(''a'', ''handler'', repeat_after => ''0 seconds'')')$$,
                 '22023', NULL, 'repeat_after must be positive');
SELECT throws_ok($$SELECT pg_temp.as_role('alice', 'SELECT jobs.alert('''', ''handler'')')$$,
                 '22023', NULL, 'an empty alert name is refused');
SELECT throws_ok($$SELECT pg_temp.as_role('alice', 'SELECT jobs.drop_alert(''nope'')')$$,
                 '42704', 'alert "nope" does not exist', 'dropping a missing alert: 42704');
SELECT throws_ok($$SELECT pg_temp.as_role('bob', 'SELECT jobs.drop_alert(''work failed'')')$$,
                 '42704', 'alert "work failed" does not exist', 'bob cannot drop alice''s alert (it is missing to him)');
SELECT throws_ok($$SELECT pg_temp.as_role('bob', 'SELECT jobs_internal._alert_pass(''0 s'')')$$,
                 '42501', NULL, 'bob cannot run the alert pass');

-- Row level security ----------------------------------------------------------------------
SELECT is(pg_temp.as_role('bob', 'SELECT count(*) FROM jobs.alert_status'), '0', 'bob sees none of alice''s alerts');
SELECT is(pg_temp.as_role('bob', 'SELECT count(*) FROM jobs.alert_definition'), '0',
          'nor their definitions');
SELECT is(pg_temp.as_role('alice', 'SELECT count(*) FROM jobs.alert_status'), '1', 'alice sees her alert');
SELECT throws_ok($$SELECT pg_temp.as_role('bob', 'SELECT count(*) FROM jobs_internal._alert_event')$$, '42501', NULL,
                 'the events seen are not readable');
SELECT throws_ok($$SELECT pg_temp.as_role('bob', 'SELECT count(*) FROM jobs_internal._alert_pending')$$, '42501', NULL,
                 'nor the pending deliveries');

-- The pass --------------------------------------------------------------------------------
-- Runs written by hand, ended now; the pass with a window of 0 delivers at once.
CREATE FUNCTION pg_temp.ended(job bigint, job_name text, owner regrole, status text, attempt integer DEFAULT 1)
RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, status, triggered_by,
                                    queued_at, started_at, finished_at, attempt, error, sqlstate)
    VALUES (job, job_name, owner, owner::text, current_database(), 'SELECT 1 / 0', status, 'manual',
            clock_timestamp(), clock_timestamp(), clock_timestamp(), attempt,
            CASE WHEN status <> 'succeeded' THEN 'division by zero' END,
            CASE WHEN status <> 'succeeded' THEN '22012' END)
    RETURNING execution_id
$$;
CREATE FUNCTION pg_temp.handler_runs(job bigint) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM jobs.job_execution WHERE job_id = job AND status = 'queued'
$$;
SELECT pg_temp.ended(:work_job, 'work', 'alice', 'failed') AS failed_run \gset
SELECT cardinality(jobs_internal._pending_events()) AS events_before \gset
SELECT jobs_internal._alert_pass('0 seconds');
SELECT is((SELECT e::jsonb - 'alert_id' - 'execution_id'
           FROM unnest(jobs_internal._pending_events()) WITH ORDINALITY AS u(e, i)
           WHERE i > :events_before AND e::jsonb ->> 'event' = 'alert'),
          jsonb_build_object('event', 'alert', 'kind', 'failed', 'job_ids', jsonb_build_array(:work_job), 'count', 1),
          'the delivery is an alert event on jobs_events: ids, the kind and the count, never a name');
SELECT is(pg_temp.handler_runs(:handler_job), 1::bigint, 'a failed run with no retry left triggers the handler once');
SELECT is((SELECT concat_ws('|', payload ->> 'alert', payload ->> 'event', payload -> 'job' ->> 'job_name',
                              payload -> 'job' ->> 'owner', payload -> 'run' ->> 'execution_id',
                              payload -> 'run' ->> 'sqlstate', payload ->> 'summary', triggered_by, owner::text)
           FROM jobs.job_execution WHERE job_id = :handler_job),
          concat_ws('|', 'work failed', 'failed', 'work', 'alice', :failed_run, '22012',
                    'job "work" failed after 1 attempt: division by zero', 'manual', 'alice'),
          'the payload names the alert, the event, the job and the run; the handler runs as alice');
SELECT ok((SELECT payload ? 'firing_since' AND payload -> 'run' ? 'duration' AND payload -> 'run' ? 'http_status'
           FROM jobs.job_execution WHERE job_id = :handler_job), 'the payload has firing_since, duration, http_status');
SELECT is((SELECT concat_ws('|', firing, deliveries,
                             last_handler_execution_id = (SELECT max(execution_id) FROM jobs.job_execution
                                                          WHERE job_name = 'handler'), last_event)
           FROM jobs.alert_status WHERE alert_name = 'work failed'),
          't|1|t|failed', 'alert_status: firing, one delivery, its handler run');
SELECT is(pg_temp.as_role('alice', $$SELECT firing::text || ' ' || deliveries FROM jobs.alert_status$$), 'true 1',
          'alice reads her alert''s status');

-- Failing again within repeat_after: counted, not delivered; the pass sees each run once.
SELECT pg_temp.ended(:work_job, 'work', 'alice', 'failed');
SELECT jobs_internal._alert_pass('0 seconds');
SELECT jobs_internal._alert_pass('0 seconds');
SELECT is(pg_temp.handler_runs(:handler_job), 1::bigint, 'a job that keeps failing is not reported again within repeat_after');
SELECT is((SELECT suppressed FROM jobs.alert_status WHERE alert_name = 'work failed'), 1, 'the repeat is counted as suppressed');

-- Past repeat_after (made so by moving the last delivery back): delivered again.
UPDATE jobs_internal._alert_state SET last_failed_delivered_at = last_failed_delivered_at - interval '2 hours';
SELECT pg_temp.ended(:work_job, 'work', 'alice', 'failed');
SELECT jobs_internal._alert_pass('0 seconds');
SELECT is(pg_temp.handler_runs(:handler_job), 2::bigint, 'after repeat_after a failing job is reported again');

SELECT ok(EXISTS (SELECT FROM jobs.explain(:work_job) WHERE reason LIKE 'alert firing: "work failed" since %'),
          'jobs.explain shows the alert firing');
SELECT is(pg_temp.as_role('alice', $$SELECT count(*) FROM jobs.explain('work') WHERE reason LIKE 'alert firing: %'$$),
          '1', 'to alice too');

-- A run with a retry left is no failure yet.
SELECT pg_temp.ended(:work_job, 'work', 'alice', 'failed') AS retried_run \gset
INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, triggered_by, attempt, retry_of)
VALUES (:work_job, 'work', 'alice', 'alice', current_database(), 'SELECT 1 / 0', 'retry', 2, :retried_run);
UPDATE jobs_internal._alert_state SET last_failed_delivered_at = last_failed_delivered_at - interval '2 hours';
SELECT jobs_internal._alert_pass('0 seconds');
SELECT is(pg_temp.handler_runs(:handler_job), 2::bigint, 'a failed run whose retry is queued is not reported');

-- recovered: once.
SELECT pg_temp.ended(:work_job, 'work', 'alice', 'succeeded');
SELECT jobs_internal._alert_pass('0 seconds');
SELECT is(pg_temp.handler_runs(:handler_job), 3::bigint, 'the first success after the failure is reported');
SELECT is((SELECT payload ->> 'event' FROM jobs.job_execution WHERE job_id = :handler_job ORDER BY execution_id DESC LIMIT 1),
          'recovered', 'as recovered');
SELECT is((SELECT firing FROM jobs.alert_status WHERE alert_name = 'work failed'), false, 'the alert no longer fires');
SELECT pg_temp.ended(:work_job, 'work', 'alice', 'succeeded');
SELECT jobs_internal._alert_pass('0 seconds');
SELECT is(pg_temp.handler_runs(:handler_job), 3::bigint, 'later successes are not reported');
SELECT ok(EXISTS (SELECT FROM jobs.explain(:work_job) WHERE reason = 'alerts firing: none'),
          'once recovered, jobs.explain shows no alert firing');

-- Watching all of alice's jobs: other roles' jobs and the handler itself are not hers to watch.
SELECT pg_temp.as_role('alice', $$SELECT jobs.alert('all mine', 'handler')$$);
SELECT pg_temp.ended(:root_job, 'root work', 'postgres', 'failed');
SELECT pg_temp.ended(:handler_job, 'handler', 'alice', 'failed');
SELECT jobs_internal._alert_pass('0 seconds');
SELECT is(pg_temp.handler_runs(:handler_job), 3::bigint,
          'an alert over all of alice''s jobs ignores the superuser''s job and its own handler');

-- A batch: what one pass finds for one alert is one payload; the window holds it back.
SELECT pg_temp.ended(:work_job, 'work', 'alice', 'failed');
SELECT pg_temp.ended(:other_job, 'other', 'alice', 'failed');
SELECT jobs_internal._alert_pass('1 hour');
SELECT is(pg_temp.handler_runs(:handler_job), 3::bigint, 'within the window nothing is delivered yet');
SELECT is((SELECT count(*) FROM jobs_internal._alert_pending), 3::bigint, 'three events wait (two alerts)');
SELECT ok(jobs_internal._alert_pass('1 hour') <= clock_timestamp() + interval '1 hour',
          'the pass says when the batch is due');
SELECT jobs_internal._alert_pass('0 seconds');
SELECT is(pg_temp.handler_runs(:handler_job), 5::bigint, 'past the window: one delivery per alert');
SELECT is((SELECT concat_ws('|', payload ->> 'alert', payload ->> 'batched', payload ->> 'count', payload -> 'jobs',
                             payload ->> 'event', jsonb_array_length(payload -> 'items'))
           FROM jobs.job_execution WHERE job_id = :handler_job AND payload ->> 'alert' = 'all mine'),
          'all mine|true|2|["other", "work"]|failed|2', 'the batch lists both jobs');
SELECT is((SELECT count(*) FROM jobs_internal._alert_pending), 0::bigint, 'nothing is left pending');

-- The handler must still be the alert owner's job.
UPDATE jobs.scheduled_job SET owner = 'bob' WHERE job_id = :handler_job;
SELECT pg_temp.ended(:other_job, 'other', 'alice', 'succeeded');
SELECT jobs_internal._alert_pass('0 seconds');
SELECT is(pg_temp.handler_runs(:handler_job), 5::bigint, 'a handler that now belongs to another role is not triggered');
SELECT alike((SELECT last_error FROM jobs.alert_status WHERE alert_name = 'all mine' AND job_name = 'other'),
            '%now belongs to bob%', 'alert_status says why');
UPDATE jobs.scheduled_job SET owner = 'alice' WHERE job_id = :handler_job;

-- drop_alert
SELECT is(pg_temp.as_role('alice', $$SELECT jobs.drop_alert('all mine')$$), 'true', 'alice drops her alert');
SELECT is((SELECT count(*) FROM jobs_internal._alert_state s JOIN jobs.alert_definition d USING (alert_id)
           WHERE d.alert_name = 'all mine'), 0::bigint, 'its state goes with it');
SELECT is(jobs_internal._alert_pass('0 seconds') IS NOT NULL, true, 'the pass runs while an alert exists');
SELECT pg_temp.as_role('alice', $$SELECT jobs.drop_alert('work failed')$$);
SELECT is(jobs_internal._alert_pass('0 seconds'), NULL, 'with no alert left the pass says so (NULL)');

-- missed: a skipped scheduled time; the same skipped row counting another time is another event.
SELECT pg_temp.as_role('alice', $$SELECT jobs.alert('missed work', 'handler', ARRAY['work'], events => '{missed}')$$);
INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, status, triggered_by,
                                scheduled_for, finished_at, skipped_count, error)
VALUES (:work_job, 'work', 'alice', 'alice', current_database(), 'SELECT 1 / 0', 'skipped', 'schedule',
        date_trunc('second', clock_timestamp()), clock_timestamp(), 1,
        'skipped: the run 1 started at ... was still running (overlap skip)')
RETURNING execution_id AS skipped_run \gset
SELECT jobs_internal._alert_pass('0 seconds');
SELECT is((SELECT payload ->> 'event' || ' ' || (payload -> 'run' ->> 'execution_id')
           FROM jobs.job_execution WHERE job_id = :handler_job ORDER BY execution_id DESC LIMIT 1),
          'missed ' || :skipped_run, 'a skipped scheduled time is reported as missed');
UPDATE jobs.job_execution SET skipped_count = 2, finished_at = clock_timestamp() WHERE execution_id = :skipped_run;
SELECT jobs_internal._alert_pass('0 seconds');
SELECT is((SELECT suppressed FROM jobs.alert_status WHERE alert_name = 'missed work'), 1,
          'another skipped time within repeat_after is counted, not delivered');
SELECT is((SELECT deliveries FROM jobs.alert_status WHERE alert_name = 'missed work'), 1, 'one delivery');

SELECT * FROM finish();
ROLLBACK;
