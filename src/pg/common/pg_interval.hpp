// The core's IntervalParser backed by PostgreSQL's interval input, so
// "@every" understands exactly what '...'::interval does.
#pragma once
#include "core/cron_parser.hpp"

#include <string>
#include <string_view>

namespace pg_jobs::pg {

// Parses `text` with interval_in. A syntax or range error becomes `false`
// plus PostgreSQL's message in `error`; other errors (out of memory, query
// cancel) propagate as PgError.
bool parse_pg_interval(std::string_view text, cron::IntervalValue* out, std::string* error);

}  // namespace pg_jobs::pg
