// JobAgenda: reload diffing (kept, changed, dropped jobs), single-job
// upsert/remove, due-run extraction with no drift and no catch-up storms,
// runs given back after a failed INSERT, @reboot bookkeeping.
#include "core/cron_next.hpp"
#include "core/cron_parser.hpp"
#include "core/job_agenda.hpp"
#include "test_time.hpp"

#include <gtest/gtest.h>

#include <algorithm>
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

// When the schedule the agenda holds for (text, UTC) fires next after
// `after`; "not held" when it holds none.
std::string held_fires_after(const JobAgenda& agenda, std::string_view text, Timestamp after) {
    const JobAgenda::Resolved* resolved = agenda.find_resolved(text, "UTC");
    return resolved == nullptr ? "not held"
                               : utc_text(cron::next_fire_time(resolved->schedule, *resolved->zone, after));
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

TEST(JobAgenda, RunsAreTakenAheadUpToTheHorizonWithoutLosingFireTimes) {
    CountingResolver resolver;
    JobAgenda agenda;
    agenda.begin_reload();
    ASSERT_TRUE(agenda.add_job(7, "* * * * * *", "UTC", resolver.get()));
    ASSERT_TRUE(agenda.add_job(8, "* * * * *", "UTC", resolver.get()));
    const Timestamp start = utc("2026-01-01 00:00:00");
    agenda.finish_reload(start);
    // 25 ms before the second: that second's run comes out, with its own
    // fire time (not the time it was taken); nothing beyond the horizon.
    std::vector<JobAgenda::Due> out;
    const Timestamp early = start + kMicrosPerSecond - 25000;
    EXPECT_EQ(agenda.take_due(early, early + 25000, 1000, out), 1u);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].job_id, 7);
    EXPECT_EQ(out[0].fire_time, start + kMicrosPerSecond);
    EXPECT_EQ(*agenda.next_fire_time(), start + 2 * kMicrosPerSecond);
    // Taken ahead every second for a minute: every fire time once, in order,
    // and the minute job at its minute.
    out.clear();
    for (int second = 2; second <= 60; ++second) {
        const Timestamp now = start + second * kMicrosPerSecond - 20000;
        agenda.take_due(now, now + 25000, 1000, out);
    }
    ASSERT_EQ(out.size(), 60u);
    for (int second = 2; second <= 60; ++second) {
        EXPECT_EQ(out[second - 2].job_id, 7);
        EXPECT_EQ(out[second - 2].fire_time, start + second * kMicrosPerSecond);
    }
    EXPECT_EQ(out[59].job_id, 8);
    EXPECT_EQ(utc_text(out[59].fire_time), "2026-01-01 00:01:00");
    // A horizon before now counts as now.
    out.clear();
    const Timestamp later = start + 61 * kMicrosPerSecond + 1000;
    EXPECT_EQ(agenda.take_due(later, later - kMicrosPerSecond, 1000, out), 1u);
    EXPECT_EQ(out[0].fire_time, start + 61 * kMicrosPerSecond);
}

TEST(JobAgenda, PeekDueShowsTheComingRunsWithoutTakingThem) {
    CountingResolver resolver;
    JobAgenda agenda;
    agenda.begin_reload();
    ASSERT_TRUE(agenda.add_job(1, "* * * * * *", "UTC", resolver.get()));
    ASSERT_TRUE(agenda.add_job(2, "* * * * *", "UTC", resolver.get()));
    ASSERT_TRUE(agenda.add_job(3, "* * * * *", "UTC", resolver.get()));
    ASSERT_TRUE(agenda.add_job(4, "0 * * * *", "UTC", resolver.get()));
    const Timestamp start = utc("2026-01-01 00:00:30");
    agenda.finish_reload(start);
    auto peek_ids = [&](Timestamp after, Timestamp horizon, size_t max_runs) {
        std::vector<JobAgenda::Due> out;
        const size_t found = agenda.peek_due(after, horizon, max_runs, out);
        EXPECT_EQ(found, out.size());
        std::vector<int64_t> ids;
        for (const JobAgenda::Due& run : out) {
            ids.push_back(run.job_id);
        }
        std::sort(ids.begin(), ids.end());
        return ids;
    };
    const Timestamp minute = utc("2026-01-01 00:01:00");
    EXPECT_EQ(peek_ids(start, start + kMicrosPerSecond, 100), (std::vector<int64_t>{1}));
    EXPECT_EQ(peek_ids(start, minute, 100), (std::vector<int64_t>{1, 2, 3}));
    // `after` is left out: job 1 fires at :31 first.
    EXPECT_EQ(peek_ids(start + kMicrosPerSecond, minute, 100), (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(peek_ids(minute, minute + kMicrosPerSecond, 100), std::vector<int64_t>{});
    EXPECT_EQ(peek_ids(start, minute, 2).size(), 2u);
    // Nothing was taken: the runs still come out when due.
    std::vector<JobAgenda::Due> taken;
    agenda.take_due(start + kMicrosPerSecond, 1000, taken);
    ASSERT_EQ(taken.size(), 1u);
    EXPECT_EQ(taken[0].job_id, 1);
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

TEST(JobAgenda, FindResolvedGivesTheScheduleAddJobResolvedWithoutResolvingAgain) {
    CountingResolver resolver;
    JobAgenda agenda;
    agenda.begin_reload();
    ASSERT_TRUE(agenda.add_job(1, "*/15 * * * *", "UTC", resolver.get()));
    ASSERT_TRUE(agenda.add_job(2, "*/15 * * * *", "UTC", resolver.get()));
    EXPECT_FALSE(agenda.add_job(3, "61 * * * *", "UTC", resolver.get()));
    EXPECT_EQ(resolver.calls, 2);
    // In the reload in progress.
    EXPECT_EQ(held_fires_after(agenda, "*/15 * * * *", utc("2026-01-01 10:16:00")), "2026-01-01 10:30:00");
    EXPECT_EQ(agenda.find_resolved("*/15 * * * *", "Europe/Berlin"), nullptr);  // the key holds the zone
    EXPECT_EQ(held_fires_after(agenda, "@hourly", 0), "not held");
    EXPECT_EQ(held_fires_after(agenda, "61 * * * *", 0), "not held");  // refused
    // In the current set, once the reload is done.
    agenda.finish_reload(utc("2026-01-01 10:16:00"));
    EXPECT_EQ(held_fires_after(agenda, "*/15 * * * *", utc("2026-01-01 10:31:00")), "2026-01-01 10:45:00");
    EXPECT_EQ(resolver.calls, 2);
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

// --- Single-job changes (the launcher re-reads only the changed rows) ---

// An agenda loaded at `at` with jobs 1..count on "0 * * * *".
JobAgenda hourly_agenda(CountingResolver& resolver, int64_t count, Timestamp at) {
    JobAgenda agenda;
    agenda.begin_reload();
    for (int64_t id = 1; id <= count; ++id) {
        EXPECT_TRUE(agenda.add_job(id, "0 * * * *", "UTC", resolver.get()));
    }
    agenda.finish_reload(at);
    return agenda;
}

std::vector<int64_t> due_ids(JobAgenda& agenda, Timestamp now) {
    std::vector<int64_t> ids;
    for (const JobAgenda::Due& run : take_all(agenda, now)) {
        ids.push_back(run.job_id);
    }
    return ids;
}

TEST(JobAgendaChanges, UpsertAddsANewJobThatFiresStrictlyAfterNow) {
    CountingResolver resolver;
    JobAgenda agenda = hourly_agenda(resolver, 2, utc("2026-01-01 00:30:00"));
    // A new id past the last one, and one between existing ids.
    ASSERT_TRUE(agenda.upsert_job(10, "45 * * * *", "UTC", resolver.get(), utc("2026-01-01 00:40:00")));
    agenda.remove_job(2);
    ASSERT_TRUE(agenda.upsert_job(2, "50 * * * *", "UTC", resolver.get(), utc("2026-01-01 00:40:00")));
    EXPECT_EQ(agenda.job_count(), 3u);
    const auto due = take_all(agenda, utc("2026-01-01 01:00:00"));
    ASSERT_EQ(due.size(), 3u);
    EXPECT_EQ(due[0].job_id, 10);
    EXPECT_EQ(utc_text(due[0].fire_time), "2026-01-01 00:45:00");
    EXPECT_EQ(due[1].job_id, 2);
    EXPECT_EQ(utc_text(due[1].fire_time), "2026-01-01 00:50:00");
    EXPECT_EQ(due[2].job_id, 1);
    EXPECT_EQ(utc_text(due[2].fire_time), "2026-01-01 01:00:00");
}

TEST(JobAgendaChanges, UpsertOfAnUnchangedJobKeepsItsPendingTime) {
    CountingResolver resolver;
    JobAgenda agenda = hourly_agenda(resolver, 1, utc("2026-01-01 00:30:00"));
    // Re-read just after the hour (its command changed, say), before the
    // due run was taken: the 01:00 run must still come out.
    ASSERT_TRUE(
        agenda.upsert_job(1, "0 * * * *", "UTC", resolver.get(), utc("2026-01-01 01:00:00") + 500000));
    EXPECT_EQ(resolver.calls, 1);  // nothing parsed again
    const auto due = take_all(agenda, utc("2026-01-01 01:00:01"));
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(utc_text(due[0].fire_time), "2026-01-01 01:00:00");
}

TEST(JobAgendaChanges, UpsertOfAChangedScheduleOrZoneReschedulesFromNow) {
    CountingResolver resolver;
    JobAgenda agenda = hourly_agenda(resolver, 2, utc("2026-01-01 00:30:00"));
    ASSERT_TRUE(agenda.upsert_job(1, "*/10 * * * *", "UTC", resolver.get(), utc("2026-01-01 00:31:00")));
    ASSERT_TRUE(agenda.upsert_job(2, "0 * * * *", "Etc/UTC", resolver.get(), utc("2026-01-01 01:00:00") + 1));
    std::vector<JobAgenda::Due> due = take_all(agenda, utc("2026-01-01 00:40:00"));
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].job_id, 1);
    EXPECT_EQ(utc_text(due[0].fire_time), "2026-01-01 00:40:00");
    // Job 2 changed zone just after 01:00: its next run is 02:00.
    due = take_all(agenda, utc("2026-01-01 01:30:00"));
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].job_id, 1);
    EXPECT_EQ(utc_text(*agenda.next_fire_time()), "2026-01-01 01:40:00");
    due = take_all(agenda, utc("2026-01-01 02:00:00"));
    ASSERT_EQ(due.size(), 2u);
    EXPECT_EQ(due[1].job_id, 2);
    EXPECT_EQ(utc_text(due[1].fire_time), "2026-01-01 02:00:00");
}

TEST(JobAgendaChanges, RemovedJobsStopFiring) {
    CountingResolver resolver;
    JobAgenda agenda = hourly_agenda(resolver, 3, utc("2026-01-01 00:30:00"));
    EXPECT_TRUE(agenda.remove_job(2));
    EXPECT_FALSE(agenda.remove_job(2));
    EXPECT_FALSE(agenda.remove_job(99));
    EXPECT_EQ(agenda.job_count(), 2u);
    EXPECT_EQ(due_ids(agenda, utc("2026-01-01 01:00:00")), (std::vector<int64_t>{1, 3}));
    EXPECT_TRUE(agenda.remove_job(1));
    EXPECT_TRUE(agenda.remove_job(3));
    EXPECT_FALSE(agenda.next_fire_time().has_value());
    EXPECT_EQ(agenda.job_count(), 0u);
}

TEST(JobAgendaChanges, AnUnusableScheduleRemovesTheJob) {
    CountingResolver resolver;
    JobAgenda agenda = hourly_agenda(resolver, 2, utc("2026-01-01 00:30:00"));
    EXPECT_FALSE(agenda.upsert_job(1, "61 * * * *", "UTC", resolver.get(), utc("2026-01-01 00:31:00")));
    EXPECT_FALSE(agenda.upsert_job(7, "61 * * * *", "UTC", resolver.get(), utc("2026-01-01 00:31:00")));
    EXPECT_EQ(agenda.job_count(), 1u);
    EXPECT_EQ(due_ids(agenda, utc("2026-01-01 01:00:00")), (std::vector<int64_t>{2}));
}

TEST(JobAgendaChanges, SchedulesNoJobUsesAreFreedAndReused) {
    CountingResolver resolver;
    JobAgenda agenda = hourly_agenda(resolver, 2, utc("2026-01-01 00:30:00"));
    EXPECT_EQ(agenda.schedule_count(), 1u);
    // Every alter of a job to a new schedule would otherwise keep the old one.
    for (int minute = 0; minute < 60; ++minute) {
        const std::string schedule = std::to_string(minute) + " * * * *";
        ASSERT_TRUE(agenda.upsert_job(1, schedule, "UTC", resolver.get(), utc("2026-01-01 00:30:00")));
        EXPECT_LE(agenda.schedule_count(), 2u);
    }
    ASSERT_TRUE(agenda.upsert_job(2, "59 * * * *", "UTC", resolver.get(), utc("2026-01-01 00:30:00")));
    EXPECT_EQ(agenda.schedule_count(), 1u);  // "0 * * * *" had no job left
    agenda.remove_job(1);
    EXPECT_EQ(agenda.schedule_count(), 1u);  // job 2 still uses it
    agenda.remove_job(2);
    EXPECT_EQ(agenda.schedule_count(), 0u);
    // A schedule used again after being freed is resolved again and works.
    ASSERT_TRUE(agenda.upsert_job(3, "0 * * * *", "UTC", resolver.get(), utc("2026-01-01 00:30:00")));
    EXPECT_EQ(due_ids(agenda, utc("2026-01-01 01:00:00")), (std::vector<int64_t>{3}));
}

TEST(JobAgendaChanges, FindResolvedFollowsUpsertAndRemove) {
    CountingResolver resolver;
    JobAgenda agenda;
    const Timestamp now = utc("2026-01-01 00:30:00");
    ASSERT_TRUE(agenda.upsert_job(1, "0 * * * *", "UTC", resolver.get(), now));
    ASSERT_TRUE(agenda.upsert_job(1, "0 * * * *", "UTC", resolver.get(), now));  // unchanged
    EXPECT_EQ(held_fires_after(agenda, "0 * * * *", now), "2026-01-01 01:00:00");
    EXPECT_EQ(resolver.calls, 1);
    ASSERT_TRUE(agenda.upsert_job(1, "30 * * * *", "UTC", resolver.get(), now));
    EXPECT_EQ(held_fires_after(agenda, "0 * * * *", now), "not held");  // no job uses it any more
    EXPECT_EQ(held_fires_after(agenda, "30 * * * *", now), "2026-01-01 01:30:00");
    agenda.remove_job(1);
    EXPECT_EQ(held_fires_after(agenda, "30 * * * *", now), "not held");
}

TEST(JobAgendaChanges, UpsertAndRemoveKeepRebootJobsListed) {
    CountingResolver resolver;
    JobAgenda agenda = hourly_agenda(resolver, 3, utc("2026-01-01 00:30:00"));
    ASSERT_TRUE(agenda.upsert_job(3, "@reboot", "UTC", resolver.get(), utc("2026-01-01 00:31:00")));
    ASSERT_TRUE(agenda.upsert_job(1, "@reboot", "UTC", resolver.get(), utc("2026-01-01 00:31:00")));
    ASSERT_TRUE(agenda.upsert_job(5, "@reboot", "UTC", resolver.get(), utc("2026-01-01 00:31:00")));
    EXPECT_EQ(agenda.reboot_jobs(), (std::vector<int64_t>{1, 3, 5}));
    ASSERT_TRUE(agenda.upsert_job(3, "0 * * * *", "UTC", resolver.get(), utc("2026-01-01 00:31:00")));
    agenda.remove_job(5);
    EXPECT_EQ(agenda.reboot_jobs(), (std::vector<int64_t>{1}));
    EXPECT_EQ(due_ids(agenda, utc("2026-01-01 01:00:00")), (std::vector<int64_t>{2, 3}));
}

TEST(JobAgendaChanges, AFullReloadAfterChangesAgreesWithThem) {
    CountingResolver resolver;
    JobAgenda agenda = hourly_agenda(resolver, 3, utc("2026-01-01 00:30:00"));
    ASSERT_TRUE(agenda.upsert_job(2, "15 * * * *", "UTC", resolver.get(), utc("2026-01-01 00:31:00")));
    agenda.remove_job(3);
    // The same state from the table: nothing changes, nothing is lost.
    agenda.begin_reload();
    ASSERT_TRUE(agenda.add_job(1, "0 * * * *", "UTC", resolver.get()));
    ASSERT_TRUE(agenda.add_job(2, "15 * * * *", "UTC", resolver.get()));
    agenda.finish_reload(utc("2026-01-01 00:59:00"));
    const auto due = take_all(agenda, utc("2026-01-01 01:00:00"));
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].job_id, 1);
    EXPECT_EQ(utc_text(*agenda.next_fire_time()), "2026-01-01 01:15:00");
    // ... and single changes go on working after it.
    ASSERT_TRUE(agenda.upsert_job(4, "30 * * * *", "UTC", resolver.get(), utc("2026-01-01 01:00:00")));
    EXPECT_EQ(due_ids(agenda, utc("2026-01-01 01:30:00")), (std::vector<int64_t>{2, 4}));
}

TEST(JobAgendaChanges, RandomChangesMatchAFreshLoad) {
    // Many upserts and removes in any order leave the same agenda as
    // loading the final table would.
    CountingResolver resolver;
    const Timestamp now = utc("2026-01-01 00:30:30");
    JobAgenda agenda = hourly_agenda(resolver, 200, now);
    std::vector<std::optional<int>> table(300);  // job id -> minute, or none
    for (int64_t id = 1; id <= 200; ++id) {
        table[id] = 0;
    }
    uint32_t random = 12345;
    for (int step = 0; step < 5000; ++step) {
        random = random * 1103515245u + 12345u;
        const int64_t id = 1 + (random >> 8) % 299;
        if ((random >> 4) % 3 == 0) {
            agenda.remove_job(id);
            table[id].reset();
        } else {
            const int minute = static_cast<int>((random >> 16) % 60);
            ASSERT_TRUE(
                agenda.upsert_job(id, std::to_string(minute) + " * * * *", "UTC", resolver.get(), now));
            table[id] = minute;
        }
    }
    JobAgenda fresh;
    fresh.begin_reload();
    for (int64_t id = 1; id < 300; ++id) {
        if (table[id]) {
            ASSERT_TRUE(fresh.add_job(id, std::to_string(*table[id]) + " * * * *", "UTC", resolver.get()));
        }
    }
    fresh.finish_reload(now);
    EXPECT_EQ(agenda.job_count(), fresh.job_count());
    EXPECT_LE(agenda.schedule_count(), 60u);
    // Jobs never changed since the first load kept 01:00; the fresh load
    // computes the same for minute 0, so compare a full hour of runs.
    std::vector<JobAgenda::Due> got;
    std::vector<JobAgenda::Due> want;
    agenda.take_due(utc("2026-01-01 01:30:00"), 100000, got);
    fresh.take_due(utc("2026-01-01 01:30:00"), 100000, want);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].job_id, want[i].job_id);
        EXPECT_EQ(got[i].fire_time, want[i].fire_time);
    }
}

// --- Runs whose INSERT failed are given back, not lost ---

TEST(JobAgendaPutBack, RunsGivenBackComeOutAgain) {
    CountingResolver resolver;
    JobAgenda agenda = hourly_agenda(resolver, 2, utc("2026-01-01 00:30:00"));
    const auto taken = take_all(agenda, utc("2026-01-01 01:00:00"));
    ASSERT_EQ(taken.size(), 2u);
    // The INSERT failed; the retry comes a second later.
    agenda.put_back(taken);
    const auto retried = take_all(agenda, utc("2026-01-01 01:00:01"));
    ASSERT_EQ(retried.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(retried[i].job_id, taken[i].job_id);
        EXPECT_EQ(retried[i].fire_time, taken[i].fire_time);
    }
    // Once queued, the following runs are the ones after the retry.
    EXPECT_TRUE(take_all(agenda, utc("2026-01-01 01:00:02")).empty());
    EXPECT_EQ(utc_text(*agenda.next_fire_time()), "2026-01-01 02:00:00");
}

TEST(JobAgendaPutBack, WithoutPutBackTheRunsWouldBeGone) {
    // What put_back fixes: take_due moves each job on at once.
    CountingResolver resolver;
    JobAgenda agenda = hourly_agenda(resolver, 1, utc("2026-01-01 00:30:00"));
    ASSERT_EQ(take_all(agenda, utc("2026-01-01 01:00:00")).size(), 1u);
    EXPECT_TRUE(take_all(agenda, utc("2026-01-01 01:00:01")).empty());
}

TEST(JobAgendaPutBack, SurvivesTheFullReloadThatFollowsAnError) {
    CountingResolver resolver;
    JobAgenda agenda = hourly_agenda(resolver, 2, utc("2026-01-01 00:30:00"));
    const auto taken = take_all(agenda, utc("2026-01-01 01:00:00"));
    agenda.put_back(taken);
    // After an error the launcher reloads everything; job 2 was deleted meanwhile.
    agenda.begin_reload();
    ASSERT_TRUE(agenda.add_job(1, "0 * * * *", "UTC", resolver.get()));
    agenda.finish_reload(utc("2026-01-01 01:00:01"));
    const auto retried = take_all(agenda, utc("2026-01-01 01:00:01"));
    ASSERT_EQ(retried.size(), 1u);
    EXPECT_EQ(retried[0].job_id, 1);
    EXPECT_EQ(utc_text(retried[0].fire_time), "2026-01-01 01:00:00");
}

TEST(JobAgendaPutBack, KeepsTheEarlierTimeAndSkipsRemovedJobs) {
    CountingResolver resolver;
    JobAgenda agenda = hourly_agenda(resolver, 2, utc("2026-01-01 00:30:00"));
    // Job 1's pending run is 01:00; a run of 00:00 given back comes first,
    // one of 05:00 changes nothing. Job 2 is gone.
    agenda.remove_job(2);
    agenda.put_back({{1, utc("2026-01-01 05:00:00")}, {2, utc("2026-01-01 00:00:00")}});
    EXPECT_EQ(utc_text(*agenda.next_fire_time()), "2026-01-01 01:00:00");
    agenda.put_back({{1, utc("2026-01-01 00:00:00")}});
    const auto due = take_all(agenda, utc("2026-01-01 00:30:01"));
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].job_id, 1);
    EXPECT_EQ(utc_text(due[0].fire_time), "2026-01-01 00:00:00");
    EXPECT_EQ(utc_text(*agenda.next_fire_time()), "2026-01-01 01:00:00");
}

// --- Windows and one-shot jobs ------------------------------------------------------

TEST(JobAgendaWindow, StartAtDelaysAndEndAtEndsTheJob) {
    CountingResolver resolver;
    JobAgenda agenda;
    JobAgenda::Window window;
    window.start_at = utc("2026-01-01 03:00:00");
    window.end_at = utc("2026-01-01 04:00:00");
    agenda.begin_reload();
    ASSERT_TRUE(agenda.add_job(1, "0 * * * *", "UTC", resolver.get(), window));
    agenda.finish_reload(utc("2026-01-01 00:30:00"));
    EXPECT_EQ(utc_text(*agenda.next_fire_time()), "2026-01-01 03:00:00");
    EXPECT_TRUE(take_all(agenda, utc("2026-01-01 02:59:59")).empty());
    ASSERT_EQ(take_all(agenda, utc("2026-01-01 03:00:00")).size(), 1u);
    EXPECT_TRUE(agenda.take_ended_jobs().empty());
    const auto last = take_all(agenda, utc("2026-01-01 04:00:00"));
    ASSERT_EQ(last.size(), 1u);
    EXPECT_EQ(utc_text(last[0].fire_time), "2026-01-01 04:00:00");  // end_at itself is inside
    // No fire time is left in the window: the job ends (and is told once).
    EXPECT_FALSE(agenda.next_fire_time().has_value());
    const auto ended = agenda.take_ended_jobs();
    ASSERT_EQ(ended.size(), 1u);
    EXPECT_EQ(ended[0].first, 1);
    EXPECT_EQ(utc_text(ended[0].second), "2026-01-01 04:00:00");
    EXPECT_TRUE(agenda.take_ended_jobs().empty());
    EXPECT_TRUE(agenda.has_job(1));
}

TEST(JobAgendaWindow, ChangingTheWindowReschedulesKeepingItDoesNot) {
    CountingResolver resolver;
    JobAgenda agenda;
    const Timestamp now = utc("2026-01-01 00:30:00");
    ASSERT_TRUE(agenda.upsert_job(1, "0 * * * *", "UTC", resolver.get(), now));
    EXPECT_EQ(utc_text(*agenda.pending_fire_time(1)), "2026-01-01 01:00:00");
    JobAgenda::Window later;
    later.start_at = utc("2026-01-02 00:00:00");
    ASSERT_TRUE(agenda.upsert_job(1, "0 * * * *", "UTC", resolver.get(), now, later));
    EXPECT_EQ(utc_text(*agenda.pending_fire_time(1)), "2026-01-02 00:00:00");
    ASSERT_TRUE(agenda.upsert_job(1, "0 * * * *", "UTC", resolver.get(), utc("2026-01-01 23:00:00"), later));
    EXPECT_EQ(utc_text(*agenda.pending_fire_time(1)), "2026-01-02 00:00:00");
    // A window already over when loaded ends the job at once.
    JobAgenda::Window past;
    past.end_at = utc("2025-12-31 00:00:00");
    ASSERT_TRUE(agenda.upsert_job(2, "0 * * * *", "UTC", resolver.get(), now, past));
    EXPECT_FALSE(agenda.pending_fire_time(2).has_value());
    ASSERT_EQ(agenda.take_ended_jobs().size(), 1u);
}

TEST(JobAgendaOneShot, FiresOnceAtRunAt) {
    CountingResolver resolver;
    JobAgenda agenda;
    agenda.begin_reload();
    agenda.add_one_shot(4, utc("2026-01-01 01:00:00"));
    agenda.add_one_shot(5, utc("2025-01-01 00:00:00"));  // missed: not queued
    ASSERT_TRUE(agenda.add_job(6, "@reboot", "UTC", resolver.get()));
    agenda.finish_reload(utc("2026-01-01 00:00:00"));
    EXPECT_EQ(agenda.job_count(), 3u);
    EXPECT_FALSE(agenda.pending_fire_time(5).has_value());
    EXPECT_EQ(agenda.reboot_jobs(), std::vector<int64_t>{6});
    const auto due = take_all(agenda, utc("2026-01-01 01:00:05"));
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].job_id, 4);
    EXPECT_EQ(utc_text(due[0].fire_time), "2026-01-01 01:00:00");
    EXPECT_TRUE(take_all(agenda, utc("2030-01-01 00:00:00")).empty());
    EXPECT_FALSE(agenda.next_fire_time().has_value());
    EXPECT_TRUE(agenda.take_ended_jobs().empty());
}

TEST(JobAgendaOneShot, ReloadKeepsItAndAChangeMovesIt) {
    CountingResolver resolver;
    JobAgenda agenda;
    agenda.upsert_one_shot(4, utc("2026-01-01 01:00:00"), utc("2026-01-01 00:00:00"));
    agenda.begin_reload();
    agenda.add_one_shot(4, utc("2026-01-01 01:00:00"));
    agenda.finish_reload(utc("2026-01-01 01:00:00"));  // due right now: kept
    EXPECT_EQ(utc_text(*agenda.pending_fire_time(4)), "2026-01-01 01:00:00");
    agenda.upsert_one_shot(4, utc("2026-01-01 02:00:00"), utc("2026-01-01 01:00:00"));
    EXPECT_EQ(utc_text(*agenda.pending_fire_time(4)), "2026-01-01 02:00:00");
    // A one-shot job given a schedule becomes an ordinary one, and back.
    ASSERT_TRUE(agenda.upsert_job(4, "30 * * * *", "UTC", resolver.get(), utc("2026-01-01 01:00:00")));
    EXPECT_EQ(utc_text(*agenda.pending_fire_time(4)), "2026-01-01 01:30:00");
    EXPECT_EQ(agenda.schedule_count(), 1u);
    agenda.upsert_one_shot(4, utc("2026-01-01 03:00:00"), utc("2026-01-01 01:00:00"));
    EXPECT_EQ(agenda.schedule_count(), 0u);
    EXPECT_TRUE(agenda.remove_job(4));
    EXPECT_EQ(agenda.job_count(), 0u);
}

}  // namespace
}  // namespace pg_jobs
