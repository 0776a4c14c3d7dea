// Parses one cron field (such as "1-5,10/15" or "5L") into bitmasks.
#pragma once
#include "core/no_postgres.hpp"

#include "core/cron_parser.hpp"

#include <cstdint>
#include <string_view>

namespace pg_jobs::cron {

enum class CronField : uint8_t { Second, Minute, Hour, DayOfMonth, Month, DayOfWeek };

struct FieldBits {
    uint64_t values = 0;            // bit v per value; day-of-week folded to 0..6
    uint32_t days_before_last = 0;  // day-of-month "L" (bit 0) and "L-n" (bit n)
    uint8_t last_weekday = 0;       // day-of-week "wL": bit w
    uint64_t nth_weekday = 0;       // day-of-week "w#k": bit (k-1)*7+w
    bool star = false;              // text begins with '*' (or '?' in a day field)
};

// Parses the text of one field. `offset` is where the field starts in the
// whole schedule, so that error positions point into what the user wrote.
// Returns false and fills `error` when the field is not valid.
bool parse_cron_field(CronField field, std::string_view text, int offset, FieldBits* out, ParseError* error);

}  // namespace pg_jobs::cron
