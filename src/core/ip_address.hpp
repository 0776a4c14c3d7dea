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

// An IPv6 address that carries an IPv4 address: packets sent to it reach
// (or are translated to) that IPv4 host, so the policy judges it by the
// IPv4 address. (IPv4-mapped ::ffff:a.b.c.d is already read as IPv4.)
struct EmbeddedIpv4 {
    IpAddress address;      // the IPv4 address carried
    std::string_view form;  // "IPv4-compatible", "IPv4-translated", "NAT64", "6to4", "Teredo"
};

// The forms, by their IPv6 prefix:
//   ::a.b.c.d            IPv4-compatible (::/96, but not :: and ::1)
//   ::ffff:0:a.b.c.d     IPv4-translated (::ffff:0:0/96, SIIT)
//   64:ff9b::a.b.c.d     NAT64 well-known prefix (64:ff9b::/96)
//   2002:AABB:CCDD::     6to4 (2002::/16, the IPv4 address in bits 16-47)
//   2001:0:S:S:F:P:CC:CC Teredo (2001::/32; the client's IPv4 address is the
//                        last 32 bits inverted)
std::optional<EmbeddedIpv4> embedded_ipv4(const IpAddress& address);

// A CIDR block written in one of those forms, as the block of IPv4
// addresses it carries ("64:ff9b::a00:0/104" -> 10.0.0.0/8; a 6to4 prefix
// longer than /48 and a Teredo address stand for a single IPv4 address);
// nullopt when the block is not inside one of them or not that long.
std::optional<CidrBlock> embedded_ipv4_block(const CidrBlock& block);

// Addresses no wildcard entry ("*", "*.domain") reaches: an explicit entry
// must name them.
struct SpecialAddress {
    std::string_view what;    // "a link-local address (where cloud metadata services answer)"
    std::string_view plural;  // "link-local addresses"
};

// The special ones, judged as given (see embedded_ipv4 for what to pass):
//   169.254.0.0/16, fe80::/10   link-local: where most clouds' metadata
//                               services answer (169.254.169.254,
//                               169.254.170.2, 169.254.0.23, ...)
//   100.100.100.200             Alibaba Cloud metadata service
//   192.0.0.192                 Oracle Cloud (Classic) metadata service
//   168.63.129.16               Azure WireServer (platform agent endpoint)
//   fd00:ec2::254               AWS metadata service over IPv6
//   fd20:ce::254                Google Cloud metadata service over IPv6
//   64:ff9b:1::/48              local-use NAT64: where the IPv4 address sits
//                               depends on the local translator, so it
//                               cannot be judged by it
std::optional<SpecialAddress> special_address(const IpAddress& address);

}  // namespace pg_jobs::http
