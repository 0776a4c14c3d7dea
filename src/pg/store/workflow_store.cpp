// flow: the launcher's part of workflows; see workflow_store.hpp.
#include "core/run_status.hpp"
#include "pg/store/workflow_store.hpp"

#include "pg/store/run_lifecycle_sql.hpp"
#include "pg/store/store_call.hpp"

extern "C" {
#include "executor/spi.h"
}

namespace pg_jobs::pg {

bool has_queued_workflow_runs(bool with_conditions) {
    Oid types[1] = {BOOLOID};
    Datum values[1] = {BoolGetDatum(with_conditions)};
    return execute_counted("SELECT FROM jobs.job_execution AS q WHERE q.status = 'queued' AND q.kind = 'workflow' "
                           "AND " PG_JOBS_NOT_BEFORE_DUE_SQL("q") " AND coalesce((SELECT j.run_if IS NOT NULL "
                           "FROM jobs.scheduled_job AS j WHERE j.job_id = q.job_id), false) = $1 LIMIT 1",
                           1, types, values, nullptr, SPI_OK_SELECT) > 0;
}

uint64 start_workflow_runs(bool with_conditions, int max_runs) {
    Oid types[2] = {BOOLOID, INT4OID};
    Datum values[2] = {BoolGetDatum(with_conditions), Int32GetDatum(max_runs)};
    const char nulls[2] = {' ', max_runs > 0 ? ' ' : 'n'};
    const int nest = begin_store_call();
    execute_stored("SELECT jobs_internal._start_workflow_runs($1, $2)", 2, types, values, nulls,
                   SPI_OK_SELECT);
    bool is_null = true;
    const Datum value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null);
    end_store_call(nest);
    return is_null ? 0 : static_cast<uint64>(DatumGetInt32(value));
}

}  // namespace pg_jobs::pg
