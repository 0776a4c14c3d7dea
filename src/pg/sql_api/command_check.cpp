// jobs_internal._check_command(command, job_name): the syntax check jobs.schedule makes
// on a command before it stores it (command_syntax.hpp), for the extension's
// own SQL that writes definitions through the privileged parts directly
// (jobs.import_pg_cron). Executable by the extension's owner only.
//
// Raw parsing only: nothing runs, no name is looked up. Plain C calls under
// run_guarded: an error travels through no C++ frame that owns anything.
#include "pg/common/command_syntax.hpp"
#include "pg/common/guard.hpp"
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "utils/builtins.h"
}

PG_JOBS_SQL_FUNCTION(pg_jobs_check_command);
Datum pg_jobs_check_command(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._check_command", [&] {
        if (PG_ARGISNULL(0)) {
            PG_RETURN_VOID();  // an empty command is refused by jobs_internal._check_definition
        }
        // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
        const char* command = text_to_cstring(PG_GETARG_TEXT_PP(0));
        const char* job_name =
            // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
            PG_ARGISNULL(1) ? nullptr : text_to_cstring(PG_GETARG_TEXT_PP(1));
        pg_jobs::pg::check_command_syntax(command, job_name);
        PG_RETURN_VOID();
    });
}
