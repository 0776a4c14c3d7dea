// Wakes of prepared transactions, parked until COMMIT PREPARED; see
// prepared_wakes.hpp.
#include "pg/common/prepared_wakes.hpp"

#include "pg/common/transaction.hpp"
#include "pg/common/shmem.hpp"
#include "pg/common/wake.hpp"

extern "C" {
#include "access/transam.h"
#include "access/twophase.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "storage/procarray.h"
#include "tcop/utility.h"
}

namespace pg_jobs::pg {
namespace {

ProcessUtility_hook_type previous_utility_hook = nullptr;

// Scratch for hand_over_finished_wakes: static, so nothing on the stack of
// the hook needs destroying and the hook's frame stays small.
TransactionId parked_xids[PreparedWakes::kCapacity];
bool parked_finished[PreparedWakes::kCapacity];
bool parked_committed[PreparedWakes::kCapacity];
PreparedWake committed[PreparedWakes::kCapacity];

void mark_unknown(PreparedWakes& wakes) {
    wakes.unknown = true;
    ++wakes.unknown_since;
}

// After COMMIT/ROLLBACK PREPARED: each parked transaction that has finished
// leaves the array; those that committed wake the launcher with their job
// changes, as their commit callback would have. Prepared transactions are
// "in progress" until then (a dummy PGPROC holds their xid).
void hand_over_finished_wakes() {
    SchedulerShared* shared = scheduler_shared();
    if (shared == nullptr) {
        return;
    }
    PreparedWakes& wakes = shared->prepared_wakes;
    LWLockAcquire(shared->lock, LW_SHARED);
    const int parked = wakes.count;
    const bool unknown = wakes.unknown;
    for (int i = 0; i < parked; ++i) {
        parked_xids[i] = wakes.wakes[i].xid;
    }
    LWLockRelease(shared->lock);
    if (parked == 0 && !unknown) {
        return;
    }
    // The status look-ups read the commit log: outside our lock.
    for (int i = 0; i < parked; ++i) {
        parked_finished[i] = !TransactionIdIsInProgress(parked_xids[i]);
        parked_committed[i] = parked_finished[i] && TransactionIdDidCommit(parked_xids[i]);
    }
    int committed_count = 0;
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    for (int i = 0; i < parked; ++i) {
        if (!parked_finished[i]) {
            continue;
        }
        for (int slot = 0; slot < wakes.count; ++slot) {
            if (wakes.wakes[slot].xid == parked_xids[i]) {
                if (parked_committed[i]) {
                    committed[committed_count++] = wakes.wakes[slot];
                }
                wakes.wakes[slot] = wakes.wakes[--wakes.count];
                break;
            }
        }
    }
    LWLockRelease(shared->lock);
    for (int i = 0; i < committed_count; ++i) {
        wake_for_commit(shared, committed[i].job_ids, committed[i].job_count, committed[i].everything);
    }
    if (unknown) {
        // Whatever the finished transaction did: reload everything. This
        // also lets the launcher look whether any prepared one is left.
        wake_for_commit(shared, nullptr, 0, true);
    }
}

bool finishes_prepared_transaction(const PlannedStmt* statement) {
    const Node* node = statement->utilityStmt;
    if (node == nullptr || !IsA(node, TransactionStmt)) {
        return false;
    }
    const TransactionStmtKind kind = castNode(TransactionStmt, node)->kind;
    return kind == TRANS_STMT_COMMIT_PREPARED || kind == TRANS_STMT_ROLLBACK_PREPARED;
}

// No C++ object lives in this frame: the statement's errors longjmp
// through it. Nothing is done when the statement fails.
void process_utility(PlannedStmt* statement, const char* query, bool read_only_tree,
                     ProcessUtilityContext context, ParamListInfo params, QueryEnvironment* environment,
                     DestReceiver* dest, QueryCompletion* completion) {
    const bool finishes_prepared = finishes_prepared_transaction(statement);
    if (previous_utility_hook != nullptr) {
        previous_utility_hook(statement, query, read_only_tree, context, params, environment, dest,
                              completion);
    } else {
        standard_ProcessUtility(statement, query, read_only_tree, context, params, environment, dest,
                                completion);
    }
    if (finishes_prepared) {
        hand_over_finished_wakes();
    }
}

// Lists prepared transactions (of any database), in a transaction.
bool prepared_transaction_listed() {
    if (SPI_connect() != SPI_OK_CONNECT) {
        elog(ERROR, "pg_jobs: SPI_connect failed");
    }
    const int rc = SPI_execute("SELECT FROM pg_catalog.pg_prepared_xact() LIMIT 1", true, 1);
    if (rc != SPI_OK_SELECT) {
        elog(ERROR, "pg_jobs: unexpected result %s listing prepared transactions",
             SPI_result_code_string(rc));
    }
    const bool found = SPI_processed > 0;
    SPI_finish();
    return found;
}

bool any_prepared_transaction() {
    if (max_prepared_xacts == 0) {
        return false;  // the default: PREPARE TRANSACTION is refused
    }
    bool found = false;
    run_in_transaction([&] { found = prepared_transaction_listed(); });
    return found;
}

}  // namespace

void init_prepared_wakes(PreparedWakes* wakes) {
    wakes->count = 0;
    wakes->unknown = true;
    wakes->unknown_since = 0;
}

void park_prepared_wake(SchedulerShared* shared, TransactionId xid, const int64* job_ids, int job_count,
                        bool everything) {
    PreparedWakes& wakes = shared->prepared_wakes;
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    if (!TransactionIdIsValid(xid) || wakes.count == PreparedWakes::kCapacity) {
        mark_unknown(wakes);
    } else {
        PreparedWake& wake = wakes.wakes[wakes.count++];
        wake.xid = xid;
        wake.everything = everything || job_count > PreparedWake::kJobCapacity;
        wake.job_count = wake.everything ? 0 : job_count;
        for (int i = 0; i < wake.job_count; ++i) {
            wake.job_ids[i] = job_ids[i];
        }
    }
    LWLockRelease(shared->lock);
}

void install_prepared_wake_hook() {
    previous_utility_hook = ProcessUtility_hook;
    ProcessUtility_hook = process_utility;
}

void forget_unknown_prepared_wakes() {
    SchedulerShared* shared = scheduler_shared();
    PreparedWakes& wakes = shared->prepared_wakes;
    LWLockAcquire(shared->lock, LW_SHARED);
    const bool unknown = wakes.unknown;
    const uint64 since = wakes.unknown_since;
    LWLockRelease(shared->lock);
    if (!unknown || any_prepared_transaction()) {
        return;
    }
    // A transaction prepared after the look-up is parked, or bumped
    // unknown_since: then the look-up says nothing about it.
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    if (wakes.unknown_since == since) {
        wakes.unknown = false;
    }
    LWLockRelease(shared->lock);
}

}  // namespace pg_jobs::pg
