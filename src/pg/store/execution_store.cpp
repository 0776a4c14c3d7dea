// The scheduler's SQL; see execution_store.hpp.
#include "pg/store/execution_store.hpp"
#include "pg/common/run_log.hpp"

#include "pg/store/run_policy_sql.hpp"
#include "pg/store/store_call.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {
namespace {

// Every statement here is a string literal: its plan is kept (store_call.hpp).
void execute(const char* sql, int nargs, Oid* types, Datum* values, const char* nulls, int expected) {
    execute_stored(sql, nargs, types, values, nulls, expected);
}

const char* copy_text_column(MemoryContext into, HeapTuple tuple, TupleDesc desc, int column) {
    char* value = SPI_getvalue(tuple, desc, column);
    return value == nullptr ? nullptr : MemoryContextStrdup(into, value);
}

}  // namespace

bool claim_next_run(MemoryContext into, const char* database, Oid owner, int worker_pid, ClaimedRun* out) {
    // Name parameters keep the columns' "C" collation: compared as text
    // cast to name, the pending index could not give the execution_id order.
    auto* database_name = static_cast<NameData*>(palloc(sizeof(NameData)));
    namestrcpy(database_name, database);
    Oid types[3] = {NAMEOID, INT4OID, OIDOID};
    Datum values[3] = {NameGetDatum(database_name), Int32GetDatum(worker_pid), ObjectIdGetDatum(owner)};
    const int nest = begin_store_call();
    // A run past its starting deadline is recorded skipped instead of
    // claimed, one whose owner is gone or whose payload is too large failed
    // (the last column says so): then take the next one.
    bool skipped = true;
    while (skipped) {
        execute(
            "WITH c AS ("
            "  SELECT q.execution_id, " PG_JOBS_DEADLINE_COLUMN_SQL ", " PG_JOBS_OWNER_GONE_COLUMNS_SQL
            ", " PG_JOBS_REFUSAL_COLUMN_SQL("NULL")
            "  FROM jobs.job_execution AS q "
            "  WHERE q.status = 'queued' AND q.kind = 'sql' AND q.database = $1 AND q.owner = $3 "
            "    AND (q.not_before IS NULL OR q.not_before <= clock_timestamp()) AND " PG_JOBS_MAY_START_SQL
            "  ORDER BY q.execution_id LIMIT 1 FOR UPDATE OF q SKIP LOCKED) "
            "UPDATE jobs.job_execution AS e SET " PG_JOBS_CLAIM_SET_SQL("$2")
            "FROM c WHERE e.execution_id = c.execution_id "
            // The owner's current name: jobs belong to its OID (job_runner
            // switches to the role of that name).
            "RETURNING e.execution_id, e.job_name, "
            "  (SELECT o.rolname::text FROM pg_catalog.pg_roles AS o WHERE o.oid = e.owner), e.command, "
            // Built only for a run that starts: a refused one's would not fit.
            "  CASE WHEN e.status = 'running' THEN "
            "  jsonb_build_object('job_id', e.job_id, 'job_name', e.job_name, "
            "    'execution_id', e.execution_id, "
            "    'triggered_by', e.triggered_by, 'triggered_by_user', e.triggered_by_user, "
            "    'scheduled_for', e.scheduled_for, 'attempt', e.attempt, 'payload', e.payload)::text END, "
            "  (SELECT (extract(epoch FROM j.timeout) * 1000)::bigint FROM jobs.scheduled_job AS j "
            "   WHERE j.job_id = e.job_id), "
            "  e.status <> 'running'",
            3, types, values, nullptr, SPI_OK_UPDATE_RETURNING);
        bool is_null = false;
        skipped = SPI_processed > 0 &&
                  DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 7, &is_null));
    }
    const bool claimed = SPI_processed > 0;
    if (claimed) {
        HeapTuple tuple = SPI_tuptable->vals[0];
        TupleDesc desc = SPI_tuptable->tupdesc;
        bool is_null = false;
        out->execution_id = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &is_null));
        out->job_name = copy_text_column(into, tuple, desc, 2);
        out->owner = copy_text_column(into, tuple, desc, 3);
        out->command = copy_text_column(into, tuple, desc, 4);
        out->context_json = copy_text_column(into, tuple, desc, 5);
        const Datum timeout = SPI_getbinval(tuple, desc, 6, &is_null);
        out->timeout_ms = is_null ? -1 : DatumGetInt64(timeout);
    }
    end_store_call(nest);
    return claimed;
}

void record_success(int64 execution_id, uint64 rows_affected) {
    const int nest = begin_store_call();
    Oid types[2] = {INT8OID, INT8OID};
    Datum values[2] = {Int64GetDatum(execution_id), Int64GetDatum(static_cast<int64>(rows_affected))};
    execute(
        "UPDATE jobs.job_execution SET status = 'succeeded', finished_at = clock_timestamp(), "
        "rows_affected = $2, error = NULL WHERE execution_id = $1",  // NULL: see overlap replace
        2, types, values, nullptr, SPI_OK_UPDATE);
    end_store_call(nest);
}

char* failure_detail(const ErrorData* error) {
    // DETAIL and CONTEXT together say where it went wrong; either may be absent.
    StringInfoData detail;
    initStringInfo(&detail);
    if (error->detail != nullptr) {
        appendStringInfoString(&detail, error->detail);
    }
    if (error->context != nullptr) {
        if (detail.len > 0) {
            appendStringInfoChar(&detail, '\n');
        }
        appendStringInfo(&detail, "CONTEXT: %s", error->context);
    }
    if (detail.len == 0) {
        pfree(detail.data);
        return nullptr;
    }
    return detail.data;
}

void record_failure(int64 execution_id, const ErrorData* error) {
    const char* detail = failure_detail(error);
    record_ending(UnsuccessfulEnding{execution_id, "failed",
                                     error->message != nullptr ? error->message : "unknown error",
                                     error->sqlerrcode, detail});
}

void record_ending(const UnsuccessfulEnding& ending) {
    const int nest = begin_store_call();
    Oid types[5] = {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
    Datum values[5] = {
        Int64GetDatum(ending.execution_id), CStringGetTextDatum(ending.status),
        ending.message != nullptr ? CStringGetTextDatum(ending.message) : static_cast<Datum>(0),
        CStringGetTextDatum(unpack_sql_state(ending.sqlerrcode)),
        ending.detail != nullptr ? CStringGetTextDatum(ending.detail) : static_cast<Datum>(0)};
    const char nulls[5] = {' ', ' ', ending.message != nullptr ? ' ' : 'n', ' ',
                           ending.detail != nullptr ? ' ' : 'n'};
    execute(
        "UPDATE jobs.job_execution SET status = $2, finished_at = clock_timestamp(), "
        "error = coalesce($3, error, 'cancelled by ' || cancel_requested_by, 'cancelled'), sqlstate = $4, "
        "error_detail = $5 WHERE execution_id = $1",
        5, types, values, nulls, SPI_OK_UPDATE);
    end_store_call(nest);
}

bool record_remote_outcome(const RemoteOutcome& outcome) {
    constexpr int kArgs = 8;
    Oid types[kArgs] = {INT8OID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID, TEXTOID, TEXTOID, TEXTOID};
    Datum values[kArgs] = {Int64GetDatum(outcome.execution_id),
                           CStringGetTextDatum(outcome.status),
                           TimestampTzGetDatum(outcome.started_at),
                           TimestampTzGetDatum(outcome.finished_at),
                           Int64GetDatum(outcome.rows_affected),
                           0,
                           0,
                           0};
    // A failed run has no rows_affected, like one in jobs.database.
    const bool succeeded = strcmp(outcome.status, "succeeded") == 0;
    char nulls[kArgs] = {' ', ' ', ' ', ' ', succeeded ? ' ' : 'n', 'n', 'n', 'n'};
    if (!succeeded) {
        // No message: a run cancelled by jobs.cancel (the row says by whom).
        if (outcome.message != nullptr) {
            values[5] = CStringGetTextDatum(outcome.message);
            nulls[5] = ' ';
        }
        values[6] = CStringGetTextDatum(unpack_sql_state(outcome.sqlerrcode));
        nulls[6] = ' ';
        if (outcome.detail != nullptr) {
            values[7] = CStringGetTextDatum(outcome.detail);
            nulls[7] = ' ';
        }
    }
    return execute_counted(
               "UPDATE jobs.job_execution SET status = $2, started_at = $3, finished_at = $4, rows_affected "
               "= $5, "
               "error = CASE WHEN $2 = 'cancelled' THEN coalesce($6, error, 'cancelled by ' || "
               "cancel_requested_by, "
               "  'cancelled') ELSE $6 END, "
               "sqlstate = $7, error_detail = $8 WHERE execution_id = $1 AND status = 'running'",
               kArgs, types, values, nulls, SPI_OK_UPDATE) > 0;
}

bool requeue_run(int64 execution_id, int worker_pid) {
    Oid types[2] = {INT8OID, INT4OID};
    Datum values[2] = {Int64GetDatum(execution_id), Int32GetDatum(worker_pid)};
    return execute_counted(
               "UPDATE jobs.job_execution SET status = 'queued', started_at = NULL, worker_pid = NULL "
               "WHERE execution_id = $1 AND status = 'running' AND worker_pid = $2",
               2, types, values, nullptr, SPI_OK_UPDATE) > 0;
}

namespace {

// An array of 8-byte pass-by-value elements (bigint[] or timestamptz[]) as a Datum.
Datum int8_like_array(const int64* elements, int count, Oid element_type) {
    auto* datums = static_cast<Datum*>(palloc(sizeof(Datum) * Max(count, 1)));
    for (int i = 0; i < count; ++i) {
        datums[i] = Int64GetDatum(elements[i]);
    }
    return PointerGetDatum(construct_array(datums, count, element_type, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

}  // namespace

uint64 queue_scheduled_runs(const int64* job_ids, const TimestampTz* fire_times, int count, bool catch_up) {
    Oid types[3] = {INT8ARRAYOID, TIMESTAMPTZARRAYOID, BOOLOID};
    Datum values[3] = {int8_like_array(job_ids, count, INT8OID),
                       int8_like_array(fire_times, count, TIMESTAMPTZOID), BoolGetDatum(catch_up)};
    const int nest = begin_store_call();
    execute(kQueueScheduledRunsSql, 3, types, values, nullptr, SPI_OK_SELECT);
    bool is_null = false;
    const uint64 added = static_cast<uint64>(
        DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null)));
    end_store_call(nest);
    return added;
}

uint64 end_job_windows(const int64* job_ids, const TimestampTz* end_ats, int count) {
    Oid types[2] = {INT8ARRAYOID, TIMESTAMPTZARRAYOID};
    Datum values[2] = {int8_like_array(job_ids, count, INT8OID),
                       int8_like_array(end_ats, count, TIMESTAMPTZOID)};
    return execute_counted(kEndJobWindowsSql, 2, types, values, nullptr, SPI_OK_UPDATE_RETURNING);
}

uint64 expire_one_shots(const int64* job_ids, int count) {
    Oid types[1] = {INT8ARRAYOID};
    Datum values[1] = {int8_like_array(job_ids, count, INT8OID)};
    return execute_counted(kExpireOneShotsSql, 1, types, values, nullptr, SPI_OK_UPDATE_RETURNING);
}

uint64 disable_broken_jobs(const int64* job_ids, const char* const* reasons, int count) {
    auto* texts = static_cast<Datum*>(palloc(sizeof(Datum) * Max(count, 1)));
    for (int i = 0; i < count; ++i) {
        texts[i] = CStringGetTextDatum(reasons[i]);
    }
    Oid types[2] = {INT8ARRAYOID, TEXTARRAYOID};
    Datum values[2] = {int8_like_array(job_ids, count, INT8OID),
                       PointerGetDatum(construct_array(texts, count, TEXTOID, -1, false, TYPALIGN_INT))};
    return execute_counted(kDisableBrokenJobsSql, 2, types, values, nullptr, SPI_OK_UPDATE_RETURNING);
}

uint64 queue_reboot_runs(const int64* job_ids, int count, TimestampTz scheduler_started) {
    Oid types[2] = {INT8ARRAYOID, TIMESTAMPTZOID};
    Datum values[2] = {int8_like_array(job_ids, count, INT8OID), TimestampTzGetDatum(scheduler_started)};
    return execute_counted(
        "INSERT INTO jobs.job_execution "
        "  (job_id, job_name, owner, owner_name, database, command, kind, triggered_by, scheduled_for) "
        "SELECT j.job_id, j.job_name, j.owner, pg_get_userbyid(j.owner), j.database, j.command, j.kind, "
        "  'reboot', now() "
        "FROM jobs.scheduled_job AS j WHERE j.job_id = ANY ($1) AND j.enabled AND j.created_at < $2",
        2, types, values, nullptr, SPI_OK_INSERT);
}

namespace {
// A 'running' row whose worker_pid is no live "pg_jobs ... worker" process.
#define PG_JOBS_WORKER_GONE_SQL                   \
    "(worker_pid IS NULL OR worker_pid NOT IN ( " \
    "SELECT a.pid FROM pg_stat_activity AS a WHERE a.backend_type LIKE 'pg\\_jobs %worker'))"
constexpr const char* kLostRunError =
    "the process running this job ended before the run finished "
    "(server crash or restart, or the worker was terminated)";
}  // namespace

namespace {
// Runs `sql`, an UPDATE that marks runs 'crashed' ending in
// PG_JOBS_CRASHED_RETURNING_SQL, and writes each run's log line (run_log.hpp).
#define PG_JOBS_CRASHED_RETURNING_SQL " RETURNING kind, job_name, execution_id, error"
uint64 mark_crashed_and_log(const char* sql, int nargs, Oid* types, Datum* values) {
    const int nest = begin_store_call();
    execute_stored(sql, nargs, types, values, nullptr, SPI_OK_UPDATE_RETURNING);
    const uint64 processed = SPI_processed;
    for (uint64 row = 0; row < processed; ++row) {
        HeapTuple tuple = SPI_tuptable->vals[row];
        TupleDesc desc = SPI_tuptable->tupdesc;
        bool is_null = false;
        const int64 execution_id = DatumGetInt64(SPI_getbinval(tuple, desc, 3, &is_null));
        log_run_ending(SPI_getvalue(tuple, desc, 1), SPI_getvalue(tuple, desc, 2), execution_id, "crashed",
                       SPI_getvalue(tuple, desc, 4));
    }
    end_store_call(nest);
    return processed;
}
}  // namespace

uint64 mark_lost_runs_crashed(const int64* excluded, int excluded_count) {
    Oid types[2] = {TEXTOID, INT8ARRAYOID};
    Datum values[2] = {CStringGetTextDatum(kLostRunError),
                       int8_like_array(excluded, excluded_count, INT8OID)};
    return mark_crashed_and_log(
        "UPDATE jobs.job_execution SET status = 'crashed', finished_at = clock_timestamp(), error = $1 "
        "WHERE status = 'running' AND execution_id <> ALL ($2) AND " PG_JOBS_WORKER_GONE_SQL
            PG_JOBS_CRASHED_RETURNING_SQL,
        2, types, values);
}

namespace {
constexpr const char* kStuckRunError =
    "crashed: no process was running it past its timeout (+ grace); its worker had ended";
}

uint64 mark_stuck_runs_crashed(const int64* excluded, int excluded_count, int64 default_timeout_ms,
                               int64 grace_ms) {
    Oid types[4] = {TEXTOID, INT8ARRAYOID, INT8OID, INT8OID};
    Datum values[4] = {CStringGetTextDatum(kStuckRunError),
                       int8_like_array(excluded, excluded_count, INT8OID), Int64GetDatum(default_timeout_ms),
                       Int64GetDatum(grace_ms)};
    // Through the small job_execution_running index; the job's timeout, else
    // jobs.default_timeout, plus the grace, counted from the start. The time
    // since the start is compared with the timeout, never now - timeout:
    // a huge timeout would take that out of range (issue 10, point 14).
    return mark_crashed_and_log(
        "UPDATE jobs.job_execution AS e "
        "SET status = 'crashed', finished_at = clock_timestamp(), error = $1 "
        "WHERE e.status = 'running' AND e.execution_id <> ALL ($2) "
        "  AND isfinite(coalesce(e.started_at, e.queued_at)) "
        "  AND clock_timestamp() - coalesce(e.started_at, e.queued_at) - $4 * interval '1 millisecond' "
        "    > coalesce((SELECT j.timeout FROM jobs.scheduled_job AS j WHERE j.job_id = e.job_id), "
        "               $3 * interval '1 millisecond') "
        "  AND " PG_JOBS_WORKER_GONE_SQL PG_JOBS_CRASHED_RETURNING_SQL,
        4, types, values);
}

bool mark_run_crashed(int64 execution_id) {
    Oid types[2] = {INT8OID, TEXTOID};
    Datum values[2] = {Int64GetDatum(execution_id), CStringGetTextDatum(kLostRunError)};
    return mark_crashed_and_log(
               "UPDATE jobs.job_execution SET status = 'crashed', finished_at = clock_timestamp(), error = "
               "$2 "
               "WHERE execution_id = $1 AND status = 'running'" PG_JOBS_CRASHED_RETURNING_SQL,
               2, types, values) > 0;
}

bool earliest_pending_retry(TimestampTz after, TimestampTz* out) {
    Oid types[1] = {TIMESTAMPTZOID};
    Datum values[1] = {TimestampTzGetDatum(after)};
    const int nest = begin_store_call();
    // min() over the small job_execution_retry_due index: one probe.
    execute(
        "SELECT min(q.not_before) FROM jobs.job_execution AS q "
        "WHERE q.status = 'queued' AND q.not_before IS NOT NULL AND q.not_before > $1",
        1, types, values, nullptr, SPI_OK_SELECT);
    bool is_null = true;
    const Datum value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null);
    if (!is_null) {
        *out = DatumGetTimestampTz(value);
    }
    end_store_call(nest);
    return !is_null;
}

bool has_queued_http_runs() {
    return execute_counted(
               "SELECT FROM jobs.job_execution AS q WHERE q.status = 'queued' AND q.kind = 'http' "
               "AND (q.not_before IS NULL OR q.not_before <= clock_timestamp()) LIMIT 1",
               0, nullptr, nullptr, nullptr, SPI_OK_SELECT) > 0;
}

int queued_runs_by_pair(int64 limit, QueuedRuns** out) {
    MemoryContext caller = CurrentMemoryContext;
    Oid types[1] = {INT8OID};
    Datum values[1] = {Int64GetDatum(limit)};
    const int nest = begin_store_call();
    // A skip scan of the pending index: one probe per (database, owner), then
    // at most `limit` entries each (a plain GROUP BY would read every queued
    // run, on every launcher wake-up during a burst).
    execute(
        "WITH RECURSIVE p AS ("
        "  (SELECT q.database, q.owner FROM jobs.job_execution AS q WHERE q.status = 'queued' "
        "   AND q.kind = 'sql' AND (q.not_before IS NULL OR q.not_before <= clock_timestamp()) "
        "   ORDER BY q.database, q.owner LIMIT 1) "
        "  UNION ALL "
        "  SELECT n.database, n.owner FROM p, LATERAL (SELECT q.database, q.owner FROM jobs.job_execution AS "
        "q "
        "          WHERE q.status = 'queued' AND q.kind = 'sql' AND (q.database, q.owner) > (p.database, "
        "p.owner) "
        "            AND (q.not_before IS NULL OR q.not_before <= clock_timestamp()) "
        "          ORDER BY q.database, q.owner LIMIT 1) AS n) "
        // The owner's name for messages: its current one, else (a dropped
        // role) the one its runs were queued under.
        "SELECT p.database::text, coalesce((SELECT r.rolname::text FROM pg_catalog.pg_roles AS r "
        "  WHERE r.oid = p.owner), (SELECT h.owner_name::text FROM jobs.job_execution AS h "
        "  WHERE h.owner = p.owner AND h.owner_name NOT LIKE 'unknown (OID=%' "
        "  ORDER BY h.execution_id DESC LIMIT 1), p.owner::oid::text), "
        "  (SELECT count(*) FROM (SELECT FROM jobs.job_execution AS q "
        "  WHERE q.status = 'queued' AND q.kind = 'sql' AND q.database = p.database AND q.owner = p.owner "
        "    AND (q.not_before IS NULL OR q.not_before <= clock_timestamp()) LIMIT $1) AS capped) "
        ", p.owner::oid FROM p ORDER BY p.database, p.owner",
        1, types, values, nullptr, SPI_OK_SELECT);
    const int rows = static_cast<int>(SPI_processed);
    auto* result =
        static_cast<QueuedRuns*>(MemoryContextAllocZero(caller, sizeof(QueuedRuns) * Max(rows, 1)));
    for (int i = 0; i < rows; ++i) {
        HeapTuple tuple = SPI_tuptable->vals[i];
        bool is_null = false;
        result[i].database = copy_text_column(caller, tuple, SPI_tuptable->tupdesc, 1);
        result[i].owner = copy_text_column(caller, tuple, SPI_tuptable->tupdesc, 2);
        result[i].count = DatumGetInt64(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 3, &is_null));
        result[i].owner_oid = DatumGetObjectId(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 4, &is_null));
    }
    end_store_call(nest);
    *out = result;
    return rows;
}

uint64 fail_queued_runs(const char* database, Oid owner, int sqlstate, const char* message,
                        const char* hint) {
    Oid types[5] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, OIDOID};
    Datum values[5] = {CStringGetTextDatum(database), CStringGetTextDatum(message),
                       CStringGetTextDatum(unpack_sql_state(sqlstate)), CStringGetTextDatum(hint),
                       ObjectIdGetDatum(owner)};
    const char nulls[5] = {' ', ' ', ' ', ' ', owner != InvalidOid ? ' ' : 'n'};
    return execute_counted(
        "UPDATE jobs.job_execution SET status = 'failed', finished_at = clock_timestamp(), "
        "error = $2, sqlstate = $3, error_detail = 'HINT: ' || $4 "
        "WHERE status = 'queued' AND kind = 'sql' AND database = $1::name AND ($5 IS NULL OR owner = $5)",
        5, types, values, nulls, SPI_OK_UPDATE);
}

}  // namespace pg_jobs::pg
