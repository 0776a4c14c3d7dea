// How the scheduler's processes run their own SQL against the jobs tables
// (execution_store.cpp, http_store.cpp, history_retention.cpp): an SPI
// connection with a safe search_path and no JIT for the length of one call,
// and statements whose plans are prepared once per process. Each may
// ereport: call them from glue code (inside call_pg).
#pragma once
#include "pg/common/pg_headers.hpp"

namespace pg_jobs::pg {

// Connects SPI with search_path = pg_catalog, pg_temp and jit = off; returns
// the GUC nest level to give end_store_call.
int begin_store_call();

// Disconnects SPI and restores the settings.
void end_store_call(int nest_level);

// Runs `sql` (a string literal: its address names the cached plan) with the
// parameters, and raises an error unless SPI returns `expected`.
void execute_stored(const char* sql, int nargs, Oid* types, Datum* values, const char* nulls, int expected);

// One statement in a store call of its own (begin_store_call, execute_stored,
// end_store_call): returns the number of rows it processed.
uint64 execute_counted(const char* sql, int nargs, Oid* types, Datum* values, const char* nulls,
                       int expected);

// Kept plans are made again as tables grow (see store_call.cpp). Both
// functions below free plans, so they are called only between statements,
// from a process's main loop, never while a store call runs.
//
// Drops every kept plan: the launcher after a full reload.
void forget_kept_plans();

// Drops the kept plans due to be made again (used twice as often as when
// last made, or a minute old): the launcher and workers between their runs.
void renew_kept_plans();

}  // namespace pg_jobs::pg
