// jobs.wait(execution_id, timeout): sleep until a run reaches a final state,
// woken by the worker that finishes it (a shared condition variable), never
// by polling; then return the row as it is.
#include "core/run_status.hpp"
#include "pg/common/guard.hpp"
#include "pg/common/pg_headers.hpp"
#include "pg/common/shmem.hpp"
#include "pg/store/run_lifecycle_sql.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/datetime.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {
namespace {

// Longest single sleep: jobs.wait re-reads the row at least this often, so a
// run finished by a process that could not broadcast (crash recovery, a
// manual UPDATE) is still noticed.
constexpr long kMaxSleepMs = 1000;

struct RowState {
    Datum row;  // the whole jobs.job_execution row, in the caller's context
    bool found;
    bool final;        // its status is final (core/run_status.hpp)
    bool queued_here;  // queued by the current (uncommitted) transaction
};

// Reads the row with the latest snapshot, not the transaction's: under
// REPEATABLE READ or SERIALIZABLE the transaction would never see the run
// finish. Plain C calls only.
RowState read_row(int64 execution_id) {
    RowState state{};
    Oid arg_type = INT8OID;
    Datum arg = Int64GetDatum(execution_id);
    SPI_connect();
    // Prepared once per session (the plan cache replans it when the table
    // changes, or for another role's row security): a wait reads the row
    // at least twice, right after the trigger's commit, while the worker
    // starts the run.
    static SPIPlanPtr plan = nullptr;
    if (plan == nullptr) {
        SPIPlanPtr prepared = SPI_prepare(
            "SELECT e, " PG_JOBS_FINISHED_SQL("e") ", e.status = 'queued', e.xmin "
            "FROM jobs.job_execution e WHERE e.execution_id = $1",
            1, &arg_type);
        if (prepared == nullptr) {
            elog(ERROR, "could not prepare the read of execution %lld: %s",
                 static_cast<long long>(execution_id), SPI_result_code_string(SPI_result));
        }
        if (SPI_keepplan(prepared) != 0) {
            elog(ERROR, "could not keep the plan of the read of execution %lld",
                 static_cast<long long>(execution_id));
        }
        plan = prepared;
    }
    const int rc =
        SPI_execute_snapshot(plan, &arg, nullptr, GetLatestSnapshot(), InvalidSnapshot, false, false, 1);
    if (rc != SPI_OK_SELECT) {
        elog(ERROR, "could not read execution %lld: %s", static_cast<long long>(execution_id),
             SPI_result_code_string(rc));
    }
    if (SPI_processed > 0) {
        bool is_null = false;
        HeapTuple tuple = SPI_tuptable->vals[0];
        TupleDesc desc = SPI_tuptable->tupdesc;
        state.found = true;
        state.row = SPI_datumTransfer(SPI_getbinval(tuple, desc, 1, &is_null), false, -1);
        state.final = DatumGetBool(SPI_getbinval(tuple, desc, 2, &is_null));
        const bool queued = DatumGetBool(SPI_getbinval(tuple, desc, 3, &is_null));
        const TransactionId xmin = DatumGetTransactionId(SPI_getbinval(tuple, desc, 4, &is_null));
        state.queued_here = queued && TransactionIdIsCurrentTransactionId(xmin);
    }
    SPI_finish();
    return state;
}

// The timeout in microseconds; negative for "no limit" (a NULL timeout).
int64 timeout_micros(FunctionCallInfo fcinfo) {
    if (PG_NARGS() < 2 || PG_ARGISNULL(1)) {
        return -1;
    }
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    const Interval* timeout = PG_GETARG_INTERVAL_P(1);
    const int64 micros = timeout->time + timeout->day * USECS_PER_DAY +
                         static_cast<int64>(timeout->month) * DAYS_PER_MONTH * USECS_PER_DAY;
    return micros < 0 ? 0 : micros;
}

// No C++ objects with destructors are alive here: PostgreSQL calls may
// ereport directly (an abort cancels the condition-variable sleep).
Datum wait_for_run(FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(0)) {
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("execution_id must not be NULL"),
                        errhint("Pass the execution_id jobs.trigger returned, for example "
                                "SELECT jobs.trigger('my-job') AS id \\gset in psql, then "
                                "SELECT * FROM jobs.wait(:id).")));
    }
    const int64 execution_id = PG_GETARG_INT64(0);
    const int64 timeout = timeout_micros(fcinfo);
    const TimestampTz deadline = timeout < 0 ? DT_NOEND : GetCurrentTimestamp() + timeout;
    SchedulerShared* shared = scheduler_shared();

    if (shared != nullptr) {
        // Before the first read, so a broadcast between read and sleep is not lost.
        ConditionVariablePrepareToSleep(&shared->run_finished);
    }
    RowState state = read_row(execution_id);
    if (!state.found) {
        ereport(ERROR,
                (errcode(ERRCODE_UNDEFINED_OBJECT),
                 errmsg("execution %lld does not exist", static_cast<long long>(execution_id)),
                 errhint("Pass an execution_id returned by jobs.trigger or listed in jobs.job_history.")));
    }
    if (state.queued_here) {
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("execution %lld was queued by the current transaction",
                               static_cast<long long>(execution_id)),
                        errdetail("A queued run starts only when the transaction that queued it commits."),
                        errhint("Commit first, then call jobs.wait in a new transaction.")));
    }
    while (!state.final) {
        const TimestampTz now = GetCurrentTimestamp();
        if (now >= deadline) {
            break;
        }
        long sleep_ms = kMaxSleepMs;
        if (deadline != DT_NOEND) {
            sleep_ms = Min(sleep_ms, static_cast<long>((deadline - now + 999) / 1000));
        }
        if (shared != nullptr) {
            ConditionVariableTimedSleep(&shared->run_finished, sleep_ms, PG_WAIT_EXTENSION);
        } else {
            // Not preloaded: no worker will ever run it, but honour the timeout.
            (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, sleep_ms,
                            PG_WAIT_EXTENSION);
            ResetLatch(MyLatch);
            CHECK_FOR_INTERRUPTS();
        }
        const RowState next = read_row(execution_id);
        if (!next.found) {
            break;  // deleted meanwhile: return the last row we saw
        }
        state = next;
    }
    if (shared != nullptr) {
        ConditionVariableCancelSleep();
    }
    return state.row;
}

}  // namespace
}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_wait);
Datum pg_jobs_wait(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs.wait", [&] { return pg_jobs::pg::wait_for_run(fcinfo); });
}
