// parse_smtp_url: the mail server URLs e-mail jobs accept, and the errors
// (with their positions) of those they refuse.
#include "core/smtp_url.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pg_jobs::mail {
namespace {

TEST(SmtpUrl, AcceptsSmtpAndSmtpsWithTheirDefaultPorts) {
    http::UrlParseResult result = parse_smtp_url("smtp://Mail.Example.com");
    ASSERT_TRUE(result.ok) << result.error.message;
    EXPECT_EQ(result.url.scheme, "smtp");
    EXPECT_EQ(result.url.host, "mail.example.com");
    EXPECT_EQ(result.url.port, 25);

    result = parse_smtp_url("SMTPS://mail.example.com/");
    ASSERT_TRUE(result.ok) << result.error.message;
    EXPECT_EQ(result.url.scheme, "smtps");
    EXPECT_EQ(result.url.port, 465);

    result = parse_smtp_url("smtp://127.0.0.1:2525");
    ASSERT_TRUE(result.ok) << result.error.message;
    EXPECT_EQ(result.url.port, 2525);
    EXPECT_TRUE(result.url.host_is_address);

    result = parse_smtp_url("smtp://[::1]:587");
    ASSERT_TRUE(result.ok) << result.error.message;
    EXPECT_EQ(result.url.host, "::1");
    EXPECT_EQ(result.url.port, 587);

    result = parse_smtp_url("smtp://mail.example.com:80");  // an explicit port is kept
    ASSERT_TRUE(result.ok) << result.error.message;
    EXPECT_EQ(result.url.port, 80);
}

TEST(SmtpUrl, RefusesOtherSchemes) {
    http::UrlParseResult result = parse_smtp_url("https://mail.example.com");
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.error.message, "URL scheme \"https\" is not supported for e-mail");
    EXPECT_NE(result.error.hint.find("smtps://"), std::string::npos);
    result = parse_smtp_url("mail.example.com");
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.error.message, "the mail server URL has no scheme");
}

TEST(SmtpUrl, RefusesALoginAPathOrABadHost) {
    http::UrlParseResult result = parse_smtp_url("smtp://user:pw@mail.example.com");
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.error.position, -1);  // no DETAIL echoing the URL
    EXPECT_NE(result.error.hint.find("{{secret:"), std::string::npos);
    // The message never quotes the login.
    EXPECT_EQ(result.error.message.find("pw"), std::string::npos);

    result = parse_smtp_url("smtp://mail.example.com/inbox");
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.error.message, "the mail server URL must not have a path or query");
    EXPECT_EQ(result.error.position, 23);

    result = parse_smtp_url("smtp://mail.example.com:99999");
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.error.message.rfind("invalid mail server URL: ", 0), 0u) << result.error.message;
    EXPECT_GE(result.error.position, 7);

    result = parse_smtp_url("smtp://");
    EXPECT_FALSE(result.ok);
}

}  // namespace
}  // namespace pg_jobs::mail
