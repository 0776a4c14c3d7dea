// The launcher's periodic upkeep; see upkeep.hpp.
#include "pg/launcher/run_steps.hpp"  // first: it includes src/core, which must come before PostgreSQL
#include "pg/launcher/upkeep.hpp"

#include "pg/store/execution_store.hpp"
#include "pg/launcher/history_retention.hpp"
#include "pg/common/shmem.hpp"

extern "C" {
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {
namespace {

constexpr int64 kPassIntervalUs = 60 * USECS_PER_SEC;
// Retention's share of a pass: scheduling waits at most this (plus a batch).
constexpr int64 kRetentionBudgetUs = 100 * 1000;
// A pass cut short by its budget continues this soon (a backlog is worked
// off at about a tenth of the launcher's time).
constexpr int64 kBacklogPauseUs = 1 * USECS_PER_SEC;

TimestampTz next_pass_at = 0;  // 0: at the first iteration

}  // namespace

TimestampTz upkeep_if_due() {
    const TimestampTz now = GetCurrentTimestamp();
    if (now < next_pass_at) {
        return next_pass_at;
    }
    // Not due again before the pass ends, even if it fails.
    next_pass_at = now + kPassIntervalUs;
    (void)recover_stuck_runs();
    const RetentionProgress retention = trim_history(GetCurrentTimestamp() + kRetentionBudgetUs);
    const TimestampTz ended = GetCurrentTimestamp();
    SchedulerShared* shared = scheduler_shared();  // for jobs.health()
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    shared->last_retention_at = ended;
    LWLockRelease(shared->lock);
    ereport(DEBUG1, (errmsg("pg_jobs launcher: history retention deleted %llu run(s) in %.3f ms%s",
                            static_cast<unsigned long long>(retention.deleted),
                            static_cast<double>(ended - now) / 1000.0,
                            retention.finished ? "" : "; more to delete")));
    if (!retention.finished) {
        next_pass_at = ended + kBacklogPauseUs;
    }
    // Always a wake-up of its own: whether the history grew since this pass
    // (runs triggered, retried or started later) is not known here, and a
    // run ages past jobs.history_max_age with nothing happening at all.
    return next_pass_at;
}

void upkeep_soon() {
    next_pass_at = 0;
    trim_every_job_next();
}

}  // namespace pg_jobs::pg
