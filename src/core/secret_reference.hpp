// Secrets of HTTP jobs, by reference: a header value such as
// "Bearer {{secret:api_token}}" names a secret the job's owner stored with
// jobs.set_secret; the HTTP worker replaces the reference with the value
// right before the request. This file holds the pure rules: what a secret's
// name and value may be, how references are found and expanded, how used
// values are scrubbed from what a service answered, and which statements may
// carry a secret in their text (whose STATEMENT line the server log omits).
#pragma once
#include "core/no_postgres.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pg_jobs::secrets {

// Names: 1 to 63 characters of A-Z a-z 0-9 _ . -
inline constexpr size_t kMaxNameLength = 63;
// Values: 1 to 8192 bytes, a single line (tab allowed), as header values.
inline constexpr size_t kMaxValueLength = 8192;

inline constexpr std::string_view kReferenceOpen = "{{secret:";
inline constexpr std::string_view kReferenceClose = "}}";

struct SecretError {
    std::string message;  // never contains a value
    std::string hint;
    long position = -1;  // 1-based character in the header value, -1 if none
};

std::optional<SecretError> check_name(std::string_view name);
std::optional<SecretError> check_value(std::string_view value);

struct Reference {
    std::string name;
    size_t start = 0;   // offset of "{{secret:" in the header value
    size_t length = 0;  // up to and including "}}"
};

struct References {
    std::vector<Reference> found;      // in order
    std::optional<SecretError> error;  // the first malformed reference
};

// The references in a header value. "{{" that does not start "secret" (any
// case, spaces allowed after the braces) is plain text; one that does must
// be exactly "{{secret:NAME}}" with a valid NAME, or it is an error (so that
// "{{ secret:x }}" or "{{Secret:x}}" is refused rather than sent as is).
References find_references(std::string_view header_value);

// A secret's value, or nullopt when the owner has no secret of that name.
using Lookup = std::function<std::optional<std::string_view>(std::string_view name)>;

struct Expansion {
    std::string value;                 // the header value with every reference replaced
    std::string missing;               // the first name lookup did not know ("" if none)
    std::optional<SecretError> error;  // a malformed reference
    std::vector<std::string> used;     // the values put in, for scrub()
};

Expansion expand(std::string_view header_value, const Lookup& lookup);

// `text` with every occurrence of each non-empty value in `values` replaced
// by "***" (longest values first, so a value inside another goes too).
std::string scrub(std::string_view text, const std::vector<std::string>& values);

// Whether a statement's text may hold a secret value: it mentions
// set_secret, schedule_http, alter_http or schedule_email (a password
// passed as itself, which it refuses) (any case). The server log leaves
// out the STATEMENT line of such a statement when it fails.
bool statement_may_carry_secrets(std::string_view statement) noexcept;

}  // namespace pg_jobs::secrets
