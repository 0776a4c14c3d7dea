// pg_jobs configuration parameters (GUCs), all under the "jobs." prefix.
#pragma once

namespace pg_jobs::pg {

// Defines every jobs.* parameter and reserves the prefix; called once from
// _PG_init. Add new parameters in define_gucs, before the reservation.
void define_gucs();

// jobs.timezone: the zone schedules are evaluated in when none is given.
const char* default_time_zone();

}  // namespace pg_jobs::pg
