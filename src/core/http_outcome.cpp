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

}  // namespace pg_jobs::http
