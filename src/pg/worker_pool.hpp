// The launcher's side of the SQL worker pool: reserving shared-memory slots,
// starting dynamic background workers, waking them, noticing their exit.
// Called from the launcher process only.
#pragma once
#include "pg/pg_headers.hpp"

namespace pg_jobs::pg {

// Forgets workers that have exited (their slots become free); returns true
// if any did, so the caller can look for runs they left 'running'.
bool reap_exited_workers();

// Makes sure runs queued for `database_oid` get picked up: wakes that
// database's workers and starts more (up to jobs.max_workers) if fewer
// workers than `queued` runs exist. Returns false when a needed worker could
// not be started (max_worker_processes exhausted): the caller retries later.
bool provide_workers(Oid database_oid, int64 queued);

}  // namespace pg_jobs::pg

// Entry point the postmaster calls (by name) in each SQL worker process.
extern "C" PGDLLEXPORT void pg_jobs_sql_worker_main(Datum slot_index);

namespace pg_jobs::pg {
// What the launcher hands a worker besides the slot index (bgw_extra).
struct WorkerStartInfo {
    uint32 generation;
    Oid database_oid;
};
}  // namespace pg_jobs::pg
