// workers_to_start: one worker per queued run, capped by the free slots.
#include "core/worker_demand.hpp"

#include <gtest/gtest.h>

namespace pg_jobs {
namespace {

TEST(WorkersToStart, NothingQueuedStartsNothing) {
    EXPECT_EQ(workers_to_start(0, 0, 0, 8), 0);
    EXPECT_EQ(workers_to_start(0, 3, 5, 8), 0);
}

TEST(WorkersToStart, ExistingWorkersCoverQueuedRuns) {
    EXPECT_EQ(workers_to_start(2, 2, 2, 8), 0);
    EXPECT_EQ(workers_to_start(1, 4, 4, 8), 0);
}

TEST(WorkersToStart, StartsOnePerUncoveredRun) {
    EXPECT_EQ(workers_to_start(1, 0, 0, 8), 1);
    EXPECT_EQ(workers_to_start(5, 2, 2, 8), 3);
}

TEST(WorkersToStart, NeverPastTheLimit) {
    EXPECT_EQ(workers_to_start(10000, 0, 0, 8), 8);
    EXPECT_EQ(workers_to_start(10000, 2, 6, 8), 2);
    EXPECT_EQ(workers_to_start(10000, 0, 8, 8), 0);
    EXPECT_EQ(workers_to_start(10000, 0, 9, 8), 0);  // limit lowered under running workers
}

}  // namespace
}  // namespace pg_jobs
