// next_fire_time against a brute-force reference that walks every minute
// and applies the documented rules literally, on random schedules.
#include "core/civil_time.hpp"
#include "core/cron_next.hpp"
#include "test_time.hpp"

#include <gtest/gtest.h>

#include <random>

namespace pg_jobs::cron {
namespace {

bool bit(uint64_t mask, int i) { return (mask >> i) & 1; }

// Do the calendar fields match this local wall-clock minute?
bool matches_local(const CronSchedule& s, int64_t local) {
    const int64_t days = floor_div(local, kSecondsPerDay);
    const int64_t sod = local - days * kSecondsPerDay;
    const civil::Date date = civil::date_from_days(days);
    const int length = civil::days_in_month(date.year, date.month);
    const int weekday = civil::weekday_from_days(days);
    if (!bit(s.months, date.month) || !bit(s.hours, static_cast<int>(sod / 3600)) ||
        !bit(s.minutes, static_cast<int>(sod / 60 % 60)) || !bit(s.seconds, static_cast<int>(sod % 60))) {
        return false;
    }
    bool by_month_day = bit(s.days_of_month, date.day);
    for (int n = 0; n <= 30; ++n) {
        by_month_day |= bit(s.days_before_last, n) && date.day == length - n;
    }
    const bool by_week_day = bit(s.days_of_week, weekday) || (bit(s.last_weekday, weekday) && date.day + 7 > length) ||
                             bit(s.nth_weekday, (date.day - 1) / 7 * 7 + weekday);
    return (s.day_of_month_star || s.day_of_week_star) ? by_month_day && by_week_day : by_month_day || by_week_day;
}

// Does the schedule fire at UTC minute `u` under the README's DST rules?
bool fires_at(const CronSchedule& s, const TimeZone& zone, int64_t u) {
    const int32_t offset = zone.offset_at(u).utc_offset;
    const int32_t before = zone.offset_at(u - 3 * 3600).utc_offset;  // zones here shift by <= 1 h
    const int64_t local = u + offset;
    if (matches_local(s, local)) {
        // Second pass of a fall-back overlap: that local time already passed.
        const bool repeated = before > offset && zone.offset_at(local - before).utc_offset == before;
        if (!repeated || s.hour_star) {
            return true;
        }
    }
    // A skipped local time fires at local - (offset before the jump).
    const int64_t skipped = u + before;
    return before < offset && zone.offset_at(skipped - offset).utc_offset == before &&
           zone.offset_at(skipped - before).utc_offset == offset && matches_local(s, skipped);
}

uint64_t random_mask(std::mt19937_64& rng, int low, int high) {
    uint64_t mask = 0;
    const int style = static_cast<int>(rng() % 4);
    for (int i = low; i <= high; ++i) {
        if (style == 0 || (style == 1 && rng() % 5 == 0) || (style == 2 && i % 3 == 0)) {
            mask |= UINT64_C(1) << i;
        }
    }
    if (mask == 0) {
        mask = UINT64_C(1) << (low + static_cast<int>(rng() % static_cast<uint64_t>(high - low + 1)));
    }
    return mask;
}

CronSchedule random_schedule(std::mt19937_64& rng) {
    CronSchedule s;
    s.minutes = random_mask(rng, 0, 59);
    s.hours = static_cast<uint32_t>(random_mask(rng, 0, 23));
    s.hour_star = s.hours == 0xFFFFFF || rng() % 2 == 0;
    s.days_of_month = static_cast<uint32_t>(random_mask(rng, 1, 31));
    s.months = static_cast<uint16_t>(random_mask(rng, 1, 12));
    s.days_of_week = static_cast<uint8_t>(random_mask(rng, 0, 6));
    if (rng() % 4 == 0) {
        s.last_weekday = static_cast<uint8_t>(1u << (rng() % 7));
    }
    if (rng() % 4 == 0) {
        s.nth_weekday = UINT64_C(1) << (rng() % 35);
    }
    if (rng() % 4 == 0) {
        s.days_before_last = 1u << (rng() % 4);
    }
    s.day_of_month_star = rng() % 3 == 0;
    s.day_of_week_star = rng() % 3 == 0;
    return s;
}

void compare_with_reference(const TimeZone& zone, const char* from, int hours, uint64_t seed) {
    std::mt19937_64 rng(seed);
    const int64_t start = testing::unix_at(from);
    for (int trial = 0; trial < 60; ++trial) {
        const CronSchedule s = random_schedule(rng);
        Timestamp t = from_unix_seconds(start - 60);
        for (int64_t u = start; u < start + hours * 3600; u += 60) {
            if (!fires_at(s, zone, u)) {
                continue;
            }
            const Timestamp next = next_fire_time(s, zone, t);
            ASSERT_EQ(testing::utc_text(next), testing::utc_text(from_unix_seconds(u))) << "trial " << trial;
            t = next;
        }
    }
}

TEST(CronReference, MatchesBruteForceInUtc) {
    compare_with_reference(FixedOffsetZone(), "2026-01-25 00:00:00", 24 * 40, 1);
}

TEST(CronReference, MatchesBruteForceAroundNewYorkSpringForward) {
    compare_with_reference(testing::new_york(), "2026-03-06 00:00:00", 24 * 4, 2);
}

TEST(CronReference, MatchesBruteForceAroundNewYorkFallBack) {
    compare_with_reference(testing::new_york(), "2026-10-30 00:00:00", 24 * 4, 3);
}

TEST(CronReference, MatchesBruteForceAroundLordHoweTransitions) {
    compare_with_reference(testing::lord_howe(), "2026-04-03 00:00:00", 24 * 3, 4);
    compare_with_reference(testing::lord_howe(), "2026-10-02 00:00:00", 24 * 3, 5);
}

}  // namespace
}  // namespace pg_jobs::cron
