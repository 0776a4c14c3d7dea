// Secret names, values and {{secret:NAME}} references; see secret_reference.hpp.
#include "core/secret_reference.hpp"

#include <algorithm>

namespace pg_jobs::secrets {

namespace {

constexpr std::string_view kNameHint =
    "A secret's name is 1 to 63 letters, digits, underscores, dots or hyphens.";
constexpr std::string_view kReferenceHint =
    "Write a reference as {{secret:NAME}}, in lower case and without spaces, NAME being the name given to "
    "jobs.set_secret.";

constexpr char to_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

// Whether `text` starts with `lower`, ignoring case.
bool starts_with_icase(std::string_view text, std::string_view lower) {
    return text.size() >= lower.size() && std::equal(lower.begin(), lower.end(), text.begin(),
                                                     [](char l, char t) { return to_lower(t) == l; });
}

bool contains_icase(std::string_view text, std::string_view lower) {
    return std::search(text.begin(), text.end(), lower.begin(), lower.end(),
                       [](char t, char l) { return to_lower(t) == l; }) != text.end();
}

SecretError malformed(size_t offset, std::string_view what) {
    return SecretError{
        "malformed secret reference at character " + std::to_string(offset + 1) + ": " + std::string(what),
        std::string(kReferenceHint), static_cast<long>(offset + 1)};
}

// Parses the reference that starts at `at` ("{{" followed by something
// that reads "secret"). Sets *end past its "}}".
std::optional<SecretError> parse_one(std::string_view text, size_t at, Reference* out) {
    if (text.substr(at, kReferenceOpen.size()) != kReferenceOpen) {
        return malformed(at, "expected {{secret:NAME}}");
    }
    const size_t name_start = at + kReferenceOpen.size();
    size_t name_end = name_start;
    while (name_end < text.size() && is_name_char(text[name_end])) {
        ++name_end;
    }
    if (text.substr(name_end, kReferenceClose.size()) != kReferenceClose) {
        return malformed(name_end, name_end < text.size() ? "a secret's name is letters, digits, _, . or -, "
                                                            "closed by }}"
                                                          : "the reference is not closed by }}");
    }
    const std::string_view name = text.substr(name_start, name_end - name_start);
    if (name.empty()) {
        return malformed(at, "the secret's name is empty");
    }
    if (name.size() > kMaxNameLength) {
        return malformed(at, "the secret's name is longer than 63 characters");
    }
    out->name = std::string(name);
    out->start = at;
    out->length = name_end + kReferenceClose.size() - at;
    return std::nullopt;
}

// Where the next "{{" that is meant as a secret reference starts, or npos.
size_t next_reference(std::string_view text, size_t from) {
    for (size_t at = text.find("{{", from); at != std::string_view::npos; at = text.find("{{", at + 1)) {
        size_t word = at + 2;
        while (word < text.size() && (text[word] == ' ' || text[word] == '\t')) {
            ++word;
        }
        if (starts_with_icase(text.substr(word), "secret")) {
            return at;
        }
    }
    return std::string_view::npos;
}

}  // namespace

std::optional<SecretError> check_name(std::string_view name) {
    if (name.empty()) {
        return SecretError{"secret name is empty", std::string(kNameHint)};
    }
    if (name.size() > kMaxNameLength) {
        return SecretError{"secret name is longer than 63 characters", std::string(kNameHint)};
    }
    const auto bad = std::find_if_not(name.begin(), name.end(), is_name_char);
    if (bad != name.end()) {
        const auto position = static_cast<long>(bad - name.begin()) + 1;
        // The name is not repeated: a value passed as the name by mistake
        // would be in the message, and so in the server log.
        return SecretError{
            "secret name has a character other than letters, digits, _, . and - (at character " +
                std::to_string(position) + ")",
            std::string(kNameHint), position};
    }
    return std::nullopt;
}

std::optional<SecretError> check_value(std::string_view value) {
    if (value.empty()) {
        return SecretError{"secret value is empty", "Pass the value to send, e.g. an API token."};
    }
    if (value.size() > kMaxValueLength) {
        return SecretError{"secret value is longer than 8192 bytes",
                           "Secrets are sent in HTTP headers; "
                           "servers rarely accept longer ones."};
    }
    const bool control = std::any_of(value.begin(), value.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return (byte < 0x20 && byte != '\t') || byte == 0x7f;
    });
    if (control) {
        return SecretError{"secret value has a control character (such as a line break)",
                           "Secrets are sent in HTTP header values, which are a single line of text."};
    }
    return std::nullopt;
}

References find_references(std::string_view header_value) {
    References result;
    size_t from = 0;
    for (size_t at = next_reference(header_value, from); at != std::string_view::npos;
         at = next_reference(header_value, from)) {
        Reference reference;
        if (std::optional<SecretError> error = parse_one(header_value, at, &reference)) {
            result.error = std::move(error);
            return result;
        }
        from = reference.start + reference.length;
        result.found.push_back(std::move(reference));
    }
    return result;
}

Expansion expand(std::string_view header_value, const Lookup& lookup) {
    Expansion result;
    References references = find_references(header_value);
    if (references.error) {
        result.error = std::move(references.error);
        return result;
    }
    size_t copied = 0;
    for (const Reference& reference : references.found) {
        const std::optional<std::string_view> value = lookup(reference.name);
        if (!value) {
            result.missing = reference.name;
            result.value.clear();
            result.used.clear();
            return result;
        }
        result.value.append(header_value.substr(copied, reference.start - copied));
        result.value.append(*value);
        result.used.emplace_back(*value);
        copied = reference.start + reference.length;
    }
    result.value.append(header_value.substr(copied));
    return result;
}

std::string scrub(std::string_view text, const std::vector<std::string>& values) {
    std::vector<std::string_view> ordered(values.begin(), values.end());
    std::sort(ordered.begin(), ordered.end(),
              [](std::string_view a, std::string_view b) { return a.size() > b.size(); });
    std::string result(text);
    for (std::string_view value : ordered) {
        if (value.empty()) {
            continue;
        }
        for (size_t at = result.find(value); at != std::string::npos; at = result.find(value, at + 3)) {
            result.replace(at, value.size(), "***");
        }
    }
    return result;
}

bool statement_may_carry_secrets(std::string_view statement) noexcept {
    static constexpr std::string_view kCarriers[] = {"set_secret", "schedule_http", "alter_http",
                                                     "schedule_email"};
    return std::any_of(std::begin(kCarriers), std::end(kCarriers),
                       [&](std::string_view carrier) { return contains_icase(statement, carrier); });
}

}  // namespace pg_jobs::secrets
