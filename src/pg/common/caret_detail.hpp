// The DETAIL of a schedule error: where the offending text is, with a caret
// under it, laid out to read well after psql's "DETAIL:  " prefix.
#pragma once

#include <string>
#include <string_view>

namespace pg_jobs::pg {

// Schedules longer than this many characters are shown as an excerpt
// around the error rather than in full (twice).
inline constexpr int kMaxEchoedCharacters = 256;

// For `byte_position` (0-based, clamped to the text) in `schedule`:
//   at character 7 of "0 0 * * mon-fro":
//     0 0 * * mon-fro
//           ^
// Positions count characters in the server encoding, as PostgreSQL's own
// syntax errors do. Control characters are echoed as spaces so the caret
// stays aligned.
std::string caret_detail(std::string_view schedule, int byte_position);

}  // namespace pg_jobs::pg
