// IP address parsing (through inet_pton, which is strict) and CIDR matching.
#include "core/ip_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <utility>

namespace pg_jobs::http {

namespace {

constexpr std::array<uint8_t, 12> kMappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// Leading `bits` bits of a and b are equal.
bool same_prefix(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int bits) {
    const int whole = bits / 8;
    if (std::memcmp(a.data(), b.data(), whole) != 0) {
        return false;
    }
    const int rest = bits % 8;
    if (rest == 0) {
        return true;
    }
    const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

std::optional<IpAddress> parse_ip_address(std::string_view text) {
    // inet_pton needs a NUL-terminated string; addresses are short.
    if (text.empty() || text.size() > INET6_ADDRSTRLEN) {
        return std::nullopt;
    }
    const std::string copy(text);
    IpAddress address;
    if (copy.find(':') == std::string::npos) {
        if (inet_pton(AF_INET, copy.c_str(), address.bytes.data()) != 1) {
            return std::nullopt;
        }
        return address;
    }
    if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) != 1) {
        return std::nullopt;
    }
    if (std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), address.bytes.begin())) {
        IpAddress v4;
        std::copy_n(address.bytes.begin() + 12, 4, v4.bytes.begin());
        return v4;
    }
    address.v6 = true;
    return address;
}

std::string to_string(const IpAddress& address) {
    char buffer[INET6_ADDRSTRLEN] = {};
    if (inet_ntop(address.v6 ? AF_INET6 : AF_INET, address.bytes.data(), buffer, sizeof buffer) == nullptr) {
        return "?";
    }
    return buffer;
}

bool CidrBlock::contains(const IpAddress& address) const {
    return address.v6 == network.v6 && same_prefix(address.bytes, network.bytes, prefix_bits);
}

namespace {

// An IPv6 prefix that carries an IPv4 address `v4_offset` bits in
// (Teredo's is not contiguous: v4_offset -1).
struct Embedding {
    std::array<uint8_t, 16> prefix;
    int prefix_bits;
    int v4_offset;
    std::string_view form;
};

constexpr std::array<uint8_t, 16> bytes_of(std::initializer_list<uint8_t> leading) {
    std::array<uint8_t, 16> bytes{};
    size_t i = 0;
    for (const uint8_t b : leading) {
        bytes[i++] = b;
    }
    return bytes;
}

constexpr int kTeredo = -1;
constexpr std::string_view kCompatible = "IPv4-compatible";

const Embedding kEmbeddings[] = {
    {bytes_of({}), 96, 96, kCompatible},
    {bytes_of({0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0}), 96, 96, "IPv4-translated"},
    {bytes_of({0, 0x64, 0xff, 0x9b}), 96, 96, "NAT64"},
    {bytes_of({0x20, 0x02}), 16, 16, "6to4"},
    {bytes_of({0x20, 0x01, 0, 0}), 32, kTeredo, "Teredo"},
};

// :: and ::1, IPv6's own unspecified and loopback addresses, are inside
// the IPv4-compatible block but carry no IPv4 address.
bool is_unspecified_or_loopback(const IpAddress& address) {
    return std::all_of(address.bytes.begin(), address.bytes.begin() + 15, [](uint8_t b) { return b == 0; }) &&
           address.bytes[15] <= 1;
}

const Embedding* embedding_of(const IpAddress& address) {
    if (!address.v6) {
        return nullptr;
    }
    for (const Embedding& embedding : kEmbeddings) {
        if (same_prefix(address.bytes, embedding.prefix, embedding.prefix_bits)) {
            return &embedding;
        }
    }
    return nullptr;
}

// The IPv4 address `bits` bits into `address`.
IpAddress ipv4_at(const IpAddress& address, int bits) {
    IpAddress v4;
    for (int i = 0; i < 32; ++i) {
        const int from = bits + i;
        if ((address.bytes[from / 8] >> (7 - from % 8)) & 1) {
            v4.bytes[i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
        }
    }
    return v4;
}

IpAddress teredo_client(const IpAddress& address) {
    IpAddress v4;
    for (int i = 0; i < 4; ++i) {
        v4.bytes[i] = static_cast<uint8_t>(~address.bytes[12 + i]);
    }
    return v4;
}

}  // namespace

std::optional<EmbeddedIpv4> embedded_ipv4(const IpAddress& address) {
    const Embedding* embedding = embedding_of(address);
    if (embedding == nullptr) {
        return std::nullopt;
    }
    if (embedding->form == kCompatible && is_unspecified_or_loopback(address)) {
        return std::nullopt;
    }
    const IpAddress v4 =
        embedding->v4_offset == kTeredo ? teredo_client(address) : ipv4_at(address, embedding->v4_offset);
    return EmbeddedIpv4{v4, embedding->form};
}

std::optional<CidrBlock> embedded_ipv4_block(const CidrBlock& block) {
    const Embedding* embedding = embedding_of(block.network);
    if (embedding == nullptr || block.prefix_bits < embedding->prefix_bits ||
        (embedding->form == kCompatible && block.prefix_bits >= 127 &&
         is_unspecified_or_loopback(block.network))) {
        return std::nullopt;
    }
    if (embedding->v4_offset == kTeredo) {
        if (block.prefix_bits != 128) {
            return std::nullopt;
        }
        return CidrBlock{teredo_client(block.network), 32};
    }
    const int v4_bits = std::min(block.prefix_bits - embedding->v4_offset, 32);
    return CidrBlock{ipv4_at(block.network, embedding->v4_offset), v4_bits};
}

std::optional<SpecialAddress> special_address(const IpAddress& address) {
    static constexpr SpecialAddress kLinkLocal{"a link-local address (where cloud metadata services answer)",
                                               "link-local addresses"};
    static constexpr SpecialAddress kMetadata{"a cloud metadata service address",
                                              "cloud metadata service addresses"};
    static constexpr SpecialAddress kLocalNat64{
        "a local-use NAT64 address (64:ff9b:1::/48), whose IPv4 address depends on the local translator",
        "local-use NAT64 addresses"};
    // Each block, and what it is.
    using Special = std::pair<CidrBlock, const SpecialAddress*>;
    static const Special kSpecial[] = {
        {{*parse_ip_address("169.254.0.0"), 16}, &kLinkLocal},
        {{*parse_ip_address("fe80::"), 10}, &kLinkLocal},
        {{*parse_ip_address("100.100.100.200"), 32}, &kMetadata},  // Alibaba Cloud
        {{*parse_ip_address("192.0.0.192"), 32}, &kMetadata},      // Oracle Cloud (Classic)
        {{*parse_ip_address("168.63.129.16"), 32}, &kMetadata},    // Azure WireServer
        {{*parse_ip_address("fd00:ec2::254"), 128}, &kMetadata},   // AWS, IPv6
        {{*parse_ip_address("fd20:ce::254"), 128}, &kMetadata},    // Google Cloud, IPv6
        {{*parse_ip_address("64:ff9b:1::"), 48}, &kLocalNat64},
    };
    const auto found = std::find_if(std::begin(kSpecial), std::end(kSpecial),
                                    [&](const Special& special) { return special.first.contains(address); });
    if (found == std::end(kSpecial)) {
        return std::nullopt;
    }
    return *found->second;
}

}  // namespace pg_jobs::http
