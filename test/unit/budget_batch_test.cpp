// batch_within_budget: the launcher's calls that start workflow runs grow
// while runs are cheap and stay at one while a run takes the budget.
#include "core/budget_batch.hpp"

#include <gtest/gtest.h>

namespace pg_jobs {
namespace {

TEST(BudgetBatch, OneWhileNothingIsKnown) {
    EXPECT_EQ(batch_within_budget(0, 0, 100'000, 64), 1);
}

TEST(BudgetBatch, OneOnceTheBudgetIsSpent) {
    EXPECT_EQ(batch_within_budget(100'000, 10, 0, 64), 1);
    EXPECT_EQ(batch_within_budget(120'000, 10, -20'000, 64), 1);
}

TEST(BudgetBatch, CheapItemsFillTheBudgetUpToTheCap) {
    // 1 ms each, 90 ms left: 90 would fit, the cap is 64.
    EXPECT_EQ(batch_within_budget(2'000, 2, 90'000, 64), 64);
    // 5 ms each, 40 ms left: 8.
    EXPECT_EQ(batch_within_budget(10'000, 2, 40'000, 64), 8);
}

TEST(BudgetBatch, AnItemLongerThanWhatIsLeftGoesAlone) {
    // One 300 ms run started: whatever is left, the next call starts one.
    EXPECT_EQ(batch_within_budget(300'000, 1, 50'000, 64), 1);
}

TEST(BudgetBatch, ItemsFasterThanTheClockCountAsOneMicrosecond) {
    EXPECT_EQ(batch_within_budget(0, 5, 10, 64), 10);
}

TEST(BudgetBatch, ACapOfOneOrLessMeansOne) {
    EXPECT_EQ(batch_within_budget(1'000, 10, 90'000, 1), 1);
    EXPECT_EQ(batch_within_budget(1'000, 10, 90'000, 0), 1);
}

}  // namespace
}  // namespace pg_jobs
