// Host name syntax, normal form, and the legacy-IPv4 look-alike test.
#include "core/host_name.hpp"

#include <algorithm>

namespace pg_jobs::http {

namespace {

constexpr size_t kMaxNameLength = 253;
constexpr size_t kMaxLabelLength = 63;

constexpr bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
constexpr bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr bool is_name_char(char c) {
    return is_alpha(c) || is_digit(c) || c == '-' || c == '_';
}

std::string quoted_char(char c) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) {
        static const char kHex[] = "0123456789ABCDEF";
        return std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 15];
    }
    return std::string("\"") + c + "\"";
}

bool fail(HostNameError* error, std::string message, std::string hint, size_t position) {
    if (error != nullptr) {
        error->message = std::move(message);
        error->hint = std::move(hint);
        error->position = static_cast<int>(position);
    }
    return false;
}

}  // namespace

bool check_host_name(std::string_view name, HostNameError* error) {
    if (name.empty()) {
        return fail(error, "host name is empty", "Write a host name like \"api.example.com\".", 0);
    }
    const std::string_view body = name.back() == '.' ? name.substr(0, name.size() - 1) : name;
    if (body.size() > kMaxNameLength) {
        return fail(error, "host name is longer than 253 characters", "", 0);
    }
    size_t label_start = 0;
    for (size_t i = 0; i <= body.size(); ++i) {
        if (i == body.size() || body[i] == '.') {
            if (i == label_start) {
                return fail(error, "host name has an empty label (two dots in a row, or a dot at the start)",
                            "Remove the extra dot.", i);
            }
            if (i - label_start > kMaxLabelLength) {
                return fail(error, "host name has a label longer than 63 characters", "", label_start);
            }
            label_start = i + 1;
            continue;
        }
        if (!is_name_char(body[i])) {
            const bool non_ascii = static_cast<unsigned char>(body[i]) >= 0x80;
            return fail(error, "host name contains " + quoted_char(body[i]),
                        non_ascii ? "Write international domain names in their ASCII form (xn--...)."
                                  : "Host names use letters, digits, \"-\" and \"_\" between dots.",
                        i);
        }
    }
    return true;
}

std::string normalize_host_name(std::string_view name) {
    if (!name.empty() && name.back() == '.') {
        name.remove_suffix(1);
    }
    std::string out(name);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    return out;
}

bool looks_like_legacy_ipv4(std::string_view name) {
    if (!name.empty() && name.back() == '.') {
        name.remove_suffix(1);
    }
    const size_t dot = name.rfind('.');
    const std::string_view last = dot == std::string_view::npos ? name : name.substr(dot + 1);
    if (last.empty()) {
        return false;
    }
    if (last.size() > 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X')) {
        return std::all_of(last.begin() + 2, last.end(), is_hex);
    }
    return std::all_of(last.begin(), last.end(), is_digit);
}

}  // namespace pg_jobs::http
