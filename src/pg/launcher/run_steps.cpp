// The launcher's transactions; see run_steps.hpp.
#include "core/run_status.hpp"
#include "pg/launcher/run_steps.hpp"

#include "pg/store/execution_store.hpp"
#include "pg/store/workflow_store.hpp"
#include "pg/store/run_lifecycle.hpp"
#include "pg/common/guard.hpp"
#include "pg/http/http_worker.hpp"
#include "pg/common/gucs.hpp"
#include "pg/launcher/job_loading.hpp"
#include "pg/common/transaction.hpp"
#include "pg/common/owner_access.hpp"
#include "pg/launcher/remote_runs.hpp"
#include "pg/common/shmem.hpp"
#include "pg/launcher/worker_pool.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_database.h"
#include "catalog/pg_extension.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {
namespace {

// Runs per INSERT: big enough to amortise a statement, small enough to
// bound memory.
constexpr size_t kQueueBatch = 10000;
// The first batch of a burst is small, so workers start on it while the
// launcher queues the rest in batches twice as large each time.
constexpr size_t kFirstQueueBatch = 128;

}  // namespace

ExtensionState check_extension(char* installed_version, size_t size) {
    ExtensionState state = ExtensionState::Missing;
    run_in_transaction([&] {
        // pg_extension has no syscache: scan its name index, as
        // get_extension_oid does.
        Relation catalog = table_open(ExtensionRelationId, AccessShareLock);
        ScanKeyData key;
        ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
                    CStringGetDatum("pg_jobs"));
        SysScanDesc scan = systable_beginscan(catalog, ExtensionNameIndexId, true, nullptr, 1, &key);
        HeapTuple tuple = systable_getnext(scan);
        if (HeapTupleIsValid(tuple)) {
            bool is_null = false;
            const Datum version =
                heap_getattr(tuple, Anum_pg_extension_extversion, RelationGetDescr(catalog), &is_null);
            // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
            const char* installed = is_null ? "(none)" : TextDatumGetCString(version);
            if (strcmp(installed, PG_JOBS_VERSION) == 0) {
                state = ExtensionState::Ready;
            } else {
                state = ExtensionState::OtherVersion;
                strlcpy(installed_version, installed, size);
            }
        }
        systable_endscan(scan);
        table_close(catalog, AccessShareLock);
    });
    return state;
}

namespace {

// Whether a failed queueing statement may be one job's fault (a value out
// of range, a constraint, a limit) rather than the database's (a lock,
// shutdown, missing table): only then is the batch probed job by job, so a
// passing trouble never disables anyone.
bool may_be_one_jobs_fault(const ErrorData* error) {
    const int category = ERRCODE_TO_CATEGORY(error->sqlerrcode);
    return category == ERRCODE_DATA_EXCEPTION || category == ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION ||
           category == ERRCODE_PROGRAM_LIMIT_EXCEEDED;
}

// Queues the runs of each job (job_ids sorted: each job's runs side by
// side) in a subtransaction of its own, in the current transaction; a job
// whose runs cannot be queued goes into `broken`, with the reason in
// `reasons`. Rethrows an error that cannot be one job's fault.
void queue_each_job(const std::vector<int64>& job_ids, const std::vector<TimestampTz>& fire_times,
                    bool catch_up, uint64* added, std::vector<int64>& broken,
                    std::vector<std::string>& reasons) {
    const size_t total = job_ids.size();
    for (size_t first = 0; first < total;) {
        size_t end = first + 1;
        while (end < total && job_ids[end] == job_ids[first]) {
            ++end;
        }
        const int64* ids = &job_ids[first];
        const TimestampTz* times = &fire_times[first];
        const int count = static_cast<int>(end - first);
        PendingError failure;
        if (!try_in_subtransaction([&] { *added += queue_scheduled_runs(ids, times, count, catch_up); },
                                   &failure)) {
            if (failure.pg_error == nullptr || !may_be_one_jobs_fault(failure.pg_error)) {
                rethrow_pending(failure);
            }
            std::string reason = "the scheduler could not queue its runs: ";
            reason += failure_message(failure);
            reason += " (SQLSTATE ";
            reason += unpack_sql_state(failure.pg_error->sqlerrcode);
            reason += "); fix the job, then enable it";
            report(WARNING,
                   ("pg_jobs: disabling job " + std::to_string(job_ids[first]) + ": " + reason).c_str());
            broken.push_back(job_ids[first]);
            reasons.push_back(std::move(reason));
        }
        first = end;
    }
}

// After a batch failed: queues the runs job by job, each in a subtransaction,
// and disables every job whose runs cannot be queued (disabled_reason says
// why, with the error), so one bad job never stops the others (issue 10,
// point 14). job_ids is sorted (each job's runs side by side).
uint64 queue_job_by_job(const std::vector<int64>& job_ids, const std::vector<TimestampTz>& fire_times,
                        bool catch_up) {
    std::vector<int64> broken;
    std::vector<std::string> reasons;
    std::vector<const char*> reason_texts;
    uint64 added = 0;
    run_in_transaction([&] {
        queue_each_job(job_ids, fire_times, catch_up, &added, broken, reasons);
        if (!broken.empty()) {
            reason_texts.reserve(reasons.size());
            for (const std::string& reason : reasons) {
                reason_texts.push_back(reason.c_str());
            }
            call_pg([&] {
                (void)disable_broken_jobs(broken.data(), reason_texts.data(),
                                          static_cast<int>(broken.size()));
            });
        }
    });
    return added;
}

// Queues the runs (job_ids[i] at fire_times[i]) in one statement; when that
// fails in a way one job may cause, probes job by job (queue_job_by_job).
uint64 queue_isolating_failures(std::vector<int64>& job_ids, std::vector<TimestampTz>& fire_times,
                                bool catch_up) {
    uint64 added = 0;
    PendingError failure;
    if (try_in_transaction(
            [&] {
                added = queue_scheduled_runs(job_ids.data(), fire_times.data(),
                                             static_cast<int>(job_ids.size()), catch_up);
            },
            &failure)) {
        return added;
    }
    if (failure.pg_error == nullptr || !may_be_one_jobs_fault(failure.pg_error)) {
        rethrow_pending(failure);
    }
    log_failure(
        ("pg_jobs: queueing " + std::to_string(job_ids.size()) + " run(s) failed, retrying job by job")
            .c_str(),
        failure);
    // Sort the runs by job (stable: each job's runs stay oldest first).
    std::vector<size_t> order(job_ids.size());
    for (size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return job_ids[a] < job_ids[b]; });
    std::vector<int64> sorted_ids;
    std::vector<TimestampTz> sorted_times;
    sorted_ids.reserve(order.size());
    sorted_times.reserve(order.size());
    for (size_t i : order) {
        sorted_ids.push_back(job_ids[i]);
        sorted_times.push_back(fire_times[i]);
    }
    return queue_job_by_job(sorted_ids, sorted_times, catch_up);
}

// Disables the jobs loading found out of bounds (see MissedRuns).
void disable_jobs_found_broken() {
    MissedRuns& missed = missed_runs();
    if (missed.broken_jobs.empty()) {
        return;
    }
    std::vector<int64> job_ids;
    std::vector<const char*> reasons;
    job_ids.reserve(missed.broken_jobs.size());
    reasons.reserve(missed.broken_jobs.size());
    for (const auto& [job_id, reason] : missed.broken_jobs) {
        job_ids.push_back(job_id);
        reasons.push_back(reason.c_str());
        report(WARNING, ("pg_jobs: disabling job " + std::to_string(job_id) + ": " + reason).c_str());
    }
    run_in_transaction(
        [&] { (void)disable_broken_jobs(job_ids.data(), reasons.data(), static_cast<int>(job_ids.size())); });
    missed.broken_jobs.clear();
}

// Queues runs loading found missed (misfire catch-ups, missed one-shots) and
// disables the one-shots missed with misfire skip. Each list is cleared once
// its transaction commits.
uint64 queue_missed_runs() {
    disable_jobs_found_broken();
    MissedRuns& missed = missed_runs();
    uint64 queued = 0;
    if (!missed.catch_up.empty()) {
        std::vector<int64> job_ids;
        std::vector<TimestampTz> fire_times;
        for (const JobAgenda::Due& run : missed.catch_up) {
            job_ids.push_back(run.job_id);
            fire_times.push_back(run.fire_time);
        }
        queued = queue_isolating_failures(job_ids, fire_times, true);
        report(LOG, ("pg_jobs: queued " + std::to_string(queued) + " misfire catch-up run(s)").c_str());
        missed.catch_up.clear();
    }
    if (!missed.while_down.empty()) {
        std::vector<int64> job_ids;
        std::vector<TimestampTz> firsts;
        std::vector<TimestampTz> lasts;
        std::vector<int32> counts;
        std::unique_ptr<bool[]> at_least(new bool[missed.while_down.size()]);
        for (size_t i = 0; i < missed.while_down.size(); ++i) {
            const MissedWhileDown& m = missed.while_down[i];
            job_ids.push_back(m.job_id);
            firsts.push_back(m.first);
            lasts.push_back(m.last);
            counts.push_back(m.count);
            at_least[i] = m.at_least;
        }
        uint64 recorded = 0;
        run_in_transaction([&] {
            recorded = record_missed_while_down(job_ids.data(), firsts.data(), lasts.data(), counts.data(),
                                                at_least.get(), static_cast<int>(job_ids.size()));
        });
        if (recorded > 0) {
            report(
                LOG,
                ("pg_jobs: " + std::to_string(recorded) +
                 " job(s) missed fire times while no scheduler ran (misfire skip): recorded as skipped runs")
                    .c_str());
        }
        missed.while_down.clear();
    }
    if (!missed.missed_one_shots.empty()) {
        run_in_transaction([&] {
            (void)expire_one_shots(missed.missed_one_shots.data(),
                                   static_cast<int>(missed.missed_one_shots.size()));
        });
        missed.missed_one_shots.clear();
    }
    return queued;
}

// Disables the jobs whose window the agenda found over (when it loaded
// them, or when it took their last run).
void end_windows(JobAgenda& agenda) {
    const std::vector<std::pair<int64_t, Timestamp>> ended = agenda.take_ended_jobs();
    if (ended.empty()) {
        return;
    }
    std::vector<int64> job_ids;
    std::vector<TimestampTz> end_ats;
    for (const auto& [job_id, end_at] : ended) {
        job_ids.push_back(job_id);
        end_ats.push_back(end_at);
    }
    run_in_transaction(
        [&] { (void)end_job_windows(job_ids.data(), end_ats.data(), static_cast<int>(job_ids.size())); });
}

}  // namespace

uint64 queue_due_runs(JobAgenda& agenda) {
    std::vector<JobAgenda::Due> due;
    std::vector<int64> job_ids;
    std::vector<TimestampTz> fire_times;
    uint64 queued = queue_missed_runs();
    size_t batch = kFirstQueueBatch;
    for (;; batch = std::min(batch * 2, kQueueBatch)) {
        due.clear();
        const TimestampTz now = GetCurrentTimestamp();
        if (agenda.take_due(now, now + kQueueAheadUs, batch, due) == 0) {
            end_windows(agenda);
            return queued;
        }
        job_ids.clear();
        fire_times.clear();
        TimestampTz latest = 0;
        for (const JobAgenda::Due& run : due) {
            job_ids.push_back(run.job_id);
            fire_times.push_back(run.fire_time);
            latest = std::max(latest, static_cast<TimestampTz>(run.fire_time));
        }
        // Before the runs are visible: a worker that finds nothing to
        // claim from then on looks for their start time.
        const bool ahead = latest > now;
        if (ahead) {
            note_runs_queued_ahead(latest);
        }
        // The agenda has moved past these runs: if the INSERT fails, give
        // them back so the retry queues them (the unique key skips any that
        // an earlier, committed batch already queued).
        uint64 added = 0;
        try {
            added = queue_isolating_failures(job_ids, fire_times, false);
        } catch (...) {
            agenda.put_back(due);
            throw;
        }
        if (added > 0) {
            // Most due runs are for this database: its idle workers start
            // on them now, before the next batch and the per-database count.
            // Runs queued ahead wake the busy ones too: one between its
            // last claim and its sleep then looks for their start time.
            wake_idle_workers(MyDatabaseId, ahead);
        }
        queued += added;
    }
}

uint64 queue_reboot_runs(const JobAgenda& agenda) {
    const std::vector<int64_t>& jobs = agenda.reboot_jobs();
    uint64 queued = 0;
    if (jobs.empty()) {
        return 0;
    }
    static_assert(sizeof(int64_t) == sizeof(int64));
    run_in_transaction([&] {
        // The launcher's own start is the scheduler's start: after a crash
        // restart it is a new process, so jobs defined before the crash run.
        queued = pg_jobs::pg::queue_reboot_runs(reinterpret_cast<const int64*>(jobs.data()),
                                                static_cast<int>(jobs.size()), MyStartTimestamp);
    });
    return queued;
}

uint64 recover_lost_runs() {
    // Outcomes posted by workers in other databases first: such a worker may
    // have reported and exited since.
    settle_remote_runs();
    SchedulerShared* shared = scheduler_shared();
    auto* held = static_cast<int64*>(call_pg([&] { return palloc(sizeof(int64) * shared->slot_count); }));
    const int held_count = runs_in_mailboxes(held);
    uint64 changed = 0;
    run_in_transaction([&] { changed = mark_lost_runs_crashed(held, held_count); });
    if (changed > 0) {
        ConditionVariableBroadcast(&shared->run_finished);
        ereport(LOG, (errmsg("pg_jobs: marked %llu interrupted run(s) as crashed",
                             static_cast<unsigned long long>(changed))));
    }
    return changed;
}

uint64 recover_stuck_runs() {
    // Long enough that a run whose worker is ending normally (timeout
    // cancellation, then the record) is never taken for a stuck one.
    constexpr int64 kStuckRunGraceMs = 30 * 1000;
    settle_remote_runs();
    SchedulerShared* shared = scheduler_shared();
    auto* held = static_cast<int64*>(call_pg([&] { return palloc(sizeof(int64) * shared->slot_count); }));
    const int held_count = runs_in_mailboxes(held);
    uint64 changed = 0;
    run_in_transaction(
        [&] { changed = mark_stuck_runs_crashed(held, held_count, default_timeout_ms(), kStuckRunGraceMs); });
    if (changed > 0) {
        ConditionVariableBroadcast(&shared->run_finished);
        ereport(LOG, (errmsg("pg_jobs: marked %llu stuck run(s) as crashed (past their timeout, no worker)",
                             static_cast<unsigned long long>(changed))));
    }
    return changed;
}

namespace {

// Fails the queued runs of a database no worker can connect to (gone, or
// not accepting connections); false if the database is usable. In a
// transaction.
bool fail_runs_of_unusable_database(const char* database, Oid database_oid, uint64* failed) {
    if (!OidIsValid(database_oid)) {
        *failed += fail_queued_runs(
            database, InvalidOid, ERRCODE_UNDEFINED_DATABASE,
            psprintf("database \"%s\" does not exist", database),
            "Point the job at an existing database with jobs.alter, or create the database.");
        return true;
    }
    HeapTuple tuple = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(database_oid));
    if (!HeapTupleIsValid(tuple)) {
        return false;  // dropped this instant: the next pass fails its runs
    }
    const bool allows_connections = reinterpret_cast<Form_pg_database>(GETSTRUCT(tuple))->datallowconn;
    ReleaseSysCache(tuple);
    if (allows_connections) {
        return false;
    }
    *failed += fail_queued_runs(
        database, InvalidOid, ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
        psprintf("database \"%s\" does not accept connections", database),
        psprintf(
            "ALTER DATABASE %s ALLOW_CONNECTIONS true, or point the job at another database with jobs.alter.",
            quote_identifier(database)));
    return true;
}

// Fails the queued runs of `owner` in `database` when that role may not have
// them run there now (dropped, no LOGIN, no CONNECT: owner_access.hpp), so
// no worker is started only to fail at its connection; else fills `queue`.
// In a transaction.
bool fail_runs_of_refused_owner(const QueuedRuns& runs, Oid database_oid, RunQueue* queue, uint64* failed) {
    const Oid owner_oid = runs.owner_oid;
    OwnerAccess access{};
    check_owner_access(owner_oid, runs.owner, database_oid, runs.database, &access);
    if (!access.allowed) {
        const uint64 count =
            fail_queued_runs(runs.database, owner_oid, access.sqlstate, access.message, access.hint);
        *failed += count;
        ereport(LOG,
                (errmsg("pg_jobs: failed %llu queued run(s) of role \"%s\" in database \"%s\": %s",
                        static_cast<unsigned long long>(count), runs.owner, runs.database, access.message)));
        return true;
    }
    *queue = RunQueue{database_oid, owner_oid, access.login_as_owner, access.may_start, runs.count};
    return false;
}

}  // namespace

namespace {
// The most coming runs warm_pools looks at: enough to find the owners of a
// large burst, few enough that the look stays cheap.
constexpr size_t kWarmLookAhead = 1024;

// Whether `coming` runs in this database may want more workers than it has
// (more than jobs.max_workers of them change nothing).
bool more_workers_wanted(size_t coming) {
    const auto slots = static_cast<size_t>(scheduler_shared()->slot_count);
    return static_cast<int>(std::min(coming, slots)) > local_worker_count();
}
}  // namespace

bool pools_need_warming(const JobAgenda& agenda, TimestampTz after, TimestampTz horizon) {
    std::vector<JobAgenda::Due> coming;
    agenda.peek_due(after, horizon, static_cast<size_t>(scheduler_shared()->slot_count), coming);
    return more_workers_wanted(coming.size());
}

void warm_pools(const JobAgenda& agenda, TimestampTz* warmed_through) {
    const TimestampTz after = *warmed_through;
    const TimestampTz horizon = GetCurrentTimestamp() + kWarmAheadUs;
    const std::optional<Timestamp> next = agenda.next_fire_time();
    if (!next || *next > horizon) {
        return;
    }
    *warmed_through = horizon;
    std::vector<JobAgenda::Due> coming;
    agenda.peek_due(after, horizon, kWarmLookAhead, coming);
    if (!more_workers_wanted(coming.size())) {
        return;
    }
    std::vector<int64> job_ids;
    job_ids.reserve(coming.size());
    for (const JobAgenda::Due& run : coming) {
        job_ids.push_back(run.job_id);
    }
    RunQueue* queues = nullptr;
    int usable = 0;
    const bool looked =
        run_in_transaction_or_log("pg_jobs launcher: starting workers ahead of a fire time", [&] {
            QueuedRuns* owners = nullptr;
            const int count = coming_runs_by_owner(job_ids.data(), static_cast<int>(job_ids.size()), &owners);
            queues = static_cast<RunQueue*>(palloc(sizeof(RunQueue) * Max(count, 1)));
            for (int i = 0; i < count; ++i) {
                OwnerAccess access{};
                check_owner_access(owners[i].owner_oid, owners[i].owner, MyDatabaseId, owners[i].database,
                                   &access);
                if (access.allowed) {  // else its runs are failed once queued, with the reason
                    queues[usable++] = RunQueue{MyDatabaseId, owners[i].owner_oid, access.login_as_owner,
                                                access.may_start, owners[i].count};
                }
            }
        });
    if (looked && usable > 0) {
        Starved starved{0, 0, 0};
        (void)call_pg([&] { return provide_workers(queues, usable, &starved); });
    }
}

bool dispatch_queued_runs() {
    settle_remote_runs();
    SchedulerShared* shared = scheduler_shared();
    QueuedRuns* queued = nullptr;
    RunQueue* queues = nullptr;
    int* sources = nullptr;  // queues[k] counts the runs of queued[sources[k]]
    int usable = 0;
    uint64 failed = 0;
    // The lists are used after the commit: run_in_transaction's body
    // allocates in the caller's memory context.
    run_in_transaction([&] {
        // More than jobs.max_workers queued for a pair changes nothing below.
        const int pairs = queued_runs_by_pair(shared->slot_count, &queued);
        queues = static_cast<RunQueue*>(palloc(sizeof(RunQueue) * Max(pairs, 1)));
        sources = static_cast<int*>(palloc(sizeof(int) * Max(pairs, 1)));
        for (int i = 0; i < pairs; ++i) {
            const Oid database_oid = get_database_oid(queued[i].database, true);
            if (fail_runs_of_unusable_database(queued[i].database, database_oid, &failed) ||
                fail_runs_of_refused_owner(queued[i], database_oid, &queues[usable], &failed)) {
                continue;
            }
            sources[usable++] = i;
        }
    });
    if (failed > 0) {
        ConditionVariableBroadcast(&shared->run_finished);
    }
    Starved starved{0, 0, 0};
    const WorkerSupply supply = call_pg([&] { return provide_workers(queues, usable, &starved); });
    bool all_served = supply == WorkerSupply::Enough;
    if (starved.pairs > 0 || starved.uncovered_runs > 0) {
        // Every slot is taken: free some, idle workers of pairs without
        // queued runs first, else from the owner holding the most (they exit,
        // and wake us). Short of idle ones: look again soon (see retire_workers).
        if (!call_pg([&] { return retire_workers(queues, usable, starved); })) {
            all_served = false;
        }
    }
    for (int k = 0; k < usable; ++k) {
        if (queues[k].database_oid != MyDatabaseId) {
            const QueuedRuns& runs = queued[sources[k]];
            hand_out_remote_runs(queues[k].database_oid, queues[k].owner_oid, runs.database, runs.count);
        }
    }
    bool http_queued = false;
    // The HTTP worker also starts the workflow runs whose run_if it checks.
    run_in_transaction([&] { http_queued = has_queued_http_runs() || has_queued_workflow_runs(true); });
    if (http_queued && !call_pg([] { return wake_or_start_http_worker(); })) {
        all_served = false;
    }
    return all_served;
}

}  // namespace pg_jobs::pg
