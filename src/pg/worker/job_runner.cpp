// See job_runner.hpp.
#include "pg/worker/job_runner.hpp"

#include "pg/common/command_syntax.hpp"
#include "pg/worker/job_context.hpp"
#include "pg/worker/run_result.hpp"
#include "pg/worker/standalone_command.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "commands/prepare.h"
#include "commands/sequence.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
}

namespace pg_jobs::pg {
namespace {

LocalTransactionId command_transaction = InvalidLocalTransactionId;

// A command that is one CALL runs like a CALL from a client: through a
// top-level portal, non-atomically, so the procedure may COMMIT. Its work
// before a COMMIT then stays even if it fails later, and the outcome is
// recorded with its last transaction. Returns false (having done nothing)
// for any other command.
bool run_procedure_call(const char* command) {
    if (!may_be_call(command)) {
        return false;
    }
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

// Errors of run_if say whose run_if it was (the job's CONTEXT line).
void run_if_error_context(void* arg) {
    errcontext("run_if of job \"%s\"", static_cast<const char*>(arg));
}

// Errors while the first row becomes the run's result (an output function
// of the row's types) say so.
void result_error_context(void* arg) {
    errcontext("rendering the first row returned by job \"%s\" as its result (JSON)",
               static_cast<const char*>(arg));
}

// The run's result (run_result.hpp) from the last statement's rows, under
// result_error_context; copied into `into`.
RunResult render_result(const ClaimedRun& run, MemoryContext into) {
    ErrorContextCallback callback{};
    callback.callback = result_error_context;
    callback.arg = const_cast<char*>(run.job_name);
    callback.previous = error_context_stack;
    error_context_stack = &callback;
    const RunResult result = first_row_result(SPI_tuptable, into);
    error_context_stack = callback.previous;
    return result;
}

// Evaluates the job's run_if as SELECT (run_if)::boolean: true only for
// true (false and NULL skip the run).
bool run_if_holds(const ClaimedRun& run) {
    auto* callback = static_cast<ErrorContextCallback*>(palloc0(sizeof(ErrorContextCallback)));
    callback->callback = run_if_error_context;
    callback->arg = const_cast<char*>(run.job_name);
    callback->previous = error_context_stack;
    error_context_stack = callback;
    const bool holds = evaluate_run_if(run.run_if, run.job_name);
    error_context_stack = callback->previous;
    return holds;
}

}  // namespace

uint64 run_command_as_owner(const ClaimedRun& run, bool* run_if_false, RunResult* result) {
    MemoryContext caller = CurrentMemoryContext;
    *result = RunResult{};
    command_transaction = MyProc->lxid;
    const Oid owner = get_role_oid(run.owner, true);
    if (!OidIsValid(owner)) {
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("role \"%s\" does not exist", run.owner),
                        errdetail("Job \"%s\" runs as its owner, and that role was dropped.", run.job_name),
                        errhint("Remove the job with jobs.unschedule, or schedule it again as an existing "
                                "role.")));
    }
    // The worker is a session of the owner (sql_worker.cpp): the command
    // runs, and later commits, as that role. A run of anyone else never
    // reaches it; refuse one all the same rather than run it as the wrong role.
    if (owner != GetSessionUserId() || owner != GetUserId()) {
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("job \"%s\" of role \"%s\" was handed to a worker of another role",
                               run.job_name, run.owner),
                        errhint("This is a bug in pg_jobs: the run did not start.")));
    }
    // Settings the command changes (SET, even without LOCAL) end with it, so
    // the scheduler's statements after it see the session's own; the worker
    // resets the session after the run anyway (clean_session).
    const int nest_level = NewGUCNestLevel();
    set_job_context(run.context_json);
    debug_query_string = run.command;
    pgstat_report_activity(STATE_RUNNING, run.command);

    uint64 rows = 0;
    *run_if_false = run.run_if != nullptr && !run_if_holds(run);
    if (*run_if_false) {
        // Nothing else runs: the settings run_if changed end here.
    } else if (!run_procedure_call(run.command) && !run_standalone_command(run.command)) {
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
        // Still the owner, in the run's transaction, with the command's
        // settings: the row's output functions run as its own would.
        *result = render_result(run, caller);
        SPI_finish();
    }

    if (!command_committed()) {  // else the COMMIT already ended the nest level
        // false: undo every SET of the command, not only SET LOCAL (with
        // true a plain SET would outlive the nest level, as at commit).
        AtEOXact_GUC(false, nest_level);
    }
    clear_job_context();
    return rows;
}

bool command_committed() {
    return MyProc->lxid != command_transaction;
}

void clean_session() {
    // As DISCARD ALL: portals first (closing one may run user code, as the
    // owner), then the identity and every setting back to the session's
    // defaults (the owner's own role settings included), then the rest.
    // (No LISTEN to undo: PostgreSQL refuses it in a background worker.)
    PortalHashTableDeleteAll();  // cursors WITH HOLD
    SetPGVariable("role", nullptr, false);
    SetPGVariable("session_authorization", nullptr, false);
    ResetAllOptions();
    Oid temp_namespace = InvalidOid;
    Oid temp_toast_namespace = InvalidOid;
    GetTempNamespaceState(&temp_namespace, &temp_toast_namespace);
    if (OidIsValid(temp_namespace)) {
        ResetTempTableNamespace();  // the namespace stays for the next run; its tables go
    }
    DropAllPreparedStatements();
    ResetSequenceCaches();  // currval / lastval
}

void release_session_locks() {
    LockReleaseAll(USER_LOCKMETHOD, true);
}

}  // namespace pg_jobs::pg
