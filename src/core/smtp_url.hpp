// The mail server of an e-mail job: smtp://host[:port] (STARTTLS when the
// server offers it) or smtps://host[:port] (TLS from the start). The rules of
// http_url.hpp apply to the host, the port and the length; a path, query or
// login in the URL is refused (the login comes from a secret reference).
#pragma once
#include "core/no_postgres.hpp"

#include "core/http_url.hpp"

#include <string_view>

namespace pg_jobs::mail {

// `url.scheme` is "smtp" or "smtps"; the port defaults to 25 and 465.
http::UrlParseResult parse_smtp_url(std::string_view text);

}  // namespace pg_jobs::mail
