// alerts: the launcher's alert pass; see alert_pass.hpp.
#include "pg/launcher/alert_pass.hpp"

#include "pg/common/gucs.hpp"
#include "pg/common/shmem.hpp"
#include "pg/common/transaction.hpp"
#include "pg/store/alert_store.hpp"

extern "C" {
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {
namespace {

// Without any alert the launcher looks again this often (a restored table,
// a prepared transaction's alert).
constexpr int64 kIdleCheckUs = 60 * USECS_PER_SEC;

TimestampTz next_alert_pass_at = 0;  // 0: at the first iteration

// Takes the request of a committed alert change, if any.
bool take_request() {
    SchedulerShared* shared = scheduler_shared();
    if (shared == nullptr) {
        return false;
    }
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    const bool requested = shared->alert_pass_requested;
    shared->alert_pass_requested = false;
    LWLockRelease(shared->lock);
    return requested;
}

}  // namespace

TimestampTz alerts_if_due() {
    const TimestampTz now = GetCurrentTimestamp();
    if (!take_request() && now < next_alert_pass_at) {
        return next_alert_pass_at;
    }
    // Not due again before a minute if the pass fails.
    next_alert_pass_at = now + kIdleCheckUs;
    TimestampTz next = 0;
    bool any = false;
    // A failed pass is logged; scheduling goes on.
    (void)run_in_transaction_or_log("pg_jobs launcher: alert pass",
                                    [&] { any = run_alert_pass(alert_window_ms(), &next); });
    if (any) {
        next_alert_pass_at = next;
    }
    return next_alert_pass_at;
}

}  // namespace pg_jobs::pg
