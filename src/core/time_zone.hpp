// The small interface through which the core sees a time zone. The glue
// implements it with PostgreSQL's tz database; tests use fixed offsets or
// hand-written transition tables.
#pragma once
#include "core/no_postgres.hpp"

#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace pg_jobs {

inline constexpr int64_t kNoTransition = std::numeric_limits<int64_t>::max();

// The UTC offset in force at an instant and the next instant it changes.
struct OffsetSpan {
    int32_t utc_offset;  // seconds east of UTC: local = utc + utc_offset
    int64_t until;       // Unix seconds of the next transition, or kNoTransition
};

class TimeZone {
public:
    // Offset at `unix_seconds` and the next transition strictly after it.
    virtual OffsetSpan offset_at(int64_t unix_seconds) const = 0;

protected:
    ~TimeZone() = default;  // never owned through this interface
};

// A zone with one constant offset (UTC, or "+05:30").
class FixedOffsetZone final : public TimeZone {
public:
    explicit constexpr FixedOffsetZone(int32_t utc_offset = 0) : offset_(utc_offset) {}
    OffsetSpan offset_at(int64_t) const override { return {offset_, kNoTransition}; }

private:
    int32_t offset_;
};

// A zone given by an explicit list of transitions, sorted by time. Used by
// unit tests and the fuzzer, which run without a tz database.
class TransitionTableZone final : public TimeZone {
public:
    struct Transition {
        int64_t at;          // Unix seconds
        int32_t utc_offset;  // offset from `at` on
    };

    TransitionTableZone(int32_t initial_offset, std::vector<Transition> transitions)
        : initial_(initial_offset), transitions_(std::move(transitions)) {}

    OffsetSpan offset_at(int64_t unix_seconds) const override;

private:
    int32_t initial_;
    std::vector<Transition> transitions_;
};

}  // namespace pg_jobs
