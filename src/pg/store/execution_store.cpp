// The scheduler's SQL; see execution_store.hpp.
#include "core/run_status.hpp"
#include "pg/store/execution_store.hpp"

#include "pg/common/run_events.hpp"
#include "pg/store/run_lifecycle_sql.hpp"
#include "pg/store/run_policy_sql.hpp"
#include "pg/store/store_call.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "miscadmin.h"
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
    // claimed, one whose payload is too large failed (the last column says
    // so): then take the next one. The caller has checked the owner
    // (PG_JOBS_OWNER_CHECKED_COLUMNS_SQL).
    bool skipped = true;
    while (skipped) {
        execute(
            "WITH c AS (" PG_JOBS_CLAIM_CANDIDATE_SQL(
                "  SELECT q.execution_id, q.job_id, q.scheduled_for, " PG_JOBS_DEADLINE_COLUMN_SQL
                ", " PG_JOBS_OWNER_CHECKED_COLUMNS_SQL ", " PG_JOBS_REFUSAL_COLUMN_SQL("NULL")
                "  FROM jobs.job_execution AS q "
                "  WHERE q.status = 'queued' AND q.kind = 'sql' AND q.database = $1 AND q.owner = $3 "
                "    AND " PG_JOBS_NOT_BEFORE_DUE_SQL("q") " AND " PG_JOBS_MAY_START_SQL
                // opts (issue 15): highest priority first (the pending index's order).
                "  ORDER BY q.priority DESC, q.execution_id LIMIT 1 FOR UPDATE OF q SKIP LOCKED") ") "
            "UPDATE jobs.job_execution AS e SET " PG_JOBS_CLAIM_SET_SQL("$2")
            "FROM c LEFT JOIN jobs.scheduled_job AS j ON j.job_id = c.job_id "
            "WHERE e.execution_id = c.execution_id "
            "RETURNING e.execution_id, e.job_name, e.command, "
            // Built only for a run that starts: a refused one's would not fit.
            "  CASE WHEN e.status = 'running' THEN "
            "  (jsonb_build_object('job_id', e.job_id, 'job_name', e.job_name, "
            "    'execution_id', e.execution_id, "
            "    'triggered_by', e.triggered_by, 'triggered_by_user', e.triggered_by_user, "
            "    'scheduled_for', e.scheduled_for, 'attempt', e.attempt, 'payload', e.payload) "
            // flow: a workflow step's run adds workflow and upstream.
            "    || coalesce(e.workflow_context, '{}'))::text END, "
            "  (extract(epoch FROM j.timeout) * 1000)::bigint, "
            "  e.status <> 'running', e.job_id, e.status, e.attempt, "
            "  CASE WHEN e.status = 'running' AND e.kind = 'sql' THEN j.run_if END",
            3, types, values, nullptr, SPI_OK_UPDATE_RETURNING);
        if (SPI_processed > 0) {  // run_started, or run_finished when skipped or failed
            queue_run_event_of_row(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, 7, 8, 9);
        }
        bool is_null = false;
        skipped = SPI_processed > 0 &&
                  DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 6, &is_null));
    }
    const bool claimed = SPI_processed > 0;
    if (claimed) {
        HeapTuple tuple = SPI_tuptable->vals[0];
        TupleDesc desc = SPI_tuptable->tupdesc;
        bool is_null = false;
        out->execution_id = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &is_null));
        out->job_name = copy_text_column(into, tuple, desc, 2);
        // The owner's current name (jobs belong to its OID), from the
        // catalog cache rather than a probe of pg_roles in the statement.
        const char* owner_name = GetUserNameFromId(owner, true);
        out->owner = MemoryContextStrdup(
            into, owner_name != nullptr ? owner_name : psprintf("unknown (OID=%u)", owner));
        out->command = copy_text_column(into, tuple, desc, 3);
        out->context_json = copy_text_column(into, tuple, desc, 4);
        const Datum timeout = SPI_getbinval(tuple, desc, 5, &is_null);
        out->timeout_ms = is_null ? -1 : DatumGetInt64(timeout);
        out->run_if = copy_text_column(into, tuple, desc, 10);
    }
    end_store_call(nest);
    return claimed;
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

uint64 record_missed_while_down(const int64* job_ids, const TimestampTz* firsts, const TimestampTz* lasts,
                                const int32* counts, const bool* at_least, int count) {
    auto* count_datums = static_cast<Datum*>(palloc(sizeof(Datum) * Max(count, 1)));
    auto* flag_datums = static_cast<Datum*>(palloc(sizeof(Datum) * Max(count, 1)));
    for (int i = 0; i < count; ++i) {
        count_datums[i] = Int32GetDatum(counts[i]);
        flag_datums[i] = BoolGetDatum(at_least[i]);
    }
    Oid types[5] = {INT8ARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID, INT4ARRAYOID, BOOLARRAYOID};
    Datum values[5] = {int8_like_array(job_ids, count, INT8OID),
                       int8_like_array(firsts, count, TIMESTAMPTZOID),
                       int8_like_array(lasts, count, TIMESTAMPTZOID),
                       PointerGetDatum(construct_array(count_datums, count, INT4OID, 4, true, TYPALIGN_INT)),
                       PointerGetDatum(construct_array(flag_datums, count, BOOLOID, 1, true, TYPALIGN_CHAR))};
    // One row per job, as consecutive skipped fire times share one
    // (skipped_count); a time recorded already (a second start) is left.
    return execute_counted(
        "INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, kind, "
        "  triggered_by, scheduled_for, status, finished_at, error, skipped_count) "
        "SELECT j.job_id, j.job_name, j.owner, pg_get_userbyid(j.owner), j.database, j.command, j.kind, "
        "  'schedule', d.last_time, 'skipped', clock_timestamp(), "
        "  CASE WHEN d.n = 1 AND NOT d.at_least "
        "    THEN format('skipped: the scheduler was not running at %s (misfire skip)', d.last_time) "
        "    ELSE format('skipped: the scheduler was not running at %s%s fire times, from %s to %s (misfire "
        "skip)', "
        "      CASE WHEN d.at_least THEN 'more than ' ELSE '' END, d.n, d.first_time, d.last_time) END, d.n "
        "FROM unnest($1::bigint[], $2::timestamptz[], $3::timestamptz[], $4::integer[], $5::boolean[]) "
        "  AS d(job_id, first_time, last_time, n, at_least) "
        "JOIN jobs.scheduled_job AS j ON j.job_id = d.job_id "
        "WHERE j.enabled "
        "ON CONFLICT (job_id, scheduled_for) WHERE triggered_by = 'schedule' DO NOTHING",
        5, types, values, nullptr, SPI_OK_INSERT);
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
        "  (job_id, job_name, owner, owner_name, database, command, kind, triggered_by, scheduled_for, "
        "priority) "
        "SELECT j.job_id, j.job_name, j.owner, pg_get_userbyid(j.owner), j.database, j.command, j.kind, "
        "  'reboot', now(), j.priority "
        "FROM jobs.scheduled_job AS j WHERE j.job_id = ANY ($1) AND j.enabled AND j.created_at < $2",
        2, types, values, nullptr, SPI_OK_INSERT);
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

bool next_start_of_pair(const char* database, Oid owner, TimestampTz* out) {
    auto* database_name = static_cast<NameData*>(palloc(sizeof(NameData)));
    namestrcpy(database_name, database);
    Oid types[2] = {NAMEOID, OIDOID};
    Datum values[2] = {NameGetDatum(database_name), ObjectIdGetDatum(owner)};
    const int nest = begin_store_call();
    // Through the pending index: the pair's queued runs, a few.
    execute(
        "SELECT min(q.not_before) FROM jobs.job_execution AS q "
        "WHERE q.status = 'queued' AND q.kind = 'sql' AND q.database = $1 AND q.owner = $2 "
        "  AND q.not_before > clock_timestamp()",
        2, types, values, nullptr, SPI_OK_SELECT);
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
               "SELECT FROM jobs.job_execution AS q WHERE q.status = 'queued' AND q.kind IN ('http', "
               "'email') "
               "AND " PG_JOBS_NOT_BEFORE_DUE_SQL("q") " LIMIT 1",
               0, nullptr, nullptr, nullptr, SPI_OK_SELECT) > 0;
}

namespace {

// The rows (database, owner name, count, owner oid) the last statement
// returned, as QueuedRuns palloc'd in `context`; returns the row count.
int copy_runs_by_pair(MemoryContext context, QueuedRuns** out) {
    const int rows = static_cast<int>(SPI_processed);
    auto* result =
        static_cast<QueuedRuns*>(MemoryContextAllocZero(context, sizeof(QueuedRuns) * Max(rows, 1)));
    for (int i = 0; i < rows; ++i) {
        HeapTuple tuple = SPI_tuptable->vals[i];
        bool is_null = false;
        result[i].database = copy_text_column(context, tuple, SPI_tuptable->tupdesc, 1);
        result[i].owner = copy_text_column(context, tuple, SPI_tuptable->tupdesc, 2);
        result[i].count = DatumGetInt64(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 3, &is_null));
        result[i].owner_oid = DatumGetObjectId(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 4, &is_null));
    }
    *out = result;
    return rows;
}

}  // namespace

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
        "   AND q.kind = 'sql' AND " PG_JOBS_NOT_BEFORE_DUE_SQL("q") " "
        "   ORDER BY q.database, q.owner LIMIT 1) "
        "  UNION ALL "
        "  SELECT n.database, n.owner FROM p, LATERAL (SELECT q.database, q.owner FROM jobs.job_execution AS "
        "q "
        "          WHERE q.status = 'queued' AND q.kind = 'sql' AND (q.database, q.owner) > (p.database, "
        "p.owner) "
        "            AND " PG_JOBS_NOT_BEFORE_DUE_SQL("q") " "
        "          ORDER BY q.database, q.owner LIMIT 1) AS n) "
        // The owner's name for messages: its current one, else (a dropped
        // role) the one its runs were queued under.
        "SELECT p.database::text, coalesce((SELECT r.rolname::text FROM pg_catalog.pg_roles AS r "
        "  WHERE r.oid = p.owner), (SELECT h.owner_name::text FROM jobs.job_execution AS h "
        "  WHERE h.owner = p.owner AND h.owner_name NOT LIKE 'unknown (OID=%' "
        "  ORDER BY h.execution_id DESC LIMIT 1), p.owner::oid::text), "
        "  (SELECT count(*) FROM (SELECT FROM jobs.job_execution AS q "
        "  WHERE q.status = 'queued' AND q.kind = 'sql' AND q.database = p.database AND q.owner = p.owner "
        "    AND " PG_JOBS_NOT_BEFORE_DUE_SQL("q") " LIMIT $1) AS capped) "
        ", p.owner::oid FROM p ORDER BY p.database, p.owner",
        1, types, values, nullptr, SPI_OK_SELECT);
    const int rows = copy_runs_by_pair(caller, out);
    end_store_call(nest);
    return rows;
}

int coming_runs_by_owner(const int64* job_ids, int count, QueuedRuns** out) {
    MemoryContext caller = CurrentMemoryContext;
    Oid types[1] = {INT8ARRAYOID};
    Datum values[1] = {int8_like_array(job_ids, count, INT8OID)};
    const int nest = begin_store_call();
    execute(
        "SELECT j.database::text, coalesce(r.rolname::text, j.owner::oid::text), count(*), j.owner::oid "
        "FROM jobs.scheduled_job AS j LEFT JOIN pg_catalog.pg_roles AS r ON r.oid = j.owner "
        "WHERE j.job_id = ANY ($1) AND j.kind = 'sql' AND j.enabled "
        "  AND j.database = pg_catalog.current_database() "
        "GROUP BY j.database, r.rolname, j.owner ORDER BY j.owner",
        1, types, values, nullptr, SPI_OK_SELECT);
    const int rows = copy_runs_by_pair(caller, out);
    end_store_call(nest);
    return rows;
}

}  // namespace pg_jobs::pg
