// The launcher's periodic upkeep besides scheduling: the stuck-run check and
// history retention, about once a minute (and soon after start or a
// configuration reload). Called from the launcher process only; throws
// PgError with the transaction left for the caller to abort.
#pragma once
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "datatype/timestamp.h"
}

namespace pg_jobs::pg {

// Does a pass when one is due. Returns when the next one is due: the
// launcher wakes for it whether or not any job is due, so retention keeps
// its period on an idle server too (about a minute; a second while a
// backlog is worked off).
TimestampTz upkeep_if_due();

// Makes the next pass due now (the retention settings may have changed).
void upkeep_soon();

}  // namespace pg_jobs::pg
