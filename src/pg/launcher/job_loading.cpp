// Reading job definitions into the launcher's agenda; see
// job_loading.hpp.
#include "core/cron_next.hpp"
#include "core/cron_parser.hpp"
#include "core/run_policies.hpp"
#include "pg/launcher/job_loading.hpp"

#include "pg/common/guard.hpp"
#include "pg/common/transaction.hpp"
#include "pg/common/pg_interval.hpp"
#include "pg/common/pg_time_zone.hpp"
#include "pg/store/store_call.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
#include "miscadmin.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {
namespace {

// Rows read per cursor fetch while loading every job: big enough to
// amortise a fetch, small enough to bound memory.
constexpr long kLoadBatch = 10000;

// The columns both reads select, in this order. last_fire (for misfire
// catch-up) is read only for jobs that catch up: the latest time the job
// has a scheduled run for, else when it was last defined or enabled. The
// last column says why the job's stored times or intervals are out of
// bounds (NULL: they are fine).
#define JOB_COLUMNS_READING_LAST_FIRE_IF(condition)                                                   \
    "job_id, schedule, timezone, start_at, end_at, run_at, misfire, "                                 \
    "CASE WHEN " condition                                                                            \
    " THEN coalesce((SELECT max(e.scheduled_for) FROM jobs.job_execution AS e "                       \
    "  WHERE e.job_id = j.job_id AND e.triggered_by = 'schedule'), updated_at) END, updated_at, "     \
    "jobs_internal._time_limits_problem(run_at, start_at, end_at, timeout, retry_backoff, retry_backoff_max, " \
    "  starting_deadline, min_trigger_interval)"
#define JOB_COLUMNS JOB_COLUMNS_READING_LAST_FIRE_IF("misfire <> 'skip'")
// At the launcher's start every scheduled job's last fire time: the times
// a 'skip' job missed while no scheduler ran are recorded (skipped rows).
#define JOB_COLUMNS_AT_START JOB_COLUMNS_READING_LAST_FIRE_IF("schedule IS NOT NULL")
// Scheduled jobs, and one-shot jobs (no schedule, a run_at).
#define SCHEDULED_JOBS \
    "jobs.scheduled_job AS j WHERE enabled AND (schedule IS NOT NULL OR run_at IS NOT NULL)"

// One job row, pointing into SPI's tuple table.
struct JobRow {
    int64 job_id;
    const char* schedule;  // nullptr: a one-shot job
    int schedule_length;
    const char* zone;
    int zone_length;
    JobAgenda::Window window;
    std::optional<Timestamp> run_at;
    MisfirePolicy misfire;
    std::optional<Timestamp> last_fire;
    Timestamp updated_at;
    const char* problem;  // nullptr: the times and intervals are within bounds
    int problem_length;

    std::string_view schedule_text() const { return {schedule, static_cast<size_t>(schedule_length)}; }
    std::string_view zone_name() const { return {zone, static_cast<size_t>(zone_length)}; }
};

MissedRuns missed;  // see missed_runs()
// Why resolve_schedule last refused a schedule or zone, for the job's
// disabled_reason.
std::string last_refusal;

// Called by the agenda, with its C++ objects alive: the warnings go
// through report (guard.hpp), after the catch block.
std::optional<JobAgenda::Resolved> resolve_schedule(std::string_view text, std::string_view zone_name) {
    cron::ParseResult parsed = cron::parse_schedule(text, parse_pg_interval);
    if (!parsed.ok) {
        last_refusal = "its schedule \"" + std::string(text) + "\" is invalid: " + parsed.error.message;
        report(WARNING,
               ("pg_jobs: skipping jobs with invalid schedule \"" + std::string(text) +
                "\": " + parsed.error.message)
                   .c_str(),
               "Fix the schedule with jobs.alter.");
        return std::nullopt;
    }
    const std::string zone(zone_name);
    std::string zone_problem;
    try {
        return JobAgenda::Resolved{parsed.schedule,
                                   std::make_shared<PgTimeZone>(lookup_time_zone(zone.c_str()))};
    } catch (const UserError& error) {
        zone_problem = error.message();
    }
    last_refusal = "its time zone \"" + zone + "\" is unusable: " + zone_problem;
    report(WARNING, ("pg_jobs: skipping jobs with time zone \"" + zone + "\": " + zone_problem).c_str(),
           "Fix the time zone with jobs.alter.");
    return std::nullopt;
}

void connect_spi() {
    if (SPI_connect() != SPI_OK_CONNECT) {
        elog(ERROR, "pg_jobs: SPI_connect failed");
    }
}

// Opens a cursor over the enabled scheduled jobs, in the load transaction.
// No ORDER BY on purpose: a sequential scan of a big table reads through a
// small ring of shared buffers, where an index scan would pull the whole
// table into the launcher's resident memory (JobAgenda sorts).
Portal open_job_cursor(bool at_start) {
    connect_spi();
    return SPI_cursor_open_with_args(nullptr,
                                     at_start ? "SELECT " JOB_COLUMNS_AT_START " FROM " SCHEDULED_JOBS
                                              : "SELECT " JOB_COLUMNS " FROM " SCHEDULED_JOBS,
                                     0, nullptr, nullptr, nullptr, true, 0);
}

// The text of a non-null text column, without copying when it is not toasted.
text* text_column(HeapTuple tuple, TupleDesc desc, int column) {
    bool is_null = false;
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    return DatumGetTextPP(SPI_getbinval(tuple, desc, column, &is_null));
}

std::optional<Timestamp> timestamp_column(HeapTuple tuple, TupleDesc desc, int column) {
    bool is_null = false;
    const Datum value = SPI_getbinval(tuple, desc, column, &is_null);
    return is_null ? std::nullopt : std::optional<Timestamp>(DatumGetTimestampTz(value));
}

// Fills rows[0..count) from SPI_tuptable (JOB_COLUMNS); they stay valid
// until SPI_freetuptable or SPI_finish.
void read_job_rows(int count, JobRow* rows) {
    for (int i = 0; i < count; ++i) {
        HeapTuple tuple = SPI_tuptable->vals[i];
        TupleDesc desc = SPI_tuptable->tupdesc;
        bool is_null = false;
        JobRow& row = rows[i];
        row.job_id = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &is_null));
        (void)SPI_getbinval(tuple, desc, 2, &is_null);
        text* schedule = is_null ? nullptr : text_column(tuple, desc, 2);
        text* zone = text_column(tuple, desc, 3);
        row.schedule = schedule == nullptr ? nullptr : VARDATA_ANY(schedule);
        row.schedule_length = schedule == nullptr ? 0 : static_cast<int>(VARSIZE_ANY_EXHDR(schedule));
        row.zone = VARDATA_ANY(zone);
        row.zone_length = static_cast<int>(VARSIZE_ANY_EXHDR(zone));
        row.window.start_at = timestamp_column(tuple, desc, 4);
        row.window.end_at = timestamp_column(tuple, desc, 5);
        row.run_at = timestamp_column(tuple, desc, 6);
        text* misfire = text_column(tuple, desc, 7);
        row.misfire = parse_misfire_policy(std::string_view(VARDATA_ANY(misfire), VARSIZE_ANY_EXHDR(misfire)))
                          .value_or(MisfirePolicy::Skip);
        row.last_fire = timestamp_column(tuple, desc, 8);
        row.updated_at = timestamp_column(tuple, desc, 9).value_or(0);
        (void)SPI_getbinval(tuple, desc, 10, &is_null);
        text* problem = is_null ? nullptr : text_column(tuple, desc, 10);
        row.problem = problem == nullptr ? nullptr : VARDATA_ANY(problem);
        row.problem_length = problem == nullptr ? 0 : static_cast<int>(VARSIZE_ANY_EXHDR(problem));
    }
}

bool inside(const JobAgenda::Window& window, Timestamp t) {
    return (!window.start_at || t >= *window.start_at) && (!window.end_at || t <= *window.end_at);
}

// A job the agenda does not have yet (the launcher started, or the job was
// enabled): the fire times it missed since its last scheduled run that its
// misfire policy catches up.
void note_catch_up(const JobAgenda& agenda, const JobRow& row, Timestamp now) {
    if (row.misfire == MisfirePolicy::Skip || !row.last_fire) {
        return;
    }
    // As the agenda has just resolved it for this row: not parsed again.
    const JobAgenda::Resolved* resolved = agenda.find_resolved(row.schedule_text(), row.zone_name());
    if (resolved == nullptr) {
        return;
    }
    for (Timestamp t :
         missed_fire_times(row.misfire, resolved->schedule, *resolved->zone, *row.last_fire, now)) {
        if (inside(row.window, t)) {
            missed.catch_up.push_back(JobAgenda::Due{row.job_id, t});
        }
    }
}

// At the launcher's start, a 'skip' job: the fire times in its window since
// its last scheduled run (or since it was last defined or enabled) that no
// scheduler was running to queue. They are recorded as one skipped row (an
// alert's 'missed'), not run.
void note_missed_while_down(const JobAgenda& agenda, const JobRow& row, Timestamp now) {
    if (row.misfire != MisfirePolicy::Skip || !row.last_fire || row.schedule == nullptr) {
        return;
    }
    // As the agenda has just resolved it for this row: not parsed again.
    const JobAgenda::Resolved* resolved = agenda.find_resolved(row.schedule_text(), row.zone_name());
    if (resolved == nullptr) {
        return;
    }
    const Timestamp from = std::max(*row.last_fire, row.updated_at);
    std::vector<Timestamp> times =
        missed_fire_times(MisfirePolicy::RunAll, resolved->schedule, *resolved->zone, from, now);
    const bool at_least = times.size() >= kMaxCatchUpRuns;  // the latest ones only
    times.erase(
        std::remove_if(times.begin(), times.end(), [&](Timestamp t) { return !inside(row.window, t); }),
        times.end());
    if (times.empty()) {
        return;
    }
    const Timestamp first =
        at_least ? cron::next_fire_time(resolved->schedule, *resolved->zone, from) : times.front();
    missed.while_down.push_back(
        MissedWhileDown{row.job_id, first, times.back(), static_cast<int>(times.size()), at_least});
}

// A one-shot job: it fires at run_at. A run_at that passed (and is not
// pending in the agenda, due right now) before the job was last defined or
// enabled, or before this launcher started, was missed: caught up once
// unless misfire is skip (then the job disables itself). One that passed
// only while the launcher was getting to the job (jobs.schedule_in with a
// short delay) runs now.
void load_one_shot(JobAgenda& agenda, const JobRow& row, Timestamp now, bool reload) {
    const Timestamp run_at = *row.run_at;
    const bool pending = agenda.pending_fire_time(row.job_id) == std::optional<Timestamp>(run_at);
    if (run_at <= now && !pending) {
        const bool missed_while_off = run_at < row.updated_at || run_at < MyStartTimestamp;
        if (missed_while_off && row.misfire == MisfirePolicy::Skip) {
            missed.missed_one_shots.push_back(row.job_id);
        } else {
            missed.catch_up.push_back(JobAgenda::Due{row.job_id, run_at});
        }
    }
    if (reload) {
        agenda.add_one_shot(row.job_id, run_at);
    } else {
        agenda.upsert_one_shot(row.job_id, run_at, now);
    }
}

// Adds (reload) or upserts one job row.
void load_row(JobAgenda& agenda, const JobRow& row, Timestamp now, bool reload,
              const JobAgenda::Resolver& resolver, bool at_start = false) {
    if (row.problem != nullptr) {
        // Never scheduled: its times could make the fire-time computations
        // or the queueing statement fail. The launcher disables it.
        std::string reason = "the scheduler cannot run this job: ";
        reason.append(row.problem, static_cast<size_t>(row.problem_length));
        reason.append(" (fix it with jobs.alter, then enable the job)");
        missed.broken_jobs.emplace_back(row.job_id, std::move(reason));
        if (!reload) {
            agenda.remove_job(row.job_id);
        }
        return;
    }
    if (row.schedule == nullptr) {
        if (row.run_at) {
            load_one_shot(agenda, row, now, reload);
        }
        return;
    }
    const bool is_new = !agenda.has_job(row.job_id);
    const bool usable =
        reload
            ? agenda.add_job(row.job_id, row.schedule_text(), row.zone_name(), resolver, row.window)
            : agenda.upsert_job(row.job_id, row.schedule_text(), row.zone_name(), resolver, now, row.window);
    if (usable && is_new) {
        note_catch_up(agenda, row, now);
    }
    if (usable && at_start) {
        note_missed_while_down(agenda, row, now);
    }
    if (!usable) {
        // Disabled with the reason, as a job with broken times: else it
        // would stay enabled, never run, and warn at every reload.
        missed.broken_jobs.emplace_back(row.job_id, "the scheduler cannot run this job: " + last_refusal +
                                                        " (fix it with jobs.alter, then enable the job)");
    }
}

// Fetches the next batch into `rows`; returns how many rows came.
int fetch_job_rows(Portal portal, JobRow* rows) {
    SPI_cursor_fetch(portal, true, kLoadBatch);
    const int fetched = static_cast<int>(SPI_processed);
    read_job_rows(fetched, rows);
    return fetched;
}

// Reads the rows of the given jobs that are enabled and scheduled into
// `rows` (room for `count`); returns how many. SPI stays connected (the rows
// point into its tuple table) until SPI_finish.
int read_changed_jobs(const int64* job_ids, int count, JobRow* rows) {
    connect_spi();
    auto* elements = static_cast<Datum*>(palloc(sizeof(Datum) * count));
    for (int i = 0; i < count; ++i) {
        elements[i] = Int64GetDatum(job_ids[i]);
    }
    Oid types[1] = {INT8ARRAYOID};
    Datum values[1] = {PointerGetDatum(
        construct_array(elements, count, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE))};
    // A kept plan: planning this statement (the bounds check's SQL functions
    // inlined) costs more than running it for one changed job.
    execute_stored("SELECT " JOB_COLUMNS " FROM " SCHEDULED_JOBS " AND job_id = ANY ($1)", 1, types, values,
                   nullptr, SPI_OK_SELECT);
    const int found = static_cast<int>(SPI_processed);
    read_job_rows(found, rows);
    return found;
}

// Reads every job into the agenda, in the load transaction. C++ code: its
// PostgreSQL calls go through call_pg.
void read_all_jobs(JobAgenda& agenda, Timestamp now, bool at_start) {
    Portal portal = call_pg([&] { return open_job_cursor(at_start); });
    auto* rows = static_cast<JobRow*>(call_pg([&] { return palloc(sizeof(JobRow) * kLoadBatch); }));
    const JobAgenda::Resolver resolver = resolve_schedule;
    agenda.begin_reload();
    for (;;) {
        const int count = call_pg([&] { return fetch_job_rows(portal, rows); });
        if (count == 0) {
            break;
        }
        for (int i = 0; i < count; ++i) {
            load_row(agenda, rows[i], now, true, resolver, at_start);
        }
        call_pg([&] { SPI_freetuptable(SPI_tuptable); });
    }
    call_pg([&] {
        SPI_cursor_close(portal);
        SPI_finish();
    });
    agenda.finish_reload(now);
}

// Applies the rows of the changed jobs, in the transaction that reads them;
// fills `scheduled` with the ids of those still scheduled.
void apply_changed_rows(JobAgenda& agenda, const int64* job_ids, int count, Timestamp now,
                        std::vector<int64>& scheduled) {
    auto* rows = static_cast<JobRow*>(call_pg([&] { return palloc(sizeof(JobRow) * count); }));
    const int found = call_pg([&] { return read_changed_jobs(job_ids, count, rows); });
    const JobAgenda::Resolver resolver = resolve_schedule;
    scheduled.reserve(found);
    for (int i = 0; i < found; ++i) {
        load_row(agenda, rows[i], now, false, resolver);
        scheduled.push_back(rows[i].job_id);
    }
    call_pg([] { SPI_finish(); });
}

}  // namespace

MissedRuns& missed_runs() {
    return missed;
}

void load_jobs(JobAgenda& agenda, Timestamp now, bool at_start) {
    // The transaction stays open across the cursor's fetches.
    run_in_transaction([&] { read_all_jobs(agenda, now, at_start); });
}

void apply_job_changes(JobAgenda& agenda, const int64* job_ids, int count, Timestamp now) {
    if (count == 0) {
        return;
    }
    std::vector<int64> scheduled;
    run_in_transaction([&] { apply_changed_rows(agenda, job_ids, count, now, scheduled); });
    // The others were deleted, disabled or made on-demand.
    std::sort(scheduled.begin(), scheduled.end());
    for (int i = 0; i < count; ++i) {
        if (!std::binary_search(scheduled.begin(), scheduled.end(), job_ids[i])) {
            agenda.remove_job(job_ids[i]);
        }
    }
}

}  // namespace pg_jobs::pg
