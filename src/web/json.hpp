// pg_jobs_web: the little JSON the server writes itself (most JSON comes from
// PostgreSQL, built by the queries in queries.hpp).
#pragma once

#include <string>

namespace pg_jobs_web {

// A JSON string literal, quotes included.
inline std::string json_string(const std::string& text) {
    std::string out;
    out.reserve(text.size() + 2);
    out += '"';
    for (const char raw : text) {
        const auto c = static_cast<unsigned char>(raw);
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
            default:
                if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                    static const char* const hex = "0123456789abcdef";
                    out += "\\u00";
                    out += hex[c >> 4];
                    out += hex[c & 0xf];
                } else {
                    out += raw;
                }
        }
    }
    out += '"';
    return out;
}

}  // namespace pg_jobs_web
