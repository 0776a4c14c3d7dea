// alerts: the launcher's alert pass, as the SQL function jobs_internal._alert_pass
// (extension/pg_jobs--0.2.0.sql: the events since the last pass, noise
// control, one delivery per alert). Call inside a transaction with an
// active snapshot; may ereport.
#pragma once
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "datatype/timestamp.h"
}

namespace pg_jobs::pg {

// Runs one pass with a batching window of `window_ms`; true and the time
// the next pass is due in *next, or false when no alert exists.
bool run_alert_pass(int64 window_ms, TimestampTz* next);

}  // namespace pg_jobs::pg
