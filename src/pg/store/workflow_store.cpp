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

uint64 start_workflow_runs(bool with_conditions, int max_runs, Oid only_owner) {
    Oid types[3] = {BOOLOID, INT4OID, OIDOID};
    Datum values[3] = {BoolGetDatum(with_conditions), Int32GetDatum(max_runs), ObjectIdGetDatum(only_owner)};
    const char nulls[3] = {' ', max_runs > 0 ? ' ' : 'n', OidIsValid(only_owner) ? ' ' : 'n'};
    const int nest = begin_store_call();
    execute_stored("SELECT jobs_internal._start_workflow_runs($1, $2, $3)", 3, types, values, nulls,
                   SPI_OK_SELECT);
    bool is_null = true;
    const Datum value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null);
    end_store_call(nest);
    return is_null ? 0 : static_cast<uint64>(DatumGetInt32(value));
}

bool next_conditional_workflow_owner(Oid after, Oid* owner) {
    Oid types[1] = {OIDOID};
    Datum values[1] = {ObjectIdGetDatum(after)};
    const int nest = begin_store_call();
    execute_stored("SELECT q.owner::oid FROM jobs.job_execution AS q WHERE q.status = 'queued' AND q.kind = 'workflow' "
                   "AND " PG_JOBS_NOT_BEFORE_DUE_SQL("q") " AND coalesce((SELECT j.run_if IS NOT NULL "
                   "FROM jobs.scheduled_job AS j WHERE j.job_id = q.job_id), false) "
                   "ORDER BY q.owner::oid <= $1, q.owner::oid, q.execution_id LIMIT 1",
                   1, types, values, nullptr, SPI_OK_SELECT);
    const bool found = SPI_processed > 0;
    if (found) {
        bool is_null = false;
        *owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null));
    }
    end_store_call(nest);
    return found;
}

}  // namespace pg_jobs::pg
