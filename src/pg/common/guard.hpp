// The border between C++ and PostgreSQL's longjmp errors. Its helpers:
//   run_guarded  wraps the body of every SQL-callable function and turns any
//                C++ exception into an ereport(ERROR) with a proper SQLSTATE;
//   call_pg      runs a PostgreSQL call that may ereport from code where C++
//                objects are alive, and rethrows its error as PgError.
// run_guarded_hiding_internals is run_guarded for the public functions that
// call the extension's internal ones: their errors lose the internal CONTEXT.
// Background workers' main functions use run_worker (worker_main.hpp) the
// way SQL functions use run_guarded; a process's own transactions go through
// transaction.hpp. No other file uses PG_TRY, and lint.sh checks it.
//
// The rules on either side of the border:
//  - No C++ exception leaves an extern "C" entry point (SQL function,
//    background worker main, hook): run_guarded / run_worker catch them all.
//  - No ereport (any level: a LOG or WARNING whose reporting fails becomes
//    an ERROR) and no other PostgreSQL call that may ereport where its
//    longjmp would skip a C++ object with a destructor, or a catch block:
//    between the call and the nearest PG_TRY (call_pg, or the server's own
//    handler above an entry point) no frame may hold such an object. Where
//    one does, the call goes through call_pg; log_failure (transaction.hpp)
//    logs that way.
//  - A catch block only records what happened (capture_current_exception,
//    or keeps the PgError's ErrorData); reporting, rolling back and further
//    PostgreSQL calls come after the catch block ended. run_guarded,
//    run_worker and the transaction helpers are written that way.
//
// Catching a PgError and going on without a rollback. PostgreSQL's rule for
// PG_CATCH applies to call_pg too: after an error, the transaction (or
// subtransaction) is in an unknown state - locks, buffer pins, snapshots,
// open relations, half-done catalog or table changes - until it is rolled
// back. So a caught PgError is either rethrown (`throw;`, or left to
// run_guarded / run_worker), or followed by a rollback before any further
// PostgreSQL call: the transaction helpers of transaction.hpp do both, and
// are the way to catch the failure of database work. One exception: the
// call that failed was a pure input function - it parses, converts or
// formats a value in memory (jsonb_in, interval_in, an encoding conversion,
// psprintf), touching no table, lock, buffer, catalog or shared state - so
// the error left nothing behind but palloc'd memory. Such a catch says
// "pure input function" in a comment on its line (lint.sh looks for it),
// and may then use the error (its message, SQLSTATE) and carry on. Never
// catch a query's, SPI's or a store function's error that way.
#pragma once
#include "pg/common/pg_headers.hpp"

#include <exception>
#include <string>
#include <type_traits>
#include <utility>

namespace pg_jobs::pg {

// A PostgreSQL error caught by call_pg, carried through C++ frames until
// run_guarded rethrows it unchanged (SQLSTATE, message, detail, hint).
class PgError final : public std::exception {
public:
    explicit PgError(ErrorData* data) noexcept : data_(data) {}
    ErrorData* data() const noexcept { return data_; }
    const char* what() const noexcept override;

private:
    ErrorData* data_;  // palloc'd in the memory context current at the call
};

// An error the user caused (bad schedule, unknown zone, bad count).
class UserError final : public std::exception {
public:
    UserError(int sqlstate, std::string message, std::string detail = {}, std::string hint = {})
        : sqlstate_(sqlstate),
          message_(std::move(message)),
          detail_(std::move(detail)),
          hint_(std::move(hint)) {}
    int sqlstate() const noexcept { return sqlstate_; }
    const std::string& message() const noexcept { return message_; }
    const std::string& detail() const noexcept { return detail_; }
    const std::string& hint() const noexcept { return hint_; }
    const char* what() const noexcept override { return message_.c_str(); }

private:
    int sqlstate_;
    std::string message_;
    std::string detail_;
    std::string hint_;
};

// What run_guarded reports once every C++ frame of the body is gone. Plain
// pointers only, so nothing needs destroying when ereport longjmps away.
struct PendingError {
    ErrorData* pg_error = nullptr;  // rethrown as is when set
    int sqlstate = 0;
    const char* message = nullptr;
    const char* detail = nullptr;
    const char* hint = nullptr;
    const char* detail_log = nullptr;    // server log only (never shown to clients)
    bool unexpected = false;             // not a PostgreSQL or user error: a bug
    const char* function_name = "";      // SQL name, for unexpected failures
    bool hide_internal_context = false;  // see run_guarded_hiding_internals
};
static_assert(std::is_trivially_destructible_v<PendingError>);

// Call only inside a catch block: copies the exception being handled into
// `out` (strings copied with palloc that cannot itself ereport).
void capture_current_exception(const char* function_name, PendingError* out) noexcept;

// ereports `pending` (or rethrows the PostgreSQL error it holds).
[[noreturn]] void raise_pending(const PendingError& pending);

// Throws what `pending` holds as a C++ exception again: its PgError, a
// UserError (with its SQLSTATE and texts), or std::runtime_error for an
// unexpected failure (what the original said is in detail_log).
[[noreturn]] void rethrow_pending(const PendingError& pending);

// ereport(elevel) of a ready-made message (and hint, or nullptr) below
// ERROR (LOG, WARNING, DEBUG1), for code where C++ objects with destructors
// are alive: the ereport runs under call_pg, so a failure to report throws
// PgError instead of longjmping over them. Never from a catch block.
void report(int elevel, const char* message, const char* hint = nullptr);

// Runs `body` (returning Datum) for the SQL function `function_name`. The body
// may call PostgreSQL directly only while it holds no object with a
// destructor; elsewhere it goes through call_pg.
template <typename Body>
Datum run_guarded(const char* function_name, Body&& body) {
    static_assert(std::is_trivially_destructible_v<std::decay_t<Body>>,
                  "the body is alive when ereport longjmps; capture by reference only");
    PendingError pending;
    try {
        return body();
    } catch (...) {
        capture_current_exception(function_name, &pending);
    }
    raise_pending(pending);  // the exception object is gone by now
}

// Like run_guarded, for a public function whose body calls the extension's
// internal functions (jobs.schedule calling jobs_internal._schedule, ...): a
// PostgreSQL error raised in there keeps its SQLSTATE, message, DETAIL, HINT
// and the rest, but loses the CONTEXT lines and internal query the internals
// added; the caller's own context (its PL/pgSQL function, say) is kept. A
// user sees the error as PostgreSQL's own commands show theirs.
template <typename Body>
Datum run_guarded_hiding_internals(const char* function_name, Body&& body) {
    static_assert(std::is_trivially_destructible_v<std::decay_t<Body>>,
                  "the body is alive when ereport longjmps; capture by reference only");
    PendingError pending;
    try {
        return body();
    } catch (...) {
        capture_current_exception(function_name, &pending);
    }
    pending.hide_internal_context = true;
    raise_pending(pending);  // the exception object is gone by now
}

namespace detail {
// Runs fn(arg) under PG_TRY; on a PostgreSQL error returns the copied
// ErrorData (and the caller throws it as PgError), otherwise nullptr.
// `fn` must not throw: a C++ exception cannot pass through PG_TRY.
ErrorData* run_catching_pg_errors(void (*fn)(void*), void* arg) noexcept;

// Result holder for call_pg; void results hold nothing.
template <typename Result>
struct CallResult {
    Result value{};
    template <typename Fn>
    void run(Fn& fn) {
        value = fn();
    }
    Result get() { return value; }
};
template <>
struct CallResult<void> {
    template <typename Fn>
    void run(Fn& fn) {
        fn();
    }
    void get() {}
};
}  // namespace detail

// Runs `fn` (a PostgreSQL call that may ereport) and returns its result; a
// PostgreSQL error becomes a PgError exception. `fn` itself must hold no
// objects with destructors: the longjmp skips its frame. A C++ exception
// from `fn` is carried past PG_TRY and rethrown here.
template <typename Fn>
auto call_pg(Fn&& fn) -> decltype(fn()) {
    using Result = decltype(fn());
    static_assert(std::is_void_v<Result> || std::is_trivially_destructible_v<Result>,
                  "PostgreSQL calls return plain values; build C++ objects after call_pg");
    struct Call {
        std::remove_reference_t<Fn>* fn;
        detail::CallResult<Result> result;
        std::exception_ptr exception;  // lives in this frame, which no longjmp skips
    } call{&fn, {}, nullptr};
    auto thunk = [](void* arg) {
        auto* c = static_cast<Call*>(arg);
        try {
            c->result.run(*c->fn);
        } catch (...) {
            c->exception = std::current_exception();
        }
    };
    if (ErrorData* error = detail::run_catching_pg_errors(thunk, &call)) {
        throw PgError(error);
    }
    if (call.exception) {
        std::rethrow_exception(call.exception);
    }
    return call.result.get();
}

}  // namespace pg_jobs::pg
