// The small rules of HTTP jobs: methods, headers (syntax and secret
// redaction), IP address parsing, and which outcomes are retried.
#include "core/http_headers.hpp"
#include "core/http_method.hpp"
#include "core/http_outcome.hpp"
#include "core/ip_address.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pg_jobs::http {
namespace {

TEST(HttpMethod, NormalizesKnownMethods) {
    EXPECT_EQ(normalize_http_method("post"), "POST");
    EXPECT_EQ(normalize_http_method("Get"), "GET");
    for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
        EXPECT_EQ(normalize_http_method(method), method);
    }
    for (const char* method : {"", "TRACE", "CONNECT", "FETCH", " GET", "GET ", "POSTS", "G\xc3\x89T"}) {
        EXPECT_EQ(normalize_http_method(method), std::nullopt) << method;
    }
    EXPECT_EQ(kHttpMethodList, "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS");
}

TEST(HttpHeaders, RedactsSecretLookingNames) {
    for (const char* name :
         {"Authorization", "authorization", "Proxy-Authorization", "Cookie", "SET-COOKIE", "X-Api-Key",
          "apikey", "X-Auth-Token", "token", "Client-Secret", "X-SECRET-VALUE", "Keycloak-Realm"}) {
        EXPECT_TRUE(is_secret_header(name)) << name;
        EXPECT_EQ(redact_header_value(name, "hunter2"), "***") << name;
    }
    for (const char* name : {"Content-Type", "Accept", "X-Request-Id", "Cookies-Policy-Url", "Tokn"}) {
        EXPECT_FALSE(is_secret_header(name)) << name;
    }
    // Over-redaction is the safe side: any "key" counts.
    EXPECT_TRUE(is_secret_header("Idempotency-Key"));
    EXPECT_EQ(redact_header_value("Content-Type", "application/json"), "application/json");
}

TEST(HttpHeaders, ChecksNamesAndValues) {
    EXPECT_EQ(check_header("X-Trace", "abc\tdef"), std::nullopt);
    EXPECT_EQ(check_header("Authorization", "Bearer x"), std::nullopt);
    EXPECT_EQ(check_header("X-Empty", ""), std::nullopt);

    std::optional<HeaderError> error = check_header("X-Trace", "a\r\nInjected: yes");
    ASSERT_TRUE(error);
    EXPECT_EQ(error->message,
              "header \"X-Trace\" has a control character (such as a line break) in its value");
    EXPECT_TRUE(check_header("X-Trace", std::string("a\0b", 3)));

    error = check_header("X Trace", "v");
    ASSERT_TRUE(error);
    EXPECT_EQ(error->message, "header name \"X Trace\" contains a character not allowed in header names");
    EXPECT_TRUE(check_header("X-Trace:", "v"));
    EXPECT_TRUE(
        check_header("X-Tr\xc3\xa4"
                     "ce",
                     "v"));
    EXPECT_EQ(check_header("", "v")->message, "header name is empty");

    for (const char* name : {"Host", "content-length", "Transfer-Encoding"}) {
        error = check_header(name, "1");
        ASSERT_TRUE(error) << name;
        EXPECT_EQ(error->message, "header \"" + std::string(name) + "\" cannot be set");
    }
}

TEST(IpAddress, ParsesStrictly) {
    EXPECT_EQ(to_string(*parse_ip_address("10.0.0.1")), "10.0.0.1");
    EXPECT_EQ(to_string(*parse_ip_address("2001:DB8::1")), "2001:db8::1");
    EXPECT_EQ(to_string(*parse_ip_address("::ffff:10.0.0.1")), "10.0.0.1");
    EXPECT_FALSE(parse_ip_address("::ffff:10.0.0.1")->v6);
    for (const char* text : {"", "10.0.0", "10.0.0.256", "0x0a000001", "2130706433", "010.0.0.1", "::1%lo",
                             "[::1]", "1:2:3:4:5:6:7:8:9", "10.0.0.1 "}) {
        EXPECT_FALSE(parse_ip_address(text)) << text;
    }
}

TEST(HttpOutcome, NamesEveryKind) {
    EXPECT_EQ(error_kind_name(ErrorKind::None), "none");
    EXPECT_EQ(error_kind_name(ErrorKind::ConnectRefused), "connect_refused");
    EXPECT_EQ(error_kind_name(ErrorKind::Dns), "dns");
    EXPECT_EQ(error_kind_name(ErrorKind::Tls), "tls");
    EXPECT_EQ(error_kind_name(ErrorKind::Timeout), "timeout");
    EXPECT_EQ(error_kind_name(ErrorKind::ConnectionLost), "connection_lost");
    EXPECT_EQ(error_kind_name(ErrorKind::RefusedByPolicy), "refused_by_policy");
    EXPECT_EQ(error_kind_name(ErrorKind::InvalidRequest), "invalid_request");
    EXPECT_EQ(error_kind_name(ErrorKind::Aborted), "aborted");
    EXPECT_EQ(error_kind_name(ErrorKind::Other), "other");
}

TEST(HttpOutcome, RetriesServerTroubleNotClientMistakes) {
    for (const long status : {500L, 502L, 503L, 504L, 599L, 408L, 429L}) {
        EXPECT_TRUE(is_retryable(ErrorKind::None, status)) << status;
    }
    for (const long status : {200L, 204L, 301L, 302L, 400L, 401L, 403L, 404L, 409L, 422L, 0L}) {
        EXPECT_FALSE(is_retryable(ErrorKind::None, status)) << status;
    }
    for (const ErrorKind kind :
         {ErrorKind::ConnectRefused, ErrorKind::Dns, ErrorKind::Timeout, ErrorKind::ConnectionLost}) {
        EXPECT_TRUE(is_retryable(kind, 0)) << error_kind_name(kind);
    }
    for (const ErrorKind kind : {ErrorKind::Tls, ErrorKind::RefusedByPolicy, ErrorKind::InvalidRequest,
                                 ErrorKind::Aborted, ErrorKind::Other}) {
        EXPECT_FALSE(is_retryable(kind, 0)) << error_kind_name(kind);
    }
    EXPECT_TRUE(is_success_status(200));
    EXPECT_TRUE(is_success_status(299));
    EXPECT_FALSE(is_success_status(300));
    EXPECT_FALSE(is_success_status(199));
}

}  // namespace
}  // namespace pg_jobs::http
