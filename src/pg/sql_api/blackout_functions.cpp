// jobs_internal._check_blackout and jobs_internal._blackout_end (issue 15): the glue of the
// blackout logic in core/blackout.hpp. The first refuses a blackout when a
// job is defined; the second is called by the launcher's queueing
// statement (run_policy_sql.hpp) for the fire times of jobs that have one.
#include "core/blackout.hpp"
#include "core/cron_parser.hpp"
#include "core/cron_schedule.hpp"
#include "pg/common/caret_detail.hpp"
#include "pg/common/guard.hpp"
#include "pg/common/pg_interval.hpp"
#include "pg/common/pg_time_zone.hpp"

#include <string>
#include <string_view>

extern "C" {
#include "utils/builtins.h"
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {
namespace {

constexpr const char* kBlackoutHint =
    "A blackout is a cron expression of the minutes in which the job must not start, for example "
    "'* 1-4 * * *' (01:00 to 04:59 in the job's time zone).";

cron::CronSchedule parse_blackout(FunctionCallInfo fcinfo) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    const char* written = call_pg([&] { return text_to_cstring(PG_GETARG_TEXT_PP(0)); });
    const std::string_view blackout(written);
    cron::ParseResult parsed = cron::parse_schedule(blackout, parse_pg_interval);
    if (!parsed.ok) {
        std::string detail;
        if (parsed.error.position >= 0) {
            detail = caret_detail(blackout, parsed.error.position);
        }
        throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, "invalid blackout: " + parsed.error.message,
                        std::move(detail), parsed.error.hint.empty() ? kBlackoutHint : parsed.error.hint);
    }
    const std::string problem = cron::blackout_problem(parsed.schedule);
    if (!problem.empty()) {
        throw UserError(ERRCODE_INVALID_PARAMETER_VALUE,
                        "invalid blackout \"" + std::string(blackout) + "\": " + problem, "", kBlackoutHint);
    }
    return parsed.schedule;
}

const pg_tz* zone_argument(FunctionCallInfo fcinfo) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    const char* name = call_pg([&] { return text_to_cstring(PG_GETARG_TEXT_PP(1)); });
    return lookup_time_zone(name);
}

// _check_blackout(blackout, timezone): refuses one that does not parse, is
// not of minutes, or leaves no free minute for 400 days from now.
Datum check_blackout(FunctionCallInfo fcinfo) {
    const cron::CronSchedule blackout = parse_blackout(fcinfo);
    const PgTimeZone zone(zone_argument(fcinfo));
    const Timestamp now = GetCurrentTimestamp();
    if (cron::blackout_end(blackout, zone, now) >= kTimestampEnd) {
        throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, "blackout leaves the job no minute to start in",
                        "It covers every minute of the next 400 days.",
                        "Disable the job with jobs.disable instead, or narrow the blackout, for example "
                        "'* 1-4 * * *'.");
    }
    return static_cast<Datum>(0);
}

// _blackout_end(blackout, timezone, at): NULL when `at` is outside the
// blackout, else when it ends (the first free minute).
Datum blackout_end(FunctionCallInfo fcinfo) {
    const cron::CronSchedule blackout = parse_blackout(fcinfo);
    const PgTimeZone zone(zone_argument(fcinfo));
    const TimestampTz at = PG_GETARG_TIMESTAMPTZ(2);
    const Timestamp end = cron::blackout_end(blackout, zone, at);
    if (end == at) {
        fcinfo->isnull = true;
        return static_cast<Datum>(0);
    }
    return TimestampTzGetDatum(end >= kTimestampEnd ? DT_NOEND : end);
}

}  // namespace
}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_check_blackout);
Datum pg_jobs_check_blackout(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._check_blackout",
                                    [&] { return pg_jobs::pg::check_blackout(fcinfo); });
}

PG_JOBS_SQL_FUNCTION(pg_jobs_blackout_end);
Datum pg_jobs_blackout_end(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._blackout_end",
                                    [&] { return pg_jobs::pg::blackout_end(fcinfo); });
}
