// IPv4 and IPv6 addresses and CIDR blocks, for the host allowlist. An
// IPv4-mapped IPv6 address (::ffff:10.0.0.1) is the IPv4 address it maps:
// the kernel connects to that IPv4 host, so the policy must see it as one.
#pragma once
#include "core/no_postgres.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pg_jobs::http {

struct IpAddress {
    bool v6 = false;
    std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4

    int bit_count() const { return v6 ? 128 : 32; }
    bool operator==(const IpAddress& other) const { return v6 == other.v6 && bytes == other.bytes; }
};

// Parses "10.0.0.1" (dotted decimal, exactly four parts) or an IPv6 address
// ("::1", "fe80::1", "::ffff:10.0.0.1"), without brackets or zone id.
// Nothing else: no "10.1", "0x0a000001", "2130706433".
std::optional<IpAddress> parse_ip_address(std::string_view text);

// "10.0.0.1", "fe80::1" (canonical form).
std::string to_string(const IpAddress& address);

struct CidrBlock {
    IpAddress network;
    int prefix_bits = 0;

    bool contains(const IpAddress& address) const;
};

// 169.254.0.0/16, fe80::/10, and AWS's IPv6 metadata address fd00:ec2::254:
// where cloud metadata services answer, so never reached by accident.
bool is_link_local_or_metadata(const IpAddress& address);

}  // namespace pg_jobs::http
