// The launcher's side of the SQL worker pool: reserving shared-memory slots,
// starting dynamic background workers, waking them, noticing their exit.
// Called from the launcher process only.
#pragma once
#include "pg/pg_headers.hpp"

namespace pg_jobs::pg {

// Forgets workers that have exited (their slots become free); returns true
// if any did, so the caller can look for runs they left 'running'.
bool reap_exited_workers();

enum class WorkerSupply {
    Enough,   // the database has (or is getting) the workers it needs
    Retry,    // a worker could not be started (max_worker_processes): try again later
    Starved,  // it has no worker and every jobs.max_workers slot is taken
};

// Makes sure runs queued for `database_oid` get picked up: wakes that
// database's workers and starts more (up to jobs.max_workers) if fewer
// workers than `queued` runs exist.
WorkerSupply provide_workers(Oid database_oid, int64 queued);

// Asks one idle worker whose database is not among `busy` (the databases
// with queued runs) to exit, so a starved database can get its slot.
// Returns false if no worker is idle elsewhere.
bool retire_idle_worker(const Oid* busy, int busy_count);

// Wakes the idle workers connected to `database_oid` that claim runs
// themselves (not those handed runs by the launcher): runs were just queued
// there. Takes the lock briefly; cannot fail.
void wake_idle_workers(Oid database_oid);

}  // namespace pg_jobs::pg

// Entry point the postmaster calls (by name) in each SQL worker process.
extern "C" PGDLLEXPORT void pg_jobs_sql_worker_main(Datum slot_index);

namespace pg_jobs::pg {
// What the launcher hands a worker besides the slot index (bgw_extra).
struct WorkerStartInfo {
    uint32 generation;
    Oid database_oid;
    bool remote;  // not the launcher's database: runs come through the mailbox
};
}  // namespace pg_jobs::pg
