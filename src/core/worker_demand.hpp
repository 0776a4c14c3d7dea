// How many SQL workers the launcher starts, and for which (database, owner)
// pair. A worker serves one pair for its whole life; workers of the pair
// that are idle or starting take its queued runs themselves (they claim in
// a loop); busy ones do not count. Never past jobs.max_workers in all, never
// past jobs.max_running_per_owner for one owner, and free slots go to the
// owners with the fewest workers first, so one role cannot take them all.
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

// The effective jobs.max_running_per_owner: `setting` < 0 means automatic,
// one less than jobs.max_workers (so another owner's run always finds a
// worker), at least 1; never more than max_workers.
constexpr int running_per_owner_limit(int setting, int max_workers) {
    const int automatic = std::max(max_workers - 1, 1);
    const int limit = setting < 0 ? automatic : std::max(setting, 1);
    return std::min(limit, std::max(max_workers, 1));
}

// One (database, owner) pair with queued runs.
struct QueueDemand {
    int owner;              // index into the per-owner arrays (pairs of one owner share it)
    int64_t queued;         // runs waiting
    int workers_available;  // its workers starting or idle
    bool may_start;         // false: no worker may be started for it now (connection limits)
};

// Fills starts[i] with the workers to start for queues[i]: one per queued
// run not covered by an available worker, handed out one at a time to the
// pair whose owner holds the fewest workers (owner_workers[owner], updated
// as workers are planned), skipping owners at `max_per_owner`, until
// `free_slots` are used. Returns the total planned.
inline int plan_worker_starts(const QueueDemand* queues, int count, int* owner_workers, int max_per_owner,
                              int free_slots, int* starts) {
    for (int i = 0; i < count; ++i) {
        starts[i] = 0;
    }
    int planned = 0;
    while (planned < free_slots) {
        int best = -1;
        for (int i = 0; i < count; ++i) {
            const QueueDemand& queue = queues[i];
            const int64_t missing = queue.queued - queue.workers_available - starts[i];
            if (!queue.may_start || missing <= 0 || owner_workers[queue.owner] >= max_per_owner) {
                continue;
            }
            if (best < 0 || owner_workers[queue.owner] < owner_workers[queues[best].owner]) {
                best = i;
            }
        }
        if (best < 0) {
            break;
        }
        ++starts[best];
        ++owner_workers[queues[best].owner];
        ++planned;
    }
    return planned;
}

}  // namespace pg_jobs
