// See run_log.hpp.
#include "pg/common/run_log.hpp"

#include "pg/common/gucs.hpp"

namespace pg_jobs::pg {

void log_run_ending(const char* kind, const char* job_name, int64 execution_id, const char* status,
                    const char* reason) {
    const int level = failed_run_log_level();
    if (level < 0) {
        return;
    }
    ereport(level, (errmsg("pg_jobs: %s job \"%s\" execution %lld ended %s: %s", kind,
                           job_name != nullptr ? job_name : "?", static_cast<long long>(execution_id), status,
                           reason != nullptr ? reason : "(no error recorded)"),
                    errhidestmt(true), errhidecontext(true)));
}

}  // namespace pg_jobs::pg
