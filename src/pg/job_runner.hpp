// Running one job's command inside an SQL worker, and leaving the session
// clean for the next run. Plain C-style functions: they may ereport, so the
// worker calls them through call_pg.
#pragma once
#include "pg/execution_store.hpp"
#include "pg/pg_headers.hpp"

namespace pg_jobs::pg {

// Runs the command as the job's owner in the current transaction (started,
// with an active snapshot): the owner's role and privileges, jobs.context(),
// the query shown in pg_stat_activity. A single CALL runs non-atomically,
// so the procedure may COMMIT. Returns the rows the command processed.
uint64 run_command_as_owner(const ClaimedRun& run);

// True when the command of the run in progress ended the transaction it
// started in (a procedure's COMMIT): SET commands it ran before then outlive
// the run. Ask before the run's transaction commits or aborts.
bool command_committed();

// Drops what a run can leave in the session (temporary tables, prepared
// statements, cursors WITH HOLD, currval/lastval, and with
// `reset_settings` every SET), in the current transaction. Not the plan
// cache: keeping it is what makes a persistent worker fast.
void clean_session(bool reset_settings);

// Releases session-level advisory locks a run took; between transactions.
void release_session_locks();

}  // namespace pg_jobs::pg
