// normalize_http_method: a case-insensitive lookup in a fixed list.
#include "core/http_method.hpp"

#include <algorithm>

namespace pg_jobs::http {

std::optional<std::string_view> normalize_http_method(std::string_view method) {
    static constexpr std::string_view kMethods[] = {"GET",    "POST", "PUT",    "PATCH",
                                                    "DELETE", "HEAD", "OPTIONS"};
    const auto same = [&](std::string_view known) {
        return known.size() == method.size() &&
               std::equal(known.begin(), known.end(), method.begin(), [](char upper, char c) {
                   return upper == (c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
               });
    };
    const auto* found = std::find_if(std::begin(kMethods), std::end(kMethods), same);
    if (found == std::end(kMethods)) {
        return std::nullopt;
    }
    return *found;
}

}  // namespace pg_jobs::http
