// A parsed schedule: bitmasks per field, so next() jumps field by field.
// Trivially copyable and destructible on purpose: the glue keeps it on the
// stack across PostgreSQL calls that may longjmp.
// A schedule is one expression, or several calendar expressions written
// "a; b" that fire when any of them does.
#pragma once
#include "core/no_postgres.hpp"

#include <cstdint>
#include <type_traits>

namespace pg_jobs::cron {

enum class ScheduleKind : uint8_t {
    Calendar,  // cron fields (5 or 6) or a macro such as @daily
    Every,     // @every <interval> or pg_cron's "N seconds": fixed period
    Reboot,    // @reboot: fires when the scheduler starts, never by the clock
};

struct CronExpression {
    ScheduleKind kind = ScheduleKind::Calendar;
    bool has_seconds = false;  // written with a leading seconds field

    uint64_t seconds = 1;           // bit s, 0..59 (bit 0 only for 5 fields)
    uint64_t minutes = 0;           // bit m, 0..59
    uint32_t hours = 0;             // bit h, 0..23
    uint32_t days_of_month = 0;     // bit d, 1..31
    uint32_t days_before_last = 0;  // bit n: "L-n" (bit 0 = "L"), 0..30
    uint16_t months = 0;            // bit m, 1..12
    uint8_t days_of_week = 0;       // bit w, 0..6, Sunday = 0
    uint8_t last_weekday = 0;       // bit w: "wL", the last such weekday
    uint64_t nth_weekday = 0;       // bit (k-1)*7+w: "w#k", k = 1..5

    // Vixie cron: a day field that begins with '*' (or '?') is unrestricted;
    // when both day fields are restricted a day matching either one fires.
    bool day_of_month_star = true;
    bool day_of_week_star = true;

    // Hour field begins with '*': in a DST fall-back overlap the schedule
    // follows real time and fires in both passes.
    bool hour_star = true;

    int64_t every_seconds = 0;  // Every: period, anchored at the Unix epoch
};

// At most this many expressions in one "a; b; ..." schedule.
inline constexpr int kMaxCronExpressions = 8;

// The first expression is the base; `extra` holds the ones after it (only
// Calendar expressions are ever combined, so `kind` is the whole schedule's).
struct CronSchedule : CronExpression {
    uint8_t extra_count = 0;
    CronExpression extra[kMaxCronExpressions - 1];

    int expression_count() const { return 1 + extra_count; }
    const CronExpression& expression(int i) const {
        if (i == 0) {
            return static_cast<const CronExpression&>(*this);
        }
        return extra[i - 1];
    }
};

static_assert(std::is_trivially_copyable_v<CronExpression>);
static_assert(std::is_trivially_copyable_v<CronSchedule>);
static_assert(std::is_trivially_destructible_v<CronSchedule>);

}  // namespace pg_jobs::cron
