// How many SQL workers the launcher starts for a database: enough for every
// queued run to have one, never past jobs.max_workers in all. Workers of the
// database that are idle or starting take queued runs themselves (they claim
// in a loop); busy ones do not count.
#pragma once
#include "core/no_postgres.hpp"

#include <algorithm>
#include <cstdint>

namespace pg_jobs {

// `queued`: runs waiting in the database; `workers_available`: its workers
// that are starting or idle; `workers_total`: workers of every database.
constexpr int workers_to_start(int64_t queued, int workers_available, int workers_total, int max_workers) {
    const int64_t missing = std::max<int64_t>(queued - workers_available, 0);
    const int64_t free_slots = std::max(max_workers - workers_total, 0);
    return static_cast<int>(std::min(missing, free_slots));
}

}  // namespace pg_jobs
