#include "core/start_gate.hpp"

#include <algorithm>

namespace pg_jobs {

StartGate::StartGate(int limit, int64_t fresh_us, int64_t now_us)
    : limit_(std::max(limit, 1)), fresh_us_(fresh_us), now_us_(now_us) {}

void StartGate::count(int64_t busy_since_us) {
    // A start "after" now_us (another process read the clock later) is fresh.
    if (busy_since_us == 0 || now_us_ - busy_since_us >= fresh_us_) {
        return;
    }
    if (fresh_ == 0 || busy_since_us < oldest_since_us_) {
        oldest_since_us_ = busy_since_us;
    }
    ++fresh_;
}

int64_t StartGate::wait_us() const {
    if (fresh_ < limit_) {
        return 0;
    }
    return std::max<int64_t>(oldest_since_us_ + fresh_us_ - now_us_, 1);
}

}  // namespace pg_jobs
