// Keeps secret values out of the one place PostgreSQL itself would write
// them: the STATEMENT line it logs after a failing statement
// (log_min_error_statement, default error). A statement that mentions
// jobs.set_secret, jobs.schedule_http or jobs.alter_http, or an error raised
// while one of them runs (called from a function or a prepared statement),
// is logged without it; the message, DETAIL and HINT stay. What
// log_statement and log_min_duration_statement log is the administrator's
// choice and is not changed (see the README, "Secrets and what is logged").
#pragma once
#include "pg/common/pg_headers.hpp"

namespace pg_jobs::pg {

// Installs the emit_log_hook (chained to any previous one). Called from
// _PG_init, in every process that loads the library.
void install_secret_log_hook();

// An ErrorContextCallback: marks every error and message raised under it
// to be logged without its statement.
void hide_statement_of_errors(void* arg);

}  // namespace pg_jobs::pg
