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

TEST(RunningPerOwnerLimit, AutomaticLeavesOneWorkerForOthers) {
    EXPECT_EQ(running_per_owner_limit(-1, 8), 7);
    EXPECT_EQ(running_per_owner_limit(-1, 2), 1);
    EXPECT_EQ(running_per_owner_limit(-1, 1), 1);  // at least one
    EXPECT_EQ(running_per_owner_limit(3, 8), 3);
    EXPECT_EQ(running_per_owner_limit(0, 8), 1);
    EXPECT_EQ(running_per_owner_limit(20, 8), 8);
}

TEST(PlanWorkerStarts, OneOwnerNeverTakesEverySlot) {
    // Owner 0 has 10 queued runs, owner 1 one: with 4 slots and a limit of
    // 3 per owner, owner 1 still gets a worker.
    const QueueDemand queues[2] = {{0, 10, 0, true}, {1, 1, 0, true}};
    int owners[2] = {0, 0};
    int starts[2] = {};
    EXPECT_EQ(plan_worker_starts(queues, 2, owners, 3, 4, starts), 4);
    EXPECT_EQ(starts[0], 3);
    EXPECT_EQ(starts[1], 1);
}

TEST(PlanWorkerStarts, FewestWorkersFirst) {
    // Owner 0 already holds 2 workers: the one free slot goes to owner 1.
    const QueueDemand queues[2] = {{0, 5, 0, true}, {1, 5, 0, true}};
    int owners[2] = {2, 0};
    int starts[2] = {};
    EXPECT_EQ(plan_worker_starts(queues, 2, owners, 8, 1, starts), 1);
    EXPECT_EQ(starts[0], 0);
    EXPECT_EQ(starts[1], 1);
}

TEST(PlanWorkerStarts, RoundRobinAcrossOwnersAndDatabases) {
    // Owner 0 in two databases, owner 1 in one: six slots split 3 / 3.
    const QueueDemand queues[3] = {{0, 10, 0, true}, {0, 10, 0, true}, {1, 10, 0, true}};
    int owners[2] = {0, 0};
    int starts[3] = {};
    EXPECT_EQ(plan_worker_starts(queues, 3, owners, 8, 6, starts), 6);
    EXPECT_EQ(starts[0] + starts[1], 3);
    EXPECT_EQ(starts[2], 3);
}

TEST(PlanWorkerStarts, AvailableWorkersAndBlockedPairs) {
    const QueueDemand queues[2] = {{0, 2, 2, true}, {1, 3, 0, false}};
    int owners[2] = {2, 0};
    int starts[2] = {};
    EXPECT_EQ(plan_worker_starts(queues, 2, owners, 8, 8, starts), 0);
}

}  // namespace
}  // namespace pg_jobs
