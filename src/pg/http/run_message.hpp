// What an HTTP run with send => 'body', or an e-mail run, sends: the job's
// texts with their {{path}} placeholders filled from the run's context (the
// object jobs.context() returns), and an e-mail's RFC 5322 message. Used by
// the HTTP worker only; the rules are core's (body_template, mail_message).
#pragma once
#include "core/body_template.hpp"
#include "pg/common/pg_headers.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace pg_jobs::pg {

// `text` with each placeholder replaced by the value at its path in
// `context_json` (escaped as `escaping` says; an absent path or a JSON null
// gives ""). nullopt, with *error set, when the text has a malformed
// placeholder (refused when the job is defined, so only a job changed by hand
// in the table gets here). May throw PgError (out of memory, bad JSON).
std::optional<std::string> fill_placeholders(std::string_view text, const char* context_json,
                                             templates::Escaping escaping, std::string* error);

}  // namespace pg_jobs::pg
