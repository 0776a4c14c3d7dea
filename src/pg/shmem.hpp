// Shared memory of the scheduler: the launcher's latch, the SQL worker slots
// and the condition variable jobs.wait sleeps on. Set up by the hooks that
// _PG_init installs; every other process only reads and writes it under the
// "pg_jobs" LWLock (or with atomics where noted).
#pragma once
#include "pg/pg_headers.hpp"

extern "C" {
#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
}

namespace pg_jobs::pg {

enum class SlotState : int {
    Free,      // nobody uses it
    Starting,  // the launcher registered a worker that has not attached yet
    Running,   // a worker process owns it
};

struct WorkerSlot {
    SlotState state;
    uint32 generation;  // bumped on each reservation, so a late worker sees it lost the slot
    pid_t pid;
    Oid database_oid;
    bool idle;     // waiting on its latch for work
    Latch* latch;  // the worker's process latch (shared memory, stays valid)
};

struct SchedulerShared {
    LWLock* lock;
    pid_t launcher_pid;
    Latch* launcher_latch;  // nullptr while no launcher runs
    // Bumped (atomically, at commit) whenever a job definition changes, so
    // the launcher knows whether to reload jobs or only dispatch runs.
    pg_atomic_uint64 jobs_version;
    // Broadcast after a run's final state commits; jobs.wait sleeps on it.
    ConditionVariable run_finished;
    // @reboot runs are queued once per server start, not per launcher restart.
    bool reboot_jobs_queued;
    int slot_count;
    WorkerSlot slots[FLEXIBLE_ARRAY_MEMBER];
};

// Installs shmem_request_hook and shmem_startup_hook; from _PG_init only.
void install_shmem_hooks();

// The shared state, or nullptr when the library was not preloaded (then no
// launcher or worker exists and the SQL functions degrade gracefully).
SchedulerShared* scheduler_shared();

// Sets the launcher's latch (if a launcher runs); safe at any time, even at
// commit: takes no lock and cannot fail.
void wake_launcher(SchedulerShared* shared);

}  // namespace pg_jobs::pg
