// See blackout.hpp.
#include "core/blackout.hpp"

#include "core/cron_next.hpp"

namespace pg_jobs::cron {
namespace {

constexpr int64_t kMicrosPerMinute = 60 * kMicrosPerSecond;

// Whether the local wall-clock minute starting at `local_minute` (seconds
// since 1970-01-01 00:00 local, a multiple of 60) matches one expression.
bool minute_matches(const CronExpression& expression, int64_t local_minute) {
    return next_local_match(expression, local_minute) < local_minute + 60;
}

bool local_minute_in_blackout(const CronSchedule& blackout, int64_t local_minute) {
    for (int i = 0; i < blackout.expression_count(); ++i) {
        if (minute_matches(blackout.expression(i), local_minute)) {
            return true;
        }
    }
    return false;
}

}  // namespace

std::string blackout_problem(const CronSchedule& blackout) {
    if (blackout.kind == ScheduleKind::Every) {
        return "a blackout is a cron expression of minutes, not an interval";
    }
    if (blackout.kind == ScheduleKind::Reboot) {
        return "a blackout is a cron expression of minutes, not @reboot";
    }
    for (int i = 0; i < blackout.expression_count(); ++i) {
        if (blackout.expression(i).has_seconds) {
            return "a blackout is a cron expression of minutes (5 fields), without a seconds field";
        }
    }
    return "";
}

bool in_blackout(const CronSchedule& blackout, const TimeZone& zone, Timestamp t) {
    if (t <= kTimestampBegin || t >= kTimestampEnd) {
        return false;
    }
    const int64_t unix_seconds = to_unix_seconds(t);
    const int64_t local = unix_seconds + zone.offset_at(unix_seconds).utc_offset;
    return local_minute_in_blackout(blackout, floor_div(local, 60) * 60);
}

Timestamp blackout_end(const CronSchedule& blackout, const TimeZone& zone, Timestamp t) {
    if (!in_blackout(blackout, zone, t)) {
        return t;
    }
    // Minute by minute in real time: a DST change moves the local minute
    // under the instant, and the next instant's local minute decides.
    Timestamp minute = floor_div(t, kMicrosPerMinute) * kMicrosPerMinute;
    for (int64_t step = 0; step < kMaxBlackoutMinutes; ++step) {
        minute += kMicrosPerMinute;
        if (minute >= kTimestampEnd) {
            break;
        }
        if (!in_blackout(blackout, zone, minute)) {
            return minute;
        }
    }
    return kTimestampEnd;
}

}  // namespace pg_jobs::cron
