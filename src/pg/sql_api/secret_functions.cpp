// SQL-callable checks behind jobs.set_secret and jobs.drop_secret: a
// secret's name and value are refused with 22023 and a hint; the rules live
// in src/core/secret_reference. No message repeats a value.
#include "core/secret_reference.hpp"
#include "pg/common/guard.hpp"

#include <optional>
#include <string_view>
#include <utility>

extern "C" {
#include "utils/builtins.h"
}

namespace pg_jobs::pg {
namespace {

std::string_view text_view(const text* value) {
    return {VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value)};
}

void raise_if(std::optional<secrets::SecretError> error) {
    if (error) {
        throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, std::move(error->message), "",
                        std::move(error->hint));
    }
}

// _check_secret_name(name)
Datum check_secret_name(FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(0)) {
        throw UserError(
            ERRCODE_NULL_VALUE_NOT_ALLOWED, "secret name must not be NULL", "",
            "Pass the name the job's headers refer to, e.g. 'api_token' for {{secret:api_token}}.");
    }
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    raise_if(secrets::check_name(text_view(PG_GETARG_TEXT_PP(0))));
    PG_RETURN_VOID();
}

// _check_secret_value(value)
Datum check_secret_value(FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(0)) {
        throw UserError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "secret value must not be NULL", "",
                        "Pass the value to send, or remove the secret with jobs.drop_secret.");
    }
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    raise_if(secrets::check_value(text_view(PG_GETARG_TEXT_PP(0))));
    PG_RETURN_VOID();
}

}  // namespace
}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_check_secret_name);
Datum pg_jobs_check_secret_name(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._check_secret_name",
                                    [&] { return pg_jobs::pg::check_secret_name(fcinfo); });
}

PG_JOBS_SQL_FUNCTION(pg_jobs_check_secret_value);
Datum pg_jobs_check_secret_value(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._check_secret_value",
                                    [&] { return pg_jobs::pg::check_secret_value(fcinfo); });
}
