// Where the scheduler's decisions read the time from. The glue passes a
// clock backed by PostgreSQL's GetCurrentTimestamp; unit tests pass a
// ManualClock and move time by hand, so nothing waits on the wall clock.
#pragma once
#include "core/no_postgres.hpp"
#include "core/time_units.hpp"

namespace pg_jobs {

class Clock {
public:
    virtual ~Clock() = default;
    virtual Timestamp now() const = 0;

protected:
    Clock() = default;
    Clock(const Clock&) = default;
    Clock& operator=(const Clock&) = default;
};

// A clock that only moves when told to.
class ManualClock final : public Clock {
public:
    explicit ManualClock(Timestamp start = 0) : now_(start) {}

    Timestamp now() const override { return now_; }
    void set(Timestamp at) { now_ = at; }
    void advance(int64_t micros) { now_ += micros; }

private:
    Timestamp now_;
};

}  // namespace pg_jobs
