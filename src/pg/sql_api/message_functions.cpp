// SQL-callable checks behind send => 'body' (jobs.schedule_http,
// jobs.alter_http) and jobs.schedule_email: placeholders, the mail server
// URL, addresses and the login are refused when the job is defined, not at
// every run. The rules live in src/core (body_template, smtp_url,
// mail_message, secret_reference).
#include "core/body_template.hpp"
#include "core/host_allowlist.hpp"
#include "core/mail_message.hpp"
#include "core/secret_reference.hpp"
#include "core/smtp_url.hpp"
#include "pg/common/caret_detail.hpp"
#include "pg/common/guard.hpp"
#include "pg/common/gucs.hpp"
#include "pg/http/http_allowlist.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

namespace pg_jobs::pg {
namespace {

// A text argument, or nullptr when it is NULL.
const char* text_argument(FunctionCallInfo fcinfo, int n) {
    if (PG_ARGISNULL(n)) {
        return nullptr;
    }
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    return call_pg([&] { return text_to_cstring(PG_GETARG_TEXT_PP(n)); });
}

// The elements of a text[] argument (NULL elements as nullptr). Plain C calls.
const char** text_array(Datum value, int* count) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    ArrayType* array = DatumGetArrayTypeP(value);
    Datum* elements = nullptr;
    bool* nulls = nullptr;
    deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elements, &nulls, count);
    auto* result = static_cast<const char**>(palloc0(sizeof(char*) * Max(*count, 1)));
    for (int i = 0; i < *count; ++i) {
        // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
        result[i] = nulls[i] ? nullptr : text_to_cstring(DatumGetTextPP(elements[i]));
    }
    return result;
}

// Raises 22023 when `text` has a malformed placeholder or one whose path
// cannot exist in a run's context; `what` says where ("body", "subject").
void check_template(std::string_view text, const std::string& what) {
    templates::Placeholders found = templates::find_placeholders(text);
    std::optional<templates::TemplateError> error = std::move(found.error);
    if (!error) {
        error = templates::check_paths(found);
    }
    if (!error) {
        return;
    }
    std::string detail;
    if (error->position > 0) {
        detail = "in " + what + " at character " + std::to_string(error->position) + ":\n" +
                 caret_detail(text, static_cast<int>(error->position - 1));
    }
    throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, what + ": " + error->message, std::move(detail),
                    std::move(error->hint));
}

// _template_check(template, what)
Datum template_check(FunctionCallInfo fcinfo) {
    const char* text = text_argument(fcinfo, 0);
    const char* what = text_argument(fcinfo, 1);
    if (text != nullptr) {
        check_template(text, what != nullptr ? what : "template");
    }
    PG_RETURN_VOID();
}

void check_mail_server(std::string_view url) {
    http::UrlParseResult parsed = mail::parse_smtp_url(url);
    if (!parsed.ok) {
        std::string detail;
        if (parsed.error.position >= 0) {
            detail = caret_detail(url, parsed.error.position);
        }
        throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, "smtp_url: " + parsed.error.message,
                        std::move(detail), std::move(parsed.error.hint));
    }
    http::HostVerdict verdict = current_http_allowlist().check_host(parsed.url.host);
    if (!verdict.allowed && !verdict.decided_at_run_time) {
        throw UserError(ERRCODE_INSUFFICIENT_PRIVILEGE, std::move(verdict.message),
                        "jobs.http_allowed_hosts is \"" + std::string(http_allowed_hosts()) +
                            "\"; it applies to mail servers as to web servers.",
                        verdict.hint.empty() ? "A superuser can allow the host in jobs.http_allowed_hosts."
                                             : std::move(verdict.hint));
    }
}

void check_address(const char* address, const char* what) {
    if (address == nullptr) {
        throw UserError(ERRCODE_NULL_VALUE_NOT_ALLOWED, std::string(what) + " must not be NULL", "",
                        "Write a bare address such as reports@example.com.");
    }
    if (std::optional<mail::MailError> error = mail::check_address(address)) {
        throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, std::string(what) + ": " + error->message, "",
                        std::move(error->hint));
    }
}

// The login: none, or a user name (literal or secret references) and a
// password that is exactly one secret reference (never a literal value).
void check_login(const char* username, const char* password) {
    if (username == nullptr && password == nullptr) {
        return;
    }
    if (username == nullptr || password == nullptr || *username == '\0') {
        throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, "a login needs both username and password", "",
                        "Pass username => 'reports' and password => '{{secret:smtp_password}}', or neither.");
    }
    if (std::optional<secrets::SecretError> error = secrets::find_references(username).error) {
        throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, "username: " + error->message, "",
                        std::move(error->hint));
    }
    const secrets::References references = secrets::find_references(password);
    const std::string_view whole(password);
    if (references.error || references.found.size() != 1 || references.found.front().start != 0 ||
        references.found.front().length != whole.size()) {
        // The value itself is never quoted: it may be a literal password.
        throw UserError(ERRCODE_INVALID_PARAMETER_VALUE,
                        "password must be a secret reference such as {{secret:smtp_password}}",
                        "A password written into a job would be readable in its definition.",
                        "Store it with SELECT jobs.set_secret('smtp_password', '...'); then pass password => "
                        "'{{secret:smtp_password}}'.");
    }
}

// _email_check(smtp_url, mail_from, mail_to, subject, body, username, password)
Datum email_check(FunctionCallInfo fcinfo) {
    const char* url = text_argument(fcinfo, 0);
    if (url == nullptr) {
        throw UserError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "smtp_url must not be NULL", "",
                        "Pass the mail server, for example 'smtp://mail.example.com:587'.");
    }
    check_mail_server(url);
    check_address(text_argument(fcinfo, 1), "mail_from");
    if (PG_ARGISNULL(2)) {
        throw UserError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "mail_to must not be NULL", "",
                        "Pass mail_to => ARRAY['ops@example.com'].");
    }
    int count = 0;
    const char** to = call_pg([&] { return text_array(PG_GETARG_DATUM(2), &count); });
    std::vector<std::string> recipients;
    for (int i = 0; i < count; ++i) {
        if (to[i] == nullptr) {
            throw UserError(ERRCODE_NULL_VALUE_NOT_ALLOWED,
                            "mail_to: recipient " + std::to_string(i + 1) + " is NULL", "",
                            "Remove it from the array.");
        }
        recipients.emplace_back(to[i]);
    }
    if (std::optional<mail::MailError> error = mail::check_recipients(recipients)) {
        throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, "mail_to: " + error->message, "",
                        std::move(error->hint));
    }
    const char* subject = text_argument(fcinfo, 3);
    const char* body = text_argument(fcinfo, 4);
    if (subject == nullptr || body == nullptr) {
        throw UserError(
            ERRCODE_NULL_VALUE_NOT_ALLOWED,
            std::string(subject == nullptr ? "subject" : "body") + " must not be NULL", "",
            "Pass a text (it may be empty, and may hold placeholders such as {{payload.summary}}).");
    }
    check_template(subject, "subject");
    check_template(body, "body");
    check_login(text_argument(fcinfo, 5), text_argument(fcinfo, 6));
    std::string command = "mail to ";
    for (size_t i = 0; i < recipients.size(); ++i) {
        command += (i == 0 ? "" : ", ") + recipients[i];
    }
    command += std::string(" via ") + url;
    return call_pg([&] {
        return PointerGetDatum(cstring_to_text_with_len(command.data(), static_cast<int>(command.size())));
    });
}

}  // namespace
}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_template_check);
Datum pg_jobs_template_check(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._template_check",
                                    [&] { return pg_jobs::pg::template_check(fcinfo); });
}

PG_JOBS_SQL_FUNCTION(pg_jobs_email_check);
Datum pg_jobs_email_check(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._email_check", [&] { return pg_jobs::pg::email_check(fcinfo); });
}
