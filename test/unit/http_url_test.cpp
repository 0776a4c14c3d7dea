// parse_http_url: what it accepts (and how it normalizes), and the message,
// position and hint of each mistake it refuses.
#include "core/http_url.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pg_jobs::http {
namespace {

HttpUrl parse_ok(std::string_view text) {
    const UrlParseResult result = parse_http_url(text);
    EXPECT_TRUE(result.ok) << text << ": " << result.error.message;
    return result.url;
}

UrlError parse_error(std::string_view text) {
    const UrlParseResult result = parse_http_url(text);
    EXPECT_FALSE(result.ok) << text;
    return result.error;
}

TEST(HttpUrl, SplitsAndNormalizes) {
    HttpUrl url = parse_ok("https://API.Example.com/hooks/nightly?x=1#top");
    EXPECT_EQ(url.scheme, "https");
    EXPECT_EQ(url.host, "api.example.com");
    EXPECT_FALSE(url.host_is_address);
    EXPECT_EQ(url.port, 443);
    EXPECT_EQ(url.path, "/hooks/nightly?x=1");  // the fragment is never sent

    url = parse_ok("HTTP://localhost:8080");
    EXPECT_EQ(url.scheme, "http");
    EXPECT_EQ(url.host, "localhost");
    EXPECT_EQ(url.port, 8080);
    EXPECT_EQ(url.path, "");

    url = parse_ok("http://example.com.:/x");  // trailing dot, empty port
    EXPECT_EQ(url.host, "example.com");
    EXPECT_EQ(url.port, 80);

    url = parse_ok("http://internal_service-2?q");
    EXPECT_EQ(url.host, "internal_service-2");
    EXPECT_EQ(url.path, "?q");
}

TEST(HttpUrl, AcceptsAddresses) {
    HttpUrl url = parse_ok("http://10.0.0.1:9000/a");
    EXPECT_EQ(url.host, "10.0.0.1");
    EXPECT_TRUE(url.host_is_address);
    url = parse_ok("http://[::1]:8080/");
    EXPECT_EQ(url.host, "::1");
    EXPECT_TRUE(url.host_is_address);
    EXPECT_EQ(url.port, 8080);
    EXPECT_EQ(parse_ok("https://[2001:DB8:0:0::1]/").host, "2001:db8::1");
    EXPECT_EQ(parse_ok("http://[::ffff:10.0.0.1]/").host, "10.0.0.1");  // what it really connects to
}

TEST(HttpUrl, ExplainsSchemeMistakes) {
    UrlError error = parse_error("ftp://example.com/file");
    EXPECT_EQ(error.message, "URL scheme \"ftp\" is not supported");
    EXPECT_EQ(error.hint, "Only http and https URLs can be called.");
    EXPECT_EQ(error.position, 0);

    for (const char* text : {"example.com/hook", "localhost:8080/x", "//example.com", ":x", "/path"}) {
        error = parse_error(text);
        EXPECT_EQ(error.message, "URL has no scheme") << text;
        EXPECT_EQ(error.hint, "Start it with \"https://\" or \"http://\".");
        EXPECT_EQ(error.position, 0);
    }

    error = parse_error("https:/example.com");
    EXPECT_EQ(error.message, "expected \"//\" after \"https:\"");
    EXPECT_EQ(error.position, 6);
}

TEST(HttpUrl, ExplainsHostMistakes) {
    UrlError error = parse_error("https://");
    EXPECT_EQ(error.message, "URL has no host");
    EXPECT_EQ(error.position, 8);
    EXPECT_EQ(parse_error("http:///path").message, "URL has no host");
    EXPECT_EQ(parse_error("http://:8080/").message, "URL has no host");

    error = parse_error("https://user:secret@example.com/");
    EXPECT_EQ(error.message, "URL contains credentials (\"user:password@\")");
    EXPECT_NE(error.hint.find("Authorization"), std::string::npos);

    error = parse_error("http://exa%6dple.com/");
    EXPECT_EQ(error.message, "URL host name contains \"%\"");
    EXPECT_EQ(error.position, 10);

    error = parse_error("http://a..b/");
    EXPECT_NE(error.message.find("empty label"), std::string::npos) << error.message;
    EXPECT_EQ(error.position, 9);

    EXPECT_NE(parse_error("http://" + std::string(64, 'a') + ".com/").message.find("longer than 63"),
              std::string::npos);
    EXPECT_EQ(parse_error("http://example.com\\@evil.com/").message,
              "URL contains credentials (\"user:password@\")");
    EXPECT_EQ(parse_error("http://example.com\\evil/").message, "URL host contains \"\\\"");
}

TEST(HttpUrl, RefusesLegacyNumericHosts) {
    // Resolvers read these as 169.254.169.254, 127.0.0.1, 10.0.0.1 and 8.8.8.8.
    for (const char* text :
         {"http://2852039166/", "http://0x7f.1/", "http://010.0.0.1/", "http://8.8.2056/"}) {
        const UrlError error = parse_error(text);
        EXPECT_NE(error.message.find("is not a valid IPv4 address"), std::string::npos)
            << text << ": " << error.message;
        EXPECT_EQ(error.position, 7);
        EXPECT_NE(error.hint.find("four decimal numbers"), std::string::npos);
    }
    EXPECT_TRUE(parse_http_url("http://1password.com/").ok);  // digits elsewhere are fine
    EXPECT_TRUE(parse_http_url("http://10.0.0.1.nip.io/").ok);
}

TEST(HttpUrl, ExplainsBadIpv6AndPorts) {
    UrlError error = parse_error("http://[::1/");
    EXPECT_EQ(error.message, "URL host starts with \"[\" but has no \"]\"");
    error = parse_error("http://[fe80::1%25eth0]/");
    EXPECT_EQ(error.message, "URL host \"[fe80::1%25eth0]\" is not a valid IPv6 address");
    EXPECT_EQ(error.position, 8);
    EXPECT_EQ(parse_error("http://[::1]x/").message, "unexpected text after the IPv6 address");

    for (const char* text : {"http://example.com:0/", "http://example.com:65536/", "http://example.com:80a/",
                             "http://example.com:-1/", "http://example.com:1234567/"}) {
        error = parse_error(text);
        EXPECT_NE(error.message.find("is not a number from 1 to 65535"), std::string::npos) << text;
        EXPECT_EQ(error.position, 19) << text;
    }
    EXPECT_EQ(parse_ok("http://example.com:65535/").port, 65535);
}

TEST(HttpUrl, PointsAtCharactersThatNeedEncoding) {
    UrlError error = parse_error("https://example.com/a b");
    EXPECT_EQ(error.message, "URL contains a space");
    EXPECT_EQ(error.hint, "Percent-encode it as %20.");
    EXPECT_EQ(error.position, 21);

    error = parse_error("https://example.com/\tx");
    EXPECT_EQ(error.message, "URL contains a control character");
    EXPECT_EQ(error.position, 20);

    error = parse_error("https://bücher.example/");
    EXPECT_EQ(error.message, "URL contains a non-ASCII character");
    EXPECT_EQ(error.position, 9);
    EXPECT_NE(error.hint.find("xn--"), std::string::npos);

    error = parse_error("");
    EXPECT_EQ(error.message, "URL is empty");
    EXPECT_EQ(parse_error("http://x/" + std::string(kMaxUrlLength, 'a')).message,
              "URL is longer than 8192 characters");
}

TEST(HttpUrl, NeverCrashesOnOddInput) {
    const std::string pieces[] = {"http", "https", ":", "/", "//", "[",   "]",   "@",  "?",
                                  "#",    "%",     ".", "1", "a",  ":80", "::1", "\\", "*"};
    // Every string of up to three pieces: parse_http_url must return, and
    // an error must have a position inside the text.
    for (const std::string& a : pieces) {
        for (const std::string& b : pieces) {
            for (const std::string& c : pieces) {
                const std::string text = a + b + c;
                const UrlParseResult result = parse_http_url(text);
                if (!result.ok) {
                    EXPECT_GE(result.error.position, 0) << text;
                    EXPECT_LE(result.error.position, static_cast<int>(text.size())) << text;
                    EXPECT_FALSE(result.error.message.empty()) << text;
                }
            }
        }
    }
}

}  // namespace
}  // namespace pg_jobs::http
