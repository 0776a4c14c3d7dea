// The error text of an HTTP answer that is not 2xx (core/http_outcome.hpp).
#include "core/http_outcome.hpp"

#include <gtest/gtest.h>

namespace pg_jobs::http {
namespace {

TEST(FailedAnswerError, KeepsTheServersReasonPhraseAndTheStartOfTheBody) {
    EXPECT_EQ(failed_answer_error(503, "Down For Maintenance", "back at 02:00\n"),
              "HTTP 503 Down For Maintenance: back at 02:00");
}

TEST(FailedAnswerError, UsesTheStandardPhraseWhenTheAnswerHasNone) {
    // HTTP/2 answers carry no reason phrase.
    EXPECT_EQ(failed_answer_error(404, "", ""), "HTTP 404 Not Found");
    EXPECT_EQ(failed_answer_error(599, "", ""), "HTTP 599");
}

TEST(FailedAnswerError, PutsLineBreaksOfTheBodyOnOneLine) {
    EXPECT_EQ(failed_answer_error(500, "Internal Server Error", "line one\r\nline\ttwo \n"),
              "HTTP 500 Internal Server Error: line one  line two");
}

TEST(FailedAnswerError, SuggestsGetWhenTheMethodIsNotTaken) {
    for (const long status : {405L, 501L}) {
        const std::string error = failed_answer_error(status, "", "");
        EXPECT_NE(error.find("method => 'GET'"), std::string::npos) << error;
    }
    EXPECT_EQ(failed_answer_error(400, "", "").find("method =>"), std::string::npos);
}

}  // namespace
}  // namespace pg_jobs::http
