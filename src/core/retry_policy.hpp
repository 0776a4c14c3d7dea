// How long a failed job waits before its next attempt: exponential backoff,
// capped, with +-20% jitter so jobs that failed together do not all retry
// in the same instant. The jitter comes from a PRNG seeded by the execution
// id, so a given execution always gets the same delay (and tests can say
// exactly which delay to expect).
#pragma once
#include "core/no_postgres.hpp"
#include "core/time_units.hpp"

#include <cstdint>

namespace pg_jobs {

// Delay before retry number `attempt` (1 = first retry), in microseconds:
//   min(backoff_us * 2^(attempt-1), max_us) * (0.8 + 0.4 * jitter_unit)
// rounded to the nearest microsecond, never above kTimestampEnd.
// `jitter_unit` should be uniform in [0, 1); 0.5 means "no jitter".
// Out-of-range inputs are clamped rather than refused: attempt < 1 counts
// as 1, negative backoff or cap as 0, jitter outside [0, 1) to its nearest
// end, NaN jitter to 0.5. Huge attempts simply reach the cap.
Timestamp retry_delay_micros(int attempt, int64_t backoff_us, int64_t max_us, double jitter_unit);

// `at + delay_us`, saturating at kTimestampEnd (and at kTimestampBegin for
// negative delays), so a huge delay means "never" instead of overflowing.
Timestamp add_delay_saturating(Timestamp at, int64_t delay_us);

// splitmix64: a tiny, fast, well-mixed PRNG; plenty for jitter (not for
// anything that needs to be unpredictable).
class SplitMix64 {
public:
    explicit constexpr SplitMix64(uint64_t seed) : state_(seed) {}

    uint64_t next();
    // Uniform in [0, 1), from the top 53 bits of next().
    double next_unit();

private:
    uint64_t state_;
};

// The jitter unit for one execution: the first draw of SplitMix64 seeded
// by its id. Deterministic, and spread evenly across neighbouring ids.
double jitter_unit_for_execution(int64_t execution_id);

}  // namespace pg_jobs
