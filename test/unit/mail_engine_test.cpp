// E-mail through the HTTP engine (Request::mail) against
// test/lib/smtp_test_server.py on loopback: the message arrives as composed
// with its envelope, SMTP refusals come back with their reply code, a login
// is never sent over a connection without TLS, and the connection policy
// applies to mail servers as to web servers.
#include "core/mail_message.hpp"
#include "http/engine.hpp"
#include "http_server_process.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace pg_jobs::http {
namespace {

using testing::ServerProcess;

constexpr std::chrono::milliseconds kPatience{30000};

// A temporary directory for the server's recorded messages.
class RecordDir {
public:
    RecordDir() {
        char pattern[] = "/tmp/pg_jobs.smtp_test.XXXXXX";
        const char* made = mkdtemp(pattern);
        if (made == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = made;
    }
    ~RecordDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    RecordDir(const RecordDir&) = delete;
    RecordDir& operator=(const RecordDir&) = delete;
    const std::string& path() const { return path_; }

    // The n-th recorded message's JSON, "" when there is none.
    std::string message(int n) const {
        std::ifstream in(path_ + "/" + std::to_string(n) + ".json");
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

private:
    std::string path_;
};

class MailEngine : public ::testing::Test {
protected:
    RecordDir records;
    ServerProcess server{"the SMTP test server",
                         {PG_JOBS_SMTP_TEST_SERVER, "--port", "0", "--record-dir", records.path()}};

    Request mail(int64_t id, std::vector<std::string> to, std::string body = "Subject: s\r\n\r\nhello\r\n") {
        Request request;
        request.id = id;
        request.url = "smtp://127.0.0.1:" + std::to_string(server.port());
        request.body = std::move(body);
        request.mail = MailEnvelope{"pg_jobs@example.com", std::move(to), "", ""};
        request.timeout_ms = 20000;
        return request;
    }
};

Result run_one(Request request, EngineOptions options = {}) {
    Engine engine(std::move(options));
    EXPECT_TRUE(engine.submit(std::move(request)));
    EXPECT_EQ(engine.run_until_idle(kPatience), 0u);
    std::vector<Result> results = engine.take_results();
    EXPECT_EQ(results.size(), 1u);
    return results.empty() ? Result{} : results.front();
}

TEST_F(MailEngine, DeliversTheComposedMessageToEveryRecipient) {
    const std::string message = mail::compose(
        {"pg_jobs@example.com", {"ops@example.com", "dba@example.com"}, "Job failed", "line\n.dot\nend"}, 0,
        "1.1@pg_jobs");
    const Result result = run_one(mail(1, {"ops@example.com", "dba@example.com"}, message));
    EXPECT_EQ(result.error, ErrorKind::None) << result.error_message;
    EXPECT_EQ(result.http_status, 250);
    const std::string recorded = records.message(1);
    EXPECT_NE(recorded.find(R"("mail_from": "pg_jobs@example.com")"), std::string::npos) << recorded;
    EXPECT_NE(recorded.find(R"("rcpt_tos": ["ops@example.com", "dba@example.com"])"), std::string::npos)
        << recorded;
    EXPECT_NE(recorded.find(R"(Subject: Job failed\r\n)"), std::string::npos) << recorded;
    // The line that starts with a dot arrives as written (libcurl stuffs it, the server unstuffs it).
    EXPECT_NE(recorded.find(R"(line\r\n.dot\r\nend\r\n)"), std::string::npos) << recorded;
}

TEST_F(MailEngine, RefusedRecipientsComeBackWithTheReplyCode) {
    const Result temporary = run_one(mail(1, {"tempfail@example.com"}));
    EXPECT_NE(temporary.error, ErrorKind::None);
    EXPECT_EQ(temporary.http_status, 451) << temporary.error_message;
    const Result permanent = run_one(mail(2, {"reject@example.com"}));
    EXPECT_NE(permanent.error, ErrorKind::None);
    EXPECT_EQ(permanent.http_status, 550) << permanent.error_message;
    EXPECT_EQ(records.message(1), "");
}

TEST_F(MailEngine, NeverSendsALoginWithoutTls) {
    Request request = mail(1, {"ops@example.com"});
    request.mail->username = "user";
    request.mail->password = "secret";
    const Result result = run_one(std::move(request));
    EXPECT_EQ(result.error, ErrorKind::Tls) << result.error_message;
    EXPECT_EQ(records.message(1), "");
}

TEST_F(MailEngine, ThePolicyAppliesToMailServers) {
    EngineOptions options;
    options.policy = [](std::string_view, std::string_view address) -> std::optional<std::string> {
        return "connection to " + std::string(address) + " refused by the test policy";
    };
    const Result result = run_one(mail(1, {"ops@example.com"}), std::move(options));
    EXPECT_EQ(result.error, ErrorKind::RefusedByPolicy);
    EXPECT_EQ(records.message(1), "");
}

TEST_F(MailEngine, RefusesUnusableMailRequests) {
    Request http_url = mail(1, {"ops@example.com"});
    http_url.url = "http://127.0.0.1:" + std::to_string(server.port());
    EXPECT_EQ(run_one(std::move(http_url)).error, ErrorKind::InvalidRequest);
    EXPECT_EQ(run_one(mail(2, {})).error, ErrorKind::InvalidRequest);
    EXPECT_EQ(run_one(mail(3, {"ops@example.com\r\nRCPT TO:<x@y>"})).error, ErrorKind::InvalidRequest);
    Request web = mail(4, {"ops@example.com"});
    web.mail.reset();
    web.url = "smtp://127.0.0.1:" + std::to_string(server.port());
    EXPECT_EQ(run_one(std::move(web)).error, ErrorKind::InvalidRequest);
}

}  // namespace
}  // namespace pg_jobs::http
