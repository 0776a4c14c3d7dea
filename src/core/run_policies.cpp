// See run_policies.hpp.
#include "core/run_policies.hpp"

#include "core/cron_next.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <string>

namespace pg_jobs {
namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// Up to `limit` of the latest fire times in (from, to], oldest first.
std::vector<Timestamp> latest_fire_times(const cron::CronSchedule& schedule, const TimeZone& zone,
                                         Timestamp from, Timestamp to, size_t limit) {
    std::vector<Timestamp> times;
    if (limit == 0 || to <= from) {
        return times;
    }
    // Look back from `to` over a window that doubles until it holds `limit`
    // fire times or reaches `from`: a long outage costs a few passes over
    // the end of it, never a walk through all of it.
    int64_t window = 60 * kMicrosPerSecond;
    for (;;) {
        const bool reaches_from = to - from <= window;
        const Timestamp start = reaches_from ? from : to - window;
        times.clear();
        for (Timestamp t = cron::next_fire_time(schedule, zone, start); t <= to;
             t = cron::next_fire_time(schedule, zone, t)) {
            times.push_back(t);
        }
        if (times.size() >= limit || reaches_from) {
            break;
        }
        window = window > INT64_MAX / 2 ? INT64_MAX : window * 2;
    }
    if (times.size() > limit) {
        times.erase(times.begin(), times.end() - static_cast<std::ptrdiff_t>(limit));
    }
    return times;
}

// The policy in `all` whose name is `text`, ignoring case.
template <typename Policy, size_t N, typename Name>
std::optional<Policy> parse_policy(std::string_view text, const Policy (&all)[N], Name name) {
    const Policy* found = std::find_if(std::begin(all), std::end(all),
                                       [&](Policy p) { return equals_ignoring_case(text, name(p)); });
    return found == std::end(all) ? std::nullopt : std::optional<Policy>(*found);
}

constexpr OverlapPolicy kOverlapPolicies[] = {OverlapPolicy::Skip, OverlapPolicy::Queue, OverlapPolicy::Allow,
                                              OverlapPolicy::Replace};
constexpr MisfirePolicy kMisfirePolicies[] = {MisfirePolicy::Skip, MisfirePolicy::RunOnce,
                                              MisfirePolicy::RunAll};

}  // namespace

std::optional<OverlapPolicy> parse_overlap_policy(std::string_view text) {
    return parse_policy(text, kOverlapPolicies, overlap_policy_name);
}

std::string_view overlap_policy_name(OverlapPolicy policy) {
    switch (policy) {
        case OverlapPolicy::Skip:
            return "skip";
        case OverlapPolicy::Queue:
            return "queue";
        case OverlapPolicy::Allow:
            return "allow";
        case OverlapPolicy::Replace:
            return "replace";
    }
    return "skip";
}

OverlapDecision decide_overlap(OverlapPolicy policy, int max_concurrent, ActiveRuns active) {
    const int busy = active.running + active.waiting;
    switch (policy) {
        case OverlapPolicy::Skip:
            if (busy > 0) {
                return {OverlapAction::Skip, "the previous run has not finished (overlap => 'skip')"};
            }
            return {OverlapAction::Start, {}};
        case OverlapPolicy::Queue:
            if (active.waiting > 0) {
                return {OverlapAction::Skip,
                        "a run is already waiting for the running one (overlap => 'queue')"};
            }
            return {active.running > 0 ? OverlapAction::Wait : OverlapAction::Start, {}};
        case OverlapPolicy::Allow:
            if (busy >= std::max(max_concurrent, 1)) {
                return {OverlapAction::Skip, "max_concurrent runs are already active (overlap => 'allow')"};
            }
            return {OverlapAction::Start, {}};
        case OverlapPolicy::Replace:
            return {active.running > 0 ? OverlapAction::ReplaceRunning : OverlapAction::Start, {}};
    }
    return {OverlapAction::Start, {}};
}

std::optional<MisfirePolicy> parse_misfire_policy(std::string_view text) {
    return parse_policy(text, kMisfirePolicies, misfire_policy_name);
}

std::string_view misfire_policy_name(MisfirePolicy policy) {
    switch (policy) {
        case MisfirePolicy::Skip:
            return "skip";
        case MisfirePolicy::RunOnce:
            return "run_once";
        case MisfirePolicy::RunAll:
            return "run_all";
    }
    return "skip";
}

std::vector<Timestamp> missed_fire_times(MisfirePolicy policy, const cron::CronSchedule& schedule,
                                         const TimeZone& zone, Timestamp last_fire, Timestamp now) {
    switch (policy) {
        case MisfirePolicy::Skip:
            return {};
        case MisfirePolicy::RunOnce:
            return latest_fire_times(schedule, zone, last_fire, now, 1);
        case MisfirePolicy::RunAll:
            return latest_fire_times(schedule, zone, last_fire, now, kMaxCatchUpRuns);
    }
    return {};
}

Timestamp next_fire_in_window(const cron::CronSchedule& schedule, const TimeZone& zone, Timestamp after,
                              const ActiveWindow& window, int64_t runs_so_far) {
    if (window.max_runs && runs_so_far >= *window.max_runs) {
        return kTimestampEnd;
    }
    // A fire time exactly at start_at counts: look from just before it.
    const Timestamp from = window.start_at && *window.start_at - 1 > after ? *window.start_at - 1 : after;
    const Timestamp next = cron::next_fire_time(schedule, zone, from);
    if (window.end_at && next > *window.end_at) {
        return kTimestampEnd;
    }
    return next;
}

std::string_view window_end_reason(const cron::CronSchedule& schedule, const TimeZone& zone, Timestamp after,
                                   const ActiveWindow& window, int64_t runs_so_far) {
    if (window.max_runs && runs_so_far >= *window.max_runs) {
        return "max_runs reached";
    }
    const Timestamp from = window.start_at && *window.start_at - 1 > after ? *window.start_at - 1 : after;
    const Timestamp next = cron::next_fire_time(schedule, zone, from);
    if (window.end_at && next > *window.end_at && next < kTimestampEnd) {
        return "end_at passed";
    }
    return {};
}

}  // namespace pg_jobs
