// The launcher's database work, each step in its own transaction: reading
// the jobs into the agenda, queueing due and @reboot runs, handing queued
// runs to workers, and cleaning up after lost workers. Every function
// throws PgError on a PostgreSQL error, with the transaction left for the
// caller to abort.
#pragma once
#include "core/job_agenda.hpp"
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "datatype/timestamp.h"
}

namespace pg_jobs::pg {

// The pg_jobs extension in this database, as the launcher finds it.
enum class ExtensionState {
    Missing,       // not created (yet)
    OtherVersion,  // its SQL objects are not those this library expects
    Ready,         // at PG_JOBS_VERSION: jobs may run
};

// Looks the extension up; for OtherVersion, copies its version
// (pg_extension.extversion) into installed_version (at most size bytes).
ExtensionState check_extension(char* installed_version, size_t size);

// How far ahead of its fire time a scheduled run is queued: long enough
// that the launcher's wake-up and the queueing statement are done before
// the instant, short enough that an overlap decision made then (the
// previous run still running) is the one the instant would make. The run
// waits in the queue (not_before = its fire time) and an idle worker starts
// it at the instant (sql_worker.cpp).
constexpr int64 kQueueAheadUs = 25 * 1000;

// How long before a fire time the launcher starts the workers its runs
// will need (warm_pools): starting one (a process, a connection as the
// owner, its caches) takes tens of milliseconds, on a busy machine more,
// and a burst of runs should find them ready at the instant. Workers only:
// the runs are still queued kQueueAheadUs ahead.
constexpr int64 kWarmAheadUs = 1000 * 1000;

// Whether runs due in (`after`, `horizon`] may want more workers than this
// database has: a cheap look (the agenda and shared memory), so that a
// launcher that wakes for every fire time anyway does nothing more.
bool pools_need_warming(const JobAgenda& agenda, TimestampTz after, TimestampTz horizon);

// Starts, ahead of time, the workers that the SQL runs in this database due
// within kWarmAheadUs (and after *warmed_through) will need, per owner, as
// dispatch_queued_runs would once they are queued (within the same limits;
// nobody is asked to leave for them). Advances *warmed_through. A failure
// is logged: the runs then get their workers when queued.
void warm_pools(const JobAgenda& agenda, TimestampTz* warmed_through);

// Queues every run due by now (and those due within kQueueAheadUs, to
// start at their time), in batches. Returns the number queued.
uint64 queue_due_runs(JobAgenda& agenda);

// Queues one run of each enabled @reboot job.
uint64 queue_reboot_runs(const JobAgenda& agenda);

// Runs left 'running' by a process that is gone become 'crashed'.
uint64 recover_lost_runs();

// Runs still 'running' past their timeout plus a grace period, with no live
// worker, become 'crashed' (a periodic check: recover_lost_runs only runs
// at launcher start and when a worker exit is noticed).
uint64 recover_stuck_runs();

// Wakes or starts workers for the (database, owner) pairs with queued runs,
// fairly across owners (worker_pool.hpp), and fails the runs no worker can
// serve: of databases gone or closed, and of owners who may not log in or
// connect there (owner_access.hpp). Returns false when workers were needed
// but could not be started (try again soon).
bool dispatch_queued_runs();

}  // namespace pg_jobs::pg
