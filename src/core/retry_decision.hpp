// Which ended runs are worth another attempt. The retry trigger on
// jobs.job_execution asks this (through jobs_internal._is_retryable) for every run
// that leaves 'running' unsuccessfully; whether the job has retries left is
// the trigger's own check. The decision reads what the row stores for it
// (its status, SQLSTATE, HTTP status and HTTP error kind), never the text
// of its error message.
#pragma once
#include "core/no_postgres.hpp"

#include "core/http_outcome.hpp"
#include "core/run_status.hpp"

#include <optional>
#include <string_view>

namespace pg_jobs {

// The SQLSTATE of a run cancelled by a shutdown (admin_shutdown): the
// worker or the HTTP worker was told to stop during the run.
inline constexpr std::string_view kShutdownSqlState = "57P01";

// How a run ended, as its execution row records it.
struct EndedRun {
    std::string_view kind;  // "sql", "http" or "email"
    RunStatus status = RunStatus::Failed;
    long http_status = 0;       // 0: no response arrived; for e-mail the last SMTP reply code
    std::string_view sqlstate;  // "" when none
    http::ErrorKind error_kind = http::ErrorKind::Other;  // HTTP runs without a response
};

// True for:
//   - crashed (the process running it ended: server crash, kill -9);
//   - cancelled by a shutdown (SQLSTATE 57P01); a run cancelled by a user
//     (57014) or by jobs.unschedule stays cancelled;
//   - timed_out;
//   - failed SQL runs;
//   - failed HTTP runs that http::is_retryable accepts (5xx, 408, 429;
//     connection refused, DNS, lost connection), and those whose service
//     answered 2xx with "success": false (the job itself failed, as a
//     failing SQL command does). Not 4xx, TLS, policy refusals, invalid
//     requests, or a job that no longer exists (error kind other).
//   - failed e-mail runs refused with a transient SMTP reply (4xx: the
//     server asks to come back later), or without a refusal after
//     connect_refused, dns or connection_lost; not a permanent refusal
//     (5xx), nor TLS, policy or invalid-request failures.
// Everything else (succeeded, skipped, queued, running) is false.
bool is_retryable_ending(const EndedRun& ending);

// The HTTP error kind stored under `name` (http::error_kind_name, as in the
// row's error_kind column); Other for any other text.
http::ErrorKind parse_http_error_kind(std::string_view name);

}  // namespace pg_jobs
