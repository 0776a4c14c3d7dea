// libFuzzer target: any bytes must parse or fail cleanly, and a schedule that
// parses must yield strictly increasing fire times and a description.
// Bounded work per input, so the fuzzer never mistakes slowness for a hang.
#include "core/civil_time.hpp"
#include "core/cron_describe.hpp"
#include "core/cron_next.hpp"
#include "core/cron_parser.hpp"
#include "core/time_units.hpp"
#include "core/time_zone.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using pg_jobs::FixedOffsetZone;
using pg_jobs::Timestamp;
using pg_jobs::TimeZone;
using pg_jobs::TransitionTableZone;

[[noreturn]] void fail(const char* what, std::string_view input) {
    std::fprintf(stderr, "cron_fuzz: %s for input \"%.*s\"\n", what, static_cast<int>(input.size()),
                 input.data());
    std::abort();
}

int64_t unix_at(int64_t year, int month, int day, int hour) {
    return pg_jobs::civil::days_from_date(year, month, day) * pg_jobs::kSecondsPerDay + hour * 3600;
}

// The day of the n-th Sunday (n = 1, 2) of a month.
int nth_sunday(int64_t year, int month, int n) {
    const int first = pg_jobs::civil::weekday_from_days(pg_jobs::civil::days_from_date(year, month, 1));
    return 1 + (7 - first) % 7 + 7 * (n - 1);
}

// US Eastern rules for 2020-2035: EDT from the second Sunday of March at
// 02:00 EST (07:00 UTC) to the first Sunday of November at 02:00 EDT (06:00 UTC).
TransitionTableZone make_new_york_like_zone() {
    constexpr int32_t kEst = -5 * 3600;
    constexpr int32_t kEdt = -4 * 3600;
    std::vector<TransitionTableZone::Transition> transitions;
    for (int64_t year = 2020; year <= 2035; ++year) {
        transitions.push_back({unix_at(year, 3, nth_sunday(year, 3, 2), 7), kEdt});
        transitions.push_back({unix_at(year, 11, nth_sunday(year, 11, 1), 6), kEst});
    }
    return TransitionTableZone(kEst, std::move(transitions));
}

const FixedOffsetZone kUtc;
const FixedOffsetZone kKolkata(19800);  // +05:30: minutes that are not whole hours in UTC
const TransitionTableZone kNewYork = make_new_york_like_zone();

// Start points: the epochs, DST changes, leap days and both ends of
// PostgreSQL's range, where off-by-one and overflow bugs live.
const std::vector<Timestamp>& start_points() {
    static const std::vector<Timestamp> points = {
        pg_jobs::from_unix_seconds(0),
        0,  // 2000-01-01, PostgreSQL's epoch
        pg_jobs::from_unix_seconds(unix_at(2026, 3, 7, 12)),
        pg_jobs::from_unix_seconds(unix_at(2026, 10, 31, 12)),
        pg_jobs::from_unix_seconds(unix_at(2028, 2, 28, 23)) + 59 * pg_jobs::kMicrosPerSecond + 999999,
        pg_jobs::from_unix_seconds(unix_at(1900, 1, 1, 0)) - 1,
        pg_jobs::kTimestampEnd - 400 * 366 * pg_jobs::kSecondsPerDay * pg_jobs::kMicrosPerSecond,
        pg_jobs::kTimestampEnd - 1,
        pg_jobs::kTimestampBegin,
    };
    return points;
}

constexpr int kStepsPerStart = 12;

void check_fire_times(const pg_jobs::cron::CronSchedule& schedule, const TimeZone& zone,
                      std::string_view input) {
    for (const Timestamp start : start_points()) {
        Timestamp previous = start;
        for (int step = 0; step < kStepsPerStart; ++step) {
            const Timestamp next = pg_jobs::cron::next_fire_time(schedule, zone, previous);
            if (next == pg_jobs::kTimestampEnd) {
                break;
            }
            if (next > pg_jobs::kTimestampEnd) {
                fail("fire time past the end of PostgreSQL's range", input);
            }
            if (next <= previous) {
                fail("fire time not after the previous one", input);
            }
            previous = next;
        }
    }
}

void check_error(const pg_jobs::cron::ParseError& error, std::string_view input) {
    if (error.message.empty()) {
        fail("error without a message", input);
    }
    if (error.hint.empty()) {
        fail("error without a hint", input);
    }
    if (error.position < -1 || error.position > static_cast<int64_t>(input.size())) {
        fail("error position outside the text", input);
    }
    // Messages may quote the input, so only a type name the input lacks counts.
    for (const char* leak : {"std::", "exception", "basic_string"}) {
        if (input.find(leak) == std::string_view::npos &&
            (error.message.find(leak) != std::string::npos || error.hint.find(leak) != std::string::npos)) {
            fail("C++ type name in an error", input);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // Schedules are short; long inputs only slow the search down.
    if (size > 512) {
        return -1;
    }
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const pg_jobs::cron::ParseResult result = pg_jobs::cron::parse_schedule(input);
    if (!result.ok) {
        check_error(result.error, input);
        return 0;
    }
    check_fire_times(result.schedule, kUtc, input);
    check_fire_times(result.schedule, kKolkata, input);
    check_fire_times(result.schedule, kNewYork, input);
    if (pg_jobs::cron::describe_schedule(result.schedule, "America/New_York").empty()) {
        fail("empty description", input);
    }
    return 0;
}
