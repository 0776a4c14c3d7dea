// jobs_internal._request_cancel(execution_id, kind): the part of jobs.cancel that
// reaches a running run's worker. It acts when, and only when, the calling
// transaction commits - by then the row says who cancelled, and the worker
// that records the outcome can read it:
//  - an SQL run: the slot of the worker running it gets the execution id as
//    its cancel target, and the worker a SIGINT (run_control.hpp);
//  - an HTTP run: the id goes to the HTTP worker (http_cancels.hpp);
//  - a queued run (already cancelled by the transaction): jobs.wait callers
//    are woken.
#include "pg/common/guard.hpp"
#include "pg/common/pg_headers.hpp"
#include "pg/common/shmem.hpp"

#include <csignal>

extern "C" {
#include "access/xact.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
}

namespace pg_jobs::pg {
namespace {

enum class Target : int { Queued, Sql, Http };

struct Request {
    int64 execution_id;
    Target target;
};

bool callback_registered = false;
List* requests = NIL;  // of Request*, in TopTransactionContext

bool slot_runs(const WorkerSlot& slot, int64 execution_id) {
    if (slot.state != SlotState::Running) {
        return false;
    }
    const RunMailbox& box = slot.mailbox;
    return box.running_execution_id == execution_id ||
           (box.state != MailboxState::Empty && box.state != MailboxState::Done &&
            box.execution_id == execution_id);
}

// Under the lock; nothing here can fail.
void deliver(SchedulerShared* shared, const Request& request) {
    if (request.target == Target::Sql) {
        for (int i = 0; i < shared->slot_count; ++i) {
            WorkerSlot& slot = shared->slots[i];
            if (slot_runs(slot, request.execution_id)) {
                slot.mailbox.cancel_execution_id = request.execution_id;
                (void)kill(slot.pid, SIGINT);
                break;
            }
        }
    } else if (request.target == Target::Http) {
        HttpCancels& cancels = shared->http_cancels;
        if (cancels.count < HttpCancels::kCapacity) {
            cancels.execution_ids[cancels.count++] = request.execution_id;
        } else {
            cancels.overflowed = true;
        }
        if (shared->http_worker_latch != nullptr) {
            SetLatch(shared->http_worker_latch);
        }
    }
}

void at_transaction_end(XactEvent event, void* /*arg*/) {
    if (event == XACT_EVENT_PRE_PREPARE && requests != NIL) {
        // The interruption is sent at commit, and COMMIT PREPARED runs no
        // commit callback: refuse rather than cancel nothing.
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("cannot PREPARE a transaction that called jobs.cancel"),
                        errhint("Call jobs.cancel in a transaction that commits normally.")));
    }
    if (event == XACT_EVENT_COMMIT && requests != NIL) {
        SchedulerShared* shared = scheduler_shared();
        if (shared != nullptr) {
            LWLockAcquire(shared->lock, LW_EXCLUSIVE);
            ListCell* cell = nullptr;
            foreach (cell, requests) {
                deliver(shared, *static_cast<const Request*>(lfirst(cell)));
            }
            LWLockRelease(shared->lock);
            ConditionVariableBroadcast(&shared->run_finished);
        }
    }
    if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT || event == XACT_EVENT_PREPARE) {
        requests = NIL;  // its memory goes with TopTransactionContext
    }
}

Datum request_cancel(FunctionCallInfo fcinfo) {
    if (!callback_registered) {
        RegisterXactCallback(at_transaction_end, nullptr);
        callback_registered = true;
    }
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    const char* kind = text_to_cstring(PG_GETARG_TEXT_PP(1));
    MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);
    auto* request = static_cast<Request*>(palloc(sizeof(Request)));
    request->execution_id = PG_GETARG_INT64(0);
    request->target = strcmp(kind, "sql") == 0                                  ? Target::Sql
                      : strcmp(kind, "http") == 0 || strcmp(kind, "email") == 0 ? Target::Http
                                                                                : Target::Queued;
    requests = lappend(requests, request);
    MemoryContextSwitchTo(old);
    PG_RETURN_VOID();
}

}  // namespace
}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_request_cancel);
Datum pg_jobs_request_cancel(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._request_cancel",
                                    [&] { return pg_jobs::pg::request_cancel(fcinfo); });
}
