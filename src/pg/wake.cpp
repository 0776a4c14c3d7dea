// jobs._wake_scheduler(): wake the launcher (and an idle SQL worker of this
// database) when, and only when, the calling transaction commits - the same
// promise NOTIFY makes, so a trigger that rolls back never runs.
#include "pg/pg_headers.hpp"
#include "pg/shmem.hpp"

extern "C" {
#include "access/xact.h"
#include "miscadmin.h"
}

namespace pg_jobs::pg {
namespace {

bool callback_registered = false;
bool wake_pending = false;          // this transaction asked for a wake
bool jobs_changed_pending = false;  // ... and changed job definitions

// Sets the latch of one idle worker connected to this database, so a run
// queued here starts without waiting for the launcher to pass it on.
void wake_idle_worker_here(SchedulerShared* shared) {
    LWLockAcquire(shared->lock, LW_SHARED);
    for (int i = 0; i < shared->slot_count; ++i) {
        const WorkerSlot& slot = shared->slots[i];
        if (slot.state == SlotState::Running && slot.idle && slot.database_oid == MyDatabaseId &&
            slot.latch != nullptr) {
            SetLatch(slot.latch);
            break;
        }
    }
    LWLockRelease(shared->lock);
}

// Runs after the commit is durable and visible to other sessions: nothing
// here may fail (an error now could not undo the commit).
void at_transaction_end(XactEvent event, void* /*arg*/) {
    switch (event) {
        case XACT_EVENT_COMMIT: {
            SchedulerShared* shared = scheduler_shared();
            if (wake_pending && shared != nullptr) {
                if (jobs_changed_pending) {
                    pg_atomic_fetch_add_u64(&shared->jobs_version, 1);
                }
                wake_idle_worker_here(shared);
                wake_launcher(shared);
            }
            wake_pending = false;
            jobs_changed_pending = false;
            break;
        }
        case XACT_EVENT_ABORT:
        case XACT_EVENT_PREPARE:  // COMMIT PREPARED happens elsewhere; nothing to carry over
            wake_pending = false;
            jobs_changed_pending = false;
            break;
        default:
            break;
    }
}

}  // namespace

// Called by the extension's SQL functions; see the file comment. With an
// argument (jobs changed or only runs queued) the launcher can skip a reload.
Datum wake_scheduler(FunctionCallInfo fcinfo) {
    if (!callback_registered) {
        RegisterXactCallback(at_transaction_end, nullptr);
        callback_registered = true;
    }
    const bool jobs_changed = PG_NARGS() < 1 || PG_ARGISNULL(0) || PG_GETARG_BOOL(0);
    wake_pending = true;
    jobs_changed_pending = jobs_changed_pending || jobs_changed;
    PG_RETURN_VOID();
}

}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_wake_scheduler);
Datum pg_jobs_wake_scheduler(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::wake_scheduler(fcinfo);
}
