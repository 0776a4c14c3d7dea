// retry_delay_micros: exact values, cap, jitter bounds, monotonicity, huge
// attempts and odd inputs; the saturating add; the splitmix64 jitter source.
#include "core/retry_policy.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>

namespace pg_jobs {
namespace {

constexpr int64_t kSecond = kMicrosPerSecond;
constexpr int64_t kHour = 3600 * kSecond;
constexpr double kNoJitter = 0.5;
const double kJustBelowOne = std::nextafter(1.0, 0.0);

TEST(RetryDelay, DoublesFromTheBackoffWithoutJitter) {
    EXPECT_EQ(retry_delay_micros(1, kSecond, kHour, kNoJitter), 1 * kSecond);
    EXPECT_EQ(retry_delay_micros(2, kSecond, kHour, kNoJitter), 2 * kSecond);
    EXPECT_EQ(retry_delay_micros(3, kSecond, kHour, kNoJitter), 4 * kSecond);
    EXPECT_EQ(retry_delay_micros(12, kSecond, kHour, kNoJitter), 2048 * kSecond);
}

TEST(RetryDelay, StopsAtTheCap) {
    EXPECT_EQ(retry_delay_micros(13, kSecond, kHour, kNoJitter), kHour);  // 4096 s > 3600 s
    EXPECT_EQ(retry_delay_micros(50, kSecond, kHour, kNoJitter), kHour);
    // A backoff above the cap is capped from the first retry on.
    EXPECT_EQ(retry_delay_micros(1, 2 * kHour, kHour, kNoJitter), kHour);
    // Reaching the cap exactly is not "over" it.
    EXPECT_EQ(retry_delay_micros(3, 15 * 60 * kSecond, kHour, kNoJitter), kHour);
}

TEST(RetryDelay, JitterEndsAreExact) {
    const int64_t base = 10 * kSecond;
    EXPECT_EQ(retry_delay_micros(1, base, kHour, 0.0), 8 * kSecond);
    EXPECT_EQ(retry_delay_micros(1, base, kHour, 0.25), 9 * kSecond);
    EXPECT_EQ(retry_delay_micros(1, base, kHour, 0.75), 11 * kSecond);
    const int64_t top = retry_delay_micros(1, base, kHour, kJustBelowOne);
    EXPECT_LE(top, 12 * kSecond);
    EXPECT_GE(top, 12 * kSecond - 1);
    // Jitter applies after the cap: up to 20% either side of it.
    EXPECT_EQ(retry_delay_micros(40, kSecond, kHour, 0.0), kHour * 4 / 5);
    EXPECT_LE(retry_delay_micros(40, kSecond, kHour, kJustBelowOne), kHour * 6 / 5);
}

TEST(RetryDelay, JitterStaysInRangeAndUsesAllOfIt) {
    for (const int64_t base : {int64_t{1}, int64_t{7}, int64_t{999}, kSecond, 17 * kHour + 3}) {
        int64_t lowest = std::numeric_limits<int64_t>::max();
        int64_t highest = 0;
        for (int64_t execution = 0; execution < 10000; ++execution) {
            const int64_t delay = retry_delay_micros(1, base, std::numeric_limits<int64_t>::max(),
                                                     jitter_unit_for_execution(execution));
            // 0.8 * base and 1.2 * base, each rounded outwards.
            ASSERT_GE(delay, base * 4 / 5) << base;
            ASSERT_LE(delay, (base * 6 + 4) / 5) << base;
            lowest = std::min(lowest, delay);
            highest = std::max(highest, delay);
        }
        if (base >= kSecond) {
            EXPECT_LT(lowest, base * 81 / 100) << base;
            EXPECT_GT(highest, base * 119 / 100) << base;
        }
    }
}

TEST(RetryDelay, NeverDecreasesAsAttemptsGrowForAFixedJitter) {
    for (const double unit : {0.0, 0.3, kNoJitter, 0.9, kJustBelowOne}) {
        int64_t previous = 0;
        for (int attempt = 1; attempt <= 200; ++attempt) {
            const int64_t delay = retry_delay_micros(attempt, 3 * kSecond, 24 * kHour, unit);
            ASSERT_GE(delay, previous) << "attempt " << attempt << ", jitter " << unit;
            previous = delay;
        }
        EXPECT_GE(previous, 24 * kHour * 4 / 5);
    }
}

TEST(RetryDelay, HugeAttemptsReachTheCapWithoutOverflow) {
    for (const int attempt : {62, 63, 64, 65, 1000, INT_MAX}) {
        EXPECT_EQ(retry_delay_micros(attempt, kSecond, kHour, kNoJitter), kHour) << attempt;
        EXPECT_EQ(retry_delay_micros(attempt, 1, kHour, kNoJitter), kHour) << attempt;
    }
    // A cap too large for +20% to fit saturates at the end of time.
    const int64_t no_cap = std::numeric_limits<int64_t>::max();
    EXPECT_EQ(retry_delay_micros(INT_MAX, kSecond, no_cap, kJustBelowOne), kTimestampEnd);
    EXPECT_EQ(retry_delay_micros(INT_MAX, kSecond, no_cap, kNoJitter), kTimestampEnd);
    EXPECT_EQ(retry_delay_micros(1, no_cap, no_cap, kNoJitter), kTimestampEnd);
    const int64_t low = retry_delay_micros(INT_MAX, kSecond, no_cap, 0.0);
    EXPECT_GT(low, no_cap / 5 * 4 - kSecond);
    EXPECT_LT(low, kTimestampEnd);
    // Doubling stays exact right up to the top of the range.
    EXPECT_EQ(retry_delay_micros(2, int64_t{1} << 61, no_cap, kNoJitter), int64_t{1} << 62);
}

TEST(RetryDelay, OddInputsAreClamped) {
    const int64_t first = retry_delay_micros(1, kSecond, kHour, kNoJitter);
    EXPECT_EQ(retry_delay_micros(0, kSecond, kHour, kNoJitter), first);
    EXPECT_EQ(retry_delay_micros(-7, kSecond, kHour, kNoJitter), first);
    EXPECT_EQ(retry_delay_micros(INT_MIN, kSecond, kHour, kNoJitter), first);
    EXPECT_EQ(retry_delay_micros(5, 0, kHour, 0.9), 0);
    EXPECT_EQ(retry_delay_micros(5, -kSecond, kHour, 0.9), 0);
    EXPECT_EQ(retry_delay_micros(5, kSecond, -kHour, 0.9), 0);
    EXPECT_EQ(retry_delay_micros(1, kSecond, kHour, std::nan("")), kSecond);
    EXPECT_EQ(retry_delay_micros(1, kSecond, kHour, -3.0), kSecond * 4 / 5);
    EXPECT_EQ(retry_delay_micros(1, kSecond, kHour, 1.0),
              retry_delay_micros(1, kSecond, kHour, kJustBelowOne));
    EXPECT_EQ(retry_delay_micros(1, kSecond, kHour, std::numeric_limits<double>::infinity()),
              retry_delay_micros(1, kSecond, kHour, kJustBelowOne));
}

TEST(AddDelaySaturating, AddsAndSaturatesAtTheEndsOfTime) {
    EXPECT_EQ(add_delay_saturating(1000, 500), 1500);
    EXPECT_EQ(add_delay_saturating(1000, -500), 500);
    EXPECT_EQ(add_delay_saturating(kTimestampEnd - 10, 10), kTimestampEnd);
    EXPECT_EQ(add_delay_saturating(kTimestampEnd - 10, 11), kTimestampEnd);
    EXPECT_EQ(add_delay_saturating(0, std::numeric_limits<int64_t>::max()), kTimestampEnd);
    EXPECT_EQ(add_delay_saturating(kTimestampEnd - 1, std::numeric_limits<int64_t>::max()), kTimestampEnd);
    EXPECT_EQ(add_delay_saturating(0, std::numeric_limits<int64_t>::min()), kTimestampBegin);
    EXPECT_EQ(add_delay_saturating(kTimestampBegin + 5, -6), kTimestampBegin);
    EXPECT_EQ(add_delay_saturating(std::numeric_limits<int64_t>::max(), 0), kTimestampEnd);
}

TEST(SplitMix64, MatchesTheReferenceSequence) {
    // First outputs of the published splitmix64 generator seeded with 0.
    SplitMix64 rng(0);
    EXPECT_EQ(rng.next(), UINT64_C(0xE220A8397B1DCDAF));
    EXPECT_EQ(rng.next(), UINT64_C(0x6E789E6AA1B965F4));
    EXPECT_EQ(rng.next(), UINT64_C(0x06C45D188009454F));
}

TEST(SplitMix64, UnitDrawsAreInRangeAndRoughlyUniform) {
    SplitMix64 rng(12345);
    double sum = 0;
    int buckets[10] = {};
    constexpr int kDraws = 100000;
    for (int i = 0; i < kDraws; ++i) {
        const double unit = rng.next_unit();
        ASSERT_GE(unit, 0.0);
        ASSERT_LT(unit, 1.0);
        sum += unit;
        ++buckets[static_cast<int>(unit * 10)];
    }
    // Fixed seed: these are checks of the mapping, not flaky statistics.
    EXPECT_NEAR(sum / kDraws, 0.5, 0.01);
    for (const int count : buckets) {
        EXPECT_NEAR(count, kDraws * 0.1, kDraws * 0.01);
    }
}

TEST(JitterForExecution, IsDeterministicAndDiffersBetweenNeighbours) {
    EXPECT_EQ(jitter_unit_for_execution(42), jitter_unit_for_execution(42));
    std::set<double> seen;
    for (int64_t execution = 1; execution <= 1000; ++execution) {
        seen.insert(jitter_unit_for_execution(execution));
    }
    EXPECT_EQ(seen.size(), 1000u);
    EXPECT_EQ(retry_delay_micros(3, kSecond, kHour, jitter_unit_for_execution(-9)),
              retry_delay_micros(3, kSecond, kHour, jitter_unit_for_execution(-9)));
}

}  // namespace
}  // namespace pg_jobs
