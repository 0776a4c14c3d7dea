// See run_control.hpp. The handlers run in signal context: they only set
// flags, the interrupt flags PostgreSQL's own cancel sets, and the latch.
#include "pg/run_control.hpp"

#include "pg/gucs.hpp"
#include "pg/shmem.hpp"

extern "C" {
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/timeout.h"
}

namespace pg_jobs::pg {
namespace {

volatile sig_atomic_t in_run = false;
volatile sig_atomic_t shutdown_flag = false;
volatile sig_atomic_t timed_out = false;
volatile sig_atomic_t cancelled = false;
// The run in progress; written only while in_run is false.
int64 current_run = 0;
int64 current_timeout_ms = 0;
int my_slot = -1;
TimeoutId run_timeout = MAX_TIMEOUTS;

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

void handle_sigterm(SIGNAL_ARGS) {
    (void)postgres_signal_arg;
    const int saved_errno = errno;
    shutdown_flag = true;
    if (in_run) {
        interrupt_command();
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
        interrupt_command();
    }
    SetLatch(MyLatch);
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
    in_run = true;
    pg_memory_barrier();
    // Signals that came before in_run was set did nothing: look again.
    if (cancel_target() == execution_id) {
        cancelled = true;
        interrupt_command();
    }
    if (shutdown_flag) {
        interrupt_command();
    }
    enable_timeout_after(run_timeout, static_cast<int>(Min(current_timeout_ms, static_cast<int64>(INT_MAX))));
}

int64 run_timeout_ms() {
    return current_timeout_ms;
}

RunInterruption end_run() {
    disable_timeout(run_timeout, false);
    in_run = false;
    pg_memory_barrier();
    // An interrupt that arrived after the command's last check must not hit
    // the recording or the next run.
    QueryCancelPending = false;
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
