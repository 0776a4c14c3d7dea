// Secret header names and header syntax.
#include "core/http_headers.hpp"

#include <algorithm>
#include <cstring>

namespace pg_jobs::http {

namespace {

constexpr char to_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view lower) {
    return a.size() == lower.size() &&
           std::equal(a.begin(), a.end(), lower.begin(), [](char x, char y) { return to_lower(x) == y; });
}

bool icontains(std::string_view text, std::string_view lower) {
    return std::search(text.begin(), text.end(), lower.begin(), lower.end(),
                       [](char x, char y) { return to_lower(x) == y; }) != text.end();
}

bool is_token_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

std::string quoted(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

}  // namespace

bool is_secret_header(std::string_view name) {
    static constexpr std::string_view kExact[] = {"authorization", "proxy-authorization", "cookie",
                                                  "set-cookie"};
    static constexpr std::string_view kParts[] = {"token", "key", "secret"};
    return std::any_of(std::begin(kExact), std::end(kExact),
                       [&](std::string_view e) { return iequals(name, e); }) ||
           std::any_of(std::begin(kParts), std::end(kParts),
                       [&](std::string_view p) { return icontains(name, p); });
}

std::string_view redact_header_value(std::string_view name, std::string_view value) {
    return is_secret_header(name) ? kRedactedValue : value;
}

std::optional<HeaderError> check_header(std::string_view name, std::string_view value) {
    if (name.empty()) {
        return HeaderError{"header name is empty",
                           "Give each header a name, e.g. {\"X-Request-Source\": \"cron\"}."};
    }
    if (!std::all_of(name.begin(), name.end(), is_token_char)) {
        return HeaderError{
            "header name " + quoted(name) + " contains a character not allowed in header names",
            "Header names use letters, digits and - (no spaces, colons or line breaks)."};
    }
    static constexpr std::string_view kDerived[] = {"host", "content-length", "transfer-encoding"};
    if (std::any_of(std::begin(kDerived), std::end(kDerived),
                    [&](std::string_view d) { return iequals(name, d); })) {
        return HeaderError{"header " + quoted(name) + " cannot be set",
                           "It is derived from the URL and the body."};
    }
    const bool bad_value = std::any_of(value.begin(), value.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return (byte < 0x20 && byte != '\t') || byte == 0x7f;
    });
    if (bad_value) {
        return HeaderError{
            "header " + quoted(name) + " has a control character (such as a line break) in its value",
            "Header values are a single line of text."};
    }
    return std::nullopt;
}

}  // namespace pg_jobs::http
