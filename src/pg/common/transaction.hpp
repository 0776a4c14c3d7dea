// Transactions of a background process's own: the one place where pg_jobs
// starts, commits and rolls back a transaction or subtransaction (lint.sh
// refuses those calls anywhere else). The launcher, the SQL workers and the
// HTTP worker are outside any transaction between their steps; each step of
// database work runs in a transaction of its own through one of:
//
//   run_in_transaction(body)               commits; on failure rolls back and
//                                          rethrows: the caller's step fails
//                                          as a whole (the launcher's
//                                          iteration starts over);
//   try_in_transaction(body, &failure)     commits and returns true; on
//                                          failure rolls back, keeps what
//                                          happened in `failure`, returns false;
//   run_in_transaction_or_log(what, body)  the same, and logs the failure as
//                                          LOG ("<what>: <message>"): the
//                                          process goes on (the next claim,
//                                          the next batch);
//   try_in_subtransaction(body, &failure)  like try_in_transaction, in a
//                                          subtransaction of the current one.
//
// `body` runs under call_pg with an active snapshot: plain PostgreSQL calls,
// or C++ code whose own PostgreSQL calls go through call_pg (no object with a
// destructor in a frame a PostgreSQL error could longjmp over). A PostgreSQL
// error and a C++ exception from it are failures alike. It runs in the
// caller's memory context (as a backend runs a query in MessageContext, not
// in the transaction's): what it allocates is there after the commit, and
// goes when the caller resets that context (the launcher per iteration, a
// worker per run or loop).
//
// How this keeps the boundary (guard.hpp): the catch block only records the
// failure; the rollback and the log come after the catch block ended, each
// under call_pg, so even a PostgreSQL error there becomes a PgError (which
// ends the process through run_worker, logged) instead of a longjmp over C++
// frames. The failure lives in the caller's memory context, not the
// transaction's, so it outlives the rollback; commit and rollback alike
// leave the caller's memory context current (CommitTransactionCommand and
// AbortCurrentTransaction would leave TopMemoryContext).
#pragma once
#include "pg/common/guard.hpp"

#include <exception>
#include <type_traits>

extern "C" {
#include "utils/resowner.h"
}

namespace pg_jobs::pg {

namespace detail {
// The steps, each where PostgreSQL may ereport; see transaction.cpp.
void start_transaction(MemoryContext home);
void commit_transaction(MemoryContext home);
void start_subtransaction(MemoryContext home);
void commit_subtransaction(MemoryContext home, ResourceOwner owner);
// Rollbacks run call_pg themselves (a failure throws PgError).
void roll_back_transaction(MemoryContext home);
void roll_back_subtransaction(MemoryContext home, ResourceOwner owner);
}  // namespace detail

// Logs `failure` (captured by capture_current_exception or one of the
// helpers below) as LOG: "<what>: <message>", its DETAIL, and `hint` when
// given. The ereport runs under call_pg: callable where C++ objects with
// destructors are alive, never from a catch block.
void log_failure(const char* what, const PendingError& failure, const char* hint = nullptr);

// The failure's message, never NULL ("unknown error" when it has none; a
// fixed text for an unexpected failure, whose what() goes to the log only).
const char* failure_message(const PendingError& failure) noexcept;

// Rolls back whatever transaction and subtransactions are open (none:
// nothing to do), for a process that recovers from the failure of a whole
// step (the launcher's iteration) or records a run while it exits. A
// PostgreSQL error here throws PgError.
void roll_back_any_transaction();

// Inside the body of one of the helpers below: commits the transaction so
// far and starts the next one, with its snapshot, for a statement that must
// commit at once (VACUUM, CREATE INDEX CONCURRENTLY: standalone_command.hpp).
// Leaves the new transaction's memory context current; the helper's commit
// or rollback goes back to the caller's. May ereport (the body runs under
// call_pg).
void commit_and_start_next_transaction();

template <typename Body>
bool try_in_transaction(Body&& body, PendingError* failure) {
    static_assert(std::is_trivially_destructible_v<std::decay_t<Body>>,
                  "the body is alive when ereport longjmps; capture by reference only");
    MemoryContext home = CurrentMemoryContext;
    try {
        call_pg([&] {
            detail::start_transaction(home);
            body();
            detail::commit_transaction(home);
        });
        return true;
    } catch (...) {
        MemoryContextSwitchTo(home);  // the failure's copies outlive the rollback
        capture_current_exception("a transaction", failure);
    }
    detail::roll_back_transaction(home);
    return false;
}

template <typename Body>
bool run_in_transaction_or_log(const char* what, Body&& body) {
    PendingError failure;
    if (try_in_transaction(body, &failure)) {
        return true;
    }
    log_failure(what, failure);
    return false;
}

template <typename Body>
void run_in_transaction(Body&& body) {
    static_assert(std::is_trivially_destructible_v<std::decay_t<Body>>,
                  "the body is alive when ereport longjmps; capture by reference only");
    MemoryContext home = CurrentMemoryContext;
    std::exception_ptr failure;
    try {
        call_pg([&] {
            detail::start_transaction(home);
            body();
            detail::commit_transaction(home);
        });
        return;
    } catch (...) {
        failure = std::current_exception();  // a PgError's data is in `home`
    }
    detail::roll_back_transaction(home);
    std::rethrow_exception(failure);
}

template <typename Body>
bool try_in_subtransaction(Body&& body, PendingError* failure) {
    static_assert(std::is_trivially_destructible_v<std::decay_t<Body>>,
                  "the body is alive when ereport longjmps; capture by reference only");
    MemoryContext home = CurrentMemoryContext;
    ResourceOwner owner = CurrentResourceOwner;
    detail::start_subtransaction(home);
    try {
        call_pg([&] {
            body();
            detail::commit_subtransaction(home, owner);
        });
        return true;
    } catch (...) {
        MemoryContextSwitchTo(home);
        capture_current_exception("a subtransaction", failure);
    }
    detail::roll_back_subtransaction(home, owner);
    return false;
}

}  // namespace pg_jobs::pg
