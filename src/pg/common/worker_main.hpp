// run_worker: the body of every background worker's main function
// (launcher, SQL worker, HTTP worker) runs inside it.
//
// Why: a C++ exception that escapes a worker's main (std::bad_alloc, a
// PgError no inner handler took, a bug) reaches std::terminate, and abort()
// is a crash to the postmaster, which then restarts every backend of the
// server. Caught here instead, it is logged and the worker alone exits with
// status 1, an ordinary failure: the postmaster restarts it if its
// bgw_restart_time says so, and the launcher marks a run it left crashed.
// A PostgreSQL ERROR raised outside call_pg still ends the worker the usual
// way (bgworker.c's handler); the body holds no C++ object with a destructor
// while that can happen.
#pragma once
#include "pg/common/guard.hpp"

#include <type_traits>

namespace pg_jobs::pg {

// Logs the failure captured in `failure` and exits with status 1.
[[noreturn]] void exit_worker_after_failure(const char* worker_name, const PendingError& failure);

// Runs `body` (returning void) for the worker called `worker_name` in the
// log ("pg_jobs launcher"); returns when the body does.
template <typename Body>
void run_worker(const char* worker_name, Body&& body) {
    static_assert(std::is_trivially_destructible_v<std::decay_t<Body>>,
                  "the body is alive when ereport longjmps; capture by reference only");
    PendingError failure;
    try {
        body();
        return;
    } catch (...) {
        capture_current_exception(worker_name, &failure);
    }
    exit_worker_after_failure(worker_name, failure);  // the exception object is gone by now
}

}  // namespace pg_jobs::pg
