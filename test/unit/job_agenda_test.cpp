// JobAgenda: reload diffing (kept, changed, dropped jobs), due-run extraction
// with no drift and no catch-up storms, @reboot bookkeeping.
#include "core/cron_parser.hpp"
#include "core/job_agenda.hpp"
#include "test_time.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pg_jobs {
namespace {

using testing::utc;
using testing::utc_text;

// Parses with the core parser; every zone is UTC. Counts calls so tests can
// see that schedules are interned.
struct CountingResolver {
    int calls = 0;
    JobAgenda::Resolver get() {
        return [this](std::string_view text, std::string_view) -> std::optional<JobAgenda::Resolved> {
            ++calls;
            cron::ParseResult parsed = cron::parse_schedule(text);
            if (!parsed.ok) {
                return std::nullopt;
            }
            return JobAgenda::Resolved{parsed.schedule, std::make_shared<FixedOffsetZone>(0)};
        };
    }
};

std::vector<JobAgenda::Due> take_all(JobAgenda& agenda, Timestamp now) {
    std::vector<JobAgenda::Due> out;
    agenda.take_due(now, 1000, out);
    return out;
}

TEST(JobAgenda, EmptyAgendaNeverFires) {
    JobAgenda agenda;
    agenda.begin_reload();
    agenda.finish_reload(utc("2026-01-01 00:00:00"));
    EXPECT_FALSE(agenda.next_fire_time().has_value());
    EXPECT_TRUE(take_all(agenda, utc("2030-01-01 00:00:00")).empty());
}

TEST(JobAgenda, FirstFireIsStrictlyAfterLoad) {
    CountingResolver resolver;
    JobAgenda agenda;
    agenda.begin_reload();
    ASSERT_TRUE(agenda.add_job(1, "*/15 * * * *", "UTC", resolver.get()));
    agenda.finish_reload(utc("2026-01-01 10:15:00"));
    ASSERT_TRUE(agenda.next_fire_time().has_value());
    EXPECT_EQ(utc_text(*agenda.next_fire_time()), "2026-01-01 10:30:00");
}

TEST(JobAgenda, SecondsScheduleFiresEverySecondWithoutDrift) {
    CountingResolver resolver;
    JobAgenda agenda;
    agenda.begin_reload();
    ASSERT_TRUE(agenda.add_job(7, "* * * * * *", "UTC", resolver.get()));
    const Timestamp start = utc("2026-01-01 00:00:00");
    agenda.finish_reload(start);
    // The launcher wakes a little late each time; fire times stay on the second.
    for (int second = 1; second <= 100; ++second) {
        const Timestamp late_wake = start + second * kMicrosPerSecond + 3000;
        const auto due = take_all(agenda, late_wake);
        ASSERT_EQ(due.size(), 1u);
        EXPECT_EQ(due[0].fire_time, start + second * kMicrosPerSecond);
    }
}

TEST(JobAgenda, MissedRunsAreSkippedNotReplayed) {
    CountingResolver resolver;
    JobAgenda agenda;
    agenda.begin_reload();
    ASSERT_TRUE(agenda.add_job(1, "* * * * *", "UTC", resolver.get()));
    agenda.finish_reload(utc("2026-01-01 00:00:30"));
    // Stalled for ten minutes: one run for the oldest missed minute, then on time.
    const auto due = take_all(agenda, utc("2026-01-01 00:10:30"));
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(utc_text(due[0].fire_time), "2026-01-01 00:01:00");
    EXPECT_EQ(utc_text(*agenda.next_fire_time()), "2026-01-01 00:11:00");
}

TEST(JobAgenda, ManyJobsDueTogetherComeOutInBatches) {
    CountingResolver resolver;
    JobAgenda agenda;
    agenda.begin_reload();
    for (int64_t id = 1; id <= 2500; ++id) {
        ASSERT_TRUE(agenda.add_job(id, "0 * * * *", "UTC", resolver.get()));
    }
    agenda.finish_reload(utc("2026-01-01 00:30:00"));
    EXPECT_EQ(resolver.calls, 1);  // interned: parsed once
    std::vector<JobAgenda::Due> out;
    const Timestamp now = utc("2026-01-01 01:00:00");
    EXPECT_EQ(agenda.take_due(now, 1000, out), 1000u);
    EXPECT_EQ(agenda.take_due(now, 1000, out), 1000u);
    EXPECT_EQ(agenda.take_due(now, 1000, out), 500u);
    EXPECT_EQ(agenda.take_due(now, 1000, out), 0u);
    ASSERT_EQ(out.size(), 2500u);
    for (size_t i = 0; i < out.size(); ++i) {
        EXPECT_EQ(out[i].job_id, static_cast<int64_t>(i + 1));
        EXPECT_EQ(out[i].fire_time, now);
    }
    EXPECT_EQ(utc_text(*agenda.next_fire_time()), "2026-01-01 02:00:00");
}

TEST(JobAgenda, ReloadKeepsPendingTimeOfUnchangedJobs) {
    CountingResolver resolver;
    JobAgenda agenda;
    agenda.begin_reload();
    ASSERT_TRUE(agenda.add_job(1, "0 * * * *", "UTC", resolver.get()));
    agenda.finish_reload(utc("2026-01-01 00:30:00"));
    // Reloaded just after the hour, before the launcher took the due run:
    // the 01:00 run must still come out (not be skipped to 02:00).
    agenda.begin_reload();
    ASSERT_TRUE(agenda.add_job(1, "0 * * * *", "UTC", resolver.get()));
    agenda.finish_reload(utc("2026-01-01 01:00:00") + kMicrosPerSecond / 2);
    const auto due = take_all(agenda, utc("2026-01-01 01:00:01"));
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(utc_text(due[0].fire_time), "2026-01-01 01:00:00");
}

TEST(JobAgenda, ReloadReschedulesChangedAndDropsRemovedJobs) {
    CountingResolver resolver;
    JobAgenda agenda;
    agenda.begin_reload();
    ASSERT_TRUE(agenda.add_job(1, "0 * * * *", "UTC", resolver.get()));
    ASSERT_TRUE(agenda.add_job(2, "0 * * * *", "UTC", resolver.get()));
    agenda.finish_reload(utc("2026-01-01 00:30:00"));

    agenda.begin_reload();
    ASSERT_TRUE(agenda.add_job(1, "45 * * * *", "UTC", resolver.get()));  // changed
    // job 2 dropped (disabled or deleted); job 3 is new
    ASSERT_TRUE(agenda.add_job(3, "50 0 * * *", "UTC", resolver.get()));
    agenda.finish_reload(utc("2026-01-01 00:40:00"));
    EXPECT_EQ(agenda.job_count(), 2u);

    const auto due = take_all(agenda, utc("2026-01-01 01:00:00"));
    ASSERT_EQ(due.size(), 2u);
    EXPECT_EQ(due[0].job_id, 1);
    EXPECT_EQ(utc_text(due[0].fire_time), "2026-01-01 00:45:00");
    EXPECT_EQ(due[1].job_id, 3);
    EXPECT_EQ(utc_text(due[1].fire_time), "2026-01-01 00:50:00");
}

TEST(JobAgenda, ZoneChangeCountsAsAChange) {
    CountingResolver resolver;
    JobAgenda agenda;
    agenda.begin_reload();
    ASSERT_TRUE(agenda.add_job(1, "0 * * * *", "UTC", resolver.get()));
    agenda.finish_reload(utc("2026-01-01 00:30:00"));
    agenda.begin_reload();
    ASSERT_TRUE(agenda.add_job(1, "0 * * * *", "Etc/UTC", resolver.get()));
    EXPECT_EQ(resolver.calls, 2);
    agenda.finish_reload(utc("2026-01-01 01:00:00") + kMicrosPerSecond / 2);
    EXPECT_EQ(utc_text(*agenda.next_fire_time()), "2026-01-01 02:00:00");
}

TEST(JobAgenda, UnusableSchedulesAndDuplicateIdsAreSkipped) {
    CountingResolver resolver;
    JobAgenda agenda;
    agenda.begin_reload();
    EXPECT_FALSE(agenda.add_job(1, "61 * * * *", "UTC", resolver.get()));
    EXPECT_TRUE(agenda.add_job(5, "@hourly", "UTC", resolver.get()));
    EXPECT_TRUE(agenda.add_job(5, "@daily", "UTC", resolver.get()));  // duplicate: the first counts
    agenda.finish_reload(utc("2026-01-01 00:30:00"));
    EXPECT_EQ(agenda.job_count(), 1u);
    EXPECT_EQ(utc_text(*agenda.next_fire_time()), "2026-01-01 01:00:00");
}

TEST(JobAgenda, JobsMayComeInAnyOrder) {
    CountingResolver resolver;
    JobAgenda agenda;
    agenda.begin_reload();
    for (int64_t id : {9, 3, 7, 1, 5}) {
        ASSERT_TRUE(agenda.add_job(id, "0 * * * *", "UTC", resolver.get()));
    }
    agenda.finish_reload(utc("2026-01-01 00:30:00"));
    // Reload in another order: nothing changed, so the pending times stay.
    agenda.begin_reload();
    for (int64_t id : {1, 9, 5, 3}) {
        ASSERT_TRUE(agenda.add_job(id, "0 * * * *", "UTC", resolver.get()));
    }
    agenda.finish_reload(utc("2026-01-01 01:00:00") + kMicrosPerSecond / 2);
    const auto due = take_all(agenda, utc("2026-01-01 01:00:01"));
    ASSERT_EQ(due.size(), 4u);
    EXPECT_EQ(due[0].job_id, 1);
    EXPECT_EQ(due[1].job_id, 3);
    EXPECT_EQ(due[2].job_id, 5);
    EXPECT_EQ(due[3].job_id, 9);
}

TEST(JobAgenda, RebootJobsAreListedButNeverQueued) {
    CountingResolver resolver;
    JobAgenda agenda;
    agenda.begin_reload();
    ASSERT_TRUE(agenda.add_job(3, "@REBOOT", "UTC", resolver.get()));
    ASSERT_TRUE(agenda.add_job(2, "@daily", "UTC", resolver.get()));
    ASSERT_TRUE(agenda.add_job(1, "@reboot", "UTC", resolver.get()));
    agenda.finish_reload(utc("2026-01-01 00:30:00"));
    EXPECT_EQ(agenda.reboot_jobs(), (std::vector<int64_t>{1, 3}));
    const auto due = take_all(agenda, utc("2027-01-01 00:00:00"));
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].job_id, 2);
}

}  // namespace
}  // namespace pg_jobs
