// Every statement the scheduler's processes run against jobs.job_execution
// and jobs.scheduled_job. Plain C-style functions: each must be called
// inside a transaction the caller started (with an active snapshot), may
// ereport, and runs its SQL with search_path = pg_catalog, pg_temp so no
// user object can capture a name.
#pragma once
#include "pg/pg_headers.hpp"

extern "C" {
#include "datatype/timestamp.h"
}

namespace pg_jobs::pg {

// A run a worker claimed; strings live in the memory context passed in.
struct ClaimedRun {
    int64 execution_id;
    const char* job_name;
    const char* owner;
    const char* command;
    const char* context_json;  // what jobs.context() returns during the run
};

// Marks the oldest queued run of the current database 'running' (skipping
// rows other workers hold) and fills `out`. False when none is queued.
bool claim_next_run(MemoryContext into, ClaimedRun* out);

// The run's end, in the transaction of its effects.
void record_success(int64 execution_id, uint64 rows_affected);

// The run's failure, in a transaction of its own.
void record_failure(int64 execution_id, const ErrorData* error);

// Inserts one 'schedule' run per (job, fire time), skipping jobs disabled or
// deleted since and runs already queued for that time. Returns rows added.
uint64 queue_scheduled_runs(const int64* job_ids, const TimestampTz* fire_times, int count);

// Inserts one 'reboot' run for each enabled job among `job_ids`.
uint64 queue_reboot_runs(const int64* job_ids, int count);

// Runs left 'running' by a process that no longer exists become 'crashed'.
uint64 mark_lost_runs_crashed();

// Queued runs per target database.
struct QueuedRuns {
    const char* database;
    int64 count;
};
// Fills `out` (palloc'd in the current context); returns the row count.
int queued_runs_by_database(QueuedRuns** out);

// Fails every queued run of `database` with this error (no process can run them).
uint64 fail_queued_runs(const char* database, int sqlstate, const char* message, const char* hint);

}  // namespace pg_jobs::pg
