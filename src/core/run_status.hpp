// The status of a run (jobs.job_execution.status) and the moves between
// statuses the scheduler makes. Where each is made (all in src/pg/store/):
// a claim (queued -> running, or skipped / failed when the run cannot
// start) by the claim statements, from PG_JOBS_CLAIM_SET_SQL
// (run_policy_sql.hpp); every other move to a final status by the SQL
// function jobs_internal._finish_runs, which run_lifecycle.cpp and the plpgsql
// functions (jobs.cancel, jobs.unschedule, DROP OWNED) call; running ->
// queued by run_lifecycle.cpp's requeue_run. The map they follow:
//
//   (inserted) --> queued | skipped          a retry is a new queued row
//   queued  --> running                      a worker claims it
//   queued  --> skipped                      past its starting deadline at the claim
//   queued  --> cancelled                    jobs.cancel, jobs.unschedule, DROP OWNED, overlap replace
//   queued  --> failed                       cannot start (owner gone, payload too large, no access)
//   running --> succeeded | failed | timed_out | cancelled | crashed
//   running --> skipped                      its job's run_if was false (checked by the worker)
//   running --> queued                       claimed, but its worker never started it
//
// A final status never changes again: a late finish after a cancel or a
// crash mark finds the run no longer running and leaves it as it is.
#pragma once
#include "core/no_postgres.hpp"

#include <array>
#include <optional>
#include <string_view>

namespace pg_jobs {

enum class RunStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Cancelled,
    Skipped,
    Crashed,
};

inline constexpr std::array kAllRunStatuses = {
    RunStatus::Queued,   RunStatus::Running,   RunStatus::Succeeded, RunStatus::Failed,
    RunStatus::TimedOut, RunStatus::Cancelled, RunStatus::Skipped,   RunStatus::Crashed,
};

// The unfinished statuses as an SQL list, for "status IN ..." / "NOT IN ...":
// the statuses that are not final (checked against is_final by the unit tests).
#define PG_JOBS_UNFINISHED_STATUSES_SQL "('queued', 'running')"

// The text stored in jobs.job_execution.status ("timed_out", ...).
std::string_view run_status_name(RunStatus status);

// The status named `text` (exactly as stored); nullopt for anything else.
std::optional<RunStatus> parse_run_status(std::string_view text);

// succeeded, failed, timed_out, cancelled, skipped, crashed: the run is over.
bool is_final(RunStatus status);

// Whether a new row may have this status (queued; skipped for a fire time
// the overlap policy skipped).
bool is_initial_status(RunStatus status);

// Whether the scheduler moves a run from `from` to `to` (see the map above).
bool is_allowed_transition(RunStatus from, RunStatus to);

}  // namespace pg_jobs
