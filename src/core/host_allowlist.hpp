// jobs.http_allowed_hosts: which hosts HTTP jobs may call. A comma-separated
// list of entries:
//   *                  any host name and any address, except link-local ones
//   *.example.com      any name below example.com (not example.com itself)
//   api.example.com    exactly that name (case-insensitive, trailing dot ignored)
//   10.1.2.3, ::1      exactly that address ("[::1]" also accepted)
//   10.0.0.0/8         any address in the block (IPv4 or IPv6 CIDR)
// An empty list allows nothing.
//
// The list is checked twice. When a job is defined, against the host of its
// URL (check_host). When it runs, against the address libcurl is about to
// connect to, after DNS resolution (check_connection), so a name that
// resolves somewhere unexpected (DNS rebinding, a legacy numeric form) is
// still caught. A connection is allowed when its address is in an address
// entry, or its name matches a name entry.
//
// An IPv6 address that carries an IPv4 address (IPv4-mapped or -compatible,
// NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo; see embedded_ipv4) is judged
// as that IPv4 address, and an entry written in such a form stands for the
// IPv4 addresses it carries. Link-local addresses (169.254.0.0/16,
// fe80::/10), the cloud metadata addresses that are not link-local and
// local-use NAT64 (see special_address) are refused unless an explicit
// entry names them: an address or CIDR entry containing the address, or an
// exact host name entry; "*" and "*.domain" never do.
#pragma once
#include "core/no_postgres.hpp"

#include "core/ip_address.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace pg_jobs::http {

struct AllowlistError {
    std::string message;  // "entry \"10.0.0.1/8\" has bits set after the prefix"
    std::string hint;     // "Did you mean \"10.0.0.0/8\"?"
    int position = -1;    // 0-based byte offset in the setting's text
};

// The outcome of a check, with words for the user when refused.
struct HostVerdict {
    bool allowed = false;
    // check_host only: the name matched no name entry, but the list has
    // address entries, so whether it is allowed is only known once it
    // resolves; the run-time check decides.
    bool decided_at_run_time = false;
    std::string message;  // "host \"evil.example\" is not in jobs.http_allowed_hosts"
    std::string hint;
};

struct AllowlistParseResult;

class HostAllowlist {
public:
    // Parses the setting's text. Never throws for bad input.
    static AllowlistParseResult parse(std::string_view text);

    // Definition time: `host` as the URL writes it (a name, or an address;
    // IPv6 without brackets).
    HostVerdict check_host(std::string_view host) const;

    // Run time: `host` from the URL, `address` the one being connected to
    // ("10.0.0.1", "fe80::1", "[::1]", "fe80::1%eth0" all accepted).
    HostVerdict check_connection(std::string_view host, std::string_view address) const;

    bool empty() const { return !any_name_ && names_.empty() && suffixes_.empty() && blocks_.empty(); }

private:
    bool any_name_ = false;              // "*"
    std::vector<std::string> names_;     // exact names, normalized
    std::vector<std::string> suffixes_;  // ".example.com" for "*.example.com"
    std::vector<CidrBlock> blocks_;      // addresses (as /32, /128) and CIDR blocks

    bool in_blocks(const IpAddress& address) const;
    bool matches_name_exactly(const std::string& name) const;
    bool matches_name_pattern(const std::string& name) const;  // "*" or a suffix
    HostVerdict check_address(const std::string& host, const IpAddress& given, bool host_is_address) const;

    friend class AllowlistParser;
};

struct AllowlistParseResult {
    bool ok = false;
    HostAllowlist allowlist;
    AllowlistError error;
};

}  // namespace pg_jobs::http
