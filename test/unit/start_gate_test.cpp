// StartGate: at most `limit` workers of a pair in a fresh claim at once;
// a run older than the fresh period no longer holds others back.
#include "core/start_gate.hpp"

#include <gtest/gtest.h>

namespace pg_jobs {
namespace {

constexpr int64_t kNow = 1'000'000'000;

TEST(StartGate, OpenWhileFewerThanTheLimitAreFresh) {
    StartGate gate(2, 5000, kNow);
    gate.count(kNow - 100);
    gate.count(0);  // idle
    EXPECT_EQ(gate.wait_us(), 0);
}

TEST(StartGate, ClosedAtTheLimitUntilTheOldestGoesStale) {
    StartGate gate(2, 5000, kNow);
    gate.count(kNow - 1000);
    gate.count(kNow - 3000);
    EXPECT_EQ(gate.wait_us(), 2000);
}

TEST(StartGate, LongRunsDoNotCount) {
    StartGate gate(2, 5000, kNow);
    gate.count(kNow - 5000);
    gate.count(kNow - 60'000'000);
    gate.count(kNow - 10);
    EXPECT_EQ(gate.wait_us(), 0);
}

TEST(StartGate, ALaterClockReadingIsFresh) {
    StartGate gate(1, 5000, kNow);
    gate.count(kNow + 50);
    EXPECT_EQ(gate.wait_us(), 5050);
}

TEST(StartGate, NeverWaitsZeroWhenClosed) {
    StartGate gate(1, 5000, kNow);
    gate.count(kNow - 4999);
    EXPECT_EQ(gate.wait_us(), 1);
}

TEST(StartGate, ALimitBelowOneMeansOne) {
    StartGate open(0, 5000, kNow);
    EXPECT_EQ(open.wait_us(), 0);
    StartGate closed(-3, 5000, kNow);
    closed.count(kNow - 1);
    EXPECT_GT(closed.wait_us(), 0);
}

}  // namespace
}  // namespace pg_jobs
