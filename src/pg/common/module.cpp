// The module's entry points for the server: magic block and _PG_init.
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

PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);  // NOLINT(bugprone-reserved-identifier): the name PostgreSQL calls
}

// Runs when the library loads. The scheduler (shared memory, launcher) only
// exists when loaded from shared_preload_libraries; a plain LOAD or
// CREATE EXTENSION still gets the SQL functions and settings.
void _PG_init(void) {
    pg_jobs::pg::define_gucs();
    pg_jobs::pg::install_secret_log_hook();
    pg_jobs::pg::schedule_batch::install_hooks();
    if (!process_shared_preload_libraries_in_progress) {
        return;
    }
    pg_jobs::pg::install_shmem_hooks();
    pg_jobs::pg::install_prepared_wake_hook();
    pg_jobs::pg::install_database_command_hook();
    pg_jobs::pg::install_role_ownership_hook();
    pg_jobs::pg::register_launcher();
}
