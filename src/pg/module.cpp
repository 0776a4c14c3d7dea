// The module's entry points for the server: magic block and _PG_init.
#include "pg/gucs.hpp"
#include "pg/pg_headers.hpp"

extern "C" {
PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);  // NOLINT(bugprone-reserved-identifier): the name PostgreSQL calls
}

// Runs when the library loads (normally from shared_preload_libraries).
void _PG_init(void) {
    pg_jobs::pg::define_gucs();
}
