// Shared memory of the scheduler: the launcher's latch, the SQL worker slots
// and the condition variable jobs.wait sleeps on. Set up by the hooks that
// _PG_init installs; every other process only reads and writes it under the
// "pg_jobs" LWLock (or with atomics where noted).
#pragma once
#include "pg/common/http_cancels.hpp"
#include "pg/common/job_change_log.hpp"
#include "pg/common/pg_headers.hpp"
#include "pg/common/prepared_wakes.hpp"
#include "pg/common/run_mailbox.hpp"

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
    // The (database, owner) pair the worker serves for its whole life: it
    // is connected to that database as that role, and runs nobody else's runs.
    Oid database_oid;
    Oid owner_oid;
    bool idle;  // waiting on its latch for work
    // When its current claim began (0: not claiming or running), for the
    // start gate of its pair (core/start_gate.hpp).
    TimestampTz busy_since;
    Latch* latch;  // the worker's process latch (shared memory, stays valid)
    // Connected to another database than jobs.database: gets its runs
    // through `mailbox` instead of claiming them itself.
    bool remote;
    // The launcher wants the slot for another (database, owner) pair: exit
    // once idle, or after the run in progress.
    bool exit_requested;
    // Outlives the worker: a slot is reused only once its mailbox is Empty.
    RunMailbox mailbox;
};

struct SchedulerShared {
    LWLock* lock;
    pid_t launcher_pid;
    Latch* launcher_latch;  // nullptr while no launcher runs
    // Set by wake_launcher: the launcher has work to look at. A wake for
    // events only (wake_launcher_for_events) leaves it clear, and the
    // launcher then just sends them.
    pg_atomic_uint32 launcher_work_pending;
    // Jobs whose definitions changed, published at commit: the launcher
    // re-reads just those (or everything, when the log says so).
    JobChangeLog job_changes;
    // Wakes of prepared transactions, for their COMMIT PREPARED.
    PreparedWakes prepared_wakes;
    // Broadcast after a run's final state commits; jobs.wait sleeps on it.
    ConditionVariable run_finished;
    // @reboot runs are queued once per server start, not per launcher restart.
    bool reboot_jobs_queued;
    // Until when runs may wait in the queue for their fire time (queued ahead
    // by the launcher, run_steps.hpp): an idle worker looks for the next
    // such start only before then (so not after every run). Under `lock`.
    TimestampTz queued_ahead_until;
    // The HTTP worker (http_worker.hpp), while one runs: at most one.
    pid_t http_worker_pid;
    Latch* http_worker_latch;
    HttpCancels http_cancels;  // for the HTTP worker (http_cancels.hpp)
    // What jobs.health() reports (sql_api/scheduler_state.cpp); 0: not known.
    TimestampTz launcher_started_at;  // when launcher_pid registered
    TimestampTz next_fire_at;         // the launcher's earliest fire time not queued yet
    TimestampTz last_retention_at;    // when the last history retention pass ended
    // alerts: an alert was defined or changed (jobs_internal._request_alert_pass, at
    // commit): the launcher runs its alert pass at once. Under `lock`.
    bool alert_pass_requested;
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

// Sets the launcher's latch so it sends the events relayed to it
// (event_relay.hpp), without a pass over the jobs and the queue: a run's
// events would otherwise cost a whole launcher iteration per run.
void wake_launcher_for_events(SchedulerShared* shared);

// Whether a wake_launcher came since the last call (and clears it); for the
// launcher.
bool take_launcher_work(SchedulerShared* shared);

}  // namespace pg_jobs::pg
