// jobs_internal._scheduler_state(): the scheduler's processes as shared memory knows
// them, for jobs.health() and jobs.metrics(): the launcher (pid, since when,
// its earliest fire time not queued yet, the last history retention pass),
// the SQL worker slots (busy, idle, starting, the most there may be) and the
// HTTP worker. One consistent snapshot, read under the "pg_jobs" LWLock.
//
// Shows pids, times and counts only, nothing of any role's jobs; still
// executable by the extension's owner alone: jobs.health() (SECURITY
// DEFINER) is its public face. Plain C calls only under run_guarded.
#include "pg/common/guard.hpp"
#include "pg/common/gucs.hpp"
#include "pg/common/pg_headers.hpp"
#include "pg/common/shmem.hpp"

extern "C" {
#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {
namespace {

constexpr int kColumns = 10;

struct StateSnapshot {
    bool preloaded = false;
    pid_t launcher_pid = 0;
    TimestampTz launcher_started_at = 0;
    TimestampTz next_fire_at = 0;
    TimestampTz last_retention_at = 0;
    int busy = 0;
    int idle = 0;
    int starting = 0;
    int max = 0;
    pid_t http_worker_pid = 0;
};

StateSnapshot read_snapshot() {
    StateSnapshot snapshot;
    snapshot.max = max_sql_workers();
    SchedulerShared* shared = scheduler_shared();
    if (shared == nullptr) {
        return snapshot;  // not in shared_preload_libraries: nothing runs
    }
    snapshot.preloaded = true;
    LWLockAcquire(shared->lock, LW_SHARED);
    snapshot.launcher_pid = shared->launcher_pid;
    snapshot.launcher_started_at = shared->launcher_started_at;
    snapshot.next_fire_at = shared->next_fire_at;
    snapshot.last_retention_at = shared->last_retention_at;
    snapshot.http_worker_pid = shared->http_worker_pid;
    snapshot.max = shared->slot_count;
    for (int i = 0; i < shared->slot_count; ++i) {
        const WorkerSlot& slot = shared->slots[i];
        if (slot.state == SlotState::Starting) {
            ++snapshot.starting;
        } else if (slot.state == SlotState::Running) {
            if (slot.idle) {
                ++snapshot.idle;
            } else {
                ++snapshot.busy;
            }
        }
    }
    LWLockRelease(shared->lock);
    return snapshot;
}

void put_time(TimestampTz value, Datum* values, bool* nulls, int column) {
    nulls[column] = value == 0;
    values[column] = TimestampTzGetDatum(value);
}

void put_pid(pid_t value, Datum* values, bool* nulls, int column) {
    nulls[column] = value == 0;
    values[column] = Int32GetDatum(value);
}

Datum scheduler_state(FunctionCallInfo fcinfo) {
    TupleDesc descriptor = nullptr;
    if (get_call_result_type(fcinfo, nullptr, &descriptor) != TYPEFUNC_COMPOSITE) {
        elog(ERROR, "pg_jobs: jobs_internal._scheduler_state must return a composite type");
    }
    descriptor = BlessTupleDesc(descriptor);
    if (descriptor->natts != kColumns) {
        elog(ERROR, "pg_jobs: jobs_internal._scheduler_state returns %d columns, not %d", descriptor->natts, kColumns);
    }
    const StateSnapshot snapshot = read_snapshot();
    Datum values[kColumns] = {};
    bool nulls[kColumns] = {};
    values[0] = BoolGetDatum(snapshot.preloaded);
    put_pid(snapshot.launcher_pid, values, nulls, 1);
    put_time(snapshot.launcher_started_at, values, nulls, 2);
    put_time(snapshot.next_fire_at, values, nulls, 3);
    put_time(snapshot.last_retention_at, values, nulls, 4);
    values[5] = Int32GetDatum(snapshot.busy);
    values[6] = Int32GetDatum(snapshot.idle);
    values[7] = Int32GetDatum(snapshot.starting);
    values[8] = Int32GetDatum(snapshot.max);
    put_pid(snapshot.http_worker_pid, values, nulls, 9);
    HeapTuple tuple = heap_form_tuple(descriptor, values, nulls);
    return HeapTupleGetDatum(tuple);
}

}  // namespace
}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_scheduler_state);
Datum pg_jobs_scheduler_state(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._scheduler_state",
                                    [&] { return pg_jobs::pg::scheduler_state(fcinfo); });
}
