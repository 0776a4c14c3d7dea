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

// Drops the plans kept so far: the next call of each plans it afresh. A kept
// plan is re-planned when a table's definition changes, not when its size
// does, so one made over a few rows (a seq scan) would stay after a load of
// 100,000 jobs until an ANALYZE. The launcher calls this after a full reload
// and at each upkeep pass.
void forget_kept_plans();

}  // namespace pg_jobs::pg
