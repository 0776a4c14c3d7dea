// Request headers of HTTP jobs: what a header may contain, and which values
// are secrets that views and logs show as "***".
#pragma once
#include "core/no_postgres.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace pg_jobs::http {

inline constexpr std::string_view kRedactedValue = "***";

// Authorization, Proxy-Authorization, Cookie, Set-Cookie, and any name
// containing "token", "key" or "secret" (case-insensitive: X-Api-Key,
// X-Auth-Token, Client-Secret...).
bool is_secret_header(std::string_view name);

// `value`, or "***" when the header's name looks secret.
std::string_view redact_header_value(std::string_view name, std::string_view value);

struct HeaderError {
    std::string message;  // "header \"X-Trace\" has a line break in its value"
    std::string hint;
};

// A header is usable when its name is an HTTP token (letters, digits and
// !#$%&'*+-.^_`|~) and its value has no control character other than tab
// (a line break would start a second header: header injection). Host,
// Content-Length and Transfer-Encoding are refused: libcurl derives them
// from the URL and the body, and a second, different copy would make the
// request ambiguous.
std::optional<HeaderError> check_header(std::string_view name, std::string_view value);

}  // namespace pg_jobs::http
