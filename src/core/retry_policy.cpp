// Retry backoff: exponential, capped, jittered; deterministic given its inputs.
#include "core/retry_policy.hpp"

#include <algorithm>
#include <cmath>

namespace pg_jobs {

namespace {

// backoff * 2^doublings, or `cap` if that exceeds it; never overflows.
int64_t capped_exponential(int64_t backoff, int doublings, int64_t cap) {
    if (backoff == 0) {
        return 0;
    }
    // backoff * 2^d > cap  <=>  backoff > floor(cap / 2^d), for integers.
    if (doublings >= 63 || backoff > (cap >> doublings)) {
        return cap;
    }
    return backoff << doublings;
}

double clamp_jitter_unit(double unit) {
    if (std::isnan(unit)) {
        return 0.5;
    }
    if (unit < 0.0) {
        return 0.0;
    }
    if (unit >= 1.0) {
        return std::nextafter(1.0, 0.0);
    }
    return unit;
}

}  // namespace

Timestamp retry_delay_micros(int attempt, int64_t backoff_us, int64_t max_us, double jitter_unit) {
    const int doublings = std::max(attempt, 1) - 1;
    const int64_t base =
        capped_exponential(std::max<int64_t>(backoff_us, 0), doublings, std::max<int64_t>(max_us, 0));

    // Jitter as a signed offset in [-20%, +20%) of the base, so 0.5 adds
    // exactly nothing. |offset| <= 0.2 * INT64_MAX, which llround can hold.
    const double fraction = 0.4 * clamp_jitter_unit(jitter_unit) - 0.2;
    const int64_t offset = std::llround(static_cast<double>(base) * fraction);
    if (offset > 0 && base > kTimestampEnd - offset) {
        return kTimestampEnd;
    }
    return std::min(base + offset, kTimestampEnd);
}

Timestamp add_delay_saturating(Timestamp at, int64_t delay_us) {
    if (delay_us > 0 && at > kTimestampEnd - delay_us) {
        return kTimestampEnd;
    }
    if (delay_us < 0 && at < kTimestampBegin - delay_us) {
        return kTimestampBegin;
    }
    return std::clamp(at + delay_us, kTimestampBegin, kTimestampEnd);
}

uint64_t SplitMix64::next() {
    state_ += UINT64_C(0x9E3779B97F4A7C15);
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

double SplitMix64::next_unit() {
    // 53 random bits fill a double's mantissa exactly: uniform on a grid
    // of 2^-53, never reaching 1.0.
    return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double jitter_unit_for_execution(int64_t execution_id) {
    SplitMix64 rng(static_cast<uint64_t>(execution_id));
    return rng.next_unit();
}

}  // namespace pg_jobs
