// Proleptic Gregorian calendar arithmetic on day numbers (days since
// 1970-01-01), valid far beyond PostgreSQL's timestamp range.
#pragma once
#include "core/no_postgres.hpp"

#include <cstdint>

namespace pg_jobs::civil {

struct Date {
    int64_t year;
    int month;  // 1..12
    int day;    // 1..31
};

// Days from 1970-01-01 to the given date (negative before it).
constexpr int64_t days_from_date(int64_t y, int m, int d) {
    y -= m <= 2 ? 1 : 0;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;                                  // [0, 399]
    const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          // [0, 146096]
    return era * 146097 + doe - 719468;
}

constexpr Date date_from_days(int64_t z) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    return Date{yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

constexpr bool is_leap_year(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

constexpr int days_in_month(int64_t y, int m) {
    constexpr int kDays[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap_year(y) ? 29 : kDays[m];
}

// 0 = Sunday .. 6 = Saturday; 1970-01-01 was a Thursday.
constexpr int weekday_from_days(int64_t z) {
    const int64_t w = (z + 4) % 7;
    return static_cast<int>(w < 0 ? w + 7 : w);
}

}  // namespace pg_jobs::civil
