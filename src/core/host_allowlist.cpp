// Parsing and checking jobs.http_allowed_hosts.
#include "core/host_allowlist.hpp"

#include "core/host_name.hpp"

#include <algorithm>
#include <utility>

namespace pg_jobs::http {

namespace {

constexpr std::string_view kSetting = "jobs.http_allowed_hosts";

constexpr bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string quoted(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

// "fe80::1%eth0" -> "fe80::1", "[::1]" -> "::1".
std::string_view bare_address(std::string_view address) {
    if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
        address = address.substr(1, address.size() - 2);
    }
    const size_t zone = address.find('%');
    return zone == std::string_view::npos ? address : address.substr(0, zone);
}

// The network of `address`/`bits`: host bits cleared.
IpAddress network_of(IpAddress address, int bits) {
    for (int i = 0; i < 16; ++i) {
        const int keep = std::clamp(bits - 8 * i, 0, 8);
        address.bytes[i] &= static_cast<uint8_t>(0xff00 >> keep);
    }
    return address;
}

}  // namespace

// Reads the entries one by one; the first mistake stops it.
class AllowlistParser {
public:
    explicit AllowlistParser(std::string_view text) : text_(text) {}

    AllowlistParseResult run() {
        AllowlistParseResult result;
        size_t start = 0;
        const bool all_blank = std::all_of(text_.begin(), text_.end(), is_blank);
        while (!all_blank) {
            const size_t comma = std::min(text_.find(',', start), text_.size());
            size_t first = start;
            size_t last = comma;
            while (first < last && is_blank(text_[first])) {
                ++first;
            }
            while (last > first && is_blank(text_[last - 1])) {
                --last;
            }
            if (!add_entry(text_.substr(first, last - first), first, result)) {
                return result;
            }
            if (comma == text_.size()) {
                break;
            }
            start = comma + 1;
        }
        result.ok = true;
        result.allowlist = std::move(list_);
        return result;
    }

private:
    std::string_view text_;
    HostAllowlist list_;

    static bool fail(AllowlistParseResult& result, std::string message, std::string hint, size_t position) {
        result.error.message = std::move(message);
        result.error.hint = std::move(hint);
        result.error.position = static_cast<int>(position);
        return false;
    }

    bool add_entry(std::string_view entry, size_t at, AllowlistParseResult& result) {
        if (entry.empty()) {
            return fail(result, std::string(kSetting) + " has an empty entry",
                        "Separate entries with single commas, e.g. \"api.example.com, 10.0.0.0/8\".", at);
        }
        if (entry == "*") {
            list_.any_name_ = true;
            return true;
        }
        if (entry.find("://") != std::string_view::npos || entry.find('/') == 0) {
            return fail(result, "entry " + quoted(entry) + " is a URL, not a host",
                        "Write only the host name or address, e.g. \"api.example.com\".", at);
        }
        if (entry.size() > 2 && entry.substr(0, 2) == "*.") {
            return add_suffix(entry, at, result);
        }
        if (const size_t star = entry.find('*'); star != std::string_view::npos) {
            return fail(
                result, "entry " + quoted(entry) + " has \"*\" in the wrong place",
                "\"*\" is either the whole entry (any host) or the first label, as in \"*.example.com\".",
                at + star);
        }
        if (entry.find('/') != std::string_view::npos) {
            return add_block(entry, at, result);
        }
        if (const auto address = parse_ip_address(bare_address(entry));
            address && entry.find('%') == std::string_view::npos) {
            add_network(CidrBlock{*address, address->bit_count()});
            return true;
        }
        return add_name(entry, at, result);
    }

    bool add_suffix(std::string_view entry, size_t at, AllowlistParseResult& result) {
        const std::string_view domain = entry.substr(2);
        if (const size_t star = domain.find('*'); star != std::string_view::npos) {
            return fail(result, "entry " + quoted(entry) + " has more than one \"*\"",
                        "Only the first label may be \"*\", as in \"*.example.com\".", at + 2 + star);
        }
        HostNameError name_error;
        if (!check_host_name(domain, &name_error)) {
            return fail(result, "entry " + quoted(entry) + ": " + name_error.message, name_error.hint,
                        at + 2 + name_error.position);
        }
        if (looks_like_legacy_ipv4(domain)) {
            return fail(result, "entry " + quoted(entry) + " puts \"*\" in front of an address",
                        "Use a CIDR block for address ranges, e.g. \"10.0.0.0/8\".", at);
        }
        list_.suffixes_.push_back("." + normalize_host_name(domain));
        return true;
    }

    bool add_block(std::string_view entry, size_t at, AllowlistParseResult& result) {
        const size_t slash = entry.find('/');
        const std::string_view address_text = bare_address(entry.substr(0, slash));
        const std::string_view prefix_text = entry.substr(slash + 1);
        const auto address = parse_ip_address(address_text);
        if (!address) {
            return fail(result, "entry " + quoted(entry) + " is not a valid CIDR block",
                        "Write an address, \"/\" and a prefix length, e.g. \"10.0.0.0/8\" or \"fd00::/8\".",
                        at);
        }
        const bool digits =
            !prefix_text.empty() && prefix_text.size() <= 3 &&
            std::all_of(prefix_text.begin(), prefix_text.end(), [](char c) { return c >= '0' && c <= '9'; });
        int bits = digits ? std::stoi(std::string(prefix_text)) : -1;
        // "::ffff:10.0.0.0/104" was read as IPv4: its prefix counts from bit 96.
        const bool mapped = !address->v6 && address_text.find(':') != std::string_view::npos;
        if (mapped && bits >= 96) {
            bits -= 96;
        }
        if (bits < 0 || bits > address->bit_count()) {
            return fail(result, "entry " + quoted(entry) + " has an invalid prefix length",
                        address->v6 ? "IPv6 prefix lengths go from 0 to 128."
                                    : "IPv4 prefix lengths go from 0 to 32.",
                        at + slash + 1);
        }
        const IpAddress network = network_of(*address, bits);
        if (!(network == *address)) {
            return fail(result, "entry " + quoted(entry) + " has address bits set after the prefix",
                        "Did you mean \"" + to_string(network) + "/" + std::to_string(bits) + "\"?", at);
        }
        add_network(CidrBlock{network, bits});
        return true;
    }

    // An entry written in an IPv6 form that carries IPv4 addresses (NAT64,
    // 6to4, ...) stands for those IPv4 addresses: addresses in such forms
    // are judged by the IPv4 address they carry.
    void add_network(const CidrBlock& block) {
        const std::optional<CidrBlock> v4 = embedded_ipv4_block(block);
        list_.blocks_.push_back(v4 ? *v4 : block);
    }

    bool add_name(std::string_view entry, size_t at, AllowlistParseResult& result) {
        if (const size_t colon = entry.find(':'); colon != std::string_view::npos) {
            return fail(result, "entry " + quoted(entry) + " is not a host name or address",
                        "Entries have no port: write \"api.example.com\", not \"api.example.com:8080\".",
                        at + colon);
        }
        HostNameError name_error;
        if (!check_host_name(entry, &name_error)) {
            return fail(result, "entry " + quoted(entry) + ": " + name_error.message, name_error.hint,
                        at + name_error.position);
        }
        if (looks_like_legacy_ipv4(entry)) {
            return fail(result, "entry " + quoted(entry) + " is not a valid address",
                        "Write IPv4 addresses as four decimal numbers, e.g. \"10.0.0.1\".", at);
        }
        list_.names_.push_back(normalize_host_name(entry));
        return true;
    }
};

AllowlistParseResult HostAllowlist::parse(std::string_view text) {
    return AllowlistParser(text).run();
}

bool HostAllowlist::in_blocks(const IpAddress& address) const {
    return std::any_of(blocks_.begin(), blocks_.end(),
                       [&](const CidrBlock& block) { return block.contains(address); });
}

bool HostAllowlist::matches_name_exactly(const std::string& name) const {
    return std::find(names_.begin(), names_.end(), name) != names_.end();
}

bool HostAllowlist::matches_name_pattern(const std::string& name) const {
    if (any_name_) {
        return true;
    }
    return std::any_of(suffixes_.begin(), suffixes_.end(), [&](const std::string& suffix) {
        return name.size() > suffix.size() &&
               name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    });
}

HostVerdict HostAllowlist::check_address(const std::string& host, const IpAddress& given,
                                         bool host_is_address) const {
    // An IPv6 address carrying an IPv4 address is judged as that address.
    const std::optional<EmbeddedIpv4> embedded = embedded_ipv4(given);
    const IpAddress& address = embedded ? embedded->address : given;
    HostVerdict verdict;
    if (in_blocks(address) || (!host_is_address && matches_name_exactly(host))) {
        verdict.allowed = true;
        return verdict;
    }
    const std::string shown = to_string(address);
    const std::string given_text =
        embedded ? to_string(given) + " (" + std::string(embedded->form) + " for " + shown + ")" : shown;
    const std::string subject = host_is_address
                                    ? "address " + given_text
                                    : "host " + quoted(host) + " resolved to " + given_text + ", which";
    if (const std::optional<SpecialAddress> special = special_address(address)) {
        verdict.message = subject + " is " + std::string(special->what);
        verdict.hint = "To call it anyway, a superuser must list it explicitly in " + std::string(kSetting) +
                       ", e.g. " + quoted(shown) + "; \"*\" does not cover " + std::string(special->plural) +
                       ".";
        return verdict;
    }
    if (matches_name_pattern(host)) {
        verdict.allowed = true;
        return verdict;
    }
    verdict.message = subject + " is not allowed by " + std::string(kSetting);
    verdict.hint = "Ask a superuser to add " + quoted(host_is_address ? shown : host) + " to " +
                   std::string(kSetting) + ".";
    return verdict;
}

HostVerdict HostAllowlist::check_host(std::string_view host) const {
    const std::string_view bare = bare_address(host);
    if (const auto address = parse_ip_address(bare)) {
        return check_address(std::string(bare), *address, true);
    }
    const std::string name = normalize_host_name(host);
    HostVerdict verdict;
    if (matches_name_exactly(name) || matches_name_pattern(name)) {
        verdict.allowed = true;
        return verdict;
    }
    if (!blocks_.empty()) {
        verdict.allowed = true;
        verdict.decided_at_run_time = true;
        return verdict;
    }
    verdict.message = "host " + quoted(name) + " is not allowed by " + std::string(kSetting);
    verdict.hint = "Ask a superuser to add " + quoted(name) + " to " + std::string(kSetting) + ".";
    return verdict;
}

HostVerdict HostAllowlist::check_connection(std::string_view host, std::string_view address) const {
    const auto parsed = parse_ip_address(bare_address(address));
    if (!parsed) {
        HostVerdict verdict;
        verdict.message = "could not read the address " + quoted(address) + " of host " + quoted(host);
        return verdict;
    }
    const std::string_view bare_host = bare_address(host);
    const bool host_is_address = parse_ip_address(bare_host).has_value();
    return check_address(host_is_address ? std::string(bare_host) : normalize_host_name(host), *parsed,
                         host_is_address);
}

}  // namespace pg_jobs::http
