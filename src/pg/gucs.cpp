// Definitions and check hooks of the jobs.* configuration parameters.
#include "pg/gucs.hpp"

#include "pg/pg_time_zone.hpp"
#include "pg/pg_headers.hpp"

#include <climits>

extern "C" {
#include "utils/guc.h"
}

namespace pg_jobs::pg {
namespace {

char* jobs_timezone = nullptr;  // owned by the GUC machinery
char* jobs_database_name = nullptr;
int jobs_max_workers = 8;
int jobs_worker_idle_timeout = 5 * 60 * 1000;

// Called by PostgreSQL for SET, ALTER SYSTEM and configuration reloads. Pure
// C calls only: nothing here can throw a C++ exception.
bool check_jobs_timezone(char** new_value, void** /*extra*/, GucSource /*source*/) {
    const char* problem = nullptr;
    if (time_zone_is_usable(*new_value, &problem)) {
        return true;
    }
    if (problem != nullptr) {
        GUC_check_errdetail("%s", problem);
    } else {
        GUC_check_errdetail("Time zone \"%s\" is not known.", *new_value);
    }
    GUC_check_errhint("%s", kTimeZoneHint);
    return false;
}

}  // namespace

void define_gucs() {
    DefineCustomStringVariable("jobs.timezone", "Time zone in which cron schedules are evaluated.",
                               "Used when a schedule is given without a time zone; any name that "
                               "SET timezone accepts.",
                               &jobs_timezone, "UTC", PGC_USERSET, 0, check_jobs_timezone, nullptr, nullptr);

    DefineCustomStringVariable("jobs.database", "Database that holds the pg_jobs tables.",
                               "The scheduler connects to it; CREATE EXTENSION pg_jobs must run there.",
                               &jobs_database_name, "postgres", PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);

    DefineCustomIntVariable("jobs.max_workers", "Maximum number of SQL worker processes running jobs.",
                            "Counts workers of every database together; each also takes a "
                            "max_worker_processes slot.",
                            &jobs_max_workers, 8, 1, 1000, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);

    DefineCustomIntVariable("jobs.worker_idle_timeout", "Time after which an idle SQL worker exits.",
                            "Workers stay around this long after their last run so the next one "
                            "starts without a process start.",
                            &jobs_worker_idle_timeout, 5 * 60 * 1000, 1, INT_MAX, PGC_SIGHUP, GUC_UNIT_MS,
                            nullptr, nullptr, nullptr);

    // Last: deletes placeholders for unknown jobs.* names (with a warning),
    // so it must come after every parameter is defined.
    MarkGUCPrefixReserved("jobs");
}

const char* default_time_zone() {
    return jobs_timezone;
}

const char* jobs_database() {
    return jobs_database_name;
}

int max_sql_workers() {
    return jobs_max_workers;
}

int worker_idle_timeout_ms() {
    return jobs_worker_idle_timeout;
}

}  // namespace pg_jobs::pg
