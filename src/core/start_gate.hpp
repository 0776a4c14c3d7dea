// How many workers of one (database, owner) pair start runs at once. A
// short run is mostly the scheduler's own bookkeeping (claim, commit,
// record its end), all CPU: more workers doing it than there are CPUs only
// take turns on them and wait on each other's locks, so a burst of 1,000
// short runs ends later with 7 workers than with 2 on a 2-CPU machine. A
// worker counts from the start of its claim for kStartGateFreshUs; a run
// still going after that is a long one (it waits on I/O, a lock, a sleep)
// and holds nobody back, so long runs still run side by side, up to
// jobs.max_running_per_owner.
#pragma once
#include "core/no_postgres.hpp"

#include <cstdint>

namespace pg_jobs {

constexpr int64_t kStartGateFreshUs = 5000;

// One look at the pair's other workers, at now_us. count() each one's
// claim start (0: it is not claiming or running), then wait_us().
class StartGate {
public:
    // limit: how many may be fresh at once (the CPUs; at least 1).
    StartGate(int limit, int64_t fresh_us, int64_t now_us);
    void count(int64_t busy_since_us);
    // 0: this worker may claim now. Else how long to wait before looking
    // again: until the oldest fresh one stops counting (at least 1 µs).
    int64_t wait_us() const;
    int64_t now_us() const { return now_us_; }

private:
    int limit_;
    int64_t fresh_us_;
    int64_t now_us_;
    int fresh_ = 0;
    int64_t oldest_since_us_ = 0;
};

}  // namespace pg_jobs
