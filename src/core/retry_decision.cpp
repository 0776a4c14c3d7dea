// Which ended runs are retried; see retry_decision.hpp.
#include "core/retry_decision.hpp"

#include <algorithm>
#include <array>

namespace pg_jobs {

namespace {

bool is_retryable_http_failure(long http_status, http::ErrorKind kind) {
    if (http_status != 0) {
        // A 2xx that failed said "success": false: the job failed, not the call.
        return http::is_success_status(http_status) || http::is_retryable(http::ErrorKind::None, http_status);
    }
    return http::is_retryable(kind, 0);
}

// SMTP replies: 4xx transient, 5xx permanent (RFC 5321, 4.2.1). A failure
// with no refusal (the last reply was a positive one, or none came) is
// judged by how the connection failed.
bool is_retryable_mail_failure(long smtp_reply, http::ErrorKind kind) {
    if (smtp_reply >= 400 && smtp_reply <= 499) {
        return true;
    }
    if (smtp_reply >= 500) {
        return false;
    }
    return http::is_retryable(kind, 0);
}

}  // namespace

http::ErrorKind parse_http_error_kind(std::string_view name) {
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
    const auto found = std::find_if(kKinds.begin(), kKinds.end(), [name](http::ErrorKind kind) {
        return http::error_kind_name(kind) == name;
    });
    return found == kKinds.end() ? http::ErrorKind::Other : *found;
}

bool is_retryable_ending(const EndedRun& ending) {
    switch (ending.status) {
        case RunStatus::Crashed:
        case RunStatus::TimedOut:
            return true;
        case RunStatus::Cancelled:
            return ending.sqlstate == kShutdownSqlState;
        case RunStatus::Failed:
            if (ending.kind == "email") {
                return is_retryable_mail_failure(ending.http_status, ending.error_kind);
            }
            return ending.kind != "http" || is_retryable_http_failure(ending.http_status, ending.error_kind);
        case RunStatus::Queued:
        case RunStatus::Running:
        case RunStatus::Succeeded:
        case RunStatus::Skipped:
            break;
    }
    return false;
}

}  // namespace pg_jobs
