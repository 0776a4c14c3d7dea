// flow: the launcher's part of workflows; see workflow_store.hpp.
#include "core/run_status.hpp"
#include "pg/store/workflow_store.hpp"

#include "pg/store/run_lifecycle_sql.hpp"
#include "pg/store/store_call.hpp"

extern "C" {
#include "executor/spi.h"
}

namespace pg_jobs::pg {

bool has_queued_workflow_runs() {
    return execute_counted(
               "SELECT FROM jobs.job_execution AS q WHERE q.status = 'queued' AND q.kind = 'workflow' "
               "AND " PG_JOBS_NOT_BEFORE_DUE_SQL("q") " LIMIT 1",
               0, nullptr, nullptr, nullptr, SPI_OK_SELECT) > 0;
}

uint64 start_workflow_runs() {
    const int nest = begin_store_call();
    execute_stored("SELECT jobs_internal._start_workflow_runs()", 0, nullptr, nullptr, nullptr, SPI_OK_SELECT);
    bool is_null = true;
    const Datum value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null);
    end_store_call(nest);
    return is_null ? 0 : static_cast<uint64>(DatumGetInt32(value));
}

}  // namespace pg_jobs::pg
