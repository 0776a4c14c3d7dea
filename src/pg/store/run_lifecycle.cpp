// The statements that change a run's status; see run_lifecycle.hpp.
#include "core/run_status.hpp"
#include "pg/store/run_lifecycle.hpp"

#include "pg/common/run_events.hpp"
#include "pg/common/run_log.hpp"
#include "pg/store/run_lifecycle_sql.hpp"
#include "pg/store/store_call.hpp"

#include <optional>

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

namespace pg_jobs::pg {
namespace {

// A one-dimensional array of `count` Datums (nulls[i]: element i is NULL).
Datum datum_array(Datum* elements, bool* nulls, int count, Oid type, int length, bool by_value, char align) {
    int dims[1] = {count};
    int lower_bounds[1] = {1};
    return PointerGetDatum(
        construct_md_array(elements, nulls, 1, dims, lower_bounds, type, length, by_value, align));
}

// text[] of C strings, nullptr elements NULL.
Datum text_array(const char* const* values, int count) {
    auto* datums = static_cast<Datum*>(palloc(sizeof(Datum) * Max(count, 1)));
    auto* nulls = static_cast<bool*>(palloc(sizeof(bool) * Max(count, 1)));
    for (int i = 0; i < count; ++i) {
        nulls[i] = values[i] == nullptr;
        datums[i] = nulls[i] ? static_cast<Datum>(0) : CStringGetTextDatum(values[i]);
    }
    return datum_array(datums, nulls, count, TEXTOID, -1, false, TYPALIGN_INT);
}

// An array of 8-byte pass-by-value elements (bigint[] or timestamptz[]).
Datum int8_like_array(const int64* values, int count, Oid type) {
    auto* datums = static_cast<Datum*>(palloc(sizeof(Datum) * Max(count, 1)));
    for (int i = 0; i < count; ++i) {
        datums[i] = Int64GetDatum(values[i]);
    }
    return PointerGetDatum(construct_array(datums, count, type, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

const char* status_text(RunStatus status) {
    // Names are literals of run_status.cpp: NUL-terminated.
    return run_status_name(status).data();
}

// Runs `sql`, a PG_JOBS_FINISH_RUNS_SQL statement (set-based: the SQL
// function over the runs a query selects), in a store call of its own;
// returns the number of runs it moved.
uint64 finish_selected(const char* sql, int nargs, Oid* types, Datum* values, const char* nulls) {
    const int nest = begin_store_call();
    execute_stored(sql, nargs, types, values, nulls, SPI_OK_SELECT);
    bool is_null = false;
    const Datum moved = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null);
    end_store_call(nest);
    return is_null ? 0 : static_cast<uint64>(DatumGetInt64(moved));
}

// The arguments of finish_runs, as C arrays lined up with `ids` (nullptr: a
// NULL array, the column stays NULL).
struct Finish {
    RunStatus from;
    int count;
    const int64* ids;
    const char* const* statuses;
    const char* const* errors = nullptr;
    const char* const* sqlstates = nullptr;
    const char* const* error_details = nullptr;
    const char* const* error_kinds = nullptr;
    const int64* rows_affected = nullptr;
    const int* http_statuses = nullptr;  // 0: NULL
    const char* const* results = nullptr;
    const char* const* http_timings = nullptr;
    const TimestampTz* started_ats = nullptr;
    const TimestampTz* finished_ats = nullptr;
};

// What the finishing statements return of each run moved (`moved`), and
// how they keep jobs.job_last_run from it: each job's latest finished run
// that started (the highest execution_id wins, whatever order runs end in;
// rows upserted in job_id order, so two finishes lock them in one order).
#define PG_JOBS_MOVED_RETURNING_SQL                                                          \
    "RETURNING e.kind, e.job_name, e.execution_id, e.status, e.error, e.job_id, e.attempt, " \
    "  e.started_at, e.finished_at, e.duration"
// `distinct_on`: "DISTINCT ON (m.job_id)", or "" when `moved` has one run.
#define PG_JOBS_NOTE_LAST_RUNS_SQL(distinct_on, order_by)                                      \
    "noted AS (INSERT INTO jobs.job_last_run AS l "                                            \
    "    (job_id, execution_id, status, started_at, finished_at, duration) "                   \
    "  SELECT " distinct_on                                                                    \
    "    m.job_id, m.execution_id, m.status, m.started_at, m.finished_at, m.duration "         \
    "  FROM moved AS m WHERE m.started_at IS NOT NULL "                                        \
    "    AND EXISTS (SELECT FROM jobs.scheduled_job AS j WHERE j.job_id = m.job_id) " order_by \
    "  ON CONFLICT (job_id) DO UPDATE SET execution_id = excluded.execution_id, "              \
    "    status = excluded.status, started_at = excluded.started_at, "                         \
    "    finished_at = excluded.finished_at, duration = excluded.duration "                    \
    "  WHERE l.execution_id < excluded.execution_id) "                                         \
    "SELECT m.kind, m.job_name, m.execution_id, m.status, m.error, m.job_id, m.attempt FROM moved AS m"
// The columns of that result report_moved_runs reads.
constexpr int kMovedExecutionId = 3;
constexpr int kMovedStatus = 4;
constexpr int kMovedJobId = 6;
constexpr int kMovedAttempt = 7;

// The statement behind jobs_internal._finish_runs (see finish_runs in
// run_lifecycle.hpp for its parameters). An array of one element applies
// to every run. A cancelled run without an error of its own keeps the one
// it has (overlap replace), else says who cancelled it.
#define PG_JOBS_ONE_FOR_ALL_SQL(array, column) \
    "CASE WHEN cardinality(" array ") = 1 THEN (" array ")[1] ELSE u." column " END"
constexpr const char* kFinishRunsSql =
    "WITH moved AS (UPDATE jobs.job_execution AS e "
    "SET status = f.status, started_at = coalesce(f.started_at, e.started_at), "
    "  finished_at = coalesce(f.finished_at, clock_timestamp()), "
    "  error = CASE WHEN f.status = 'cancelled' "
    "    THEN coalesce(f.error, e.error, 'cancelled by ' || coalesce(f.cancelled_by, e.cancel_requested_by), "
    "                  'cancelled') "
    "    ELSE f.error END, "
    "  sqlstate = f.sqlstate, error_detail = f.error_detail, error_kind = f.error_kind, "
    "  rows_affected = f.rows_affected, http_status = f.http_status, result = f.result::jsonb, "
    "  http_timing = f.http_timing::jsonb, cancel_requested_by = coalesce(f.cancelled_by, e.cancel_requested_by) "
    "FROM (SELECT u.id, " PG_JOBS_ONE_FOR_ALL_SQL("$3", "status") " AS status, "
    PG_JOBS_ONE_FOR_ALL_SQL("$4", "error") " AS error, " PG_JOBS_ONE_FOR_ALL_SQL("$5", "sqlstate") " AS sqlstate, "
    PG_JOBS_ONE_FOR_ALL_SQL("$6", "error_detail") " AS error_detail, "
    PG_JOBS_ONE_FOR_ALL_SQL("$7", "error_kind") " AS error_kind, "
    PG_JOBS_ONE_FOR_ALL_SQL("$14", "cancelled_by") " AS cancelled_by, "
    "    u.rows_affected, u.http_status, u.result, u.http_timing, u.started_at, u.finished_at "
    "  FROM unnest($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
    "    AS u(id, status, error, sqlstate, error_detail, error_kind, rows_affected, http_status, result, "
    "         http_timing, started_at, finished_at, cancelled_by) "
    "  WHERE u.id IS NOT NULL) AS f "
    "WHERE e.execution_id = f.id AND e.status = $1 "
    PG_JOBS_MOVED_RETURNING_SQL "), "
    PG_JOBS_NOTE_LAST_RUNS_SQL("DISTINCT ON (m.job_id) ", "  ORDER BY m.job_id, m.execution_id DESC ");

// The common ending, one SQL run that succeeded, in a statement of its own:
// scalar parameters, and a plan that initializes in a fraction of the time
// of the set-based one above ($1 execution_id, $2 rows_affected, $3 result
// as JSON text, $4 a note in error). The same columns as finish_runs with
// one element each, and the same running guard.
constexpr const char* kSucceedRunSql =
    "WITH moved AS (UPDATE jobs.job_execution AS e "
    "SET status = 'succeeded', finished_at = clock_timestamp(), error = $4, sqlstate = NULL, "
    "  error_detail = NULL, error_kind = NULL, rows_affected = $2, http_status = NULL, result = $3::jsonb, "
    "  http_timing = NULL "
    "WHERE e.execution_id = $1 AND e.status = 'running' " PG_JOBS_MOVED_RETURNING_SQL
    "), " PG_JOBS_NOTE_LAST_RUNS_SQL("", "");

// Raises XX000 unless every status of the text[] `statuses` is a final
// status core/run_status.hpp lets a run reach from `from`.
void check_moves(RunStatus from, Datum statuses) {
    Datum* elements = nullptr;
    bool* element_nulls = nullptr;
    int count = 0;
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    ArrayType* array = DatumGetArrayTypeP(statuses);
    deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elements, &element_nulls, &count);
    for (int i = 0; i < count; ++i) {
        // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
        const char* name = element_nulls[i] ? nullptr : TextDatumGetCString(elements[i]);
        const std::optional<RunStatus> to = name == nullptr ? std::nullopt : parse_run_status(name);
        if (!to || !is_final(*to) || !is_allowed_transition(from, *to)) {
            ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                            errmsg("pg_jobs: a run cannot move from %s to %s", status_text(from),
                                   name != nullptr ? name : "NULL")));
        }
    }
}

uint64 apply_finish(const Finish& finish, bool log_endings = false) {
    if (finish.count == 0) {
        return 0;
    }
    Datum values[kFinishRunsArgs] = {};
    bool nulls[kFinishRunsArgs];
    for (bool& is_null : nulls) {
        is_null = true;
    }
    const int n = finish.count;
    auto set = [&](int index, Datum value) {
        values[index] = value;
        nulls[index] = false;
    };
    set(0, CStringGetTextDatum(status_text(finish.from)));
    set(1, int8_like_array(finish.ids, n, INT8OID));
    set(2, text_array(finish.statuses, n));
    const char* const* texts[] = {finish.errors, finish.sqlstates, finish.error_details, finish.error_kinds};
    for (int k = 0; k < 4; ++k) {
        if (texts[k] != nullptr) {
            set(3 + k, text_array(texts[k], n));
        }
    }
    if (finish.rows_affected != nullptr) {
        set(7, int8_like_array(finish.rows_affected, n, INT8OID));
    }
    if (finish.http_statuses != nullptr) {
        auto* datums = static_cast<Datum*>(palloc(sizeof(Datum) * n));
        auto* absent = static_cast<bool*>(palloc(sizeof(bool) * n));
        for (int i = 0; i < n; ++i) {
            absent[i] = finish.http_statuses[i] == 0;
            datums[i] = Int32GetDatum(finish.http_statuses[i]);
        }
        set(8, datum_array(datums, absent, n, INT4OID, 4, true, TYPALIGN_INT));
    }
    if (finish.results != nullptr) {
        set(9, text_array(finish.results, n));
    }
    if (finish.http_timings != nullptr) {
        set(10, text_array(finish.http_timings, n));
    }
    if (finish.started_ats != nullptr) {
        set(11, int8_like_array(finish.started_ats, n, TIMESTAMPTZOID));
    }
    if (finish.finished_ats != nullptr) {
        set(12, int8_like_array(finish.finished_ats, n, TIMESTAMPTZOID));
    }
    return finish_runs(values, nulls, log_endings);
}

// After a finishing statement: queues run_finished of each run it moved
// (sent at commit, run_events.hpp) and, with `log_endings`, logs those that
// did not succeed. Returns how many it moved.
uint64 report_moved_runs(bool log_endings) {
    const uint64 moved = SPI_processed;
    for (uint64 row = 0; row < moved && notify_finished_runs(); ++row) {
        queue_run_finished(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, kMovedExecutionId, kMovedJobId,
                           kMovedStatus, kMovedAttempt);
    }
    for (uint64 row = 0; log_endings && row < moved; ++row) {
        HeapTuple tuple = SPI_tuptable->vals[row];
        TupleDesc desc = SPI_tuptable->tupdesc;
        const char* status = SPI_getvalue(tuple, desc, kMovedStatus);
        if (status != nullptr && strcmp(status, status_text(RunStatus::Succeeded)) != 0) {
            bool is_null = false;
            const int64 execution_id = DatumGetInt64(SPI_getbinval(tuple, desc, kMovedExecutionId, &is_null));
            log_run_ending(SPI_getvalue(tuple, desc, 1), SPI_getvalue(tuple, desc, 2), execution_id, status,
                           SPI_getvalue(tuple, desc, 5));
        }
    }
    return moved;
}

}  // namespace

uint64 finish_runs(const Datum* values, const bool* nulls, bool log_endings) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    const char* from_text = nulls[0] ? nullptr : TextDatumGetCString(values[0]);
    const std::optional<RunStatus> from = from_text == nullptr ? std::nullopt : parse_run_status(from_text);
    if (!from || is_final(*from) || nulls[2]) {
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                        errmsg("pg_jobs: runs finish from queued or running, to the statuses given")));
    }
    check_moves(*from, values[2]);
    if (nulls[1]) {
        return 0;
    }
    static Oid types[kFinishRunsArgs] = {
        TEXTOID,      INT8ARRAYOID,        TEXTARRAYOID,        TEXTARRAYOID, TEXTARRAYOID,
        TEXTARRAYOID, TEXTARRAYOID,        INT8ARRAYOID,        INT4ARRAYOID, TEXTARRAYOID,
        TEXTARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID, NAMEARRAYOID};
    char spi_nulls[kFinishRunsArgs];
    Datum spi_values[kFinishRunsArgs];
    for (int i = 0; i < kFinishRunsArgs; ++i) {
        spi_nulls[i] = nulls[i] ? 'n' : ' ';
        spi_values[i] = values[i];
    }
    const int nest = begin_store_call();
    execute_stored(kFinishRunsSql, kFinishRunsArgs, types, spi_values, spi_nulls, SPI_OK_SELECT);
    const uint64 moved = report_moved_runs(log_endings);
    end_store_call(nest);
    return moved;
}

void record_success(int64 execution_id, uint64 rows_affected, const char* result_json, const char* note) {
    static Oid types[4] = {INT8OID, INT8OID, TEXTOID, TEXTOID};
    Datum values[4] = {Int64GetDatum(execution_id), Int64GetDatum(static_cast<int64>(rows_affected)), 0, 0};
    char nulls[4] = {' ', ' ', 'n', 'n'};
    if (result_json != nullptr) {
        values[2] = CStringGetTextDatum(result_json);
        nulls[2] = ' ';
    }
    if (note != nullptr) {  // else error becomes NULL: see overlap replace
        values[3] = CStringGetTextDatum(note);
        nulls[3] = ' ';
    }
    const int nest = begin_store_call();
    execute_stored(kSucceedRunSql, 4, types, values, nulls, SPI_OK_SELECT);
    const uint64 moved = report_moved_runs(false);
    end_store_call(nest);
    if (moved == 0) {
        ereport(ERROR,
                (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                 errmsg("execution %lld is no longer running: its effects are rolled back",
                        static_cast<long long>(execution_id)),
                 errdetail("The run was marked finished (crashed or cancelled) while its command ran.")));
    }
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

bool record_ending(const RunEnding& ending) {
    const char* statuses[1] = {status_text(ending.status)};
    const char* errors[1] = {ending.message};
    // 0: no SQLSTATE (a run skipped because its run_if was false).
    const char* sqlstates[1] = {ending.sqlerrcode != 0 ? unpack_sql_state(ending.sqlerrcode) : nullptr};
    const char* details[1] = {ending.detail};
    Finish finish{RunStatus::Running, 1, &ending.execution_id, statuses};
    finish.errors = errors;
    finish.sqlstates = sqlstates;
    finish.error_details = details;
    return apply_finish(finish) > 0;
}

bool record_remote_outcome(const RemoteOutcome& outcome) {
    const char* statuses[1] = {status_text(outcome.status)};
    const TimestampTz started[1] = {outcome.started_at};
    const TimestampTz finished[1] = {outcome.finished_at};
    Finish finish{RunStatus::Running, 1, &outcome.execution_id, statuses};
    finish.started_ats = started;
    finish.finished_ats = finished;
    // A failed run has no rows_affected, like one in jobs.database.
    const int64 rows[1] = {outcome.rows_affected};
    const char* errors[1] = {outcome.message};  // NULL: "cancelled by <role>"
    const char* sqlstates[1] = {outcome.sqlerrcode != 0 ? unpack_sql_state(outcome.sqlerrcode) : nullptr};
    const char* details[1] = {outcome.detail};
    const char* results[1] = {outcome.result_json};
    if (outcome.status == RunStatus::Succeeded) {
        finish.rows_affected = rows;
        finish.results = results;
        finish.errors = errors;  // the note, when its result was not kept
    } else {
        finish.errors = errors;
        finish.sqlstates = sqlstates;
        finish.error_details = details;
    }
    return apply_finish(finish) > 0;
}

uint64 record_http_outcomes(const HttpRunOutcome* outcomes, int count) {
    if (count == 0) {
        return 0;
    }
    auto column = [count](auto field) {
        auto* out = static_cast<const char**>(palloc(sizeof(char*) * count));
        for (int i = 0; i < count; ++i) {
            out[i] = field(i);
        }
        return out;
    };
    auto* ids = static_cast<int64*>(palloc(sizeof(int64) * count));
    auto* http_statuses = static_cast<int*>(palloc(sizeof(int) * count));
    for (int i = 0; i < count; ++i) {
        ids[i] = outcomes[i].execution_id;
        http_statuses[i] = outcomes[i].http_status;
    }
    Finish finish{RunStatus::Running, count, ids,
                  column([&](int i) { return status_text(outcomes[i].status); })};
    finish.errors = column([&](int i) { return outcomes[i].error; });
    finish.sqlstates = column([&](int i) { return outcomes[i].sqlstate; });
    finish.error_kinds = column([&](int i) { return outcomes[i].error_kind; });
    finish.http_statuses = http_statuses;
    finish.results = column([&](int i) { return outcomes[i].result_json; });
    finish.http_timings = column([&](int i) { return outcomes[i].timing_json; });
    return apply_finish(finish, true);  // the log line of each run that did not succeed
}

bool requeue_run(int64 execution_id, int worker_pid) {
    Oid types[2] = {INT8OID, INT4OID};
    Datum values[2] = {Int64GetDatum(execution_id), Int32GetDatum(worker_pid)};
    return execute_counted(
               "UPDATE jobs.job_execution AS e SET status = 'queued', started_at = NULL, worker_pid = NULL "
               "WHERE e.execution_id = $1 AND " PG_JOBS_STILL_RUNNING_SQL("e") " AND e.worker_pid = $2",
               2, types, values, nullptr, SPI_OK_UPDATE) > 0;
}

namespace {

constexpr const char* kLostRunError =
    "the process running this job ended before the run finished "
    "(server crash or restart, or the worker was terminated)";
constexpr const char* kStuckRunError =
    "crashed: no process was running it past its timeout (+ grace); its worker had ended";

}  // namespace

bool mark_run_crashed(int64 execution_id) {
    const char* statuses[1] = {status_text(RunStatus::Crashed)};
    const char* errors[1] = {kLostRunError};
    Finish finish{RunStatus::Running, 1, &execution_id, statuses};
    finish.errors = errors;
    return apply_finish(finish, true) > 0;
}

#define PG_JOBS_SELECT_SQL(ids) "SELECT " ids

// Marks crashed, with `error` and their log lines, the running runs whose
// ids the query `sql` returns (one bigint[]); returns how many it marked.
static uint64 crash_selected(const char* sql, int nargs, Oid* types, Datum* values, const char* error) {
    const int nest = begin_store_call();
    execute_stored(sql, nargs, types, values, nullptr, SPI_OK_SELECT);
    bool is_null = false;
    Datum ids = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null);
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    ids = is_null ? static_cast<Datum>(0) : PointerGetDatum(SPI_datumTransfer(ids, false, -1));
    end_store_call(nest);
    if (is_null) {
        return 0;
    }
    const char* statuses[1] = {status_text(RunStatus::Crashed)};
    const char* errors[1] = {error};
    Datum args[kFinishRunsArgs] = {};
    bool nulls[kFinishRunsArgs];
    for (bool& absent : nulls) {
        absent = true;
    }
    args[0] = CStringGetTextDatum(status_text(RunStatus::Running));
    args[1] = ids;
    args[2] = text_array(statuses, 1);
    args[3] = text_array(errors, 1);
    nulls[0] = nulls[1] = nulls[2] = nulls[3] = false;
    return finish_runs(args, nulls, true);
}

// The running runs not in $2 whose process is not a live pg_jobs worker.
#define PG_JOBS_LOST_RUNS_SQL                                                                    \
    "array(SELECT e.execution_id FROM jobs.job_execution AS e WHERE " PG_JOBS_STILL_RUNNING_SQL( \
        "e") " AND e.execution_id <> ALL ($2) AND e.kind <> 'workflow' AND " PG_JOBS_WORKER_GONE_SQL("e") ")"

// The running runs not in $2 past their timeout (the job's, else $3 ms) plus
// $4 ms of grace whose process is not a live pg_jobs worker. Through the
// small job_execution_active_by_job index, counted from the start. The time since
// the start is compared with the timeout, never now - timeout: a huge
// timeout would take that out of range (issue 10, point 14).
#define PG_JOBS_STUCK_RUNS_SQL \
    "array(SELECT e.execution_id FROM jobs.job_execution AS e WHERE " PG_JOBS_STILL_RUNNING_SQL("e")     \
    " AND e.execution_id <> ALL ($2) AND e.kind <> 'workflow' AND isfinite(coalesce(e.started_at, e.queued_at)) " \
    "  AND clock_timestamp() - coalesce(e.started_at, e.queued_at) - $4 * interval '1 millisecond' "    \
    "    > coalesce((SELECT j.timeout FROM jobs.scheduled_job AS j WHERE j.job_id = e.job_id), "         \
    "               $3 * interval '1 millisecond') "                                                    \
    "  AND " PG_JOBS_WORKER_GONE_SQL("e") ")"

// The queued SQL runs of database $1 (and of role $5 unless NULL).
#define PG_JOBS_QUEUED_IN_DATABASE_SQL                                                    \
    "array(SELECT e.execution_id FROM jobs.job_execution AS e WHERE e.status = 'queued' " \
    "AND e.kind = 'sql' AND e.database = $1::name AND ($5 IS NULL OR e.owner = $5))"

uint64 mark_lost_runs_crashed(const int64* excluded, int excluded_count) {
    Oid types[2] = {TEXTOID, INT8ARRAYOID};
    Datum values[2] = {CStringGetTextDatum(kLostRunError),
                       int8_like_array(excluded, excluded_count, INT8OID)};
    return crash_selected(PG_JOBS_SELECT_SQL(PG_JOBS_LOST_RUNS_SQL), 2, types, values, kLostRunError);
}

uint64 mark_stuck_runs_crashed(const int64* excluded, int excluded_count, int64 default_timeout_ms,
                               int64 grace_ms) {
    Oid types[4] = {TEXTOID, INT8ARRAYOID, INT8OID, INT8OID};
    Datum values[4] = {CStringGetTextDatum(kStuckRunError),
                       int8_like_array(excluded, excluded_count, INT8OID), Int64GetDatum(default_timeout_ms),
                       Int64GetDatum(grace_ms)};
    return crash_selected(PG_JOBS_SELECT_SQL(PG_JOBS_STUCK_RUNS_SQL), 4, types, values, kStuckRunError);
}

uint64 fail_queued_runs(const char* database, Oid owner, int sqlstate, const char* message,
                        const char* hint) {
    Oid types[5] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, OIDOID};
    Datum values[5] = {CStringGetTextDatum(database), CStringGetTextDatum(message),
                       CStringGetTextDatum(unpack_sql_state(sqlstate)), CStringGetTextDatum(hint),
                       ObjectIdGetDatum(owner)};
    const char nulls[5] = {' ', ' ', ' ', ' ', owner != InvalidOid ? ' ' : 'n'};
    return finish_selected(PG_JOBS_FINISH_RUNS_SQL("'queued'", PG_JOBS_QUEUED_IN_DATABASE_SQL, "'{failed}'",
                                                   ", errors => ARRAY[$2], sqlstates => ARRAY[$3], "
                                                   "error_details => ARRAY['HINT: ' || $4]"),
                           5, types, values, nulls);
}

}  // namespace pg_jobs::pg
