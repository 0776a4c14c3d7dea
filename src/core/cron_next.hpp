// Fire-time computation: the next instant a schedule fires after a given one,
// evaluated in the wall-clock time of a zone with the DST rules of README.md.
#pragma once
#include "core/no_postgres.hpp"

#include "core/cron_schedule.hpp"
#include "core/time_units.hpp"
#include "core/time_zone.hpp"

#include <cstdint>

namespace pg_jobs::cron {

inline constexpr int64_t kNoLocalMatch = INT64_MAX;

// Smallest local wall-clock time (seconds since 1970-01-01 00:00 local,
// proleptic Gregorian) >= `local_seconds` that matches the calendar fields,
// or kNoLocalMatch when none exists before year 294277.
int64_t next_local_match(const CronExpression& schedule, int64_t local_seconds);

// The first fire time strictly after `after`, or kTimestampEnd when there is
// none PostgreSQL can represent (and always for @reboot). For several
// expressions, the earliest of theirs: a time two match fires once.
Timestamp next_fire_time(const CronSchedule& schedule, const TimeZone& zone, Timestamp after);

// True when some date in a 400-year Gregorian cycle matches the day and
// month fields; parse_schedule refuses schedules for which it is false.
bool can_ever_fire(const CronExpression& schedule);

}  // namespace pg_jobs::cron
