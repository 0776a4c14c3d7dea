// jobs_internal._is_job_kind(text), _is_run_status(text) and
// _is_run_trigger(text): the CHECK constraints on the text columns kind,
// status and triggered_by of jobs.scheduled_job and jobs.job_execution.
// See row_values.hpp for why a function call rather than an IN list: every
// claim and every recorded end of a run reads the table's CHECK expressions
// again. IMMUTABLE STRICT, plain C calls only under run_guarded.
#include "core/row_values.hpp"
#include "core/run_status.hpp"
#include "pg/common/guard.hpp"
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "utils/builtins.h"
}

#include <string_view>

namespace pg_jobs::pg {
namespace {

template <typename Check>
Datum check_text_argument(FunctionCallInfo fcinfo, Check check) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    const text* value = PG_GETARG_TEXT_PP(0);
    const std::string_view view(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
    PG_RETURN_BOOL(check(view));
}

}  // namespace
}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_is_job_kind);
Datum pg_jobs_is_job_kind(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._is_job_kind", [&] {
        return pg_jobs::pg::check_text_argument(fcinfo,
                                                [](std::string_view v) { return pg_jobs::is_job_kind(v); });
    });
}

PG_JOBS_SQL_FUNCTION(pg_jobs_is_run_status);
Datum pg_jobs_is_run_status(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._is_run_status", [&] {
        return pg_jobs::pg::check_text_argument(
            fcinfo, [](std::string_view v) { return pg_jobs::parse_run_status(v).has_value(); });
    });
}

PG_JOBS_SQL_FUNCTION(pg_jobs_is_run_trigger);
Datum pg_jobs_is_run_trigger(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._is_run_trigger", [&] {
        return pg_jobs::pg::check_text_argument(
            fcinfo, [](std::string_view v) { return pg_jobs::is_run_trigger(v); });
    });
}
