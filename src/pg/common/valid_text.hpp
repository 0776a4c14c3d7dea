// Text from outside the database (libcurl's messages, a remote server's
// headers and bodies) made valid in the database encoding before it is
// stored: a byte sequence the encoding does not allow would be stored as is
// by the text functions that do not check (CStringGetTextDatum), and then
// break pg_dump/pg_restore of the whole database.
#pragma once

#include <string>
#include <string_view>

namespace pg_jobs::pg {

// `text` with every byte that does not start a valid character of the
// database encoding, and every NUL, replaced by U+FFFD (UTF-8) or "?"
// (other encodings); cut to at most `max_bytes` at a character boundary.
// Calls no function that can ereport.
std::string valid_text(std::string_view text, size_t max_bytes = std::string_view::npos);

// Whether `text` is valid in the database encoding and has no NUL.
bool is_valid_text(std::string_view text);

}  // namespace pg_jobs::pg
