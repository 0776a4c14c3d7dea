// An SQL worker process. It serves one (database, owner) pair for its whole
// life: it connects to that database as that role, like a login session of
// the owner (session_user and current_user are the owner, the role's
// ALTER ROLE ... SET settings apply), and runs that owner's runs only. So
// everything a run does, up to and including its commit (deferred
// triggers, WITH HOLD cursors filled at commit, pre-commit callbacks,
// portal cleanup), runs with the owner's rights, and no session state can
// pass from one owner's job to another's. Only the scheduler's own
// bookkeeping (claiming a run, recording its end) switches to the bootstrap
// superuser, around those statements alone (as_scheduler), and back before
// anything else runs. It works in one of two modes:
//  - in jobs.database it claims its owner's queued runs of its database one
//    at a time and runs each, with the run's effects and its 'succeeded'
//    mark in one transaction;
//  - in another database ("remote") it cannot see jobs.job_execution: the
//    launcher claims a run for it and hands it over through the slot's
//    mailbox (run_mailbox.hpp); the worker runs it the same way, commits,
//    and posts the outcome for the launcher to record.
// Persistent: it waits on its latch between runs, leaves its session clean
// after each one, and exits after jobs.worker_idle_timeout without work (or
// sooner when the launcher needs its slot for another (database, owner) pair).
//
// Error handling: every PostgreSQL call that can fail while this file's C++
// frames are on the stack goes through call_pg (guard.hpp), which turns the
// error into a PgError; each transaction goes through transaction.hpp, which
// rolls a failed one back outside any catch block, and the failure is
// recorded (or posted). A job's error never
// ends the process; FATAL (postmaster death) does, leaving the run 'running'
// until the launcher marks it 'crashed'. A run's timeout and jobs.cancel
// cancel the command (run_control.hpp): the run is then recorded timed_out
// or cancelled. SIGTERM (shutdown), or a cancel the command ignores for
// jobs.cancel_grace_period, ends the process with FATAL; the
// before_shmem_exit callback record_open_run_at_exit then records the run
// in a fresh transaction (or posts it to the launcher).
#include "core/run_status.hpp"
#include "core/start_gate.hpp"
#include "core/duration_text.hpp"
#include "core/sql_result.hpp"
#include "pg/store/execution_store.hpp"
#include "pg/store/run_lifecycle.hpp"
#include "pg/store/store_call.hpp"
#include "pg/common/guard.hpp"
#include "pg/common/gucs.hpp"
#include "pg/worker/job_context.hpp"
#include "pg/worker/job_runner.hpp"
#include "pg/common/owner_access.hpp"
#include "pg/common/run_log.hpp"
#include "pg/worker/run_control.hpp"
#include "pg/worker/run_details.hpp"
#include "pg/common/shmem.hpp"
#include "pg/common/transaction.hpp"
#include "pg/launcher/worker_pool.hpp"
#include "pg/common/worker_main.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "commands/dbcommands.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

#include <sched.h>

namespace pg_jobs::pg {
namespace {

// While the launcher is handing this worker a run, an idle worker past its
// timeout looks again this often instead of leaving.
constexpr long kHandoverRecheckMs = 1000;
// An idle worker waiting for a run's start time sleeps on its latch until
// this long before it, then precisely (pg_usleep) for the rest.
constexpr int64 kPreciseWaitUs = 2000;

int my_slot = -1;
Oid worker_user = InvalidOid;  // the job owner the worker serves (its session user)
uint32 my_generation = 0;
const char* my_database = nullptr;  // name, for claims (TopMemoryContext)
const char* my_owner = nullptr;     // the owner's name, for claims (TopMemoryContext)
MemoryContext run_context = nullptr;

// The run whose command is executing, for record_open_run_at_exit.
struct OpenRun {
    const ClaimedRun* run;  // nullptr: none
    bool remote;
    int encoding;  // remote: of the launcher's database
    TimestampTz started_at;
};
OpenRun open_run{};
// Turned away by the start gate last time: counted idle meanwhile.
bool waiting_at_gate = false;

// on_shmem_exit: give the slot back and tell the launcher, so it can start
// a replacement if runs are waiting (its exit notice may go to an older
// launcher). The mailbox stays: the launcher settles what it holds.
void release_slot(int /*code*/, Datum /*arg*/) {
    SchedulerShared* shared = scheduler_shared();
    if (shared == nullptr || my_slot < 0) {
        return;
    }
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    WorkerSlot& slot = shared->slots[my_slot];
    if (slot.generation == my_generation && slot.pid == MyProcPid) {
        slot.state = SlotState::Free;
        slot.latch = nullptr;
        slot.pid = 0;
        slot.idle = false;
        slot.busy_since = 0;
        slot.mailbox.running_execution_id = 0;
    }
    LWLockRelease(shared->lock);
    wake_launcher(shared);
}

// Takes over the slot the launcher reserved; false if it was given away.
bool attach_slot(int index, const WorkerStartInfo& info) {
    SchedulerShared* shared = scheduler_shared();
    if (shared == nullptr || index < 0 || index >= shared->slot_count) {
        return false;
    }
    bool attached = false;
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    WorkerSlot& slot = shared->slots[index];
    if (slot.state == SlotState::Starting && slot.generation == info.generation) {
        slot.state = SlotState::Running;
        slot.pid = MyProcPid;
        slot.latch = MyLatch;
        slot.idle = false;
        slot.busy_since = 0;
        slot.mailbox.running_execution_id = 0;
        attached = true;
    }
    LWLockRelease(shared->lock);
    if (attached) {
        my_slot = index;
        my_generation = info.generation;
        on_shmem_exit(release_slot, 0);
    }
    return attached;
}

WorkerSlot& my_slot_entry() {
    return scheduler_shared()->slots[my_slot];
}

void set_idle(bool idle) {
    SchedulerShared* shared = scheduler_shared();
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    my_slot_entry().idle = idle;
    LWLockRelease(shared->lock);
}

// The CPUs this process may run on (taskset, cpusets), at least 1.
int usable_cpus() {
    static int cpus = 0;
    if (cpus == 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
        cpus = Max(cpus, 1);
    }
    return cpus;
}

bool is_pair_peer(const WorkerSlot& slot, int index, const WorkerSlot& mine) {
    return index != my_slot && slot.state == SlotState::Running && !slot.remote &&
           slot.database_oid == mine.database_oid && slot.owner_oid == mine.owner_oid;
}

// The other workers of this worker's pair.
int pair_peers() {
    SchedulerShared* shared = scheduler_shared();
    int peers = 0;
    LWLockAcquire(shared->lock, LW_SHARED);
    const WorkerSlot& mine = my_slot_entry();
    for (int i = 0; i < shared->slot_count; ++i) {
        peers += is_pair_peer(shared->slots[i], i, mine) ? 1 : 0;
    }
    LWLockRelease(shared->lock);
    return peers;
}

// Asks the start gate of this worker's pair (core/start_gate.hpp) to claim
// a run: 0 once let in (the claim counts from now), else the milliseconds
// to wait, idle, before asking again.
long enter_start_gate() {
    const int limit = usable_cpus();
    if (pair_peers() < limit) {
        // Nobody of the pair can be turned away (one run at a time, most
        // often): no exclusive lock on the way to the claim.
        if (waiting_at_gate) {
            waiting_at_gate = false;
            set_idle(false);
        }
        return 0;
    }
    SchedulerShared* shared = scheduler_shared();
    StartGate gate(limit, kStartGateFreshUs, GetCurrentTimestamp());
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    WorkerSlot& mine = my_slot_entry();
    for (int i = 0; i < shared->slot_count; ++i) {
        if (is_pair_peer(shared->slots[i], i, mine)) {
            gate.count(shared->slots[i].busy_since);
        }
    }
    const int64 wait_us = gate.wait_us();
    waiting_at_gate = wait_us != 0;
    mine.busy_since = waiting_at_gate ? 0 : gate.now_us();
    mine.idle = waiting_at_gate;  // free for the launcher's count meanwhile
    LWLockRelease(shared->lock);
    return waiting_at_gate ? static_cast<long>((wait_us + 999) / 1000) : 0;
}

// The worker is no longer claiming or running: it holds nobody at the gate.
void leave_start_gate() {
    SchedulerShared* shared = scheduler_shared();
    WorkerSlot& mine = my_slot_entry();
    if (mine.busy_since == 0) {  // only this process sets it
        return;
    }
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    mine.busy_since = 0;
    LWLockRelease(shared->lock);
}

bool exit_requested() {
    SchedulerShared* shared = scheduler_shared();
    LWLockAcquire(shared->lock, LW_SHARED);
    const bool requested = my_slot_entry().exit_requested;
    LWLockRelease(shared->lock);
    return requested;
}

// Runs `body` (PostgreSQL calls: inside call_pg) as the bootstrap superuser,
// which may read and write the scheduler's tables, then becomes the owner
// again. SECURITY_LOCAL_USERID_CHANGE: nothing in between can SET ROLE.
// Only the scheduler's own statements run in between, never job code; an
// error leaves the switch for the rollback to undo (try_in_worker_transaction).
template <typename Body>
void as_scheduler(Body&& body) {
    Oid user = InvalidOid;
    int security = 0;
    GetUserIdAndSecContext(&user, &security);
    SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, security | SECURITY_LOCAL_USERID_CHANGE);
    body();
    SetUserIdAndSecContext(user, security);
}

// The worker's transactions (transaction.hpp). After a rollback the worker
// is the owner again with no security restriction, whatever the error
// interrupted: the rollback restores the user the transaction started with,
// and this makes sure. Allocations go to the caller's context (run_context).
template <typename Body>
bool try_in_worker_transaction(Body&& body, PendingError* failure) {
    if (try_in_transaction(body, failure)) {
        return true;
    }
    SetUserIdAndSecContext(worker_user, 0);
    return false;
}

// The same, logging a failure as "<what>: <message>".
template <typename Body>
bool in_worker_transaction_or_log(const char* what, Body&& body) {
    PendingError failure;
    if (try_in_worker_transaction(body, &failure)) {
        return true;
    }
    log_failure(what, failure);
    return false;
}

// A failure as PostgreSQL error data, to record: a C++ exception's too.
const ErrorData* failure_error_data(const PendingError& failure) {
    if (failure.pg_error != nullptr) {
        return failure.pg_error;
    }
    auto* error = static_cast<ErrorData*>(call_pg([] { return palloc0(sizeof(ErrorData)); }));
    error->sqlerrcode = failure.unexpected ? ERRCODE_INTERNAL_ERROR : failure.sqlstate;
    error->message = const_cast<char*>(failure_message(failure));
    error->detail = const_cast<char*>(failure.detail);
    return error;
}

RunEnding describe_ending(const ClaimedRun& run, const ErrorData* failure, RunInterruption why);

// The run's log line (run_log.hpp), with the status and error it is recorded with.
void log_failed_run(const ClaimedRun& run, const ErrorData* failure, RunInterruption why) {
    RunEnding ending{run.execution_id, RunStatus::Failed, failure->message, failure->sqlerrcode, nullptr};
    try {
        ending = describe_ending(run, failure, why);
    } catch (const PgError&) {  // psprintf is a pure input function (out of memory): the error as it is
    }
    log_run_ending("sql", run.job_name, run.execution_id, run_status_name(ending.status).data(),
                   ending.message != nullptr ? ending.message : "cancelled by jobs.cancel");
}

// After every run, success or not: the next run starts from a clean
// session, as after DISCARD ALL. False if that failed (or the session is no
// longer the owner's); the worker then exits rather than run a job in a
// session it could not clean.
bool reset_session() {
    if (!in_worker_transaction_or_log("pg_jobs worker: could not clean the session after a run; exiting",
                                      [] { clean_session(); })) {
        return false;
    }
    release_session_locks();
    if (GetSessionUserId() != worker_user || GetUserId() != worker_user) {
        ereport(LOG, (errmsg("pg_jobs worker: the session is no longer the job owner's; exiting")));
        return false;
    }
    return true;
}

// How a run stopped by `why` (not None) is recorded; `detail` (or nullptr)
// says more.
RunEnding interruption_ending(const ClaimedRun& run, RunInterruption why, const char* detail) {
    RunEnding ending{run.execution_id, RunStatus::Failed, "canceling statement due to user request",
                     ERRCODE_QUERY_CANCELED, detail};
    switch (why) {
        case RunInterruption::None:
            break;
        case RunInterruption::TimedOut: {
            const std::string timeout = duration_text(run_timeout_ms());
            ending.status = RunStatus::TimedOut;
            ending.message = call_pg([&] {
                return psprintf("the run exceeded its timeout of %s and was cancelled", timeout.c_str());
            });
            ending.detail = call_pg([&] {
                return psprintf(
                    "%s%sHINT: Give the job a longer timeout (jobs.alter(..., timeout => ...)), or "
                    "raise the jobs.default_timeout setting for jobs that set none.",
                    detail != nullptr ? detail : "", detail != nullptr ? "\n" : "");
            });
            break;
        }
        case RunInterruption::Cancelled:
            ending.status = RunStatus::Cancelled;
            ending.message = nullptr;  // recorded as "cancelled by <role>"
            break;
        case RunInterruption::Shutdown:
            ending.status = RunStatus::Cancelled;
            ending.message = "shutdown: the worker was told to stop (SIGTERM) during the run";
            ending.sqlerrcode = ERRCODE_ADMIN_SHUTDOWN;
            break;
    }
    return ending;
}

// How a run that `failure` ended is recorded: the interruption's own words
// when the error was that interruption (a cancel, 57014), else the error.
RunEnding describe_ending(const ClaimedRun& run, const ErrorData* failure, RunInterruption why) {
    const char* detail = failure_detail(failure);
    if (failure->sqlerrcode != ERRCODE_QUERY_CANCELED || why == RunInterruption::None) {
        return RunEnding{run.execution_id, RunStatus::Failed,
                         failure->message != nullptr ? failure->message : "unknown error",
                         failure->sqlerrcode, detail};
    }
    return interruption_ending(run, why, detail);
}

// How a run whose process was ended during its command (forced_exit_reason) is recorded.
RunEnding forced_ending(const ClaimedRun& run, RunInterruption why) {
    const char* detail = nullptr;
    if (why != RunInterruption::Shutdown) {
        const std::string grace = duration_text(cancel_grace_period_ms());
        detail = call_pg([&] {
            return psprintf(
                "The command went on for %s (jobs.cancel_grace_period) after it was cancelled, "
                "so its worker process was ended.",
                grace.c_str());
        });
    }
    return interruption_ending(run, why, detail);
}

// Becomes the owner for the session when the worker connected as the
// bootstrap superuser (see connect_as_owner); notes the owner's name. In a
// transaction.
void take_owner_identity(Oid owner_oid) {
    const char* owner = GetUserNameFromId(owner_oid, false);
    if (GetSessionUserId() != owner_oid) {
        if (!superuser_arg(owner_oid)) {
            ereport(FATAL, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                            errmsg("pg_jobs worker: role \"%s\" is not permitted to log in", owner)));
        }
        SetConfigOption("session_authorization", owner, PGC_SUSET, PGC_S_OVERRIDE);
    }
    my_owner = MemoryContextStrdup(TopMemoryContext, owner);
}

// Connects to the pair's database as its owner, as a login session would
// (so the role's own settings apply too). PostgreSQL 15 lets no process
// connect as a role without LOGIN; the launcher starts a worker that way
// only for superusers, so such an owner's worker connects as the bootstrap
// superuser and takes the owner's identity for the whole session (session
// authorization, kept through RESET): superuser to superuser, nothing gained.
void connect_as_owner(const WorkerStartInfo& info) {
    if (info.login_as_owner) {
        BackgroundWorkerInitializeConnectionByOid(info.database_oid, info.owner_oid, 0);
    } else {
        BackgroundWorkerInitializeConnectionByOid(info.database_oid, InvalidOid, 0);
    }
    run_in_transaction([&] { take_owner_identity(info.owner_oid); });
    worker_user = info.owner_oid;
}

// Whether the owner may still have runs run here (see owner_access.hpp): a
// role that lost LOGIN or CONNECT since the worker connected gets nothing
// more run. In a transaction.
bool owner_may_still_run() {
    OwnerAccess access{};
    check_owner_access(worker_user, my_owner, MyDatabaseId, my_database, &access);
    return access.allowed;
}

// --- Runs in jobs.database -------------------------------------------------------

// Said instead of the ending when the run had already ended: marked
// crashed or cancelled while its command ran, it keeps that status.
void log_late_finish(const ClaimedRun& run, const ErrorData* failure, bool command_succeeded) {
    ereport(LOG,
            (errmsg("pg_jobs: sql job \"%s\" execution %lld had already ended when its command %s%s; the "
                    "run keeps the status it was given and the command's effects are rolled back",
                    run.job_name, static_cast<long long>(run.execution_id),
                    command_succeeded ? "succeeded" : "failed: ", command_succeeded ? "" : failure->message),
             errhidestmt(true), errhidecontext(true)));
}

// Records how the run ended and logs it, before the commit makes the status
// visible (a reader of the status finds the log line written); a failure to
// record is logged (the launcher will later mark the run 'crashed' if it
// stays 'running'). A run no longer running is left as it is.
void record_failure_in_new_transaction(const ClaimedRun& run, const ErrorData* error, RunInterruption why,
                                       bool command_succeeded) {
    (void)in_worker_transaction_or_log("pg_jobs worker: could not record a failed run", [&] {
        bool recorded = false;
        as_scheduler([&] { recorded = record_ending(describe_ending(run, error, why)); });
        if (recorded) {
            log_failed_run(run, error, why);
        } else {
            log_late_finish(run, error, command_succeeded);
        }
    });
}

// Returns false when the session could not be cleaned afterwards.
bool execute_local_run(const ClaimedRun& run) {
    PendingError failure;
    bool command_succeeded = false;  // then a failure came at its recording or commit
    open_run = OpenRun{&run, false, PG_SQL_ASCII, GetCurrentTimestamp()};
    begin_run(run.execution_id, run.timeout_ms);
    // A failure rolls back the command's effects and its settings.
    const bool succeeded = try_in_worker_transaction(
        [&] {
            bool run_if_false = false;
            RunResult result{};
            const uint64 rows = run_command_as_owner(run, &run_if_false, &result);
            check_run_not_stopped();
            command_succeeded = true;
            if (run_if_false) {  // opts: recorded skipped, with what run_if did
                as_scheduler([&] {
                    (void)record_ending(
                        RunEnding{run.execution_id, RunStatus::Skipped, kRunIfFalse, 0, nullptr});
                });
            } else {
                // The result is plain JSON text by now: nothing of the
                // owner's runs while the scheduler records it.
                as_scheduler([&] {
                    record_success(run.execution_id, rows, result.json,
                                   result.over_limit ? kSqlResultOverLimitNote : nullptr);
                });
            }
            // The commit comes as the owner: what the job deferred to its
            // commit runs with the owner's rights, and commits with its
            // 'succeeded' mark.
        },
        &failure);
    const RunInterruption why = end_run();
    open_run.run = nullptr;  // recorded, or about to be: nothing left for the exit callback
    clear_job_context();
    debug_query_string = nullptr;
    if (!succeeded) {
        record_failure_in_new_transaction(run, failure_error_data(failure), why, command_succeeded);
    }
    withdraw_run();
    if (shutdown_requested()) {
        proc_exit(0);  // the server is stopping: no need to clean the session
    }
    const bool clean = reset_session();
    pgstat_report_activity(STATE_IDLE, nullptr);
    ConditionVariableBroadcast(&scheduler_shared()->run_finished);
    return clean;
}

enum class Claim { Ran, Nothing, Error };

// Claims and runs one queued run of this database. The claim commits on its
// own first, so a crash during the run leaves a visible 'running' row. When
// there is none to start yet, sets *next_start to when the next one may
// start (a scheduled run queued ahead of its fire time, a retry), if any.
Claim work_once(TimestampTz* next_start) {
    ClaimedRun run{};
    bool claimed = false;
    bool leaving = false;
    const bool done = in_worker_transaction_or_log("pg_jobs worker: could not claim a queued run", [&] {
        if (!owner_may_still_run()) {
            leaving = true;
            return;
        }
        as_scheduler([&] {
            claimed = claim_next_run(run_context, my_database, worker_user, MyProcPid, &run);
            if (!claimed &&
                (!runs_queued_ahead() || !next_start_of_pair(my_database, worker_user, next_start))) {
                *next_start = 0;
            }
        });
        if (claimed) {
            publish_run(run.execution_id);  // before the commit: jobs.cancel finds it from then on
        }
    });
    if (!done) {
        withdraw_run();
        return Claim::Error;
    }
    if (leaving) {
        return Claim::Error;  // the launcher fails the owner's runs with the reason
    }
    if (!claimed) {
        leave_start_gate();
        return Claim::Nothing;
    }
    return execute_local_run(run) ? Claim::Ran : Claim::Error;
}

long idle_ms_left(TimestampTz last_work) {
    const long idle_ms = static_cast<long>((GetCurrentTimestamp() - last_work) / 1000);
    return worker_idle_timeout_ms() - idle_ms;
}

void serve_local_runs() {
    TimestampTz last_work = GetCurrentTimestamp();
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        if (shutdown_requested()) {
            proc_exit(0);
        }
        if (ConfigReloadPending) {
            ConfigReloadPending = false;
            ProcessConfigFile(PGC_SIGHUP);
        }
        MemoryContextReset(run_context);
        MemoryContextSwitchTo(run_context);
        call_pg([] { renew_kept_plans(); });  // between statements (store_call.hpp)
        const long gate_wait_ms = enter_start_gate();
        if (gate_wait_ms > 0) {
            // Enough of the pair's workers are starting runs: let them.
            // Not idle time: the pair has work.
            last_work = GetCurrentTimestamp();
            if (exit_requested()) {
                proc_exit(0);
            }
            (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, gate_wait_ms,
                            PG_WAIT_EXTENSION);
            ResetLatch(MyLatch);
            continue;
        }
        TimestampTz next_start = 0;
        const Claim claim = work_once(&next_start);
        if (claim == Claim::Ran) {
            last_work = GetCurrentTimestamp();
            if (exit_requested()) {
                proc_exit(0);  // the launcher gives the slot to an owner whose runs wait
            }
            continue;  // more may be queued: claim again before sleeping
        }
        if (claim == Claim::Error) {
            // The tables are unusable (extension dropped, say), or the owner
            // may no longer log in or connect here: leave; the launcher
            // starts workers again once runs are queued (or fails them).
            proc_exit(0);
        }
        long timeout_ms = idle_ms_left(last_work);
        if (timeout_ms <= 0 || exit_requested()) {
            proc_exit(0);  // idle too long, or the slot is wanted elsewhere
        }
        if (next_start != 0) {
            // Be there at the instant a run may start: sleep on the latch
            // until shortly before, then the rest precisely (a latch wait
            // has millisecond steps), then claim again. The claim itself
            // never starts a run before its not_before.
            const int64 until_us = next_start - GetCurrentTimestamp();
            if (until_us <= kPreciseWaitUs) {
                if (until_us > 0) {
                    set_idle(true);  // the launcher counts this worker as available for the run
                    pg_usleep(static_cast<long>(until_us));
                    set_idle(false);
                }
                continue;
            }
            timeout_ms = Min(timeout_ms, Max((until_us - kPreciseWaitUs) / 1000, 1L));
        }
        set_idle(true);
        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, timeout_ms,
                        PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
        set_idle(false);
    }
}

// --- Runs in another database ----------------------------------------------------

// The run the launcher assigned, if there is one: marks it taken.
bool take_assigned_run(int64* execution_id, dsm_handle* details) {
    SchedulerShared* shared = scheduler_shared();
    bool taken = false;
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    WorkerSlot& slot = my_slot_entry();
    if (slot.mailbox.state == MailboxState::Assigned) {
        slot.mailbox.state = MailboxState::Taken;
        slot.mailbox.running_execution_id = slot.mailbox.execution_id;  // see publish_run
        slot.idle = false;
        *execution_id = slot.mailbox.execution_id;
        *details = slot.mailbox.details;
        taken = true;
    }
    LWLockRelease(shared->lock);
    return taken;
}

// Leaves the pool unless the launcher is handing this worker a run.
bool leave_pool_if_unassigned() {
    SchedulerShared* shared = scheduler_shared();
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    WorkerSlot& slot = my_slot_entry();
    const MailboxState state = slot.mailbox.state;
    const bool leaving = state == MailboxState::Empty || state == MailboxState::Done;
    if (leaving) {
        slot.idle = false;  // the launcher hands runs to idle workers only
    }
    LWLockRelease(shared->lock);
    return leaving;
}

// `text` (this database's encoding) in `encoding`. Characters that
// encoding cannot show turn the text into its ASCII part, '?' elsewhere.
const char* outcome_text_in(const char* text, int encoding) {
    const int length = static_cast<int>(strlen(text));
    const char* converted = nullptr;
    try {
        converted =
            call_pg([&] { return static_cast<const char*>(pg_server_to_any(text, length, encoding)); });
    } catch (const PgError&) {  // pg_server_to_any is a pure input function: no rollback (guard.hpp)
        converted = nullptr;
    }
    if (converted == nullptr) {
        char* ascii = static_cast<char*>(palloc(length + 1));
        for (int i = 0; i <= length; ++i) {
            ascii[i] = IS_HIGHBIT_SET(text[i]) ? '?' : text[i];
        }
        converted = ascii;
    }
    return converted;
}

// Copies `text` (this database's encoding) into `out` (`size` bytes with
// the NUL) in `encoding` (see outcome_text_in), cut at a character boundary.
void copy_outcome_text(const char* text, int encoding, char* out, int size) {
    out[0] = '\0';
    if (text == nullptr) {
        return;
    }
    const char* converted = outcome_text_in(text, encoding);
    int kept = static_cast<int>(strlen(converted));
    if (kept >= size) {
        kept = pg_encoding_mbcliplen(encoding, converted, kept, size - 1);
    }
    memcpy(out, converted, kept);
    out[kept] = '\0';
}

// A remote run's result as the launcher records it: in its database's
// encoding (outcome_text_in; a '?' for a character it cannot show keeps the
// JSON valid: only its strings hold non-ASCII bytes), and not kept when
// over kSqlResultMaxBytes once converted. In the run's transaction: an
// encoding conversion reads the catalogs.
RunResult result_for_launcher(const RunResult& result, int encoding) {
    if (result.json == nullptr) {
        return result;
    }
    RunResult converted{outcome_text_in(result.json, encoding), false};
    if (strlen(converted.json) > static_cast<size_t>(kSqlResultMaxBytes)) {
        converted = RunResult{nullptr, true};
    }
    return converted;
}

struct PostedOutcome {
    RunOutcome outcome;
    TimestampTz started_at;
    TimestampTz finished_at;
    int64 rows_affected;
    const RunEnding* ending;  // how a run that did not succeed ended
    int encoding;             // of the launcher's database, for the text
    const RunResult* result;  // a succeeded run's (result_for_launcher), or nullptr
};

// Hands the outcome to the launcher and becomes idle (ready for the next run).
void post_outcome(const PostedOutcome& posted) {
    char* message = static_cast<char*>(palloc(kOutcomeMessageSize));
    char* detail = static_cast<char*>(palloc(kOutcomeDetailSize));
    int sqlerrcode = 0;
    message[0] = detail[0] = '\0';
    if (posted.ending != nullptr) {
        // An empty message on a cancelled run: "cancelled by <role>", filled in by the launcher.
        // A conversion reads the catalogs: after a failed run (its
        // transaction gone), in a transaction of its own; its texts as
        // ASCII if even that fails.
        auto copy_texts = [&] {
            copy_outcome_text(posted.ending->message, posted.encoding, message, kOutcomeMessageSize);
            copy_outcome_text(posted.ending->detail, posted.encoding, detail, kOutcomeDetailSize);
        };
        if (posted.encoding == GetDatabaseEncoding() || IsTransactionState() ||
            !run_in_transaction_or_log("pg_jobs worker: could not convert a run's error to the encoding of "
                                       "jobs.database",
                                       copy_texts)) {
            copy_texts();
        }
        sqlerrcode = posted.ending->sqlerrcode;
    }
    char* result = static_cast<char*>(palloc(kOutcomeResultSize));
    result[0] = '\0';
    if (posted.result != nullptr && posted.result->json != nullptr) {
        strlcpy(result, posted.result->json, kOutcomeResultSize);  // fits: result_for_launcher
    } else if (posted.result != nullptr && posted.result->over_limit) {
        copy_outcome_text(kSqlResultOverLimitNote, posted.encoding, message, kOutcomeMessageSize);
    }
    SchedulerShared* shared = scheduler_shared();
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    WorkerSlot& slot = my_slot_entry();
    RunMailbox& box = slot.mailbox;
    box.outcome = posted.outcome;
    box.started_at = posted.started_at;
    box.finished_at = posted.finished_at;
    box.rows_affected = posted.rows_affected;
    box.sqlerrcode = sqlerrcode;
    memcpy(box.message, message, kOutcomeMessageSize);
    memcpy(box.detail, detail, kOutcomeDetailSize);
    memcpy(box.result, result, kOutcomeResultSize);
    box.state = MailboxState::Done;
    slot.idle = true;
    LWLockRelease(shared->lock);
    wake_launcher(shared);
}

// The run's text came in the launcher's database encoding.
void convert_run_text(ClaimedRun* run, int encoding) {
    auto convert = [encoding](const char* text) {
        return static_cast<const char*>(pg_any_to_server(text, static_cast<int>(strlen(text)), encoding));
    };
    run->job_name = convert(run->job_name);
    run->owner = convert(run->owner);
    run->command = convert(run->command);
    run->context_json = convert(run->context_json);
    if (run->run_if != nullptr) {
        run->run_if = convert(run->run_if);
    }
}

// Runs a handed-over run and posts its outcome. Returns false when the
// session could not be cleaned afterwards.
bool execute_remote_run(ClaimedRun& run, int encoding) {
    const TimestampTz started_at = GetCurrentTimestamp();
    PendingError failure;
    uint64 rows = 0;
    bool run_if_false = false;
    RunResult result{};
    open_run = OpenRun{&run, true, encoding, started_at};
    begin_run(run.execution_id, run.timeout_ms);
    const bool succeeded = try_in_worker_transaction(
        [&] {
            convert_run_text(&run, encoding);
            rows = run_command_as_owner(run, &run_if_false, &result);
            check_run_not_stopped();
            result = result_for_launcher(result, encoding);
            // Commits as the owner (see execute_local_run).
        },
        &failure);
    const TimestampTz finished_at = GetCurrentTimestamp();
    const RunInterruption why = end_run();
    open_run.run = nullptr;
    clear_job_context();
    debug_query_string = nullptr;
    RunEnding ending{};
    RunOutcome outcome = RunOutcome::Succeeded;
    if (succeeded && run_if_false) {  // opts: recorded skipped by the launcher
        ending = RunEnding{run.execution_id, RunStatus::Skipped, kRunIfFalse, 0, nullptr};
        outcome = RunOutcome::Skipped;
    }
    if (!succeeded) {
        const ErrorData* error = failure_error_data(failure);
        log_failed_run(run, error, why);
        bool described = false;
        try {
            ending = describe_ending(run, error, why);
            described = true;
        } catch (const PgError&) {  // psprintf is a pure input function (out of memory): no rollback
        }
        if (!described) {
            ending =
                RunEnding{run.execution_id, RunStatus::Failed, error->message, error->sqlerrcode, nullptr};
        }
        const bool timed_out = ending.status == RunStatus::TimedOut;
        const bool cancelled = ending.status == RunStatus::Cancelled;
        outcome = timed_out ? RunOutcome::TimedOut : cancelled ? RunOutcome::Cancelled : RunOutcome::Failed;
    }
    // Before posting: once the run shows as finished, its session locks are gone.
    const bool clean = shutdown_requested() || reset_session();
    const bool done = succeeded && !run_if_false;
    post_outcome(PostedOutcome{outcome, started_at, finished_at, static_cast<int64>(rows),
                               done ? nullptr : &ending, encoding, done ? &result : nullptr});
    withdraw_run();
    pgstat_report_activity(STATE_IDLE, nullptr);
    if (shutdown_requested()) {
        proc_exit(0);
    }
    return clean;
}

// Reads the details of the run taken from the mailbox and runs it; a run
// whose details are gone (the launcher exited meanwhile) goes back to the
// queue. Returns false when the worker should exit. The read attaches the
// launcher's shared memory segment in a transaction, whose rollback
// detaches it should the read fail.
bool run_handed_over(int64 execution_id, dsm_handle details) {
    ClaimedRun run{};
    int encoding = PG_SQL_ASCII;
    bool readable = false;
    (void)in_worker_transaction_or_log(
        "pg_jobs worker: could not read a run handed over by the launcher",
        [&] { readable = read_run_details(details, execution_id, run_context, &run, &encoding); });
    if (!readable) {
        post_outcome(PostedOutcome{RunOutcome::NotStarted, 0, 0, 0, nullptr, PG_SQL_ASCII, nullptr});
        withdraw_run();
        return true;
    }
    return execute_remote_run(run, encoding);
}

void serve_handed_over_runs() {
    set_idle(true);
    wake_launcher(scheduler_shared());  // ready: the launcher may hand over a run
    TimestampTz last_work = GetCurrentTimestamp();
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        if (ConfigReloadPending) {
            ConfigReloadPending = false;
            ProcessConfigFile(PGC_SIGHUP);
        }
        MemoryContextReset(run_context);
        MemoryContextSwitchTo(run_context);
        call_pg([] { renew_kept_plans(); });  // between statements (store_call.hpp)
        if (shutdown_requested() && leave_pool_if_unassigned()) {
            proc_exit(0);  // a run already handed over still runs (and is cancelled at once)
        }
        int64 execution_id = 0;
        dsm_handle details = 0;
        if (take_assigned_run(&execution_id, &details)) {
            if (!run_handed_over(execution_id, details)) {
                proc_exit(0);
            }
            last_work = GetCurrentTimestamp();
            continue;
        }
        long timeout_ms = idle_ms_left(last_work);
        if ((timeout_ms <= 0 || exit_requested()) && leave_pool_if_unassigned()) {
            proc_exit(0);
        }
        if (timeout_ms <= 0) {
            timeout_ms = kHandoverRecheckMs;
        }
        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, timeout_ms,
                        PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
    }
}

// --- A run whose process ends ------------------------------------------------------

// Records the ending of a run whose process is ending (see
// record_open_run_at_exit): posted to the launcher, or recorded in a
// transaction of its own.
void record_forced_ending(const ClaimedRun& run, RunInterruption why) {
    const RunEnding ending = forced_ending(run, why);
    log_run_ending("sql", run.job_name, run.execution_id, run_status_name(ending.status).data(),
                   ending.message != nullptr ? ending.message
                                             : "cancelled by jobs.cancel; its command ignored the cancel, so "
                                               "its worker was ended");
    if (open_run.remote) {
        const RunOutcome outcome =
            why == RunInterruption::TimedOut ? RunOutcome::TimedOut : RunOutcome::Cancelled;
        post_outcome(PostedOutcome{outcome, open_run.started_at, GetCurrentTimestamp(), 0, &ending,
                                   open_run.encoding, nullptr});
    } else {
        if (!in_worker_transaction_or_log("pg_jobs worker: could not record a run ended with its worker",
                                          [&] { as_scheduler([&] { record_ending(ending); }); })) {
            return;
        }
        ConditionVariableBroadcast(&scheduler_shared()->run_finished);
    }
    withdraw_run();
}

// before_shmem_exit: the run this process was told to end during (SIGTERM,
// or a cancel its command ignored) is recorded after the FATAL that ended
// it, as the loop would have: its transaction rolled back, the ending
// recorded in a fresh one (or posted to the launcher). proc_exit holds
// interrupts meanwhile; a PostgreSQL error here is FATAL (proc_exit has
// begun) and leaves the run 'running' for the launcher to mark crashed. Any
// other exit leaves it too.
void record_open_run_at_exit(int /*code*/, Datum /*arg*/) {
    const ClaimedRun* run = open_run.run;
    const RunInterruption why = forced_exit_reason();
    open_run.run = nullptr;
    if (run == nullptr || why == RunInterruption::None) {
        return;
    }
    // No C++ exception may leave a callback of proc_exit: one (out of
    // memory) leaves the run for the launcher to mark crashed.
    try {
        roll_back_any_transaction();
        SetUserIdAndSecContext(worker_user, 0);
        MemoryContextSwitchTo(run_context);
        release_session_locks();
        record_forced_ending(*run, why);
    } catch (...) {
    }
}

// The worker's main for the slot at `slot_index`.
void run_sql_worker(int slot_index) {
    WorkerStartInfo info{};
    memcpy(&info, MyBgworkerEntry->bgw_extra, sizeof(info));

    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    install_run_signal_handlers();
    BackgroundWorkerUnblockSignals();
    if (!attach_slot(slot_index, info)) {
        proc_exit(0);  // the launcher gave the slot away meanwhile
    }
    connect_as_owner(info);
    // After InitPostgres's own callbacks, so it runs before they abort the
    // transaction and leave the database.
    before_shmem_exit(record_open_run_at_exit, 0);
    init_run_control(my_slot);
    run_context = AllocSetContextCreate(TopMemoryContext, "pg_jobs run", ALLOCSET_DEFAULT_SIZES);
    if (info.remote) {
        serve_handed_over_runs();
    } else {
        run_in_transaction(
            [] { my_database = MemoryContextStrdup(TopMemoryContext, get_database_name(MyDatabaseId)); });
        serve_local_runs();
    }
}

}  // namespace
}  // namespace pg_jobs::pg

void pg_jobs_sql_worker_main(Datum slot_index) {
    pg_jobs::pg::run_worker("pg_jobs worker",
                            [&] { pg_jobs::pg::run_sql_worker(DatumGetInt32(slot_index)); });
}
