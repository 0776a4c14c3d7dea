// The launcher's view of the jobs: which schedule each enabled job follows
// and when it fires next. Reloaded from the table as a whole (jobs come in
// increasing job_id order); a job whose schedule and zone did not change
// keeps its pending fire time, so a reload never skips or repeats a run.
//
// Memory: schedules are interned by (text, zone), so a million jobs sharing
// a handful of schedules cost ~16 bytes each here plus the FireQueue's ~30.
#pragma once
#include "core/no_postgres.hpp"

#include "core/cron_schedule.hpp"
#include "core/fire_queue.hpp"
#include "core/time_units.hpp"
#include "core/time_zone.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pg_jobs {

class JobAgenda {
public:
    // A parsed schedule and the zone it is evaluated in.
    struct Resolved {
        cron::CronSchedule schedule;
        std::shared_ptr<const TimeZone> zone;
    };
    // Parses a (schedule text, zone name) pair the agenda has not seen in
    // this reload; nullopt when it is unusable (the job is then left out).
    using Resolver = std::function<std::optional<Resolved>(std::string_view text, std::string_view zone)>;

    struct Due {
        int64_t job_id;
        Timestamp fire_time;
    };

    // Starts a reload: add_job every enabled scheduled job, then
    // finish_reload. Until then the previous state stays in effect.
    void begin_reload();

    // Adds one job to the reload in progress. Returns false (and skips the
    // job) when `resolve` refuses its schedule. If a job id comes twice, the
    // first one counts.
    bool add_job(int64_t job_id, std::string_view schedule_text, std::string_view zone_name,
                 const Resolver& resolve);

    // Makes the reloaded set current: dropped jobs leave the queue, new or
    // changed ones fire next strictly after `now`, unchanged ones keep their
    // pending time.
    void finish_reload(Timestamp now);

    // Removes up to `max_runs` runs due at or before `now` (earliest first)
    // into `out` and schedules each job's following run. Runs missed by more
    // than a period (the launcher was stopped or stalled) are skipped, as
    // cron does: the next one is computed after max(fire time, now).
    size_t take_due(Timestamp now, size_t max_runs, std::vector<Due>& out);

    // The earliest pending fire time, if any job will ever fire.
    std::optional<Timestamp> next_fire_time() const;

    // Jobs of the current set whose schedule is @reboot.
    const std::vector<int64_t>& reboot_jobs() const { return reboot_jobs_; }

    size_t job_count() const { return jobs_.size(); }

private:
    struct Schedule {
        std::string key;  // schedule text, NUL, zone name
        Resolved resolved;
    };
    struct Job {
        int64_t job_id;
        uint32_t schedule;  // index into schedules_
    };

    static std::string make_key(std::string_view text, std::string_view zone);
    const Job* find_job(const std::vector<Job>& jobs, int64_t job_id) const;
    // Queues the job's next fire strictly after `after` (or drops it if none).
    void schedule_after(int64_t job_id, const Resolved& resolved, Timestamp after);

    std::vector<Job> jobs_;  // sorted by job_id
    std::vector<Schedule> schedules_;
    std::vector<int64_t> reboot_jobs_;
    FireQueue queue_;

    // The reload in progress.
    std::vector<Job> next_jobs_;
    std::vector<Schedule> next_schedules_;
    std::unordered_map<std::string, uint32_t> next_index_;
    std::vector<int64_t> next_reboot_jobs_;
};

}  // namespace pg_jobs
