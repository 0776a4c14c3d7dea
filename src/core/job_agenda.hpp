// The launcher's view of the jobs: which schedule each enabled job follows
// and when it fires next. Loaded from the table as a whole (at start, after
// errors), then kept current one changed job at a time (upsert_job,
// remove_job). Either way a job whose schedule and zone did not change
// keeps its pending fire time, so a reload never skips or repeats a run.
//
// Memory: schedules are interned by (text, zone), so a million jobs sharing
// a handful of schedules cost ~16 bytes each here plus the FireQueue's ~30.
// Jobs with an active window (start_at, end_at) and one-shot jobs (run_at,
// no schedule) cost an entry in a side map besides.
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
#include <utility>
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

    // The window a schedule fires in: no fire time before start_at or after
    // end_at (both inclusive). A job whose window is over "ends": see
    // take_ended_jobs.
    struct Window {
        std::optional<Timestamp> start_at;
        std::optional<Timestamp> end_at;
        bool operator==(const Window& other) const {
            return start_at == other.start_at && end_at == other.end_at;
        }
        bool empty() const { return !start_at && !end_at; }
    };

    // Starts a reload: add_job every enabled scheduled job, then
    // finish_reload. Until then the previous state stays in effect.
    void begin_reload();

    // Adds one job to the reload in progress. Returns false (and skips the
    // job) when `resolve` refuses its schedule. If a job id comes twice, the
    // first one counts.
    bool add_job(int64_t job_id, std::string_view schedule_text, std::string_view zone_name,
                 const Resolver& resolve, const Window& window = {});

    // Adds a one-shot job (no schedule) to the reload in progress: it fires
    // once, at run_at, if that is after the reload's `now` (a missed run_at
    // is the caller's to handle, see run_policies.hpp).
    void add_one_shot(int64_t job_id, Timestamp run_at);

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
                    const Resolver& resolve, Timestamp now, const Window& window = {});

    // Sets a one-shot job outside a reload: it fires at run_at if that is
    // after `now`; an unchanged one keeps its pending time.
    void upsert_one_shot(int64_t job_id, Timestamp run_at, Timestamp now);

    // The schedule and zone add_job or upsert_job resolved for this
    // (schedule text, zone name), looked up by that key (not resolved
    // again): in the reload in progress, else in the current set; nullptr
    // when the agenda holds neither. Valid until the agenda next changes.
    const Resolved* find_resolved(std::string_view schedule_text, std::string_view zone_name) const;

    // Whether the current set holds the job (before finish_reload: the
    // previous set), and its pending fire time.
    bool has_job(int64_t job_id) const { return find_job(jobs_, job_id) != nullptr; }
    std::optional<Timestamp> pending_fire_time(int64_t job_id) const { return queue_.fire_time_of(job_id); }

    // Drops one job (deleted, disabled, made on-demand); returns whether the
    // agenda had it.
    bool remove_job(int64_t job_id);

    // Removes up to `max_runs` runs due at or before `now` (earliest first)
    // into `out` and schedules each job's following run. Runs missed by more
    // than a period (the launcher was stopped or stalled) are skipped, as
    // cron does: the next one is computed after max(fire time, now).
    size_t take_due(Timestamp now, size_t max_runs, std::vector<Due>& out) {
        return take_due(now, now, max_runs, out);
    }
    // The same, taking runs due up to `horizon` (>= now) ahead of time: the
    // launcher queues them a little early (each to start at its fire time),
    // so the queueing is off the critical path. Skipping still counts from
    // `now`: a job firing more often than the horizon loses no fire time.
    size_t take_due(Timestamp now, Timestamp horizon, size_t max_runs, std::vector<Due>& out);

    // Appends up to `max_runs` runs due in (`after`, `horizon`], in no
    // particular order, without taking them (take_due still hands them out
    // when they are due): the launcher starts workers for runs about to be
    // due, so that they are ready at the instant.
    size_t peek_due(Timestamp after, Timestamp horizon, size_t max_runs, std::vector<Due>& out) const;

    // Gives back runs take_due handed out that could not be queued (the
    // INSERT failed), so the next take_due returns them again instead of
    // losing them: each job still in the agenda fires next at the earlier
    // of the given time and its pending one.
    void put_back(const std::vector<Due>& runs);

    // The jobs whose window ended (no fire time left before end_at) since
    // the last call, with their end_at: they stay in the agenda without a
    // fire time until the launcher has disabled them.
    std::vector<std::pair<int64_t, Timestamp>> take_ended_jobs();

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
        uint32_t schedule;  // index into schedules_, or kOneShot
    };
    static constexpr uint32_t kOneShot = UINT32_MAX;
    // What a job has besides its schedule (only jobs that have something).
    struct Extra {
        Window window;
        Timestamp run_at = 0;  // one-shot jobs
        bool operator==(const Extra& other) const { return window == other.window && run_at == other.run_at; }
    };
    using Extras = std::unordered_map<int64_t, Extra>;

    static std::string make_key(std::string_view text, std::string_view zone);
    static std::vector<Job>::iterator lower_bound(std::vector<Job>& jobs, int64_t job_id);
    const Job* find_job(const std::vector<Job>& jobs, int64_t job_id) const;
    bool is_reboot(uint32_t schedule) const {
        return schedule != kOneShot &&
               schedules_[schedule].resolved.schedule.kind == cron::ScheduleKind::Reboot;
    }
    // Queues the job's next fire strictly after `after` (or drops it if none).
    void schedule_after(const Job& job, Timestamp after);
    // Whether the job's schedule and extras are the same in the previous
    // set (old_job) and the new one.
    bool same_definition(const Job* old_job, const std::string& new_key, const Extra* new_extra) const;
    static const Extra* find_extra(const Extras& extras, int64_t job_id);
    void set_extra(int64_t job_id, const Extra* extra);
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
    Extras extras_;
    std::vector<std::pair<int64_t, Timestamp>> ended_;  // see take_ended_jobs
    FireQueue queue_;

    // The reload in progress.
    std::vector<Job> next_jobs_;
    std::vector<Schedule> next_schedules_;
    std::unordered_map<std::string, uint32_t> next_index_;
    std::vector<int64_t> next_reboot_jobs_;
    Extras next_extras_;
};

}  // namespace pg_jobs
