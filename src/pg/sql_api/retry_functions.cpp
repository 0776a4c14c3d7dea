// The SQL side of retries: jobs_internal._is_retryable and jobs_internal._retry_at, which the
// retry trigger on jobs.job_execution calls, so the rule of what is retried
// and the backoff formula exist once, in src/core, for every path a run can
// end by (SQL workers, the launcher, the HTTP worker, crash recovery).
#include "core/retry_decision.hpp"
#include "core/retry_policy.hpp"
#include "pg/common/guard.hpp"

#include <optional>
#include <string_view>

extern "C" {
#include "datatype/timestamp.h"
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {
namespace {

std::string_view text_argument(FunctionCallInfo fcinfo, int index) {
    // An argument the SQL declaration lacks (0.1.0's jobs_internal._is_retryable had
    // four, before ALTER EXTENSION UPDATE) reads as NULL, never past the call.
    if (index >= PG_NARGS() || PG_ARGISNULL(index)) {
        return {};
    }
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    const text* value = PG_GETARG_TEXT_PP(index);
    return {VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value)};
}

// An interval as microseconds, a month counting 30 days (as interval
// comparison does); saturates instead of overflowing.
int64 interval_micros(const Interval* interval) {
    int64 months_us = 0;
    int64 days_us = 0;
    int64 total = 0;
    if (__builtin_mul_overflow(static_cast<int64>(interval->month), DAYS_PER_MONTH * USECS_PER_DAY,
                               &months_us) ||
        __builtin_mul_overflow(static_cast<int64>(interval->day), USECS_PER_DAY, &days_us) ||
        __builtin_add_overflow(months_us, days_us, &total) ||
        __builtin_add_overflow(total, interval->time, &total)) {
        return (interval->month < 0 || interval->day < 0 || interval->time < 0) ? 0 : PG_INT64_MAX;
    }
    return total;
}

// jobs_internal._is_retryable(kind, status, http_status, sqlstate, error_kind)
Datum is_retryable(FunctionCallInfo fcinfo) {
    const std::optional<RunStatus> status = parse_run_status(text_argument(fcinfo, 1));
    if (!status) {
        PG_RETURN_BOOL(false);
    }
    EndedRun ending;
    ending.kind = text_argument(fcinfo, 0);
    ending.status = *status;
    ending.http_status = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2);
    ending.sqlstate = text_argument(fcinfo, 3);
    ending.error_kind = parse_http_error_kind(text_argument(fcinfo, 4));
    PG_RETURN_BOOL(is_retryable_ending(ending));
}

// jobs_internal._retry_at(failed_at, attempt, backoff, backoff_max, execution_id):
// failed_at plus the delay of retry number `attempt`, jittered by the failed
// execution's id; 'infinity' past the last representable time.
Datum retry_at(FunctionCallInfo fcinfo) {
    const TimestampTz failed_at = PG_GETARG_TIMESTAMPTZ(0);
    const int32 attempt = PG_GETARG_INT32(1);
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    const int64 backoff = interval_micros(PG_GETARG_INTERVAL_P(2));
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    const int64 backoff_max = interval_micros(PG_GETARG_INTERVAL_P(3));
    const int64 execution_id = PG_GETARG_INT64(4);
    if (TIMESTAMP_NOT_FINITE(failed_at)) {
        PG_RETURN_TIMESTAMPTZ(failed_at);
    }
    const Timestamp delay =
        retry_delay_micros(attempt, backoff, backoff_max, jitter_unit_for_execution(execution_id));
    const Timestamp at = add_delay_saturating(failed_at, delay);
    if (at >= kTimestampEnd) {
        TimestampTz never = 0;
        TIMESTAMP_NOEND(never);
        PG_RETURN_TIMESTAMPTZ(never);
    }
    PG_RETURN_TIMESTAMPTZ(at);
}

}  // namespace
}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_is_retryable);
Datum pg_jobs_is_retryable(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._is_retryable", [&] { return pg_jobs::pg::is_retryable(fcinfo); });
}

PG_JOBS_SQL_FUNCTION(pg_jobs_retry_at);
Datum pg_jobs_retry_at(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._retry_at", [&] { return pg_jobs::pg::retry_at(fcinfo); });
}
