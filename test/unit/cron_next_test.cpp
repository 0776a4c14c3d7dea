// next_fire_time: field jumps, day rules, @every, range limits, and DST.
#include "core/cron_next.hpp"
#include "core/cron_parser.hpp"
#include "test_time.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pg_jobs::cron {
namespace {

using testing::lord_howe;
using testing::new_york;
using testing::utc;
using testing::utc_text;

const FixedOffsetZone kUtc;

CronSchedule parse(const char* text) {
    const ParseResult result = parse_schedule(text);
    EXPECT_TRUE(result.ok) << text << ": " << result.error.message;
    return result.schedule;
}

// The next `count` fire times after `after`, as UTC text.
std::vector<std::string> fires(const char* schedule, const TimeZone& zone, const char* after, int count) {
    const CronSchedule s = parse(schedule);
    std::vector<std::string> out;
    Timestamp t = utc(after);
    for (int i = 0; i < count; ++i) {
        t = next_fire_time(s, zone, t);
        out.push_back(utc_text(t));
        if (t == kTimestampEnd) {
            break;
        }
    }
    return out;
}

using Times = std::vector<std::string>;

TEST(CronNext, StepsWithinTheHour) {
    EXPECT_EQ(fires("*/15 * * * *", kUtc, "2026-05-05 10:07:00", 3),
              (Times{"2026-05-05 10:15:00", "2026-05-05 10:30:00", "2026-05-05 10:45:00"}));
}

TEST(CronNext, IsStrictlyAfter) {
    const CronSchedule s = parse("*/15 * * * *");
    EXPECT_EQ(utc_text(next_fire_time(s, kUtc, utc("2026-05-05 10:15:00"))), "2026-05-05 10:30:00");
    EXPECT_EQ(utc_text(next_fire_time(s, kUtc, utc("2026-05-05 10:15:00") - 1)), "2026-05-05 10:15:00");
    EXPECT_EQ(utc_text(next_fire_time(s, kUtc, utc("2026-05-05 10:15:00") + 1)), "2026-05-05 10:30:00");
}

TEST(CronNext, RollsOverDayMonthAndYear) {
    EXPECT_EQ(fires("0 0 1 1 *", kUtc, "2026-05-05 00:00:00", 2), (Times{"2027-01-01 00:00:00", "2028-01-01 00:00:00"}));
    EXPECT_EQ(fires("59 23 31 12 *", kUtc, "2026-12-31 23:59:00", 1), (Times{"2027-12-31 23:59:00"}));
    EXPECT_EQ(fires("0 12 * * *", kUtc, "2026-02-28 13:00:00", 1), (Times{"2026-03-01 12:00:00"}));
}

TEST(CronNext, LeapDay) {
    EXPECT_EQ(fires("0 0 29 2 *", kUtc, "2026-03-01 00:00:00", 2), (Times{"2028-02-29 00:00:00", "2032-02-29 00:00:00"}));
    // 2100 is not a leap year.
    EXPECT_EQ(fires("0 0 29 2 *", kUtc, "2097-01-01 00:00:00", 1), (Times{"2104-02-29 00:00:00"}));
}

TEST(CronNext, LastDayAndDaysBeforeIt) {
    EXPECT_EQ(fires("0 0 L * *", kUtc, "2026-01-31 00:00:00", 3),
              (Times{"2026-02-28 00:00:00", "2026-03-31 00:00:00", "2026-04-30 00:00:00"}));
    EXPECT_EQ(fires("0 0 L 2 *", kUtc, "2027-03-01 00:00:00", 1), (Times{"2028-02-29 00:00:00"}));
    EXPECT_EQ(fires("0 0 L-2 * *", kUtc, "2026-02-01 00:00:00", 2), (Times{"2026-02-26 00:00:00", "2026-03-29 00:00:00"}));
}

TEST(CronNext, LastAndNthWeekday) {
    // January 2026 starts on a Thursday.
    EXPECT_EQ(fires("30 2 * * 5L", kUtc, "2026-01-01 00:00:00", 3),
              (Times{"2026-01-30 02:30:00", "2026-02-27 02:30:00", "2026-03-27 02:30:00"}));
    EXPECT_EQ(fires("0 9 * * 1#1", kUtc, "2026-01-10 00:00:00", 2), (Times{"2026-02-02 09:00:00", "2026-03-02 09:00:00"}));
    // A fifth Monday: March 2026 has one (the 30th), April does not.
    EXPECT_EQ(fires("0 9 * * 1#5", kUtc, "2026-03-01 00:00:00", 2), (Times{"2026-03-30 09:00:00", "2026-06-29 09:00:00"}));
    EXPECT_EQ(fires("0 9 * * 0L", kUtc, "2026-05-01 00:00:00", 1), (Times{"2026-05-31 09:00:00"}));
}

TEST(CronNext, VixieDayRules) {
    // Both day fields restricted: either matches (Friday 6th, 13th, Friday 20th...).
    EXPECT_EQ(fires("0 0 13 * 5", kUtc, "2026-02-01 00:00:00", 4),
              (Times{"2026-02-06 00:00:00", "2026-02-13 00:00:00", "2026-02-20 00:00:00", "2026-02-27 00:00:00"}));
    EXPECT_EQ(fires("0 0 1 * 3", kUtc, "2026-03-27 00:00:00", 2), (Times{"2026-04-01 00:00:00", "2026-04-08 00:00:00"}));
    // A day field beginning with '*' is unrestricted: then both must match
    // (odd days that are Mondays).
    EXPECT_EQ(fires("0 0 */2 * 1", kUtc, "2026-03-01 00:00:00", 2), (Times{"2026-03-09 00:00:00", "2026-03-23 00:00:00"}));
    EXPECT_EQ(fires("0 0 ? * 1", kUtc, "2026-03-01 00:00:00", 1), (Times{"2026-03-02 00:00:00"}));
}

TEST(CronNext, Seconds) {
    EXPECT_EQ(fires("*/10 * * * * *", kUtc, "2026-05-05 10:00:55", 3),
              (Times{"2026-05-05 10:01:00", "2026-05-05 10:01:10", "2026-05-05 10:01:20"}));
    EXPECT_EQ(fires("30 0 12 * * *", kUtc, "2026-05-05 12:00:30", 1), (Times{"2026-05-06 12:00:30"}));
}

TEST(CronNext, EveryIsAnchoredAtTheEpoch) {
    // 1,777,975,200 = 2026-05-05 10:00:00 UTC is a multiple of 90 s but not of 7 s.
    EXPECT_EQ(fires("@every 90 seconds", kUtc, "2026-05-05 10:00:00", 2),
              (Times{"2026-05-05 10:01:30", "2026-05-05 10:03:00"}));
    EXPECT_EQ(fires("@every 90 seconds", new_york(), "2026-05-05 10:00:00", 1), (Times{"2026-05-05 10:01:30"}));
    EXPECT_EQ(fires("30 seconds", kUtc, "2026-05-05 10:00:10", 2), (Times{"2026-05-05 10:00:30", "2026-05-05 10:01:00"}));
    EXPECT_EQ(fires("@every 2 hours", kUtc, "2026-05-05 11:00:00", 1), (Times{"2026-05-05 12:00:00"}));
}

TEST(CronNext, RebootNeverFiresByTheClock) {
    EXPECT_EQ(next_fire_time(parse("@reboot"), kUtc, utc("2026-01-01 00:00:00")), kTimestampEnd);
}

TEST(CronNext, StopsAtTheEndOfPostgresTime) {
    EXPECT_EQ(fires("0 0 1 1 *", kUtc, "294276-06-01 00:00:00", 1), (Times{"end of time"}));
    EXPECT_EQ(fires("0 0 31 12 *", kUtc, "294276-06-01 00:00:00", 2), (Times{"294276-12-31 00:00:00", "end of time"}));
    EXPECT_EQ(next_fire_time(parse("@every 1 second"), kUtc, kTimestampEnd - 1), kTimestampEnd);
}

TEST(CronNext, FixedOffsetZone) {
    const FixedOffsetZone kolkata(5 * 3600 + 1800);
    EXPECT_EQ(fires("0 9 * * *", kolkata, "2026-05-05 00:00:00", 1), (Times{"2026-05-05 03:30:00"}));
}

// Spring forward in New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT.
TEST(CronNextDst, GapFiresOnceAtPostgresInstant) {
    // 02:30 does not exist; PostgreSQL reads it with the old offset: 07:30 UTC = 03:30 EDT.
    EXPECT_EQ(fires("30 2 * * *", new_york(), "2026-03-07 12:00:00", 3),
              (Times{"2026-03-08 07:30:00", "2026-03-09 06:30:00", "2026-03-10 06:30:00"}));
}

TEST(CronNextDst, EveryQuarterHourAcrossTheGap) {
    EXPECT_EQ(fires("*/15 * * * *", new_york(), "2026-03-08 06:40:00", 4),
              (Times{"2026-03-08 06:45:00", "2026-03-08 07:00:00", "2026-03-08 07:15:00", "2026-03-08 07:30:00"}));
}

TEST(CronNextDst, OverlapWithStarHourFiresInBothPasses) {
    // Fall back, 2026-11-01: 02:00 EDT becomes 01:00 EST; 01:xx happens twice.
    EXPECT_EQ(fires("*/30 * * * *", new_york(), "2026-11-01 04:45:00", 5),
              (Times{"2026-11-01 05:00:00", "2026-11-01 05:30:00", "2026-11-01 06:00:00", "2026-11-01 06:30:00",
                     "2026-11-01 07:00:00"}));
}

TEST(CronNextDst, OverlapWithSpecificHourFiresAtFirstPass) {
    EXPECT_EQ(fires("30 1 * * *", new_york(), "2026-10-31 12:00:00", 2),
              (Times{"2026-11-01 05:30:00", "2026-11-02 06:30:00"}));
    EXPECT_EQ(fires("0,30 1 * * *", new_york(), "2026-11-01 04:00:00", 3),
              (Times{"2026-11-01 05:00:00", "2026-11-01 05:30:00", "2026-11-02 06:00:00"}));
    // Starting inside the second pass: 01:30 already fired in the first.
    EXPECT_EQ(fires("30 1 * * *", new_york(), "2026-11-01 06:10:00", 1), (Times{"2026-11-02 06:30:00"}));
}

TEST(CronNextDst, LordHoweHalfHourGap) {
    // 2026-10-04 02:00 +10:30 jumps to 02:30 +11:00. 02:15 fires at 02:45 +11.
    EXPECT_EQ(fires("15 2 * * *", lord_howe(), "2026-10-03 00:00:00", 2),
              (Times{"2026-10-03 15:45:00", "2026-10-04 15:15:00"}));
    // A skipped time maps after a real one: 02:40 (real) comes before 02:20 (skipped, read as 02:50).
    EXPECT_EQ(fires("20,40 2 * * *", lord_howe(), "2026-10-03 00:00:00", 3),
              (Times{"2026-10-03 15:40:00", "2026-10-03 15:50:00", "2026-10-04 15:20:00"}));
}

TEST(CronNextDst, LordHoweHalfHourOverlap) {
    // 2026-04-05 02:00 +11:00 falls back to 01:30 +10:30.
    EXPECT_EQ(fires("45 1 * * *", lord_howe(), "2026-04-04 00:00:00", 2),
              (Times{"2026-04-04 14:45:00", "2026-04-05 15:15:00"}));
    EXPECT_EQ(fires("*/15 * * * *", lord_howe(), "2026-04-04 14:20:00", 5),
              (Times{"2026-04-04 14:30:00", "2026-04-04 14:45:00", "2026-04-04 15:00:00", "2026-04-04 15:15:00",
                     "2026-04-04 15:30:00"}));
}

TEST(CronCanEverFire, DayAndMonthCombinations) {
    CronSchedule s = parse("0 0 29 2 *");
    EXPECT_TRUE(can_ever_fire(s));
    s.days_of_month = 1u << 30;  // the 30th, in February only
    EXPECT_FALSE(can_ever_fire(s));
    s.months = (1u << 4) | (1u << 6) | (1u << 9) | (1u << 11);
    s.days_of_month = 1u << 31;
    EXPECT_FALSE(can_ever_fire(s));
    EXPECT_TRUE(can_ever_fire(parse("0 0 * 2 1#5")));
}

}  // namespace
}  // namespace pg_jobs::cron
