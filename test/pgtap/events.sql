-- pgTAP: events on channel jobs_events (issue 13). NOTIFY sends at commit
-- and this file never commits, so what a transaction will send is read with
-- jobs_internal._pending_events(): the payloads (ids only) of run_finished from
-- jobs_internal._finish_runs and of job_changed from the job triggers, as
-- jobs.notify_events lets them through; a rolled-back savepoint takes its
-- events with it; jobs_internal._notify_event's checks; who may set the setting and
-- call the functions. The claims' run_started and the delivery itself are
-- tested with real workers in test/integration/events.sh.
-- Run from the repository root: pg_prove test/pgtap/events.sql
\ir lib/begin.sql

SELECT plan(31);

CREATE ROLE pgtap_events_eve;
GRANT USAGE ON SCHEMA jobs TO pgtap_events_eve;

-- The payloads queued since there were `n`, as jsonb, in order.
CREATE FUNCTION pg_temp.events_after(n integer) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT coalesce(jsonb_agg(e::jsonb ORDER BY i), '[]')
    FROM unnest(jobs_internal._pending_events()) WITH ORDINALITY AS u(e, i) WHERE i > n
$$;
CREATE FUNCTION pg_temp.queued() RETURNS integer
LANGUAGE sql AS $$ SELECT cardinality(jobs_internal._pending_events()) $$;
-- A run of job `job` in `status`, made by hand as the scheduler would have.
CREATE FUNCTION pg_temp.run_of(job bigint, status text) RETURNS bigint
LANGUAGE sql AS $$
    INSERT INTO jobs.job_execution (job_id, job_name, owner, database, command, triggered_by, status, started_at,
                                    worker_pid)
    SELECT j.job_id, j.job_name, j.owner, j.database, j.command, 'manual', status,
           CASE WHEN status <> 'queued' THEN clock_timestamp() END, CASE WHEN status = 'running' THEN 1 END
    FROM jobs.scheduled_job AS j WHERE j.job_id = job
    RETURNING execution_id
$$;

-- The setting.
SELECT is(current_setting('jobs.notify_events'), 'finished', 'jobs.notify_events is finished by default');
SELECT throws_ok($$SET LOCAL jobs.notify_events = 'sometimes'$$, '22023', NULL,
                 'jobs.notify_events takes off, finished or all only');
SELECT throws_ok($$SELECT pg_temp.as_role('pgtap_events_eve', 'SET LOCAL jobs.notify_events = off')$$, '42501',
                 NULL, 'a role that is not a superuser may not change jobs.notify_events');
SELECT is(pg_temp.queued(), 0, 'nothing is queued yet');

-- finished: run_finished, no job_changed.
SELECT pg_temp.queued() AS n \gset
SELECT jobs.schedule('pgtap events secret name', NULL, 'SELECT 1 AS secret_command') AS job \gset
SELECT is(pg_temp.events_after(:n), '[]', 'finished: creating a job sends nothing');
SELECT pg_temp.run_of(:job, 'running') AS run1 \gset
SELECT pg_temp.queued() AS n \gset
SELECT jobs_internal._finish_runs('running', ARRAY[:run1]::bigint[], '{failed}', errors => '{secret error text}');
SELECT is(pg_temp.events_after(:n),
          jsonb_build_array(jsonb_build_object('event', 'run_finished', 'execution_id', :run1, 'job_id', :job,
                                               'status', 'failed', 'attempt', 1)),
          'finished: a run that fails queues run_finished with its ids, status and attempt');
SELECT is((SELECT count(*) FROM jsonb_object_keys(pg_temp.events_after(:n) -> 0)), 5::bigint,
          'and nothing else: five keys');

-- all: job_changed for each kind of change, run_finished for each run.
SET LOCAL jobs.notify_events = 'all';
SELECT pg_temp.queued() AS n \gset
SELECT jobs.alter(:job, command => 'SELECT 2 AS secret_command');
SELECT jobs.disable(:job);
SELECT jobs.enable(:job);
SELECT is(pg_temp.events_after(:n),
          jsonb_build_array(jsonb_build_object('event', 'job_changed', 'job_id', :job, 'change', 'altered'),
                            jsonb_build_object('event', 'job_changed', 'job_id', :job, 'change', 'disabled'),
                            jsonb_build_object('event', 'job_changed', 'job_id', :job, 'change', 'enabled')),
          'all: altering, disabling and enabling a job queue job_changed altered, disabled, enabled');
SELECT pg_temp.queued() AS n \gset
UPDATE jobs.scheduled_job SET command = command WHERE job_id = :job;
SELECT is(pg_temp.events_after(:n), '[]', 'all: an update that changes nothing sends nothing');

SELECT pg_temp.queued() AS n \gset
SELECT pg_temp.as_role('pgtap_events_eve', $$SELECT jobs.schedule('eve secret job', NULL, 'SELECT 3')$$)::bigint
    AS eve_job \gset
SELECT is(pg_temp.events_after(:n),
          jsonb_build_array(jsonb_build_object('event', 'job_changed', 'job_id', :eve_job, 'change', 'created')),
          'all: a job created by an unprivileged role queues job_changed created');

SELECT pg_temp.run_of(:job, 'running') AS run2 \gset
SELECT pg_temp.run_of(:job, 'running') AS run3 \gset
SELECT pg_temp.queued() AS n \gset
SELECT jobs_internal._finish_runs('running', ARRAY[:run2, :run3]::bigint[], '{succeeded,timed_out}');
SELECT is(pg_temp.events_after(:n),
          jsonb_build_array(
              jsonb_build_object('event', 'run_finished', 'execution_id', :run2, 'job_id', :job,
                                 'status', 'succeeded', 'attempt', 1),
              jsonb_build_object('event', 'run_finished', 'execution_id', :run3, 'job_id', :job,
                                 'status', 'timed_out', 'attempt', 1)),
          'all: one run_finished per run a set-based finish moves, each with its status');
SELECT pg_temp.queued() AS n \gset
SELECT jobs_internal._finish_runs('running', ARRAY[:run2]::bigint[], '{failed}');
SELECT is(pg_temp.events_after(:n), '[]', 'a finish that moves nothing sends nothing');

SELECT pg_temp.run_of(:job, 'queued') AS run4 \gset
SELECT pg_temp.queued() AS n \gset
SELECT jobs.cancel(:run4);
SELECT is(pg_temp.events_after(:n) -> 0 ->> 'status', 'cancelled', 'jobs.cancel of a queued run sends run_finished cancelled');

SELECT pg_temp.queued() AS n \gset
SELECT jobs.unschedule(:job);
SELECT is(pg_temp.events_after(:n),
          jsonb_build_array(jsonb_build_object('event', 'job_changed', 'job_id', :job, 'change', 'dropped')),
          'all: unscheduling a job queues job_changed dropped');

-- Subtransactions: a rolled-back savepoint takes its events along.
SELECT pg_temp.queued() AS n \gset
SAVEPOINT undone;
SELECT jobs.schedule('pgtap events undone', NULL, 'SELECT 1');
SAVEPOINT inner_kept;
SELECT jobs.schedule('pgtap events undone 2', NULL, 'SELECT 1');
RELEASE SAVEPOINT inner_kept;
ROLLBACK TO SAVEPOINT undone;
SELECT is(pg_temp.events_after(:n), '[]', 'a rolled-back savepoint (and the one released inside it) sends nothing');
SAVEPOINT kept;
SELECT jobs.schedule('pgtap events kept', NULL, 'SELECT 1') AS kept_job \gset
RELEASE SAVEPOINT kept;
SELECT is(pg_temp.events_after(:n),
          jsonb_build_array(jsonb_build_object('event', 'job_changed', 'job_id', :kept_job, 'change', 'created')),
          'a released savepoint keeps its events');

-- No payload carries a name, a command or an error text.
SELECT is((SELECT count(*) FROM unnest(jobs_internal._pending_events()) AS e, jsonb_each(e::jsonb) AS f
           WHERE jsonb_typeof(f.value) = 'string'
             AND f.value #>> '{}' NOT IN ('run_started', 'run_finished', 'job_changed', 'failed', 'succeeded',
                                          'timed_out', 'cancelled', 'created', 'altered', 'disabled', 'enabled',
                                          'dropped')), 0::bigint,
          'no queued payload carries a text of its own (job name, command, role, error): event, status and change words only');
SELECT is((SELECT count(*) FROM unnest(jobs_internal._pending_events()) AS e WHERE e ~ '(secret|pgtap|SELECT)'), 0::bigint,
          'nor a job name, command or error text anywhere');
SELECT is((SELECT count(*) FROM unnest(jobs_internal._pending_events()) AS e
           WHERE NOT (e::jsonb ?& '{event, job_id}')), 0::bigint, 'every payload has event and job_id');

-- off: nothing.
SET LOCAL jobs.notify_events = 'off';
SELECT pg_temp.queued() AS n \gset
SELECT jobs.schedule('pgtap events off', NULL, 'SELECT 1') AS off_job \gset
SELECT pg_temp.run_of(:off_job, 'running') AS run5 \gset
SELECT jobs_internal._finish_runs('running', ARRAY[:run5]::bigint[], '{succeeded}');
SELECT jobs.unschedule(:off_job);
SELECT is(pg_temp.events_after(:n), '[]', 'off: no run or job event');

-- jobs_internal._notify_event: which events each setting lets through.
SELECT is(jobs_internal._notify_event('{"event": "alert", "alert_id": 1}'), false, 'off: an alert is not sent');
SET LOCAL jobs.notify_events = 'finished';
SELECT pg_temp.queued() AS n \gset
SELECT is(jobs_internal._notify_event('{"event": "alert", "alert_id": 1, "job_id": 7}'), true, 'finished: an alert is sent');
SELECT is(jobs_internal._notify_event('{"event": "run_started", "execution_id": 1}'), false,
          'finished: run_started is not');
SELECT is(jobs_internal._notify_event('{"event": "job_changed", "job_id": 1}'), false, 'finished: job_changed is not');
SELECT is(pg_temp.events_after(:n), '[{"event": "alert", "job_id": 7, "alert_id": 1}]',
          'the alert is queued as given');
SET LOCAL jobs.notify_events = 'all';
SELECT is(jobs_internal._notify_event('{"event": "job_changed", "job_id": 1}'), true, 'all: job_changed is sent');
SELECT throws_ok($$SELECT jobs_internal._notify_event('[1]')$$, '22023', NULL, 'a payload that is not an object is refused');
SELECT throws_ok($$SELECT jobs_internal._notify_event('{"job_id": 1}')$$, '22023', NULL, 'a payload without an event is refused');
SELECT throws_ok(format($$SELECT jobs_internal._notify_event(%L)$$, jsonb_build_object('event', 'alert', 'x', repeat('x', 8000))),
                 '22023', NULL, 'a payload too long for NOTIFY is refused when queued, not at commit');

-- Who may call the functions.
SELECT ok(NOT has_function_privilege('pgtap_events_eve', 'jobs_internal._notify_event(jsonb)', 'EXECUTE'),
          'an unprivileged role may not call jobs_internal._notify_event');
SELECT ok(NOT has_function_privilege('pgtap_events_eve', 'jobs_internal._pending_events()', 'EXECUTE'),
          'nor jobs_internal._pending_events');

SELECT * FROM finish();
ROLLBACK;
