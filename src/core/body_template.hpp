// Placeholders in a message a job sends (an HTTP body with send => 'body',
// an e-mail's subject and text): "{{payload.summary}}" is replaced, when the
// run starts, by the value at that path of the run's context (the object
// jobs.context() returns). This file holds the pure rules: where the
// placeholders are, what a path may be, which paths can be known when the job
// is defined, and how values are put in (JSON-escaped inside a JSON body, on
// one line in a subject). Looking values up is the caller's (the glue reads
// the context's jsonb). Secret references ({{secret:NAME}}) are not
// placeholders: they are left as written for the HTTP worker.
#pragma once
#include "core/no_postgres.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pg_jobs::templates {

// A path is 1 to 8 keys separated by dots; a key is 1 to 63 letters,
// digits, underscores or hyphens (array elements by their index: items.0).
inline constexpr size_t kMaxPathKeys = 8;
inline constexpr size_t kMaxKeyLength = 63;

struct TemplateError {
    std::string message;
    std::string hint;
    long position = -1;  // 1-based character in the text, -1 if none
};

struct Placeholder {
    std::vector<std::string> path;
    size_t start = 0;   // offset of "{{"
    size_t length = 0;  // up to and including "}}"
};

struct Placeholders {
    std::vector<Placeholder> found;      // in order
    std::optional<TemplateError> error;  // the first malformed placeholder
};

// The placeholders in `text`: "{{", optional blanks, a path, optional
// blanks, "}}". A "{{" that starts a secret reference is skipped; any other
// "{{" must start a well-formed placeholder, or it is an error (so a typo is
// refused when the job is defined rather than sent as is).
Placeholders find_placeholders(std::string_view text);

// The context's top-level keys, known when a job is defined, and the one
// whose contents are not (what jobs.trigger passes).
const std::vector<std::string_view>& context_keys();
inline constexpr std::string_view kPayloadKey = "payload";

// An error for the first placeholder whose path cannot exist in any run's
// context: its first key is not a context key, or it goes below a key that
// holds a plain value. Paths below "payload" are only known at run time.
std::optional<TemplateError> check_paths(const Placeholders& placeholders);

// How a value is written into the text.
enum class Escaping {
    json_string,  // inside a JSON string: quotes, backslashes, control characters escaped
    one_line,     // a header such as an e-mail subject: line breaks become spaces
    plain,        // as is
};

// The value at a path as text (a JSON string's contents, or the JSON text of
// a number, boolean, object or array), or nullopt when the path is absent.
using Lookup = std::function<std::optional<std::string>(const std::vector<std::string>& path)>;

// `text` with every placeholder replaced by its value, escaped; an absent
// path becomes "". `placeholders` must come from find_placeholders(text)
// without error.
std::string render(std::string_view text, const Placeholders& placeholders, const Lookup& lookup,
                   Escaping escaping);

// `value` escaped to stand inside a JSON string (without the quotes).
std::string json_escape(std::string_view value);

}  // namespace pg_jobs::templates
