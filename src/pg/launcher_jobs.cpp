// The launcher's transactions; see launcher_jobs.hpp.
#include "core/cron_parser.hpp"
#include "pg/launcher_jobs.hpp"

#include "pg/execution_store.hpp"
#include "pg/guard.hpp"
#include "pg/gucs.hpp"
#include "pg/pg_interval.hpp"
#include "pg/pg_time_zone.hpp"
#include "pg/shmem.hpp"
#include "pg/worker_pool.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
#include "access/xact.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {
namespace {

// Rows read per cursor fetch while loading jobs, and runs per INSERT: big
// enough to amortise a statement, small enough to bound memory.
constexpr long kLoadBatch = 10000;
constexpr size_t kQueueBatch = 10000;

void start_transaction() {
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    PushActiveSnapshot(GetTransactionSnapshot());
}

// Leaves the caller's memory context current (commit would switch away).
void commit_transaction(MemoryContext caller) {
    PopActiveSnapshot();
    CommitTransactionCommand();
    MemoryContextSwitchTo(caller);
}

// Runs `body` (plain C calls only) in a transaction of its own.
template <typename Body>
void in_transaction(Body&& body) {
    MemoryContext caller = CurrentMemoryContext;
    call_pg([&] {
        start_transaction();
        body();
        commit_transaction(caller);
    });
}

// One job row of a fetched batch, pointing into SPI's tuple table.
struct JobRow {
    int64 job_id;
    const char* schedule;
    int schedule_length;
    const char* zone;
    int zone_length;
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

// Starts the load transaction and opens a cursor over the enabled scheduled
// jobs. No ORDER BY on purpose: a sequential scan of a big table reads
// through a small ring of shared buffers, where an index scan would pull the
// whole table into the launcher's resident memory (JobAgenda sorts).
Portal open_job_cursor() {
    start_transaction();
    if (SPI_connect() != SPI_OK_CONNECT) {
        elog(ERROR, "pg_jobs: SPI_connect failed");
    }
    return SPI_cursor_open_with_args(nullptr,
                                     "SELECT job_id, schedule, timezone FROM jobs.scheduled_job "
                                     "WHERE enabled AND schedule IS NOT NULL",
                                     0, nullptr, nullptr, nullptr, true, 0);
}

// The text of a non-null text column, without copying when it is not toasted.
text* text_column(HeapTuple tuple, TupleDesc desc, int column) {
    bool is_null = false;
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    return DatumGetTextPP(SPI_getbinval(tuple, desc, column, &is_null));
}

// Fetches the next batch into `rows` (pointing into SPI's tuple table, valid
// until SPI_freetuptable); returns how many rows came.
int fetch_job_rows(Portal portal, JobRow* rows) {
    SPI_cursor_fetch(portal, true, kLoadBatch);
    const int fetched = static_cast<int>(SPI_processed);
    for (int i = 0; i < fetched; ++i) {
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
    return fetched;
}

}  // namespace

bool extension_exists() {
    bool exists = false;
    in_transaction([&] { exists = OidIsValid(get_extension_oid("pg_jobs", true)); });
    return exists;
}

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
            agenda.add_job(rows[i].job_id, std::string_view(rows[i].schedule, rows[i].schedule_length),
                           std::string_view(rows[i].zone, rows[i].zone_length), resolver);
        }
        call_pg([&] { SPI_freetuptable(SPI_tuptable); });
    }
    call_pg([&] {
        SPI_cursor_close(portal);
        SPI_finish();
        commit_transaction(caller);
    });
    agenda.finish_reload(now);
}

uint64 queue_due_runs(JobAgenda& agenda) {
    std::vector<JobAgenda::Due> due;
    std::vector<int64> job_ids;
    std::vector<TimestampTz> fire_times;
    uint64 queued = 0;
    for (;;) {
        due.clear();
        if (agenda.take_due(GetCurrentTimestamp(), kQueueBatch, due) == 0) {
            return queued;
        }
        job_ids.clear();
        fire_times.clear();
        for (const JobAgenda::Due& run : due) {
            job_ids.push_back(run.job_id);
            fire_times.push_back(run.fire_time);
        }
        // Runs already taken from the agenda are lost if this fails; the
        // unique key would make a retry harmless, but the agenda has moved on.
        in_transaction([&] {
            queued +=
                queue_scheduled_runs(job_ids.data(), fire_times.data(), static_cast<int>(job_ids.size()));
        });
    }
}

uint64 queue_reboot_runs(const JobAgenda& agenda) {
    const std::vector<int64_t>& jobs = agenda.reboot_jobs();
    uint64 queued = 0;
    if (jobs.empty()) {
        return 0;
    }
    static_assert(sizeof(int64_t) == sizeof(int64));
    in_transaction([&] {
        queued = pg_jobs::pg::queue_reboot_runs(reinterpret_cast<const int64*>(jobs.data()),
                                                static_cast<int>(jobs.size()));
    });
    return queued;
}

uint64 recover_lost_runs() {
    uint64 changed = 0;
    in_transaction([&] { changed = mark_lost_runs_crashed(); });
    if (changed > 0) {
        ConditionVariableBroadcast(&scheduler_shared()->run_finished);
        ereport(LOG, (errmsg("pg_jobs: marked %llu interrupted run(s) as crashed",
                             static_cast<unsigned long long>(changed))));
    }
    return changed;
}

bool dispatch_queued_runs() {
    QueuedRuns* queued = nullptr;
    Oid* database_oids = nullptr;
    int databases = 0;
    uint64 failed = 0;
    in_transaction([&] {
        databases = queued_runs_by_database(&queued);
        database_oids = static_cast<Oid*>(palloc(sizeof(Oid) * Max(databases, 1)));
        for (int i = 0; i < databases; ++i) {
            database_oids[i] = get_database_oid(queued[i].database, true);
            if (!OidIsValid(database_oids[i])) {
                char* message = psprintf("database \"%s\" does not exist", queued[i].database);
                failed += fail_queued_runs(queued[i].database, ERRCODE_UNDEFINED_DATABASE, message,
                                           "Point the job at an existing database with jobs.alter, "
                                           "or create the database.");
            } else if (database_oids[i] != MyDatabaseId) {
                // Runs in other databases need their bookkeeping relayed by
                // the launcher; until that exists, fail them clearly.
                char* message = psprintf(
                    "jobs in database \"%s\" cannot run: pg_jobs runs jobs only in database \"%s\" "
                    "(the jobs.database setting)",
                    queued[i].database, jobs_database());
                failed +=
                    fail_queued_runs(queued[i].database, ERRCODE_FEATURE_NOT_SUPPORTED, message,
                                     "Schedule the job with database => current_setting('jobs.database') and "
                                     "reach other databases from there (for example with dblink).");
                database_oids[i] = InvalidOid;
            }
        }
    });
    if (failed > 0) {
        ConditionVariableBroadcast(&scheduler_shared()->run_finished);
    }
    bool all_served = true;
    for (int i = 0; i < databases; ++i) {
        if (OidIsValid(database_oids[i]) &&
            !call_pg([&] { return provide_workers(database_oids[i], queued[i].count); })) {
            all_served = false;
        }
    }
    return all_served;
}

}  // namespace pg_jobs::pg
