// See remote_runs.hpp. The launcher keeps each details segment it created
// mapped until the run's outcome is settled; the worker copies it first.
#include "core/run_status.hpp"
#include "pg/launcher/remote_runs.hpp"

#include "pg/store/execution_store.hpp"
#include "pg/common/transaction.hpp"
#include "pg/store/run_lifecycle.hpp"
#include "pg/worker/run_details.hpp"
#include "pg/common/shmem.hpp"

extern "C" {
#include "storage/condition_variable.h"
#include "utils/memutils.h"
}

namespace pg_jobs::pg {
namespace {

dsm_segment** held_details = nullptr;  // per slot, launcher memory

dsm_segment** held_details_array(const SchedulerShared* shared) {
    if (held_details == nullptr) {
        held_details = static_cast<dsm_segment**>(
            MemoryContextAllocZero(TopMemoryContext, sizeof(dsm_segment*) * Max(shared->slot_count, 1)));
    }
    return held_details;
}

void release_details(int slot) {
    dsm_segment*& segment = held_details_array(scheduler_shared())[slot];
    if (segment != nullptr) {
        dsm_segment* detaching = segment;
        segment = nullptr;
        call_pg([&] { dsm_detach(detaching); });
    }
}

enum class Settle {
    Record,   // the worker posted an outcome
    Requeue,  // the run never started
    Crash,    // its worker ended during the run
};

struct Settling {
    int slot;
    Settle action;
    RunMailbox box;  // as read
};

// What to do with a mailbox, if anything. Called under the lock, and never
// while a hand-over is under way (the launcher does both, one at a time).
bool settle_action(const WorkerSlot& slot, Settle* action) {
    const RunMailbox& box = slot.mailbox;
    const bool worker_gone = slot.state != SlotState::Running || slot.pid != box.worker_pid;
    switch (box.state) {
        case MailboxState::Empty:
            return false;
        case MailboxState::Done:
            *action = box.outcome == RunOutcome::NotStarted ? Settle::Requeue : Settle::Record;
            return true;
        case MailboxState::Claiming:  // a hand-over interrupted by an error or a launcher exit
            *action = Settle::Requeue;
            return true;
        case MailboxState::Assigned:
            *action = Settle::Requeue;
            return worker_gone;
        case MailboxState::Taken:
            *action = Settle::Crash;
            return worker_gone;
    }
    return false;
}

// The status a worker's reported outcome is recorded with.
RunStatus outcome_status(RunOutcome outcome) {
    switch (outcome) {
        case RunOutcome::Succeeded:
            return RunStatus::Succeeded;
        case RunOutcome::TimedOut:
            return RunStatus::TimedOut;
        case RunOutcome::Cancelled:
            return RunStatus::Cancelled;
        case RunOutcome::Skipped:
            return RunStatus::Skipped;
        case RunOutcome::Failed:
        case RunOutcome::NotStarted:
            break;
    }
    return RunStatus::Failed;
}

// Applies the settlements in the current transaction; true if a run reached
// a final status.
bool apply(const Settling* items, int count) {
    bool finished = false;
    for (int i = 0; i < count; ++i) {
        const RunMailbox& box = items[i].box;
        if (box.execution_id == 0) {
            continue;  // a claim that found nothing (or never committed)
        }
        switch (items[i].action) {
            case Settle::Record: {
                const RemoteOutcome outcome{box.execution_id,
                                            outcome_status(box.outcome),
                                            box.started_at,
                                            box.finished_at,
                                            box.rows_affected,
                                            box.sqlerrcode,
                                            box.message[0] != '\0' ? box.message : nullptr,
                                            box.detail[0] != '\0' ? box.detail : nullptr,
                                            box.result[0] != '\0' ? box.result : nullptr};
                finished = record_remote_outcome(outcome) || finished;
                break;
            }
            case Settle::Requeue:
                (void)requeue_run(box.execution_id, box.worker_pid);
                break;
            case Settle::Crash:
                if (mark_run_crashed(box.execution_id)) {
                    finished = true;
                    ereport(LOG,
                            (errmsg("pg_jobs: execution %lld crashed: its worker in another database ended",
                                    static_cast<long long>(box.execution_id))));
                }
                break;
        }
    }
    return finished;
}

}  // namespace

void settle_remote_runs() {
    SchedulerShared* shared = scheduler_shared();
    // Allocated before taking the lock: no palloc may fail while it is held.
    auto* items =
        static_cast<Settling*>(call_pg([&] { return palloc(sizeof(Settling) * shared->slot_count); }));
    int count = 0;
    LWLockAcquire(shared->lock, LW_SHARED);
    for (int i = 0; i < shared->slot_count; ++i) {
        Settle action = Settle::Record;
        if (settle_action(shared->slots[i], &action)) {
            items[count].slot = i;
            items[count].action = action;
            items[count].box = shared->slots[i].mailbox;
            ++count;
        }
    }
    LWLockRelease(shared->lock);
    if (count == 0) {
        return;
    }

    bool finished = false;
    run_in_transaction([&] { finished = apply(items, count); });

    // Settled mailboxes are empty again: their workers (if alive) are ready.
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    for (int i = 0; i < count; ++i) {
        RunMailbox& box = shared->slots[items[i].slot].mailbox;
        if (box.state == items[i].box.state && box.execution_id == items[i].box.execution_id) {
            box.state = MailboxState::Empty;
            box.execution_id = 0;
        }
    }
    LWLockRelease(shared->lock);
    for (int i = 0; i < count; ++i) {
        release_details(items[i].slot);
    }
    if (finished) {
        ConditionVariableBroadcast(&shared->run_finished);
    }
}

void hand_out_remote_runs(Oid database_oid, Oid owner_oid, const char* database, int64 queued) {
    SchedulerShared* shared = scheduler_shared();
    MemoryContext caller = CurrentMemoryContext;
    auto* chosen = static_cast<int*>(call_pg([&] { return palloc(sizeof(int) * shared->slot_count); }));
    auto* runs =
        static_cast<ClaimedRun*>(call_pg([&] { return palloc0(sizeof(ClaimedRun) * shared->slot_count); }));
    int count = 0;
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    for (int i = 0; i < shared->slot_count && count < queued; ++i) {
        WorkerSlot& slot = shared->slots[i];
        if (slot.state == SlotState::Running && slot.remote && slot.database_oid == database_oid &&
            slot.owner_oid == owner_oid && slot.idle && !slot.exit_requested && slot.latch != nullptr &&
            slot.mailbox.state == MailboxState::Empty) {
            slot.mailbox.state = MailboxState::Claiming;
            slot.mailbox.execution_id = 0;
            slot.mailbox.worker_pid = slot.pid;
            chosen[count++] = i;
        }
    }
    LWLockRelease(shared->lock);
    if (count == 0) {
        return;
    }

    // One transaction claims a run for each chosen worker. Each run's id goes
    // into the mailbox before the commit, so if the launcher dies after it,
    // the next one finds the claim and queues the run again.
    int claimed = 0;
    run_in_transaction([&] {
        for (; claimed < count; ++claimed) {
            RunMailbox& box = shared->slots[chosen[claimed]].mailbox;
            if (!claim_next_run(caller, database, owner_oid, box.worker_pid, &runs[claimed])) {
                break;
            }
            LWLockAcquire(shared->lock, LW_EXCLUSIVE);
            box.execution_id = runs[claimed].execution_id;
            LWLockRelease(shared->lock);
        }
    });

    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    for (int k = claimed; k < count; ++k) {  // fewer runs than workers
        shared->slots[chosen[k]].mailbox.state = MailboxState::Empty;
    }
    LWLockRelease(shared->lock);

    dsm_segment** held = held_details_array(shared);
    for (int k = 0; k < claimed; ++k) {
        const ClaimedRun& run = runs[k];
        dsm_segment* segment = call_pg([&] { return create_run_details(run); });
        LWLockAcquire(shared->lock, LW_EXCLUSIVE);
        WorkerSlot& slot = shared->slots[chosen[k]];
        const bool alive = slot.state == SlotState::Running && slot.pid == slot.mailbox.worker_pid;
        if (alive) {
            slot.mailbox.details = dsm_segment_handle(segment);
            slot.mailbox.state = MailboxState::Assigned;
            SetLatch(slot.latch);
        }
        LWLockRelease(shared->lock);
        if (alive) {
            release_details(chosen[k]);
            held[chosen[k]] = segment;
        } else {
            // The worker ended meanwhile: the claim stays in the mailbox and
            // the next settle_remote_runs queues the run again.
            call_pg([&] { dsm_detach(segment); });
        }
    }
}

int runs_in_mailboxes(int64* out) {
    SchedulerShared* shared = scheduler_shared();
    int count = 0;
    LWLockAcquire(shared->lock, LW_SHARED);
    for (int i = 0; i < shared->slot_count; ++i) {
        const RunMailbox& box = shared->slots[i].mailbox;
        if (box.state != MailboxState::Empty && box.execution_id != 0) {
            out[count++] = box.execution_id;
        }
    }
    LWLockRelease(shared->lock);
    return count;
}

}  // namespace pg_jobs::pg
