// jobs_internal._finish_runs(from_status, ids, statuses, errors, ...): the one way a
// run reaches a final status, for the plpgsql functions (jobs.cancel,
// jobs.unschedule, DROP OWNED) and the set-based statements of the store.
// Its body is the store's own statement (run_lifecycle.hpp), so C++ and SQL
// finish runs alike. Internal: EXECUTE is revoked from PUBLIC; it runs with
// the caller's rights (the scheduler, or a SECURITY DEFINER function).
#include "core/run_status.hpp"
#include "pg/common/guard.hpp"
#include "pg/store/run_lifecycle.hpp"

namespace pg_jobs::pg {
namespace {

Datum finish_runs_function(FunctionCallInfo fcinfo) {
    Datum values[kFinishRunsArgs];
    bool nulls[kFinishRunsArgs];
    for (int i = 0; i < kFinishRunsArgs; ++i) {
        nulls[i] = i >= PG_NARGS() || PG_ARGISNULL(i);
        values[i] = nulls[i] ? static_cast<Datum>(0) : PG_GETARG_DATUM(i);
    }
    PG_RETURN_INT64(static_cast<int64>(finish_runs(values, nulls, false)));
}

}  // namespace
}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_finish_runs);
Datum pg_jobs_finish_runs(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._finish_runs",
                                    [&] { return pg_jobs::pg::finish_runs_function(fcinfo); });
}
