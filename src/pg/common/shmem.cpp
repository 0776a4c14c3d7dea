// Sizing and initialisation of the scheduler's shared memory.
#include "pg/common/shmem.hpp"

#include "pg/common/event_relay.hpp"
#include "pg/common/gucs.hpp"

extern "C" {
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
}

namespace pg_jobs::pg {
namespace {

constexpr const char* kTrancheName = "pg_jobs";
constexpr const char* kShmemName = "pg_jobs scheduler";

SchedulerShared* shared_state = nullptr;
shmem_request_hook_type previous_request_hook = nullptr;
shmem_startup_hook_type previous_startup_hook = nullptr;

Size shared_size() {
    return add_size(offsetof(SchedulerShared, slots), mul_size(sizeof(WorkerSlot), max_sql_workers()));
}

void request_shmem() {
    if (previous_request_hook != nullptr) {
        previous_request_hook();
    }
    RequestAddinShmemSpace(shared_size());
    RequestNamedLWLockTranche(kTrancheName, 1);
    request_event_relay();  // events
}

void startup_shmem() {
    if (previous_startup_hook != nullptr) {
        previous_startup_hook();
    }
    LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
    bool found = false;
    auto* state = static_cast<SchedulerShared*>(ShmemInitStruct(kShmemName, shared_size(), &found));
    if (!found) {
        memset(static_cast<void*>(state), 0, shared_size());
        state->lock = &(GetNamedLWLockTranche(kTrancheName))->lock;
        state->launcher_pid = 0;
        state->launcher_latch = nullptr;
        pg_atomic_init_u32(&state->launcher_work_pending, 1);
        // job_changes stays as zeroed: nothing published, nothing read.
        init_prepared_wakes(&state->prepared_wakes);
        ConditionVariableInit(&state->run_finished);
        state->reboot_jobs_queued = false;
        state->slot_count = max_sql_workers();
        for (int i = 0; i < state->slot_count; ++i) {
            state->slots[i].state = SlotState::Free;
        }
    }
    init_event_relay();  // events
    LWLockRelease(AddinShmemInitLock);
    shared_state = state;
}

}  // namespace

void install_shmem_hooks() {
    previous_request_hook = shmem_request_hook;
    shmem_request_hook = request_shmem;
    previous_startup_hook = shmem_startup_hook;
    shmem_startup_hook = startup_shmem;
}

SchedulerShared* scheduler_shared() {
    return shared_state;
}

void wake_launcher(SchedulerShared* shared) {
    // Before the latch (SetLatch is a full barrier): the launcher reads the
    // flag after its wait ends.
    pg_atomic_write_u32(&shared->launcher_work_pending, 1);
    wake_launcher_for_events(shared);
}

bool take_launcher_work(SchedulerShared* shared) {
    return pg_atomic_exchange_u32(&shared->launcher_work_pending, 0) != 0;
}

void wake_launcher_for_events(SchedulerShared* shared) {
    // The pointer is read once: the launcher may clear it as it exits, and a
    // latch of an exited process is still valid shared memory (a spurious
    // wake of whoever reuses it is harmless).
    Latch* latch = shared->launcher_latch;
    pg_read_barrier();
    if (latch != nullptr) {
        SetLatch(latch);
    }
}

}  // namespace pg_jobs::pg
