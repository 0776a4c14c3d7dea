// is_retryable_ending: which ended runs the retry trigger retries, for SQL
// and HTTP runs, decided from the row's status, SQLSTATE, HTTP status and
// stored HTTP error kind (never from the error message).
#include "core/retry_decision.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pg_jobs {
namespace {

EndedRun sql(RunStatus status, std::string_view sqlstate = "") {
    EndedRun ending;
    ending.kind = "sql";
    ending.status = status;
    ending.sqlstate = sqlstate;
    return ending;
}

EndedRun http_answer(long http_status, RunStatus status = RunStatus::Failed) {
    EndedRun ending;
    ending.kind = "http";
    ending.status = status;
    ending.http_status = http_status;
    ending.error_kind = http::ErrorKind::None;
    return ending;
}

EndedRun http_no_answer(http::ErrorKind kind, RunStatus status = RunStatus::Failed,
                        std::string_view sqlstate = "") {
    EndedRun ending;
    ending.kind = "http";
    ending.status = status;
    ending.error_kind = kind;
    ending.sqlstate = sqlstate;
    return ending;
}

TEST(RetryDecision, SqlFailuresTimeoutsAndCrashesAreRetried) {
    EXPECT_TRUE(is_retryable_ending(sql(RunStatus::Failed, "22012")));
    EXPECT_TRUE(is_retryable_ending(sql(RunStatus::Failed)));
    EXPECT_TRUE(is_retryable_ending(sql(RunStatus::TimedOut, "57014")));
    EXPECT_TRUE(is_retryable_ending(sql(RunStatus::Crashed)));
}

TEST(RetryDecision, OnlyShutdownCancellationsAreRetried) {
    EXPECT_TRUE(is_retryable_ending(sql(RunStatus::Cancelled, kShutdownSqlState)));
    EXPECT_TRUE(is_retryable_ending(http_no_answer(http::ErrorKind::Aborted, RunStatus::Cancelled, "57P01")));
    EXPECT_FALSE(is_retryable_ending(sql(RunStatus::Cancelled, "57014")));  // jobs.cancel
    EXPECT_FALSE(is_retryable_ending(sql(RunStatus::Cancelled)));           // jobs.unschedule
    EXPECT_FALSE(
        is_retryable_ending(http_no_answer(http::ErrorKind::Aborted, RunStatus::Cancelled, "57014")));
    EXPECT_FALSE(is_retryable_ending(sql(RunStatus::Cancelled, "57P0")));
    EXPECT_FALSE(is_retryable_ending(sql(RunStatus::Cancelled, "57P01 ")));
}

TEST(RetryDecision, OtherStatusesAreNeverRetried) {
    for (const RunStatus status :
         {RunStatus::Succeeded, RunStatus::Skipped, RunStatus::Queued, RunStatus::Running}) {
        EXPECT_FALSE(is_retryable_ending(sql(status, "57P01"))) << run_status_name(status);
        EXPECT_FALSE(is_retryable_ending(http_answer(503, status))) << run_status_name(status);
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
    EXPECT_TRUE(is_retryable_ending(http_no_answer(http::ErrorKind::Timeout, RunStatus::TimedOut)));
}

TEST(RetryDecision, HttpNetworkErrorsFollowTheirKind) {
    using http::ErrorKind;
    EXPECT_TRUE(is_retryable_ending(http_no_answer(ErrorKind::ConnectRefused)));
    EXPECT_TRUE(is_retryable_ending(http_no_answer(ErrorKind::Dns)));
    EXPECT_TRUE(is_retryable_ending(http_no_answer(ErrorKind::ConnectionLost)));
    EXPECT_TRUE(is_retryable_ending(http_no_answer(ErrorKind::Timeout)));
    EXPECT_FALSE(is_retryable_ending(http_no_answer(ErrorKind::Tls)));
    EXPECT_FALSE(is_retryable_ending(http_no_answer(ErrorKind::RefusedByPolicy)));
    EXPECT_FALSE(is_retryable_ending(http_no_answer(ErrorKind::InvalidRequest)));
    EXPECT_FALSE(is_retryable_ending(http_no_answer(ErrorKind::Aborted)));
    // No kind stored: the job no longer exists, or something libcurl does not classify.
    EXPECT_FALSE(is_retryable_ending(http_no_answer(ErrorKind::Other)));
}

EndedRun email(long smtp_reply, http::ErrorKind kind, RunStatus status = RunStatus::Failed) {
    EndedRun ending;
    ending.kind = "email";
    ending.status = status;
    ending.http_status = smtp_reply;
    ending.error_kind = kind;
    return ending;
}

TEST(RetryDecision, EmailTransientRefusalsAreRetriedPermanentOnesNot) {
    using http::ErrorKind;
    // RCPT TO answered 451 / 421: come back later.
    EXPECT_TRUE(is_retryable_ending(email(451, ErrorKind::ConnectionLost)));
    EXPECT_TRUE(is_retryable_ending(email(421, ErrorKind::Other)));
    // 550 user unknown, 554 refused: trying again only repeats it, whatever the libcurl error.
    EXPECT_FALSE(is_retryable_ending(email(550, ErrorKind::ConnectionLost)));
    EXPECT_FALSE(is_retryable_ending(email(554, ErrorKind::Other)));
    // A 5xx HTTP status would be retried: the kind decides the rule.
    EXPECT_TRUE(is_retryable_ending(http_answer(550)));
}

TEST(RetryDecision, EmailWithoutRefusalFollowsTheConnectionFailure) {
    using http::ErrorKind;
    EXPECT_TRUE(is_retryable_ending(email(0, ErrorKind::ConnectRefused)));
    EXPECT_TRUE(is_retryable_ending(email(0, ErrorKind::Dns)));
    EXPECT_TRUE(is_retryable_ending(email(250, ErrorKind::ConnectionLost)));  // lost after EHLO
    EXPECT_FALSE(is_retryable_ending(email(0, ErrorKind::Tls)));
    EXPECT_FALSE(is_retryable_ending(email(0, ErrorKind::RefusedByPolicy)));
    EXPECT_FALSE(is_retryable_ending(email(0, ErrorKind::InvalidRequest)));
    EXPECT_FALSE(is_retryable_ending(email(0, ErrorKind::Other)));
    EXPECT_TRUE(is_retryable_ending(email(0, ErrorKind::Timeout, RunStatus::TimedOut)));
    EXPECT_FALSE(is_retryable_ending(email(250, ErrorKind::None, RunStatus::Succeeded)));
}

TEST(RetryDecision, ErrorKindsParseBackFromTheirNames) {
    using http::ErrorKind;
    for (const ErrorKind kind : {ErrorKind::ConnectRefused, ErrorKind::Dns, ErrorKind::Tls,
                                 ErrorKind::Timeout, ErrorKind::ConnectionLost, ErrorKind::RefusedByPolicy,
                                 ErrorKind::InvalidRequest, ErrorKind::Aborted}) {
        EXPECT_EQ(parse_http_error_kind(http::error_kind_name(kind)), kind) << http::error_kind_name(kind);
    }
    // Exactly the name: a message that starts with one is not a kind.
    EXPECT_EQ(parse_http_error_kind("dns: Could not resolve host"), ErrorKind::Other);
    EXPECT_EQ(parse_http_error_kind("DNS"), ErrorKind::Other);
    EXPECT_EQ(parse_http_error_kind("none"), ErrorKind::Other);
    EXPECT_EQ(parse_http_error_kind(""), ErrorKind::Other);
}

}  // namespace
}  // namespace pg_jobs
