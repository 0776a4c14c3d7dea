// The per-job policies that decide what happens to a run besides its
// schedule: what to do when a run is due while others are active (overlap),
// which fire times missed while the scheduler was down or the job disabled
// are caught up (misfire), the window a schedule is active in (start_at,
// end_at, max_runs), and when a run is too late to start (starting
// deadline). Pure functions of their inputs: the time comes in as an
// argument, so unit tests drive them with a ManualClock or plain numbers.
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

// --- Overlap ----------------------------------------------------------------------

enum class OverlapPolicy {
    Skip,     // a run due while another is active is recorded as skipped
    Queue,    // it waits for the active one (at most one waiting run)
    Allow,    // runs concurrently, up to max_concurrent active runs
    Replace,  // the running one is cancelled and the new one starts
};

// "skip", "queue", "allow", "replace" (case-insensitive); nullopt otherwise.
std::optional<OverlapPolicy> parse_overlap_policy(std::string_view text);
std::string_view overlap_policy_name(OverlapPolicy policy);

// The job's runs that have not finished when a new one is due.
struct ActiveRuns {
    int running = 0;  // started, not finished
    int waiting = 0;  // queued, not started
};

enum class OverlapAction {
    Start,           // queue it to start as soon as a worker is free
    Wait,            // queue it, but it starts only once the job has no running run
    Skip,            // record it as skipped, with `reason`
    ReplaceRunning,  // cancel the running run(s), then start it
};

struct OverlapDecision {
    OverlapAction action = OverlapAction::Start;
    std::string_view reason;  // for Skip: what the skipped row says
};

// What to do with a new run of a job under `policy`. max_concurrent counts
// running and waiting runs together and only matters for Allow (values
// below 1 count as 1).
OverlapDecision decide_overlap(OverlapPolicy policy, int max_concurrent, ActiveRuns active);

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

// --- Starting deadline --------------------------------------------------------------

// True when a run scheduled for `scheduled_for` may no longer start at `now`
// because `deadline_us` (starting_deadline) has passed since then.
constexpr bool missed_starting_deadline(Timestamp scheduled_for, std::optional<int64_t> deadline_us,
                                        Timestamp now) {
    return deadline_us.has_value() && saturating_sub(now, scheduled_for) > *deadline_us;
}

}  // namespace pg_jobs
