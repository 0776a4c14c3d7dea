// Matching a schedule's calendar fields against local wall-clock time.
//
// The search jumps field by field with bitmasks: an unmatched month skips to
// the next month, an unmatched day to the next matching day of the month
// (one mask per month), then hour, minute and second by "next set bit".
// It never steps minute by minute.
#include "core/cron_next.hpp"

#include "core/civil_time.hpp"

namespace pg_jobs::cron {
namespace {

// Local time limit: PostgreSQL's last representable instant plus a day of
// slack for UTC offsets. Beyond it there is nothing to find.
constexpr int64_t kLocalSecondsLimit = to_unix_seconds(kTimestampEnd) + 2 * kSecondsPerDay;

// Index of the first set bit of `mask` at or above `from`, or -1.
inline int next_bit(uint64_t mask, int from) {
    if (from >= 64) {
        return -1;
    }
    const uint64_t rest = mask & (~UINT64_C(0) << from);
    return rest == 0 ? -1 : __builtin_ctzll(rest);
}

// Days of month (bit d for day d) on which the schedule fires in (year, month).
uint32_t day_mask(const CronExpression& s, int64_t year, int month) {
    const int length = civil::days_in_month(year, month);
    const uint32_t valid = ((UINT32_C(1) << length) - 1) << 1;
    const int first_weekday = civil::weekday_from_days(civil::days_from_date(year, month, 1));

    uint32_t by_day_of_month = s.days_of_month & valid;
    for (uint32_t rest = s.days_before_last; rest != 0; rest &= rest - 1) {
        const int day = length - __builtin_ctz(rest);
        if (day >= 1) {
            by_day_of_month |= UINT32_C(1) << day;
        }
    }

    // Rotate the weekday set so bit i stands for day i + 1, then repeat it for
    // every week of the month.
    const uint32_t week = s.days_of_week & 0x7F;
    const uint64_t rotated = (((week << 7) | week) >> first_weekday) & 0x7F;
    const uint64_t weeks = rotated | rotated << 7 | rotated << 14 | rotated << 21 | rotated << 28;
    uint32_t by_day_of_week = static_cast<uint32_t>((weeks << 1) & valid);

    const int last_weekday = (first_weekday + length - 1) % 7;
    for (uint32_t rest = s.last_weekday; rest != 0; rest &= rest - 1) {
        const int weekday = __builtin_ctz(rest);
        by_day_of_week |= UINT32_C(1) << (length - (last_weekday - weekday + 7) % 7);
    }
    for (uint64_t rest = s.nth_weekday; rest != 0; rest &= rest - 1) {
        const int bit = __builtin_ctzll(rest);
        const int weekday = bit % 7;
        const int nth = bit / 7;  // 0-based week
        const int day = 1 + (weekday - first_weekday + 7) % 7 + 7 * nth;
        if (day <= length) {
            by_day_of_week |= UINT32_C(1) << day;
        }
    }

    // Vixie cron: a starred day field means "both must match" (the starred
    // one matches anything unless stepped); otherwise either may match.
    if (s.day_of_month_star || s.day_of_week_star) {
        return by_day_of_month & by_day_of_week;
    }
    return by_day_of_month | by_day_of_week;
}

// Earliest matching time of day at or after h:m:s, as seconds of the day, or -1.
int64_t next_time_of_day(const CronExpression& s, int hour, int minute, int second) {
    for (int h = next_bit(s.hours, hour); h >= 0; h = next_bit(s.hours, h + 1)) {
        const int first_minute = h == hour ? minute : 0;
        for (int m = next_bit(s.minutes, first_minute); m >= 0; m = next_bit(s.minutes, m + 1)) {
            const int first_second = (h == hour && m == minute) ? second : 0;
            const int sec = next_bit(s.seconds, first_second);
            if (sec >= 0) {
                return h * 3600 + m * 60 + sec;
            }
        }
    }
    return -1;
}

}  // namespace

int64_t next_local_match(const CronExpression& s, int64_t local_seconds) {
    if (s.kind != ScheduleKind::Calendar || local_seconds >= kLocalSecondsLimit) {
        return kNoLocalMatch;
    }
    const int64_t start_days = floor_div(local_seconds, kSecondsPerDay);
    const int64_t second_of_day = local_seconds - start_days * kSecondsPerDay;
    const civil::Date start = civil::date_from_days(start_days);

    int64_t year = start.year;
    int month = start.month;
    int day = start.day;
    int hour = static_cast<int>(second_of_day / 3600);
    int minute = static_cast<int>(second_of_day / 60 % 60);
    int second = static_cast<int>(second_of_day % 60);

    // Every date pattern recurs within a 400-year Gregorian cycle, so a
    // schedule that fires at all fires within 4,812 months of any start.
    for (int months_scanned = 0; months_scanned <= 401 * 12; ++months_scanned) {
        if ((s.months >> month) & 1) {
            uint32_t days = day_mask(s, year, month) & (~UINT32_C(0) << day);
            for (; days != 0; days &= days - 1) {
                const int d = __builtin_ctz(days);
                const int64_t time =
                    d == day ? next_time_of_day(s, hour, minute, second) : next_time_of_day(s, 0, 0, 0);
                if (time >= 0) {
                    const int64_t found = civil::days_from_date(year, month, d) * kSecondsPerDay + time;
                    return found < kLocalSecondsLimit ? found : kNoLocalMatch;
                }
            }
        }
        if (++month > 12) {
            month = 1;
            ++year;
        }
        day = 1;
        hour = minute = second = 0;
        if (civil::days_from_date(year, month, 1) * kSecondsPerDay >= kLocalSecondsLimit) {
            return kNoLocalMatch;
        }
    }
    return kNoLocalMatch;
}

bool can_ever_fire(const CronExpression& s) {
    if (s.kind != ScheduleKind::Calendar) {
        return true;
    }
    if (s.seconds == 0 || s.minutes == 0 || s.hours == 0) {
        return false;
    }
    for (int64_t year = 2000; year < 2400; ++year) {
        for (int month = 1; month <= 12; ++month) {
            if (((s.months >> month) & 1) && day_mask(s, year, month) != 0) {
                return true;
            }
        }
    }
    return false;
}

}  // namespace pg_jobs::cron
