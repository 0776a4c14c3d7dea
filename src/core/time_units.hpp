// Time representation shared by the core: TimestampTz-compatible values.
#pragma once
#include "core/no_postgres.hpp"

#include <cstdint>

namespace pg_jobs {

// Microseconds since 2000-01-01 00:00:00 UTC: the same encoding as
// PostgreSQL's TimestampTz, so the glue converts with no arithmetic.
using Timestamp = int64_t;

inline constexpr int64_t kMicrosPerSecond = 1000000;
inline constexpr int64_t kSecondsPerDay = 86400;

// Seconds between the Unix epoch and the PostgreSQL epoch (2000-01-01).
inline constexpr int64_t kPostgresEpochUnixSeconds = 946684800;

// First instant PostgreSQL cannot represent (294277-01-01 00:00 UTC), as
// a Timestamp; schedules never produce a time at or past it.
inline constexpr Timestamp kTimestampEnd = INT64_C(9223371331200000000);

// First instant PostgreSQL can represent (4714-11-24 00:00 UTC BC).
inline constexpr Timestamp kTimestampBegin = INT64_C(-211813488000000000);

// Floor division (rounds towards minus infinity), for negative times.
constexpr int64_t floor_div(int64_t a, int64_t b) {
    const int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Saturating arithmetic: a result past int64_t's range becomes INT64_MAX
// or INT64_MIN instead of overflowing (undefined behaviour). Times read
// from the tables may be anything a superuser stored, -infinity and
// infinity (INT64_MIN, INT64_MAX) included, so every computation on them
// goes through these.
constexpr int64_t saturating_add(int64_t a, int64_t b) {
    int64_t sum = 0;
    if (__builtin_add_overflow(a, b, &sum)) {
        return b > 0 ? INT64_MAX : INT64_MIN;
    }
    return sum;
}

constexpr int64_t saturating_sub(int64_t a, int64_t b) {
    int64_t difference = 0;
    if (__builtin_sub_overflow(a, b, &difference)) {
        return b < 0 ? INT64_MAX : INT64_MIN;
    }
    return difference;
}

// The time clamped into the range PostgreSQL can represent,
// [kTimestampBegin, kTimestampEnd]; -infinity and infinity land on the ends.
constexpr Timestamp clamp_timestamp(Timestamp t) {
    return t < kTimestampBegin ? kTimestampBegin : (t > kTimestampEnd ? kTimestampEnd : t);
}

constexpr int64_t to_unix_seconds(Timestamp ts) {
    return floor_div(ts, kMicrosPerSecond) + kPostgresEpochUnixSeconds;
}

constexpr Timestamp from_unix_seconds(int64_t seconds) {
    return (seconds - kPostgresEpochUnixSeconds) * kMicrosPerSecond;
}

}  // namespace pg_jobs
