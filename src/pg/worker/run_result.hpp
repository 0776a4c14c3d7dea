// The result an SQL run records (issue 15; core/sql_result.hpp): the first
// row its command's last statement returned, as to_jsonb renders a row.
// Plain C-style functions: they may ereport, so the worker calls them
// through call_pg (they run inside run_command_as_owner).
#pragma once
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "executor/spi.h"
}

namespace pg_jobs::pg {

struct RunResult {
    const char* json = nullptr;  // the row as a JSON object; nullptr: no result
    bool over_limit = false;     // a first row whose JSON is over kSqlResultMaxBytes (json is nullptr)
};

// Renders the first row of `rows` (SPI_tuptable after the command: the last
// statement's rows; nullptr or empty: no result) and copies the JSON text
// into `into`. Output functions of the row's types run here: call it as the
// job's owner, in the run's transaction, while `rows` is still there
// (before SPI_finish). Its temporary memory is the current context's.
RunResult first_row_result(const SPITupleTable* rows, MemoryContext into);

}  // namespace pg_jobs::pg
