-- pg_jobs 0.1.0 -> 0.2.0 (this file is run by ALTER EXTENSION pg_jobs UPDATE).
\echo Use "ALTER EXTENSION pg_jobs UPDATE TO '0.2.0'" to load this file. \quit

-------------------------------------------------------------------------------
-- perf: per-run cost (issue 11): job_execution_running is gone, each claim
-- updates one index fewer; job_execution_active_by_job (queued and running
-- runs) serves crash recovery and the stuck-run check.
-------------------------------------------------------------------------------
DROP INDEX IF EXISTS jobs.job_execution_running;
