// jobs_internal._own_job_id(job_name): the job_id of the calling role's job of that
// name, for the public functions that take a job's name (jobs.alter,
// jobs.trigger, ...: SQL functions the planner inlines into the call of the
// job_id version). In C so that a name the caller has no job of is reported
// as PostgreSQL's own commands report a missing object: message, DETAIL and
// HINT, with no CONTEXT line naming an internal function.
//
// Runs as the caller (not SECURITY DEFINER): GetUserId() is the caller, who
// sees its own jobs in jobs.scheduled_job. Plain C calls only under
// run_guarded: an error travels through no C++ frame that owns anything.
#include "pg/common/guard.hpp"
#include "pg/common/pg_headers.hpp"
#include "pg/sql_api/schedule_batch.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
}

namespace pg_jobs::pg {
namespace {

// Planned once per backend (jobs.trigger('name') in a loop pays for the
// lookup, not for planning it). The plan cache re-plans it when the table
// changes, and for another current user (row level security applies).
SPIPlanPtr lookup_plan = nullptr;

Datum own_job_id(FunctionCallInfo fcinfo) {
    const Oid caller = GetUserId();
    schedule_batch::flush();  // jobs this statement created so far, before looking one up
    if (PG_ARGISNULL(0)) {
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("job \"<NULL>\" does not exist"),
                        errhint("Pass the name of one of your jobs.")));
    }
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    text* job_name = PG_GETARG_TEXT_PP(0);
    if (SPI_connect() != SPI_OK_CONNECT) {
        elog(ERROR, "pg_jobs: SPI_connect failed");
    }
    if (lookup_plan == nullptr) {
        Oid types[2] = {OIDOID, TEXTOID};
        SPIPlanPtr plan = SPI_prepare(
            "SELECT j.job_id FROM jobs.scheduled_job AS j "
            "WHERE j.owner OPERATOR(pg_catalog.=) $1::pg_catalog.regrole "
            "AND j.job_name OPERATOR(pg_catalog.=) $2",
            2, types);
        if (plan == nullptr || SPI_keepplan(plan) != 0) {
            elog(ERROR, "pg_jobs: preparing the job lookup failed: %s", SPI_result_code_string(SPI_result));
        }
        lookup_plan = plan;
    }
    Datum values[2] = {ObjectIdGetDatum(caller), PointerGetDatum(job_name)};
    const int rc = SPI_execute_plan(lookup_plan, values, nullptr, true, 1);
    if (rc != SPI_OK_SELECT) {
        elog(ERROR, "pg_jobs: looking up a job by name failed: %s", SPI_result_code_string(rc));
    }
    bool found = false;
    int64 job_id = 0;
    if (SPI_processed > 0) {
        bool isnull = true;
        const Datum value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
        if (!isnull) {
            found = true;
            job_id = DatumGetInt64(value);
        }
    }
    SPI_finish();
    if (!found) {
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                        errmsg("job \"%s\" does not exist", text_to_cstring(job_name)),
                        errdetail("Job names are looked up among the jobs of role \"%s\".",
                                  GetUserNameFromId(caller, false)),
                        errhint("List your jobs with SELECT job_name FROM jobs.job_status; create one with "
                                "jobs.schedule.")));
    }
    PG_RETURN_INT64(job_id);
}

}  // namespace
}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_own_job_id);
Datum pg_jobs_own_job_id(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._own_job_id", [&] { return pg_jobs::pg::own_job_id(fcinfo); });
}
