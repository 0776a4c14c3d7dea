// Blackouts (issue 15): a job's `blackout` is a cron expression of the
// minutes in which it must not start ('* 1-4 * * *': 01:00 to 04:59 in the
// job's zone). These answer, without PostgreSQL, whether an instant falls
// in a blackout and when that blackout ends; the launcher's queueing SQL
// asks them through jobs_internal._blackout_end.
#pragma once
#include "core/no_postgres.hpp"

#include "core/cron_schedule.hpp"
#include "core/time_units.hpp"
#include "core/time_zone.hpp"

#include <string>

namespace pg_jobs::cron {

// The longest blackout looked through for its end: 400 days of minutes. A
// blackout with no free minute that long is refused when it is defined.
inline constexpr int64_t kMaxBlackoutMinutes = int64_t{400} * 24 * 60;

// Why a parsed schedule cannot be a blackout (minutes only: no seconds
// field, no @every or @reboot); empty when it can.
std::string blackout_problem(const CronSchedule& blackout);

// Whether the wall-clock minute (in `zone`) holding instant `t` is one of
// the blackout's minutes.
bool in_blackout(const CronSchedule& blackout, const TimeZone& zone, Timestamp t);

// The end of the blackout around `t`: the start of the first minute at or
// after `t`'s that is not a blackout minute; `t` itself when `t` is not in
// a blackout; kTimestampEnd when none comes within kMaxBlackoutMinutes.
Timestamp blackout_end(const CronSchedule& blackout, const TimeZone& zone, Timestamp t);

}  // namespace pg_jobs::cron
