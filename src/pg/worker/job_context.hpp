// What jobs.context() returns inside a running job: set by the SQL worker
// around each run, read by the SQL function in the same process.
#pragma once

namespace pg_jobs::pg {

// `json` is the context object as JSON text, or nullptr outside a run. The
// worker owns the memory and keeps it alive until it clears the context.
void set_job_context(const char* json);
void clear_job_context();

}  // namespace pg_jobs::pg
