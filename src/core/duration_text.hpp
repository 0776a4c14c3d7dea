// A duration in words for messages ("1 second", "2 minutes 30 seconds"),
// so an error says "exceeded its timeout of 15 minutes", not "00:15:00".
#pragma once
#include "core/no_postgres.hpp"

#include <cstdint>
#include <string>

namespace pg_jobs {

// `millis` (>= 0) as days, hours, minutes and seconds, largest first, zero
// parts left out; milliseconds appear only below a minute ("1.5 seconds",
// "250 milliseconds").
std::string duration_text(int64_t millis);

}  // namespace pg_jobs
