// The one server log line written for each run that does not succeed, SQL
// and HTTP alike, at the level jobs.failed_run_log_level sets (off: none):
//   pg_jobs: sql job "nightly" execution 42 ended failed: relation "t" does not exist
// Plain C-style: ereport below ERROR only, so it never throws or jumps.
#pragma once
#include "pg/common/pg_headers.hpp"

namespace pg_jobs::pg {

// `kind` is "sql" or "http"; `status` the run's final status (failed,
// timed_out, cancelled, crashed); `reason` what its error column says
// (nullptr: none).
void log_run_ending(const char* kind, const char* job_name, int64 execution_id, const char* status,
                    const char* reason);

}  // namespace pg_jobs::pg
