// See run_control.hpp. The handlers run in signal context: they only set
// flags, the interrupt flags PostgreSQL's own cancel and die set, and the
// latch.
#include "pg/worker/run_control.hpp"

#include "pg/common/gucs.hpp"
#include "pg/common/shmem.hpp"

extern "C" {
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {
namespace {

volatile sig_atomic_t in_run = false;
volatile sig_atomic_t shutdown_flag = false;
volatile sig_atomic_t timed_out = false;
volatile sig_atomic_t cancelled = false;
// Why the worker was told to end itself during the run (None: it was not).
volatile sig_atomic_t forced_exit = static_cast<sig_atomic_t>(RunInterruption::None);
// When the run was first told to stop (its timeout or jobs.cancel), 0 if not.
volatile TimestampTz interrupted_at = 0;
// jobs.cancel_grace_period of the run in progress, in microseconds.
int64 grace_us = 0;
// The run in progress; written only while in_run is false.
int64 current_run = 0;
int64 current_timeout_ms = 0;
int my_slot = -1;
// The watchdog's period: a quarter of the grace period, within these bounds.
constexpr int kWatchdogMinTickMs = 100;
constexpr int kWatchdogMaxTickMs = 1000;
TimeoutId run_timeout = MAX_TIMEOUTS;
TimeoutId watchdog_timeout = MAX_TIMEOUTS;

// The run jobs.cancel asked this worker to stop (a lock-free read: see run_mailbox.hpp).
int64 cancel_target() {
    if (my_slot < 0) {
        return 0;
    }
    return *static_cast<volatile int64*>(&scheduler_shared()->slots[my_slot].mailbox.cancel_execution_id);
}

void interrupt_command() {
    InterruptPending = true;
    QueryCancelPending = true;
}

void note_interruption() {
    if (interrupted_at == 0) {
        interrupted_at = GetCurrentTimestamp();
    }
}

// As PostgreSQL's die(): the next interrupt check ends the process with
// FATAL, which no exception block catches; before_shmem_exit callbacks
// then record the run (see forced_exit_reason).
void end_process(RunInterruption why) {
    if (proc_exit_inprogress) {
        return;
    }
    if (forced_exit == static_cast<sig_atomic_t>(RunInterruption::None)) {
        forced_exit = static_cast<sig_atomic_t>(why);
    }
    InterruptPending = true;
    ProcDiePending = true;
}

void handle_sigterm(SIGNAL_ARGS) {
    (void)postgres_signal_arg;
    const int saved_errno = errno;
    shutdown_flag = true;
    if (in_run) {
        end_process(RunInterruption::Shutdown);
    }
    SetLatch(MyLatch);
    errno = saved_errno;
}

void handle_sigint(SIGNAL_ARGS) {
    (void)postgres_signal_arg;
    const int saved_errno = errno;
    if (in_run) {
        if (cancel_target() == current_run) {
            cancelled = true;
            note_interruption();
        }
        interrupt_command();  // else pg_cancel_backend: the run fails with its error
    }
    SetLatch(MyLatch);
    errno = saved_errno;
}

void handle_run_timeout() {
    const int saved_errno = errno;
    if (in_run) {
        timed_out = true;
        note_interruption();
        interrupt_command();
    }
    SetLatch(MyLatch);
    errno = saved_errno;
}

// Ticks during a run: a command still going jobs.cancel_grace_period after
// its timeout or jobs.cancel (it caught the cancel, or never checks for
// it) ends with its process.
void handle_watchdog() {
    const int saved_errno = errno;
    const TimestampTz since = interrupted_at;
    if (in_run && since != 0 && GetCurrentTimestamp() - since >= grace_us) {
        end_process(cancelled ? RunInterruption::Cancelled : RunInterruption::TimedOut);
        SetLatch(MyLatch);
    }
    errno = saved_errno;
}

void set_published_run(int64 execution_id) {
    SchedulerShared* shared = scheduler_shared();
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    shared->slots[my_slot].mailbox.running_execution_id = execution_id;
    LWLockRelease(shared->lock);
}

}  // namespace

void install_run_signal_handlers() {
    pqsignal(SIGTERM, handle_sigterm);
    pqsignal(SIGINT, handle_sigint);
}

void init_run_control(int slot) {
    my_slot = slot;
    run_timeout = RegisterTimeout(USER_TIMEOUT, handle_run_timeout);
    watchdog_timeout = RegisterTimeout(USER_TIMEOUT, handle_watchdog);
}

bool shutdown_requested() {
    return shutdown_flag;
}

void publish_run(int64 execution_id) {
    set_published_run(execution_id);
}

void withdraw_run() {
    set_published_run(0);
}

void begin_run(int64 execution_id, int64 timeout_ms) {
    current_run = execution_id;
    current_timeout_ms = timeout_ms > 0 ? timeout_ms : default_timeout_ms();
    if (max_timeout_s() > 0) {  // a job defined before jobs.max_timeout was lowered
        current_timeout_ms = Min(current_timeout_ms, static_cast<int64>(max_timeout_s()) * 1000);
    }
    timed_out = false;
    cancelled = false;
    interrupted_at = 0;
    forced_exit = static_cast<sig_atomic_t>(RunInterruption::None);
    const int grace_ms = cancel_grace_period_ms();
    grace_us = static_cast<int64>(grace_ms) * 1000;
    in_run = true;
    pg_memory_barrier();
    // Signals that came before in_run was set did nothing: look again.
    if (cancel_target() == execution_id) {
        cancelled = true;
        note_interruption();
        interrupt_command();
    }
    if (shutdown_flag) {
        end_process(RunInterruption::Shutdown);
    }
    // The watchdog looks a few times per grace period, at most once a second.
    const int tick_ms = Max(Min(grace_ms / 4, kWatchdogMaxTickMs), kWatchdogMinTickMs);
    EnableTimeoutParams timeouts[2] = {};
    timeouts[0].id = run_timeout;
    timeouts[0].type = TMPARAM_AFTER;
    timeouts[0].delay_ms = static_cast<int>(Min(current_timeout_ms, static_cast<int64>(INT_MAX)));
    timeouts[1].id = watchdog_timeout;
    timeouts[1].type = TMPARAM_EVERY;
    timeouts[1].delay_ms = tick_ms;
    timeouts[1].fin_time = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), tick_ms);
    enable_timeouts(timeouts, 2);
}

int64 run_timeout_ms() {
    return current_timeout_ms;
}

void check_run_not_stopped() {
    if (cancelled || timed_out) {
        // The command caught the cancel and carried on to its end: it still
        // does not succeed (this error is recorded as the interruption).
        ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED),
                        errmsg("canceling the run: the command went on after it was cancelled")));
    }
}

RunInterruption end_run() {
    DisableTimeoutParams timeouts[2] = {{run_timeout, false}, {watchdog_timeout, false}};
    disable_timeouts(timeouts, 2);
    in_run = false;
    pg_memory_barrier();
    // An interrupt that arrived after the command's last check must not hit
    // the recording or the next run (a shutdown still ends the worker once
    // the run is recorded: shutdown_requested()).
    QueryCancelPending = false;
    if (forced_exit != static_cast<sig_atomic_t>(RunInterruption::None)) {
        ProcDiePending = false;
    }
    if (cancelled) {
        return RunInterruption::Cancelled;
    }
    if (timed_out) {
        return RunInterruption::TimedOut;
    }
    if (shutdown_flag) {
        return RunInterruption::Shutdown;
    }
    return RunInterruption::None;
}

RunInterruption forced_exit_reason() {
    return static_cast<RunInterruption>(forced_exit);
}

int published_runs(int64* out) {
    SchedulerShared* shared = scheduler_shared();
    int count = 0;
    LWLockAcquire(shared->lock, LW_SHARED);
    for (int i = 0; i < shared->slot_count; ++i) {
        const WorkerSlot& slot = shared->slots[i];
        if (slot.state == SlotState::Running && slot.mailbox.running_execution_id != 0) {
            out[count++] = slot.mailbox.running_execution_id;
        }
    }
    LWLockRelease(shared->lock);
    return count;
}

}  // namespace pg_jobs::pg
