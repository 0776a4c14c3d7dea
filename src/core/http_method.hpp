// The HTTP methods an HTTP job may use, accepted in any case and stored in
// upper case.
#pragma once
#include "core/no_postgres.hpp"

#include <optional>
#include <string_view>

namespace pg_jobs::http {

// "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS": for hints.
inline constexpr std::string_view kHttpMethodList = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS";

// "post" -> "POST"; nullopt for anything else (no trimming, no other verbs).
std::optional<std::string_view> normalize_http_method(std::string_view method);

}  // namespace pg_jobs::http
