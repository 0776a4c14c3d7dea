// History retention: deletes the finished runs that jobs.history_per_job,
// jobs.history_max_age and jobs.history_failed_max_age no longer keep, in
// batches of a transaction each (no lock held for long), within a time
// budget so the launcher's scheduling is never held up. Queued and running
// runs are never deleted. Called from the launcher process only.
#pragma once
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "datatype/timestamp.h"
}

namespace pg_jobs::pg {

struct RetentionProgress {
    uint64 deleted = 0;     // rows deleted by this call
    bool finished = false;  // false: stopped at the deadline with work maybe left
};

// Deletes batch after batch until nothing is left to delete or `deadline`
// passes (checked between batches). An unfinished pass resumes where it
// stopped. Throws PgError, with the transaction left for the caller to abort.
RetentionProgress trim_history(TimestampTz deadline);

// Makes the next pass look at every job's count, not only those with runs
// ended since the previous pass (after start, and when the settings may
// have changed).
void trim_every_job_next();

}  // namespace pg_jobs::pg
