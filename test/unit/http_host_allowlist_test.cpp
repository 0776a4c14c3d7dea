// jobs.http_allowed_hosts: parsing (with error positions), the definition-
// time host check, the run-time address check, and the link-local rule.
#include "core/host_allowlist.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pg_jobs::http {
namespace {

HostAllowlist list_of(std::string_view text) {
    AllowlistParseResult result = HostAllowlist::parse(text);
    EXPECT_TRUE(result.ok) << text << ": " << result.error.message;
    return result.allowlist;
}

AllowlistError parse_error(std::string_view text) {
    const AllowlistParseResult result = HostAllowlist::parse(text);
    EXPECT_FALSE(result.ok) << text;
    return result.error;
}

bool host_allowed(std::string_view list, std::string_view host) {
    return list_of(list).check_host(host).allowed;
}

bool connection_allowed(std::string_view list, std::string_view host, std::string_view address) {
    return list_of(list).check_connection(host, address).allowed;
}

TEST(HostAllowlist, StarAllowsAnyNameAndAddressButLinkLocal) {
    const HostAllowlist any = list_of("*");
    EXPECT_TRUE(any.check_host("api.example.com").allowed);
    EXPECT_FALSE(any.check_host("api.example.com").decided_at_run_time);
    EXPECT_TRUE(any.check_host("10.0.0.1").allowed);
    EXPECT_TRUE(any.check_connection("api.example.com", "93.184.216.34").allowed);
    EXPECT_TRUE(any.check_connection("localhost", "127.0.0.1").allowed);
    EXPECT_TRUE(any.check_connection("localhost", "::1").allowed);

    for (const char* address : {"169.254.169.254", "169.254.0.1", "fe80::1", "febf::1",
                                "::ffff:169.254.169.254", "[fe80::1]", "fe80::1%eth0"}) {
        const HostVerdict verdict = any.check_connection("metadata.internal", address);
        EXPECT_FALSE(verdict.allowed) << address;
        EXPECT_NE(verdict.message.find("link-local"), std::string::npos) << verdict.message;
        EXPECT_NE(verdict.hint.find("\"*\" does not cover"), std::string::npos) << verdict.hint;
    }
    EXPECT_TRUE(any.check_connection("x", "fec0::1").allowed);        // just outside fe80::/10
    EXPECT_TRUE(any.check_connection("x", "169.255.0.1").allowed);    // just outside 169.254/16
    EXPECT_TRUE(any.check_connection("x", "fd00:ec2::253").allowed);  // only the metadata address itself

    const HostVerdict literal = any.check_host("169.254.169.254");
    EXPECT_FALSE(literal.allowed);
    EXPECT_EQ(literal.message,
              "address 169.254.169.254 is a link-local address (where cloud metadata services answer)");
    EXPECT_EQ(literal.hint,
              "To call it anyway, a superuser must list it explicitly in jobs.http_allowed_hosts, e.g. "
              "\"169.254.169.254\"; \"*\" does not cover link-local addresses.");
}

// Every IPv6 form that carries an IPv4 address is judged by that address:
// none of them reaches the metadata service, or gets past a list of IPv4
// blocks.
TEST(HostAllowlist, IPv6FormsAreJudgedByTheIPv4AddressTheyCarry) {
    const HostAllowlist any = list_of("*");
    for (const char* address : {
             "::169.254.169.254",                     // IPv4-compatible
             "::a9fe:a9fe",                           // the same, in hex
             "::ffff:0:169.254.169.254",              // IPv4-translated (SIIT)
             "64:ff9b::a9fe:a9fe",                    // NAT64
             "64:ff9b::169.254.169.254",              // the same, dotted
             "2002:a9fe:a9fe::",                      // 6to4
             "2002:a9fe:a9fe:1:2:3:4:5",              // 6to4, any subnet and host
             "2001:0:4136:e378:8000:63bf:5601:5601",  // Teredo, client 169.254.169.254 (inverted)
         }) {
        const HostVerdict verdict = any.check_connection("h", address);
        EXPECT_FALSE(verdict.allowed) << address;
        EXPECT_NE(verdict.message.find("for 169.254.169.254), which is a link-local address"),
                  std::string::npos)
            << address << ": " << verdict.message;
        EXPECT_FALSE(any.check_host(address).allowed) << address;
    }
    const HostVerdict nat64 = any.check_host("64:ff9b::a9fe:a9fe");
    EXPECT_EQ(nat64.message,
              "address 64:ff9b::a9fe:a9fe (NAT64 for 169.254.169.254) is a link-local address (where cloud "
              "metadata services answer)");
    EXPECT_EQ(nat64.hint,
              "To call it anyway, a superuser must list it explicitly in jobs.http_allowed_hosts, e.g. "
              "\"169.254.169.254\"; \"*\" does not cover link-local addresses.");
    EXPECT_NE(any.check_host("::169.254.169.254").message.find("(IPv4-compatible for 169.254.169.254)"),
              std::string::npos)
        << any.check_host("::169.254.169.254").message;
    EXPECT_NE(
        any.check_connection("svc", "2002:a9fe:a9fe::")
            .message.find("host \"svc\" resolved to 2002:a9fe:a9fe:: (6to4 for 169.254.169.254), which is"),
        std::string::npos)
        << any.check_connection("svc", "2002:a9fe:a9fe::").message;

    // Ordinary addresses in those forms pass "*".
    for (const char* address : {"::8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "::ffff:0:8.8.8.8"}) {
        EXPECT_TRUE(any.check_connection("h", address).allowed) << address;
    }
    // ::1 and :: are IPv6 themselves, not IPv4-compatible 0.0.0.1 and 0.0.0.0.
    EXPECT_TRUE(any.check_connection("localhost", "::1").allowed);
    EXPECT_TRUE(host_allowed("::1", "::1"));
    EXPECT_FALSE(host_allowed("0.0.0.1", "::1"));

    // A list of IPv4 blocks: the embedded address must be in one.
    const HostAllowlist v4 = list_of("10.0.0.0/8");
    EXPECT_TRUE(v4.check_host("64:ff9b::a00:1").allowed);
    EXPECT_TRUE(v4.check_host("::10.1.2.3").allowed);
    EXPECT_TRUE(v4.check_host("2002:a01:203::").allowed);
    EXPECT_FALSE(v4.check_host("64:ff9b::7f00:1").allowed);  // 127.0.0.1
    EXPECT_FALSE(v4.check_host("::127.0.0.1").allowed);
    EXPECT_FALSE(v4.check_host("2002:7f00:1::").allowed);
    EXPECT_EQ(v4.check_host("64:ff9b::7f00:1").message,
              "address 64:ff9b::7f00:1 (NAT64 for 127.0.0.1) is not allowed by jobs.http_allowed_hosts");
    EXPECT_EQ(v4.check_host("64:ff9b::7f00:1").hint,
              "Ask a superuser to add \"127.0.0.1\" to jobs.http_allowed_hosts.");

    // "All IPv6" does not reach IPv4 hosts through these forms.
    const HostAllowlist v6 = list_of("::/0");
    EXPECT_TRUE(v6.check_host("2001:db8::1").allowed);
    EXPECT_FALSE(v6.check_host("64:ff9b::a00:1").allowed);
    EXPECT_FALSE(v6.check_host("2002:a00:1::").allowed);
}

TEST(HostAllowlist, EntriesInEmbeddingFormsStandForTheirIPv4Addresses) {
    EXPECT_TRUE(host_allowed("64:ff9b::a00:0/104", "10.9.9.9"));
    EXPECT_TRUE(host_allowed("64:ff9b::a00:0/104", "64:ff9b::a09:909"));
    EXPECT_FALSE(host_allowed("64:ff9b::a00:0/104", "11.0.0.1"));
    EXPECT_TRUE(host_allowed("2002:a00::/24", "10.1.1.1"));
    EXPECT_TRUE(host_allowed("::10.0.0.0/104", "10.1.1.1"));
    EXPECT_TRUE(host_allowed("64:ff9b::a9fe:a9fe", "169.254.169.254"));  // explicit, in another form
    EXPECT_TRUE(host_allowed("169.254.169.254", "64:ff9b::a9fe:a9fe"));
    EXPECT_TRUE(host_allowed("169.254.169.254", "2002:a9fe:a9fe::1"));
}

TEST(HostAllowlist, OtherMetadataAddressesNeedAnExplicitEntry) {
    const HostAllowlist any = list_of("*");
    for (const char* address : {"100.100.100.200", "192.0.0.192", "168.63.129.16", "fd00:ec2::254",
                                "fd20:ce::254", "64:ff9b::6464:64c8", "2002:6464:64c8::"}) {
        const HostVerdict verdict = any.check_connection("metadata", address);
        EXPECT_FALSE(verdict.allowed) << address;
        EXPECT_NE(verdict.message.find("is a cloud metadata service address"), std::string::npos)
            << verdict.message;
        EXPECT_NE(verdict.hint.find("\"*\" does not cover cloud metadata service addresses"),
                  std::string::npos)
            << verdict.hint;
    }
    EXPECT_TRUE(any.check_connection("x", "100.100.100.201").allowed);
    EXPECT_TRUE(any.check_connection("x", "fd00:ec2::253").allowed);
    EXPECT_TRUE(connection_allowed("100.100.100.200", "metadata", "100.100.100.200"));
    EXPECT_TRUE(connection_allowed("fd00:ec2::254", "metadata", "fd00:ec2::254"));
    EXPECT_TRUE(connection_allowed("100.100.100.200", "metadata", "64:ff9b::6464:64c8"));

    // Local-use NAT64: where the IPv4 address sits depends on the translator.
    const HostVerdict local = any.check_host("64:ff9b:1:a9fe:a9:fe00::");
    EXPECT_FALSE(local.allowed);
    EXPECT_NE(local.message.find("local-use NAT64"), std::string::npos) << local.message;
    EXPECT_TRUE(host_allowed("64:ff9b:1::/48", "64:ff9b:1:a00:1::"));
}

TEST(IpAddress, FindsTheEmbeddedIPv4Address) {
    const auto embedded = [](const char* text) -> std::string {
        const auto found = embedded_ipv4(*parse_ip_address(text));
        return found ? std::string(found->form) + " " + to_string(found->address) : "-";
    };
    EXPECT_EQ(embedded("::169.254.169.254"), "IPv4-compatible 169.254.169.254");
    EXPECT_EQ(embedded("::ffff:0:10.0.0.1"), "IPv4-translated 10.0.0.1");
    EXPECT_EQ(embedded("64:ff9b::a9fe:a9fe"), "NAT64 169.254.169.254");
    EXPECT_EQ(embedded("2002:c000:0201::"), "6to4 192.0.2.1");
    EXPECT_EQ(embedded("2001:0:4136:e378:8000:63bf:3fff:fdd2"), "Teredo 192.0.2.45");  // RFC 4380's example
    EXPECT_EQ(embedded("::1"), "-");
    EXPECT_EQ(embedded("::"), "-");
    EXPECT_EQ(embedded("2001:db8::1"), "-");
    EXPECT_EQ(embedded("64:ff9b:1::1"), "-");
    EXPECT_FALSE(embedded_ipv4(*parse_ip_address("10.0.0.1")));
}

TEST(HostAllowlist, LinkLocalNeedsAnExplicitEntry) {
    EXPECT_TRUE(connection_allowed("169.254.169.254", "metadata", "169.254.169.254"));
    EXPECT_TRUE(connection_allowed("169.254.0.0/16", "metadata", "169.254.169.254"));
    EXPECT_TRUE(connection_allowed("fe80::/10", "router", "fe80::1"));
    EXPECT_TRUE(
        connection_allowed("metadata.google.internal", "metadata.google.internal", "169.254.169.254"));
    EXPECT_FALSE(connection_allowed("*.google.internal", "metadata.google.internal", "169.254.169.254"));
    EXPECT_FALSE(connection_allowed("*, 169.254.169.253", "metadata", "169.254.169.254"));
    EXPECT_TRUE(host_allowed("169.254.169.254", "169.254.169.254"));
}

TEST(HostAllowlist, NameEntries) {
    const HostAllowlist list = list_of(" api.example.com , *.hooks.example.org,Internal-Svc. ");
    EXPECT_TRUE(list.check_host("api.example.com").allowed);
    EXPECT_TRUE(list.check_host("API.EXAMPLE.COM.").allowed);
    EXPECT_FALSE(list.check_host("example.com").allowed);
    EXPECT_FALSE(list.check_host("www.api.example.com").allowed);  // exact means exact
    EXPECT_TRUE(list.check_host("a.hooks.example.org").allowed);
    EXPECT_TRUE(list.check_host("a.b.hooks.example.org").allowed);
    EXPECT_FALSE(list.check_host("hooks.example.org").allowed);  // "*." needs a label
    EXPECT_FALSE(list.check_host("evilhooks.example.org").allowed);
    EXPECT_TRUE(list.check_host("internal-svc").allowed);

    const HostVerdict refused = list.check_host("evil.example.net");
    EXPECT_FALSE(refused.allowed);
    EXPECT_FALSE(refused.decided_at_run_time);
    EXPECT_EQ(refused.message, "host \"evil.example.net\" is not allowed by jobs.http_allowed_hosts");
    EXPECT_EQ(refused.hint, "Ask a superuser to add \"evil.example.net\" to jobs.http_allowed_hosts.");

    // At run time a matching name may connect wherever it resolves to
    // (except link-local); an address alone does not make a name match.
    EXPECT_TRUE(list.check_connection("api.example.com", "10.9.8.7").allowed);
    const HostVerdict run_time = list.check_connection("evil.example.net", "10.9.8.7");
    EXPECT_FALSE(run_time.allowed);
    EXPECT_EQ(
        run_time.message,
        "host \"evil.example.net\" resolved to 10.9.8.7, which is not allowed by jobs.http_allowed_hosts");
}

TEST(HostAllowlist, AddressEntries) {
    const HostAllowlist list =
        list_of("10.0.0.0/8, 192.168.1.10, ::1, [2001:db8::]/32, ::ffff:172.16.0.0/108");
    EXPECT_TRUE(list.check_host("10.200.3.4").allowed);
    EXPECT_FALSE(list.check_host("11.0.0.1").allowed);
    EXPECT_TRUE(list.check_host("192.168.1.10").allowed);
    EXPECT_FALSE(list.check_host("192.168.1.11").allowed);
    EXPECT_TRUE(list.check_host("::1").allowed);
    EXPECT_TRUE(list.check_host("[::1]").allowed);
    EXPECT_TRUE(list.check_host("2001:db8:1::5").allowed);
    EXPECT_FALSE(list.check_host("2001:db9::5").allowed);
    EXPECT_TRUE(list.check_host("172.16.5.5").allowed);       // the mapped block is read as 172.16.0.0/12
    EXPECT_TRUE(list.check_host("::ffff:10.1.1.1").allowed);  // a mapped address is its IPv4 address
    EXPECT_FALSE(list.check_host("127.0.0.1").allowed);

    // A name is accepted at definition time, to be decided once resolved.
    const HostVerdict pending = list.check_host("svc.internal");
    EXPECT_TRUE(pending.allowed);
    EXPECT_TRUE(pending.decided_at_run_time);
    EXPECT_TRUE(list.check_connection("svc.internal", "10.1.2.3").allowed);
    EXPECT_FALSE(list.check_connection("svc.internal", "127.0.0.1").allowed);
    EXPECT_FALSE(list.check_connection("localhost", "127.0.0.1").allowed);

    const HostVerdict refused = list.check_connection("127.0.0.1", "127.0.0.1");
    EXPECT_EQ(refused.message, "address 127.0.0.1 is not allowed by jobs.http_allowed_hosts");
    EXPECT_EQ(refused.hint, "Ask a superuser to add \"127.0.0.1\" to jobs.http_allowed_hosts.");
}

TEST(HostAllowlist, EmptyAllowsNothing) {
    for (const char* text : {"", "  "}) {
        const HostAllowlist list = list_of(text);
        EXPECT_TRUE(list.empty());
        EXPECT_FALSE(list.check_host("localhost").allowed);
        EXPECT_FALSE(list.check_host("127.0.0.1").allowed);
        EXPECT_FALSE(list.check_connection("localhost", "127.0.0.1").allowed);
    }
    EXPECT_FALSE(list_of("*").empty());
}

TEST(HostAllowlist, UnreadableAddressIsRefused) {
    const HostVerdict verdict = list_of("*").check_connection("x", "not-an-address");
    EXPECT_FALSE(verdict.allowed);
    EXPECT_EQ(verdict.message, "could not read the address \"not-an-address\" of host \"x\"");
}

TEST(HostAllowlist, ExplainsBadEntries) {
    AllowlistError error = parse_error("a.com,,b.com");
    EXPECT_EQ(error.message, "jobs.http_allowed_hosts has an empty entry");
    EXPECT_EQ(error.position, 6);
    EXPECT_EQ(parse_error("a.com,").position, 6);

    error = parse_error("api.example.com, foo*.example.com");
    EXPECT_EQ(error.message, "entry \"foo*.example.com\" has \"*\" in the wrong place");
    EXPECT_EQ(error.position, 20);
    EXPECT_EQ(parse_error("*.*.example.com").message, "entry \"*.*.example.com\" has more than one \"*\"");
    EXPECT_EQ(parse_error("*.").message, "entry \"*.\" has \"*\" in the wrong place");

    error = parse_error("https://api.example.com/");
    EXPECT_EQ(error.message, "entry \"https://api.example.com/\" is a URL, not a host");

    error = parse_error("api.example.com:8443");
    EXPECT_EQ(error.message, "entry \"api.example.com:8443\" is not a host name or address");
    EXPECT_NE(error.hint.find("no port"), std::string::npos);
    EXPECT_EQ(error.position, 15);

    error = parse_error("10.0.0.1/8");
    EXPECT_EQ(error.message, "entry \"10.0.0.1/8\" has address bits set after the prefix");
    EXPECT_EQ(error.hint, "Did you mean \"10.0.0.0/8\"?");
    EXPECT_EQ(parse_error("fe80::1/10").hint, "Did you mean \"fe80::/10\"?");

    error = parse_error("x.com, 10.0.0.0/33");
    EXPECT_EQ(error.message, "entry \"10.0.0.0/33\" has an invalid prefix length");
    EXPECT_EQ(error.position, 16);
    EXPECT_EQ(parse_error("::/129").hint, "IPv6 prefix lengths go from 0 to 128.");
    EXPECT_EQ(parse_error("10.0.0.0/").message, "entry \"10.0.0.0/\" has an invalid prefix length");
    EXPECT_EQ(parse_error("10.0.0/8").message, "entry \"10.0.0/8\" is not a valid CIDR block");

    error = parse_error("exa mple.com");
    EXPECT_EQ(error.message, "entry \"exa mple.com\": host name contains \" \"");
    EXPECT_EQ(error.position, 3);
    EXPECT_EQ(parse_error("2130706433").message, "entry \"2130706433\" is not a valid address");
    EXPECT_EQ(parse_error("*.10.0.0.1").message, "entry \"*.10.0.0.1\" puts \"*\" in front of an address");
    EXPECT_EQ(parse_error("fe80::1%eth0").message, "entry \"fe80::1%eth0\" is not a host name or address");
}

TEST(HostAllowlist, AcceptsEveryPrefixLength) {
    for (int bits = 0; bits <= 32; ++bits) {
        EXPECT_TRUE(HostAllowlist::parse("0.0.0.0/" + std::to_string(bits)).ok) << bits;
    }
    EXPECT_TRUE(list_of("0.0.0.0/0").check_host("8.8.8.8").allowed);
    EXPECT_FALSE(list_of("0.0.0.0/0").check_host("::1").allowed);  // families never mix
    EXPECT_TRUE(list_of("::/0").check_host("::1").allowed);
    EXPECT_TRUE(list_of("10.1.2.3/32").check_host("10.1.2.3").allowed);
    EXPECT_FALSE(list_of("10.1.2.3/32").check_host("10.1.2.4").allowed);
    EXPECT_TRUE(list_of("10.1.2.0/23").check_host("10.1.3.255").allowed);
    EXPECT_FALSE(list_of("10.1.2.0/23").check_host("10.1.4.0").allowed);
}

}  // namespace
}  // namespace pg_jobs::http
