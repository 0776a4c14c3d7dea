// Which ended runs are retried; see retry_decision.hpp.
#include "core/retry_decision.hpp"

#include <algorithm>
#include <array>

namespace pg_jobs {

namespace {

constexpr std::string_view kShutdownPrefix = "shutdown";

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

bool is_retryable_http_failure(long http_status, std::string_view error) {
    if (http_status != 0) {
        // A 2xx that failed said "success": false: the job failed, not the call.
        return http::is_success_status(http_status) || http::is_retryable(http::ErrorKind::None, http_status);
    }
    return http::is_retryable(http_error_kind_of(error), 0);
}

}  // namespace

http::ErrorKind http_error_kind_of(std::string_view error) {
    static constexpr std::array kKinds = {
        http::ErrorKind::ConnectRefused,
        http::ErrorKind::Dns,
        http::ErrorKind::Tls,
        http::ErrorKind::Timeout,
        http::ErrorKind::ConnectionLost,
        http::ErrorKind::RefusedByPolicy,
        http::ErrorKind::InvalidRequest,
        http::ErrorKind::Aborted,
    };
    const size_t colon = error.find(':');
    if (colon == std::string_view::npos) {
        return http::ErrorKind::Other;
    }
    const std::string_view name = error.substr(0, colon);
    const auto found = std::find_if(kKinds.begin(), kKinds.end(), [name](http::ErrorKind kind) {
        return http::error_kind_name(kind) == name;
    });
    return found == kKinds.end() ? http::ErrorKind::Other : *found;
}

bool is_retryable_ending(const RunEnding& ending) {
    if (ending.status == "crashed" || ending.status == "timed_out") {
        return true;
    }
    if (ending.status == "cancelled") {
        return starts_with(ending.error, kShutdownPrefix);
    }
    if (ending.status == "failed") {
        return ending.kind != "http" || is_retryable_http_failure(ending.http_status, ending.error);
    }
    return false;
}

}  // namespace pg_jobs
