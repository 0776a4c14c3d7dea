// Commands PostgreSQL runs only outside a transaction block (VACUUM, CREATE
// INDEX CONCURRENTLY, REINDEX ... CONCURRENTLY, CREATE DATABASE, ...; see
// common/command_syntax.hpp), run by a worker as a client's top-level
// statement would be, as pg_cron does. Plain C-style functions: they may
// ereport, so the worker calls them through call_pg.
#pragma once
#include "pg/common/pg_headers.hpp"

namespace pg_jobs::pg {

// When `command` is one such statement: runs it as a top-level statement of
// the current transaction (started with StartTransactionCommand, not in a
// transaction block, with an active snapshot), which the statement may
// commit and restart itself (VACUUM does), commits what it leaves as
// PostgreSQL does right after such a statement, and starts a fresh
// transaction with an active snapshot for the run's bookkeeping, which so
// commits separately. Returns false (having done nothing) for any other
// command.
bool run_standalone_command(const char* command);

}  // namespace pg_jobs::pg
