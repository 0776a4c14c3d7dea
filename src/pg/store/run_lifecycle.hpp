// Every statement that changes the status of a run (jobs.job_execution.status),
// but the claims and the queueing of scheduled runs, whose status part is a
// fragment of run_policy_sql.hpp (PG_JOBS_CLAIM_SET_SQL; the queueing ends
// replaced runs through jobs_internal._finish_runs too). A run moves as
// core/run_status.hpp draws it; every move to a final status made here goes
// through the SQL function jobs_internal._finish_runs, which the plpgsql functions
// (jobs.cancel, jobs.unschedule, DROP OWNED) call too, and which moves only
// runs still in the status it is told to expect: a finish that comes after
// a cancel or a crash mark changes nothing.
//
// Plain C-style functions: each must be called inside a transaction the
// caller started (with an active snapshot), may ereport, and runs its SQL
// with search_path = pg_catalog, pg_temp (store_call.hpp).
#pragma once
#include "core/run_status.hpp"
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "datatype/timestamp.h"
}

namespace pg_jobs::pg {

// What the SQL function jobs_internal._finish_runs does, and every finish below
// with it: moves the runs of `ids` that are still `from_status` (queued or
// running) to their statuses, and returns how many moved; XX000 for a move
// core/run_status.hpp does not allow. Its arguments, in order (nulls[i]:
// argument i is NULL; an array of one element applies to every run):
// from_status text, ids bigint[], statuses text[], errors, sqlstates,
// error_details, error_kinds text[], rows_affected bigint[], http_statuses
// integer[], results, http_timings text[], started_ats, finished_ats
// timestamptz[], cancelled_by name[].
constexpr int kFinishRunsArgs = 14;
// log_endings: write the log line of each run moved to another status than
// succeeded (run_log.hpp; for the runs no worker logs: HTTP runs and crash
// marks).
uint64 finish_runs(const Datum* values, const bool* nulls, bool log_endings);

// --- Runs that were running ----------------------------------------------------------

// A run that succeeded, in the transaction of its effects. A run that is no
// longer running (marked crashed or cancelled meanwhile) keeps its mark:
// then this raises 55000 (object_not_in_prerequisite_state), and the
// effects roll back with the transaction, as the mark says. result_json:
// the run's result (a JSON text) or nullptr; note: what error says on the
// succeeded run (its result was not kept), or nullptr.
void record_success(int64 execution_id, uint64 rows_affected, const char* result_json, const char* note);

// How a run that did not succeed ended: status failed, timed_out or
// cancelled. A NULL message on a cancelled run says who cancelled it
// (cancel_requested_by).
struct RunEnding {
    int64 execution_id;
    RunStatus status;
    const char* message;
    int sqlerrcode;
    const char* detail;  // nullptr: none
};
// Records it, in a transaction of its own; false if the run was no longer running.
bool record_ending(const RunEnding& ending);

// What error_detail records for `error`: its DETAIL and CONTEXT, or nullptr.
char* failure_detail(const ErrorData* error);

// How a run in another database ended, as its worker reported it (the
// launcher records it). Only a run still 'running' changes; true if it did.
struct RemoteOutcome {
    int64 execution_id;
    RunStatus status;  // succeeded, failed, timed_out or cancelled
    TimestampTz started_at;
    TimestampTz finished_at;
    int64 rows_affected;
    int sqlerrcode;
    // Runs that did not succeed: the error (nullptr: 'cancelled by
    // <cancel_requested_by>'); a succeeded run: the note its error holds, or nullptr.
    const char* message;
    const char* detail;       // nullptr: none
    const char* result_json;  // a succeeded run's result (JSON text), or nullptr
};
bool record_remote_outcome(const RemoteOutcome& outcome);

// How an HTTP run ended, in the columns of jobs.job_execution.
struct HttpRunOutcome {
    int64 execution_id;
    RunStatus status;         // succeeded, failed, timed_out or cancelled
    int http_status;          // 0: no response
    const char* error;        // nullptr on success; a cancelled run: "cancelled by <role>"
    const char* sqlstate;     // nullptr: none
    const char* error_kind;   // no response: http::error_kind_name; nullptr otherwise
    const char* result_json;  // a valid JSON text, or nullptr
    const char* timing_json;  // {"dns_ms": ..., ...}
};
// Records the outcomes (one statement) and returns how many runs changed
// (those still running).
uint64 record_http_outcomes(const HttpRunOutcome* outcomes, int count);

// A run claimed for `worker_pid` that never started goes back to 'queued'.
bool requeue_run(int64 execution_id, int worker_pid);

// A run whose worker ended during it becomes 'crashed'.
bool mark_run_crashed(int64 execution_id);

// Runs left 'running' by a process that no longer exists (no "pg_jobs ...
// worker" backend has its pid) become 'crashed', except the `excluded` ones
// (handed to workers in other databases: the launcher settles those from
// their mailboxes).
uint64 mark_lost_runs_crashed(const int64* excluded, int excluded_count);

// Runs 'running' longer than their timeout (the job's, else
// `default_timeout_ms`) plus `grace_ms` whose process is not a live pg_jobs
// worker become 'crashed', except the `excluded` ones (as above). A crashed
// run is retried like any other (jobs_internal._queue_retry).
uint64 mark_stuck_runs_crashed(const int64* excluded, int excluded_count, int64 default_timeout_ms,
                               int64 grace_ms);

// --- Runs that were queued -------------------------------------------------------------

// Fails every queued SQL run of `database` (and of role `owner`, unless InvalidOid)
// with this error (no process can run them).
uint64 fail_queued_runs(const char* database, Oid owner, int sqlstate, const char* message, const char* hint);

}  // namespace pg_jobs::pg
