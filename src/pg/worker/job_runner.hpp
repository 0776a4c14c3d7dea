// Running one job's command inside an SQL worker, and leaving the session
// clean for the next run. Plain C-style functions: they may ereport, so the
// worker calls them through call_pg.
#pragma once
#include "pg/store/execution_store.hpp"
#include "pg/common/pg_headers.hpp"
#include "pg/common/run_condition.hpp"
#include "pg/worker/run_result.hpp"

namespace pg_jobs::pg {

// Runs the command in the current transaction (started, with an active
// snapshot) of a worker connected as the job's owner, which must be the
// run's owner (else an error): the owner's privileges, jobs.context(),
// the query shown in pg_stat_activity. A single CALL runs non-atomically,
// so the procedure may COMMIT. Returns the rows the command processed.
// opts (issue 15): first, when the job has a run_if, evaluates it the same
// way (same transaction, same rights); when it is false or NULL the command
// is not run and *run_if_false is set. An error of run_if is the run's error.
// *result: the first row of the command's last statement as JSON
// (run_result.hpp), rendered as the owner before SPI_finish and copied into
// the caller's memory context; none for a CALL, a standalone command, a
// last statement that returned no rows. An error while rendering it (an
// output function's) is the run's error.
uint64 run_command_as_owner(const ClaimedRun& run, bool* run_if_false, RunResult* result);

// True when the command of the run in progress ended the transaction it
// started in (a procedure's COMMIT). Ask before the run's transaction
// commits or aborts.
bool command_committed();

// Drops what a run can leave in the session, as DISCARD ALL does: cursors
// WITH HOLD, SET ROLE / SET SESSION AUTHORIZATION, every setting (back to
// the session's defaults), temporary tables, prepared statements,
// currval/lastval; in the current transaction. Not the plan cache: keeping
// it is what makes a persistent worker fast (it serves one owner).
void clean_session();

// Releases session-level advisory locks a run took; between transactions.
void release_session_locks();

}  // namespace pg_jobs::pg
