// Placeholders in the messages jobs send; see body_template.hpp.
#include "core/body_template.hpp"

#include <algorithm>
#include <cstdio>

namespace pg_jobs::templates {

namespace {

constexpr std::string_view kOpen = "{{";
constexpr std::string_view kClose = "}}";
constexpr std::string_view kSecretWord = "secret";
constexpr std::string_view kHint =
    "Write a placeholder as {{payload.key}} or {{job_name}}: keys of jobs.context() separated by dots, "
    "each of letters, digits, underscores or hyphens.";

bool is_key_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

char to_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

TemplateError malformed(size_t offset, std::string_view what) {
    return TemplateError{
        "malformed placeholder at character " + std::to_string(offset + 1) + ": " + std::string(what),
        std::string(kHint), static_cast<long>(offset + 1)};
}

// Whether the "{{" at `at` starts a secret reference (left to the HTTP worker,
// which also refuses a malformed one).
bool starts_secret_reference(std::string_view text, size_t at) {
    size_t word = at + kOpen.size();
    while (word < text.size() && is_blank(text[word])) {
        ++word;
    }
    const std::string_view rest = text.substr(word);
    return rest.size() >= kSecretWord.size() &&
           std::equal(kSecretWord.begin(), kSecretWord.end(), rest.begin(),
                      [](char s, char t) { return to_lower(t) == s; });
}

// Parses the placeholder whose "{{" is at `at`.
std::optional<TemplateError> parse_one(std::string_view text, size_t at, Placeholder* out) {
    size_t i = at + kOpen.size();
    while (i < text.size() && is_blank(text[i])) {
        ++i;
    }
    std::vector<std::string> path;
    for (;;) {
        const size_t key_start = i;
        while (i < text.size() && is_key_char(text[i])) {
            ++i;
        }
        if (i == key_start) {
            return malformed(i, i < text.size() ? "expected a key (letters, digits, _ or -)"
                                                : "the placeholder is not closed by }}");
        }
        if (i - key_start > kMaxKeyLength) {
            return malformed(key_start, "a key is longer than 63 characters");
        }
        path.emplace_back(text.substr(key_start, i - key_start));
        if (i < text.size() && text[i] == '.') {
            ++i;
            continue;
        }
        break;
    }
    if (path.size() > kMaxPathKeys) {
        return malformed(at, "a path has at most 8 keys");
    }
    while (i < text.size() && is_blank(text[i])) {
        ++i;
    }
    if (text.substr(i, kClose.size()) != kClose) {
        return malformed(
            i, i < text.size() ? "expected }} after the path" : "the placeholder is not closed by }}");
    }
    out->path = std::move(path);
    out->start = at;
    out->length = i + kClose.size() - at;
    return std::nullopt;
}

// The keys of the context that hold objects (a path may go below them).
bool holds_object(std::string_view key) {
    return key == kPayloadKey;
}

std::string one_line(std::string_view value) {
    std::string out(value);
    std::replace_if(
        out.begin(), out.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
    return out;
}

}  // namespace

Placeholders find_placeholders(std::string_view text) {
    Placeholders result;
    for (size_t at = text.find(kOpen); at != std::string_view::npos; at = text.find(kOpen, at)) {
        if (starts_secret_reference(text, at)) {
            const size_t close = text.find(kClose, at + kOpen.size());
            at = close == std::string_view::npos ? text.size() : close + kClose.size();
            continue;
        }
        Placeholder placeholder;
        if (auto error = parse_one(text, at, &placeholder)) {
            result.error = std::move(error);
            return result;
        }
        at = placeholder.start + placeholder.length;
        result.found.push_back(std::move(placeholder));
    }
    return result;
}

const std::vector<std::string_view>& context_keys() {
    static const std::vector<std::string_view> keys = {"job_id",       "job_name",          "execution_id",
                                                       "triggered_by", "triggered_by_user", "scheduled_for",
                                                       "attempt",      kPayloadKey};
    return keys;
}

std::optional<TemplateError> check_paths(const Placeholders& placeholders) {
    const auto& keys = context_keys();
    for (const Placeholder& placeholder : placeholders.found) {
        const std::string& root = placeholder.path.front();
        const bool known = std::find(keys.begin(), keys.end(), root) != keys.end();
        if (!known) {
            return TemplateError{
                "unknown placeholder {{" + root + "}} at character " + std::to_string(placeholder.start + 1),
                "A placeholder starts with a key of jobs.context(): job_id, job_name, "
                "execution_id, triggered_by, triggered_by_user, scheduled_for, attempt or "
                "payload (then payload.<key>, the payload jobs.trigger passes).",
                static_cast<long>(placeholder.start + 1)};
        }
        if (placeholder.path.size() > 1 && !holds_object(root)) {
            return TemplateError{"placeholder at character " + std::to_string(placeholder.start + 1) +
                                     " goes below {{" + root + "}}, which holds a plain value",
                                 "Only {{payload}} holds keys: write {{" + root + "}} or {{payload.<key>}}.",
                                 static_cast<long>(placeholder.start + 1)};
        }
    }
    return std::nullopt;
}

std::string json_escape(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
                    out += escaped;
                } else {
                    out += c;
                }
        }
    }
    return out;
}

std::string render(std::string_view text, const Placeholders& placeholders, const Lookup& lookup,
                   Escaping escaping) {
    std::string out;
    out.reserve(text.size());
    size_t copied = 0;
    for (const Placeholder& placeholder : placeholders.found) {
        out.append(text.substr(copied, placeholder.start - copied));
        copied = placeholder.start + placeholder.length;
        const std::optional<std::string> value = lookup(placeholder.path);
        if (!value) {
            continue;
        }
        switch (escaping) {
            case Escaping::json_string:
                out += json_escape(*value);
                break;
            case Escaping::one_line:
                out += one_line(*value);
                break;
            case Escaping::plain:
                out += *value;
                break;
        }
    }
    out.append(text.substr(copied));
    return out;
}

}  // namespace pg_jobs::templates
