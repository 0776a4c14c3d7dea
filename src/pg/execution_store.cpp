// The scheduler's SQL; see execution_store.hpp.
#include "pg/execution_store.hpp"

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

// SPI connection with a safe search_path for the duration of one store call.
// The GUC nest level undoes the setting at `finish` (or at abort).
int begin_store_call() {
    const int nest_level = NewGUCNestLevel();
    (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
                            true, 0, false);
    if (SPI_connect() != SPI_OK_CONNECT) {
        elog(ERROR, "pg_jobs: SPI_connect failed");
    }
    return nest_level;
}

void end_store_call(int nest_level) {
    SPI_finish();
    AtEOXact_GUC(true, nest_level);
}

int execute(const char* sql, int nargs, Oid* types, Datum* values, const char* nulls, int expected) {
    const int rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
    if (rc != expected) {
        elog(ERROR, "pg_jobs: unexpected result %s from: %s", SPI_result_code_string(rc), sql);
    }
    return rc;
}

const char* copy_text_column(MemoryContext into, HeapTuple tuple, TupleDesc desc, int column) {
    char* value = SPI_getvalue(tuple, desc, column);
    return value == nullptr ? nullptr : MemoryContextStrdup(into, value);
}

}  // namespace

bool claim_next_run(MemoryContext into, ClaimedRun* out) {
    const int nest = begin_store_call();
    execute(
        "UPDATE jobs.job_execution AS e "
        "SET status = 'running', started_at = clock_timestamp(), worker_pid = pg_backend_pid() "
        "WHERE e.execution_id = ("
        "  SELECT q.execution_id FROM jobs.job_execution AS q "
        "  WHERE q.status = 'queued' AND q.database = current_database() "
        "  ORDER BY q.execution_id LIMIT 1 FOR UPDATE SKIP LOCKED) "
        "RETURNING e.execution_id, e.job_name, e.owner::text, e.command, "
        "  jsonb_build_object('job_id', e.job_id, 'job_name', e.job_name, 'execution_id', e.execution_id, "
        "    'triggered_by', e.triggered_by, 'triggered_by_user', e.triggered_by_user, "
        "    'scheduled_for', e.scheduled_for, 'payload', e.payload)::text",
        0, nullptr, nullptr, nullptr, SPI_OK_UPDATE_RETURNING);
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
        "rows_affected = $2 WHERE execution_id = $1",
        2, types, values, nullptr, SPI_OK_UPDATE);
    end_store_call(nest);
}

void record_failure(int64 execution_id, const ErrorData* error) {
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
    const int nest = begin_store_call();
    Oid types[4] = {INT8OID, TEXTOID, TEXTOID, TEXTOID};
    Datum values[4] = {Int64GetDatum(execution_id),
                       CStringGetTextDatum(error->message != nullptr ? error->message : "unknown error"),
                       CStringGetTextDatum(unpack_sql_state(error->sqlerrcode)),
                       detail.len > 0 ? CStringGetTextDatum(detail.data) : static_cast<Datum>(0)};
    const char nulls[4] = {' ', ' ', ' ', detail.len > 0 ? ' ' : 'n'};
    execute(
        "UPDATE jobs.job_execution SET status = 'failed', finished_at = clock_timestamp(), "
        "error = $2, sqlstate = $3, error_detail = $4 WHERE execution_id = $1",
        4, types, values, nulls, SPI_OK_UPDATE);
    end_store_call(nest);
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

uint64 queue_scheduled_runs(const int64* job_ids, const TimestampTz* fire_times, int count) {
    Oid types[2] = {INT8ARRAYOID, TIMESTAMPTZARRAYOID};
    Datum values[2] = {int8_like_array(job_ids, count, INT8OID),
                       int8_like_array(fire_times, count, TIMESTAMPTZOID)};
    const int nest = begin_store_call();
    execute(
        "INSERT INTO jobs.job_execution "
        "  (job_id, job_name, owner, database, command, triggered_by, scheduled_for) "
        "SELECT j.job_id, j.job_name, j.owner, j.database, j.command, 'schedule', d.fire_time "
        "FROM unnest($1, $2) AS d(job_id, fire_time) "
        "JOIN jobs.scheduled_job AS j ON j.job_id = d.job_id "
        "WHERE j.enabled AND j.schedule IS NOT NULL "
        "ON CONFLICT (job_id, scheduled_for) WHERE triggered_by = 'schedule' DO NOTHING",
        2, types, values, nullptr, SPI_OK_INSERT);
    const uint64 added = SPI_processed;
    end_store_call(nest);
    return added;
}

uint64 queue_reboot_runs(const int64* job_ids, int count) {
    Oid types[1] = {INT8ARRAYOID};
    Datum values[1] = {int8_like_array(job_ids, count, INT8OID)};
    const int nest = begin_store_call();
    execute(
        "INSERT INTO jobs.job_execution "
        "  (job_id, job_name, owner, database, command, triggered_by, scheduled_for) "
        "SELECT j.job_id, j.job_name, j.owner, j.database, j.command, 'reboot', now() "
        "FROM jobs.scheduled_job AS j WHERE j.job_id = ANY ($1) AND j.enabled",
        1, types, values, nullptr, SPI_OK_INSERT);
    const uint64 added = SPI_processed;
    end_store_call(nest);
    return added;
}

uint64 mark_lost_runs_crashed() {
    const int nest = begin_store_call();
    execute(
        "UPDATE jobs.job_execution SET status = 'crashed', finished_at = clock_timestamp(), "
        "error = 'the process running this job ended before the run finished "
        "(server crash or restart, or the worker was terminated)' "
        "WHERE status = 'running' AND (worker_pid IS NULL OR worker_pid NOT IN ("
        "  SELECT a.pid FROM pg_stat_activity AS a WHERE a.backend_type = 'pg_jobs worker'))",
        0, nullptr, nullptr, nullptr, SPI_OK_UPDATE);
    const uint64 changed = SPI_processed;
    end_store_call(nest);
    return changed;
}

int queued_runs_by_database(QueuedRuns** out) {
    MemoryContext caller = CurrentMemoryContext;
    const int nest = begin_store_call();
    execute(
        "SELECT database::text, count(*) FROM jobs.job_execution WHERE status = 'queued' "
        "GROUP BY database ORDER BY database",
        0, nullptr, nullptr, nullptr, SPI_OK_SELECT);
    const int rows = static_cast<int>(SPI_processed);
    auto* result =
        static_cast<QueuedRuns*>(MemoryContextAllocZero(caller, sizeof(QueuedRuns) * Max(rows, 1)));
    for (int i = 0; i < rows; ++i) {
        HeapTuple tuple = SPI_tuptable->vals[i];
        bool is_null = false;
        result[i].database = copy_text_column(caller, tuple, SPI_tuptable->tupdesc, 1);
        result[i].count = DatumGetInt64(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 2, &is_null));
    }
    end_store_call(nest);
    *out = result;
    return rows;
}

uint64 fail_queued_runs(const char* database, int sqlstate, const char* message, const char* hint) {
    Oid types[4] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID};
    Datum values[4] = {CStringGetTextDatum(database), CStringGetTextDatum(message),
                       CStringGetTextDatum(unpack_sql_state(sqlstate)), CStringGetTextDatum(hint)};
    const int nest = begin_store_call();
    execute(
        "UPDATE jobs.job_execution SET status = 'failed', finished_at = clock_timestamp(), "
        "error = $2, sqlstate = $3, error_detail = 'HINT: ' || $4 "
        "WHERE status = 'queued' AND database = $1::name",
        4, types, values, nullptr, SPI_OK_UPDATE);
    const uint64 changed = SPI_processed;
    end_store_call(nest);
    return changed;
}

}  // namespace pg_jobs::pg
