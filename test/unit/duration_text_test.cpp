// duration_text: units, plurals, parts left out, fractions of a second.
#include "core/duration_text.hpp"

#include <gtest/gtest.h>

namespace pg_jobs {
namespace {

TEST(DurationText, WholeUnits) {
    EXPECT_EQ(duration_text(1000), "1 second");
    EXPECT_EQ(duration_text(2000), "2 seconds");
    EXPECT_EQ(duration_text(15 * 60 * 1000), "15 minutes");
    EXPECT_EQ(duration_text(3600 * 1000), "1 hour");
    EXPECT_EQ(duration_text(int64_t{2} * 86400 * 1000), "2 days");
}

TEST(DurationText, LeavesOutZeroParts) {
    EXPECT_EQ(duration_text((3600 + 30) * 1000), "1 hour 30 seconds");
    EXPECT_EQ(duration_text((86400 + 2 * 60) * 1000), "1 day 2 minutes");
    EXPECT_EQ(duration_text((2 * 60 + 30) * 1000), "2 minutes 30 seconds");
}

TEST(DurationText, FractionsBelowAMinute) {
    EXPECT_EQ(duration_text(1500), "1.5 seconds");
    EXPECT_EQ(duration_text(1001), "1.001 seconds");
    EXPECT_EQ(duration_text(250), "250 milliseconds");
    EXPECT_EQ(duration_text(1), "1 millisecond");
    EXPECT_EQ(duration_text(0), "0 milliseconds");
    EXPECT_EQ(duration_text(-5), "0 milliseconds");
    // Above a minute, milliseconds are dropped.
    EXPECT_EQ(duration_text(60 * 1000 + 500), "1 minute");
}

}  // namespace
}  // namespace pg_jobs
