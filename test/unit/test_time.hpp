// Helpers shared by unit tests: readable UTC instants and test zones.
#pragma once

#include "core/civil_time.hpp"
#include "core/time_units.hpp"
#include "core/time_zone.hpp"

#include <cstdio>
#include <string>

namespace pg_jobs::testing {

// "2026-03-08 07:30:00" (UTC) -> Timestamp.
inline Timestamp utc(const char* text) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (std::sscanf(text, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &s) < 3) {
        return 0;
    }
    const int64_t seconds = civil::days_from_date(y, mo, d) * kSecondsPerDay + h * 3600 + mi * 60 + s;
    return from_unix_seconds(seconds);
}

// Timestamp -> "2026-03-08 07:30:00" (UTC), for readable assertion failures.
inline std::string utc_text(Timestamp ts) {
    if (ts == kTimestampEnd) {
        return "end of time";
    }
    const int64_t seconds = to_unix_seconds(ts);
    const int64_t days = floor_div(seconds, kSecondsPerDay);
    const int64_t sod = seconds - days * kSecondsPerDay;
    const civil::Date date = civil::date_from_days(days);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d %02lld:%02lld:%02lld", static_cast<long long>(date.year),
                  date.month, date.day, static_cast<long long>(sod / 3600), static_cast<long long>(sod / 60 % 60),
                  static_cast<long long>(sod % 60));
    return buf;
}

inline int64_t unix_at(const char* text) { return to_unix_seconds(utc(text)); }

// America/New_York, 2025-2027, as in the tz database.
inline TransitionTableZone new_york() {
    constexpr int32_t est = -5 * 3600, edt = -4 * 3600;
    return TransitionTableZone(est, {{unix_at("2025-03-09 07:00:00"), edt},
                                     {unix_at("2025-11-02 06:00:00"), est},
                                     {unix_at("2026-03-08 07:00:00"), edt},
                                     {unix_at("2026-11-01 06:00:00"), est},
                                     {unix_at("2027-03-14 07:00:00"), edt},
                                     {unix_at("2027-11-07 06:00:00"), est}});
}

// Australia/Lord_Howe, 2026: +10:30 standard, +11:00 summer (30-minute DST).
inline TransitionTableZone lord_howe() {
    constexpr int32_t standard = 10 * 3600 + 1800, summer = 11 * 3600;
    return TransitionTableZone(summer, {{unix_at("2026-04-04 15:00:00"), standard},
                                        {unix_at("2026-10-03 15:30:00"), summer}});
}

}  // namespace pg_jobs::testing
