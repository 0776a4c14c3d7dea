// The statements the scheduler's processes run against jobs.job_execution
// and jobs.scheduled_job to claim and queue runs and to read the queue (the
// statements that finish runs are in run_lifecycle.hpp). Plain C-style
// functions: each must be called
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
    const char* run_if;        // opts: the job's run_if, checked before the command; nullptr: none
};

// Marks the oldest queued SQL run of `database` owned by role `owner` 'running'
// for the worker with pid `worker_pid` (skipping rows others hold) and fills
// `out`. False when none is queued.
bool claim_next_run(MemoryContext into, const char* database, Oid owner, int worker_pid, ClaimedRun* out);

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

// Records, for each enabled job among `job_ids`, the count[i] fire times
// from first[i] to last[i] it missed while no scheduler ran, as one
// 'skipped' run at last[i] (at_least[i]: there were more than counted);
// returns how many were recorded.
uint64 record_missed_while_down(const int64* job_ids, const TimestampTz* firsts, const TimestampTz* lasts,
                                const int32* counts, const bool* at_least, int count);

// Disables one-shot jobs whose run_at was missed (misfire skip); returns how many.
uint64 expire_one_shots(const int64* job_ids, int count);

// Disables jobs the scheduler cannot run (a stored time or interval out of
// bounds, runs that cannot be queued), with reasons[i] as disabled_reason;
// returns how many.
uint64 disable_broken_jobs(const int64* job_ids, const char* const* reasons, int count);

// Inserts one 'reboot' run for each enabled job among `job_ids` defined
// before `scheduler_started` (jobs defined later wait for the next start).
uint64 queue_reboot_runs(const int64* job_ids, int count, TimestampTz scheduler_started);

// The earliest not_before after `after` of a queued run (a retry waiting
// for its backoff), if any: the launcher wakes then to hand it out. Runs
// due by `after` are not counted: they are handed out like any queued run.
bool earliest_pending_retry(TimestampTz after, TimestampTz* out);

// The earliest not_before still to come of a queued SQL run of `database`
// owned by `owner` (a scheduled run queued ahead of its fire time, or a
// retry), if any: an idle worker of that pair waits for exactly then.
bool next_start_of_pair(const char* database, Oid owner, TimestampTz* out);

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

// The same for runs not queued yet: of the jobs `job_ids` (about to fire),
// the enabled SQL jobs that run in this database, counted per owner.
int coming_runs_by_owner(const int64* job_ids, int count, QueuedRuns** out);

}  // namespace pg_jobs::pg
