// The named SQL fragments the statements on runs are built from (see
// run_lifecycle.hpp and run_policy_sql.hpp). Macros of string literals:
// each statement stays a literal whose plan store_call.hpp keeps.
#pragma once
#include "core/run_status.hpp"

// Whether queued run `alias` may start as far as its backoff goes (a retry
// waits for not_before).
#define PG_JOBS_NOT_BEFORE_DUE_SQL(alias) \
    "(" alias ".not_before IS NULL OR " alias ".not_before <= clock_timestamp())"

// Whether run `alias` has finished (its status is final, core/run_status.hpp).
#define PG_JOBS_FINISHED_SQL(alias) alias ".status NOT IN " PG_JOBS_UNFINISHED_STATUSES_SQL

// The running guard of a statement that moves a run out of 'running': a run
// that is no longer running (cancelled, marked crashed) stays as it is.
#define PG_JOBS_STILL_RUNNING_SQL(alias) alias ".status = 'running'"

// Whether running run `alias`'s worker_pid is no live "pg_jobs ... worker" process.
#define PG_JOBS_WORKER_GONE_SQL(alias)        \
    "(" alias ".worker_pid IS NULL OR " alias \
    ".worker_pid NOT IN ( "                   \
    "SELECT a.pid FROM pg_stat_activity AS a WHERE a.backend_type LIKE 'pg\\_jobs %worker'))"

// The one way a run reaches a final status, as SQL (jobs_internal._finish_runs,
// whose body is finish_runs in run_lifecycle.cpp): from
// `from_status` (an SQL text expression), the runs of the bigint[] `ids`
// with the statuses text[] `statuses` and the rest of the arguments,
// which start with a comma (named arguments: errors, sqlstates,
// error_details, error_kinds, rows_affected, http_statuses, results,
// http_timings, started_ats, finished_ats, cancelled_by). Returns the
// number of runs moved.
#define PG_JOBS_FINISH_RUNS_CALL_SQL(from_status, ids, statuses, rest) \
    "jobs_internal._finish_runs(" from_status ", " ids ", " statuses rest ")"
#define PG_JOBS_FINISH_RUNS_SQL(from_status, ids, statuses, rest) \
    "SELECT " PG_JOBS_FINISH_RUNS_CALL_SQL(from_status, ids, statuses, rest)
