// jobs.http_allowed_hosts, parsed: shared by the definition-time check (SQL
// functions) and the run-time check after DNS resolution (HTTP worker).
#pragma once
#include "core/host_allowlist.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace pg_jobs::pg {

// The current setting, parsed again only when its text changes. Reads the
// setting's value but calls no PostgreSQL function, so the HTTP engine may
// call it inside libcurl callbacks.
const http::HostAllowlist& current_http_allowlist();

// The engine's connection policy: nullopt when `address` (resolved for
// `host`) is allowed, else why not.
std::optional<std::string> check_http_connection(std::string_view host, std::string_view address);

}  // namespace pg_jobs::pg
