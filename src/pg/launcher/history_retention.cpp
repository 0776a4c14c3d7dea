// History retention; see history_retention.hpp. Three steps, in this order:
//   1. by age: finished runs that ended before now - jobs.history_max_age
//      (failed ones excepted when jobs.history_failed_max_age is set), oldest
//      first through the job_execution_ended index;
//   2. failed, timed_out and crashed runs older than
//      jobs.history_failed_max_age, when it is set;
//   3. by count: for each job, the counted runs beyond the newest
//      jobs.history_per_job, through job_execution_by_job (every job after
//      start or a reload, else the jobs with runs ended since the last round).
// Every DELETE names at most kBatch rows by execution_id and continues below
// (or above) the last batch, so no batch reads again what the previous ones
// deleted.
#include "core/run_status.hpp"
#include "pg/launcher/history_retention.hpp"

#include "pg/common/gucs.hpp"
#include "pg/common/transaction.hpp"
#include "pg/store/run_lifecycle_sql.hpp"
#include "pg/store/store_call.hpp"
#include "pg/store/workflow_store.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/guc.h"
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {
namespace {

constexpr int64 kBatch = 1000;

// Which finished runs a step looks at.
enum class Counted {
    AllFinished,  // every final status
    NotFailed,    // all but failed, timed_out and crashed (kept by their own age)
    FailedOnly,   // failed, timed_out and crashed
};

const char* status_filter(Counted counted) {
    switch (counted) {
        case Counted::AllFinished:
            return "";
        case Counted::NotFailed:
            return "AND e.status NOT IN ('failed', 'timed_out', 'crashed')";
        case Counted::FailedOnly:
            return "AND e.status IN ('failed', 'timed_out', 'crashed')";
    }
    return "";
}

void run_select(const char* sql, int nargs, Oid* types, Datum* values) {
    const int rc = SPI_execute_with_args(sql, nargs, types, values, nullptr, false, 0);
    if (rc != SPI_OK_SELECT) {
        elog(ERROR, "pg_jobs: unexpected result %s from: %s", SPI_result_code_string(rc), sql);
    }
}

// Deletes up to kBatch runs that ended in [*from, before), oldest first;
// moves *from to the latest end deleted. In a transaction. Returns the count.
uint64 delete_ended_before(Counted counted, TimestampTz before, TimestampTz* from) {
    const char* sql = psprintf(
        "WITH gone AS (DELETE FROM jobs.job_execution WHERE execution_id IN ("
        "  SELECT e.execution_id FROM jobs.job_execution AS e "
        "  WHERE " PG_JOBS_FINISHED_SQL("e") " %s "
        "    AND NOT " PG_JOBS_STEP_OF_UNFINISHED_WORKFLOW_SQL("e") " "  // flow
        "    AND coalesce(e.finished_at, e.queued_at) >= $1 AND coalesce(e.finished_at, e.queued_at) < $2 "
        "  ORDER BY coalesce(e.finished_at, e.queued_at) LIMIT $3) "
        "  RETURNING coalesce(finished_at, queued_at) AS ended) "
        "SELECT count(*), max(ended) FROM gone",
        status_filter(counted));
    Oid types[3] = {TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID};
    Datum values[3] = {TimestampTzGetDatum(*from), TimestampTzGetDatum(before), Int64GetDatum(kBatch)};
    const int nest = begin_store_call();
    run_select(sql, 3, types, values);
    bool is_null = false;
    const int64 deleted =
        DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null));
    const Datum latest = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &is_null);
    if (!is_null) {
        *from = DatumGetTimestampTz(latest);
    }
    end_store_call(nest);
    return static_cast<uint64>(deleted);
}

// The smallest job_id above `after` with runs in the history. In a transaction.
bool next_job_with_history(int64 after, int64* job_id) {
    Oid types[1] = {INT8OID};
    Datum values[1] = {Int64GetDatum(after)};
    const int nest = begin_store_call();
    // min() over job_execution_by_job: one index probe.
    run_select("SELECT min(e.job_id) FROM jobs.job_execution AS e WHERE e.job_id > $1", 1, types, values);
    bool is_null = true;
    const Datum found = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null);
    if (!is_null) {
        *job_id = DatumGetInt64(found);
    }
    end_store_call(nest);
    return !is_null;
}

// Up to `capacity` job_ids above `after`, in order, of jobs with a run that
// ended at or after `since` (a range of job_execution_ended). In a transaction.
int jobs_with_runs_ended_since(TimestampTz since, int64 after, int64* out, int capacity) {
    Oid types[3] = {TIMESTAMPTZOID, INT8OID, INT8OID};
    Datum values[3] = {TimestampTzGetDatum(since), Int64GetDatum(after), Int64GetDatum(capacity)};
    const int nest = begin_store_call();
    run_select(
        "SELECT DISTINCT e.job_id FROM jobs.job_execution AS e "
        "WHERE " PG_JOBS_FINISHED_SQL("e") " AND coalesce(e.finished_at, e.queued_at) >= $1 "
        "  AND e.job_id > $2 ORDER BY e.job_id LIMIT $3",
        3, types, values);
    const int rows = static_cast<int>(SPI_processed);
    for (int i = 0; i < rows && i < capacity; ++i) {
        bool is_null = false;
        out[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &is_null));
    }
    end_store_call(nest);
    return rows < capacity ? rows : capacity;
}

// The newest of the job's counted runs beyond the `keep` newest (the first
// to delete), if any. Reads `keep` + 1 entries of job_execution_by_job.
bool first_run_beyond(Counted counted, int64 job_id, int64 keep, int64* execution_id) {
    const char* sql = psprintf(
        "SELECT e.execution_id FROM jobs.job_execution AS e "
        "WHERE e.job_id = $1 AND " PG_JOBS_FINISHED_SQL("e") " %s "
        "ORDER BY e.execution_id DESC OFFSET $2 LIMIT 1",
        status_filter(counted));
    Oid types[2] = {INT8OID, INT8OID};
    Datum values[2] = {Int64GetDatum(job_id), Int64GetDatum(keep)};
    const int nest = begin_store_call();
    run_select(sql, 2, types, values);
    const bool found = SPI_processed > 0;
    if (found) {
        bool is_null = false;
        *execution_id =
            DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null));
    }
    end_store_call(nest);
    return found;
}

// Deletes up to kBatch of the job's counted runs with execution_id <=
// *upto, newest first; moves *upto below the oldest deleted. Returns the count.
uint64 delete_job_runs_upto(Counted counted, int64 job_id, int64* upto) {
    const char* sql = psprintf(
        "WITH gone AS (DELETE FROM jobs.job_execution WHERE execution_id IN ("
        "  SELECT e.execution_id FROM jobs.job_execution AS e "
        "  WHERE e.job_id = $1 AND e.execution_id <= $2 AND " PG_JOBS_FINISHED_SQL("e") " %s "
        "    AND NOT " PG_JOBS_STEP_OF_UNFINISHED_WORKFLOW_SQL("e") " "  // flow
        "  ORDER BY e.execution_id DESC LIMIT $3) "
        "  RETURNING execution_id) "
        "SELECT count(*), min(execution_id) FROM gone",
        status_filter(counted));
    Oid types[3] = {INT8OID, INT8OID, INT8OID};
    Datum values[3] = {Int64GetDatum(job_id), Int64GetDatum(*upto), Int64GetDatum(kBatch)};
    const int nest = begin_store_call();
    run_select(sql, 3, types, values);
    bool is_null = false;
    const int64 deleted =
        DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null));
    const Datum oldest = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &is_null);
    if (!is_null) {
        *upto = DatumGetInt64(oldest) - 1;
    }
    end_store_call(nest);
    return static_cast<uint64>(deleted);
}

// The count step goes round the jobs: a full round (every job with
// history) at start and after a configuration reload, else only the jobs
// with a run that ended since the previous round began (less a margin for
// commits that lag their finished_at): a job's count grows only then. A
// round spans passes; it resumes where the deadline stopped it.
constexpr int kJobBatch = 1000;
constexpr int64 kCommitLagUs = 60 * USECS_PER_SEC;

struct CountRound {
    bool active = false;
    bool next_full = true;  // the next round looks at every job
    bool full = true;
    TimestampTz since = DT_NOBEGIN;  // partial round: jobs with runs ended since then
    TimestampTz started_at = 0;      // of this round
    TimestampTz previous_started_at = 0;
    int64 after_job = 0;     // jobs up to this one are done in this round
    int64 batch[kJobBatch];  // partial round: the next jobs to look at
    int batch_count = 0;
    int batch_next = 0;
    bool in_job = false;  // stopped inside `job`, whose runs <= `upto` remain to delete
    int64 job = 0;
    int64 upto = 0;
    Counted counted = Counted::AllFinished;  // the settings `upto` was found with
    int keep = 0;
};
CountRound count_round;

void begin_round() {
    count_round.active = true;
    count_round.full = count_round.next_full;
    count_round.next_full = false;
    count_round.started_at = GetCurrentTimestamp();
    count_round.since = count_round.full ? DT_NOBEGIN : count_round.previous_started_at - kCommitLagUs;
    count_round.after_job = 0;
    count_round.batch_count = 0;
    count_round.batch_next = 0;
    count_round.in_job = false;
}

void end_round() {
    count_round.active = false;
    count_round.previous_started_at = count_round.started_at;
}

// The next job of the round after count_round.after_job; false at the end.
bool next_job_of_round(int64* job) {
    if (count_round.full) {
        bool found = false;
        run_in_transaction([&] { found = next_job_with_history(count_round.after_job, job); });
        return found;
    }
    if (count_round.batch_next == count_round.batch_count) {
        run_in_transaction([&] {
            count_round.batch_count = jobs_with_runs_ended_since(count_round.since, count_round.after_job,
                                                                 count_round.batch, kJobBatch);
        });
        count_round.batch_next = 0;
        if (count_round.batch_count == 0) {
            return false;
        }
    }
    *job = count_round.batch[count_round.batch_next++];
    return true;
}

// Per kind of step 1 and 2: the latest end of a run deleted. Earlier runs
// of that kind are gone (finished_at is set when a run ends, and the age
// limit only moves forward), so the next pass starts there, less the commit
// lag, instead of reading again the runs it keeps (failed ones kept longer
// than the others). Back to the beginning at start and after a reload
// (the settings may have changed, or old runs been inserted).
TimestampTz age_done_until[3] = {DT_NOBEGIN, DT_NOBEGIN, DT_NOBEGIN};

class Pass {
public:
    explicit Pass(TimestampTz deadline) : deadline_(deadline) {}

    // Steps 1 and 2; false when stopped at the deadline.
    bool trim_by_age(Counted counted, int age_s) {
        if (age_s <= 0) {
            return true;
        }
        const TimestampTz before = GetCurrentTimestamp() - static_cast<int64>(age_s) * USECS_PER_SEC;
        TimestampTz& done_until = age_done_until[static_cast<int>(counted)];
        TimestampTz from = done_until == DT_NOBEGIN ? DT_NOBEGIN : done_until - kCommitLagUs;
        for (;;) {
            uint64 deleted = 0;
            TimestampTz next_from = from;  // taken only once the batch is committed
            run_in_transaction([&] { deleted = delete_ended_before(counted, before, &next_from); });
            from = next_from;
            progress_.deleted += deleted;
            done_until = Max(done_until, from);
            if (deleted < static_cast<uint64>(kBatch)) {
                return true;
            }
            if (out_of_time()) {
                return false;
            }
        }
    }

    // Step 3, job after job from where the previous pass stopped; false
    // when stopped at the deadline.
    bool trim_by_count(Counted counted, int keep) {
        if (keep <= 0) {
            count_round.active = false;
            count_round.next_full = true;  // when a limit is set again, every job is over it maybe
            return true;
        }
        if (count_round.in_job && (count_round.counted != counted || count_round.keep != keep)) {
            count_round.in_job = false;  // the settings changed: find the job's first run to delete again
            count_round.after_job = count_round.job - 1;
            count_round.batch_count = count_round.batch_next = 0;
        }
        if (!count_round.active) {
            begin_round();
        }
        for (;;) {
            if (!count_round.in_job) {
                int64 job = 0;
                if (!next_job_of_round(&job)) {
                    end_round();
                    return true;
                }
                int64 upto = 0;
                bool beyond = false;
                run_in_transaction([&] { beyond = first_run_beyond(counted, job, keep, &upto); });
                count_round.after_job = job;
                count_round.in_job = beyond;
                count_round.job = job;
                count_round.upto = upto;
                count_round.counted = counted;
                count_round.keep = keep;
                if (!beyond) {
                    if (out_of_time()) {
                        return false;
                    }
                    continue;
                }
            }
            uint64 deleted = 0;
            int64 next_upto = count_round.upto;  // taken only once the batch is committed
            run_in_transaction([&] { deleted = delete_job_runs_upto(counted, count_round.job, &next_upto); });
            count_round.upto = next_upto;
            progress_.deleted += deleted;
            if (deleted < static_cast<uint64>(kBatch)) {
                count_round.in_job = false;
            }
            if (out_of_time()) {
                return false;
            }
        }
    }

    RetentionProgress progress(bool finished) const {
        RetentionProgress result = progress_;
        result.finished = finished;
        return result;
    }

private:
    bool out_of_time() const { return GetCurrentTimestamp() >= deadline_; }

    TimestampTz deadline_;
    RetentionProgress progress_;
};

}  // namespace

void trim_every_job_next() {
    count_round.active = false;
    count_round.next_full = true;
    for (TimestampTz& done_until : age_done_until) {
        done_until = DT_NOBEGIN;
    }
}

RetentionProgress trim_history(TimestampTz deadline) {
    const int failed_max_age = history_failed_max_age_s();
    const bool failed_apart = failed_max_age >= 0;  // -1: failed runs like the others
    const Counted counted = failed_apart ? Counted::NotFailed : Counted::AllFinished;
    Pass pass(deadline);
    const bool finished = pass.trim_by_age(counted, history_max_age_s()) &&
                          (!failed_apart || pass.trim_by_age(Counted::FailedOnly, failed_max_age)) &&
                          pass.trim_by_count(counted, history_per_job());
    return pass.progress(finished);
}

}  // namespace pg_jobs::pg
