// Giving memory back after the launcher loaded every job. See the .cpp for
// why each step is needed and why it is safe.
#pragma once
#include "pg/common/pg_headers.hpp"

namespace pg_jobs::pg {

// Returns the heap the load freed to the operating system, and drops this
// process's page-table mappings of the shared buffers the scan touched.
// Never fails; changes nothing another process can see.
void release_memory_after_load();

}  // namespace pg_jobs::pg
