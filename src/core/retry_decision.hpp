// Which ended runs are worth another attempt. The retry trigger on
// jobs.job_execution asks this (through jobs._is_retryable) for every run
// that leaves 'running' unsuccessfully; whether the job has retries left is
// the trigger's own check.
#pragma once
#include "core/no_postgres.hpp"

#include "core/http_outcome.hpp"

#include <string_view>

namespace pg_jobs {

// How a run ended, as its execution row records it.
struct RunEnding {
    std::string_view kind;    // "sql" or "http"
    std::string_view status;  // "failed", "timed_out", "crashed", "cancelled", ...
    long http_status = 0;     // 0: no response arrived
    std::string_view error;   // the row's error text ("" when none)
};

// True for:
//   - crashed (the process running it ended: server crash, kill -9);
//   - cancelled by a shutdown (its error starts with "shutdown"); a run
//     cancelled by a user stays cancelled;
//   - timed_out;
//   - failed SQL runs;
//   - failed HTTP runs that http::is_retryable accepts (5xx, 408, 429;
//     connection refused, DNS, lost connection), and those whose service
//     answered 2xx with "success": false (the job itself failed, as a
//     failing SQL command does). Not 4xx, TLS, policy refusals, invalid
//     requests, or a job that no longer exists.
// Everything else (succeeded, skipped, queued, ...) is false.
bool is_retryable_ending(const RunEnding& ending);

// The HTTP error kind an HTTP run's error text starts with, as the HTTP
// worker writes it ("connect_refused: Connection refused"); Other when the
// text starts with no kind name.
http::ErrorKind http_error_kind_of(std::string_view error);

}  // namespace pg_jobs
