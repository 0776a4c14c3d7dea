// describe_schedule: exact wording for every feature of the cron syntax, so
// a change to a sentence is a deliberate, reviewed change.
#include "core/cron_describe.hpp"
#include "core/cron_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pg_jobs::cron {
namespace {

struct Case {
    const char* schedule;
    const char* expected;  // with the zone "UTC"
};

std::string describe(const char* text, const char* zone = "UTC") {
    const ParseResult result = parse_schedule(text);
    EXPECT_TRUE(result.ok) << text << ": " << result.error.message;
    return describe_schedule(result.schedule, zone);
}

void expect_descriptions(const std::vector<Case>& cases) {
    for (const Case& c : cases) {
        EXPECT_EQ(describe(c.schedule), c.expected) << "schedule: " << c.schedule;
    }
}

TEST(CronDescribe, TheIssueExample) {
    EXPECT_EQ(describe("30 2 * * 5L", "Europe/Berlin"),
              "at 02:30 on the last Friday of every month, Europe/Berlin time");
}

TEST(CronDescribe, MinutesWithinEveryHour) {
    expect_descriptions({
        {"* * * * *", "every minute, UTC time"},
        {"*/15 * * * *", "every 15 minutes, UTC time"},
        {"*/30 * * * *", "every 30 minutes, UTC time"},
        {"0 * * * *", "at minute 0 of every hour, UTC time"},
        {"5,35 * * * *", "at minutes 5 and 35 of every hour, UTC time"},
        {"10-20 * * * *", "every minute from minute 10 through 20 of every hour, UTC time"},
        {"10-55/5 * * * *", "every 5 minutes from minute 10 through 55 of every hour, UTC time"},
        // */7 stops at 56 and starts again at the hour: not an even 7-minute rhythm.
        {"*/7 * * * *", "every 7 minutes from minute 0 through 56 of every hour, UTC time"},
        {"0,1,3,7,15,31,58 * * * *", "at minutes 0, 1, 3, 7, 15, 31 and 58 of every hour, UTC time"},
    });
}

TEST(CronDescribe, FewTimesAreListed) {
    expect_descriptions({
        {"0 0 * * *", "at 00:00 every day, UTC time"},
        {"45 23 * * *", "at 23:45 every day, UTC time"},
        {"0,30 8,12,18 * * *", "at 08:00, 08:30, 12:00, 12:30, 18:00 and 18:30 every day, UTC time"},
        {"*/15 9 * * *", "at 09:00, 09:15, 09:30 and 09:45 every day, UTC time"},
        {"0 */5 * * *", "at 00:00, 05:00, 10:00, 15:00 and 20:00 every day, UTC time"},
    });
}

TEST(CronDescribe, EvenRhythmsWithinPartOfTheDay) {
    expect_descriptions({
        {"0 9-17 * * *", "every hour from 09:00 through 17:00 every day, UTC time"},
        {"*/15 9-17 * * *", "every 15 minutes from 09:00 through 17:45 every day, UTC time"},
        {"* 9 * * *", "every minute from 09:00 through 09:59 every day, UTC time"},
        {"10-20 9 * * *", "every minute from 09:10 through 09:20 every day, UTC time"},
        {"0 */2 * * *", "every 2 hours, UTC time"},
        {"0 */3 * * *", "every 3 hours, UTC time"},
        {"30 */2 * * *", "every 2 hours from 00:30 through 22:30 every day, UTC time"},
        {"0 1-23/2 * * *", "every 2 hours from 01:00 through 23:00 every day, UTC time"},
    });
}

TEST(CronDescribe, MinutesAndHoursSeparately) {
    expect_descriptions({
        {"10-20 9-17 * * *",
         "every minute from minute 10 through 20 of every hour from 09:00 through 17:00 every day, UTC time"},
        {"0,30 */2 * * *", "every 30 minutes of every 2nd hour, UTC time"},
        {"0,20 */2 * * *", "at minutes 0 and 20 of every 2nd hour, UTC time"},
        {"15,45 */5 * * *",
         "at minutes 15 and 45 of every 5th hour from 00:00 through 20:00 every day, UTC time"},
        {"0 1,2,5,7,9,11,13 * * *", "at minute 0 of hours 1, 2, 5, 7, 9, 11 and 13 every day, UTC time"},
        {"1,2,4,8,16,32,33 9 * * *", "at minutes 1, 2, 4, 8, 16, 32 and 33 of hour 9 every day, UTC time"},
    });
}

TEST(CronDescribe, SixFieldsWithSeconds) {
    expect_descriptions({
        {"* * * * * *", "every second, UTC time"},
        {"*/10 * * * * *", "every 10 seconds, UTC time"},
        {"30 0 12 * * *", "at 12:00:30 every day, UTC time"},
        {"0 30 12 * * *", "at 12:30 every day, UTC time"},
        {"0 0 * * * *", "at minute 0 of every hour, UTC time"},
        {"0 */5 * * * *", "every 5 minutes, UTC time"},
        {"5 * * * * *", "at second 5 of every minute, UTC time"},
        {"5 */2 * * * *", "at second 5 of every 2nd minute, UTC time"},
        {"*/10 5 * * * *", "every 10 seconds of minute 5 of every hour, UTC time"},
        {"30 5 * * * *", "at second 30 of minute 5 of every hour, UTC time"},
        {"0,30 * * * * *", "every 30 seconds, UTC time"},
        {"10-20 * * * * *", "every second from second 10 through 20 of every minute, UTC time"},
        {"*/10 * 9 * * *", "every 10 seconds from 09:00:00 through 09:59:50 every day, UTC time"},
        {"* * 9-17 * * *", "every second from 09:00:00 through 17:59:59 every day, UTC time"},
        {"15,45 0 6,18 * * *", "at 06:00:15, 06:00:45, 18:00:15 and 18:00:45 every day, UTC time"},
    });
}

TEST(CronDescribe, DaysOfTheMonth) {
    expect_descriptions({
        {"0 0 1 * *", "at 00:00 on day 1 of every month, UTC time"},
        {"0 0 1,15 * *", "at 00:00 on days 1 and 15 of every month, UTC time"},
        {"0 0 1-7 * *", "at 00:00 on days 1 through 7 of every month, UTC time"},
        {"0 0 1,10,20,25 * *", "at 00:00 on days 1, 10, 20 and 25 of every month, UTC time"},
        {"0 0 */5 * *", "at 00:00 on every 5th day from day 1 through 31 of every month, UTC time"},
        {"0 0 L * *", "at 00:00 on the last day of every month, UTC time"},
        {"0 0 L-2 * *", "at 00:00, 2 days before the last day of every month, UTC time"},
        {"0 0 L-1 * *", "at 00:00, 1 day before the last day of every month, UTC time"},
        {"0 0 L-1,L-2 * *", "at 00:00, 1 and 2 days before the last day of every month, UTC time"},
        {"0 0 1,L * *", "at 00:00 on day 1 and on the last day of every month, UTC time"},
        {"0 0 15,L,L-3 * *",
         "at 00:00 on day 15, on the last day and 3 days before the last day of every month, UTC time"},
    });
}

TEST(CronDescribe, Months) {
    expect_descriptions({
        {"0 0 1 1 *", "at 00:00 on January 1, UTC time"},
        {"0 12 * jan,jul *", "at 12:00 every day in January and July, UTC time"},
        {"0 12 * 3-10 *", "at 12:00 every day from March through October, UTC time"},
        {"* * * 1 *", "every minute in January, UTC time"},
        {"0 0 1 1,7 *", "at 00:00 on day 1 of January and July, UTC time"},
        {"0 0 1 */3 *", "at 00:00 on day 1 of January, April, July and October, UTC time"},
        {"0 0 1 3-10 *", "at 00:00 on day 1 of every month from March through October, UTC time"},
        {"0 0 L 2 *", "at 00:00 on the last day of February, UTC time"},
        {"0 0 15,L feb *", "at 00:00 on day 15 and on the last day of February, UTC time"},
    });
}

TEST(CronDescribe, DaysOfTheWeek) {
    expect_descriptions({
        {"0 9 * * 1", "at 09:00 on Monday, UTC time"},
        {"0 9 * * 1-5", "at 09:00 on Monday through Friday, UTC time"},
        {"0 9 * * mon,wed,fri", "at 09:00 on Monday, Wednesday and Friday, UTC time"},
        {"0 0 * * 0,6", "at 00:00 on Sunday and Saturday, UTC time"},
        {"0 0 * * 7", "at 00:00 on Sunday, UTC time"},
        {"0 0 * * 5,6,0", "at 00:00 on Friday through Sunday, UTC time"},
        {"0 0 * * */2", "at 00:00 on Sunday, Tuesday, Thursday and Saturday, UTC time"},
        {"0 0 ? * 2", "at 00:00 on Tuesday, UTC time"},
        {"0 9-17 * * 1-5", "every hour from 09:00 through 17:00 on Monday through Friday, UTC time"},
        {"*/2 * * * 1", "every 2 minutes on Monday, UTC time"},
        {"0 0 * 6-8 sat,sun", "at 00:00 on Sunday and Saturday from June through August, UTC time"},
        {"0 0 * 1 1", "at 00:00 on Monday in January, UTC time"},
    });
}

TEST(CronDescribe, NthAndLastWeekdays) {
    expect_descriptions({
        {"0 9 * * 1#1", "at 09:00 on the first Monday of every month, UTC time"},
        {"0 9 * * 2#5", "at 09:00 on the fifth Tuesday of every month, UTC time"},
        {"0 0 * * 1#1,1#3", "at 00:00 on the first and third Monday of every month, UTC time"},
        {"0 0 * * 1#1,1#3,5L",
         "at 00:00 on the first and third Monday and the last Friday of every month, UTC time"},
        {"0 0 * * 5#1,5L", "at 00:00 on the first and last Friday of every month, UTC time"},
        {"0 0 * * 1,5L", "at 00:00 on Monday and on the last Friday of every month, UTC time"},
        {"0 0 * 3-10 1,5L",
         "at 00:00 on Monday and on the last Friday of the month, from March through October, UTC time"},
        {"0 0 * 1,7 0L", "at 00:00 on the last Sunday of January and July, UTC time"},
    });
}

TEST(CronDescribe, BothDayFieldsRestrictedMatchEither) {
    expect_descriptions({
        {"0 0 13 * 5", "at 00:00 on day 13 of the month or on Friday, UTC time"},
        {"0 0 1-7 * 1", "at 00:00 on days 1 through 7 of the month or on Monday, UTC time"},
        {"0 0 L * 1#1",
         "at 00:00 on the last day of the month or on the first Monday of the month, UTC time"},
        {"0 0 13 1 5", "at 00:00 on day 13 of the month or on Friday, in January, UTC time"},
        // Every day of the month is written out, so every day matches.
        {"0 0 1-31 * 1", "at 00:00 every day, UTC time"},
    });
}

TEST(CronDescribe, StarredDayFieldMustMatchToo) {
    expect_descriptions({
        {"0 0 */2 * 1",
         "at 00:00 on every 2nd day from day 1 through 31 of every month, but only on Monday, UTC time"},
        {"0 0 1-7 * */2",
         "at 00:00 on days 1 through 7 of every month, but only on Sunday, Tuesday, Thursday and Saturday, "
         "UTC time"},
        {"0 0 * * *", "at 00:00 every day, UTC time"},
    });
}

TEST(CronDescribe, Macros) {
    expect_descriptions({
        {"@yearly", "at 00:00 on January 1, UTC time"},
        {"@annually", "at 00:00 on January 1, UTC time"},
        {"@monthly", "at 00:00 on day 1 of every month, UTC time"},
        {"@weekly", "at 00:00 on Sunday, UTC time"},
        {"@daily", "at 00:00 every day, UTC time"},
        {"@midnight", "at 00:00 every day, UTC time"},
        {"@hourly", "at minute 0 of every hour, UTC time"},
        {"@reboot", "once each time the scheduler starts"},
    });
}

TEST(CronDescribe, FixedPeriodsIgnoreTheZone) {
    EXPECT_EQ(describe("@every 90 seconds", "Europe/Berlin"),
              "every 90 seconds, counted from 1970-01-01 00:00:00 UTC");
    expect_descriptions({
        {"@every 1 second", "every 1 second, counted from 1970-01-01 00:00:00 UTC"},
        {"@every 45 seconds", "every 45 seconds, counted from 1970-01-01 00:00:00 UTC"},
        {"@every 1 minute", "every 1 minute, counted from 1970-01-01 00:00:00 UTC"},
        {"@every 2 hours", "every 2 hours, counted from 1970-01-01 00:00:00 UTC"},
        {"@every 1 day", "every 1 day, counted from 1970-01-01 00:00:00 UTC"},
        {"@every 2 weeks", "every 14 days, counted from 1970-01-01 00:00:00 UTC"},
        {"30 seconds", "every 30 seconds, counted from 1970-01-01 00:00:00 UTC"},
    });
}

// A period reads in the largest unit that divides it exactly, as a person
// writes it; the breakdown follows only when that number is hard to read.
TEST(CronDescribe, FixedPeriodsReadAsWritten) {
    expect_descriptions({
        {"@every 90 minutes", "every 90 minutes, counted from 1970-01-01 00:00:00 UTC"},
        {"@every 1 hour 30 minutes", "every 90 minutes, counted from 1970-01-01 00:00:00 UTC"},
        {"@every 5400 seconds", "every 90 minutes, counted from 1970-01-01 00:00:00 UTC"},
        {"@every 120 seconds", "every 2 minutes, counted from 1970-01-01 00:00:00 UTC"},
        {"@every 36 hours", "every 36 hours, counted from 1970-01-01 00:00:00 UTC"},
        {"@every 1 day 1 hour", "every 25 hours, counted from 1970-01-01 00:00:00 UTC"},
        {"@every 48 hours", "every 2 days, counted from 1970-01-01 00:00:00 UTC"},
        {"@every 1 hour 1 second",
         "every 3601 seconds (1 hour 1 second), counted from 1970-01-01 00:00:00 UTC"},
        {"@every 1 day 1 second",
         "every 86401 seconds (1 day 1 second), counted from 1970-01-01 00:00:00 UTC"},
        {"@every 1 day 1 minute",
         "every 1441 minutes (1 day 1 minute), counted from 1970-01-01 00:00:00 UTC"},
        {"@every 36500 days", "every 36500 days, counted from 1970-01-01 00:00:00 UTC"},
    });
}

TEST(CronDescribe, EquivalentSpellingsReadTheSame) {
    const std::string quarter = describe("*/15 * * * *");
    EXPECT_EQ(describe("0-59/15 * * * *"), quarter);
    EXPECT_EQ(describe("0,15,30,45 * * * *"), quarter);
    EXPECT_EQ(describe("0/15 * * * *"), quarter);
    EXPECT_EQ(describe("0 0 * * 0"), describe("0 0 * * 7"));
    EXPECT_EQ(describe("0 0 * * SUN"), describe("0 0 * * sun"));
    EXPECT_EQ(describe("0 0 * JAN *"), describe("0 0 * 1 *"));
}

TEST(CronDescribe, ZoneSuffix) {
    EXPECT_EQ(describe("0 0 * * *", "America/New_York"), "at 00:00 every day, America/New_York time");
    EXPECT_EQ(describe("0 0 * * *", ""), "at 00:00 every day");
}

// Hand-built values the parser never produces must still read sensibly.
TEST(CronDescribe, SchedulesThatCannotFire) {
    CronSchedule no_minutes;
    no_minutes.hours = 1;
    no_minutes.days_of_month = 0xFFFFFFFEU;
    no_minutes.months = 0x1FFE;
    no_minutes.days_of_week = 0x7F;
    EXPECT_EQ(describe_schedule(no_minutes, "UTC"), "never");

    CronSchedule february_30 = no_minutes;
    february_30.minutes = 1;
    february_30.days_of_month = 1U << 30;
    february_30.months = 1U << 2;
    february_30.day_of_month_star = false;
    EXPECT_EQ(describe_schedule(february_30, "UTC"), "never");

    CronSchedule zero_period;
    zero_period.kind = ScheduleKind::Every;
    EXPECT_EQ(describe_schedule(zero_period, "UTC"), "never");
}

TEST(CronDescribe, HandBuiltCalendarSchedule) {
    CronSchedule s;
    s.minutes = 1U << 30;
    s.hours = 1U << 2;
    s.days_of_month = 0xFFFFFFFEU;
    s.months = 0x1FFE;
    s.days_of_week = 0;
    s.last_weekday = 1U << 5;
    s.day_of_week_star = false;
    EXPECT_EQ(describe_schedule(s, "Europe/Berlin"),
              "at 02:30 on the last Friday of every month, Europe/Berlin time");
}

// Every combination of a few values per field: the sentence is never empty,
// never shows a placeholder, and always ends with the zone.
TEST(CronDescribe, ManyCombinationsReadCleanly) {
    const char* minutes[] = {"*", "0", "*/15", "5,35", "10-20", "0,1,3,7,15,31,58"};
    const char* hours[] = {"*", "9", "9-17", "*/2", "1,2,5,7,9,11,13"};
    const char* days[] = {"*", "1", "L", "L-2", "*/2", "1-7", "?"};
    const char* months[] = {"*", "1", "1,7", "3-10"};
    const char* weekdays[] = {"*", "1", "1-5", "5L", "1#2", "*/2", "?"};
    for (const char* minute : minutes) {
        for (const char* hour : hours) {
            for (const char* day : days) {
                for (const char* month : months) {
                    for (const char* weekday : weekdays) {
                        const std::string text =
                            std::string(minute) + " " + hour + " " + day + " " + month + " " + weekday;
                        const ParseResult parsed = parse_schedule(text);
                        ASSERT_TRUE(parsed.ok) << text << ": " << parsed.error.message;
                        const std::string out = describe_schedule(parsed.schedule, "UTC");
                        EXPECT_EQ(out.find('?'), std::string::npos) << text << " -> " << out;
                        EXPECT_EQ(out.find("  "), std::string::npos) << text << " -> " << out;
                        EXPECT_EQ(out.find(", ,"), std::string::npos) << text << " -> " << out;
                        EXPECT_EQ(out.rfind(", UTC time"), out.size() - 10) << text << " -> " << out;
                        EXPECT_NE(out.substr(0, 5), "never") << text;
                    }
                }
            }
        }
    }
}

}  // namespace
}  // namespace pg_jobs::cron
