// Mail server URLs; see smtp_url.hpp.
#include "core/smtp_url.hpp"

#include <string>

namespace pg_jobs::mail {

namespace {

char to_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool starts_with_icase(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) {
        return false;
    }
    for (size_t i = 0; i < prefix.size(); ++i) {
        if (to_lower(text[i]) != prefix[i]) {
            return false;
        }
    }
    return true;
}

http::UrlParseResult refused(std::string message, std::string hint, int position) {
    http::UrlParseResult result;
    result.error = {std::move(message), std::move(hint), position};
    return result;
}

constexpr std::string_view kHint = "Write the mail server as smtp://host[:port] or smtps://host[:port].";

}  // namespace

http::UrlParseResult parse_smtp_url(std::string_view text) {
    // "smtp" and "http", "smtps" and "https" have the same length: the HTTP
    // rules read the rest of the URL, and their positions stay true.
    std::string as_http(text);
    bool tls = false;
    if (starts_with_icase(text, "smtps://")) {
        as_http.replace(0, 5, "https");
        tls = true;
    } else if (starts_with_icase(text, "smtp://")) {
        as_http.replace(0, 4, "http");
    } else {
        const size_t colon = text.find(':');
        const std::string scheme(text.substr(0, colon == std::string_view::npos ? 0 : colon));
        return refused(scheme.empty() ? "the mail server URL has no scheme"
                                      : "URL scheme \"" + scheme + "\" is not supported for e-mail",
                       std::string(kHint), 0);
    }
    const size_t authority = as_http.find("//") + 2;
    const size_t at = as_http.find('@', authority);
    const size_t end = as_http.find_first_of("/?#", authority);
    if (at != std::string::npos && (end == std::string::npos || at < end)) {
        // No position: the error's DETAIL would echo the URL, password and all.
        return refused("the mail server URL must not hold a login",
                       "Pass username => and password => '{{secret:NAME}}' instead.", -1);
    }
    http::UrlParseResult result = http::parse_http_url(as_http);
    if (!result.ok) {
        result.error.message = "invalid mail server URL: " + result.error.message;
        if (result.error.hint.find("http") != std::string::npos) {
            result.error.hint = std::string(kHint);
        }
        return result;
    }
    if (!result.url.path.empty() && result.url.path != "/") {
        return refused("the mail server URL must not have a path or query", std::string(kHint),
                       static_cast<int>(end == std::string::npos ? 0 : end));
    }
    result.url.scheme = tls ? "smtps" : "smtp";
    const bool default_http_port =
        result.url.port == (tls ? 443 : 80) &&
        as_http.find(":" + std::to_string(result.url.port), authority) == std::string::npos;
    if (default_http_port) {
        result.url.port = tls ? 465 : 25;
    }
    return result;
}

}  // namespace pg_jobs::mail
