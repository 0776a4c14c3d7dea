// next_fire_time throughput on typical schedules, in UTC and in a DST zone,
// against a naive baseline that steps minute by minute (second by second for
// six-field schedules) and checks every field: the approach pg_jobs avoids.
//
//   cron_next_bench --list_cases     prints "id<TAB>schedule" (for run.sh)
//   cron_next_bench [benchmark flags]
// Benchmarks are named "next/<id>/<zone>" and "naive/<id>/<zone>".
#include "core/civil_time.hpp"
#include "core/cron_next.hpp"
#include "core/cron_parser.hpp"
#include "core/time_units.hpp"
#include "core/time_zone.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace {

using pg_jobs::Timestamp;
using pg_jobs::TimeZone;
using pg_jobs::cron::CronSchedule;

struct BenchCase {
    const char* id;
    const char* schedule;
};

const BenchCase kCases[] = {
    {"every_5_min", "*/5 * * * *"},   {"daily_0200", "0 2 * * *"},      {"last_fri_0230", "30 2 * * 5L"},
    {"work_hours", "0 9-17 * * 1-5"}, {"every_10_s", "*/10 * * * * *"}, {"new_year", "0 0 1 1 *"},
    {"fri_13_or", "0 0 13 * 5"},
};

int64_t unix_at(int64_t year, int month, int day, int hour) {
    return pg_jobs::civil::days_from_date(year, month, day) * pg_jobs::kSecondsPerDay + hour * 3600;
}

// The day of the last Sunday of a month.
int last_sunday(int64_t year, int month) {
    const int length = pg_jobs::civil::days_in_month(year, month);
    return length - pg_jobs::civil::weekday_from_days(pg_jobs::civil::days_from_date(year, month, length));
}

// Europe/Berlin rules for 2020-2040: CEST from the last Sunday of March to
// the last Sunday of October, switching at 01:00 UTC.
pg_jobs::TransitionTableZone make_berlin_like_zone() {
    constexpr int32_t kCet = 3600;
    constexpr int32_t kCest = 7200;
    std::vector<pg_jobs::TransitionTableZone::Transition> transitions;
    for (int64_t year = 2020; year <= 2040; ++year) {
        transitions.push_back({unix_at(year, 3, last_sunday(year, 3), 1), kCest});
        transitions.push_back({unix_at(year, 10, last_sunday(year, 10), 1), kCet});
    }
    return pg_jobs::TransitionTableZone(kCet, std::move(transitions));
}

const pg_jobs::FixedOffsetZone kUtc;
const pg_jobs::TransitionTableZone kBerlin = make_berlin_like_zone();

// Every benchmark walks the same stretch of time, restarting at the horizon,
// so both implementations see the same dates and stay inside the DST table.
const Timestamp kStart = pg_jobs::from_unix_seconds(unix_at(2026, 1, 1, 0));
const Timestamp kHorizon = pg_jobs::from_unix_seconds(unix_at(2038, 1, 1, 0));

// --- The naive baseline -----------------------------------------------------

bool bit(uint64_t mask, int index) {
    return ((mask >> index) & 1U) != 0;
}

// Does local wall-clock time `local` (seconds since 1970-01-01 local) match?
bool naive_matches(const CronSchedule& s, int64_t local) {
    const int64_t days = pg_jobs::floor_div(local, pg_jobs::kSecondsPerDay);
    const int64_t second_of_day = local - days * pg_jobs::kSecondsPerDay;
    if (!bit(s.seconds, static_cast<int>(second_of_day % 60)) ||
        !bit(s.minutes, static_cast<int>(second_of_day / 60 % 60)) ||
        !bit(s.hours, static_cast<int>(second_of_day / 3600))) {
        return false;
    }
    const pg_jobs::civil::Date date = pg_jobs::civil::date_from_days(days);
    if (!bit(s.months, date.month)) {
        return false;
    }
    const int month_length = pg_jobs::civil::days_in_month(date.year, date.month);
    const int weekday = pg_jobs::civil::weekday_from_days(days);
    const bool day_of_month =
        bit(s.days_of_month, date.day) ||
        (month_length - date.day <= 30 && bit(s.days_before_last, month_length - date.day));
    const bool day_of_week = bit(s.days_of_week, weekday) ||
                             (bit(s.last_weekday, weekday) && date.day + 7 > month_length) ||
                             bit(s.nth_weekday, (date.day - 1) / 7 * 7 + weekday);
    if (s.day_of_month_star || s.day_of_week_star) {
        return day_of_month && day_of_week;
    }
    return day_of_month || day_of_week;
}

// Steps through every minute (or second) after `after` until one matches.
// It keeps the zone's current offset until its next transition, like any
// sensible loop would, but ignores the DST gap/overlap rules: it is a speed
// reference only.
Timestamp naive_next(const CronSchedule& s, const TimeZone& zone, Timestamp after) {
    const int64_t step = s.has_seconds ? 1 : 60;
    const int64_t after_seconds = pg_jobs::to_unix_seconds(after);
    int64_t u = pg_jobs::floor_div(after_seconds, step) * step + step;
    const int64_t give_up = u + 30 * 366 * pg_jobs::kSecondsPerDay;
    pg_jobs::OffsetSpan span = zone.offset_at(u);
    for (; u < give_up; u += step) {
        if (u >= span.until) {
            span = zone.offset_at(u);
        }
        if (naive_matches(s, u + span.utc_offset)) {
            return pg_jobs::from_unix_seconds(u);
        }
    }
    return pg_jobs::kTimestampEnd;
}

// --- Benchmarks -----------------------------------------------------------------

CronSchedule parse_or_die(const char* text) {
    const pg_jobs::cron::ParseResult result = pg_jobs::cron::parse_schedule(text);
    if (!result.ok) {
        std::fprintf(stderr, "cron_next_bench: cannot parse \"%s\": %s\n", text,
                     result.error.message.c_str());
        std::exit(1);
    }
    return result.schedule;
}

template <typename NextFn>
void run_walk(benchmark::State& state, const CronSchedule& schedule, const TimeZone& zone, NextFn next) {
    Timestamp t = kStart;
    for (auto _ : state) {
        t = next(schedule, zone, t);
        if (t >= kHorizon) {
            t = kStart;
        }
        benchmark::DoNotOptimize(t);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

// The baseline is only meaningful if it finds the same times.
void warn_if_baseline_disagrees(const BenchCase& c, const CronSchedule& schedule) {
    Timestamp fast = kStart;
    Timestamp slow = kStart;
    for (int i = 0; i < 20; ++i) {
        fast = pg_jobs::cron::next_fire_time(schedule, kUtc, fast);
        slow = naive_next(schedule, kUtc, slow);
        if (fast != slow) {
            std::fprintf(stderr, "cron_next_bench: WARNING: baseline and next_fire_time disagree on \"%s\"\n",
                         c.schedule);
            return;
        }
    }
}

void register_benchmarks() {
    struct NamedZone {
        const char* name;
        const TimeZone* zone;
    };
    const NamedZone zones[] = {{"utc", &kUtc}, {"berlin", &kBerlin}};
    for (const BenchCase& c : kCases) {
        const CronSchedule schedule = parse_or_die(c.schedule);
        warn_if_baseline_disagrees(c, schedule);
        for (const NamedZone& z : zones) {
            const TimeZone* zone = z.zone;
            const std::string suffix = std::string("/") + c.id + "/" + z.name;
            benchmark::RegisterBenchmark(("next" + suffix).c_str(),
                                         [schedule, zone](benchmark::State& state) {
                                             run_walk(state, schedule, *zone, pg_jobs::cron::next_fire_time);
                                         });
            benchmark::RegisterBenchmark(
                ("naive" + suffix).c_str(),
                [schedule, zone](benchmark::State& state) { run_walk(state, schedule, *zone, naive_next); });
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--list_cases") == 0) {
            for (const BenchCase& c : kCases) {
                std::printf("%s\t%s\n", c.id, c.schedule);
            }
            return 0;
        }
    }
    register_benchmarks();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
