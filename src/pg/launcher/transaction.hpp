// The launcher does each step of its database work in a transaction of its
// own; this runs one, turning a PostgreSQL error into PgError with the
// transaction left for the caller to abort.
#pragma once
#include "pg/common/guard.hpp"
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "access/xact.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {

// Runs `body` (plain C calls only) in a transaction of its own and leaves
// the caller's memory context current (commit would switch away).
template <typename Body>
void run_in_transaction(Body&& body) {
    MemoryContext caller = CurrentMemoryContext;
    call_pg([&] {
        SetCurrentStatementStartTimestamp();
        StartTransactionCommand();
        PushActiveSnapshot(GetTransactionSnapshot());
        body();
        PopActiveSnapshot();
        CommitTransactionCommand();
        MemoryContextSwitchTo(caller);
    });
}

}  // namespace pg_jobs::pg
