// jobs_internal._check_run_if(run_if, owner) (issue 15): the HTTP worker's
// check of a workflow run's run_if, right before the run starts (called by
// jobs_internal._start_workflow_runs). The check itself is
// common/run_condition.hpp: as the owner, security-restricted, limited in
// time. Returns (status, error, sqlstate): all NULL when the run_if holds;
// 'skipped' when it was false or NULL; 'failed' with its error otherwise.
#include "pg/common/guard.hpp"
#include "pg/common/run_condition.hpp"

extern "C" {
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
}

namespace pg_jobs::pg {
namespace {

constexpr int kColumns = 3;

Datum check_run_if(FunctionCallInfo fcinfo) {
    // It runs any SQL as any role: the scheduler's processes only (the
    // function has no EXECUTE for PUBLIC either).
    if (!superuser()) {
        throw UserError(ERRCODE_INSUFFICIENT_PRIVILEGE, "permission denied for jobs_internal._check_run_if",
                        "", "Only the scheduler checks a workflow's run_if.");
    }
    TupleDesc descriptor = nullptr;
    if (get_call_result_type(fcinfo, nullptr, &descriptor) != TYPEFUNC_COMPOSITE ||
        descriptor->natts != kColumns) {
        elog(ERROR, "pg_jobs: jobs_internal._check_run_if must return (status, error, sqlstate)");
    }
    descriptor = BlessTupleDesc(descriptor);
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    const char* run_if = text_to_cstring(PG_GETARG_TEXT_PP(0));
    const Oid owner = PG_GETARG_OID(1);
    PendingError failure;
    const RunIfAnswer answer = check_run_if_as_owner(run_if, owner, &failure);
    Datum values[kColumns] = {};
    bool nulls[kColumns] = {true, true, true};
    if (answer == RunIfAnswer::False) {
        values[0] = CStringGetTextDatum("skipped");
        values[1] = CStringGetTextDatum(kRunIfFalse);
        nulls[0] = nulls[1] = false;
    } else if (answer == RunIfAnswer::Failed) {
        values[0] = CStringGetTextDatum("failed");
        values[1] = CStringGetTextDatum(psprintf("%s%s", kRunIfErrorPrefix, run_if_failure_message(failure)));
        values[2] = CStringGetTextDatum(unpack_sql_state(run_if_failure_sqlstate(failure)));
        nulls[0] = nulls[1] = nulls[2] = false;
    }
    return HeapTupleGetDatum(heap_form_tuple(descriptor, values, nulls));
}

}  // namespace
}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_check_run_if);
Datum pg_jobs_check_run_if(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._check_run_if",
                                    [&] { return pg_jobs::pg::check_run_if(fcinfo); });
}
