// The HTTP worker: one background worker in jobs.database that performs
// every HTTP run (see http_worker.cpp). The launcher starts it when HTTP runs
// are queued and wakes it for new ones; it exits after
// jobs.worker_idle_timeout without work.
#pragma once
#include "pg/common/pg_headers.hpp"

namespace pg_jobs::pg {

// Launcher side: sets the running HTTP worker's latch, or starts one.
// Returns false when it could not be started (max_worker_processes
// exhausted): the caller tries again later.
bool wake_or_start_http_worker();

// Whether the HTTP worker this launcher started last has stopped, said once
// per worker (the postmaster sets our latch for it; one that attached also
// wakes us as it exits, one that failed to start does not).
bool http_worker_stopped();

}  // namespace pg_jobs::pg

// Entry point the postmaster calls (by name) in the HTTP worker process.
extern "C" PGDLLEXPORT void pg_jobs_http_worker_main(Datum argument);
