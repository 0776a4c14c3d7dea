// Fire times in a time zone, with the DST rules documented in README.md.
//
// Between two transitions local time is UTC plus a constant offset, so the
// search walks "spans" of constant offset. Inside a span, the next local
// match maps straight to an instant. At a span's start two cases need care:
//  - spring forward: local times in the skipped range fire at the instant
//    PostgreSQL gives them, i.e. converted with the offset before the jump;
//  - fall back: local times in the repeated range fire again (second pass)
//    only when the hour field begins with '*'.
#include "core/cron_next.hpp"

#include <algorithm>

namespace pg_jobs::cron {
namespace {

// How far back to look for the transition that started the current span.
// Longer than any DST gap or overlap (Samoa skipped a whole day in 2011).
constexpr int64_t kTransitionLookback = 2 * kSecondsPerDay;

// Spans a search may cross: 400 years of twice-yearly DST, with margin.
constexpr int kMaxSpans = 4096;

constexpr int64_t kLastUnixSecond = to_unix_seconds(kTimestampEnd) - 1;

// A stretch of constant UTC offset, [from, until), and the offset before it.
// When no transition was found within the lookback, `from` is only a lower
// bound and prev_offset == offset.
struct Span {
    int64_t from;
    int32_t prev_offset;
    int32_t offset;
    int64_t until;
};

Span span_containing(const TimeZone& zone, int64_t t) {
    const int64_t probe = t - kTransitionLookback;
    const OffsetSpan first = zone.offset_at(probe);
    Span span{probe, first.utc_offset, first.utc_offset, first.until};
    for (int i = 0; i < kMaxSpans && span.until <= t; ++i) {
        const OffsetSpan next = zone.offset_at(span.until);
        // A zone must report transitions strictly after the queried instant.
        const int64_t until = next.until > span.until ? next.until : kNoTransition;
        span = Span{span.until, span.offset, next.utc_offset, until};
    }
    return span;
}

Span span_after(const TimeZone& zone, const Span& span) {
    const OffsetSpan next = zone.offset_at(span.until);
    const int64_t until = next.until > span.until ? next.until : kNoTransition;
    return Span{span.until, span.offset, next.utc_offset, until};
}

// next_local_match with a memory of its last answer: walking spans asks
// again for times between the last question and its answer (a yearly
// schedule crosses two DST spans a year), and those all share that answer.
class LocalMatcher {
public:
    explicit LocalMatcher(const CronExpression& s) : schedule_(s) {}

    int64_t next(int64_t local) {
        if (local < asked_ || local > answer_) {
            asked_ = local;
            answer_ = next_local_match(schedule_, local);
        }
        return answer_;
    }

    bool hour_star() const { return schedule_.hour_star; }

private:
    const CronExpression& schedule_;
    int64_t asked_ = kNoLocalMatch;
    int64_t answer_ = kNoLocalMatch;
};

// First fire instant strictly after `t` whose local time lies in `span`, or
// that PostgreSQL maps into it from a spring-forward gap; kNoLocalMatch if none.
int64_t first_fire_in_span(LocalMatcher& matcher, const Span& span, int64_t t) {
    const int64_t lowest = std::max(t + 1, span.from);
    const int64_t local_end = span.until == kNoTransition ? kNoLocalMatch : span.until + span.offset;
    int64_t best = kNoLocalMatch;

    int64_t local = matcher.next(lowest + span.offset);
    const bool fell_back = span.prev_offset > span.offset;
    const int64_t repeated_end = span.from + span.prev_offset;  // end of the second pass
    if (fell_back && !matcher.hour_star() && local < repeated_end) {
        local = matcher.next(repeated_end);
    }
    if (local != kNoLocalMatch && local < local_end) {
        best = local - span.offset;
    }

    if (span.offset > span.prev_offset) {
        // Skipped local times [from + prev_offset, from + offset) fire at
        // local - prev_offset, as PostgreSQL converts them.
        const int64_t gap_start = std::max(span.from, t + 1) + span.prev_offset;
        const int64_t gap_local = matcher.next(gap_start);
        if (gap_local < span.from + span.offset) {
            best = std::min(best, gap_local - span.prev_offset);
        }
    }
    return best;
}

Timestamp next_every(const CronExpression& s, int64_t t) {
    const int64_t period = s.every_seconds;
    const int64_t periods = floor_div(t, period) + 1;
    if (periods > kLastUnixSecond / period) {
        return kTimestampEnd;
    }
    return from_unix_seconds(periods * period);
}

Timestamp next_expression_fire(const CronExpression& s, const TimeZone& zone, int64_t t) {
    switch (s.kind) {
        case ScheduleKind::Reboot:
            return kTimestampEnd;
        case ScheduleKind::Every:
            return s.every_seconds > 0 ? next_every(s, t) : kTimestampEnd;
        case ScheduleKind::Calendar:
            break;
    }

    LocalMatcher matcher(s);
    Span span = span_containing(zone, t);
    for (int i = 0; i < kMaxSpans; ++i) {
        const int64_t fire = first_fire_in_span(matcher, span, t);
        if (fire != kNoLocalMatch) {
            return fire <= kLastUnixSecond ? from_unix_seconds(fire) : kTimestampEnd;
        }
        if (span.until > kLastUnixSecond) {  // also when there is no further transition
            break;
        }
        span = span_after(zone, span);
    }
    return kTimestampEnd;
}

}  // namespace

Timestamp next_fire_time(const CronSchedule& schedule, const TimeZone& zone, Timestamp after) {
    const int64_t t = to_unix_seconds(std::max(after, kTimestampBegin));
    if (t >= kLastUnixSecond) {
        return kTimestampEnd;
    }
    // Each expression's next time is strictly after `t`; the earliest wins,
    // so a time two expressions share comes out once.
    Timestamp next = kTimestampEnd;
    for (int i = 0; i < schedule.expression_count(); ++i) {
        next = std::min(next, next_expression_fire(schedule.expression(i), zone, t));
    }
    return next;
}

}  // namespace pg_jobs::cron
