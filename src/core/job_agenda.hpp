// The launcher's view of the jobs: which schedule each enabled job follows
// and when it fires next. Loaded from the table as a whole (at start, after
// errors), then kept current one changed job at a time (upsert_job,
// remove_job). Either way a job whose schedule and zone did not change
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

    // Sets one job outside a reload, as finish_reload would: a new job, or
    // one whose schedule or zone changed, fires next strictly after `now`;
    // an unchanged one keeps its pending time. Returns false (and removes
    // the job) when `resolve` refuses its schedule. Costs O(log n), plus a
    // move of the job list when a job id is inserted before the last one.
    bool upsert_job(int64_t job_id, std::string_view schedule_text, std::string_view zone_name,
                    const Resolver& resolve, Timestamp now);

    // Drops one job (deleted, disabled, made on-demand); returns whether the
    // agenda had it.
    bool remove_job(int64_t job_id);

    // Removes up to `max_runs` runs due at or before `now` (earliest first)
    // into `out` and schedules each job's following run. Runs missed by more
    // than a period (the launcher was stopped or stalled) are skipped, as
    // cron does: the next one is computed after max(fire time, now).
    size_t take_due(Timestamp now, size_t max_runs, std::vector<Due>& out);

    // Gives back runs take_due handed out that could not be queued (the
    // INSERT failed), so the next take_due returns them again instead of
    // losing them: each job still in the agenda fires next at the earlier
    // of the given time and its pending one.
    void put_back(const std::vector<Due>& runs);

    // The earliest pending fire time, if any job will ever fire.
    std::optional<Timestamp> next_fire_time() const;

    // Jobs of the current set whose schedule is @reboot.
    const std::vector<int64_t>& reboot_jobs() const { return reboot_jobs_; }

    size_t job_count() const { return jobs_.size(); }

    // Distinct (schedule, zone) pairs held, for tests: unused ones are freed.
    size_t schedule_count() const { return index_.size(); }

private:
    struct Schedule {
        std::string key;  // schedule text, NUL, zone name; empty: a free slot
        Resolved resolved;
        uint32_t jobs = 0;  // how many jobs use it
    };
    struct Job {
        int64_t job_id;
        uint32_t schedule;  // index into schedules_
    };

    static std::string make_key(std::string_view text, std::string_view zone);
    static std::vector<Job>::iterator lower_bound(std::vector<Job>& jobs, int64_t job_id);
    const Job* find_job(const std::vector<Job>& jobs, int64_t job_id) const;
    bool is_reboot(uint32_t schedule) const {
        return schedules_[schedule].resolved.schedule.kind == cron::ScheduleKind::Reboot;
    }
    // Queues the job's next fire strictly after `after` (or drops it if none).
    void schedule_after(int64_t job_id, const Resolved& resolved, Timestamp after);
    // The index of the current schedule with this key, resolving and adding
    // it if new; nullopt when `resolve` refuses it.
    std::optional<uint32_t> intern(std::string key, std::string_view text, std::string_view zone,
                                   const Resolver& resolve);
    // One job fewer uses `schedule`; the last one frees it.
    void release(uint32_t schedule);
    void release_unused(uint32_t schedule);  // a slot no job uses becomes free
    void set_reboot(int64_t job_id, bool reboot);

    std::vector<Job> jobs_;  // sorted by job_id
    std::vector<Schedule> schedules_;
    std::unordered_map<std::string, uint32_t> index_;  // key -> index into schedules_
    std::vector<uint32_t> free_schedules_;             // slots of schedules_ to reuse
    std::vector<int64_t> reboot_jobs_;                 // sorted
    FireQueue queue_;

    // The reload in progress.
    std::vector<Job> next_jobs_;
    std::vector<Schedule> next_schedules_;
    std::unordered_map<std::string, uint32_t> next_index_;
    std::vector<int64_t> next_reboot_jobs_;
};

}  // namespace pg_jobs
