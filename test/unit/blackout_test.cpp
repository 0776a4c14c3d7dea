// Blackouts: which instants fall in one, and when it ends (DST included).
#include "core/blackout.hpp"
#include "core/cron_parser.hpp"
#include "test_time.hpp"

#include <gtest/gtest.h>

namespace pg_jobs::cron {
namespace {

using testing::new_york;
using testing::utc;
using testing::utc_text;

const FixedOffsetZone kUtc;

CronSchedule parse(const char* text) {
    const ParseResult result = parse_schedule(text);
    EXPECT_TRUE(result.ok) << text << ": " << result.error.message;
    return result.schedule;
}

TEST(Blackout, HoursRangeCoversEveryMinuteOfThoseHours) {
    const CronSchedule b = parse("* 1-4 * * *");
    EXPECT_FALSE(in_blackout(b, kUtc, utc("2026-03-02 00:59:59")));
    EXPECT_TRUE(in_blackout(b, kUtc, utc("2026-03-02 01:00:00")));
    EXPECT_TRUE(in_blackout(b, kUtc, utc("2026-03-02 03:17:42")));
    EXPECT_TRUE(in_blackout(b, kUtc, utc("2026-03-02 04:59:59")));
    EXPECT_FALSE(in_blackout(b, kUtc, utc("2026-03-02 05:00:00")));
}

TEST(Blackout, EndIsTheFirstFreeMinute) {
    const CronSchedule b = parse("* 1-4 * * *");
    EXPECT_EQ(utc_text(blackout_end(b, kUtc, utc("2026-03-02 01:00:00"))),
              utc_text(utc("2026-03-02 05:00:00")));
    EXPECT_EQ(utc_text(blackout_end(b, kUtc, utc("2026-03-02 04:59:30"))),
              utc_text(utc("2026-03-02 05:00:00")));
}

TEST(Blackout, EndOfATimeOutsideIsThatTime) {
    const CronSchedule b = parse("* 1-4 * * *");
    const Timestamp t = utc("2026-03-02 12:34:56");
    EXPECT_EQ(blackout_end(b, kUtc, t), t);
}

TEST(Blackout, SingleMinutesAndLists) {
    const CronSchedule b = parse("0,30 * * * *");
    EXPECT_TRUE(in_blackout(b, kUtc, utc("2026-03-02 10:30:59")));
    EXPECT_FALSE(in_blackout(b, kUtc, utc("2026-03-02 10:31:00")));
    EXPECT_EQ(utc_text(blackout_end(b, kUtc, utc("2026-03-02 10:00:10"))),
              utc_text(utc("2026-03-02 10:01:00")));
}

TEST(Blackout, SeveralExpressionsJoinUp) {
    // 23:00-23:59 and 00:00-00:59: one blackout over midnight.
    const CronSchedule b = parse("* 23 * * *; * 0 * * *");
    EXPECT_EQ(utc_text(blackout_end(b, kUtc, utc("2026-03-02 23:10:00"))),
              utc_text(utc("2026-03-03 01:00:00")));
}

TEST(Blackout, FollowsTheJobsZone) {
    // 01:00-04:59 in New York is 06:00-09:59 UTC in winter (UTC-5).
    const CronSchedule b = parse("* 1-4 * * *");
    EXPECT_FALSE(in_blackout(b, new_york(), utc("2026-01-15 01:30:00")));
    EXPECT_TRUE(in_blackout(b, new_york(), utc("2026-01-15 06:30:00")));
    EXPECT_EQ(utc_text(blackout_end(b, new_york(), utc("2026-01-15 06:30:00"))),
              utc_text(utc("2026-01-15 10:00:00")));
}

TEST(Blackout, SpringForwardEndsAtTheLocalEnd) {
    // 2026-03-08 in New York: 02:00 EST becomes 03:00 EDT. A 01:00-03:59
    // blackout ends at 04:00 EDT = 08:00 UTC.
    const CronSchedule b = parse("* 1-3 * * *");
    EXPECT_EQ(utc_text(blackout_end(b, new_york(), utc("2026-03-08 06:30:00"))),
              utc_text(utc("2026-03-08 08:00:00")));
}

TEST(Blackout, EveryMinuteNeverEnds) {
    const CronSchedule b = parse("* * * * *");
    EXPECT_EQ(blackout_end(b, kUtc, utc("2026-03-02 10:00:00")), kTimestampEnd);
}

TEST(Blackout, OnlyMinuteExpressionsAreBlackouts) {
    EXPECT_EQ(blackout_problem(parse("* 1-4 * * *")), "");
    EXPECT_NE(blackout_problem(parse("@every 5 minutes")), "");
    EXPECT_NE(blackout_problem(parse("@reboot")), "");
    EXPECT_NE(blackout_problem(parse("*/10 * * * * *")), "");
}

}  // namespace
}  // namespace pg_jobs::cron
