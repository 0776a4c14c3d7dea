// Renders the position of a schedule error; see caret_detail.hpp.
#include "pg/common/caret_detail.hpp"

#include "pg/common/guard.hpp"

#include <algorithm>

extern "C" {
#include "mb/pg_wchar.h"
}

namespace pg_jobs::pg {
namespace {

// Characters shown on each side of the error in an excerpt.
constexpr int kExcerptRadius = 40;

// The text as it is echoed on its own line: control characters (tab,
// newline) would break the alignment, so they become spaces.
std::string echoed(std::string_view text) {
    std::string line(text);
    const auto is_control = [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; };
    std::replace_if(line.begin(), line.end(), is_control, ' ');
    return line;
}

// Byte length of the first `characters` characters of `text`.
int bytes_of_characters(std::string_view text, int characters) {
    return call_pg([&] { return pg_mbcharcliplen(text.data(), static_cast<int>(text.size()), characters); });
}

}  // namespace

std::string caret_detail(std::string_view schedule, int byte_position) {
    const int length = static_cast<int>(schedule.size());
    byte_position = std::clamp(byte_position, 0, length);
    const int column = call_pg([&] { return pg_mbstrlen_with_len(schedule.data(), byte_position); });
    const int total = call_pg([&] { return pg_mbstrlen_with_len(schedule.data(), length); });
    const std::string position = "at character " + std::to_string(column + 1);

    if (total <= kMaxEchoedCharacters) {
        std::string detail =
            position + " of \"" + std::string(schedule) + "\":\n  " + echoed(schedule) + "\n  ";
        detail.append(static_cast<size_t>(column), ' ');
        return detail + '^';
    }

    // Too long to repeat: an excerpt around the error, "..." where cut.
    const int first = std::max(0, column - kExcerptRadius);
    const int last = std::min(total, column + kExcerptRadius);
    const int from = bytes_of_characters(schedule, first);
    const int to = bytes_of_characters(schedule, last);
    const std::string before = first > 0 ? "..." : "";
    const std::string after = last < total ? "..." : "";
    std::string detail = position + " of a " + std::to_string(total) + "-character schedule:\n  " + before +
                         echoed(schedule.substr(from, to - from)) + after + "\n  ";
    detail.append(before.size() + static_cast<size_t>(column - first), ' ');
    return detail + '^';
}

}  // namespace pg_jobs::pg
