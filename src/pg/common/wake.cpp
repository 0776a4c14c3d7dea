// jobs_internal._wake_scheduler(): wake the launcher (and an idle SQL worker of this
// database) when, and only when, the calling transaction commits - the same
// promise NOTIFY makes, so a trigger that rolls back never runs. The ids of
// the jobs the transaction changed are published at the same moment, so the
// launcher re-reads only those. A prepared transaction's wake waits for its
// COMMIT PREPARED instead (prepared_wakes.hpp).
//
// jobs_internal._wake_owner_worker(owner): the same promise for a run of an SQL job
// queued in this database (jobs.trigger): at commit, an idle worker of the
// (database, owner) pair is woken for each such run, and the launcher only
// when there are not enough of them (it then starts workers). A worker seen
// idle claims at least once more before it may exit, so the run is never
// left waiting; the launcher is spared a pass, and no second worker starts
// for a run the first one takes.
#include "pg/common/wake.hpp"

#include "pg/common/guard.hpp"
#include "pg/common/job_change_log.hpp"
#include "pg/common/prepared_wakes.hpp"
#include "pg/common/shmem.hpp"

extern "C" {
#include "access/xact.h"
#include "miscadmin.h"
}

namespace pg_jobs::pg {
namespace {

// Past this many distinct jobs in one transaction the launcher reloads them
// all: one scan is then cheaper than as many lookups, and the list here and
// in shared memory stays small.
constexpr int kMaxChangedJobs = 1000;
static_assert(kMaxChangedJobs <= JobChangeLog::kCapacity);

bool callback_registered = false;
bool wake_pending = false;        // this transaction asked for a wake
bool alert_pass_pending = false;  // alerts: this transaction defined or changed an alert
// The jobs this transaction changed (distinct), or all_jobs_changed. Plain
// static storage: recording one cannot fail, and commit has nothing to free.
int64 changed_jobs[kMaxChangedJobs];
int changed_job_count = 0;
bool all_jobs_changed = false;
// Runs queued for idle workers of this database, by owner; past
// kMaxOwnerWakes owners the launcher is woken as before.
constexpr int kMaxOwnerWakes = 8;
struct OwnerWake {
    Oid owner;
    int runs;
};
OwnerWake owner_wakes[kMaxOwnerWakes];
int owner_wake_count = 0;
bool launcher_wanted = false;  // a wake only the launcher can serve

void register_callback();

void note_owner_run(Oid owner) {
    register_callback();
    wake_pending = true;
    for (int i = 0; i < owner_wake_count; ++i) {
        if (owner_wakes[i].owner == owner) {
            ++owner_wakes[i].runs;
            return;
        }
    }
    if (owner_wake_count == kMaxOwnerWakes) {
        launcher_wanted = true;
        return;
    }
    owner_wakes[owner_wake_count++] = OwnerWake{owner, 1};
}

void note_job_change(bool known, int64 job_id) {
    if (all_jobs_changed) {
        return;
    }
    if (!known || changed_job_count == kMaxChangedJobs) {
        all_jobs_changed = true;
        return;
    }
    for (int i = 0; i < changed_job_count; ++i) {
        if (changed_jobs[i] == job_id) {
            return;
        }
    }
    changed_jobs[changed_job_count++] = job_id;
}

void forget_transaction() {
    wake_pending = false;
    alert_pass_pending = false;
    changed_job_count = 0;
    all_jobs_changed = false;
    owner_wake_count = 0;
    launcher_wanted = false;
}

// Wakes an idle worker of (this database, owner) for each run noted, taking
// each out of the idle count so that a concurrent commit wakes another.
// False if some run found none (the launcher must then provide one).
bool wake_owner_workers(SchedulerShared* shared) {
    constexpr int kMaxLatches = 64;
    Latch* latches[kMaxLatches];
    int latch_count = 0;
    bool all_served = true;
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    for (int w = 0; w < owner_wake_count; ++w) {
        int runs = owner_wakes[w].runs;
        for (int i = 0; i < shared->slot_count && runs > 0 && latch_count < kMaxLatches; ++i) {
            WorkerSlot& slot = shared->slots[i];
            if (slot.state == SlotState::Running && slot.idle && !slot.remote && !slot.exit_requested &&
                slot.database_oid == MyDatabaseId && slot.owner_oid == owner_wakes[w].owner &&
                slot.latch != nullptr) {
                slot.idle = false;  // busy from now on: it claims before it may exit
                latches[latch_count++] = slot.latch;
                --runs;
            }
        }
        all_served = all_served && runs == 0;
    }
    LWLockRelease(shared->lock);
    for (int i = 0; i < latch_count; ++i) {
        SetLatch(latches[i]);
    }
    return all_served;
}

// Sets the latch of one idle worker connected to this database, so a run
// queued here starts without waiting for the launcher to pass it on. With
// none idle, the latches of the busy ones here: a worker between its last
// claim and its sleep (it found nothing just before this commit) then claims
// again at once instead of sleeping until the launcher passes the run on.
void wake_idle_worker_here(SchedulerShared* shared) {
    LWLockAcquire(shared->lock, LW_SHARED);
    bool woken = false;
    for (int i = 0; i < shared->slot_count && !woken; ++i) {
        const WorkerSlot& slot = shared->slots[i];
        if (slot.state == SlotState::Running && slot.idle && slot.database_oid == MyDatabaseId &&
            slot.latch != nullptr) {
            SetLatch(slot.latch);
            woken = true;
        }
    }
    for (int i = 0; i < shared->slot_count && !woken; ++i) {
        const WorkerSlot& slot = shared->slots[i];
        if (slot.state == SlotState::Running && !slot.remote && slot.database_oid == MyDatabaseId &&
            slot.latch != nullptr) {
            SetLatch(slot.latch);
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
            if (alert_pass_pending && shared != nullptr) {
                LWLockAcquire(shared->lock, LW_EXCLUSIVE);
                shared->alert_pass_requested = true;
                LWLockRelease(shared->lock);
            }
            if (wake_pending && shared != nullptr && (launcher_wanted || !wake_owner_workers(shared))) {
                wake_for_commit(shared, changed_jobs, changed_job_count, all_jobs_changed);
            }
            forget_transaction();
            break;
        }
        case XACT_EVENT_PREPARE: {
            // alerts: a prepared alert change is seen at the next alert pass (its
            // period, or the upkeep's minute), not at COMMIT PREPARED.
            // Prepared, not committed: the xid still identifies it here.
            SchedulerShared* shared = scheduler_shared();
            if (wake_pending && shared != nullptr) {
                park_prepared_wake(shared, GetTopTransactionIdIfAny(), changed_jobs, changed_job_count,
                                   all_jobs_changed);
            }
            forget_transaction();
            break;
        }
        case XACT_EVENT_ABORT:
            forget_transaction();
            break;
        default:
            break;
    }
}

void register_callback() {
    if (!callback_registered) {
        RegisterXactCallback(at_transaction_end, nullptr);
        callback_registered = true;
    }
}

}  // namespace

void wake_for_commit(SchedulerShared* shared, const int64* job_ids, int job_count, bool everything) {
    if (everything || job_count > 0) {
        publish_job_changes(shared, job_ids, job_count, everything);
    }
    wake_idle_worker_here(shared);
    wake_launcher(shared);
}

void note_jobs_changed(const int64* job_ids, int job_count) {
    register_callback();
    launcher_wanted = true;
    wake_pending = true;
    for (int i = 0; i < job_count && !all_jobs_changed; ++i) {
        note_job_change(true, job_ids[i]);
    }
}

// Called by the extension's SQL functions; see the file comment. Arguments
// (both optional): whether job definitions changed (false: only runs were
// queued, no reload needed), and which job (NULL: possibly any).
Datum wake_scheduler(FunctionCallInfo fcinfo) {
    register_callback();
    launcher_wanted = true;
    const bool jobs_changed = PG_NARGS() < 1 || PG_ARGISNULL(0) || PG_GETARG_BOOL(0);
    wake_pending = true;
    if (jobs_changed) {
        const bool known = PG_NARGS() >= 2 && !PG_ARGISNULL(1);
        note_job_change(known, known ? PG_GETARG_INT64(1) : 0);
    }
    PG_RETURN_VOID();
}

// alerts: jobs_internal._request_alert_pass(): at commit, asks the launcher for an
// alert pass (and wakes it).
Datum request_alert_pass(FunctionCallInfo /*fcinfo*/) {
    register_callback();
    launcher_wanted = true;
    wake_pending = true;
    alert_pass_pending = true;
    PG_RETURN_VOID();
}

// Called by jobs.trigger for a run of an SQL job in this database (NULL: the
// launcher decides): see the file comment.
Datum wake_owner_worker(FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(0)) {
        register_callback();
        wake_pending = true;
        launcher_wanted = true;
    } else {
        note_owner_run(PG_GETARG_OID(0));
    }
    PG_RETURN_VOID();
}

}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_wake_owner_worker);
Datum pg_jobs_wake_owner_worker(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._wake_owner_worker",
                                    [&] { return pg_jobs::pg::wake_owner_worker(fcinfo); });
}

PG_JOBS_SQL_FUNCTION(pg_jobs_request_alert_pass);
Datum pg_jobs_request_alert_pass(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._request_alert_pass",
                                    [&] { return pg_jobs::pg::request_alert_pass(fcinfo); });
}

PG_JOBS_SQL_FUNCTION(pg_jobs_wake_scheduler);
Datum pg_jobs_wake_scheduler(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._wake_scheduler",
                                    [&] { return pg_jobs::pg::wake_scheduler(fcinfo); });
}
