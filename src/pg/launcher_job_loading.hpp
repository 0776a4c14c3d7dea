// How the launcher reads job definitions into its agenda: the whole table
// (at start, after an error, when too much changed at once), or only the
// rows of the jobs a transaction changed (the usual case, see
// job_change_log.hpp). Both throw PgError on a PostgreSQL error, with the
// transaction left for the caller to abort.
#pragma once
#include "core/job_agenda.hpp"
#include "pg/pg_headers.hpp"

namespace pg_jobs::pg {

// Rebuilds `agenda` from the enabled scheduled jobs (see JobAgenda).
void load_jobs(JobAgenda& agenda, Timestamp now);

// Re-reads the rows of the `count` jobs in `job_ids` (repeats allowed):
// each one enabled and scheduled is upserted (a new or changed schedule
// fires next after `now`), every other one (deleted, disabled, on-demand)
// leaves the agenda.
void apply_job_changes(JobAgenda& agenda, const int64* job_ids, int count, Timestamp now);

}  // namespace pg_jobs::pg
