// jobs.max_payload_size: how large a payload (jobs.trigger) or an HTTP job's
// body may be. Measured on the jsonb value as stored, without detoasting or
// printing it: a run's context is built as JSON text, which is at most about
// six times that size, so the limit (at most 64 MB) keeps it far from the
// 1 GB a string may hold. Plain C calls only: ereport may longjmp here.
#include "pg/gucs.hpp"
#include "pg/pg_headers.hpp"

extern "C" {
#include "access/detoast.h"
#include "utils/builtins.h"
#include "utils/guc.h"
}

namespace pg_jobs::pg {
namespace {

// Bytes of the jsonb value, without its varlena header.
long jsonb_bytes(Datum value) {
    return static_cast<long>(toast_raw_datum_size(value)) - VARHDRSZ;
}

const char* limit_text() {
    return GetConfigOptionByName("jobs.max_payload_size", nullptr, false);  // with its unit: "1MB"
}

// NULL, or why a run with this payload and config (HTTP body) cannot start.
Datum payload_refusal(FunctionCallInfo fcinfo) {
    const long limit = max_payload_bytes();
    const char* names[2] = {"payload", "HTTP body (config)"};
    for (int i = 0; i < 2; ++i) {
        if (PG_ARGISNULL(i)) {
            continue;
        }
        const long bytes = jsonb_bytes(PG_GETARG_DATUM(i));
        if (bytes > limit) {
            PG_RETURN_TEXT_P(
                cstring_to_text(psprintf("the run's %s is %ld bytes, more than jobs.max_payload_size (%s)",
                                         names[i], bytes, limit_text())));
        }
    }
    PG_RETURN_NULL();
}

// Raises 54000 if the value is larger than jobs.max_payload_size.
Datum check_payload_size(FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(0)) {
        PG_RETURN_VOID();
    }
    const long bytes = jsonb_bytes(PG_GETARG_DATUM(0));
    const long limit = max_payload_bytes();
    if (bytes > limit) {
        // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
        const char* what = PG_ARGISNULL(1) ? "payload" : text_to_cstring(PG_GETARG_TEXT_PP(1));
        ereport(ERROR,
                (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                 errmsg("%s is %ld bytes, more than jobs.max_payload_size (%s)", what, bytes, limit_text()),
                 errdetail("The size is that of the jsonb value."),
                 errhint("Pass a smaller %s (keep large data in a table and pass its key), or ask a "
                         "superuser to raise jobs.max_payload_size.",
                         what)));
    }
    PG_RETURN_VOID();
}

}  // namespace
}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_payload_refusal);
Datum pg_jobs_payload_refusal(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::payload_refusal(fcinfo);
}

PG_JOBS_SQL_FUNCTION(pg_jobs_check_payload_size);
Datum pg_jobs_check_payload_size(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::check_payload_size(fcinfo);
}
