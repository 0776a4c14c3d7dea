// The end of a background worker whose body threw; see worker_main.hpp.
#include "pg/common/worker_main.hpp"

extern "C" {
#include "storage/ipc.h"
}

namespace pg_jobs::pg {

void exit_worker_after_failure(const char* worker_name, const PendingError& failure) {
    if (failure.pg_error != nullptr) {
        const ErrorData* error = failure.pg_error;
        ereport(LOG, (errcode(error->sqlerrcode),
                      errmsg("%s exits after an error: %s", worker_name,
                             error->message != nullptr ? error->message : "unknown error"),
                      error->detail != nullptr ? errdetail_internal("%s", error->detail) : 0));
    } else if (failure.unexpected) {
        ereport(LOG,
                (errcode(ERRCODE_INTERNAL_ERROR), errmsg("%s exits after an unexpected failure", worker_name),
                 failure.detail_log != nullptr ? errdetail_log("%s", failure.detail_log) : 0,
                 errhint("This is a bug in pg_jobs; please report it with the server log around it.")));
    } else {
        ereport(LOG, (errcode(failure.sqlstate),
                      errmsg("%s exits after an error: %s", worker_name,
                             failure.message != nullptr ? failure.message : "unknown error"),
                      failure.detail != nullptr ? errdetail_internal("%s", failure.detail) : 0));
    }
    proc_exit(1);
}

}  // namespace pg_jobs::pg
