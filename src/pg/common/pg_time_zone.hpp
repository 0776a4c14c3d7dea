// PostgreSQL's tz database seen through the core's TimeZone interface, so
// schedules use exactly the zones (and DST rules) `SET timezone` accepts.
#pragma once
#include "core/time_zone.hpp"

#include <cstdint>
#include <type_traits>

struct pg_tz;  // PostgreSQL's opaque zone (pgtime.h)

namespace pg_jobs::pg {

// Answers offset_at from pg_next_dst_boundary. Remembers the last two spans,
// because next_fire_time asks about two instants (t - 2 days and t) in turn.
// Trivially destructible: it lives on stacks that PostgreSQL may longjmp over.
class PgTimeZone final : public TimeZone {
public:
    explicit PgTimeZone(const pg_tz* zone) noexcept : zone_(zone) {}
    OffsetSpan offset_at(int64_t unix_seconds) const override;

private:
    struct CachedSpan {
        int64_t from = 1;  // the offset holds for [from, until); empty at first
        int64_t until = 0;
        int32_t utc_offset = 0;
    };

    const pg_tz* zone_;
    mutable CachedSpan spans_[2];
    mutable int newest_ = 0;
};
static_assert(std::is_trivially_destructible_v<PgTimeZone>);

// The zone called `name` (tz database name or POSIX TZ string, as for
// `SET timezone`). Throws UserError 22023 for an unknown zone or one that
// counts leap seconds.
const pg_tz* lookup_time_zone(const char* name);

// The zone's name as the tz database spells it ("America/New_York" for
// "america/new_york").
const char* time_zone_name(const pg_tz* zone);

// For GUC check hooks (no C++ exceptions allowed there): true when `name` is
// a zone lookup_time_zone accepts; otherwise `problem` says why.
bool time_zone_is_usable(const char* name, const char** problem) noexcept;

inline constexpr const char* kTimeZoneHint =
    "Use a name from pg_timezone_names, for example 'Europe/Berlin' or 'UTC'.";

}  // namespace pg_jobs::pg
