// Parses schedule text into a CronSchedule, or says precisely what is wrong.
#pragma once
#include "core/no_postgres.hpp"

#include "core/cron_schedule.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace pg_jobs::cron {

// What is wrong with a schedule, in words a user can act on.
struct ParseError {
    std::string message;  // "minute value 61 is out of range 0-59"
    std::string hint;     // "Minutes go from 0 to 59, for example \"*/15\"."
    int position = -1;    // 0-based byte offset of the offending text, -1 if none
};

// The longest @every period: 100 years, the bound of every interval option
// (README "Limits on times and intervals").
inline constexpr int64_t kMaxEverySeconds = int64_t{36500} * 86400;

// A PostgreSQL-style interval reduced to its three parts.
struct IntervalValue {
    int32_t months = 0;
    int32_t days = 0;
    int64_t micros = 0;
};

// Converts the text after "@every" into an interval. The glue uses
// PostgreSQL's interval_in; core tests use parse_simple_interval.
// Returns false and fills `error` when the text is not an interval.
using IntervalParser = bool (*)(std::string_view text, IntervalValue* out, std::string* error);

// Understands "<number> <unit>" pairs (seconds, minutes, hours, days, weeks,
// with the usual abbreviations and plurals) and "HH:MM:SS".
bool parse_simple_interval(std::string_view text, IntervalValue* out, std::string* error);

struct ParseResult {
    bool ok = false;
    CronSchedule schedule;
    ParseError error;
};

// Parses `text`. Never throws for bad input; the error says what and where.
ParseResult parse_schedule(std::string_view text, IntervalParser parse_interval = parse_simple_interval);

}  // namespace pg_jobs::cron
