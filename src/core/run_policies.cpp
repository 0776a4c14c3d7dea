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

// How many fire times lie in (start, to], counting no further than `cap`.
size_t count_fire_times(const cron::CronSchedule& schedule, const TimeZone& zone, Timestamp start,
                        Timestamp to, size_t cap) {
    size_t count = 0;
    for (Timestamp t = cron::next_fire_time(schedule, zone, start);
         t <= to && t < kTimestampEnd && count < cap; t = cron::next_fire_time(schedule, zone, t)) {
        ++count;
    }
    return count;
}

// Up to `limit` of the latest fire times in (from, to], oldest first.
//
// Bounded whatever the inputs (from may be -infinity, the schedule dense
// for a month and silent for a year): it looks for the shortest look-back
// w such that (to - w, to] holds `limit` fire times, first doubling w from
// a minute, then halving the last step, and every probe counts at most
// `limit` fire times. So it costs at most ~2 x 63 probes of `limit + 1`
// next_fire_time calls each and keeps at most `limit + 1` times, never a
// walk through the whole outage.
std::vector<Timestamp> latest_fire_times(const cron::CronSchedule& schedule, const TimeZone& zone,
                                         Timestamp from, Timestamp to, size_t limit) {
    std::vector<Timestamp> times;
    from = clamp_timestamp(from);
    to = clamp_timestamp(to);
    if (limit == 0 || to <= from) {
        return times;
    }
    // The whole representable range is longer than INT64_MAX microseconds:
    // a longer look-back than that is never needed for the latest times.
    const int64_t span = saturating_sub(to, from);
    const auto holds_limit = [&](int64_t window) {
        return count_fire_times(schedule, zone, to - window, to, limit) >= limit;
    };
    // Doubling: `enough` is a look-back that holds `limit` fire times (or
    // the whole span), `short_of` one that does not.
    int64_t short_of = 0;
    int64_t enough = span;
    for (int64_t window = 60 * kMicrosPerSecond; window < span; window = saturating_add(window, window)) {
        if (holds_limit(window)) {
            enough = window;
            break;
        }
        short_of = window;
    }
    // Halving: narrow to the shortest look-back that holds `limit`, so the
    // collection below sees barely more than `limit` fire times.
    if (enough < span || holds_limit(span)) {
        while (enough - short_of > 1) {
            const int64_t middle = short_of + (enough - short_of) / 2;
            if (holds_limit(middle)) {
                enough = middle;
            } else {
                short_of = middle;
            }
        }
    }
    // At most `limit` fire times in (to - short_of, to], and the shortest
    // window that holds `limit` adds those of a single microsecond: cap the
    // walk anyway, keeping the latest ones.
    const size_t cap = 2 * limit + 2;
    for (Timestamp t = cron::next_fire_time(schedule, zone, to - enough); t <= to && t < kTimestampEnd;
         t = cron::next_fire_time(schedule, zone, t)) {
        times.push_back(t);
        if (times.size() >= cap) {
            times.erase(times.begin(), times.end() - static_cast<std::ptrdiff_t>(limit));
        }
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

// Where to look for a window's next fire time: after `after`, but not
// before just ahead of start_at (a fire time exactly at start_at counts).
Timestamp look_from(const ActiveWindow& window, Timestamp after) {
    if (!window.start_at) {
        return after;
    }
    const Timestamp before_start = saturating_sub(*window.start_at, 1);
    return before_start > after ? before_start : after;
}

constexpr MisfirePolicy kMisfirePolicies[] = {MisfirePolicy::Skip, MisfirePolicy::RunOnce,
                                              MisfirePolicy::RunAll};

}  // namespace

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
    const Timestamp from = look_from(window, after);
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
    const Timestamp next = cron::next_fire_time(schedule, zone, look_from(window, after));
    if (window.end_at && next > *window.end_at && next < kTimestampEnd) {
        return "end_at passed";
    }
    return {};
}

}  // namespace pg_jobs
