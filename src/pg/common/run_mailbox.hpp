// The mailbox in each worker slot through which the launcher hands a run to
// a worker connected to another database than jobs.database, and the worker
// reports how it ended. Such a worker cannot read jobs.job_execution (it
// lives in jobs.database), so the launcher claims the run, passes its
// details in a DSM segment (see run_details.hpp), and records the outcome.
// Every field is read and written under the "pg_jobs" LWLock.
#pragma once
#include "core/sql_result.hpp"
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "datatype/timestamp.h"
#include "storage/dsm.h"
}

namespace pg_jobs::pg {

// How much of a failed run's message and detail travel back (bytes, with
// the terminating NUL); longer text is cut at a character boundary.
constexpr int kOutcomeMessageSize = 2048;
constexpr int kOutcomeDetailSize = 4096;
// A succeeded run's result (core/sql_result.hpp) travels whole or not at
// all: at most kSqlResultMaxBytes of JSON, with the NUL.
constexpr int kOutcomeResultSize = kSqlResultMaxBytes + 1;

enum class MailboxState : int {
    Empty,     // nothing handed over; the launcher may give the worker a run
    Claiming,  // the launcher is marking `execution_id` running for this worker
    Assigned,  // the run's details wait in the `details` segment
    Taken,     // the worker runs it
    Done,      // the worker posted the outcome; the launcher records it
};

enum class RunOutcome : int {
    Succeeded,
    Failed,
    TimedOut,    // cancelled at its timeout
    Cancelled,   // by jobs.cancel (the row says who), or at shutdown (`message` says so)
    NotStarted,  // the worker could not read the details (the launcher exited): queue it again
    Skipped,     // opts: the job's run_if was false; the command did not run
};

struct RunMailbox {
    MailboxState state;
    int64 execution_id;  // 0 while Claiming has not found a run yet
    pid_t worker_pid;    // the pid written into the run's worker_pid
    dsm_handle details;
    // The outcome (state Done). Text is in the launcher's database encoding.
    RunOutcome outcome;
    TimestampTz started_at;
    TimestampTz finished_at;
    int64 rows_affected;
    int sqlerrcode;
    char message[kOutcomeMessageSize];
    char detail[kOutcomeDetailSize];  // DETAIL and CONTEXT, as for a run in jobs.database
    // A succeeded run: its result (JSON text; "": none), and in `message`
    // the note when it was over the limit.
    char result[kOutcomeResultSize];

    // Used by every SQL worker, remote or not (run_control.hpp): the run
    // the slot's worker executes now (0: none), and the run jobs.cancel
    // asked it to stop. The worker's SIGINT handler reads cancel_execution_id
    // without the lock, through a volatile read: an aligned 8-byte load,
    // atomic on 64-bit platforms.
    int64 running_execution_id;
    int64 cancel_execution_id;
};
static_assert(sizeof(void*) == 8, "cancel_execution_id is read in a signal handler");

}  // namespace pg_jobs::pg
