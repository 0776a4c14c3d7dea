// The launcher process: sleeps on its latch until the earliest fire time or
// a wake-up (a job changed, a run was triggered, a worker exited), then
// queues due runs and hands queued runs to the SQL workers. It never polls:
// the only timed wake-ups are the next fire time, the wait for the extension
// to be created, and a retry after an error.
#include "core/job_agenda.hpp"
#include "pg/launcher.hpp"

#include "pg/guard.hpp"
#include "pg/gucs.hpp"
#include "pg/launcher_jobs.hpp"
#include "pg/shmem.hpp"
#include "pg/worker_pool.hpp"

#include <new>

extern "C" {
#include "access/xact.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {
namespace {

// How often to look for the extension while it does not exist (CREATE
// EXTENSION also wakes the launcher if the install script calls
// jobs._wake_scheduler), and for promotion while in recovery.
constexpr long kExtensionCheckMs = 5000;
constexpr long kRecoveryCheckMs = 1000;
// After an error (or when a worker could not be started), try again after this.
constexpr long kRetryMs = 1000;
// The longest sleep: only a safety net (e.g. a wall-clock jump), never the
// way work is found.
constexpr long kMaxSleepMs = 5 * 60 * 1000;

// Everything the launcher keeps between iterations. Allocated once and
// never destroyed (it lives as long as the process), so no C++ destructor
// is pending on the stack when PostgreSQL calls run outside call_pg.
struct LauncherState {
    JobAgenda agenda;
    uint64 loaded_jobs_version = 0;  // 0: jobs not loaded
    bool extension_ready = false;
    bool announced_missing_extension = false;
    TimestampTz retry_at = 0;  // no database work before this (after an error)
};
LauncherState* state = nullptr;
MemoryContext iteration_context = nullptr;

void clear_launcher_registration(int /*code*/, Datum /*arg*/) {
    SchedulerShared* shared = scheduler_shared();
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    if (shared->launcher_pid == MyProcPid) {
        shared->launcher_pid = 0;
        shared->launcher_latch = nullptr;
    }
    LWLockRelease(shared->lock);
}

void register_in_shared_memory() {
    SchedulerShared* shared = scheduler_shared();
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    shared->launcher_pid = MyProcPid;
    shared->launcher_latch = MyLatch;
    LWLockRelease(shared->lock);
    on_shmem_exit(clear_launcher_registration, 0);
}

long milliseconds_until(TimestampTz at) {
    const TimestampTz now = GetCurrentTimestamp();
    if (at <= now) {
        return 0;
    }
    const int64 ms = (at - now + 999) / 1000;  // round up: never wake before the fire time
    return ms > kMaxSleepMs ? kMaxSleepMs : static_cast<long>(ms);
}

// First work once the extension exists: runs interrupted by a crash, then
// the jobs, then @reboot runs (once per server start, not per launcher start).
void start_scheduling() {
    recover_lost_runs();
    const uint64 version = pg_atomic_read_u64(&scheduler_shared()->jobs_version);
    load_jobs(state->agenda, GetCurrentTimestamp());
    state->loaded_jobs_version = version;
    SchedulerShared* shared = scheduler_shared();
    if (!shared->reboot_jobs_queued) {
        const uint64 queued = queue_reboot_runs(state->agenda);
        shared->reboot_jobs_queued = true;
        if (queued > 0) {
            ereport(LOG,
                    (errmsg("pg_jobs: queued %llu @reboot run(s)", static_cast<unsigned long long>(queued))));
        }
    }
    ereport(LOG, (errmsg("pg_jobs launcher: scheduling %zu job(s)", state->agenda.job_count())));
}

// One pass of the loop; returns how long to sleep (ms; -1: until woken).
long iteration() {
    if (RecoveryInProgress()) {
        return kRecoveryCheckMs;  // a standby runs nothing; look again for promotion
    }
    const bool worker_exited = call_pg([] { return reap_exited_workers(); });
    if (GetCurrentTimestamp() < state->retry_at) {
        return milliseconds_until(state->retry_at);
    }
    if (!state->extension_ready) {
        if (!extension_exists()) {
            if (!state->announced_missing_extension) {
                ereport(LOG,
                        (errmsg("pg_jobs launcher: waiting for CREATE EXTENSION pg_jobs in database \"%s\"",
                                jobs_database())));
                state->announced_missing_extension = true;
            }
            return kExtensionCheckMs;
        }
        state->extension_ready = true;
        state->announced_missing_extension = false;
        start_scheduling();
    } else {
        // Read the version before loading: a change committed during the
        // load bumps it again and causes another reload.
        const uint64 version = pg_atomic_read_u64(&scheduler_shared()->jobs_version);
        if (version != state->loaded_jobs_version) {
            load_jobs(state->agenda, GetCurrentTimestamp());
            state->loaded_jobs_version = version;
            ereport(DEBUG1, (errmsg("pg_jobs launcher: reloaded %zu job(s)", state->agenda.job_count())));
        }
        if (worker_exited) {
            recover_lost_runs();
        }
    }
    queue_due_runs(state->agenda);
    const bool workers_ok = dispatch_queued_runs();

    long sleep_ms = -1;
    if (const auto next = state->agenda.next_fire_time()) {
        sleep_ms = milliseconds_until(*next);
    }
    if (!workers_ok && (sleep_ms < 0 || sleep_ms > kRetryMs)) {
        sleep_ms = kRetryMs;
    }
    return sleep_ms < 0 ? kMaxSleepMs : sleep_ms;
}

// Runs one iteration; a PostgreSQL error is logged, its transaction aborted
// and the launcher starts over (re-checking the extension, reloading jobs)
// after a pause, instead of exiting.
long guarded_iteration() {
    ErrorData* error = nullptr;
    bool unexpected = false;
    long sleep_ms = kRetryMs;
    try {
        sleep_ms = iteration();
    } catch (const PgError& pg_error) {
        error = pg_error.data();
    } catch (const std::bad_alloc&) {
        unexpected = true;
    } catch (...) {
        unexpected = true;
    }
    if (error == nullptr && !unexpected) {
        return sleep_ms;
    }
    AbortCurrentTransaction();
    MemoryContextSwitchTo(iteration_context);
    if (error != nullptr) {
        ereport(LOG, (errmsg("pg_jobs launcher: %s", error->message != nullptr ? error->message : "error"),
                      error->detail != nullptr ? errdetail_internal("%s", error->detail) : 0,
                      errhint("The launcher retries in a second.")));
    } else {
        ereport(LOG, (errmsg("pg_jobs launcher: unexpected failure; retrying in a second")));
    }
    state->extension_ready = false;  // maybe dropped: check again, reload everything
    state->loaded_jobs_version = 0;
    state->retry_at = GetCurrentTimestamp() + kRetryMs * 1000;
    return kRetryMs;
}

}  // namespace

void register_launcher() {
    BackgroundWorker worker{};
    worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    // A standby's launcher would only wait: start it when recovery ends
    // (at promotion), and check RecoveryInProgress anyway.
    worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
    worker.bgw_restart_time = 5;
    snprintf(worker.bgw_library_name, BGW_MAXLEN, "pg_jobs");
    snprintf(worker.bgw_function_name, BGW_MAXLEN, "pg_jobs_launcher_main");
    snprintf(worker.bgw_name, BGW_MAXLEN, "pg_jobs launcher");
    snprintf(worker.bgw_type, BGW_MAXLEN, "pg_jobs launcher");
    RegisterBackgroundWorker(&worker);
}

}  // namespace pg_jobs::pg

void pg_jobs_launcher_main(Datum /*argument*/) {
    using namespace pg_jobs::pg;
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGTERM, die);  // exits at the next CHECK_FOR_INTERRUPTS
    BackgroundWorkerUnblockSignals();
    BackgroundWorkerInitializeConnection(jobs_database(), nullptr, 0);
    register_in_shared_memory();
    // The launcher runs no user code; keep name lookups to the catalog.
    SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);

    iteration_context =
        AllocSetContextCreate(TopMemoryContext, "pg_jobs launcher iteration", ALLOCSET_DEFAULT_SIZES);
    state = new LauncherState();
    ereport(LOG, (errmsg("pg_jobs launcher started in database \"%s\"", jobs_database())));

    for (;;) {
        CHECK_FOR_INTERRUPTS();
        if (ConfigReloadPending) {
            ConfigReloadPending = false;
            ProcessConfigFile(PGC_SIGHUP);
        }
        MemoryContextReset(iteration_context);
        MemoryContextSwitchTo(iteration_context);
        const long sleep_ms = guarded_iteration();
        pgstat_report_activity(STATE_IDLE, nullptr);
        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, sleep_ms,
                        PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
    }
}
