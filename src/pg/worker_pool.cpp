// Launcher-side SQL worker pool management; see worker_pool.hpp.
#include "core/worker_demand.hpp"
#include "pg/worker_pool.hpp"

#include "pg/shmem.hpp"

extern "C" {
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {
namespace {

// A slot reserved by an earlier launcher whose worker never attached is
// given back after this long (the worker, if it ever starts, then exits).
constexpr int64 kStartingSlotTimeoutUs = 60 * USECS_PER_SEC;

struct LocalSlot {
    BackgroundWorkerHandle* handle;  // in TopMemoryContext; nullptr if not ours
    uint32 generation;
    TimestampTz reserved_at;
};
LocalSlot* local_slots = nullptr;  // one per shared slot, launcher memory

LocalSlot* local_slot_array(const SchedulerShared* shared) {
    if (local_slots == nullptr) {
        local_slots = static_cast<LocalSlot*>(
            MemoryContextAllocZero(TopMemoryContext, sizeof(LocalSlot) * Max(shared->slot_count, 1)));
    }
    return local_slots;
}

// Gives a slot back unless its worker has since claimed it.
void free_slot_if(SchedulerShared* shared, int index, uint32 generation, SlotState expected) {
    WorkerSlot& slot = shared->slots[index];
    if (slot.generation == generation && slot.state == expected) {
        slot.state = SlotState::Free;
        slot.latch = nullptr;
        slot.pid = 0;
        slot.idle = false;
    }
}

bool start_worker(SchedulerShared* shared, Oid database_oid) {
    LocalSlot* locals = local_slot_array(shared);
    int index = -1;
    uint32 generation = 0;
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    const bool remote = database_oid != MyDatabaseId;
    for (int i = 0; i < shared->slot_count; ++i) {
        WorkerSlot& slot = shared->slots[i];
        // A mailbox still holding a run must be settled before the slot is reused.
        if (slot.state == SlotState::Free && slot.mailbox.state == MailboxState::Empty) {
            slot.state = SlotState::Starting;
            slot.generation += 1;
            slot.database_oid = database_oid;
            slot.pid = 0;
            slot.idle = false;
            slot.latch = nullptr;
            slot.remote = remote;
            slot.exit_requested = false;
            index = i;
            generation = slot.generation;
            break;
        }
    }
    LWLockRelease(shared->lock);
    if (index < 0) {
        return false;
    }

    BackgroundWorker worker{};
    worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
    worker.bgw_restart_time = BGW_NEVER_RESTART;
    snprintf(worker.bgw_library_name, BGW_MAXLEN, "pg_jobs");
    snprintf(worker.bgw_function_name, BGW_MAXLEN, "pg_jobs_sql_worker_main");
    snprintf(worker.bgw_name, BGW_MAXLEN, "pg_jobs worker %d", index);
    snprintf(worker.bgw_type, BGW_MAXLEN, "pg_jobs worker");
    worker.bgw_main_arg = Int32GetDatum(index);
    worker.bgw_notify_pid = MyProcPid;
    const WorkerStartInfo info{generation, database_oid, remote};
    static_assert(sizeof(info) <= BGW_EXTRALEN);
    memcpy(worker.bgw_extra, &info, sizeof(info));

    BackgroundWorkerHandle* handle = nullptr;
    MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
    const bool registered = RegisterDynamicBackgroundWorker(&worker, &handle);
    MemoryContextSwitchTo(old);
    if (!registered) {
        LWLockAcquire(shared->lock, LW_EXCLUSIVE);
        free_slot_if(shared, index, generation, SlotState::Starting);
        LWLockRelease(shared->lock);
        // Said once a minute at most: the launcher retries every second.
        static TimestampTz last_said = 0;
        const TimestampTz now = GetCurrentTimestamp();
        if (now - last_said >= 60 * USECS_PER_SEC) {
            last_said = now;
            ereport(LOG, (errmsg("pg_jobs: could not start an SQL worker: no background worker slot is free"),
                          errhint("Raise max_worker_processes: it must exceed jobs.max_workers plus the "
                                  "launcher and any other background workers.")));
        }
        return false;
    }
    LocalSlot& local = locals[index];
    if (local.handle != nullptr) {
        pfree(local.handle);
    }
    local.handle = handle;
    local.generation = generation;
    local.reserved_at = GetCurrentTimestamp();
    return true;
}

}  // namespace

bool reap_exited_workers() {
    SchedulerShared* shared = scheduler_shared();
    LocalSlot* locals = local_slot_array(shared);
    const TimestampTz now = GetCurrentTimestamp();
    bool any_exited = false;
    for (int i = 0; i < shared->slot_count; ++i) {
        LocalSlot& local = locals[i];
        if (local.handle != nullptr) {
            pid_t pid = 0;
            if (GetBackgroundWorkerPid(local.handle, &pid) != BGWH_STOPPED) {
                continue;
            }
            // Stopped: a worker that attached frees its slot as it exits;
            // one that never attached (failed to start) is freed here.
            LWLockAcquire(shared->lock, LW_EXCLUSIVE);
            free_slot_if(shared, i, local.generation, SlotState::Starting);
            free_slot_if(shared, i, local.generation, SlotState::Running);
            LWLockRelease(shared->lock);
            pfree(local.handle);
            local.handle = nullptr;
            any_exited = true;
            continue;
        }
        // Not started by this launcher: only stale reservations need care.
        LWLockAcquire(shared->lock, LW_EXCLUSIVE);
        WorkerSlot& slot = shared->slots[i];
        if (slot.state == SlotState::Starting) {
            if (local.generation != slot.generation) {
                local.generation = slot.generation;
                local.reserved_at = now;
            } else if (now - local.reserved_at > kStartingSlotTimeoutUs) {
                free_slot_if(shared, i, slot.generation, SlotState::Starting);
            }
        }
        LWLockRelease(shared->lock);
    }
    return any_exited;
}

WorkerSupply provide_workers(Oid database_oid, int64 queued) {
    SchedulerShared* shared = scheduler_shared();
    int workers_here = 0;
    int available_here = 0;  // starting, or idle: they take queued runs now
    int workers_total = 0;
    LWLockAcquire(shared->lock, LW_SHARED);
    for (int i = 0; i < shared->slot_count; ++i) {
        const WorkerSlot& slot = shared->slots[i];
        if (slot.state == SlotState::Free) {
            // Not reusable until its mailbox is settled: counts as taken.
            workers_total += slot.mailbox.state == MailboxState::Empty ? 0 : 1;
            continue;
        }
        ++workers_total;
        if (slot.database_oid != database_oid) {
            continue;
        }
        ++workers_here;
        if (slot.state == SlotState::Starting || (slot.idle && !slot.exit_requested)) {
            ++available_here;
        }
        // Busy ones simply claim again after their run; a worker in another
        // database waits for the launcher instead.
        if (slot.state == SlotState::Running && slot.latch != nullptr && !slot.remote) {
            SetLatch(slot.latch);
        }
    }
    LWLockRelease(shared->lock);

    // Busy workers do not count: a run queued behind a long one starts in a
    // free slot instead of waiting for it.
    const int wanted = workers_to_start(queued, available_here, workers_total, shared->slot_count);
    for (int i = 0; i < wanted; ++i) {
        if (!start_worker(shared, database_oid)) {
            return WorkerSupply::Retry;
        }
    }
    return wanted == 0 && workers_here == 0 && queued > 0 ? WorkerSupply::Starved : WorkerSupply::Enough;
}

void wake_idle_workers(Oid database_oid) {
    SchedulerShared* shared = scheduler_shared();
    LWLockAcquire(shared->lock, LW_SHARED);
    for (int i = 0; i < shared->slot_count; ++i) {
        const WorkerSlot& slot = shared->slots[i];
        if (slot.state == SlotState::Running && slot.idle && !slot.remote && slot.latch != nullptr &&
            slot.database_oid == database_oid) {
            SetLatch(slot.latch);
        }
    }
    LWLockRelease(shared->lock);
}

bool retire_idle_worker(const Oid* busy, int busy_count) {
    SchedulerShared* shared = scheduler_shared();
    bool retired = false;
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    for (int i = 0; i < shared->slot_count && !retired; ++i) {
        WorkerSlot& slot = shared->slots[i];
        if (slot.state != SlotState::Running || !slot.idle || slot.exit_requested || slot.latch == nullptr ||
            slot.mailbox.state != MailboxState::Empty) {
            continue;
        }
        bool has_work = false;
        for (int j = 0; j < busy_count && !has_work; ++j) {
            has_work = busy[j] == slot.database_oid;
        }
        if (!has_work) {
            slot.exit_requested = true;
            SetLatch(slot.latch);
            retired = true;
        }
    }
    LWLockRelease(shared->lock);
    return retired;
}

}  // namespace pg_jobs::pg
