// jobs.context(): the running job's context as jsonb, NULL outside a job.
#include "pg/worker/job_context.hpp"
#include "pg/common/guard.hpp"
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "utils/fmgrprotos.h"
}

namespace pg_jobs::pg {
namespace {
const char* current_context_json = nullptr;
}

void set_job_context(const char* json) {
    current_context_json = json;
}

void clear_job_context() {
    current_context_json = nullptr;
}

// Plain C calls only (no C++ objects alive), so jsonb_in may ereport.
Datum job_context(FunctionCallInfo fcinfo) {
    if (current_context_json == nullptr) {
        PG_RETURN_NULL();
    }
    return DirectFunctionCall1(jsonb_in, CStringGetDatum(current_context_json));
}

}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_context);
Datum pg_jobs_context(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs.context", [&] { return pg_jobs::pg::job_context(fcinfo); });
}
