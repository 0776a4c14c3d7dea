// SQL functions jobs.next_runs and jobs.describe: argument handling, error
// reporting and the result loop; the cron logic itself lives in src/core.
#include "core/cron_describe.hpp"
#include "core/cron_next.hpp"
#include "core/cron_parser.hpp"
#include "core/cron_schedule.hpp"
#include "core/time_units.hpp"
#include "pg/common/caret_detail.hpp"
#include "pg/common/guard.hpp"
#include "pg/common/pg_interval.hpp"
#include "pg/common/pg_time_zone.hpp"

#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

extern "C" {
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
}

namespace pg_jobs::pg {
namespace {

// The most fire times one call returns; documented in the SQL comment.
constexpr int32 kMaxRuns = 1000000;

static_assert(std::is_trivially_destructible_v<cron::CronSchedule>);
static_assert(kTimestampEnd == END_TIMESTAMP, "core and PostgreSQL disagree on the end of time");

// Parses the schedule argument, or throws the user-facing error 22023.
cron::CronSchedule parse_schedule_argument(FunctionCallInfo fcinfo) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    const char* schedule = call_pg([&] { return text_to_cstring(PG_GETARG_TEXT_PP(0)); });
    const int length = static_cast<int>(strlen(schedule));
    cron::ParseResult parsed = cron::parse_schedule(std::string_view(schedule, length), parse_pg_interval);
    if (parsed.ok) {
        return parsed.schedule;
    }
    std::string detail;
    if (parsed.error.position >= 0) {
        detail = caret_detail(std::string_view(schedule, length), parsed.error.position);
    }
    throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, "invalid cron schedule: " + parsed.error.message,
                    std::move(detail), std::move(parsed.error.hint));
}

const pg_tz* time_zone_argument(FunctionCallInfo fcinfo, int argument) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    const char* name = call_pg([&] { return text_to_cstring(PG_GETARG_TEXT_PP(argument)); });
    return lookup_time_zone(name);
}

int32 count_argument(FunctionCallInfo fcinfo) {
    const int32 count = PG_GETARG_INT32(1);
    if (count < 0) {
        throw UserError(
            ERRCODE_INVALID_PARAMETER_VALUE,
            "count must be between 0 and " + std::to_string(kMaxRuns) + ", not " + std::to_string(count), "",
            "count is how many fire times to list; for fire times earlier than "
            "\"after\", pass an earlier \"after\".");
    }
    if (count > kMaxRuns) {
        throw UserError(
            ERRCODE_INVALID_PARAMETER_VALUE,
            "count must be between 0 and " + std::to_string(kMaxRuns) + ", not " + std::to_string(count), "",
            "To list more fire times, call jobs.next_runs again with \"after\" set to the "
            "last time returned.");
    }
    return count;
}

// next_runs(schedule, count, after, timezone): materialized SRF. Everything
// alive during the loop is trivially destructible, so the loop may call
// PostgreSQL (tuplestore, interrupts) directly.
Datum next_runs(FunctionCallInfo fcinfo) {
    const cron::CronSchedule schedule = parse_schedule_argument(fcinfo);
    const PgTimeZone zone(time_zone_argument(fcinfo, 3));
    const int32 count = count_argument(fcinfo);
    // +/-infinity need no special case: next_fire_time clamps to PostgreSQL's
    // range, and @reboot never fires by the clock (kTimestampEnd).
    const TimestampTz after = PG_GETARG_TIMESTAMPTZ(2);

    call_pg([&] { InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); });
    const auto* result = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);

    Timestamp previous = after;
    bool is_null = false;
    for (int32 row = 0; row < count; ++row) {
        CHECK_FOR_INTERRUPTS();
        const Timestamp next = cron::next_fire_time(schedule, zone, previous);
        if (next >= kTimestampEnd) {
            break;  // past PostgreSQL's last timestamp: fewer rows
        }
        if (next <= previous) {
            throw std::logic_error("next_fire_time did not advance");
        }
        Datum value = TimestampTzGetDatum(next);
        tuplestore_putvalues(result->setResult, result->setDesc, &value, &is_null);
        previous = next;
    }
    return static_cast<Datum>(0);
}

// describe(schedule, timezone): the schedule in plain English.
Datum describe(FunctionCallInfo fcinfo) {
    const cron::CronSchedule schedule = parse_schedule_argument(fcinfo);
    const pg_tz* zone = time_zone_argument(fcinfo, 1);
    const std::string text = cron::describe_schedule(schedule, time_zone_name(zone));
    return call_pg([&] {
        return PointerGetDatum(cstring_to_text_with_len(text.data(), static_cast<int>(text.size())));
    });
}

}  // namespace
}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_next_runs);
Datum pg_jobs_next_runs(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs.next_runs", [&] { return pg_jobs::pg::next_runs(fcinfo); });
}

PG_JOBS_SQL_FUNCTION(pg_jobs_describe);
Datum pg_jobs_describe(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs.describe", [&] { return pg_jobs::pg::describe(fcinfo); });
}
