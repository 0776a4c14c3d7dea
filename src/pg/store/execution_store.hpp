// Every statement the scheduler's processes run against jobs.job_execution
// and jobs.scheduled_job. Plain C-style functions: each must be called
// inside a transaction the caller started (with an active snapshot), may
// ereport, and runs its SQL with search_path = pg_catalog, pg_temp so no
// user object can capture a name.
#pragma once
#include "pg/common/pg_headers.hpp"

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
    int64 timeout_ms;          // the job's timeout; -1: none set (jobs.default_timeout applies)
};

// Marks the oldest queued SQL run of `database` owned by role `owner` 'running'
// for the worker with pid `worker_pid` (skipping rows others hold) and fills
// `out`. False when none is queued.
bool claim_next_run(MemoryContext into, const char* database, Oid owner, int worker_pid, ClaimedRun* out);

// The run's end, in the transaction of its effects.
void record_success(int64 execution_id, uint64 rows_affected);

// The run's failure, in a transaction of its own.
void record_failure(int64 execution_id, const ErrorData* error);

// How a run that did not succeed ended: status 'failed', 'timed_out' or
// 'cancelled'. A NULL message on a cancelled run says who cancelled it
// (cancel_requested_by).
struct UnsuccessfulEnding {
    int64 execution_id;
    const char* status;
    const char* message;
    int sqlerrcode;
    const char* detail;  // nullptr: none
};
void record_ending(const UnsuccessfulEnding& ending);

// What error_detail records for `error`: its DETAIL and CONTEXT, or nullptr.
char* failure_detail(const ErrorData* error);

// How a run in another database ended, as its worker reported it (the
// launcher records it). Only a run still 'running' changes; true if it did.
struct RemoteOutcome {
    int64 execution_id;
    const char* status;  // succeeded, failed, timed_out or cancelled
    TimestampTz started_at;
    TimestampTz finished_at;
    int64 rows_affected;
    int sqlerrcode;
    const char* message;  // runs that did not succeed; nullptr: 'cancelled by <cancel_requested_by>'
    const char* detail;   // nullptr: none
};
bool record_remote_outcome(const RemoteOutcome& outcome);

// A run claimed for `worker_pid` that never started goes back to 'queued'.
bool requeue_run(int64 execution_id, int worker_pid);

// A run whose worker ended during it becomes 'crashed'.
bool mark_run_crashed(int64 execution_id);

// Inserts one 'schedule' run per (job, fire time), skipping jobs disabled or
// deleted since and runs already queued for that time, applying the job's
// overlap, starting_deadline and max_runs (see run_policy_sql.hpp): a run
// may be inserted 'skipped', running ones cancelled (overlap replace), the
// job disabled (max_runs reached, one-shot done). catch_up: misfire
// catch-up runs, not subject to overlap. Returns the runs queued.
uint64 queue_scheduled_runs(const int64* job_ids, const TimestampTz* fire_times, int count, bool catch_up);

// Disables the jobs whose active window ended (end_at[i] passed), with
// disabled_reason saying so; returns how many.
uint64 end_job_windows(const int64* job_ids, const TimestampTz* end_ats, int count);

// Disables one-shot jobs whose run_at was missed (misfire skip); returns how many.
uint64 expire_one_shots(const int64* job_ids, int count);

// Disables jobs the scheduler cannot run (a stored time or interval out of
// bounds, runs that cannot be queued), with reasons[i] as disabled_reason;
// returns how many.
uint64 disable_broken_jobs(const int64* job_ids, const char* const* reasons, int count);

// Inserts one 'reboot' run for each enabled job among `job_ids` defined
// before `scheduler_started` (jobs defined later wait for the next start).
uint64 queue_reboot_runs(const int64* job_ids, int count, TimestampTz scheduler_started);

// Runs left 'running' by a process that no longer exists (no "pg_jobs ...
// worker" backend has its pid) become 'crashed',
// except the `excluded` ones (handed to workers in other databases: the
// launcher settles those from their mailboxes).
uint64 mark_lost_runs_crashed(const int64* excluded, int excluded_count);

// Runs 'running' longer than their timeout (the job's, else
// `default_timeout_ms`) plus `grace_ms` whose process is not a live pg_jobs
// worker become 'crashed', except the `excluded` ones (as above). A crashed
// run is retried like any other (jobs._queue_retry).
uint64 mark_stuck_runs_crashed(const int64* excluded, int excluded_count, int64 default_timeout_ms,
                               int64 grace_ms);

// The earliest not_before after `after` of a queued run (a retry waiting
// for its backoff), if any: the launcher wakes then to hand it out. Runs
// due by `after` are not counted: they are handed out like any queued run.
bool earliest_pending_retry(TimestampTz after, TimestampTz* out);

// Whether any HTTP run is queued (the HTTP worker then has work).
bool has_queued_http_runs();

// Queued SQL runs per (target database, owner) (HTTP runs have workers of their own).
struct QueuedRuns {
    const char* database;
    const char* owner;  // its name, for messages
    int64 count;        // at most the limit passed below
    Oid owner_oid;
};
// Fills `out` (palloc'd in the current context); returns the row count.
// Counts at most `limit` runs per pair, so the cost stays small however
// many are queued.
int queued_runs_by_pair(int64 limit, QueuedRuns** out);

// Fails every queued SQL run of `database` (and of role `owner`, unless InvalidOid)
// with this error (no process can run them).
uint64 fail_queued_runs(const char* database, Oid owner, int sqlstate, const char* message, const char* hint);

}  // namespace pg_jobs::pg
