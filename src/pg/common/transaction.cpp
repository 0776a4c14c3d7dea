// The steps of a transaction of a process's own, and the log of its
// failure; see transaction.hpp.
#include "pg/common/transaction.hpp"

extern "C" {
#include "access/xact.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {

namespace detail {

void start_transaction(MemoryContext home) {
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    PushActiveSnapshot(GetTransactionSnapshot());
    MemoryContextSwitchTo(home);  // StartTransactionCommand left TopTransactionContext
}

void commit_transaction(MemoryContext home) {
    PopActiveSnapshot();
    CommitTransactionCommand();
    MemoryContextSwitchTo(home);
}

void roll_back_transaction(MemoryContext home) {
    call_pg([&] {
        AbortCurrentTransaction();
        MemoryContextSwitchTo(home);
    });
}

// BeginInternalSubTransaction switches to the subtransaction's memory and
// resource owner; the body runs in the caller's memory context instead.
void start_subtransaction(MemoryContext home) {
    call_pg([&] {
        BeginInternalSubTransaction(nullptr);
        MemoryContextSwitchTo(home);
    });
}

void commit_subtransaction(MemoryContext home, ResourceOwner owner) {
    ReleaseCurrentSubTransaction();
    MemoryContextSwitchTo(home);
    CurrentResourceOwner = owner;
}

void roll_back_subtransaction(MemoryContext home, ResourceOwner owner) {
    call_pg([&] {
        MemoryContextSwitchTo(home);
        RollbackAndReleaseCurrentSubTransaction();
        MemoryContextSwitchTo(home);
        CurrentResourceOwner = owner;
    });
}

}  // namespace detail

namespace {

struct FailureLog {
    const char* what;
    const PendingError* failure;
    const char* hint;
};

void report_failure(const FailureLog& log) {
    const PendingError& failure = *log.failure;
    if (failure.unexpected) {
        ereport(LOG, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("%s: unexpected failure", log.what),
                      failure.detail_log != nullptr ? errdetail_log("%s", failure.detail_log) : 0,
                      log.hint != nullptr ? errhint("%s", log.hint) : 0));
        return;
    }
    const ErrorData* error = failure.pg_error;
    const char* detail = error != nullptr ? error->detail : failure.detail;
    ereport(LOG, (errcode(error != nullptr ? error->sqlerrcode : failure.sqlstate),
                  errmsg("%s: %s", log.what, failure_message(failure)),
                  detail != nullptr ? errdetail_internal("%s", detail) : 0,
                  log.hint != nullptr ? errhint("%s", log.hint) : 0));
}

}  // namespace

void commit_and_start_next_transaction() {
    if (ActiveSnapshotSet()) {
        PopActiveSnapshot();
    }
    CommitTransactionCommand();
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    PushActiveSnapshot(GetTransactionSnapshot());
}

void roll_back_any_transaction() {
    MemoryContext home = CurrentMemoryContext;
    call_pg([&] {
        AbortOutOfAnyTransaction();
        MemoryContextSwitchTo(home);
    });
}

const char* failure_message(const PendingError& failure) noexcept {
    if (failure.unexpected) {
        return "unexpected failure (a bug in pg_jobs: see the server log)";
    }
    const char* message = failure.pg_error != nullptr ? failure.pg_error->message : failure.message;
    return message != nullptr ? message : "unknown error";
}

void log_failure(const char* what, const PendingError& failure, const char* hint) {
    const FailureLog log{what, &failure, hint};
    call_pg([&] { report_failure(log); });
}

}  // namespace pg_jobs::pg
