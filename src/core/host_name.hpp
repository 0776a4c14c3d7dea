// Host names as URLs and allowlist patterns write them: checked character
// by character (so an error can point at the culprit) and compared in one
// normal form (lower case, no trailing dot).
#pragma once
#include "core/no_postgres.hpp"

#include <string>
#include <string_view>

namespace pg_jobs::http {

struct HostNameError {
    std::string message;  // "host name contains \"%\""
    std::string hint;
    int position = -1;  // 0-based byte offset within the name
};

// Letters, digits, '-' and '_' in dot-separated labels of 1-63 characters,
// 253 characters at most; one trailing dot allowed ("example.com.").
// International names must be written in their ASCII (xn--) form.
// Returns false and fills `error` otherwise.
bool check_host_name(std::string_view name, HostNameError* error);

// Lower case, without the trailing dot: the form names are compared in.
std::string normalize_host_name(std::string_view name);

// True when the last label is all digits or hexadecimal "0x..": resolvers
// read such names ("2852039166", "10.1", "0x7f.1") as IPv4 addresses in
// legacy forms, so they must be written as plain dotted addresses instead.
// No real top-level domain looks like that.
bool looks_like_legacy_ipv4(std::string_view name);

}  // namespace pg_jobs::http
