// See run_status.hpp.
#include "core/run_status.hpp"

#include <algorithm>

namespace pg_jobs {

std::string_view run_status_name(RunStatus status) {
    switch (status) {
        case RunStatus::Queued:
            return "queued";
        case RunStatus::Running:
            return "running";
        case RunStatus::Succeeded:
            return "succeeded";
        case RunStatus::Failed:
            return "failed";
        case RunStatus::TimedOut:
            return "timed_out";
        case RunStatus::Cancelled:
            return "cancelled";
        case RunStatus::Skipped:
            return "skipped";
        case RunStatus::Crashed:
            return "crashed";
    }
    return "failed";
}

std::optional<RunStatus> parse_run_status(std::string_view text) {
    const auto* found = std::find_if(kAllRunStatuses.begin(), kAllRunStatuses.end(),
                                     [text](RunStatus status) { return run_status_name(status) == text; });
    return found == kAllRunStatuses.end() ? std::nullopt : std::optional<RunStatus>(*found);
}

bool is_final(RunStatus status) {
    return status != RunStatus::Queued && status != RunStatus::Running;
}

bool is_initial_status(RunStatus status) {
    return status == RunStatus::Queued || status == RunStatus::Skipped;
}

bool is_allowed_transition(RunStatus from, RunStatus to) {
    switch (from) {
        case RunStatus::Queued:
            return to == RunStatus::Running || to == RunStatus::Skipped || to == RunStatus::Cancelled ||
                   to == RunStatus::Failed;
        case RunStatus::Running:
            return to != RunStatus::Running;  // skipped: run_if was false
        case RunStatus::Succeeded:
        case RunStatus::Failed:
        case RunStatus::TimedOut:
        case RunStatus::Cancelled:
        case RunStatus::Skipped:
        case RunStatus::Crashed:
            break;
    }
    return false;
}

}  // namespace pg_jobs
