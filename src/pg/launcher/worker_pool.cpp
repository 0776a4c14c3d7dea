// Launcher-side SQL worker pool management; see worker_pool.hpp.
#include "core/worker_demand.hpp"
#include "pg/launcher/worker_pool.hpp"

#include "pg/common/gucs.hpp"
#include "pg/common/shmem.hpp"

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

bool start_worker(SchedulerShared* shared, const RunQueue& queue) {
    const Oid database_oid = queue.database_oid;
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
            slot.owner_oid = queue.owner_oid;
            slot.pid = 0;
            slot.idle = false;
            slot.busy_since = 0;
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
    const WorkerStartInfo info{generation, database_oid, queue.owner_oid, remote, queue.login_as_owner};
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

bool any_worker_stopped() {
    SchedulerShared* shared = scheduler_shared();
    LocalSlot* locals = local_slot_array(shared);
    for (int i = 0; i < shared->slot_count; ++i) {
        pid_t pid = 0;
        if (locals[i].handle != nullptr && GetBackgroundWorkerPid(locals[i].handle, &pid) == BGWH_STOPPED) {
            return true;
        }
    }
    return false;
}

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

namespace {

bool serves(const WorkerSlot& slot, const RunQueue& queue) {
    return slot.database_oid == queue.database_oid && slot.owner_oid == queue.owner_oid;
}

// The index of `owner` in `owners` (count entries), or -1.
int owner_index(const Oid* owners, int count, Oid owner) {
    for (int i = 0; i < count; ++i) {
        if (owners[i] == owner) {
            return i;
        }
    }
    return -1;
}

}  // namespace

WorkerSupply provide_workers(const RunQueue* queues, int count, Starved* starved) {
    SchedulerShared* shared = scheduler_shared();
    *starved = Starved{0, 0, 0};
    if (count == 0) {
        return WorkerSupply::Enough;
    }
    // Allocated before taking the lock: no palloc may fail while it is held.
    auto* demand = static_cast<QueueDemand*>(palloc0(sizeof(QueueDemand) * count));
    auto* workers_here = static_cast<int*>(palloc0(sizeof(int) * count));
    auto* starts = static_cast<int*>(palloc0(sizeof(int) * count));
    auto* owners = static_cast<Oid*>(palloc0(sizeof(Oid) * count));
    auto* owner_workers = static_cast<int*>(palloc0(sizeof(int) * count));
    int owner_count = 0;
    for (int q = 0; q < count; ++q) {
        int owner = owner_index(owners, owner_count, queues[q].owner_oid);
        if (owner < 0) {
            owner = owner_count++;
            owners[owner] = queues[q].owner_oid;
        }
        demand[q] = QueueDemand{owner, queues[q].queued, 0, queues[q].may_start};
    }
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
        const int owner = owner_index(owners, owner_count, slot.owner_oid);
        if (owner >= 0) {
            ++owner_workers[owner];  // leaving ones too: their slot is not free yet
        }
        for (int q = 0; q < count; ++q) {
            if (!serves(slot, queues[q])) {
                continue;
            }
            ++workers_here[q];
            if (slot.state == SlotState::Starting || (slot.idle && !slot.exit_requested)) {
                ++demand[q].workers_available;
            }
            // Busy ones simply claim again after their run; a worker in
            // another database waits for the launcher instead.
            if (slot.state == SlotState::Running && slot.latch != nullptr && !slot.remote) {
                SetLatch(slot.latch);
            }
        }
    }
    LWLockRelease(shared->lock);

    // Busy workers do not count: a run queued behind a long one starts in a
    // free slot instead of waiting for it.
    const int limit = running_per_owner_limit(max_running_per_owner(), shared->slot_count);
    const int free_slots = Max(shared->slot_count - workers_total, 0);
    (void)plan_worker_starts(demand, count, owner_workers, limit, free_slots, starts);
    // No background worker slot left (max_worker_processes, shared with
    // other extensions): the pairs still without a worker count as starved,
    // so that idle workers of pairs without runs make room for them.
    bool no_process_slot = false;
    for (int q = 0; q < count; ++q) {
        int started = 0;
        while (started < starts[q] && !no_process_slot) {
            if (start_worker(shared, queues[q])) {
                ++started;
            } else {
                no_process_slot = true;
            }
        }
        starts[q] = started;
        // Runs, no worker, none coming: every slot is taken, or the owner's
        // workers are elsewhere (maybe idle in another database).
        const bool under_limit = owner_workers[demand[q].owner] < limit;
        if (queues[q].queued > 0 && workers_here[q] == 0 && starts[q] == 0 && queues[q].may_start) {
            ++starved->pairs;
            starved->under_limit += under_limit ? 1 : 0;
        }
        // Runs an idle worker of another pair could make room for.
        const int64 uncovered = queues[q].queued - demand[q].workers_available - starts[q];
        if (uncovered > 0 && queues[q].may_start && under_limit) {
            starved->uncovered_runs +=
                static_cast<int>(Min(uncovered, static_cast<int64>(shared->slot_count)));
        }
    }
    if (no_process_slot) {
        return WorkerSupply::Retry;
    }
    return starved->pairs > 0 ? WorkerSupply::Starved : WorkerSupply::Enough;
}

void wake_idle_workers(Oid database_oid, bool busy_too) {
    SchedulerShared* shared = scheduler_shared();
    LWLockAcquire(shared->lock, LW_SHARED);
    for (int i = 0; i < shared->slot_count; ++i) {
        const WorkerSlot& slot = shared->slots[i];
        if (slot.state == SlotState::Running && (slot.idle || busy_too) && !slot.remote &&
            slot.latch != nullptr && slot.database_oid == database_oid) {
            SetLatch(slot.latch);
        }
    }
    LWLockRelease(shared->lock);
}

int local_worker_count() {
    SchedulerShared* shared = scheduler_shared();
    int count = 0;
    LWLockAcquire(shared->lock, LW_SHARED);
    for (int i = 0; i < shared->slot_count; ++i) {
        const WorkerSlot& slot = shared->slots[i];
        if (slot.state != SlotState::Free && !slot.remote && slot.database_oid == MyDatabaseId) {
            ++count;
        }
    }
    LWLockRelease(shared->lock);
    return count;
}

void note_runs_queued_ahead(TimestampTz latest) {
    SchedulerShared* shared = scheduler_shared();
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    shared->queued_ahead_until = Max(shared->queued_ahead_until, latest);
    LWLockRelease(shared->lock);
}

bool runs_queued_ahead() {
    SchedulerShared* shared = scheduler_shared();
    LWLockAcquire(shared->lock, LW_SHARED);
    const TimestampTz until = shared->queued_ahead_until;
    LWLockRelease(shared->lock);
    return GetCurrentTimestamp() < until;
}

namespace {

bool leavable(const WorkerSlot& slot) {
    return slot.state == SlotState::Running && !slot.exit_requested && slot.latch != nullptr;
}

void ask_to_exit(WorkerSlot& slot) {
    slot.exit_requested = true;
    SetLatch(slot.latch);
}

}  // namespace

bool retire_workers(const RunQueue* queues, int queue_count, const Starved& starved) {
    SchedulerShared* shared = scheduler_shared();
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    int leaving = 0;
    int leaving_now = 0;  // between runs: their slot is free in a moment
    for (int i = 0; i < shared->slot_count; ++i) {
        const WorkerSlot& slot = shared->slots[i];
        if (slot.state != SlotState::Free && slot.exit_requested) {
            ++leaving;
            leaving_now += slot.mailbox.running_execution_id == 0 ? 1 : 0;
        }
    }
    // First idle workers of pairs without queued runs: they leave at once.
    // A busy worker already asked to leave does not count: it may run for
    // hours, while an idle worker that became idle since can go now.
    int needed = Max(starved.pairs, starved.uncovered_runs) - leaving_now;
    for (int i = 0; i < shared->slot_count && needed > 0; ++i) {
        WorkerSlot& slot = shared->slots[i];
        if (!leavable(slot) || !slot.idle || slot.mailbox.state != MailboxState::Empty) {
            continue;
        }
        bool has_work = false;
        for (int q = 0; q < queue_count && !has_work; ++q) {
            has_work = serves(slot, queues[q]);
        }
        if (!has_work) {
            ask_to_exit(slot);
            --needed;
            ++leaving;
        }
    }
    const bool covered = needed <= 0;
    // Then, for pairs without any worker (only an owner below its limit can
    // use a slot another owner gives up), busy workers too.
    needed = starved.under_limit - leaving;
    // Then a worker of the owner holding the most: idle if it has one, else
    // busy (it exits after its run instead of claiming the next).
    while (needed > 0) {
        int chosen = -1;
        int chosen_count = 0;
        for (int i = 0; i < shared->slot_count; ++i) {
            const WorkerSlot& slot = shared->slots[i];
            if (!leavable(slot)) {
                continue;
            }
            int held = 0;
            for (int j = 0; j < shared->slot_count; ++j) {
                const WorkerSlot& other = shared->slots[j];
                held += other.state != SlotState::Free && !other.exit_requested &&
                                other.owner_oid == slot.owner_oid
                            ? 1
                            : 0;
            }
            const bool better_idle =
                chosen >= 0 && held == chosen_count && slot.idle && !shared->slots[chosen].idle;
            if (chosen < 0 || held > chosen_count || better_idle) {
                chosen = i;
                chosen_count = held;
            }
        }
        if (chosen < 0) {
            break;
        }
        ask_to_exit(shared->slots[chosen]);
        --needed;
    }
    LWLockRelease(shared->lock);
    return covered;
}

}  // namespace pg_jobs::pg
