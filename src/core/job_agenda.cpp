// JobAgenda: reload diffing, single-job changes and due-run extraction; see
// job_agenda.hpp.
#include "core/job_agenda.hpp"

#include "core/cron_next.hpp"

#include <algorithm>
#include <utility>

namespace pg_jobs {

std::string JobAgenda::make_key(std::string_view text, std::string_view zone) {
    std::string key;
    key.reserve(text.size() + zone.size() + 1);
    key.append(text);
    key.push_back('\0');  // cannot occur in either part (both are SQL text)
    key.append(zone);
    return key;
}

void JobAgenda::begin_reload() {
    next_jobs_.clear();
    next_schedules_.clear();
    next_index_.clear();
    next_reboot_jobs_.clear();
}

bool JobAgenda::add_job(int64_t job_id, std::string_view schedule_text, std::string_view zone_name,
                        const Resolver& resolve) {
    std::string key = make_key(schedule_text, zone_name);
    auto found = next_index_.find(key);
    uint32_t index = 0;
    if (found != next_index_.end()) {
        index = found->second;
    } else {
        std::optional<Resolved> resolved = resolve(schedule_text, zone_name);
        if (!resolved) {
            return false;
        }
        index = static_cast<uint32_t>(next_schedules_.size());
        next_index_.emplace(key, index);
        next_schedules_.push_back(Schedule{std::move(key), std::move(*resolved), 0});
    }
    next_jobs_.push_back(Job{job_id, index});
    return true;
}

std::vector<JobAgenda::Job>::iterator JobAgenda::lower_bound(std::vector<Job>& jobs, int64_t job_id) {
    return std::lower_bound(jobs.begin(), jobs.end(), job_id,
                            [](const Job& job, int64_t id) { return job.job_id < id; });
}

const JobAgenda::Job* JobAgenda::find_job(const std::vector<Job>& jobs, int64_t job_id) const {
    auto it = std::lower_bound(jobs.begin(), jobs.end(), job_id,
                               [](const Job& job, int64_t id) { return job.job_id < id; });
    return it != jobs.end() && it->job_id == job_id ? &*it : nullptr;
}

void JobAgenda::schedule_after(int64_t job_id, const Resolved& resolved, Timestamp after) {
    const Timestamp next = cron::next_fire_time(resolved.schedule, *resolved.zone, after);
    if (next >= kTimestampEnd) {
        queue_.remove(job_id);  // @reboot, or no fire time PostgreSQL can represent
    } else {
        queue_.upsert(job_id, next);
    }
}

void JobAgenda::finish_reload(Timestamp now) {
    // Sorted by id for binary search; a stable sort keeps the first of duplicates.
    std::stable_sort(next_jobs_.begin(), next_jobs_.end(),
                     [](const Job& a, const Job& b) { return a.job_id < b.job_id; });
    next_jobs_.erase(std::unique(next_jobs_.begin(), next_jobs_.end(),
                                 [](const Job& a, const Job& b) { return a.job_id == b.job_id; }),
                     next_jobs_.end());
    for (const Job& job : next_jobs_) {
        Schedule& schedule = next_schedules_[job.schedule];
        ++schedule.jobs;
        if (schedule.resolved.schedule.kind == cron::ScheduleKind::Reboot) {
            next_reboot_jobs_.push_back(job.job_id);
        }
    }
    // Jobs that are gone (deleted, disabled, made on-demand) stop firing.
    for (const Job& old_job : jobs_) {
        if (find_job(next_jobs_, old_job.job_id) == nullptr) {
            queue_.remove(old_job.job_id);
        }
    }
    queue_.reserve(next_jobs_.size());
    for (const Job& job : next_jobs_) {
        const Schedule& schedule = next_schedules_[job.schedule];
        const Job* old_job = find_job(jobs_, job.job_id);
        const bool unchanged = old_job != nullptr && schedules_[old_job->schedule].key == schedule.key;
        if (unchanged && queue_.fire_time_of(job.job_id)) {
            continue;  // keep the pending time: it may be due right now
        }
        schedule_after(job.job_id, schedule.resolved, now);
    }
    jobs_ = std::move(next_jobs_);
    schedules_ = std::move(next_schedules_);
    index_ = std::move(next_index_);
    reboot_jobs_ = std::move(next_reboot_jobs_);
    jobs_.shrink_to_fit();
    free_schedules_.clear();
    for (uint32_t i = 0; i < schedules_.size(); ++i) {
        if (schedules_[i].jobs == 0) {  // only duplicates of a job id used it
            index_.erase(schedules_[i].key);
            release_unused(i);
        }
    }
    begin_reload();  // drop the reload's scratch state
}

std::optional<uint32_t> JobAgenda::intern(std::string key, std::string_view text, std::string_view zone,
                                          const Resolver& resolve) {
    auto found = index_.find(key);
    if (found != index_.end()) {
        return found->second;
    }
    std::optional<Resolved> resolved = resolve(text, zone);
    if (!resolved) {
        return std::nullopt;
    }
    uint32_t index = 0;
    if (free_schedules_.empty()) {
        index = static_cast<uint32_t>(schedules_.size());
        schedules_.push_back(Schedule{});
    } else {
        index = free_schedules_.back();
        free_schedules_.pop_back();
    }
    schedules_[index] = Schedule{key, std::move(*resolved), 0};
    index_.emplace(std::move(key), index);
    return index;
}

void JobAgenda::release(uint32_t schedule) {
    if (--schedules_[schedule].jobs == 0) {
        index_.erase(schedules_[schedule].key);
        release_unused(schedule);
    }
}

void JobAgenda::release_unused(uint32_t schedule) {
    Schedule& unused = schedules_[schedule];
    unused.key.clear();
    unused.key.shrink_to_fit();
    unused.resolved.zone.reset();
    free_schedules_.push_back(schedule);
}

void JobAgenda::set_reboot(int64_t job_id, bool reboot) {
    auto it = std::lower_bound(reboot_jobs_.begin(), reboot_jobs_.end(), job_id);
    const bool listed = it != reboot_jobs_.end() && *it == job_id;
    if (reboot && !listed) {
        reboot_jobs_.insert(it, job_id);
    } else if (!reboot && listed) {
        reboot_jobs_.erase(it);
    }
}

bool JobAgenda::upsert_job(int64_t job_id, std::string_view schedule_text, std::string_view zone_name,
                           const Resolver& resolve, Timestamp now) {
    std::string key = make_key(schedule_text, zone_name);
    auto job = lower_bound(jobs_, job_id);
    const bool known = job != jobs_.end() && job->job_id == job_id;
    if (known && schedules_[job->schedule].key == key && queue_.fire_time_of(job_id)) {
        return true;  // unchanged: keep the pending time, it may be due right now
    }
    const std::optional<uint32_t> index = intern(std::move(key), schedule_text, zone_name, resolve);
    if (!index) {
        remove_job(job_id);
        return false;
    }
    ++schedules_[*index].jobs;  // before release: the job may keep its schedule
    if (known) {
        release(job->schedule);
        job->schedule = *index;
    } else {
        jobs_.insert(job, Job{job_id, *index});
    }
    set_reboot(job_id, is_reboot(*index));
    schedule_after(job_id, schedules_[*index].resolved, now);
    return true;
}

bool JobAgenda::remove_job(int64_t job_id) {
    auto job = lower_bound(jobs_, job_id);
    if (job == jobs_.end() || job->job_id != job_id) {
        return false;
    }
    release(job->schedule);
    jobs_.erase(job);
    set_reboot(job_id, false);
    queue_.remove(job_id);
    return true;
}

void JobAgenda::put_back(const std::vector<Due>& runs) {
    for (const Due& run : runs) {
        if (find_job(jobs_, run.job_id) == nullptr) {
            continue;  // removed since: its run is not wanted any more
        }
        const std::optional<Timestamp> pending = queue_.fire_time_of(run.job_id);
        if (!pending || run.fire_time < *pending) {
            queue_.upsert(run.job_id, run.fire_time);
        }
    }
}

size_t JobAgenda::take_due(Timestamp now, size_t max_runs, std::vector<Due>& out) {
    size_t taken = 0;
    while (taken < max_runs) {
        const std::optional<FireQueue::Entry> earliest = queue_.peek();
        if (!earliest || earliest->fire_time > now) {
            break;
        }
        out.push_back(Due{earliest->job_id, earliest->fire_time});
        ++taken;
        const Job* job = find_job(jobs_, earliest->job_id);
        if (job == nullptr) {
            queue_.remove(earliest->job_id);  // cannot happen: the queue only holds current jobs
            continue;
        }
        schedule_after(job->job_id, schedules_[job->schedule].resolved, std::max(earliest->fire_time, now));
    }
    return taken;
}

std::optional<Timestamp> JobAgenda::next_fire_time() const {
    const std::optional<FireQueue::Entry> earliest = queue_.peek();
    if (!earliest) {
        return std::nullopt;
    }
    return earliest->fire_time;
}

}  // namespace pg_jobs
