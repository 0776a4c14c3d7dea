// Byte-level helpers shared by the schedule and interval parsers. ASCII only
// on purpose: schedule syntax is ASCII, and messages built from user text
// must stay valid in every server encoding.
#pragma once
#include "core/no_postgres.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pg_jobs::cron::text {

constexpr bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
constexpr bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
constexpr bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr char to_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Case-insensitive ASCII comparison; `lower` must already be lower case.
constexpr bool iequals(std::string_view s, std::string_view lower) {
    if (s.size() != lower.size()) {
        return false;
    }
    for (size_t i = 0; i < s.size(); ++i) {
        if (to_lower(s[i]) != lower[i]) {
            return false;
        }
    }
    return true;
}

// End of the run of bytes satisfying `pred` that starts at `from`.
template <typename Pred>
constexpr size_t run_end(std::string_view s, size_t from, Pred pred) {
    while (from < s.size() && pred(s[from])) {
        ++from;
    }
    return from;
}

// Numbers saturate here: a 30-digit value still compares as "too large"
// without overflowing, and the message quotes the digits as written.
inline constexpr int64_t kSaturatedNumber = INT64_C(1) << 40;

constexpr int64_t parse_digits(std::string_view digits) {
    int64_t value = 0;
    for (const char c : digits) {
        value = value * 10 + (c - '0');
        if (value >= kSaturatedNumber) {
            return kSaturatedNumber;
        }
    }
    return value;
}

// `s` made safe to quote in a message: printable ASCII as is, other bytes
// as \xNN, and long text cut short with "...".
inline std::string printable(std::string_view s, size_t max_bytes = 40) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (i == max_bytes) {
            out += "...";
            break;
        }
        const auto byte = static_cast<unsigned char>(s[i]);
        if (byte >= 0x20 && byte < 0x7F) {
            out += static_cast<char>(byte);
        } else {
            out += "\\x";
            out += kHex[byte >> 4];
            out += kHex[byte & 0xF];
        }
    }
    return out;
}

// printable(s) in double quotes, the way messages quote user text.
inline std::string quoted(std::string_view s, size_t max_bytes = 40) {
    return "\"" + printable(s, max_bytes) + "\"";
}

}  // namespace pg_jobs::cron::text
