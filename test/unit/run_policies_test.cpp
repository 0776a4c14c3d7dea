// Misfire and active window: the per-job policies decided in C++, driven
// by explicit instants (no wall clock).
#include "core/cron_parser.hpp"
#include "core/run_policies.hpp"
#include "test_time.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pg_jobs {
namespace {

using testing::new_york;
using testing::utc;
using testing::utc_text;

const FixedOffsetZone kUtc;

cron::CronSchedule parse(const char* text) {
    const cron::ParseResult result = cron::parse_schedule(text);
    EXPECT_TRUE(result.ok) << text << ": " << result.error.message;
    return result.schedule;
}

std::vector<std::string> texts(const std::vector<Timestamp>& times) {
    std::vector<std::string> out;
    for (Timestamp t : times) {
        out.push_back(utc_text(t));
    }
    return out;
}

// --- Misfire -----------------------------------------------------------------------------

TEST(MisfirePolicy, ParsesItsNames) {
    EXPECT_EQ(parse_misfire_policy("skip"), MisfirePolicy::Skip);
    EXPECT_EQ(parse_misfire_policy("Run_Once"), MisfirePolicy::RunOnce);
    EXPECT_EQ(parse_misfire_policy("run_all"), MisfirePolicy::RunAll);
    for (const char* bad : {"", "once", "run-all", "all"}) {
        EXPECT_FALSE(parse_misfire_policy(bad).has_value()) << bad;
    }
}

TEST(MisfirePolicy, SkipCatchesUpNothing) {
    EXPECT_TRUE(missed_fire_times(MisfirePolicy::Skip, parse("*/5 * * * *"), kUtc, utc("2026-01-01 00:00:00"),
                                  utc("2026-01-01 01:00:00"))
                    .empty());
}

TEST(MisfirePolicy, RunOnceCatchesUpTheLatestMissedTime) {
    const auto times = missed_fire_times(MisfirePolicy::RunOnce, parse("*/5 * * * *"), kUtc,
                                         utc("2026-01-01 00:00:00"), utc("2026-01-01 00:58:00"));
    EXPECT_EQ(texts(times), std::vector<std::string>{"2026-01-01 00:55:00"});
}

TEST(MisfirePolicy, RunAllCatchesUpEveryMissedTimeOldestFirst) {
    // (00:00, 00:16]: 00:05, 00:10, 00:15; the last fire itself is not missed.
    const auto times = missed_fire_times(MisfirePolicy::RunAll, parse("*/5 * * * *"), kUtc,
                                         utc("2026-01-01 00:00:00"), utc("2026-01-01 00:16:00"));
    EXPECT_EQ(texts(times), (std::vector<std::string>{"2026-01-01 00:05:00", "2026-01-01 00:10:00",
                                                      "2026-01-01 00:15:00"}));
}

TEST(MisfirePolicy, RunAllKeepsTheLatestHundred) {
    // A seconds schedule down for a week: 604,800 missed, the last 100 run.
    const Timestamp now = utc("2026-01-08 00:00:00");
    const auto times =
        missed_fire_times(MisfirePolicy::RunAll, parse("* * * * * *"), kUtc, utc("2026-01-01 00:00:00"), now);
    ASSERT_EQ(times.size(), kMaxCatchUpRuns);
    EXPECT_EQ(times.back(), now);
    EXPECT_EQ(times.front(), now - 99 * kMicrosPerSecond);
    for (size_t i = 1; i < times.size(); ++i) {
        EXPECT_LT(times[i - 1], times[i]);
    }
}

TEST(MisfirePolicy, NothingMissedMeansNothingToRun) {
    const Timestamp last = utc("2026-01-01 00:05:00");
    for (MisfirePolicy policy : {MisfirePolicy::RunOnce, MisfirePolicy::RunAll}) {
        EXPECT_TRUE(
            missed_fire_times(policy, parse("*/5 * * * *"), kUtc, last, utc("2026-01-01 00:09:59")).empty());
        EXPECT_TRUE(missed_fire_times(policy, parse("*/5 * * * *"), kUtc, last, last).empty());
    }
}

TEST(MisfirePolicy, RareScheduleAfterALongOutage) {
    // Yearly, down for ten years: run_once gives the latest New Year only.
    const auto times = missed_fire_times(MisfirePolicy::RunOnce, parse("@yearly"), new_york(),
                                         utc("2016-01-01 05:00:00"), utc("2026-06-01 00:00:00"));
    EXPECT_EQ(texts(times), std::vector<std::string>{"2026-01-01 05:00:00"});
}

TEST(MisfirePolicy, ThreeHoursDown) {
    const Timestamp last = utc("2026-01-01 00:00:00");
    const cron::CronSchedule hourly = parse("@hourly");
    const Timestamp now = last + 3 * 3600 * kMicrosPerSecond + 1;  // down for three hours
    EXPECT_EQ(missed_fire_times(MisfirePolicy::RunAll, hourly, kUtc, last, now).size(), 3u);
    EXPECT_EQ(missed_fire_times(MisfirePolicy::RunOnce, hourly, kUtc, last, now).size(), 1u);
}

// --- Active window --------------------------------------------------------------------------

TEST(ActiveWindow, NoWindowIsTheSchedule) {
    const Timestamp after = utc("2026-01-01 00:00:00");
    EXPECT_EQ(next_fire_in_window(parse("@hourly"), kUtc, after, {}, 0), utc("2026-01-01 01:00:00"));
}

TEST(ActiveWindow, StartAtDelaysTheFirstRunAndCountsItsOwnInstant) {
    ActiveWindow window;
    window.start_at = utc("2026-02-01 00:00:00");
    EXPECT_EQ(next_fire_in_window(parse("@hourly"), kUtc, utc("2026-01-01 00:00:00"), window, 0),
              utc("2026-02-01 00:00:00"));
    EXPECT_EQ(next_fire_in_window(parse("@hourly"), kUtc, utc("2026-02-01 00:00:00"), window, 0),
              utc("2026-02-01 01:00:00"));
}

TEST(ActiveWindow, EndAtAndMaxRunsEndIt) {
    ActiveWindow window;
    window.end_at = utc("2026-01-01 02:00:00");
    const cron::CronSchedule hourly = parse("@hourly");
    EXPECT_EQ(next_fire_in_window(hourly, kUtc, utc("2026-01-01 01:00:00"), window, 0),
              utc("2026-01-01 02:00:00"));
    EXPECT_EQ(next_fire_in_window(hourly, kUtc, utc("2026-01-01 02:00:00"), window, 0), kTimestampEnd);
    EXPECT_EQ(window_end_reason(hourly, kUtc, utc("2026-01-01 02:00:00"), window, 0), "end_at passed");

    ActiveWindow counted;
    counted.max_runs = 3;
    EXPECT_EQ(next_fire_in_window(hourly, kUtc, utc("2026-01-01 00:00:00"), counted, 2),
              utc("2026-01-01 01:00:00"));
    EXPECT_EQ(next_fire_in_window(hourly, kUtc, utc("2026-01-01 00:00:00"), counted, 3), kTimestampEnd);
    EXPECT_EQ(window_end_reason(hourly, kUtc, utc("2026-01-01 00:00:00"), counted, 3), "max_runs reached");
    EXPECT_EQ(window_end_reason(hourly, kUtc, utc("2026-01-01 00:00:00"), counted, 1), "");
}

}  // namespace
}  // namespace pg_jobs
