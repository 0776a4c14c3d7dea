// Extreme times (-infinity, infinity, the first and last representable
// instants) in the core: saturating arithmetic, and catch-up computations
// whose cost is bounded whatever the inputs (issue 10, points 13 and 14).
#include "core/cron_next.hpp"
#include "core/cron_parser.hpp"
#include "core/job_agenda.hpp"
#include "core/run_policies.hpp"
#include "core/time_units.hpp"
#include "test_time.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pg_jobs {
namespace {

using testing::utc;

// PostgreSQL's -infinity and infinity (DT_NOBEGIN, DT_NOEND).
constexpr Timestamp kMinusInfinity = INT64_MIN;
constexpr Timestamp kInfinity = INT64_MAX;

// UTC, counting how often the engine asks it for an offset: a measure of
// the work a computation does, without timing anything.
class CountingUtc final : public TimeZone {
public:
    OffsetSpan offset_at(int64_t) const override {
        ++calls;
        return {0, kNoTransition};
    }
    mutable int64_t calls = 0;
};

cron::CronSchedule parse(const char* text) {
    const cron::ParseResult result = cron::parse_schedule(text);
    EXPECT_TRUE(result.ok) << text << ": " << result.error.message;
    return result.schedule;
}

// --- Saturating arithmetic ---------------------------------------------------------------

TEST(SaturatingTime, AddAndSubtractSaturateInsteadOfOverflowing) {
    EXPECT_EQ(saturating_add(1, 2), 3);
    EXPECT_EQ(saturating_add(INT64_MAX, 1), INT64_MAX);
    EXPECT_EQ(saturating_add(INT64_MAX, INT64_MAX), INT64_MAX);
    EXPECT_EQ(saturating_add(INT64_MIN, -1), INT64_MIN);
    EXPECT_EQ(saturating_add(INT64_MIN, INT64_MAX), -1);
    EXPECT_EQ(saturating_sub(5, 7), -2);
    EXPECT_EQ(saturating_sub(INT64_MAX, INT64_MIN), INT64_MAX);  // the "to - from" of issue 10 point 13
    EXPECT_EQ(saturating_sub(INT64_MIN, 1), INT64_MIN);
    EXPECT_EQ(saturating_sub(0, INT64_MIN), INT64_MAX);
    EXPECT_EQ(saturating_sub(INT64_MIN, INT64_MIN), 0);
}

TEST(SaturatingTime, ClampKeepsTimesInsidePostgresRange) {
    EXPECT_EQ(clamp_timestamp(kMinusInfinity), kTimestampBegin);
    EXPECT_EQ(clamp_timestamp(kInfinity), kTimestampEnd);
    EXPECT_EQ(clamp_timestamp(0), 0);
    EXPECT_EQ(clamp_timestamp(kTimestampBegin), kTimestampBegin);
    EXPECT_EQ(clamp_timestamp(kTimestampEnd), kTimestampEnd);
}

// --- Bounded catch-up --------------------------------------------------------------------

TEST(BoundedCatchUp, MinusInfinityLastFireGivesTheLatestHundredQuickly) {
    // Issue 10 point 13: a job whose latest scheduled run is for -infinity,
    // redefined with a schedule and misfire run_all. The old code walked
    // every minute since 4714 BC, keeping them all.
    CountingUtc zone;
    const Timestamp now = utc("2026-06-01 12:00:30");
    const auto times =
        missed_fire_times(MisfirePolicy::RunAll, parse("* * * * *"), zone, kMinusInfinity, now);
    ASSERT_EQ(times.size(), kMaxCatchUpRuns);
    EXPECT_EQ(times.back(), utc("2026-06-01 12:00:00"));
    EXPECT_EQ(times.front(), utc("2026-06-01 10:21:00"));
    for (size_t i = 1; i < times.size(); ++i) {
        EXPECT_LT(times[i - 1], times[i]);
    }
    EXPECT_LT(zone.calls, 200000) << "the catch-up must not walk the outage";
}

TEST(BoundedCatchUp, RunOnceFromMinusInfinity) {
    CountingUtc zone;
    const Timestamp now = utc("2026-06-01 12:00:30");
    const auto times =
        missed_fire_times(MisfirePolicy::RunOnce, parse("*/10 * * * * *"), zone, kMinusInfinity, now);
    ASSERT_EQ(times.size(), 1U);
    EXPECT_EQ(times.front(), utc("2026-06-01 12:00:30"));
    EXPECT_LT(zone.calls, 20000);
}

TEST(BoundedCatchUp, ScheduleDenseOnlyInFebruaryIsStillBounded) {
    // Every second of February, nothing the rest of the year: a look-back
    // that doubles from May would take in a whole February (2.4 million
    // fire times) in one pass; the search narrows it instead.
    CountingUtc zone;
    const Timestamp now = utc("2026-05-15 00:00:00");
    const auto times =
        missed_fire_times(MisfirePolicy::RunAll, parse("* * * * 2 *"), zone, utc("2000-01-01 00:00:00"), now);
    ASSERT_EQ(times.size(), kMaxCatchUpRuns);
    EXPECT_EQ(times.back(), utc("2026-02-28 23:59:59"));
    EXPECT_EQ(times.front(), utc("2026-02-28 23:58:20"));
    EXPECT_LT(zone.calls, 200000);
}

TEST(BoundedCatchUp, FewerMissedTimesThanTheLimitAreAllReturned) {
    CountingUtc zone;
    const auto times = missed_fire_times(MisfirePolicy::RunAll, parse("0 0 1 1 *"), zone, kMinusInfinity,
                                         utc("2026-06-01 00:00:00"));
    // Every New Year since the first representable one: more than 100, the
    // latest 100 kept.
    ASSERT_EQ(times.size(), kMaxCatchUpRuns);
    EXPECT_EQ(times.back(), utc("2026-01-01 00:00:00"));
    EXPECT_EQ(times.front(), utc("1927-01-01 00:00:00"));
    const auto few = missed_fire_times(MisfirePolicy::RunAll, parse("0 0 1 1 *"), zone,
                                       utc("2020-06-01 00:00:00"), utc("2026-06-01 00:00:00"));
    EXPECT_EQ(few.size(), 6U);
}

TEST(BoundedCatchUp, InfiniteNowOrLastFireInTheFutureCatchUpNothingUnbounded) {
    CountingUtc zone;
    EXPECT_TRUE(missed_fire_times(MisfirePolicy::RunAll, parse("* * * * *"), zone, kInfinity,
                                  utc("2026-06-01 00:00:00"))
                    .empty());
    // now = infinity (a clock gone mad): still at most 100, near the end of time.
    const auto times =
        missed_fire_times(MisfirePolicy::RunAll, parse("* * * * *"), zone, kMinusInfinity, kInfinity);
    EXPECT_EQ(times.size(), kMaxCatchUpRuns);
    for (Timestamp t : times) {
        EXPECT_LT(t, kTimestampEnd);
    }
    EXPECT_LT(zone.calls, 400000);
}

// --- Windows and the agenda at the ends of time -------------------------------------------

TEST(ExtremeWindows, StartAtMinusInfinityIsNoLowerBound) {
    const FixedOffsetZone zone;
    const Timestamp now = utc("2026-06-01 00:00:30");
    const ActiveWindow window{kMinusInfinity, std::nullopt, std::nullopt};
    EXPECT_EQ(next_fire_in_window(parse("* * * * *"), zone, now, window, 0), utc("2026-06-01 00:01:00"));
    EXPECT_EQ(window_end_reason(parse("* * * * *"), zone, now, window, 0), "");
}

TEST(ExtremeWindows, StartAtInfinityNeverFires) {
    const FixedOffsetZone zone;
    const ActiveWindow window{kInfinity, std::nullopt, std::nullopt};
    EXPECT_EQ(next_fire_in_window(parse("* * * * *"), zone, utc("2026-06-01 00:00:00"), window, 0),
              kTimestampEnd);
}

TEST(ExtremeWindows, EndAtMinusInfinityEndsTheWindow) {
    const FixedOffsetZone zone;
    const ActiveWindow window{std::nullopt, kMinusInfinity, std::nullopt};
    EXPECT_EQ(next_fire_in_window(parse("* * * * *"), zone, utc("2026-06-01 00:00:00"), window, 0),
              kTimestampEnd);
    EXPECT_EQ(window_end_reason(parse("* * * * *"), zone, utc("2026-06-01 00:00:00"), window, 0),
              "end_at passed");
}

TEST(ExtremeWindows, AgendaTakesInfiniteTimesWithoutFiringForever) {
    const auto resolver = [](std::string_view text, std::string_view) -> std::optional<JobAgenda::Resolved> {
        const cron::ParseResult parsed = cron::parse_schedule(text);
        if (!parsed.ok) {
            return std::nullopt;
        }
        return JobAgenda::Resolved{parsed.schedule, std::make_shared<FixedOffsetZone>()};
    };
    JobAgenda agenda;
    const Timestamp now = utc("2026-06-01 00:00:30");
    agenda.begin_reload();
    ASSERT_TRUE(agenda.add_job(1, "* * * * *", "UTC", resolver, {kMinusInfinity, kInfinity}));
    agenda.add_one_shot(2, kMinusInfinity);
    agenda.add_one_shot(3, kInfinity);
    ASSERT_TRUE(agenda.add_job(4, "* * * * *", "UTC", resolver, {kInfinity, std::nullopt}));
    agenda.finish_reload(now);
    EXPECT_EQ(agenda.pending_fire_time(1), utc("2026-06-01 00:01:00"));
    EXPECT_FALSE(agenda.pending_fire_time(2).has_value());  // missed: the loader's to handle
    EXPECT_EQ(agenda.pending_fire_time(3), std::nullopt);   // never representable
    EXPECT_FALSE(agenda.pending_fire_time(4).has_value());
    std::vector<JobAgenda::Due> due;
    EXPECT_EQ(agenda.take_due(kInfinity, 1000, due), 1U);  // job 1's next minute only, then past the end
    EXPECT_EQ(due.front().job_id, 1);
}

TEST(ExtremeWindows, NextFireTimeClampsInfiniteInputs) {
    const FixedOffsetZone zone;
    EXPECT_EQ(cron::next_fire_time(parse("* * * * *"), zone, kInfinity), kTimestampEnd);
    EXPECT_GT(cron::next_fire_time(parse("* * * * *"), zone, kMinusInfinity), kTimestampBegin);
    EXPECT_EQ(cron::next_fire_time(parse("@every 36500 days"), zone, kInfinity), kTimestampEnd);
}

}  // namespace
}  // namespace pg_jobs
