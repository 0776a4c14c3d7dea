// IP address parsing (through inet_pton, which is strict) and CIDR matching.
#include "core/ip_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

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

bool is_link_local_or_metadata(const IpAddress& address) {
    static const CidrBlock kBlocks[] = {
        {*parse_ip_address("169.254.0.0"), 16},
        {*parse_ip_address("fe80::"), 10},
        {*parse_ip_address("fd00:ec2::254"), 128},
    };
    return std::any_of(std::begin(kBlocks), std::end(kBlocks),
                       [&](const CidrBlock& block) { return block.contains(address); });
}

}  // namespace pg_jobs::http
