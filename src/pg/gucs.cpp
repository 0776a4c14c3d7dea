// Definitions and check hooks of the jobs.* configuration parameters.
#include "pg/gucs.hpp"

#include "pg/pg_time_zone.hpp"
#include "pg/pg_headers.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace pg_jobs::pg {
namespace {

char* jobs_timezone = nullptr;  // owned by the GUC machinery

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

    // Last: deletes placeholders for unknown jobs.* names (with a warning),
    // so it must come after every parameter is defined.
    MarkGUCPrefixReserved("jobs");
}

const char* default_time_zone() {
    return jobs_timezone;
}

}  // namespace pg_jobs::pg
