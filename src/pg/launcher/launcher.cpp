// The launcher process: sleeps on its latch until the earliest fire time or
// a wake-up (a job changed, a run was triggered, a worker exited), then
// queues due runs and hands queued runs to the SQL workers. It never polls
// for work: the only timed wake-ups are the next fire time, the earliest
// retry waiting for its backoff, the next upkeep pass (history retention and
// the stuck-run check, once a minute), the wait for the extension to be
// created (or updated to this library's version), and a retry after an error.
#include "core/budget_batch.hpp"
#include "core/job_agenda.hpp"
#include "pg/launcher/launcher.hpp"

#include "pg/store/execution_store.hpp"
#include "pg/common/event_relay.hpp"
#include "pg/store/store_call.hpp"
#include "pg/common/guard.hpp"
#include "pg/common/gucs.hpp"
#include "pg/common/job_change_log.hpp"
#include "pg/launcher/job_loading.hpp"
#include "pg/launcher/run_steps.hpp"
#include "pg/launcher/memory_release.hpp"
#include "pg/common/transaction.hpp"
#include "pg/launcher/upkeep.hpp"
#include "pg/launcher/alert_pass.hpp"
#include "pg/common/prepared_wakes.hpp"
#include "pg/common/shmem.hpp"
#include "pg/http/http_worker.hpp"
#include "pg/launcher/worker_pool.hpp"
#include "pg/store/workflow_store.hpp"
#include "pg/common/worker_main.hpp"

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

// How often to look for the extension while it does not exist or is at
// another version than the library (ALTER EXTENSION pg_jobs UPDATE also
// wakes the launcher: the upgrade script calls jobs_internal._wake_scheduler), and for
// promotion while in recovery.
constexpr long kExtensionCheckMs = 5000;
constexpr long kRecoveryCheckMs = 1000;
// After an error (or when a worker could not be started), try again after this.
constexpr long kRetryMs = 1000;
// How long a pass starts workflow runs at most (see iteration).
constexpr long kWorkflowStartBudgetMs = 100;
// The most workflow runs one call starts (batch_within_budget).
constexpr int kWorkflowStartsPerCall = 64;
// The longest sleep: only a safety net (e.g. a wall-clock jump), never the
// way work is found.
constexpr long kMaxSleepMs = 5 * 60 * 1000;

// Everything the launcher keeps between iterations. Allocated once and
// never destroyed (it lives as long as the process), so no C++ destructor
// is pending on the stack when PostgreSQL calls run outside call_pg.
struct LauncherState {
    JobAgenda agenda;
    JobChangeCursor job_changes;                  // how far the agenda follows the change log
    int64 changed_jobs[JobChangeLog::kCapacity];  // scratch for read_job_changes
    bool extension_ready = false;
    bool announced_missing_extension = false;
    // The extension version last reported as not this library's ("": none),
    // so the warning is written once per version found, not every check.
    char announced_version[NAMEDATALEN] = "";
    TimestampTz retry_at = 0;        // no database work before this (after an error)
    TimestampTz warmed_through = 0;  // warm_pools has looked at the fire times up to this
};
LauncherState* state = nullptr;
MemoryContext iteration_context = nullptr;

void clear_launcher_registration(int /*code*/, Datum /*arg*/) {
    SchedulerShared* shared = scheduler_shared();
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    if (shared->launcher_pid == MyProcPid) {
        shared->launcher_pid = 0;
        shared->launcher_latch = nullptr;
        shared->launcher_started_at = 0;
        shared->next_fire_at = 0;
    }
    LWLockRelease(shared->lock);
}

void register_in_shared_memory() {
    SchedulerShared* shared = scheduler_shared();
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    shared->launcher_pid = MyProcPid;
    shared->launcher_latch = MyLatch;
    shared->launcher_started_at = GetCurrentTimestamp();
    shared->next_fire_at = 0;
    LWLockRelease(shared->lock);
    on_shmem_exit(clear_launcher_registration, 0);
}

// events: how long the events of a burst of runs gather before they are
// sent, and the least time between two sends: under a stream of runs the
// launcher sends at most 100 batches a second, each one transaction,
// instead of one for nearly every run.
constexpr long kEventGatherMs = 1;
constexpr long kEventSendIntervalMs = 10;

long milliseconds_until(TimestampTz at) {
    const TimestampTz now = GetCurrentTimestamp();
    if (at <= now) {
        return 0;
    }
    const int64 ms = (at - now + 999) / 1000;  // round up: never wake before the fire time
    return ms > kMaxSleepMs ? kMaxSleepMs : static_cast<long>(ms);
}

double milliseconds_since(TimestampTz start) {
    return static_cast<double>(GetCurrentTimestamp() - start) / 1000.0;
}

// Loads every job. The change log is read first: a change committed during
// the load shows up there and is applied next time.
void reload_all_jobs(bool at_start = false) {
    int ignored = 0;
    (void)read_job_changes(scheduler_shared(), &state->job_changes, state->changed_jobs, &ignored);
    const TimestampTz started = GetCurrentTimestamp();
    load_jobs(state->agenda, started, at_start);
    call_pg([] { forget_kept_plans(); });  // the tables may have grown since they were planned
    release_memory_after_load();
    ereport(DEBUG1, (errmsg("pg_jobs launcher: loaded %zu job(s) in %.3f ms", state->agenda.job_count(),
                            milliseconds_since(started))));
}

// Follows the jobs committed transactions changed: re-reads just those rows,
// or everything when the change log says so (a change without a job id, too
// many at once).
void refresh_jobs() {
    int count = 0;
    switch (read_job_changes(scheduler_shared(), &state->job_changes, state->changed_jobs, &count)) {
        case JobChanges::None:
            return;
        case JobChanges::Everything:
            reload_all_jobs();
            return;
        case JobChanges::Some: {
            const TimestampTz started = GetCurrentTimestamp();
            apply_job_changes(state->agenda, state->changed_jobs, count, started);
            ereport(DEBUG1, (errmsg("pg_jobs launcher: applied %d job change(s) in %.3f ms", count,
                                    milliseconds_since(started))));
            return;
        }
    }
}

// First work once the extension exists: runs interrupted by a crash, then
// the jobs, then @reboot runs (once per server start, not per launcher start).
void start_scheduling() {
    recover_lost_runs();
    // The times missed while no scheduler ran are looked for once per
    // launcher process: after a failed iteration this launcher starts over,
    // and a due time it could not queue yet stays pending in its agenda.
    static bool first_load_done = false;
    reload_all_jobs(!first_load_done);
    first_load_done = true;
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

// For jobs.health(): a fire time this far in the past is a due run the
// launcher has not queued yet (it is busy, stuck or failing).
void publish_next_fire_time() {
    const auto next = state->agenda.next_fire_time();
    SchedulerShared* shared = scheduler_shared();
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    shared->next_fire_at = next ? *next : 0;
    LWLockRelease(shared->lock);
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
    forget_unknown_prepared_wakes();      // a no-op unless prepared transactions predate us
    call_pg([] { renew_kept_plans(); });  // between statements (store_call.hpp)
    if (!state->extension_ready) {
        char installed[NAMEDATALEN] = "";
        switch (check_extension(installed, sizeof(installed))) {
            case ExtensionState::Missing:
                if (!state->announced_missing_extension) {
                    ereport(
                        LOG,
                        (errmsg("pg_jobs launcher: waiting for CREATE EXTENSION pg_jobs in database \"%s\"",
                                jobs_database())));
                    state->announced_missing_extension = true;
                }
                state->announced_version[0] = '\0';
                return kExtensionCheckMs;
            case ExtensionState::OtherVersion:
                // The library was updated (and the server restarted) but the
                // SQL objects were not: nothing runs against a schema this
                // code does not know. Look again every few seconds and at
                // each reload (ALTER EXTENSION ... UPDATE also wakes us).
                if (strcmp(state->announced_version, installed) != 0) {
                    ereport(
                        WARNING,
                        (errmsg("pg_jobs launcher: extension pg_jobs in database \"%s\" is at version %s but "
                                "the library is version %s; no job runs until ALTER EXTENSION pg_jobs UPDATE "
                                "is run in that database",
                                jobs_database(), installed, PG_JOBS_VERSION)));
                    strlcpy(state->announced_version, installed, sizeof(state->announced_version));
                }
                state->announced_missing_extension = false;
                return kExtensionCheckMs;
            case ExtensionState::Ready:
                break;
        }
        if (state->announced_version[0] != '\0') {
            ereport(LOG,
                    (errmsg("pg_jobs launcher: extension pg_jobs in database \"%s\" is now at version %s",
                            jobs_database(), PG_JOBS_VERSION)));
        }
        state->extension_ready = true;
        state->announced_missing_extension = false;
        state->announced_version[0] = '\0';
        start_scheduling();
    } else {
        refresh_jobs();
        if (worker_exited) {
            recover_lost_runs();
        }
    }
    (void)queue_due_runs(state->agenda);
    publish_next_fire_time();
    // flow: due workflow runs start (their root steps are queued), so the
    // dispatch below hands those steps out at once. Not those with a run_if:
    // the HTTP worker checks and starts them (workflow_store.hpp). One at a
    // time, for kWorkflowStartBudgetMs a pass: starting a workflow of
    // thousands of steps takes a while, and one role triggering many must
    // not hold up everyone's scheduling; the rest start in the next pass.
    // Small runs go several to a call, as many as the budget left fits.
    bool more_workflows = false;
    (void)run_in_transaction_or_log("pg_jobs launcher: starting workflow runs", [&] {
        if (!has_queued_workflow_runs(false)) {
            return;
        }
        const TimestampTz began = GetCurrentTimestamp();
        const TimestampTz until = began + kWorkflowStartBudgetMs * 1000;
        int64 started = 0;
        int batch = 1;
        for (;;) {
            const uint64 now_started = start_workflow_runs(false, batch);
            started += static_cast<int64>(now_started);
            if (now_started < static_cast<uint64>(batch)) {
                break;  // none left (or the rest locked: the next wake-up sees them)
            }
            const TimestampTz now = GetCurrentTimestamp();
            if (now >= until) {
                more_workflows = true;
                break;
            }
            batch = batch_within_budget(now - began, started, until - now, kWorkflowStartsPerCall);
        }
    });
    const TimestampTz dispatched_at = GetCurrentTimestamp();
    const bool workers_ok = dispatch_queued_runs();
    warm_pools(state->agenda, &state->warmed_through);  // the workers of the next burst, ahead of it
    const TimestampTz upkeep_at = upkeep_if_due();      // stuck runs, history retention
    const TimestampTz alert_at = alerts_if_due();       // alerts: events, deliveries

    // Retries waiting for their backoff: wake when the first may start.
    TimestampTz retry_due = 0;
    bool retry_pending = false;
    run_in_transaction([&] { retry_pending = earliest_pending_retry(dispatched_at, &retry_due); });

    // The sleep is computed last, from times: work done after reading the
    // clock would otherwise make the launcher wake late for the next fire.
    long sleep_ms = -1;
    if (const auto next = state->agenda.next_fire_time()) {
        TimestampTz wake = *next - kQueueAheadUs;  // queued ahead (run_steps.hpp)
        if (*next > state->warmed_through &&
            pools_need_warming(state->agenda, state->warmed_through, *next)) {
            wake = *next - kWarmAheadUs;  // its workers started ahead
        }
        sleep_ms = milliseconds_until(wake);
    }
    if (retry_pending) {
        const long retry_ms = milliseconds_until(retry_due);
        sleep_ms = sleep_ms < 0 ? retry_ms : Min(sleep_ms, retry_ms);
    }
    const long upkeep_ms = milliseconds_until(upkeep_at);
    sleep_ms = sleep_ms < 0 ? upkeep_ms : Min(sleep_ms, upkeep_ms);
    sleep_ms = Min(sleep_ms, milliseconds_until(alert_at));
    if (!workers_ok && (sleep_ms < 0 || sleep_ms > kRetryMs)) {
        sleep_ms = kRetryMs;
    }
    if (more_workflows) {
        sleep_ms = 0;  // the workflow runs left for the next pass
    }
    return sleep_ms < 0 ? kMaxSleepMs : sleep_ms;
}

// Runs one iteration; a failure is logged and the launcher starts over
// (re-checking the extension, reloading jobs) after a pause, instead of
// exiting. Each transaction of the iteration was rolled back where it
// failed (transaction.hpp); one left open by mistake is rolled back here.
long guarded_iteration() {
    PendingError failure;
    try {
        return iteration();
    } catch (...) {
        capture_current_exception("the launcher's iteration", &failure);
    }
    MemoryContextSwitchTo(iteration_context);
    roll_back_any_transaction();
    log_failure("pg_jobs launcher", failure, "The launcher retries in a second.");
    state->extension_ready = false;  // maybe dropped: check again, reload everything
    state->retry_at = GetCurrentTimestamp() + kRetryMs * 1000;
    return kRetryMs;
}

// events: sends the committed events the relay holds (event_relay.hpp); a
// failed batch is logged and lost.
void guarded_send_events() {
    PendingError failure;
    try {
        send_relayed_events();
        return;
    } catch (...) {
        capture_current_exception("sending events", &failure);
    }
    MemoryContextSwitchTo(iteration_context);
    roll_back_any_transaction();
    log_failure("pg_jobs launcher: sending events on channel jobs_events", failure);
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

namespace {

// When sleep_until_work last sent events (kEventSendIntervalMs).
TimestampTz last_events_sent_at = 0;

// Whether the launcher has more to do than send events: a wake_launcher, a
// signal, a worker that stopped (the postmaster's notice sets our latch).
bool work_arrived() {
    return take_launcher_work(scheduler_shared()) || ConfigReloadPending || ProcDiePending ||
           any_worker_stopped() || http_worker_stopped();
}

// Sleeps up to sleep_ms (-1: until woken) or until there is work. A wake for
// events alone sends them and sleeps on, toward the same deadline; the
// events of a burst of runs gather for kEventGatherMs first, and until
// kEventSendIntervalMs after the last send, so the burst costs one send
// (one transaction) per interval rather than one per run.
void sleep_until_work(long sleep_ms) {
    const TimestampTz deadline = sleep_ms < 0 ? 0 : GetCurrentTimestamp() + sleep_ms * 1000;
    long remaining = sleep_ms;
    for (;;) {
        const int events =
            WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, remaining, PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
        if ((events & WL_LATCH_SET) == 0 || work_arrived()) {
            return;
        }
        CHECK_FOR_INTERRUPTS();
        long gather_ms =
            Max(kEventGatherMs, milliseconds_until(last_events_sent_at + kEventSendIntervalMs * 1000));
        if (sleep_ms >= 0) {
            gather_ms = Min(gather_ms, milliseconds_until(deadline));  // a fire time never waits on events
        }
        if ((WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, gather_ms,
                       PG_WAIT_EXTENSION) &
             WL_LATCH_SET) != 0) {
            ResetLatch(MyLatch);
            if (work_arrived()) {
                return;  // the main loop sends the events after its work
            }
        }
        guarded_send_events();
        last_events_sent_at = GetCurrentTimestamp();
        pgstat_report_activity(STATE_IDLE, nullptr);
        if (work_arrived()) {
            return;
        }
        if (sleep_ms >= 0) {
            remaining = milliseconds_until(deadline);
            if (remaining == 0) {
                return;
            }
        }
    }
}

// The launcher's main; never returns (proc_exit ends it).
void run_launcher() {
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGTERM, die);  // exits at the next CHECK_FOR_INTERRUPTS
    BackgroundWorkerUnblockSignals();
    BackgroundWorkerInitializeConnection(jobs_database(), nullptr, 0);
    register_in_shared_memory();
    // The launcher runs no user code; keep name lookups to the catalog.
    SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);

    iteration_context =
        AllocSetContextCreate(TopMemoryContext, "pg_jobs launcher iteration", ALLOCSET_DEFAULT_SIZES);
    state = new LauncherState();  // std::bad_alloc ends the launcher in run_worker
    ereport(LOG, (errmsg("pg_jobs launcher started in database \"%s\"", jobs_database())));

    for (;;) {
        CHECK_FOR_INTERRUPTS();
        if (ConfigReloadPending) {
            ConfigReloadPending = false;
            ProcessConfigFile(PGC_SIGHUP);
            upkeep_soon();  // apply changed retention settings now
        }
        MemoryContextReset(iteration_context);
        MemoryContextSwitchTo(iteration_context);
        const long sleep_ms = guarded_iteration();
        guarded_send_events();  // events
        pgstat_report_activity(STATE_IDLE, nullptr);
        sleep_until_work(sleep_ms);
    }
}

}  // namespace

}  // namespace pg_jobs::pg

void pg_jobs_launcher_main(Datum /*argument*/) {
    pg_jobs::pg::run_worker("pg_jobs launcher", [] { pg_jobs::pg::run_launcher(); });
}
