// The launcher background worker: keeps every enabled job's next fire time,
// queues due runs and hands them to the SQL worker pool.
#pragma once
#include "pg/common/pg_headers.hpp"

namespace pg_jobs::pg {

// Registers the launcher with the postmaster; from _PG_init while
// shared_preload_libraries is being processed.
void register_launcher();

}  // namespace pg_jobs::pg

// Entry point the postmaster calls (by name) in the launcher process.
extern "C" PGDLLEXPORT void pg_jobs_launcher_main(Datum argument);
