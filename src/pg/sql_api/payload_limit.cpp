// jobs.max_payload_size: how large a payload (jobs.trigger) or an HTTP job's
// body may be, both as the stored jsonb value and as the JSON text a run's
// context is built from. The text is measured without printing it (numbers
// are printed one at a time, and counting stops past the limit): a jsonb
// number such as 1e131071 takes a few bytes but prints 131072 digits, so the
// jsonb size alone does not bound the text. With the limit at most 64 MB the
// context stays far from the 1 GB a string may hold. Plain C calls only:
// ereport may longjmp here.
#include "pg/common/gucs.hpp"
#include "pg/common/guard.hpp"
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "access/detoast.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
}

namespace pg_jobs::pg {
namespace {

const char* limit_text() {
    return GetConfigOptionByName("jobs.max_payload_size", nullptr, false);  // with its unit: "1MB"
}

// Characters a JSON string takes once quoted and escaped as jsonb_out does.
long quoted_length(const char* text, int length) {
    long total = 2;
    for (int i = 0; i < length; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
            total += 2;
        } else if (c < 0x20) {
            total += 6;  // \u00XX
        } else {
            total += 1;
        }
    }
    return total;
}

long scalar_length(const JsonbValue& value) {
    switch (value.type) {
        case jbvNull:
            return 4;
        case jbvBool:
            return 5;
        case jbvString:
            return quoted_length(value.val.string.val, value.val.string.len);
        case jbvNumeric: {
            const Datum printed = DirectFunctionCall1(numeric_out, NumericGetDatum(value.val.numeric));
            // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
            char* text = DatumGetCString(printed);
            const long length = static_cast<long>(strlen(text));
            pfree(text);
            return length;
        }
        default:
            return 32;  // dates and the like never occur in stored jsonb
    }
}

// The length of the value as JSON text (as jsonb_out writes it, counting
// ", " and ": " separators generously), or a number above `stop` as soon as
// it passes it.
long json_text_length(Jsonb* jsonb, long stop) {
    JsonbIterator* iterator = JsonbIteratorInit(&jsonb->root);
    JsonbValue value;
    JsonbIteratorToken token;
    long total = 0;
    while ((token = JsonbIteratorNext(&iterator, &value, false)) != WJB_DONE) {
        switch (token) {
            case WJB_BEGIN_ARRAY:
            case WJB_BEGIN_OBJECT:
            case WJB_END_ARRAY:
            case WJB_END_OBJECT:
                total += 1;
                break;
            case WJB_KEY:
                total += quoted_length(value.val.string.val, value.val.string.len) + 2;  // ": "
                break;
            case WJB_VALUE:
            case WJB_ELEM:
                total += scalar_length(value) + 2;  // ", "
                break;
            default:
                break;
        }
        if (total > stop) {
            break;
        }
    }
    return total;
}

// NULL if the value is within the limit, else why not (palloc'd), starting
// with what = "payload" or the like.
char* oversize_reason(Datum value, const char* what) {
    const long limit = max_payload_bytes();
    // Checked first, without detoasting the value.
    const long stored = static_cast<long>(toast_raw_datum_size(value)) - VARHDRSZ;
    if (stored > limit) {
        return psprintf("%s is %ld bytes as jsonb, more than jobs.max_payload_size (%s)", what, stored,
                        limit_text());
    }
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    Jsonb* jsonb = DatumGetJsonbP(value);
    const long text = json_text_length(jsonb, limit);
    if (text > limit) {
        return psprintf("%s is more than jobs.max_payload_size (%s) as JSON text", what, limit_text());
    }
    return nullptr;
}

// NULL, or why a run with this payload and config (HTTP body) cannot start.
Datum payload_refusal(FunctionCallInfo fcinfo) {
    const char* names[2] = {"the run's payload", "the job's HTTP body"};
    for (int i = 0; i < 2; ++i) {
        if (PG_ARGISNULL(i)) {
            continue;
        }
        char* reason = oversize_reason(PG_GETARG_DATUM(i), names[i]);
        if (reason != nullptr) {
            PG_RETURN_TEXT_P(cstring_to_text(reason));
        }
    }
    PG_RETURN_NULL();
}

// Raises 54000 if the value is larger than jobs.max_payload_size.
Datum check_payload_size(FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(0)) {
        PG_RETURN_VOID();
    }
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    const char* what = PG_ARGISNULL(1) ? "payload" : text_to_cstring(PG_GETARG_TEXT_PP(1));
    const char* reason = oversize_reason(PG_GETARG_DATUM(0), what);
    if (reason != nullptr) {
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("%s", reason),
                        errdetail("The limit applies to the jsonb value and to its JSON text, which the job "
                                  "receives."),
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
    return pg_jobs::pg::run_guarded("jobs_internal._payload_refusal",
                                    [&] { return pg_jobs::pg::payload_refusal(fcinfo); });
}

PG_JOBS_SQL_FUNCTION(pg_jobs_check_payload_size);
Datum pg_jobs_check_payload_size(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._check_payload_size",
                                    [&] { return pg_jobs::pg::check_payload_size(fcinfo); });
}
