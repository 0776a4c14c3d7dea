// is_retryable_ending: which ended runs the retry trigger retries, for SQL
// and HTTP runs, and how HTTP error texts map back to their kind.
#include "core/retry_decision.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pg_jobs {
namespace {

RunEnding sql(std::string_view status, std::string_view error = "") {
    return RunEnding{"sql", status, 0, error};
}

RunEnding http_answer(long http_status, std::string_view status = "failed") {
    return RunEnding{"http", status, http_status, "HTTP error"};
}

RunEnding http_no_answer(std::string_view error, std::string_view status = "failed") {
    return RunEnding{"http", status, 0, error};
}

TEST(RetryDecision, SqlFailuresTimeoutsAndCrashesAreRetried) {
    EXPECT_TRUE(is_retryable_ending(sql("failed", "division by zero")));
    EXPECT_TRUE(is_retryable_ending(sql("timed_out", "canceling statement due to user request")));
    EXPECT_TRUE(is_retryable_ending(sql("crashed", "the worker process ended during the run")));
}

TEST(RetryDecision, OnlyShutdownCancellationsAreRetried) {
    EXPECT_TRUE(is_retryable_ending(sql("cancelled", "shutdown: the server stopped during the run")));
    EXPECT_TRUE(
        is_retryable_ending(http_no_answer("shutdown: the server stopped during the request", "cancelled")));
    EXPECT_FALSE(is_retryable_ending(sql("cancelled", "cancelled by alice")));
    EXPECT_FALSE(is_retryable_ending(sql("cancelled", "the job was unscheduled before this run started")));
    EXPECT_FALSE(is_retryable_ending(sql("cancelled")));
    // The prefix must come first, not merely appear.
    EXPECT_FALSE(is_retryable_ending(sql("cancelled", "cancelled by bob before the shutdown")));
}

TEST(RetryDecision, OtherStatusesAreNeverRetried) {
    for (const char* status : {"succeeded", "skipped", "queued", "running", "", "FAILED"}) {
        EXPECT_FALSE(is_retryable_ending(sql(status))) << status;
        EXPECT_FALSE(is_retryable_ending(http_answer(503, status))) << status;
    }
}

TEST(RetryDecision, HttpServerErrorsAndThrottlingAreRetried) {
    for (const long status : {500L, 502L, 503L, 504L, 599L, 408L, 429L}) {
        EXPECT_TRUE(is_retryable_ending(http_answer(status))) << status;
    }
}

TEST(RetryDecision, HttpClientErrorsAndRedirectsAreNotRetried) {
    for (const long status : {400L, 401L, 403L, 404L, 409L, 422L, 499L, 301L, 302L, 304L, 600L}) {
        EXPECT_FALSE(is_retryable_ending(http_answer(status))) << status;
    }
}

TEST(RetryDecision, HttpSuccessFalseIsAFailedJobAndRetried) {
    EXPECT_TRUE(is_retryable_ending(http_answer(200)));
    EXPECT_TRUE(is_retryable_ending(http_answer(204)));
}

TEST(RetryDecision, HttpTimeoutsAreRetried) {
    EXPECT_TRUE(is_retryable_ending(
        http_no_answer("the request did not complete within its timeout: Operation timed out", "timed_out")));
}

TEST(RetryDecision, HttpNetworkErrorsFollowTheirKind) {
    EXPECT_TRUE(is_retryable_ending(http_no_answer("connect_refused: Couldn't connect to server")));
    EXPECT_TRUE(is_retryable_ending(http_no_answer("dns: Could not resolve host: nowhere.invalid")));
    EXPECT_TRUE(is_retryable_ending(http_no_answer("connection_lost: Empty reply from server")));
    EXPECT_TRUE(is_retryable_ending(http_no_answer("timeout: Operation timed out")));
    EXPECT_FALSE(is_retryable_ending(http_no_answer("tls: SSL certificate problem")));
    EXPECT_FALSE(is_retryable_ending(http_no_answer("refused_by_policy: 169.254.169.254 is not allowed")));
    EXPECT_FALSE(is_retryable_ending(http_no_answer("invalid_request: bad header")));
    EXPECT_FALSE(is_retryable_ending(http_no_answer("aborted: cancelled")));
    EXPECT_FALSE(is_retryable_ending(http_no_answer("other: something odd")));
    EXPECT_FALSE(
        is_retryable_ending(http_no_answer("the job no longer exists, or is no longer an HTTP job")));
    EXPECT_FALSE(is_retryable_ending(http_no_answer("")));
}

TEST(RetryDecision, ErrorKindsParseBackFromTheirNames) {
    using http::ErrorKind;
    for (const ErrorKind kind : {ErrorKind::ConnectRefused, ErrorKind::Dns, ErrorKind::Tls,
                                 ErrorKind::Timeout, ErrorKind::ConnectionLost, ErrorKind::RefusedByPolicy,
                                 ErrorKind::InvalidRequest, ErrorKind::Aborted}) {
        const std::string text = std::string(http::error_kind_name(kind)) + ": details";
        EXPECT_EQ(http_error_kind_of(text), kind) << text;
    }
    EXPECT_EQ(http_error_kind_of("dns"), ErrorKind::Other);  // no colon: not a kind prefix
    EXPECT_EQ(http_error_kind_of("DNS: upper case"), ErrorKind::Other);
    EXPECT_EQ(http_error_kind_of("none: x"), ErrorKind::Other);
    EXPECT_EQ(http_error_kind_of(": x"), ErrorKind::Other);
}

}  // namespace
}  // namespace pg_jobs
