// The launcher's side of the SQL worker pool: reserving shared-memory slots,
// starting dynamic background workers, waking them, noticing their exit.
// Called from the launcher process only.
#pragma once
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "datatype/timestamp.h"
}

namespace pg_jobs::pg {

// Forgets workers that have exited (their slots become free); returns true
// if any did, so the caller can look for runs they left 'running'.
bool reap_exited_workers();

// Whether a worker this launcher started has stopped since the last reap
// (the postmaster sets our latch for it, not wake_launcher). Reads only.
bool any_worker_stopped();

enum class WorkerSupply {
    Enough,   // every pair has (or is getting) the workers it may have
    Retry,    // a worker could not be started (max_worker_processes): try again later; the pairs
              // left without one are in *starved, as if every slot were taken
    Starved,  // a pair with queued runs has no worker and every jobs.max_workers slot is taken
};

// The queued runs of one (database, owner) pair. A worker serves one pair
// for its whole life.
struct RunQueue {
    Oid database_oid;
    Oid owner_oid;
    bool login_as_owner;  // see WorkerStartInfo
    bool may_start;       // false: connection limits allow no new session of the owner now
    int64 queued;
};

// Pairs with queued runs left without any worker: `pairs` in all, of which
// `under_limit` belong to owners below jobs.max_running_per_owner; and
// `uncovered_runs`: queued runs of owners below their limit that no worker
// (idle, starting or planned) is there for.
struct Starved {
    int pairs;
    int under_limit;
    int uncovered_runs;
};

// Makes sure the queued runs get picked up: wakes each pair's workers and
// starts more for the pairs whose runs outnumber their idle workers, up to
// jobs.max_workers in all and jobs.max_running_per_owner per owner, free
// slots going to the owners with the fewest workers first. `*starved`: the
// pairs left without any worker (every slot taken, no process slot left
// for a new one, or the owner's workers serving its other pairs).
WorkerSupply provide_workers(const RunQueue* queues, int count, Starved* starved);

// Asks workers to exit so that the starved pairs get a slot (counting
// workers already leaving): idle ones of pairs without queued runs (as many
// as there are starved pairs or uncovered runs), then, for pairs without any
// worker whose owner is below its limit, one of the owner holding the most
// workers (idle, else busy: it exits after its run instead of claiming
// another). Returns false when runs stay uncovered although no idle worker
// could be asked: one may only have been between a claim and its sleep
// (woken by the same commit), so the caller looks again shortly.
bool retire_workers(const RunQueue* queues, int queue_count, const Starved& starved);

// Wakes the idle workers connected to `database_oid` that claim runs
// themselves (not those handed runs by the launcher), and the busy ones too
// if `busy_too`: runs were just queued there. Takes the lock briefly; cannot
// fail.
void wake_idle_workers(Oid database_oid, bool busy_too = false);

// How many workers (starting, idle or busy) serve pairs of the launcher's
// own database. Reads shared memory only.
int local_worker_count();

// Records that runs were queued ahead, up to fire time `latest`
// (SchedulerShared::queued_ahead_until).
void note_runs_queued_ahead(TimestampTz latest);

// Whether runs queued ahead may be waiting for their fire time now (asked
// by the SQL workers).
bool runs_queued_ahead();

}  // namespace pg_jobs::pg

// Entry point the postmaster calls (by name) in each SQL worker process.
extern "C" PGDLLEXPORT void pg_jobs_sql_worker_main(Datum slot_index);

namespace pg_jobs::pg {
// What the launcher hands a worker besides the slot index (bgw_extra).
struct WorkerStartInfo {
    uint32 generation;
    Oid database_oid;
    Oid owner_oid;  // the role whose runs it runs, and that it connects as
    bool remote;    // not the launcher's database: runs come through the mailbox
    // false only for a superuser owner without LOGIN (PostgreSQL 15 lets no
    // process connect as a role that may not log in): the worker then
    // connects as the bootstrap superuser and becomes the owner by
    // SetSessionAuthorization, superuser to superuser.
    bool login_as_owner;
};
}  // namespace pg_jobs::pg
