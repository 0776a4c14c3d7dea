// See valid_text.hpp.
#include "pg/common/valid_text.hpp"

#include "pg/common/pg_headers.hpp"

#include <algorithm>
#include <climits>

extern "C" {
#include "mb/pg_wchar.h"
}

namespace pg_jobs::pg {

namespace {

// pg_encoding_verifymbstr takes an int length.
constexpr size_t kLongest = INT_MAX / 2;

}  // namespace

bool is_valid_text(std::string_view text) {
    text = text.substr(0, kLongest);
    const int length = static_cast<int>(text.size());
    return pg_encoding_verifymbstr(GetDatabaseEncoding(), text.data(), length) == length;
}

std::string valid_text(std::string_view text, size_t max_bytes) {
    const int encoding = GetDatabaseEncoding();
    const std::string_view replacement = encoding == PG_UTF8 ? "\xEF\xBF\xBD" : "?";
    text = text.substr(0, kLongest);
    std::string out;
    out.reserve(std::min(text.size(), max_bytes));
    size_t at = 0;
    while (at < text.size()) {
        // The valid prefix ends at a character boundary.
        const auto valid = static_cast<size_t>(
            pg_encoding_verifymbstr(encoding, text.data() + at, static_cast<int>(text.size() - at)));
        if (out.size() + valid <= max_bytes) {
            out.append(text.data() + at, valid);
            at += valid;
        } else {
            // Only part of it fits: whole characters.
            for (;;) {
                const auto length = static_cast<size_t>(pg_encoding_mblen(encoding, text.data() + at));
                if (out.size() + length > max_bytes) {
                    return out;
                }
                out.append(text.data() + at, length);
                at += length;
            }
        }
        if (at < text.size()) {
            if (out.size() + replacement.size() > max_bytes) {
                return out;
            }
            out.append(replacement);
            ++at;  // one bad byte, or a NUL
        }
    }
    return out;
}

}  // namespace pg_jobs::pg
