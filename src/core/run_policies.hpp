// The per-job policies the launcher decides in C++: which fire times missed
// while the scheduler was down or the job disabled are caught up (misfire),
// and the window a schedule is active in (start_at, end_at, max_runs).
// Pure functions of their inputs: the time comes in as an argument.
// (Overlap and the starting deadline are decided where runs are queued and
// claimed, in SQL: src/pg/store/run_policy_sql.hpp, tested by
// test/pgtap/run_policies.sql.)
#pragma once
#include "core/no_postgres.hpp"

#include "core/cron_schedule.hpp"
#include "core/time_units.hpp"
#include "core/time_zone.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace pg_jobs {

// --- Misfire ------------------------------------------------------------------------

enum class MisfirePolicy {
    Skip,     // missed times are not run; the schedule continues with the next one
    RunOnce,  // one catch-up run (for the latest missed time)
    RunAll,   // a run for each missed time, up to kMaxCatchUpRuns (the latest ones)
};

inline constexpr size_t kMaxCatchUpRuns = 100;

std::optional<MisfirePolicy> parse_misfire_policy(std::string_view text);
std::string_view misfire_policy_name(MisfirePolicy policy);

// The fire times in (last_fire, now] that `policy` catches up, oldest first.
// `last_fire` is the latest fire time the job already has a run for (or the
// moment it was defined or enabled; -infinity counts as the first
// representable time). Bounded: at most ~2 x 63 x (limit + 1) fire-time
// computations and limit + 1 times kept, whatever the length of the outage
// or the shape of the schedule.
std::vector<Timestamp> missed_fire_times(MisfirePolicy policy, const cron::CronSchedule& schedule,
                                         const TimeZone& zone, Timestamp last_fire, Timestamp now);

// --- Active window ------------------------------------------------------------------

struct ActiveWindow {
    std::optional<Timestamp> start_at;  // no fire time before it
    std::optional<Timestamp> end_at;    // no fire time after it
    std::optional<int64_t> max_runs;    // no scheduled run after this many
};

// The first fire time strictly after `after` inside `window`, given that the
// job already had `runs_so_far` scheduled runs; kTimestampEnd when the
// window is over (the job should then disable itself: see window_end_reason).
Timestamp next_fire_in_window(const cron::CronSchedule& schedule, const TimeZone& zone, Timestamp after,
                              const ActiveWindow& window, int64_t runs_so_far);

// Why a job whose next_fire_in_window is kTimestampEnd will not fire again:
// "end_at passed", "max_runs reached", or "" when it simply never fires.
std::string_view window_end_reason(const cron::CronSchedule& schedule, const TimeZone& zone, Timestamp after,
                                   const ActiveWindow& window, int64_t runs_so_far);

}  // namespace pg_jobs
