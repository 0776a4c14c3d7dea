// E-mail jobs: addresses, dates, encoded subjects and the composed message.
#include "core/mail_message.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace pg_jobs::mail;

TEST(MailAddresses, AcceptBareAddresses) {
    for (const char* address :
         {"ops@example.com", "a@b", "first.last+tag@sub.example.org", "x_y-z@127.0.0.1"}) {
        EXPECT_EQ(check_address(address), std::nullopt) << address;
    }
}

TEST(MailAddresses, RefuseWhatCouldInjectOrIsNotAnAddress) {
    for (const char* address : {"", "no-at-sign", "two@@example.com", "@example.com", "ops@",
                                "a b@example.com", "ops@example.com\r\nBcc: x@y", "Ops <ops@example.com>",
                                "a,b@example.com", "\"quoted\"@example.com"}) {
        const auto error = check_address(address);
        ASSERT_TRUE(error.has_value()) << address;
        EXPECT_FALSE(error->hint.empty());
    }
    EXPECT_TRUE(check_address(std::string(250, 'a') + "@b.cd").has_value());
}

TEST(MailAddresses, RecipientsCountAndEachChecked) {
    EXPECT_TRUE(check_recipients({}).has_value());
    EXPECT_EQ(check_recipients({"a@b", "c@d"}), std::nullopt);
    EXPECT_TRUE(check_recipients({"a@b", "bad"}).has_value());
    EXPECT_TRUE(check_recipients(std::vector<std::string>(101, "a@b")).has_value());
}

TEST(MailDates, Rfc5322InUtc) {
    EXPECT_EQ(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
    EXPECT_EQ(rfc5322_date(1796391900), "Fri, 04 Dec 2026 13:45:00 +0000");
    EXPECT_EQ(rfc5322_date(951782400), "Tue, 29 Feb 2000 00:00:00 +0000");
}

TEST(MailHeaders, PlainAsciiStaysEncodedWordsOtherwise) {
    EXPECT_EQ(encode_header_text("Nightly report"), "Nightly report");
    EXPECT_EQ(encode_header_text("caf\xc3\xa9"), "=?UTF-8?B?Y2Fmw6k=?=");
    // Long text: several words, each <= 75 characters, folded, no UTF-8 sequence cut.
    std::string long_text;
    for (int i = 0; i < 40; ++i) {
        long_text += "\xc3\xa9";
    }
    const std::string encoded = encode_header_text(long_text);
    size_t start = 0;
    int words = 0;
    while (start < encoded.size()) {
        size_t end = encoded.find("\r\n ", start);
        const std::string word =
            encoded.substr(start, end == std::string::npos ? std::string::npos : end - start);
        EXPECT_LE(word.size(), 75U) << word;
        EXPECT_EQ(word.rfind("=?UTF-8?B?", 0), 0U);
        ++words;
        start = end == std::string::npos ? encoded.size() : end + 3;
    }
    EXPECT_GE(words, 2);
    EXPECT_EQ(base64("\xc3\xa9\xc3\xa9\xc3\xa9"), "w6nDqcOp");
}

TEST(MailCompose, HeadersThenBodyWithCrlf) {
    const Message message{"pg_jobs@example.com",
                          {"ops@example.com", "dba@example.com"},
                          "Job failed\r\nBcc: x@y",
                          "line one\nline two\r\n.dot line"};
    const std::string text = compose(message, 1796391900, "42.7@pg_jobs");
    EXPECT_EQ(text,
              "Date: Fri, 04 Dec 2026 13:45:00 +0000\r\n"
              "From: pg_jobs@example.com\r\n"
              "To: ops@example.com, dba@example.com\r\n"
              "Subject: Job failed  Bcc: x@y\r\n"
              "Message-ID: <42.7@pg_jobs>\r\n"
              "MIME-Version: 1.0\r\n"
              "Content-Type: text/plain; charset=UTF-8\r\n"
              "Content-Transfer-Encoding: 8bit\r\n"
              "\r\n"
              "line one\r\nline two\r\n.dot line\r\n");
}

TEST(MailCompose, OverlongLinesGoInBase64) {
    const Message message{"a@b", {"c@d"}, "s", std::string(1200, 'x')};
    const std::string text = compose(message, 0, "id");
    EXPECT_NE(text.find("Content-Transfer-Encoding: base64\r\n"), std::string::npos);
    const size_t body = text.find("\r\n\r\n") + 4;
    size_t start = body;
    while (start < text.size()) {
        const size_t end = text.find("\r\n", start);
        ASSERT_NE(end, std::string::npos);
        EXPECT_LE(end - start, 76U);
        start = end + 2;
    }
}
