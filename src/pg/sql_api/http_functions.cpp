// SQL-callable checks behind jobs.schedule_http and jobs.alter_http: the
// URL, method and headers of an HTTP job are refused when the job is defined
// (with the position of a URL error), not at every run. The rules themselves
// live in src/core (http_url, http_method, http_headers, host_allowlist).
#include "core/host_allowlist.hpp"
#include "core/http_headers.hpp"
#include "core/http_method.hpp"
#include "core/http_url.hpp"
#include "core/secret_reference.hpp"
#include "pg/common/caret_detail.hpp"
#include "pg/common/guard.hpp"
#include "pg/http/http_allowlist.hpp"
#include "pg/common/gucs.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

extern "C" {
#include "utils/builtins.h"
#include "utils/jsonb.h"
}

namespace pg_jobs::pg {
namespace {

struct Header {
    const char* name;
    const char* value;
};

// The headers argument as name/value pairs; a clear error unless it is an
// object of strings. Plain C calls only (runs inside call_pg).
Header* read_headers(Jsonb* headers, int* count) {
    if (JB_ROOT_IS_SCALAR(headers) || !JB_ROOT_IS_OBJECT(headers)) {
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("headers must be a JSON object"),
                 errhint("Pass names and values, for example '{\"Authorization\": \"Bearer ...\"}'.")));
    }
    auto* result = static_cast<Header*>(palloc0(sizeof(Header) * Max(JB_ROOT_COUNT(headers), 1)));
    int found = 0;
    JsonbIterator* iterator = JsonbIteratorInit(&headers->root);
    JsonbValue value;
    JsonbIteratorToken token;
    while ((token = JsonbIteratorNext(&iterator, &value, true)) != WJB_DONE) {
        if (token == WJB_KEY) {
            result[found].name = pnstrdup(value.val.string.val, value.val.string.len);
        } else if (token == WJB_VALUE) {
            if (value.type != jbvString) {
                ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                                errmsg("header \"%s\" must have a string value", result[found].name),
                                errhint("Quote the value: {\"%s\": \"...\"}.", result[found].name)));
            }
            result[found].value = pnstrdup(value.val.string.val, value.val.string.len);
            ++found;
        }
    }
    *count = found;
    return result;
}

void check_url(std::string_view url) {
    http::UrlParseResult parsed = http::parse_http_url(url);
    if (!parsed.ok) {
        std::string detail;
        if (parsed.error.position >= 0) {
            detail = caret_detail(url, parsed.error.position);
        }
        throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, "invalid URL: " + parsed.error.message,
                        std::move(detail), std::move(parsed.error.hint));
    }
    http::HostVerdict verdict = current_http_allowlist().check_host(parsed.url.host);
    if (!verdict.allowed && !verdict.decided_at_run_time) {
        throw UserError(ERRCODE_INSUFFICIENT_PRIVILEGE, std::move(verdict.message),
                        "jobs.http_allowed_hosts is \"" + std::string(http_allowed_hosts()) + "\".",
                        verdict.hint.empty() ? "A superuser can allow the host in jobs.http_allowed_hosts."
                                             : std::move(verdict.hint));
    }
}

std::string_view check_method(std::string_view method) {
    const std::optional<std::string_view> normalized = http::normalize_http_method(method);
    if (!normalized) {
        throw UserError(ERRCODE_INVALID_PARAMETER_VALUE,
                        "unknown HTTP method \"" + std::string(method) + "\"", "",
                        "Use one of " + std::string(http::kHttpMethodList) + ".");
    }
    return *normalized;
}

// _http_check(url, method, headers): the method in upper case, or an error.
Datum http_check(FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(0)) {
        throw UserError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "url must not be NULL", "",
                        "Pass the URL to call, for example 'https://example.com/hooks/cleanup'.");
    }
    if (PG_ARGISNULL(1)) {
        throw UserError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "method must not be NULL", "",
                        "Leave it out for POST, or use one of " + std::string(http::kHttpMethodList) + ".");
    }
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    const char* url = call_pg([&] { return text_to_cstring(PG_GETARG_TEXT_PP(0)); });
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    const char* method = call_pg([&] { return text_to_cstring(PG_GETARG_TEXT_PP(1)); });
    int header_count = 0;
    const Header* headers = nullptr;
    if (!PG_ARGISNULL(2)) {
        // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
        headers = call_pg([&] { return read_headers(PG_GETARG_JSONB_P(2), &header_count); });
    }
    check_url(url);
    const std::string_view verb = check_method(method);
    for (int i = 0; i < header_count; ++i) {
        if (std::optional<http::HeaderError> error = http::check_header(headers[i].name, headers[i].value)) {
            throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, std::move(error->message), "",
                            std::move(error->hint));
        }
        // The value itself is never quoted: it may hold a literal secret.
        if (std::optional<secrets::SecretError> error = secrets::find_references(headers[i].value).error) {
            throw UserError(ERRCODE_INVALID_PARAMETER_VALUE,
                            "header \"" + std::string(headers[i].name) + "\": " + error->message, "",
                            std::move(error->hint));
        }
    }
    return call_pg([&] {
        return PointerGetDatum(cstring_to_text_with_len(verb.data(), static_cast<int>(verb.size())));
    });
}

// _is_secret_header(name): whether views and logs show the value as ***.
Datum is_secret_header(FunctionCallInfo fcinfo) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    const text* name = PG_GETARG_TEXT_PP(0);
    return BoolGetDatum(http::is_secret_header(std::string_view(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name))));
}

}  // namespace
}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_http_check);
Datum pg_jobs_http_check(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._http_check", [&] { return pg_jobs::pg::http_check(fcinfo); });
}

PG_JOBS_SQL_FUNCTION(pg_jobs_is_secret_header);
Datum pg_jobs_is_secret_header(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._is_secret_header",
                                    [&] { return pg_jobs::pg::is_secret_header(fcinfo); });
}
