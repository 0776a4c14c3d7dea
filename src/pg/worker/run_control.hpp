// What can stop an SQL worker's run before it ends by itself: its timeout,
// jobs.cancel, and SIGTERM (the server's shutdown, pg_terminate_backend).
//  - A timeout or jobs.cancel interrupts the command the way a client's
//    cancel does (QueryCancelPending: error 57014 at the next interrupt
//    check, its transaction rolled back); the worker then asks end_run what
//    it was and records the run timed_out or cancelled. A command that
//    catches that error and goes on is stopped harder once
//    jobs.cancel_grace_period has passed: as below, the process ends.
//  - SIGTERM during a run ends the process as it ends a backend
//    (ProcDiePending: FATAL at the next interrupt check, which PL/pgSQL
//    cannot catch). The worker's before_shmem_exit callback then records
//    the run, asking forced_exit_reason why it ended.
// Between runs SIGTERM just makes shutdown_requested() true (the worker
// leaves at once) and SIGINT is ignored.
#pragma once
#include "pg/common/pg_headers.hpp"

namespace pg_jobs::pg {

// Installs the SIGTERM and SIGINT handlers; before BackgroundWorkerUnblockSignals.
void install_run_signal_handlers();

// Registers the run timeout; once connected, with the slot this worker owns.
void init_run_control(int slot);

// True once the server asked this worker to stop (SIGTERM).
bool shutdown_requested();

// Publishes that this worker is about to run `execution_id`, so jobs.cancel
// can find it; call before the claim commits (and for a handed-over run when
// taking it). Takes the scheduler lock.
void publish_run(int64 execution_id);

// Withdraws publish_run, once the run's outcome is recorded.
void withdraw_run();

enum class RunInterruption {
    None,
    TimedOut,
    Cancelled,  // by jobs.cancel (or pg_cancel_backend)
    Shutdown,
};

// Arms the timeout (`timeout_ms`; <= 0: jobs.default_timeout) and the
// watchdog of jobs.cancel_grace_period, and lets the signals interrupt the
// command from now on.
void begin_run(int64 execution_id, int64 timeout_ms);

// Raises 57014 if the run was told to stop (timeout, jobs.cancel) even
// though its command returned: call before recording success, so a command
// that caught the cancel does not commit.
void check_run_not_stopped();

// The effective timeout of the run begun last, in milliseconds.
int64 run_timeout_ms();

// Disarms the timeout; later signals no longer interrupt anything. Returns
// what interrupted the run, if anything (the caller decides whether the
// run's error was that interruption).
RunInterruption end_run();

// Why this process was told to end during the run begun last: Shutdown
// (SIGTERM), or TimedOut / Cancelled when its command ignored the cancel
// for jobs.cancel_grace_period; None if it was not. For the exit callback.
RunInterruption forced_exit_reason();

// The runs the SQL workers published (publish_run), for crash recovery.
// `out` has room for every slot; returns how many were written.
int published_runs(int64* out);

}  // namespace pg_jobs::pg
