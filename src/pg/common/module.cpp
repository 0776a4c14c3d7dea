// The module's entry points for the server: magic block and _PG_init, and
// jobs_internal._require_preload, which the extension script calls first.
#include "pg/hooks/database_commands.hpp"
#include "pg/common/gucs.hpp"
#include "pg/launcher/launcher.hpp"
#include "pg/common/pg_headers.hpp"
#include "pg/common/prepared_wakes.hpp"
#include "pg/hooks/role_ownership.hpp"
#include "pg/hooks/secret_logging.hpp"
#include "pg/common/shmem.hpp"
#include "pg/sql_api/schedule_batch.hpp"

extern "C" {
#include "miscadmin.h"
#include "postmaster/bgworker.h"

PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);  // NOLINT(bugprone-reserved-identifier): the name PostgreSQL calls
}

namespace {

// True in the postmaster and every process it starts when the library came
// from shared_preload_libraries; false when a session loaded it later.
bool loaded_at_server_start = false;

// The launcher, the HTTP worker and jobs.max_workers SQL workers all take
// a max_worker_processes slot (parallel queries and logical replication
// take from the same pool): say so at start when they cannot all fit.
void log_worker_headroom() {
    const int needed = pg_jobs::pg::max_sql_workers() + 2;
    if (needed <= max_worker_processes) {
        return;
    }
    ereport(LOG, (errmsg("pg_jobs: jobs.max_workers (%d) needs more background workers than "
                         "max_worker_processes (%d) allows",
                         pg_jobs::pg::max_sql_workers(), max_worker_processes),
                  errdetail("pg_jobs uses up to %d background workers: the launcher, the HTTP worker and "
                            "jobs.max_workers SQL workers; parallel queries and logical replication take "
                            "from the same max_worker_processes. Runs wait when no worker can start.",
                            needed),
                  errhint("Raise max_worker_processes to at least %d plus what parallel queries need (a "
                          "server restart), or lower jobs.max_workers.",
                          needed)));
}

}  // namespace

// Runs when the library loads. The scheduler (shared memory, launcher) only
// exists when loaded from shared_preload_libraries; a plain LOAD or
// CREATE EXTENSION still gets the SQL functions and settings (and the
// extension script then refuses: jobs_internal._require_preload).
void _PG_init(void) {
    pg_jobs::pg::define_gucs();
    pg_jobs::pg::install_secret_log_hook();
    pg_jobs::pg::schedule_batch::install_hooks();
    if (!process_shared_preload_libraries_in_progress) {
        return;
    }
    loaded_at_server_start = true;
    log_worker_headroom();
    pg_jobs::pg::install_shmem_hooks();
    pg_jobs::pg::install_prepared_wake_hook();
    pg_jobs::pg::install_database_command_hook();
    pg_jobs::pg::install_role_ownership_hook();
    pg_jobs::pg::register_launcher();
}

// jobs_internal._require_preload(): refuses CREATE EXTENSION (and ALTER EXTENSION
// UPDATE) with an ERROR on a server that did not load pg_jobs at start: no
// scheduler would ever run a job there. No C++ object is alive here.
PG_JOBS_SQL_FUNCTION(pg_jobs_require_preload);
Datum pg_jobs_require_preload(PG_FUNCTION_ARGS) {
    (void)fcinfo;  // no arguments
    if (!loaded_at_server_start) {
        ereport(ERROR,
                (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                 errmsg("pg_jobs must be loaded at server start through shared_preload_libraries"),
                 errdetail("The scheduler is a set of background processes that start with the server; "
                           "this server was started without pg_jobs in shared_preload_libraries."),
                 errhint("Add pg_jobs to shared_preload_libraries in postgresql.conf (keeping any library "
                         "already listed), restart the server, then run CREATE EXTENSION pg_jobs again.")));
    }
    PG_RETURN_VOID();
}
