// The launcher's periodic upkeep besides scheduling: the stuck-run check and
// history retention, about once a minute (and soon after start or a
// configuration reload). Called from the launcher process only; throws
// PgError with the transaction left for the caller to abort.
#pragma once
#include "pg/pg_headers.hpp"

extern "C" {
#include "datatype/timestamp.h"
}

namespace pg_jobs::pg {

// Does a pass when one is due. Returns when the launcher should wake for
// the next one, or 0 when nothing calls for a wake-up of its own (no run in
// progress, nothing was deleted or crashed): the next pass then happens at
// the launcher's next wake-up after it is due.
TimestampTz upkeep_if_due();

// Makes the next pass due now (the retention settings may have changed).
void upkeep_soon();

}  // namespace pg_jobs::pg
