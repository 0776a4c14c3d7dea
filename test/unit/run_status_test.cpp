// RunStatus: its text, which statuses are final, and the moves the
// scheduler may make between them.
#include "core/run_status.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace pg_jobs {
namespace {

TEST(RunStatus, TextRoundTripsForEveryStatus) {
    std::set<std::string_view> names;
    for (const RunStatus status : kAllRunStatuses) {
        const std::string_view name = run_status_name(status);
        EXPECT_EQ(parse_run_status(name), status) << name;
        names.insert(name);
    }
    // The CHECK constraint of jobs.job_execution.status, and nothing else.
    EXPECT_EQ(names, (std::set<std::string_view>{"queued", "running", "succeeded", "failed", "timed_out",
                                                 "cancelled", "skipped", "crashed"}));
}

TEST(RunStatus, ParsingIsExact) {
    for (const char* text :
         {"", "QUEUED", "Running", "timed out", "timedout", " failed", "failed ", "done"}) {
        EXPECT_EQ(parse_run_status(text), std::nullopt) << text;
    }
}

TEST(RunStatus, OnlyQueuedAndRunningAreUnfinished) {
    for (const RunStatus status : kAllRunStatuses) {
        const bool unfinished = status == RunStatus::Queued || status == RunStatus::Running;
        EXPECT_EQ(is_final(status), !unfinished) << run_status_name(status);
    }
}

TEST(RunStatus, TheSqlListOfUnfinishedStatusesMatchesIsFinal) {
    std::string expected = "(";
    for (const RunStatus status : kAllRunStatuses) {
        if (!is_final(status)) {
            expected += (expected.size() > 1 ? ", '" : "'") + std::string(run_status_name(status)) + "'";
        }
    }
    expected += ")";
    EXPECT_EQ(std::string(PG_JOBS_UNFINISHED_STATUSES_SQL), expected);
}

TEST(RunStatus, NewRowsAreQueuedOrSkipped) {
    for (const RunStatus status : kAllRunStatuses) {
        EXPECT_EQ(is_initial_status(status), status == RunStatus::Queued || status == RunStatus::Skipped)
            << run_status_name(status);
    }
}

TEST(RunStatus, AQueuedRunStartsOrEndsWithoutRunning) {
    EXPECT_TRUE(is_allowed_transition(RunStatus::Queued, RunStatus::Running));
    EXPECT_TRUE(is_allowed_transition(RunStatus::Queued, RunStatus::Cancelled));
    EXPECT_TRUE(is_allowed_transition(RunStatus::Queued, RunStatus::Skipped));
    EXPECT_TRUE(is_allowed_transition(RunStatus::Queued, RunStatus::Failed));
    // Only a run that ran can succeed, time out or crash.
    EXPECT_FALSE(is_allowed_transition(RunStatus::Queued, RunStatus::Succeeded));
    EXPECT_FALSE(is_allowed_transition(RunStatus::Queued, RunStatus::TimedOut));
    EXPECT_FALSE(is_allowed_transition(RunStatus::Queued, RunStatus::Crashed));
    EXPECT_FALSE(is_allowed_transition(RunStatus::Queued, RunStatus::Queued));
}

TEST(RunStatus, ARunningRunFinishesOrGoesBackToTheQueue) {
    // Skipped: the worker found the job's run_if false before the command.
    for (const RunStatus to :
         {RunStatus::Succeeded, RunStatus::Failed, RunStatus::TimedOut, RunStatus::Cancelled,
          RunStatus::Crashed, RunStatus::Queued, RunStatus::Skipped}) {
        EXPECT_TRUE(is_allowed_transition(RunStatus::Running, to)) << run_status_name(to);
    }
    EXPECT_FALSE(is_allowed_transition(RunStatus::Running, RunStatus::Running));
}

TEST(RunStatus, AFinalStatusNeverChanges) {
    for (const RunStatus from : kAllRunStatuses) {
        if (!is_final(from)) {
            continue;
        }
        for (const RunStatus to : kAllRunStatuses) {
            EXPECT_FALSE(is_allowed_transition(from, to))
                << run_status_name(from) << " -> " << run_status_name(to);
        }
    }
}

TEST(RunStatus, EveryFinalStatusIsReachable) {
    for (const RunStatus to : kAllRunStatuses) {
        if (!is_final(to)) {
            continue;
        }
        const bool reachable =
            is_allowed_transition(RunStatus::Queued, to) || is_allowed_transition(RunStatus::Running, to);
        EXPECT_TRUE(reachable) << run_status_name(to);
    }
}

}  // namespace
}  // namespace pg_jobs
