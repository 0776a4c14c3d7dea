// Several cron expressions in one schedule ("a; b"): parsing, errors with
// positions in the whole text, merged fire times (a shared time fires once,
// across DST too), and the description.
#include "core/cron_describe.hpp"
#include "core/cron_next.hpp"
#include "core/cron_parser.hpp"
#include "test_time.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace pg_jobs::cron {
namespace {

using testing::new_york;
using testing::utc;
using testing::utc_text;

const FixedOffsetZone kUtc;

CronSchedule parse(const std::string& text) {
    const ParseResult result = parse_schedule(text);
    EXPECT_TRUE(result.ok) << text << ": " << result.error.message;
    return result.schedule;
}

ParseError parse_error(const std::string& text) {
    const ParseResult result = parse_schedule(text);
    EXPECT_FALSE(result.ok) << text;
    return result.error;
}

std::vector<Timestamp> fire_times(const CronSchedule& s, const TimeZone& zone, Timestamp after, int count) {
    std::vector<Timestamp> out;
    for (int i = 0; i < count && after < kTimestampEnd; ++i) {
        after = next_fire_time(s, zone, after);
        out.push_back(after);
    }
    return out;
}

std::vector<std::string> fires(const std::string& schedule, const TimeZone& zone, const char* after,
                               int count) {
    std::vector<std::string> out;
    for (const Timestamp t : fire_times(parse(schedule), zone, utc(after), count)) {
        out.push_back(utc_text(t));
    }
    return out;
}

using Times = std::vector<std::string>;

TEST(CronList, EachExpressionIsKept) {
    const CronSchedule s = parse("0 9 * * 1#1; 0 9 15 * *");
    ASSERT_EQ(s.expression_count(), 2);
    EXPECT_EQ(s.expression(0).nth_weekday, parse("0 9 * * 1#1").nth_weekday);
    EXPECT_EQ(s.expression(1).days_of_month, parse("0 9 15 * *").days_of_month);
    EXPECT_EQ(s.kind, ScheduleKind::Calendar);
    EXPECT_EQ(parse("0 9 * * *").expression_count(), 1);
}

TEST(CronList, FirstMondayAndTheFifteenth) {
    EXPECT_EQ(fires("0 9 * * 1#1; 0 9 15 * *", kUtc, "2026-05-20 00:00:00", 5),
              (Times{"2026-06-01 09:00:00", "2026-06-15 09:00:00", "2026-07-06 09:00:00",
                     "2026-07-15 09:00:00", "2026-08-03 09:00:00"}));
}

TEST(CronList, ATimeMatchedByTwoFiresOnce) {
    // 2026-06-15 is a Monday and the 15th.
    EXPECT_EQ(fires("0 9 * * 1; 0 9 15 * *", kUtc, "2026-06-10 00:00:00", 3),
              (Times{"2026-06-15 09:00:00", "2026-06-22 09:00:00", "2026-06-29 09:00:00"}));
    EXPECT_EQ(fires("0 9 * * *;0 9 * * *", kUtc, "2026-06-10 00:00:00", 2),
              (Times{"2026-06-10 09:00:00", "2026-06-11 09:00:00"}));
}

TEST(CronList, SecondsAndMinutesMix) {
    EXPECT_EQ(
        fires("*/2 * * * * *; 1 * * * * *", kUtc, "2026-06-10 00:00:00", 4),
        (Times{"2026-06-10 00:00:01", "2026-06-10 00:00:02", "2026-06-10 00:00:04", "2026-06-10 00:00:06"}));
    EXPECT_EQ(fires("30 0 * * * *; 1 * * * *", kUtc, "2026-06-10 00:00:00", 3),
              (Times{"2026-06-10 00:00:30", "2026-06-10 00:01:00", "2026-06-10 01:00:30"}));
}

// The list fires exactly at the union of its parts' times, each once, in order.
TEST(CronList, FiresAtTheUnionOfItsParts) {
    const std::vector<std::vector<std::string>> lists = {
        {"0 */2 * * *", "0 */3 * * *"},
        {"15 10 L * *", "0 9 * * 5L", "*/20 8 1-7 * 1"},
        {"0 0 29 2 *", "0 0 1 3 *", "0 0 28 2 *"},
    };
    const TimeZone& zone = kUtc;
    const Timestamp start = utc("2026-01-01 00:00:00");
    for (const auto& parts : lists) {
        std::string text;
        std::set<Timestamp> expected;
        for (const auto& part : parts) {
            text += (text.empty() ? "" : "; ") + part;
            for (const Timestamp t : fire_times(parse(part), zone, start, 60)) {
                expected.insert(t);
            }
        }
        const std::vector<Timestamp> got = fire_times(parse(text), zone, start, 60);
        ASSERT_EQ(got.size(), 60U) << text;
        EXPECT_TRUE(std::is_sorted(got.begin(), got.end()) &&
                    std::adjacent_find(got.begin(), got.end()) == got.end())
            << text;
        const std::vector<Timestamp> first60(expected.begin(), std::next(expected.begin(), 60));
        EXPECT_EQ(got, first60) << text;
    }
}

TEST(CronList, DstRulesApplyToEachExpression) {
    // Fall back in New York, 2026-11-01: 01:xx happens twice. "0 * * * *"
    // (hour '*') fires in both passes; "30 1 * * *" only in the first.
    EXPECT_EQ(
        fires("30 1 * * *; 0 * * * *", new_york(), "2026-11-01 04:45:00", 4),
        (Times{"2026-11-01 05:00:00", "2026-11-01 05:30:00", "2026-11-01 06:00:00", "2026-11-01 07:00:00"}));
    // Spring forward, 2026-03-08: 02:30 does not exist and fires at 07:30 UTC,
    // the same instant as 03:30 EDT: once.
    EXPECT_EQ(fires("30 2 * * *; 30 3 * * *", new_york(), "2026-03-08 00:00:00", 3),
              (Times{"2026-03-08 07:30:00", "2026-03-09 06:30:00", "2026-03-09 07:30:00"}));
}

TEST(CronList, ErrorsPointIntoTheWholeText) {
    const ParseError minute = parse_error("0 9 * * *; 61 * * * *");
    EXPECT_EQ(minute.message, "minute value 61 is out of range 0-59");
    EXPECT_EQ(minute.position, 11);

    const ParseError fields = parse_error("0 9 * * *;0 9 * *");
    EXPECT_EQ(fields.position, 10);

    const ParseError ends = parse_error("0 9 * * *;");
    EXPECT_EQ(ends.message, "schedule ends with \";\"");
    EXPECT_EQ(ends.position, 9);

    const ParseError empty = parse_error("0 9 * * *; ;0 * * * *");
    EXPECT_EQ(empty.message, "empty expression before \";\"");
    EXPECT_EQ(empty.position, 11);

    EXPECT_EQ(parse_error("; 0 9 * * *").position, 0);
    EXPECT_EQ(parse_error("0 9 31 2 *; 0 9 * * *").position, 4);  // February 31st never occurs
}

TEST(CronList, OnlyCronExpressionsCombine) {
    for (const char* text : {"0 9 * * *; @every 2 hours", "0 9 * * *; 30 seconds", "0 9 * * *;  @reboot"}) {
        const ParseError error = parse_error(text);
        EXPECT_EQ(error.message, "only cron expressions can be combined with \";\"") << text;
        EXPECT_EQ(static_cast<size_t>(error.position), std::string(text).find_first_not_of(' ', 10)) << text;
    }
    EXPECT_EQ(parse_error("30 seconds; 0 9 * * *").position, 0);
    EXPECT_EQ(parse_error("@every 1 hour; 0 9 * * *").position, 0);
}

TEST(CronList, CalendarMacrosCombine) {
    EXPECT_EQ(fires("@daily; 0 12 * * *", kUtc, "2026-06-10 06:00:00", 3),
              (Times{"2026-06-10 12:00:00", "2026-06-11 00:00:00", "2026-06-11 12:00:00"}));
}

TEST(CronList, AtMostEightExpressions) {
    std::string text;
    for (int i = 0; i < kMaxCronExpressions; ++i) {
        text += (i == 0 ? "" : "; ") + std::to_string(i) + " 9 * * *";
    }
    EXPECT_EQ(parse(text).expression_count(), kMaxCronExpressions);
    const size_t ninth = text.size() + 2;
    text += "; 59 9 * * *";
    const ParseError error = parse_error(text);
    EXPECT_EQ(error.message, "schedule has more than 8 expressions");
    EXPECT_EQ(error.position, static_cast<int>(ninth));
}

TEST(CronList, DescriptionNamesEachPartAndTheZoneOnce) {
    const std::string first = describe_schedule(parse("0 9 * * 1#1"), "");
    const std::string second = describe_schedule(parse("0 9 15 * *"), "");
    const std::string third = describe_schedule(parse("*/10 * * * * *"), "");
    EXPECT_EQ(describe_schedule(parse("0 9 * * 1#1; 0 9 15 * *"), "Europe/Berlin"),
              first + "; and " + second + ", Europe/Berlin time");
    EXPECT_EQ(describe_schedule(parse("0 9 * * 1#1; 0 9 15 * *; */10 * * * * *"), "UTC"),
              first + "; " + second + "; and " + third + ", UTC time");
}

}  // namespace
}  // namespace pg_jobs::cron
