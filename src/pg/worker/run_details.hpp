// The details of a run handed to a worker in another database: job name,
// owner, command (any length), the jobs.context() JSON and the job's timeout, in a dynamic
// shared memory segment the launcher creates and keeps mapped until the
// worker reports back. If the launcher exits first the segment goes away
// with it, and the worker finds nothing to read (the run is queued again).
#pragma once
#include "pg/store/execution_store.hpp"
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "storage/dsm.h"
}

namespace pg_jobs::pg {

// Launcher: a segment holding `run`, mapped until dsm_detach (not tied to a
// transaction). May ereport.
dsm_segment* create_run_details(const ClaimedRun& run);

// Worker: copies the details of `execution_id` from the segment into `into`
// and sets `*encoding` to the encoding of the text (the launcher's
// database). False when the segment is gone or holds another run. May
// ereport.
bool read_run_details(dsm_handle handle, int64 execution_id, MemoryContext into, ClaimedRun* out,
                      int* encoding);

}  // namespace pg_jobs::pg
