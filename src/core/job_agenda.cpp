// JobAgenda: reload diffing, single-job changes and due-run extraction; see
// job_agenda.hpp.
#include "core/job_agenda.hpp"

#include "core/cron_next.hpp"
#include "core/run_policies.hpp"

#include <algorithm>
#include <iterator>
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
    next_extras_.clear();
}

bool JobAgenda::add_job(int64_t job_id, std::string_view schedule_text, std::string_view zone_name,
                        const Resolver& resolve, const Window& window) {
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
    if (!window.empty()) {
        next_extras_.emplace(job_id, Extra{window, 0});  // emplace: the first of duplicates counts
    }
    return true;
}

const JobAgenda::Resolved* JobAgenda::find_resolved(std::string_view schedule_text,
                                                    std::string_view zone_name) const {
    const std::string key = make_key(schedule_text, zone_name);
    if (auto found = next_index_.find(key); found != next_index_.end()) {
        return &next_schedules_[found->second].resolved;
    }
    if (auto found = index_.find(key); found != index_.end()) {
        return &schedules_[found->second].resolved;
    }
    return nullptr;
}

void JobAgenda::add_one_shot(int64_t job_id, Timestamp run_at) {
    next_jobs_.push_back(Job{job_id, kOneShot});
    next_extras_.emplace(job_id, Extra{{}, run_at});
}

const JobAgenda::Extra* JobAgenda::find_extra(const Extras& extras, int64_t job_id) {
    auto found = extras.find(job_id);
    return found == extras.end() ? nullptr : &found->second;
}

void JobAgenda::set_extra(int64_t job_id, const Extra* extra) {
    if (extra == nullptr) {
        extras_.erase(job_id);
    } else {
        extras_[job_id] = *extra;
    }
}

bool JobAgenda::same_definition(const Job* old_job, const std::string& new_key,
                                const Extra* new_extra) const {
    if (old_job == nullptr) {
        return false;
    }
    // A one-shot job has no schedule key: the empty key (a real one holds a NUL).
    const std::string empty;
    const std::string& old_key = old_job->schedule == kOneShot ? empty : schedules_[old_job->schedule].key;
    const Extra* old_extra = find_extra(extras_, old_job->job_id);
    const bool same_extra = (old_extra == nullptr) == (new_extra == nullptr) &&
                            (old_extra == nullptr || *old_extra == *new_extra);
    return old_key == new_key && same_extra;
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

void JobAgenda::schedule_after(const Job& job, Timestamp after) {
    const Extra* extra = find_extra(extras_, job.job_id);
    Timestamp next = kTimestampEnd;
    if (job.schedule == kOneShot) {
        if (extra != nullptr && extra->run_at > after) {
            next = extra->run_at;
        }
    } else if (extra != nullptr && !extra->window.empty()) {
        const Resolved& resolved = schedules_[job.schedule].resolved;
        const ActiveWindow window{extra->window.start_at, extra->window.end_at, std::nullopt};
        next = next_fire_in_window(resolved.schedule, *resolved.zone, after, window, 0);
        if (next >= kTimestampEnd &&
            !window_end_reason(resolved.schedule, *resolved.zone, after, window, 0).empty()) {
            ended_.emplace_back(job.job_id, *extra->window.end_at);
        }
    } else {
        const Resolved& resolved = schedules_[job.schedule].resolved;
        next = cron::next_fire_time(resolved.schedule, *resolved.zone, after);
    }
    if (next >= kTimestampEnd) {
        queue_.remove(job.job_id);  // @reboot, a window or one-shot that is over, or no representable time
    } else {
        queue_.upsert(job.job_id, next);
    }
}

std::vector<std::pair<int64_t, Timestamp>> JobAgenda::take_ended_jobs() {
    std::vector<std::pair<int64_t, Timestamp>> ended;
    ended.swap(ended_);
    return ended;
}

void JobAgenda::finish_reload(Timestamp now) {
    // Sorted by id for binary search; a stable sort keeps the first of duplicates.
    std::stable_sort(next_jobs_.begin(), next_jobs_.end(),
                     [](const Job& a, const Job& b) { return a.job_id < b.job_id; });
    next_jobs_.erase(std::unique(next_jobs_.begin(), next_jobs_.end(),
                                 [](const Job& a, const Job& b) { return a.job_id == b.job_id; }),
                     next_jobs_.end());
    for (const Job& job : next_jobs_) {
        if (job.schedule == kOneShot) {
            continue;
        }
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
    // Against the previous set: which jobs keep their pending time (it may be due right now).
    std::vector<bool> keep(next_jobs_.size(), false);
    const std::string one_shot_key;
    for (size_t i = 0; i < next_jobs_.size(); ++i) {
        const Job& job = next_jobs_[i];
        const std::string& key = job.schedule == kOneShot ? one_shot_key : next_schedules_[job.schedule].key;
        keep[i] = same_definition(find_job(jobs_, job.job_id), key, find_extra(next_extras_, job.job_id)) &&
                  queue_.fire_time_of(job.job_id).has_value();
    }
    jobs_ = std::move(next_jobs_);
    schedules_ = std::move(next_schedules_);
    index_ = std::move(next_index_);
    reboot_jobs_ = std::move(next_reboot_jobs_);
    extras_ = std::move(next_extras_);
    jobs_.shrink_to_fit();
    for (size_t i = 0; i < jobs_.size(); ++i) {
        if (!keep[i]) {
            schedule_after(jobs_[i], now);
        }
    }
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
                           const Resolver& resolve, Timestamp now, const Window& window) {
    std::string key = make_key(schedule_text, zone_name);
    const Extra new_extra{window, 0};
    const Extra* extra = window.empty() ? nullptr : &new_extra;
    auto job = lower_bound(jobs_, job_id);
    const bool known = job != jobs_.end() && job->job_id == job_id;
    if (known && same_definition(&*job, key, extra) && queue_.fire_time_of(job_id)) {
        return true;  // unchanged: keep the pending time, it may be due right now
    }
    const std::optional<uint32_t> index = intern(std::move(key), schedule_text, zone_name, resolve);
    if (!index) {
        remove_job(job_id);
        return false;
    }
    ++schedules_[*index].jobs;  // before release: the job may keep its schedule
    if (known) {
        if (job->schedule != kOneShot) {
            release(job->schedule);
        }
        job->schedule = *index;
    } else {
        job = jobs_.insert(job, Job{job_id, *index});
    }
    set_extra(job_id, extra);
    set_reboot(job_id, is_reboot(*index));
    schedule_after(*job, now);
    return true;
}

void JobAgenda::upsert_one_shot(int64_t job_id, Timestamp run_at, Timestamp now) {
    const Extra extra{{}, run_at};
    auto job = lower_bound(jobs_, job_id);
    const bool known = job != jobs_.end() && job->job_id == job_id;
    if (known && same_definition(&*job, std::string(), &extra) && queue_.fire_time_of(job_id)) {
        return;  // unchanged: keep the pending time
    }
    if (known) {
        if (job->schedule != kOneShot) {
            release(job->schedule);
        }
        job->schedule = kOneShot;
    } else {
        job = jobs_.insert(job, Job{job_id, kOneShot});
    }
    set_extra(job_id, &extra);
    set_reboot(job_id, false);
    schedule_after(*job, now);
}

bool JobAgenda::remove_job(int64_t job_id) {
    auto job = lower_bound(jobs_, job_id);
    if (job == jobs_.end() || job->job_id != job_id) {
        return false;
    }
    if (job->schedule != kOneShot) {
        release(job->schedule);
    }
    jobs_.erase(job);
    extras_.erase(job_id);
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

size_t JobAgenda::take_due(Timestamp now, Timestamp horizon, size_t max_runs, std::vector<Due>& out) {
    horizon = std::max(horizon, now);
    size_t taken = 0;
    while (taken < max_runs) {
        const std::optional<FireQueue::Entry> earliest = queue_.peek();
        if (!earliest || earliest->fire_time > horizon) {
            break;
        }
        out.push_back(Due{earliest->job_id, earliest->fire_time});
        ++taken;
        const Job* job = find_job(jobs_, earliest->job_id);
        if (job == nullptr) {
            queue_.remove(earliest->job_id);  // cannot happen: the queue only holds current jobs
            continue;
        }
        schedule_after(*job, std::max(earliest->fire_time, now));
    }
    return taken;
}

size_t JobAgenda::peek_due(Timestamp after, Timestamp horizon, size_t max_runs, std::vector<Due>& out) const {
    std::vector<FireQueue::Entry> entries;
    queue_.peek_between(after, horizon, max_runs, entries);
    std::transform(entries.begin(), entries.end(), std::back_inserter(out),
                   [](const FireQueue::Entry& entry) {
                       return Due{entry.job_id, entry.fire_time};
                   });
    return entries.size();
}

std::optional<Timestamp> JobAgenda::next_fire_time() const {
    const std::optional<FireQueue::Entry> earliest = queue_.peek();
    if (!earliest) {
        return std::nullopt;
    }
    return earliest->fire_time;
}

}  // namespace pg_jobs
