// The values of kind and triggered_by that the tables' CHECK constraints accept.
#include "core/row_values.hpp"

#include <gtest/gtest.h>

namespace pg_jobs {
namespace {

TEST(RowValues, JobKinds) {
    for (const char* kind : {"sql", "http", "email", "workflow"}) {
        EXPECT_TRUE(is_job_kind(kind)) << kind;
    }
    for (const char* kind : {"", "SQL", "Http", " sql", "sql ", "mail", "Workflow", "dag", "smtp"}) {
        EXPECT_FALSE(is_job_kind(kind)) << kind;
    }
}

TEST(RowValues, RunTriggers) {
    for (const char* trigger : {"schedule", "manual", "reboot", "retry", "workflow"}) {
        EXPECT_TRUE(is_run_trigger(trigger)) << trigger;
    }
    for (const char* trigger : {"", "Schedule", "scheduled", "manually", "retry ", "cron"}) {
        EXPECT_FALSE(is_run_trigger(trigger)) << trigger;
    }
}

}  // namespace
}  // namespace pg_jobs
