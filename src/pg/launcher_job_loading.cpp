// Reading job definitions into the launcher's agenda; see
// launcher_job_loading.hpp.
#include "core/cron_parser.hpp"
#include "pg/launcher_job_loading.hpp"

#include "pg/guard.hpp"
#include "pg/pg_interval.hpp"
#include "pg/pg_time_zone.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
}

namespace pg_jobs::pg {
namespace {

// Rows read per cursor fetch while loading every job: big enough to
// amortise a fetch, small enough to bound memory.
constexpr long kLoadBatch = 10000;

// The columns both reads select, in this order.
#define JOB_COLUMNS "job_id, schedule, timezone"
#define SCHEDULED_JOBS "jobs.scheduled_job WHERE enabled AND schedule IS NOT NULL"

// One job row, pointing into SPI's tuple table.
struct JobRow {
    int64 job_id;
    const char* schedule;
    int schedule_length;
    const char* zone;
    int zone_length;

    std::string_view schedule_text() const { return {schedule, static_cast<size_t>(schedule_length)}; }
    std::string_view zone_name() const { return {zone, static_cast<size_t>(zone_length)}; }
};

std::optional<JobAgenda::Resolved> resolve_schedule(std::string_view text, std::string_view zone_name) {
    cron::ParseResult parsed = cron::parse_schedule(text, parse_pg_interval);
    if (!parsed.ok) {
        const std::string shown(text);
        ereport(WARNING, (errmsg("pg_jobs: skipping jobs with invalid schedule \"%s\": %s", shown.c_str(),
                                 parsed.error.message.c_str()),
                          errhint("Fix the schedule with jobs.alter.")));
        return std::nullopt;
    }
    const std::string zone(zone_name);
    try {
        return JobAgenda::Resolved{parsed.schedule,
                                   std::make_shared<PgTimeZone>(lookup_time_zone(zone.c_str()))};
    } catch (const UserError& error) {
        ereport(WARNING, (errmsg("pg_jobs: skipping jobs with time zone \"%s\": %s", zone.c_str(),
                                 error.message().c_str()),
                          errhint("Fix the time zone with jobs.alter.")));
        return std::nullopt;
    }
}

// The reads below keep a transaction open across several guarded calls
// (a cursor, or rows used after the query), so they start and end it here
// rather than through run_in_transaction.
void start_transaction() {
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    PushActiveSnapshot(GetTransactionSnapshot());
}

void connect_spi() {
    if (SPI_connect() != SPI_OK_CONNECT) {
        elog(ERROR, "pg_jobs: SPI_connect failed");
    }
}

// Starts the load transaction and opens a cursor over the enabled scheduled
// jobs. No ORDER BY on purpose: a sequential scan of a big table reads
// through a small ring of shared buffers, where an index scan would pull the
// whole table into the launcher's resident memory (JobAgenda sorts).
Portal open_job_cursor() {
    start_transaction();
    connect_spi();
    return SPI_cursor_open_with_args(nullptr, "SELECT " JOB_COLUMNS " FROM " SCHEDULED_JOBS, 0, nullptr,
                                     nullptr, nullptr, true, 0);
}

// The text of a non-null text column, without copying when it is not toasted.
text* text_column(HeapTuple tuple, TupleDesc desc, int column) {
    bool is_null = false;
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    return DatumGetTextPP(SPI_getbinval(tuple, desc, column, &is_null));
}

// Fills rows[0..count) from SPI_tuptable (JOB_COLUMNS); they stay valid
// until SPI_freetuptable or SPI_finish.
void read_job_rows(int count, JobRow* rows) {
    for (int i = 0; i < count; ++i) {
        HeapTuple tuple = SPI_tuptable->vals[i];
        TupleDesc desc = SPI_tuptable->tupdesc;
        bool is_null = false;
        rows[i].job_id = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &is_null));
        text* schedule = text_column(tuple, desc, 2);
        text* zone = text_column(tuple, desc, 3);
        rows[i].schedule = VARDATA_ANY(schedule);
        rows[i].schedule_length = static_cast<int>(VARSIZE_ANY_EXHDR(schedule));
        rows[i].zone = VARDATA_ANY(zone);
        rows[i].zone_length = static_cast<int>(VARSIZE_ANY_EXHDR(zone));
    }
}

// Fetches the next batch into `rows`; returns how many rows came.
int fetch_job_rows(Portal portal, JobRow* rows) {
    SPI_cursor_fetch(portal, true, kLoadBatch);
    const int fetched = static_cast<int>(SPI_processed);
    read_job_rows(fetched, rows);
    return fetched;
}

// Starts a transaction and reads the rows of the given jobs that are enabled
// and scheduled into `rows` (room for `count`); returns how many. SPI stays
// connected (the rows point into its tuple table) until finish_read.
int read_changed_jobs(const int64* job_ids, int count, JobRow* rows) {
    start_transaction();
    connect_spi();
    auto* elements = static_cast<Datum*>(palloc(sizeof(Datum) * count));
    for (int i = 0; i < count; ++i) {
        elements[i] = Int64GetDatum(job_ids[i]);
    }
    Oid types[1] = {INT8ARRAYOID};
    Datum values[1] = {PointerGetDatum(
        construct_array(elements, count, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE))};
    if (SPI_execute_with_args("SELECT " JOB_COLUMNS " FROM " SCHEDULED_JOBS " AND job_id = ANY ($1)", 1,
                              types, values, nullptr, true, 0) != SPI_OK_SELECT) {
        elog(ERROR, "pg_jobs: reading changed jobs failed");
    }
    const int found = static_cast<int>(SPI_processed);
    read_job_rows(found, rows);
    return found;
}

// Ends a read: SPI, then the transaction, back in the caller's context
// (commit would switch away).
void finish_read(MemoryContext caller) {
    SPI_finish();
    PopActiveSnapshot();
    CommitTransactionCommand();
    MemoryContextSwitchTo(caller);
}

}  // namespace

void load_jobs(JobAgenda& agenda, Timestamp now) {
    MemoryContext caller = CurrentMemoryContext;
    Portal portal = call_pg([] { return open_job_cursor(); });
    auto* rows = static_cast<JobRow*>(call_pg([&] { return palloc(sizeof(JobRow) * kLoadBatch); }));
    const JobAgenda::Resolver resolver = resolve_schedule;
    agenda.begin_reload();
    for (;;) {
        const int count = call_pg([&] { return fetch_job_rows(portal, rows); });
        if (count == 0) {
            break;
        }
        for (int i = 0; i < count; ++i) {
            agenda.add_job(rows[i].job_id, rows[i].schedule_text(), rows[i].zone_name(), resolver);
        }
        call_pg([&] { SPI_freetuptable(SPI_tuptable); });
    }
    call_pg([&] {
        SPI_cursor_close(portal);
        finish_read(caller);
    });
    agenda.finish_reload(now);
}

void apply_job_changes(JobAgenda& agenda, const int64* job_ids, int count, Timestamp now) {
    if (count == 0) {
        return;
    }
    MemoryContext caller = CurrentMemoryContext;
    auto* rows = static_cast<JobRow*>(call_pg([&] { return palloc(sizeof(JobRow) * count); }));
    const int found = call_pg([&] { return read_changed_jobs(job_ids, count, rows); });
    const JobAgenda::Resolver resolver = resolve_schedule;
    std::vector<int64> scheduled;
    scheduled.reserve(found);
    for (int i = 0; i < found; ++i) {
        agenda.upsert_job(rows[i].job_id, rows[i].schedule_text(), rows[i].zone_name(), resolver, now);
        scheduled.push_back(rows[i].job_id);
    }
    call_pg([&] { finish_read(caller); });
    // The others were deleted, disabled or made on-demand.
    std::sort(scheduled.begin(), scheduled.end());
    for (int i = 0; i < count; ++i) {
        if (!std::binary_search(scheduled.begin(), scheduled.end(), job_ids[i])) {
            agenda.remove_job(job_ids[i]);
        }
    }
}

}  // namespace pg_jobs::pg
