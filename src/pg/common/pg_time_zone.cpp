// PgTimeZone and zone lookup over PostgreSQL's tz database.
#include "pg/common/pg_time_zone.hpp"

#include "pg/common/guard.hpp"
#include "pg/common/pg_headers.hpp"

#include <string>

extern "C" {
#include "pgtime.h"
}

namespace pg_jobs::pg {

OffsetSpan PgTimeZone::offset_at(int64_t unix_seconds) const {
    for (int i = 0; i < 2; ++i) {
        const CachedSpan& span = spans_[i];
        if (span.from <= unix_seconds && unix_seconds < span.until) {
            newest_ = i;
            return {span.utc_offset, span.until};
        }
    }

    // pg_next_dst_boundary only reads the zone: it cannot ereport.
    const pg_time_t when = unix_seconds;
    long before_offset = 0;
    int before_isdst = 0;
    pg_time_t boundary = 0;
    long after_offset = 0;
    int after_isdst = 0;
    const int found = pg_next_dst_boundary(&when, &before_offset, &before_isdst, &boundary, &after_offset,
                                           &after_isdst, zone_);

    CachedSpan span;
    span.from = unix_seconds;
    span.utc_offset = static_cast<int32_t>(before_offset);
    if (found == 1 && boundary > unix_seconds) {
        span.until = boundary;
    } else if (found == 0) {
        span.until = kNoTransition;
    } else {
        // Documented as "cannot happen": fall back to the offset pg_localtime
        // gives, valid for this one second only, and don't cache it.
        const pg_tm* local = pg_localtime(&when, zone_);
        const int32_t offset = local != nullptr ? static_cast<int32_t>(local->tm_gmtoff) : 0;
        return {offset, unix_seconds + 1};
    }

    newest_ = 1 - newest_;  // replace the entry used less recently
    spans_[newest_] = span;
    return {span.utc_offset, span.until};
}

const pg_tz* lookup_time_zone(const char* name) {
    const char* problem = nullptr;
    if (call_pg([&] { return time_zone_is_usable(name, &problem); })) {
        return call_pg([&] { return pg_tzset(name); });
    }
    throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, "invalid time zone \"" + std::string(name) + "\"",
                    problem != nullptr ? problem : "", kTimeZoneHint);
}

const char* time_zone_name(const pg_tz* zone) {
    // pg_get_timezone_name takes a non-const pointer but only reads it.
    return pg_get_timezone_name(const_cast<pg_tz*>(zone));
}

bool time_zone_is_usable(const char* name, const char** problem) noexcept {
    // pg_tzset caches zones, so looking one up twice costs a hash probe.
    pg_tz* zone = pg_tzset(name);
    if (zone == nullptr) {
        *problem = nullptr;
        return false;
    }
    if (!pg_tz_acceptable(zone)) {
        *problem = "Time zones that count leap seconds are not supported.";
        return false;
    }
    return true;
}

}  // namespace pg_jobs::pg
