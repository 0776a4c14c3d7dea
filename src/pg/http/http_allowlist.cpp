// See http_allowlist.hpp.
#include "pg/http/http_allowlist.hpp"

#include "pg/common/gucs.hpp"

#include <utility>

namespace pg_jobs::pg {

const http::HostAllowlist& current_http_allowlist() {
    static std::string parsed_text;
    static http::HostAllowlist allowlist;
    static bool parsed = false;
    const char* text = http_allowed_hosts();
    if (text == nullptr) {
        text = "";
    }
    if (!parsed || parsed_text != text) {
        http::AllowlistParseResult result = http::HostAllowlist::parse(text);
        // The setting's check hook refuses lists that do not parse.
        allowlist = result.ok ? std::move(result.allowlist) : http::HostAllowlist{};
        parsed_text = text;
        parsed = true;
    }
    return allowlist;
}

std::optional<std::string> check_http_connection(std::string_view host, std::string_view address) {
    http::HostVerdict verdict = current_http_allowlist().check_connection(host, address);
    if (verdict.allowed) {
        return std::nullopt;
    }
    return std::move(verdict.message);
}

}  // namespace pg_jobs::pg
