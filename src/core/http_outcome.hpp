// How an HTTP call ended, in terms the job policies understand: the kind of
// failure (stored in the execution row by name), whether the HTTP status
// counts as success, and whether a failed attempt is worth retrying.
#pragma once
#include "core/no_postgres.hpp"

#include <string>
#include <string_view>

namespace pg_jobs::http {

enum class ErrorKind {
    None,             // a response arrived (whatever its status)
    ConnectRefused,   // no connection: refused, unreachable, connect timeout
    Dns,              // the host name did not resolve
    Tls,              // TLS handshake or certificate failure
    Timeout,          // the whole call took longer than its timeout
    ConnectionLost,   // connected, then the connection broke before a full response
    RefusedByPolicy,  // jobs.http_allowed_hosts refused the resolved address
    InvalidRequest,   // the request itself is unusable (bad URL, bad header)
    Aborted,          // cancelled by abort() or shutdown
    Other,            // anything else libcurl reports
};

// Snake-case name stored in the execution row: "none", "connect_refused",
// "dns", "tls", "timeout", "connection_lost", "refused_by_policy",
// "invalid_request", "aborted", "other".
std::string_view error_kind_name(ErrorKind kind);

// 200-299.
constexpr bool is_success_status(long http_status) {
    return http_status >= 200 && http_status <= 299;
}

// Whether a failed attempt may succeed if simply tried again later:
//   - no response: connection refused, DNS failure, timeout and a lost
//     connection are retryable (the server may be restarting, the network
//     may recover). TLS failures are not: certificate and protocol problems
//     are configuration, and retrying only repeats them. Policy refusals,
//     invalid requests and aborts are never retried.
//   - a response: 5xx, 408 (Request Timeout) and 429 (Too Many Requests:
//     the server asks us to come back later, which the retry backoff does)
//     are retryable; every other status, 4xx included, is not.
// A 2xx response is a success, not a retry candidate: false.
bool is_retryable(ErrorKind kind, long http_status);

// The usual reason phrase of an HTTP status ("Not Implemented" for 501),
// for answers that carry none (HTTP/2); "" for a status it does not know.
std::string_view standard_reason_phrase(long http_status);

// The error of a run whose answer was not 2xx: "HTTP 501 Not Implemented",
// then ": " and the start of the body (line breaks and tabs as spaces) when
// there is one. `reason_phrase` is the server's ("" for the standard one).
// A 405 or 501 adds what to do when the server does not take the job's
// method (POST by default): set method => 'GET'.
std::string failed_answer_error(long http_status, std::string_view reason_phrase,
                                std::string_view body_start);

}  // namespace pg_jobs::http
