-- pg_jobs 0.1.0 -> 0.2.0 (this file is run by ALTER EXTENSION pg_jobs UPDATE).
\echo Use "ALTER EXTENSION pg_jobs UPDATE TO '0.2.0'" to load this file. \quit

-------------------------------------------------------------------------------
-- perf: per-run cost (issue 11): job_execution_running is gone, each claim
-- updates one index fewer; job_execution_active_by_job (queued and running
-- runs) serves crash recovery and the stuck-run check.
-------------------------------------------------------------------------------
DROP INDEX IF EXISTS jobs.job_execution_running;

-------------------------------------------------------------------------------
-- perf: scheduled runs are queued a little ahead of their fire time, with
-- not_before = scheduled_for (issue 11): the comments say so.
-------------------------------------------------------------------------------
COMMENT ON COLUMN jobs.job_execution.not_before IS
'A queued run does not start before this time: a retry (its backoff), or a scheduled run queued ahead of its '
'fire time (then equal to scheduled_for).';
COMMENT ON INDEX jobs.job_execution_retry_due IS
'Queued runs that may not start before not_before (retries, runs queued ahead), earliest first, for the launcher''s sleep.';
