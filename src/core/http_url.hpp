// Checks an HTTP job's URL when the job is defined, so a mistake is reported
// then (with its position) rather than at every run. Deliberately stricter
// than browsers: absolute http/https URLs only, no credentials in the URL,
// only printable ASCII (anything else must be percent-encoded), no numeric
// host forms other than dotted IPv4 and bracketed IPv6.
//
// At run time libcurl parses the URL again; the allowlist is then checked
// against the host libcurl uses and the address it connects to, so a
// disagreement between the two parsers cannot get past the policy.
#pragma once
#include "core/no_postgres.hpp"

#include <string>
#include <string_view>

namespace pg_jobs::http {

struct HttpUrl {
    std::string scheme;  // "http" or "https"
    std::string host;    // lower case, no trailing dot; IPv6 without brackets
    bool host_is_address = false;
    int port = 0;      // as written, or 80/443
    std::string path;  // path and query as written ("" or starting with "/" or "?")
};

struct UrlError {
    std::string message;  // "URL scheme \"ftp\" is not supported"
    std::string hint;     // "Only http and https URLs can be called."
    int position = -1;    // 0-based byte offset, -1 if none
};

struct UrlParseResult {
    bool ok = false;
    HttpUrl url;
    UrlError error;
};

// URLs longer than this are refused (servers commonly refuse beyond 8 kB).
inline constexpr size_t kMaxUrlLength = 8192;

UrlParseResult parse_http_url(std::string_view text);

}  // namespace pg_jobs::http
