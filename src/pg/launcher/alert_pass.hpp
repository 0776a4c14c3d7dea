// alerts: when the launcher runs its alert pass (store/alert_store.hpp):
// every jobs.alert_window while an alert exists, at once when one is
// defined or changed (jobs_internal._request_alert_pass), else once a minute to
// notice alerts restored or defined in a prepared transaction. Launcher
// only; throws PgError with the transaction left for the caller to abort.
#pragma once
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "datatype/timestamp.h"
}

namespace pg_jobs::pg {

// Runs the pass when it is due; returns when the next one is due.
TimestampTz alerts_if_due();

}  // namespace pg_jobs::pg
