// How the launcher reads job definitions into its agenda: the whole table
// (at start, after an error, when too much changed at once), or only the
// rows of the jobs a transaction changed (the usual case, see
// job_change_log.hpp). Both throw PgError on a PostgreSQL error, with the
// transaction left for the caller to abort.
#pragma once
#include "core/job_agenda.hpp"
#include "pg/common/pg_headers.hpp"

#include <string>
#include <utility>
#include <vector>

namespace pg_jobs::pg {

// Fire times a job with misfire 'skip' missed while no scheduler ran.
struct MissedWhileDown {
    int64 job_id;
    Timestamp first;
    Timestamp last;
    int count;
    bool at_least;  // count is the latest ones only: there were more
};

// What loading found besides the agenda, for the launcher to queue next:
// misfire catch-up runs of jobs the agenda did not have yet (the launcher
// started, or the job was enabled) and missed one-shot runs (misfire
// run_once or run_all), and one-shot jobs whose run_at was missed with
// misfire skip (to disable).
//
// And jobs whose stored times or intervals are out of bounds (written into
// the table directly: definitions are checked), to disable with the reason
// instead of scheduling them (issue 10, points 13-14).
struct MissedRuns {
    std::vector<JobAgenda::Due> catch_up;
    std::vector<MissedWhileDown> while_down;
    std::vector<int64> missed_one_shots;
    std::vector<std::pair<int64, std::string>> broken_jobs;
};
MissedRuns& missed_runs();

// Rebuilds `agenda` from the enabled scheduled jobs (see JobAgenda).
// At the launcher's start (at_start) it also notes the fire times missed
// while no scheduler ran (MissedRuns::while_down).
void load_jobs(JobAgenda& agenda, Timestamp now, bool at_start = false);

// Re-reads the rows of the `count` jobs in `job_ids` (repeats allowed):
// each one enabled and scheduled is upserted (a new or changed schedule
// fires next after `now`), every other one (deleted, disabled, on-demand)
// leaves the agenda.
void apply_job_changes(JobAgenda& agenda, const int64* job_ids, int count, Timestamp now);

}  // namespace pg_jobs::pg
