// An SQL worker process: claims queued runs of its database one at a time
// and runs each as its owner, with the run's effects and its 'succeeded'
// mark in one transaction. Persistent: it waits on its latch between runs
// and exits after jobs.worker_idle_timeout without work.
//
// Error handling: every PostgreSQL call that can fail while this file's C++
// frames are on the stack goes through call_pg (guard.hpp), which turns the
// error into a PgError; the failed transaction is then aborted here, outside
// any catch block, and the failure recorded in a new one. A job's error never
// ends the process; FATAL (SIGTERM, postmaster death) does, leaving the run
// 'running' until the launcher marks it 'crashed'.
#include "pg/execution_store.hpp"
#include "pg/guard.hpp"
#include "pg/gucs.hpp"
#include "pg/job_context.hpp"
#include "pg/shmem.hpp"
#include "pg/worker_pool.hpp"

extern "C" {
#include "access/xact.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/portal.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {
namespace {

int my_slot = -1;
Oid worker_user = InvalidOid;  // the bootstrap superuser the worker connected as
uint32 my_generation = 0;
MemoryContext run_context = nullptr;

// on_shmem_exit: give the slot back and tell the launcher, so it can start
// a replacement if runs are waiting (its exit notice may go to an older
// launcher).
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

void set_idle(bool idle) {
    SchedulerShared* shared = scheduler_shared();
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    shared->slots[my_slot].idle = idle;
    LWLockRelease(shared->lock);
}

void start_transaction() {
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    PushActiveSnapshot(GetTransactionSnapshot());
}

// Commit leaves CurrentMemoryContext at TopMemoryContext; go back to the
// per-run context so nothing allocated afterwards outlives the run.
void commit_transaction() {
    PopActiveSnapshot();
    CommitTransactionCommand();
    MemoryContextSwitchTo(run_context);
}

// Abort restores the user the transaction started with, which after a
// procedure's COMMIT is the job's owner: go back to the worker's own.
void abort_transaction() {
    AbortCurrentTransaction();
    SetUserIdAndSecContext(worker_user, 0);
    MemoryContextSwitchTo(run_context);
}

// Logs an error this process caught (as LOG: it is handled, not fatal).
void log_caught_error(ErrorData* error, const char* what) {
    ereport(LOG,
            (errmsg("pg_jobs worker: %s: %s", what, error->message != nullptr ? error->message : "error"),
             error->detail != nullptr ? errdetail_internal("%s", error->detail) : 0));
}

// A command that is one CALL runs like a CALL from a client: through a
// top-level portal, non-atomically, so the procedure may COMMIT. Its work
// before a COMMIT then stays even if it fails later, and the 'succeeded'
// mark commits with its last transaction. Returns false (having done
// nothing) for any other command.
bool run_procedure_call(const char* command) {
    List* statements = pg_parse_query(command);
    if (list_length(statements) != 1 || !IsA(linitial_node(RawStmt, statements)->stmt, CallStmt)) {
        return false;
    }
    RawStmt* statement = linitial_node(RawStmt, statements);
    List* queries = pg_analyze_and_rewrite_fixedparams(statement, command, nullptr, 0, nullptr);
    List* plans = pg_plan_queries(queries, command, CURSOR_OPT_PARALLEL_OK, nullptr);
    // A procedure's COMMIT refuses to run while we hold a snapshot.
    PopActiveSnapshot();
    Portal portal = CreatePortal("pg_jobs call", true, true);
    portal->visible = false;
    PortalDefineQuery(portal, nullptr, command, CMDTAG_CALL, plans, nullptr);
    PortalStart(portal, nullptr, 0, InvalidSnapshot);
    DestReceiver* receiver = CreateDestReceiver(DestNone);
    QueryCompletion completion;
    InitializeQueryCompletion(&completion);
    (void)PortalRun(portal, FETCH_ALL, true, true, receiver, receiver, &completion);
    PortalDrop(portal, false);
    PushActiveSnapshot(GetTransactionSnapshot());
    return true;
}

// The job's command, as its owner, in the current transaction; then the
// 'succeeded' mark. Plain C calls only: it runs inside call_pg.
void run_command_as_owner(const ClaimedRun& run) {
    const Oid owner = get_role_oid(run.owner, true);
    if (!OidIsValid(owner)) {
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("role \"%s\" does not exist", run.owner),
                        errdetail("Job \"%s\" runs as its owner, and that role was dropped.", run.job_name),
                        errhint("Remove the job with jobs.unschedule, or schedule it again as an existing "
                                "role.")));
    }
    Oid saved_user = InvalidOid;
    int saved_security = 0;
    GetUserIdAndSecContext(&saved_user, &saved_security);
    // SECURITY_LOCAL_USERID_CHANGE: the command cannot SET ROLE back to us.
    SetUserIdAndSecContext(owner, saved_security | SECURITY_LOCAL_USERID_CHANGE);
    // Settings the command changes (SET, even without LOCAL) end with it.
    const int nest_level = NewGUCNestLevel();
    const LocalTransactionId transaction_before = MyProc->lxid;
    set_job_context(run.context_json);
    debug_query_string = run.command;
    pgstat_report_activity(STATE_RUNNING, run.command);

    uint64 rows = 0;
    if (!run_procedure_call(run.command)) {
        if (SPI_connect() != SPI_OK_CONNECT) {
            elog(ERROR, "pg_jobs: SPI_connect failed");
        }
        const int rc = SPI_execute(run.command, false, 0);
        if (rc < 0) {
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("could not run the command of job \"%s\": %s", run.job_name,
                                   SPI_result_code_string(rc))));
        }
        rows = SPI_processed;
        SPI_finish();
    }

    if (MyProc->lxid == transaction_before) {  // else a COMMIT in a procedure already ended it
        AtEOXact_GUC(true, nest_level);
    }
    clear_job_context();
    SetUserIdAndSecContext(saved_user, saved_security);
    record_success(run.execution_id, rows);
}

// Records `error` as the run's outcome; a failure to record is logged (the
// launcher will later mark the run 'crashed' if it stays 'running').
void record_failure_in_new_transaction(const ClaimedRun& run, ErrorData* error) {
    try {
        call_pg([&] {
            start_transaction();
            record_failure(run.execution_id, error);
            commit_transaction();
        });
    } catch (const PgError& record_error) {
        log_caught_error(record_error.data(), "could not record a failed run");
        abort_transaction();
    }
}

void execute_run(const ClaimedRun& run) {
    ErrorData* failure = nullptr;
    try {
        call_pg([&] {
            start_transaction();
            run_command_as_owner(run);
            commit_transaction();
        });
    } catch (const PgError& error) {
        failure = error.data();
    }
    clear_job_context();
    debug_query_string = nullptr;
    if (failure != nullptr) {
        // Undoes the command's effects, the owner switch and its settings.
        abort_transaction();
        ereport(LOG, (errmsg("pg_jobs: job \"%s\" (execution %lld) failed: %s", run.job_name,
                             static_cast<long long>(run.execution_id),
                             failure->message != nullptr ? failure->message : "error")));
        record_failure_in_new_transaction(run, failure);
    }
    pgstat_report_activity(STATE_IDLE, nullptr);
    ConditionVariableBroadcast(&scheduler_shared()->run_finished);
}

enum class Claim { Ran, Nothing, Error };

// Claims and runs one queued run of this database. The claim commits on its
// own first, so a crash during the run leaves a visible 'running' row.
Claim work_once() {
    ClaimedRun run{};
    bool claimed = false;
    bool failed = false;
    try {
        call_pg([&] {
            start_transaction();
            claimed = claim_next_run(run_context, &run);
            commit_transaction();
        });
    } catch (const PgError& error) {
        log_caught_error(error.data(), "could not claim a queued run");
        failed = true;
    }
    if (failed) {
        abort_transaction();
        return Claim::Error;
    }
    if (!claimed) {
        return Claim::Nothing;
    }
    execute_run(run);
    return Claim::Ran;
}

}  // namespace
}  // namespace pg_jobs::pg

void pg_jobs_sql_worker_main(Datum slot_index) {
    using namespace pg_jobs::pg;
    WorkerStartInfo info{};
    memcpy(&info, MyBgworkerEntry->bgw_extra, sizeof(info));

    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();
    if (!attach_slot(DatumGetInt32(slot_index), info)) {
        proc_exit(0);  // the launcher gave the slot away meanwhile
    }
    BackgroundWorkerInitializeConnectionByOid(info.database_oid, InvalidOid, 0);
    worker_user = GetUserId();
    run_context = AllocSetContextCreate(TopMemoryContext, "pg_jobs run", ALLOCSET_DEFAULT_SIZES);

    TimestampTz last_work = GetCurrentTimestamp();
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        if (ConfigReloadPending) {
            ConfigReloadPending = false;
            ProcessConfigFile(PGC_SIGHUP);
        }
        MemoryContextReset(run_context);
        MemoryContextSwitchTo(run_context);
        const Claim claim = work_once();
        if (claim == Claim::Ran) {
            last_work = GetCurrentTimestamp();
            continue;  // more may be queued: claim again before sleeping
        }
        if (claim == Claim::Error) {
            // The tables are unusable (extension dropped, say): leave; the
            // launcher starts workers again once runs are queued.
            proc_exit(0);
        }
        const long idle_ms = static_cast<long>((GetCurrentTimestamp() - last_work) / 1000);
        const long timeout_ms = worker_idle_timeout_ms() - idle_ms;
        if (timeout_ms <= 0) {
            proc_exit(0);  // idle too long; the launcher starts a new one when needed
        }
        set_idle(true);
        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, timeout_ms,
                        PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
        set_idle(false);
    }
}
