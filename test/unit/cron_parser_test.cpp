// parse_schedule: every syntax element, the masks and flags it produces,
// macros, @every, pg_cron's seconds form, and robustness on hostile input.
// Bad schedules are mostly covered by bad_schedule_corpus_test.cpp.
#include "core/cron_parser.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <random>
#include <string>
#include <string_view>

namespace pg_jobs::cron {
namespace {

uint64_t bits(std::initializer_list<int> values) {
    uint64_t mask = 0;
    for (const int v : values) {
        mask |= uint64_t{1} << v;
    }
    return mask;
}

uint64_t range(int low, int high, int step = 1) {
    uint64_t mask = 0;
    for (int v = low; v <= high; v += step) {
        mask |= uint64_t{1} << v;
    }
    return mask;
}

CronSchedule parse_ok(std::string_view text) {
    const ParseResult result = parse_schedule(text);
    EXPECT_TRUE(result.ok) << "\"" << text << "\": " << result.error.message;
    return result.schedule;
}

ParseError parse_error(std::string_view text) {
    const ParseResult result = parse_schedule(text);
    EXPECT_FALSE(result.ok) << "\"" << text << "\" parsed";
    return result.error;
}

// Field-by-field, so a failure says which mask differs.
void expect_same(const CronSchedule& a, const CronSchedule& b, const char* what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.has_seconds, b.has_seconds);
    EXPECT_EQ(a.seconds, b.seconds);
    EXPECT_EQ(a.minutes, b.minutes);
    EXPECT_EQ(a.hours, b.hours);
    EXPECT_EQ(a.days_of_month, b.days_of_month);
    EXPECT_EQ(a.days_before_last, b.days_before_last);
    EXPECT_EQ(a.months, b.months);
    EXPECT_EQ(a.days_of_week, b.days_of_week);
    EXPECT_EQ(a.last_weekday, b.last_weekday);
    EXPECT_EQ(a.nth_weekday, b.nth_weekday);
    EXPECT_EQ(a.day_of_month_star, b.day_of_month_star);
    EXPECT_EQ(a.day_of_week_star, b.day_of_week_star);
    EXPECT_EQ(a.hour_star, b.hour_star);
    EXPECT_EQ(a.every_seconds, b.every_seconds);
}

uint64_t minutes_of(std::string_view field) {
    return parse_ok(std::string(field) + " * * * *").minutes;
}
uint32_t hours_of(std::string_view field) {
    return parse_ok("0 " + std::string(field) + " * * *").hours;
}
uint32_t days_of(std::string_view field) {
    return parse_ok("0 0 " + std::string(field) + " * *").days_of_month;
}
uint16_t months_of(std::string_view field) {
    return parse_ok("0 0 * " + std::string(field) + " *").months;
}
uint8_t weekdays_of(std::string_view field) {
    return parse_ok("0 0 * * " + std::string(field)).days_of_week;
}

TEST(CronParser, FiveStarsFillEveryMask) {
    const CronSchedule s = parse_ok("* * * * *");
    EXPECT_EQ(s.kind, ScheduleKind::Calendar);
    EXPECT_FALSE(s.has_seconds);
    EXPECT_EQ(s.seconds, 1u);
    EXPECT_EQ(s.minutes, range(0, 59));
    EXPECT_EQ(s.hours, range(0, 23));
    EXPECT_EQ(s.days_of_month, range(1, 31));
    EXPECT_EQ(s.days_before_last, 0u);
    EXPECT_EQ(s.months, range(1, 12));
    EXPECT_EQ(s.days_of_week, range(0, 6));
    EXPECT_EQ(s.last_weekday, 0u);
    EXPECT_EQ(s.nth_weekday, 0u);
    EXPECT_TRUE(s.hour_star);
    EXPECT_TRUE(s.day_of_month_star);
    EXPECT_TRUE(s.day_of_week_star);
    EXPECT_EQ(s.every_seconds, 0);
}

TEST(CronParser, SixFieldsLeadWithSeconds) {
    const CronSchedule s = parse_ok("*/10 30 2 * * *");
    EXPECT_TRUE(s.has_seconds);
    EXPECT_EQ(s.seconds, bits({0, 10, 20, 30, 40, 50}));
    EXPECT_EQ(s.minutes, bits({30}));
    EXPECT_EQ(s.hours, bits({2}));
    EXPECT_FALSE(s.hour_star);
    EXPECT_EQ(parse_ok("59 * * * * *").seconds, bits({59}));
    EXPECT_EQ(parse_ok("0 * * * * *").seconds, bits({0}));
    EXPECT_EQ(parse_ok("5-7,9 * * * * *").seconds, bits({5, 6, 7, 9}));
}

TEST(CronParser, SpecificValuesInEveryField) {
    const CronSchedule s = parse_ok("5 4 3 2 1");
    EXPECT_EQ(s.minutes, bits({5}));
    EXPECT_EQ(s.hours, bits({4}));
    EXPECT_EQ(s.days_of_month, bits({3}));
    EXPECT_EQ(s.months, bits({2}));
    EXPECT_EQ(s.days_of_week, bits({1}));
    EXPECT_FALSE(s.hour_star);
    EXPECT_FALSE(s.day_of_month_star);
    EXPECT_FALSE(s.day_of_week_star);
    // The ends of each range.
    const CronSchedule ends = parse_ok("0,59 0,23 1,31 1,12 0,6");
    EXPECT_EQ(ends.minutes, bits({0, 59}));
    EXPECT_EQ(ends.hours, bits({0, 23}));
    EXPECT_EQ(ends.days_of_month, bits({1, 31}));
    EXPECT_EQ(ends.months, bits({1, 12}));
    EXPECT_EQ(ends.days_of_week, bits({0, 6}));
    EXPECT_EQ(minutes_of("007"), bits({7}));
}

TEST(CronParser, ListsAndRanges) {
    EXPECT_EQ(minutes_of("1,2,3"), bits({1, 2, 3}));
    EXPECT_EQ(minutes_of("5,10-12,30"), bits({5, 10, 11, 12, 30}));
    EXPECT_EQ(minutes_of("3,3,3"), bits({3}));
    EXPECT_EQ(hours_of("9-17"), range(9, 17));
    EXPECT_EQ(hours_of("0-23"), range(0, 23));
    EXPECT_EQ(hours_of("5-5"), bits({5}));
    EXPECT_EQ(days_of("1-10,20-25"), range(1, 10) | range(20, 25));
    EXPECT_EQ(months_of("1-3,10-12"), range(1, 3) | range(10, 12));
    EXPECT_EQ(weekdays_of("1-5"), range(1, 5));
}

TEST(CronParser, Steps) {
    EXPECT_EQ(minutes_of("*/15"), bits({0, 15, 30, 45}));
    EXPECT_EQ(minutes_of("10-50/20"), bits({10, 30, 50}));
    EXPECT_EQ(minutes_of("10-55/20"), bits({10, 30, 50}));
    EXPECT_EQ(minutes_of("5/20"), bits({5, 25, 45}));  // a/n runs to the field's end
    EXPECT_EQ(minutes_of("*/1"), range(0, 59));
    EXPECT_EQ(hours_of("*/7"), bits({0, 7, 14, 21}));
    EXPECT_EQ(hours_of("1/6"), bits({1, 7, 13, 19}));
    EXPECT_EQ(days_of("*/10"), bits({1, 11, 21, 31}));
    EXPECT_EQ(months_of("*/3"), bits({1, 4, 7, 10}));
    EXPECT_EQ(months_of("jul/2"), bits({7, 9, 11}));
    EXPECT_EQ(weekdays_of("*/2"), bits({0, 2, 4, 6}));
    EXPECT_EQ(weekdays_of("1/2"), bits({1, 3, 5}));    // stops at Saturday: no Sunday as 7
    EXPECT_EQ(weekdays_of("1-7/3"), bits({0, 1, 4}));  // 7 is Sunday again
    EXPECT_EQ(minutes_of("0-30/10,45"), bits({0, 10, 20, 30, 45}));
}

// The largest step is the field's range as written (max - min), so a step
// can reach a second value from the field's first one; day-of-week's 0-7
// allows 7, which lands on Sunday again.
TEST(CronParser, LargestStepOfEachField) {
    EXPECT_EQ(parse_ok("*/59 * * * * *").seconds, bits({0, 59}));
    EXPECT_EQ(minutes_of("*/59"), bits({0, 59}));
    EXPECT_EQ(minutes_of("0-59/30"), bits({0, 30}));
    EXPECT_EQ(hours_of("*/23"), bits({0, 23}));
    EXPECT_EQ(days_of("*/30"), bits({1, 31}));
    EXPECT_EQ(months_of("*/11"), bits({1, 12}));
    EXPECT_EQ(weekdays_of("*/6"), bits({0, 6}));
    EXPECT_EQ(weekdays_of("*/7"), bits({0}));
    EXPECT_EQ(weekdays_of("0-7/7"), bits({0}));
}

// Within the field's limit a step past the end of its own range keeps
// only the range's start, as in Vixie cron.
TEST(CronParser, StepsLongerThanTheirRangeKeepOnlyTheStart) {
    EXPECT_EQ(minutes_of("10-20/11"), bits({10}));
    EXPECT_EQ(minutes_of("50/20"), bits({50}));
    EXPECT_EQ(hours_of("20-22/5"), bits({20}));
}

// "*/90" in minutes used to mean only ":00"; now each field refuses a step
// above its limit, with the caret under the step and @every offered.
TEST(CronParser, StepsLargerThanTheFieldAreRefused) {
    const ParseError minute = parse_error("*/90 * * * *");
    EXPECT_EQ(minute.message, "minute step 90 is out of range 1-59");
    EXPECT_EQ(minute.hint,
              "Write a step from 1 to 59; for a period of 90 minutes write \"@every 90 minutes\".");
    EXPECT_EQ(minute.position, 2);

    const ParseError second = parse_error("*/60 * * * * *");
    EXPECT_EQ(second.message, "second step 60 is out of range 1-59");
    EXPECT_EQ(second.hint,
              "Write a step from 1 to 59; for a period of 60 seconds write \"@every 60 seconds\".");
    EXPECT_EQ(second.position, 2);

    const ParseError hour = parse_error("0 */24 * * *");
    EXPECT_EQ(hour.message, "hour step 24 is out of range 1-23");
    EXPECT_EQ(hour.hint, "Write a step from 1 to 23; for a period of 24 hours write \"@every 24 hours\".");
    EXPECT_EQ(hour.position, 4);

    const ParseError day = parse_error("0 0 1-31/31 * *");
    EXPECT_EQ(day.message, "day-of-month step 31 is out of range 1-30");
    EXPECT_EQ(day.position, 9);

    const ParseError month = parse_error("0 0 1 jan/12 *");
    EXPECT_EQ(month.message, "month step 12 is out of range 1-11");
    EXPECT_EQ(month.hint,
              "Write a step from 1 to 11; @every takes no months, so for yearly runs write one month, for "
              "example \"1\".");
    EXPECT_EQ(month.position, 10);

    const ParseError weekday = parse_error("0 0 * * 0-7/8");
    EXPECT_EQ(weekday.message, "day-of-week step 8 is out of range 1-7");
    EXPECT_EQ(weekday.hint, "Write a step from 1 to 7; for a period of 8 days write \"@every 8 days\".");
    EXPECT_EQ(weekday.position, 12);

    EXPECT_EQ(parse_error("5/100 * * * *").message, "minute step 100 is out of range 1-59");
    EXPECT_EQ(parse_error("1,*/60 * * * *").position, 4);
    EXPECT_EQ(parse_error("0 0 ?/31 * *").message, "day-of-month step 31 is out of range 1-30");
}

// pg_cron's own invalid-schedule test: a step beyond INT_MAX gets the same
// message (digits as written) and a hint with an @every that is valid.
TEST(CronParser, HugeStepsDoNotOverflow) {
    const ParseError pg_cron = parse_error("*/5000000000 10 * * *");
    EXPECT_EQ(pg_cron.message, "minute step 5000000000 is out of range 1-59");
    EXPECT_EQ(pg_cron.hint,
              "Write a step from 1 to 59; for a longer fixed period write @every, for example \"@every 90 "
              "minutes\".");
    EXPECT_EQ(pg_cron.position, 2);
    EXPECT_EQ(parse_error("*/99999999999999999999 * * * *").message,
              "minute step 99999999999999999999 is out of range 1-59");
    // The longest @every is 36500 days: the hint offers it up to there.
    EXPECT_EQ(parse_error("0 0 */36500 * *").hint,
              "Write a step from 1 to 30; for a period of 36500 days write \"@every 36500 days\".");
    EXPECT_EQ(parse_error("0 0 */36501 * *").hint,
              "Write a step from 1 to 30; for a longer fixed period write @every, for example \"@every 45 "
              "days\".");
}

TEST(CronParser, MonthNamesAnyCase) {
    EXPECT_EQ(months_of("jan"), bits({1}));
    EXPECT_EQ(months_of("DEC"), bits({12}));
    EXPECT_EQ(months_of("Feb,aPr"), bits({2, 4}));
    EXPECT_EQ(months_of("jan-mar"), bits({1, 2, 3}));
    EXPECT_EQ(months_of("JUN-aug,12"), bits({6, 7, 8, 12}));
    EXPECT_EQ(months_of("jan-dec/6"), bits({1, 7}));
    const char* names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                           "jul", "aug", "sep", "oct", "nov", "dec"};
    for (int m = 0; m < 12; ++m) {
        EXPECT_EQ(months_of(names[m]), bits({m + 1})) << names[m];
    }
}

TEST(CronParser, WeekdayNamesAnyCase) {
    const char* names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    for (int w = 0; w < 7; ++w) {
        EXPECT_EQ(weekdays_of(names[w]), bits({w})) << names[w];
    }
    EXPECT_EQ(weekdays_of("MON-Fri"), range(1, 5));
    EXPECT_EQ(weekdays_of("sat,SUN"), bits({0, 6}));
    EXPECT_EQ(weekdays_of("mon-3"), bits({1, 2, 3}));
}

TEST(CronParser, SundayIsZeroOrSeven) {
    EXPECT_EQ(weekdays_of("0"), bits({0}));
    EXPECT_EQ(weekdays_of("7"), bits({0}));
    EXPECT_EQ(weekdays_of("0,7"), bits({0}));
    EXPECT_EQ(weekdays_of("5-7"), bits({5, 6, 0}));
    EXPECT_EQ(weekdays_of("0-7"), range(0, 6));
    EXPECT_EQ(weekdays_of("fri-sun"), bits({5, 6, 0}));
    EXPECT_EQ(weekdays_of("sat-sun"), bits({6, 0}));
    EXPECT_EQ(weekdays_of("sun-sat"), range(0, 6));
    EXPECT_EQ(weekdays_of("sun-sun"), bits({0}));
    EXPECT_EQ(weekdays_of("7-7"), bits({0}));
    EXPECT_EQ(weekdays_of("6-7"), bits({6, 0}));
}

TEST(CronParser, StarFlagsFollowTheFirstCharacter) {
    EXPECT_TRUE(parse_ok("0 * * * *").hour_star);
    EXPECT_TRUE(parse_ok("0 */2 * * *").hour_star);
    EXPECT_FALSE(parse_ok("0 0-23 * * *").hour_star);
    EXPECT_FALSE(parse_ok("0 1 * * *").hour_star);

    EXPECT_TRUE(parse_ok("0 0 */2 * *").day_of_month_star);
    EXPECT_FALSE(parse_ok("0 0 1-31 * *").day_of_month_star);
    EXPECT_TRUE(parse_ok("0 0 * * */2").day_of_week_star);
    EXPECT_FALSE(parse_ok("0 0 * * 0-6").day_of_week_star);
    EXPECT_FALSE(parse_ok("0 0 * * 1,*").day_of_week_star);
}

TEST(CronParser, QuestionMarkIsStarInDayFields) {
    const CronSchedule dom = parse_ok("0 0 ? * 1");
    EXPECT_TRUE(dom.day_of_month_star);
    EXPECT_EQ(dom.days_of_month, range(1, 31));
    EXPECT_FALSE(dom.day_of_week_star);
    EXPECT_EQ(dom.days_of_week, bits({1}));

    const CronSchedule dow = parse_ok("0 0 15 * ?");
    EXPECT_TRUE(dow.day_of_week_star);
    EXPECT_EQ(dow.days_of_week, range(0, 6));
    EXPECT_FALSE(dow.day_of_month_star);

    EXPECT_EQ(days_of("?/10"), bits({1, 11, 21, 31}));
    const CronSchedule both = parse_ok("0 0 ? * ?");
    EXPECT_TRUE(both.day_of_month_star);
    EXPECT_TRUE(both.day_of_week_star);
}

TEST(CronParser, LastDayOfMonth) {
    const CronSchedule s = parse_ok("0 0 L * *");
    EXPECT_EQ(s.days_of_month, 0u);
    EXPECT_EQ(s.days_before_last, 1u);
    EXPECT_FALSE(s.day_of_month_star);
    EXPECT_EQ(parse_ok("0 0 l * *").days_before_last, 1u);
    EXPECT_EQ(parse_ok("0 0 L-0 * *").days_before_last, 1u);
    EXPECT_EQ(parse_ok("0 0 L-2 * *").days_before_last, bits({2}));
    EXPECT_EQ(parse_ok("0 0 L-30 * *").days_before_last, bits({30}));
    EXPECT_EQ(parse_ok("0 0 L,L-3,l-7 * *").days_before_last, bits({0, 3, 7}));
    // Mixed with plain days.
    const CronSchedule mixed = parse_ok("0 0 1,15,L * *");
    EXPECT_EQ(mixed.days_of_month, bits({1, 15}));
    EXPECT_EQ(mixed.days_before_last, 1u);
    const CronSchedule range_and_l = parse_ok("0 0 L-1,1-3 * *");
    EXPECT_EQ(range_and_l.days_of_month, range(1, 3));
    EXPECT_EQ(range_and_l.days_before_last, bits({1}));
}

TEST(CronParser, LastWeekdayOfMonth) {
    const CronSchedule s = parse_ok("30 2 * * 5L");
    EXPECT_EQ(s.last_weekday, bits({5}));
    EXPECT_EQ(s.days_of_week, 0u);
    EXPECT_FALSE(s.day_of_week_star);
    EXPECT_EQ(parse_ok("0 0 * * 5l").last_weekday, bits({5}));
    EXPECT_EQ(parse_ok("0 0 * * 0L").last_weekday, bits({0}));
    EXPECT_EQ(parse_ok("0 0 * * 7L").last_weekday, bits({0}));
    EXPECT_EQ(parse_ok("0 0 * * 1L,5L").last_weekday, bits({1, 5}));
    const CronSchedule mixed = parse_ok("0 0 * * 1-3,5L");
    EXPECT_EQ(mixed.days_of_week, range(1, 3));
    EXPECT_EQ(mixed.last_weekday, bits({5}));
}

TEST(CronParser, NthWeekdayOfMonth) {
    EXPECT_EQ(parse_ok("0 9 * * 1#1").nth_weekday, bits({1}));          // first Monday
    EXPECT_EQ(parse_ok("0 9 * * 5#3").nth_weekday, bits({2 * 7 + 5}));  // third Friday
    EXPECT_EQ(parse_ok("0 9 * * 0#2").nth_weekday, bits({7}));
    EXPECT_EQ(parse_ok("0 9 * * 7#5").nth_weekday, bits({4 * 7}));  // fifth Sunday, as 7
    EXPECT_EQ(parse_ok("0 9 * * 6#5").nth_weekday, bits({4 * 7 + 6}));
    EXPECT_EQ(parse_ok("0 9 * * mon#2").nth_weekday, bits({7 + 1}));
    EXPECT_EQ(parse_ok("0 9 * * 1#1,1#3").nth_weekday, bits({1, 14 + 1}));
    const CronSchedule s = parse_ok("0 9 * * 0,1#1,5L");
    EXPECT_EQ(s.days_of_week, bits({0}));
    EXPECT_EQ(s.nth_weekday, bits({1}));
    EXPECT_EQ(s.last_weekday, bits({5}));
    EXPECT_FALSE(s.day_of_week_star);
    EXPECT_EQ(s.days_of_month, range(1, 31));
}

TEST(CronParser, BothDayFieldsRestricted) {
    const CronSchedule s = parse_ok("0 0 13 * 5");
    EXPECT_FALSE(s.day_of_month_star);
    EXPECT_FALSE(s.day_of_week_star);
    EXPECT_EQ(s.days_of_month, bits({13}));
    EXPECT_EQ(s.days_of_week, bits({5}));
}

TEST(CronParser, MacrosEqualTheirFields) {
    expect_same(parse_ok("@yearly"), parse_ok("0 0 1 1 *"), "@yearly");
    expect_same(parse_ok("@annually"), parse_ok("0 0 1 1 *"), "@annually");
    expect_same(parse_ok("@monthly"), parse_ok("0 0 1 * *"), "@monthly");
    expect_same(parse_ok("@weekly"), parse_ok("0 0 * * 0"), "@weekly");
    expect_same(parse_ok("@daily"), parse_ok("0 0 * * *"), "@daily");
    expect_same(parse_ok("@midnight"), parse_ok("0 0 * * *"), "@midnight");
    expect_same(parse_ok("@hourly"), parse_ok("0 * * * *"), "@hourly");
    expect_same(parse_ok("@DAILY"), parse_ok("@daily"), "@DAILY");
    expect_same(parse_ok("  @Hourly\t"), parse_ok("@hourly"), "@Hourly with spaces");
    EXPECT_FALSE(parse_ok("@daily").hour_star);
    EXPECT_TRUE(parse_ok("@hourly").hour_star);
}

TEST(CronParser, Reboot) {
    EXPECT_EQ(parse_ok("@reboot").kind, ScheduleKind::Reboot);
    EXPECT_EQ(parse_ok("@REBOOT").kind, ScheduleKind::Reboot);
    EXPECT_EQ(parse_error("@reboot now").position, 8);
}

TEST(CronParser, Every) {
    const CronSchedule s = parse_ok("@every 90 seconds");
    EXPECT_EQ(s.kind, ScheduleKind::Every);
    EXPECT_EQ(s.every_seconds, 90);
    EXPECT_EQ(parse_ok("@every 1 second").every_seconds, 1);
    EXPECT_EQ(parse_ok("@every 2 hours").every_seconds, 7200);
    EXPECT_EQ(parse_ok("@every 1 day").every_seconds, 86400);
    EXPECT_EQ(parse_ok("@every 2 weeks").every_seconds, 14 * 86400);
    EXPECT_EQ(parse_ok("@every 1 hour 30 minutes").every_seconds, 5400);
    EXPECT_EQ(parse_ok("@every 01:30:00").every_seconds, 5400);
    EXPECT_EQ(parse_ok("@every 1 second 1000 ms").every_seconds, 2);
    EXPECT_EQ(parse_ok("@every 1.5 minutes").every_seconds, 90);
    EXPECT_EQ(parse_ok("@every 1 day -1 second").every_seconds, 86399);
    EXPECT_EQ(parse_ok("@EVERY 5 MIN").every_seconds, 300);
    EXPECT_EQ(parse_ok("  @every\t 10   seconds  ").every_seconds, 10);
}

TEST(CronParser, EveryUsesTheGivenIntervalParser) {
    const IntervalParser always_42s = [](std::string_view text, IntervalValue* out, std::string*) {
        out->micros = (text == "forty-two" ? 42 : 1) * int64_t{1000000};
        return true;
    };
    EXPECT_EQ(parse_schedule("@every forty-two", always_42s).schedule.every_seconds, 42);
    const IntervalParser refuses = [](std::string_view, IntervalValue*, std::string* error) {
        *error = "invalid input syntax for type interval";
        return false;
    };
    const ParseResult refused = parse_schedule("@every 5 minutes", refuses);
    EXPECT_FALSE(refused.ok);
    EXPECT_EQ(refused.error.message, "invalid @every interval \"5 minutes\"");
    EXPECT_EQ(refused.error.position, 7);
    const IntervalParser days_only = [](std::string_view, IntervalValue* out, std::string*) {
        out->days = 3;
        return true;
    };
    EXPECT_EQ(parse_schedule("@every 3 days", days_only).schedule.every_seconds, 3 * 86400);
    // No parser given: the simple one.
    EXPECT_EQ(parse_schedule("@every 2 minutes", nullptr).schedule.every_seconds, 120);
}

TEST(CronParser, EveryRefusals) {
    EXPECT_EQ(parse_error("@every 1 month").message, "@every does not take months or years");
    EXPECT_EQ(parse_error("@every 1 year").message, "@every does not take months or years");
    EXPECT_EQ(parse_error("@every 0 seconds").message, "@every interval must be at least 1 second");
    EXPECT_EQ(parse_error("@every 500 ms").message, "@every interval must be at least 1 second");
    EXPECT_EQ(parse_error("@every 1.5 seconds").message, "@every interval must be a whole number of seconds");
    EXPECT_EQ(parse_error("@every -5 seconds").message, "@every interval must be positive");
    EXPECT_EQ(parse_error("@every 5 seconds ago").message, "@every interval must be positive");
    EXPECT_EQ(parse_error("@every").message, "@every needs an interval");
    const ParseError garbage = parse_error("@every  soon");
    EXPECT_EQ(garbage.message, "invalid @every interval \"soon\"");
    EXPECT_EQ(garbage.position, 8);
}

TEST(CronParser, PgCronSecondsForm) {
    const CronSchedule s = parse_ok("30 seconds");
    EXPECT_EQ(s.kind, ScheduleKind::Every);
    EXPECT_EQ(s.every_seconds, 30);
    EXPECT_EQ(parse_ok("1 second").every_seconds, 1);
    EXPECT_EQ(parse_ok("59 SECONDS").every_seconds, 59);
    EXPECT_EQ(parse_ok(" 5\tSeconds ").every_seconds, 5);
    EXPECT_EQ(parse_error("0 seconds").message, "seconds interval 0 is out of range 1-59");
    EXPECT_EQ(parse_error("60 seconds").message, "seconds interval 60 is out of range 1-59");
}

TEST(CronParser, WhitespaceSeparatesFields) {
    expect_same(parse_ok("  */5\t*  *\t* *  "), parse_ok("*/5 * * * *"), "spaces and tabs");
    expect_same(parse_ok("0 0 * * *\n"), parse_ok("0 0 * * *"), "trailing newline");
    // Positions count from the original text, leading blanks included.
    EXPECT_EQ(parse_error("  61 * * * *").position, 2);
    EXPECT_EQ(parse_error("\t0 0 30 2 *").position, 5);
    EXPECT_EQ(parse_error("0  0 * 13 *").position, 7);
}

TEST(CronParser, ExactMessagesForCommonMistakes) {
    const ParseError minute = parse_error("61 * * * *");
    EXPECT_EQ(minute.message, "minute value 61 is out of range 0-59");
    EXPECT_EQ(minute.hint, "Minutes go from 0 to 59, for example \"*/15\".");
    EXPECT_EQ(minute.position, 0);

    const ParseError count = parse_error("* * * *");
    EXPECT_EQ(
        count.message,
        "schedule has 4 fields; expected 5 (minute hour day-of-month month day-of-week) or 6 (with a leading "
        "seconds field)");
    EXPECT_EQ(count.position, 0);
    EXPECT_EQ(parse_error("1 2 3 4 5 6 7").position, 12);
    EXPECT_EQ(parse_error("1 field").message.rfind("schedule has 2 fields;", 0), 0u);
    EXPECT_EQ(parse_error("x").message.rfind("schedule has 1 field;", 0), 0u);

    const ParseError month = parse_error("0 0 1 foo *");
    EXPECT_EQ(month.message, "unknown month name \"foo\"");
    EXPECT_EQ(month.position, 6);

    EXPECT_EQ(parse_error("*/0 * * * *").message, "minute step must be at least 1");
    EXPECT_EQ(parse_error("L * * * *").message, "'L' is only allowed in the day-of-month field");
    EXPECT_EQ(parse_error("0 0 * * 1#6").message,
              "'#' needs a weekday number 0-7 before it and a week 1-5 after it");

    const ParseError reversed = parse_error("0 0 * * 5-2");
    EXPECT_EQ(reversed.message, "day-of-week range \"5-2\" goes backwards");
    EXPECT_EQ(reversed.hint, "Ranges go from low to high; to wrap around, write a list such as \"5-6,0-2\".");
    EXPECT_EQ(reversed.position, 8);

    const ParseError feb = parse_error("0 0 30 2 *");
    EXPECT_EQ(feb.message, "day-of-month 30 never occurs in February");
    EXPECT_EQ(feb.position, 4);
    EXPECT_EQ(parse_error("0 0 31 4,6,9,11 *").message,
              "day-of-month 31 never occurs in April, June, September or November");
    EXPECT_EQ(parse_error("0 0 0 31 4,6,9,11 *").position, 6);

    EXPECT_EQ(
        parse_error("@fortnightly").hint,
        "Valid macros are @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @reboot and "
        "@every <interval>.");
}

TEST(CronParser, HintsPointAtTheLikelyFix) {
    EXPECT_EQ(parse_error("daily").hint, "Did you mean \"@daily\"?");
    EXPECT_EQ(parse_error("5 minutes").hint, "For a fixed period write \"@every 5 minutes\".");
}

TEST(CronParser, CanFireOnlyInLeapYearsIsAccepted) {
    EXPECT_EQ(parse_ok("0 0 29 2 *").days_of_month, bits({29}));
    EXPECT_EQ(parse_ok("0 0 * 2 1#5").nth_weekday, bits({4 * 7 + 1}));
    // Day 30 never comes in February, but Mondays do (either field may match).
    EXPECT_EQ(parse_ok("0 0 30 2 1").days_of_month, bits({30}));
}

// Checks the conventions every error must follow.
void expect_well_formed(std::string_view text, const ParseResult& result) {
    if (result.ok) {
        return;
    }
    const ParseError& e = result.error;
    ASSERT_FALSE(e.message.empty());
    EXPECT_FALSE(e.hint.empty()) << e.message;
    EXPECT_GE(e.position, 0) << e.message;
    EXPECT_LE(e.position, static_cast<int>(text.size())) << e.message;
    for (const char c : e.message + e.hint) {
        ASSERT_TRUE(c >= 0x20 && c < 0x7F) << "non-printable byte in: " << e.message << " / " << e.hint;
    }
}

TEST(CronParserRobustness, HostileBytes) {
    const std::string cases[] = {
        std::string("0 0\0 * * *", 10),
        std::string("\0", 1),
        std::string("* * * * *\0", 10),
        "\xC3\xA9 * * * *",
        "* * * \xE2\x82\xAC *",
        "@\xFF",
        "@every \xF0\x9F\x98\x80",
        "99999999999999999999 99999999999999999999 * * *",
        "0 0 L-99999999999999999999 * *",
        "0 0 * * 99999999999999999999#99999999999999999999",
        "0 0 * * 1#99999999999999999999",
        "0 0 * * 99999999999999999999L",
        "@every 99999999999999999999999999 seconds",
        "@every 9223372036854775807 microseconds",
        "@every 2147483647 days 2147483647 days",
        "@every 106751991167 days",
        "99999999999999999999 seconds",
        std::string(100000, '*'),
        std::string(9999, ' ') + "*",
        std::string(20000, '1'),
        "1" + std::string(5000, ',') + " * * * *",
    };
    for (const std::string& text : cases) {
        SCOPED_TRACE(testing::PrintToString(text.substr(0, 60)));
        expect_well_formed(text, parse_schedule(text));
    }
    EXPECT_FALSE(parse_schedule(std::string("0 0\0 * * *", 10)).ok);
}

TEST(CronParserRobustness, LongValidLists) {
    std::string minutes;
    for (int m = 0; m < 60; ++m) {
        minutes += (m > 0 ? "," : "") + std::to_string(m);
    }
    EXPECT_EQ(minutes_of(minutes), range(0, 59));
    EXPECT_EQ(parse_ok(minutes + " " + minutes + " * * * *").seconds, range(0, 59));
}

// Random strings over the cron alphabet: never a crash, always a well-formed answer.
TEST(CronParserRobustness, RandomText) {
    const std::string alphabet = "0123456789*/,-?#LlW @ \tjanfebMONsun\xFF.";
    std::mt19937 random(12345);
    for (int trial = 0; trial < 20000; ++trial) {
        std::string text;
        const int length = static_cast<int>(random() % 24);
        for (int i = 0; i < length; ++i) {
            text += alphabet[random() % alphabet.size()];
        }
        expect_well_formed(text, parse_schedule(text));
    }
}

TEST(SimpleInterval, UnitsAndAbbreviations) {
    const struct {
        const char* text;
        int32_t months;
        int32_t days;
        int64_t micros;
    } cases[] = {
        {"1 microsecond", 0, 0, 1},
        {"3 us", 0, 0, 3},
        {"2 milliseconds", 0, 0, 2000},
        {"5 ms", 0, 0, 5000},
        {"1 second", 0, 0, 1000000},
        {"90 seconds", 0, 0, 90000000},
        {"7 sec", 0, 0, 7000000},
        {"7 secs", 0, 0, 7000000},
        {"7 s", 0, 0, 7000000},
        {"7s", 0, 0, 7000000},
        {"1 minute", 0, 0, 60000000},
        {"2 mins", 0, 0, 120000000},
        {"2 m", 0, 0, 120000000},
        {"1 hour", 0, 0, 3600000000},
        {"2h", 0, 0, 7200000000},
        {"1 day", 0, 1, 0},
        {"3 d", 0, 3, 0},
        {"2 weeks", 0, 14, 0},
        {"1 w", 0, 7, 0},
        {"1 month", 1, 0, 0},
        {"2 mon", 2, 0, 0},
        {"1 year", 12, 0, 0},
        {"2 y", 24, 0, 0},
        {"90", 0, 0, 90000000},
        {"1 day 2 hours", 0, 1, 7200000000},
        {"01:30:00", 0, 0, 5400000000},
        {"1:30", 0, 0, 5400000000},
        {"00:00:01.5", 0, 0, 1500000},
        {"1.5 seconds", 0, 0, 1500000},
        {"1.5 days", 0, 1, 43200000000},
        {"-5 seconds", 0, 0, -5000000},
        {"5 seconds ago", 0, 0, -5000000},
        {"1 day -1 hour", 0, 1, -3600000000},
        {"1 week 1 day", 0, 8, 0},
        {"1 second 1000 ms", 0, 0, 2000000},
        {"1 day 01:00:00", 0, 1, 3600000000},
        {"-01:00:00", 0, 0, -3600000000},
        {".5 seconds", 0, 0, 500000},
        {"+5 seconds", 0, 0, 5000000},
        {"  2 HOURS  ", 0, 0, 7200000000},
    };
    for (const auto& c : cases) {
        IntervalValue value;
        std::string error;
        ASSERT_TRUE(parse_simple_interval(c.text, &value, &error)) << c.text << ": " << error;
        EXPECT_EQ(value.months, c.months) << c.text;
        EXPECT_EQ(value.days, c.days) << c.text;
        EXPECT_EQ(value.micros, c.micros) << c.text;
    }
}

TEST(SimpleInterval, RefusesGarbageAndOverflow) {
    const char* cases[] = {"",
                           "   ",
                           "soon",
                           "5 fortnights",
                           "5x",
                           "seconds",
                           "1 2 3 ago ago",
                           "1 2",
                           "1 day -2 days",
                           "1 minute 1 min",
                           "1 hour 01:00:00",
                           "ago",
                           "1:60",
                           "1:2:3:4",
                           "1.2.3 seconds",
                           ".",
                           "-",
                           "99999999999999999999 seconds",
                           "9223372036854 hours",
                           "3000000000 days",
                           "2147483647 days 1 day",
                           "200000000 years"};
    for (const char* text : cases) {
        IntervalValue value;
        std::string error;
        EXPECT_FALSE(parse_simple_interval(text, &value, &error)) << text;
        EXPECT_FALSE(error.empty()) << text;
    }
    IntervalValue value;
    EXPECT_FALSE(parse_simple_interval("nonsense", &value, nullptr));  // a null error is allowed
}

}  // namespace
}  // namespace pg_jobs::cron
