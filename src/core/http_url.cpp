// parse_http_url: scheme, authority (host and port) and the rest, checked
// left to right so the first mistake is the one reported.
#include "core/http_url.hpp"

#include "core/host_name.hpp"
#include "core/ip_address.hpp"

#include <algorithm>

namespace pg_jobs::http {

namespace {

constexpr bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
constexpr bool is_scheme_char(char c) {
    return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    return out;
}

class UrlParser {
public:
    explicit UrlParser(std::string_view text) : text_(text) {}

    UrlParseResult run() {
        if (check_characters() && parse_scheme() && parse_authority()) {
            result_.ok = true;
        }
        return result_;
    }

private:
    std::string_view text_;
    size_t pos_ = 0;
    UrlParseResult result_;

    bool fail(std::string message, std::string hint, size_t position) {
        result_.error.message = std::move(message);
        result_.error.hint = std::move(hint);
        result_.error.position = static_cast<int>(position);
        return false;
    }

    bool check_characters() {
        if (text_.empty()) {
            return fail("URL is empty", "Write a full URL, e.g. \"https://api.example.com/hook\".", 0);
        }
        if (text_.size() > kMaxUrlLength) {
            return fail("URL is longer than 8192 characters", "Send long data in the request body instead.",
                        kMaxUrlLength);
        }
        for (size_t i = 0; i < text_.size(); ++i) {
            const auto byte = static_cast<unsigned char>(text_[i]);
            if (byte == ' ') {
                return fail("URL contains a space", "Percent-encode it as %20.", i);
            }
            if (byte < 0x20 || byte == 0x7f) {
                return fail("URL contains a control character", "Remove it, or percent-encode it.", i);
            }
            if (byte >= 0x80) {
                return fail(
                    "URL contains a non-ASCII character",
                    "Percent-encode it in the path and query (UTF-8 bytes as %XX), and write international "
                    "domain names in their ASCII form (xn--...).",
                    i);
            }
        }
        return true;
    }

    bool parse_scheme() {
        const size_t end = std::find_if_not(text_.begin(), text_.end(), is_scheme_char) - text_.begin();
        if (end == 0 || end == text_.size() || text_[end] != ':' || !is_alpha(text_[0])) {
            return fail("URL has no scheme", "Start it with \"https://\" or \"http://\".", 0);
        }
        const std::string scheme = lower(text_.substr(0, end));
        const bool slashes = text_.substr(end + 1, 2) == "//";
        if (scheme != "http" && scheme != "https" && !slashes) {
            // "localhost:8080/x" or "example.com:443": a host, not a scheme.
            return fail("URL has no scheme", "Start it with \"https://\" or \"http://\".", 0);
        }
        if (scheme != "http" && scheme != "https") {
            return fail("URL scheme \"" + std::string(text_.substr(0, end)) + "\" is not supported",
                        "Only http and https URLs can be called.", 0);
        }
        if (!slashes) {
            return fail("expected \"//\" after \"" + std::string(text_.substr(0, end + 1)) + "\"",
                        "Write the URL as \"" + scheme + "://host/path\".", end + 1);
        }
        result_.url.scheme = scheme;
        result_.url.port = scheme == "https" ? 443 : 80;
        pos_ = end + 3;
        return true;
    }

    bool parse_authority() {
        const size_t start = pos_;
        const size_t end = std::min(text_.find_first_of("/?#", start), text_.size());
        const std::string_view authority = text_.substr(start, end - start);
        if (const size_t at = authority.find('@'); at != std::string_view::npos) {
            return fail(
                "URL contains credentials (\"user:password@\")",
                "Pass credentials in a header instead, e.g. \"Authorization\": the values of such headers "
                "are shown as *** in views.",
                start);
        }
        if (const size_t backslash = authority.find('\\'); backslash != std::string_view::npos) {
            return fail("URL host contains \"\\\"", "Use \"/\" to start the path.", start + backslash);
        }
        if (authority.empty()) {
            return fail("URL has no host", "Write the host after \"//\", e.g. \"https://api.example.com/\".",
                        start);
        }
        size_t host_end = 0;
        if (authority[0] == '[') {
            if (!parse_ipv6_host(authority, start, &host_end)) {
                return false;
            }
        } else {
            host_end = std::min(authority.find(':'), authority.size());
            if (!parse_name_host(authority.substr(0, host_end), start)) {
                return false;
            }
        }
        if (host_end < authority.size() &&
            !parse_port(authority.substr(host_end + 1), start + host_end + 1)) {
            return false;
        }
        std::string_view rest = text_.substr(end);
        rest = rest.substr(0, std::min(rest.find('#'), rest.size()));  // a fragment is never sent
        result_.url.path = std::string(rest);
        return true;
    }

    bool parse_ipv6_host(std::string_view authority, size_t start, size_t* host_end) {
        const size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            return fail("URL host starts with \"[\" but has no \"]\"",
                        "Write IPv6 addresses in brackets, e.g. \"http://[::1]:8080/\".", start);
        }
        const std::string_view inside = authority.substr(1, close - 1);
        const auto address = parse_ip_address(inside);
        if (!address || inside.find('%') != std::string_view::npos) {
            return fail("URL host \"" + std::string(authority.substr(0, close + 1)) +
                            "\" is not a valid IPv6 address",
                        "Write IPv6 addresses in brackets, e.g. \"http://[::1]:8080/\".", start + 1);
        }
        if (close + 1 < authority.size() && authority[close + 1] != ':') {
            return fail("unexpected text after the IPv6 address",
                        "A port follows a colon, e.g. \"[::1]:8080\".", start + close + 1);
        }
        result_.url.host = to_string(*address);
        result_.url.host_is_address = true;
        *host_end = close + 1;
        return true;
    }

    bool parse_name_host(std::string_view host, size_t start) {
        if (host.empty()) {
            return fail("URL has no host", "Write the host after \"//\", e.g. \"https://api.example.com/\".",
                        start);
        }
        if (const auto address = parse_ip_address(host)) {
            result_.url.host = to_string(*address);
            result_.url.host_is_address = true;
            return true;
        }
        HostNameError error;
        if (!check_host_name(host, &error)) {
            return fail("URL " + error.message, error.hint, start + error.position);
        }
        if (looks_like_legacy_ipv4(host)) {
            return fail(
                "URL host \"" + std::string(host) + "\" is not a valid IPv4 address",
                "Write IPv4 addresses as four decimal numbers without leading zeros, e.g. \"10.0.0.1\".",
                start);
        }
        result_.url.host = normalize_host_name(host);
        return true;
    }

    bool parse_port(std::string_view port, size_t start) {
        if (port.empty()) {
            return true;  // "host:" means the default port
        }
        const bool digits = port.size() <= 5 && std::all_of(port.begin(), port.end(), is_digit);
        const int value = digits ? std::stoi(std::string(port)) : 0;
        if (value < 1 || value > 65535) {
            return fail("URL port \"" + std::string(port) + "\" is not a number from 1 to 65535",
                        "Write the port after the host, e.g. \"https://api.example.com:8443/\".", start);
        }
        result_.url.port = value;
        return true;
    }
};

}  // namespace

UrlParseResult parse_http_url(std::string_view text) {
    return UrlParser(text).run();
}

}  // namespace pg_jobs::http
