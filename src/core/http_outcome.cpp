// Names and retry classification of HTTP outcomes.
#include "core/http_outcome.hpp"

namespace pg_jobs::http {

std::string_view error_kind_name(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::None:
            return "none";
        case ErrorKind::ConnectRefused:
            return "connect_refused";
        case ErrorKind::Dns:
            return "dns";
        case ErrorKind::Tls:
            return "tls";
        case ErrorKind::Timeout:
            return "timeout";
        case ErrorKind::ConnectionLost:
            return "connection_lost";
        case ErrorKind::RefusedByPolicy:
            return "refused_by_policy";
        case ErrorKind::InvalidRequest:
            return "invalid_request";
        case ErrorKind::Aborted:
            return "aborted";
        case ErrorKind::Other:
            return "other";
    }
    return "other";
}

bool is_retryable(ErrorKind kind, long http_status) {
    switch (kind) {
        case ErrorKind::None:
            return (http_status >= 500 && http_status <= 599) || http_status == 408 || http_status == 429;
        case ErrorKind::ConnectRefused:
        case ErrorKind::Dns:
        case ErrorKind::Timeout:
        case ErrorKind::ConnectionLost:
            return true;
        case ErrorKind::Tls:
        case ErrorKind::RefusedByPolicy:
        case ErrorKind::InvalidRequest:
        case ErrorKind::Aborted:
        case ErrorKind::Other:
            return false;
    }
    return false;
}

std::string_view standard_reason_phrase(long http_status) {
    switch (http_status) {
        case 300:
            return "Multiple Choices";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Found";
        case 303:
            return "See Other";
        case 304:
            return "Not Modified";
        case 307:
            return "Temporary Redirect";
        case 308:
            return "Permanent Redirect";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 406:
            return "Not Acceptable";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 410:
            return "Gone";
        case 411:
            return "Length Required";
        case 413:
            return "Content Too Large";
        case 415:
            return "Unsupported Media Type";
        case 422:
            return "Unprocessable Content";
        case 429:
            return "Too Many Requests";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        default:
            return "";
    }
}

std::string failed_answer_error(long http_status, std::string_view reason_phrase,
                                std::string_view body_start) {
    std::string error = "HTTP " + std::to_string(http_status);
    const std::string_view reason =
        reason_phrase.empty() ? standard_reason_phrase(http_status) : reason_phrase;
    if (!reason.empty()) {
        error += ' ';
        error += reason;
    }
    while (!body_start.empty() && (body_start.back() == ' ' || body_start.back() == '\r' ||
                                   body_start.back() == '\n' || body_start.back() == '\t')) {
        body_start.remove_suffix(1);
    }
    if (!body_start.empty()) {
        error += ": ";
        for (const char c : body_start) {
            error += c == '\r' || c == '\n' || c == '\t' ? ' ' : c;
        }
    }
    if (http_status == 405 || http_status == 501) {
        error +=
            " (the server does not take the job's method; a job sends POST unless told otherwise: for a "
            "server that only answers GET, such as a plain file server, set method => 'GET' with "
            "jobs.alter_http)";
    }
    return error;
}

}  // namespace pg_jobs::http
