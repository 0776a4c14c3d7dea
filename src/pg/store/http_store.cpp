// The HTTP worker's SQL; see http_store.hpp.
#include "core/run_status.hpp"
#include "pg/store/http_store.hpp"

#include "pg/common/run_events.hpp"
#include "pg/store/store_call.hpp"

#include "pg/store/run_lifecycle_sql.hpp"
#include "pg/store/run_policy_sql.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
}

namespace pg_jobs::pg {
namespace {

// The OID of the role that owns job `j` (secrets are keyed by role OID).
#define PG_JOBS_JOB_OWNER_ID_SQL "j.owner::oid"
// Where a run's secret references may be: an HTTP job's headers, an e-mail
// job's login.
#define PG_JOBS_SECRET_REFERENCES_SQL "concat_ws(' ', s.headers::text, j.smtp_username, j.smtp_password)"

// The context is the body of a request (send => 'context'): what the service
// needs to know which run this is (camelCase, as JSON APIs spell it). With
// send => 'body', and for e-mail runs, the worker fills the job's texts
// from the run's context as jobs.context() shows it (snake_case).
constexpr const char* kClaimSql =
    // Runs past their starting deadline are recorded skipped, and runs with a
    // payload or body beyond jobs.max_payload_size failed, not claimed.
    "WITH candidate AS (" PG_JOBS_CLAIM_CANDIDATE_SQL(
        "  SELECT q.execution_id, q.scheduled_for, " PG_JOBS_DEADLINE_COLUMN_SQL ", " PG_JOBS_OWNER_GONE_COLUMNS_SQL
        ", " PG_JOBS_REFUSAL_COLUMN_SQL("(SELECT coalesce(j.http_body, to_jsonb(j.mail_body)) FROM jobs.scheduled_job "
                                        "AS j WHERE j.job_id = q.job_id)")
        "  FROM jobs.job_execution AS q "
        "  WHERE q.status = 'queued' AND q.kind IN ('http', 'email') "
        "    AND " PG_JOBS_NOT_BEFORE_DUE_SQL("q") " AND " PG_JOBS_MAY_START_SQL
        // Not the runs with a run_if of an owner whose runs fill their
        // share of the checks waiting: the others' runs go past them.
        "    AND (q.owner::oid <> ALL ($2) OR NOT EXISTS (SELECT FROM jobs.scheduled_job AS j "
        "      WHERE j.job_id = q.job_id AND j.run_if IS NOT NULL)) "
        "  ORDER BY q.priority DESC, q.execution_id LIMIT $1 FOR UPDATE OF q SKIP LOCKED") "), "
    "claimed AS ("
    "  UPDATE jobs.job_execution AS e SET " PG_JOBS_CLAIM_SET_SQL("pg_backend_pid()")
    "  FROM candidate AS c WHERE e.execution_id = c.execution_id "
    "  RETURNING e.*) "
    "SELECT c.execution_id, j.http_method, j.http_url, "
    // Built only for a run that starts: a refused one's would not fit.
    "  CASE WHEN c.status = 'running' AND j.http_send IS DISTINCT FROM 'body' THEN "
    "  (jsonb_build_object('jobName', c.job_name, 'jobId', c.job_id, 'executionId', c.execution_id, "
    "    'triggeredBy', c.triggered_by, 'triggeredByUser', c.triggered_by_user, "
    "    'scheduledFor', c.scheduled_for, 'attempt', c.attempt, 'config', j.http_body, "
    "    'payload', c.payload) || coalesce(c.workflow_context, '{}'))::text END, "
    "  (SELECT array_agg(h.key ORDER BY h.key) FROM jsonb_each_text(s.headers) AS h), "
    "  (SELECT array_agg(h.value ORDER BY h.key) FROM jsonb_each_text(s.headers) AS h), "
    "  (extract(epoch FROM coalesce(j.timeout, interval '30 seconds')) * 1000)::bigint, "
    // The Idempotency-Key: the first attempt's execution id, the same for
    // every retry of it, so a service can recognise a repeated delivery.
    "  CASE WHEN c.retry_of IS NULL THEN c.execution_id ELSE ("
    "    WITH RECURSIVE attempts(id) AS ("
    "      SELECT c.retry_of "
    "      UNION ALL SELECT r.retry_of FROM jobs.job_execution AS r JOIN attempts AS a ON r.execution_id = "
    "a.id "
    "      WHERE r.retry_of IS NOT NULL) "
    "    SELECT min(id) FROM attempts) END, "
    "  sec.names, sec.secret_values, "
    // Runs recorded skipped or failed by the claim come back too, so the
    // worker knows the batch was full.
    "  c.status = 'running', "
    // mail: what send => 'body' and e-mail runs need (columns 12 to 21);
    // the context also for a run_if, which may read jobs.context().
    "  c.kind = 'email', j.http_send = 'body', "
    "  CASE WHEN c.status = 'running' AND (c.kind = 'email' OR j.http_send = 'body' OR j.run_if IS NOT NULL) THEN "
    "  (jsonb_build_object('job_id', c.job_id, 'job_name', c.job_name, 'execution_id', c.execution_id, "
    "    'triggered_by', c.triggered_by, 'triggered_by_user', c.triggered_by_user, "
    "    'scheduled_for', c.scheduled_for, 'attempt', c.attempt, 'payload', c.payload) "
    // flow: a workflow step's run adds workflow and upstream.
    "    || coalesce(c.workflow_context, '{}'))::text END, "
    "  CASE WHEN j.http_send = 'body' THEN j.http_body::text END, "
    "  j.smtp_url, j.mail_from, j.mail_to, j.mail_subject, j.mail_body, j.smtp_username, j.smtp_password, "
    // events: columns 23 to 25.
    "  c.job_id, c.status, c.attempt, "
    // opts: run_if and the owner it is checked as (columns 26 and 27).
    "  CASE WHEN c.status = 'running' THEN j.run_if END, c.owner::oid "
    "FROM claimed AS c "
    "LEFT JOIN jobs.scheduled_job AS j ON j.job_id = c.job_id AND j.kind = c.kind "
    "LEFT JOIN jobs_internal._http_secret AS s ON s.job_id = c.job_id "
    // Only the job owner's secrets, only those its headers name; nothing is
    // read for headers without a reference (nor for a run that does not start).
    "LEFT JOIN LATERAL ("
    "  SELECT array_agg(x.name) AS names, array_agg(x.value) AS secret_values FROM jobs_internal._secret AS x "
    "  WHERE c.status = 'running' AND strpos(" PG_JOBS_SECRET_REFERENCES_SQL ", '{{secret:') > 0 "
    "    AND x.owner_id = " PG_JOBS_JOB_OWNER_ID_SQL
    "    AND strpos(" PG_JOBS_SECRET_REFERENCES_SQL ", '{{secret:' || x.name || '}}') > 0) AS sec ON true "
    "ORDER BY c.execution_id";

const char* copy_text(MemoryContext into, HeapTuple tuple, TupleDesc desc, int column) {
    char* value = SPI_getvalue(tuple, desc, column);
    return value == nullptr ? nullptr : MemoryContextStrdup(into, value);
}

// A text[] column as C strings in `into`; *count is 0 for NULL.
const char** copy_text_array(MemoryContext into, HeapTuple tuple, TupleDesc desc, int column, int* count) {
    bool is_null = false;
    const Datum value = SPI_getbinval(tuple, desc, column, &is_null);
    *count = 0;
    if (is_null) {
        return nullptr;
    }
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    ArrayType* array = DatumGetArrayTypeP(value);
    Datum* elements = nullptr;
    bool* nulls = nullptr;
    int n = 0;
    deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elements, &nulls, &n);
    auto* result = static_cast<const char**>(MemoryContextAllocZero(into, sizeof(char*) * Max(n, 1)));
    for (int i = 0; i < n; ++i) {
        // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
        result[i] = nulls[i] ? "" : MemoryContextStrdup(into, TextDatumGetCString(elements[i]));
    }
    *count = n;
    return result;
}

}  // namespace

int claim_http_runs(int limit, const Oid* full_owners, int full_owner_count, MemoryContext into,
                    ClaimedHttpRun** out, int* ended) {
    const int nest = begin_store_call();
    auto* owner_datums = static_cast<Datum*>(palloc(sizeof(Datum) * Max(full_owner_count, 1)));
    for (int i = 0; i < full_owner_count; ++i) {
        owner_datums[i] = ObjectIdGetDatum(full_owners[i]);
    }
    Oid types[2] = {INT4OID, OIDARRAYOID};
    Datum values[2] = {Int32GetDatum(limit),
                       PointerGetDatum(construct_array(owner_datums, full_owner_count, OIDOID, sizeof(Oid),
                                                       true, TYPALIGN_INT))};
    execute_stored(kClaimSql, 2, types, values, nullptr, SPI_OK_SELECT);
    const int rows = static_cast<int>(SPI_processed);
    auto* runs =
        static_cast<ClaimedHttpRun*>(MemoryContextAllocZero(into, sizeof(ClaimedHttpRun) * Max(rows, 1)));
    int started = 0;
    *ended = 0;
    for (int i = 0; i < rows; ++i) {
        HeapTuple tuple = SPI_tuptable->vals[i];
        TupleDesc desc = SPI_tuptable->tupdesc;
        bool is_null = false;
        queue_run_event_of_row(tuple, desc, 1, 23, 24, 25);  // run_started, or run_finished
        if (!DatumGetBool(SPI_getbinval(tuple, desc, 11, &is_null))) {
            ++*ended;  // skipped or failed at its claim
            continue;
        }
        ClaimedHttpRun& run = runs[started++];
        run.execution_id = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &is_null));
        run.method = copy_text(into, tuple, desc, 2);
        run.url = copy_text(into, tuple, desc, 3);
        run.body_json = copy_text(into, tuple, desc, 4);
        int value_count = 0;
        run.header_names = copy_text_array(into, tuple, desc, 5, &run.header_count);
        run.header_values = copy_text_array(into, tuple, desc, 6, &value_count);
        run.header_count = Min(run.header_count, value_count);
        const Datum timeout = SPI_getbinval(tuple, desc, 7, &is_null);
        run.timeout_ms = is_null ? 30000 : DatumGetInt64(timeout);
        run.first_execution_id = DatumGetInt64(SPI_getbinval(tuple, desc, 8, &is_null));
        int secret_value_count = 0;
        run.secret_names = copy_text_array(into, tuple, desc, 9, &run.secret_count);
        run.secret_values = copy_text_array(into, tuple, desc, 10, &secret_value_count);
        run.secret_count = Min(run.secret_count, secret_value_count);
        run.is_email = DatumGetBool(SPI_getbinval(tuple, desc, 12, &is_null));
        const Datum send_body = SPI_getbinval(tuple, desc, 13, &is_null);
        run.send_body = !is_null && DatumGetBool(send_body);
        run.context_json = copy_text(into, tuple, desc, 14);
        run.body_template = copy_text(into, tuple, desc, 15);
        run.smtp_url = copy_text(into, tuple, desc, 16);
        run.mail_from = copy_text(into, tuple, desc, 17);
        run.mail_to = copy_text_array(into, tuple, desc, 18, &run.mail_to_count);
        run.mail_subject = copy_text(into, tuple, desc, 19);
        run.mail_body = copy_text(into, tuple, desc, 20);
        run.smtp_username = copy_text(into, tuple, desc, 21);
        run.smtp_password = copy_text(into, tuple, desc, 22);
        run.run_if = copy_text(into, tuple, desc, 26);
        run.owner = DatumGetObjectId(SPI_getbinval(tuple, desc, 27, &is_null));
    }
    end_store_call(nest);
    *out = runs;
    return started;
}

int cancelled_http_runs(MemoryContext into, int64** out) {
    const int nest = begin_store_call();
    const int rc = SPI_execute(
        "SELECT execution_id FROM jobs.job_execution WHERE status = 'running' AND kind IN ('http', 'email') "
        "AND worker_pid = pg_backend_pid() AND cancel_requested_by IS NOT NULL",
        true, 0);
    if (rc != SPI_OK_SELECT) {
        elog(ERROR, "pg_jobs: reading cancelled HTTP runs failed: %s", SPI_result_code_string(rc));
    }
    const int rows = static_cast<int>(SPI_processed);
    auto* ids = static_cast<int64*>(MemoryContextAlloc(into, sizeof(int64) * Max(rows, 1)));
    for (int i = 0; i < rows; ++i) {
        bool is_null = false;
        ids[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &is_null));
    }
    end_store_call(nest);
    *out = ids;
    return rows;
}

}  // namespace pg_jobs::pg
