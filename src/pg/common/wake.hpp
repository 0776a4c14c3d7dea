// Waking the scheduler for a committed transaction (wake.cpp).
#pragma once
#include "pg/common/pg_headers.hpp"

namespace pg_jobs::pg {

struct SchedulerShared;

// Publishes the jobs a committed transaction changed (`everything`: reload
// all; none: only runs were queued) and wakes the launcher and an idle
// worker of this database. Used at commit, and after COMMIT PREPARED for a
// prepared transaction (prepared_wakes.hpp). Cannot fail.
void wake_for_commit(SchedulerShared* shared, const int64* job_ids, int job_count, bool everything);

// As jobs_internal._wake_scheduler(true, job_id) for each of these jobs: wakes the
// scheduler when the transaction commits, to re-read them.
void note_jobs_changed(const int64* job_ids, int job_count);

}  // namespace pg_jobs::pg
