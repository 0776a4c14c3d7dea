// The HTTP engine against test/lib/http_test_server.py on loopback: results
// (status, body, cut bodies, content type, timings), every error kind the
// engine can produce, the connection policy after DNS resolution, abort,
// bounded concurrency with a long queue, connection reuse, and both ways of
// driving the engine (wait_fd/step and sockets/on_socket_ready).
#include "core/host_allowlist.hpp"
#include "http/engine.hpp"
#include "http_nginx_process.hpp"
#include "http_server_process.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace pg_jobs::http {
namespace {

using std::chrono::milliseconds;
using testing::HttpServerProcess;
using testing::json_number;
using testing::NginxTlsProcess;

constexpr milliseconds kPatience{30000};  // generous: the tests never wait this long when they pass

Request get(int64_t id, std::string url) {
    Request request;
    request.id = id;
    request.url = std::move(url);
    return request;
}

// Runs `requests` to completion on a fresh engine; results by id.
std::map<int64_t, Result> run_all(std::vector<Request> requests, EngineOptions options = {}) {
    Engine engine(std::move(options));
    for (Request& request : requests) {
        EXPECT_TRUE(engine.submit(std::move(request)));
    }
    EXPECT_EQ(engine.run_until_idle(kPatience), 0u);
    std::map<int64_t, Result> by_id;
    for (Result& result : engine.take_results()) {
        by_id.emplace(result.id, std::move(result));
    }
    return by_id;
}

Result run_one(Request request, EngineOptions options = {}) {
    const int64_t id = request.id;
    std::map<int64_t, Result> results = run_all({std::move(request)}, std::move(options));
    EXPECT_EQ(results.size(), 1u);
    return results[id];
}

class HttpEngine : public ::testing::Test {
protected:
    HttpServerProcess server;

    // One GET on its own engine, e.g. to read /stats.
    std::string fetch(const std::string& path) {
        const Result result = run_one(get(1, server.url(path)));
        EXPECT_EQ(result.http_status, 200) << path << ": " << result.error_message;
        return result.body;
    }
};

TEST_F(HttpEngine, GetsAJsonAnswer) {
    const Result result = run_one(get(42, server.url("/ok")));
    EXPECT_EQ(result.id, 42);
    EXPECT_EQ(result.error, ErrorKind::None) << result.error_message;
    EXPECT_EQ(result.error_message, "");
    EXPECT_EQ(result.http_status, 200);
    EXPECT_EQ(result.body, "{\"ok\": true, \"method\": \"GET\", \"path\": \"/ok\"}\n");
    EXPECT_FALSE(result.body_truncated);
    EXPECT_EQ(result.content_type, "application/json");
    EXPECT_EQ(result.remote_address, "127.0.0.1");
    EXPECT_FALSE(result.reused_connection);
    EXPECT_GT(result.timings.total, 0);
    EXPECT_LE(result.timings.dns, result.timings.connect);
    EXPECT_LE(result.timings.connect, result.timings.first_byte);
    EXPECT_LE(result.timings.first_byte, result.timings.total);
    EXPECT_EQ(result.timings.tls, 0);  // plain http
}

TEST_F(HttpEngine, ReportsStatusCodesWithoutCallingThemErrors) {
    std::vector<Request> requests;
    for (const int status : {201, 204, 404, 408, 429, 500, 503}) {
        requests.push_back(get(status, server.url("/status/" + std::to_string(status))));
    }
    for (const auto& [status, result] : run_all(std::move(requests))) {
        EXPECT_EQ(result.error, ErrorKind::None) << status << ": " << result.error_message;
        EXPECT_EQ(result.http_status, status);
        if (status == 204) {
            EXPECT_EQ(result.body, "");
        } else {
            EXPECT_EQ(json_number(result.body, "status"), status) << result.body;
        }
    }
}

TEST_F(HttpEngine, CutsTheBodyAtTheLimit) {
    Request big = get(1, server.url("/bytes/1000000"));
    big.max_response_bytes = 1000;
    Request exact = get(2, server.url("/bytes/1000"));
    exact.max_response_bytes = 1000;
    Request empty_limit = get(3, server.url("/bytes/10"));
    empty_limit.max_response_bytes = 0;
    std::map<int64_t, Result> results = run_all({big, exact, empty_limit});

    EXPECT_EQ(results[1].error, ErrorKind::None) << results[1].error_message;
    EXPECT_EQ(results[1].http_status, 200);
    EXPECT_EQ(results[1].body.size(), 1000u);
    EXPECT_EQ(results[1].body.substr(0, 12), "012345678901");
    EXPECT_TRUE(results[1].body_truncated);
    EXPECT_EQ(results[1].content_type, "text/plain");

    EXPECT_EQ(results[2].error, ErrorKind::None);
    EXPECT_EQ(results[2].body.size(), 1000u);
    EXPECT_FALSE(results[2].body_truncated);  // exactly at the limit is not cut

    EXPECT_EQ(results[3].body, "");
    EXPECT_TRUE(results[3].body_truncated);
}

TEST_F(HttpEngine, TimesOut) {
    Request slow = get(1, server.url("/delay/5000"));
    slow.timeout_ms = 300;
    const auto started = std::chrono::steady_clock::now();
    const Result result = run_one(slow);
    EXPECT_EQ(result.error, ErrorKind::Timeout) << result.error_message;
    EXPECT_NE(result.error_message.find("timed out"), std::string::npos) << result.error_message;
    EXPECT_EQ(result.http_status, 0);
    EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(4000));
}

TEST_F(HttpEngine, ConnectionRefusedOnAClosedPort) {
    // A bound socket that does not listen: connecting to it is refused, and
    // nothing else can take the port while the test runs.
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    const int port = ntohs(address.sin_port);

    const Result result = run_one(get(1, "http://127.0.0.1:" + std::to_string(port) + "/"));
    close(fd);
    EXPECT_EQ(result.error, ErrorKind::ConnectRefused) << result.error_message;
    EXPECT_NE(result.error_message.find("127.0.0.1"), std::string::npos) << result.error_message;
    EXPECT_EQ(result.http_status, 0);
}

TEST_F(HttpEngine, DnsFailure) {
    const Result result = run_one(get(1, "http://no-such-host.pg-jobs.invalid/"));
    EXPECT_EQ(result.error, ErrorKind::Dns) << result.error_message;
    EXPECT_NE(result.error_message.find("no-such-host.pg-jobs.invalid"), std::string::npos)
        << result.error_message;
}

TEST_F(HttpEngine, DoesNotFollowRedirects) {
    const Result result = run_one(get(1, server.url("/redirect")));
    EXPECT_EQ(result.error, ErrorKind::None);
    EXPECT_EQ(result.http_status, 302);
    EXPECT_EQ(result.redirect_location, server.url("/ok"));
    EXPECT_NE(result.body.find("\"redirect\""), std::string::npos) << result.body;
    EXPECT_EQ(json_number(fetch("/stats"), "requests"), 2);  // the redirect and this /stats: no /ok
}

TEST_F(HttpEngine, ConnectionLostWhenTheServerHangsUp) {
    const Result result = run_one(get(1, server.url("/drop")));
    EXPECT_EQ(result.error, ErrorKind::ConnectionLost) << result.error_message;
}

TEST_F(HttpEngine, PolicyRefusesTheResolvedAddressBeforeConnecting) {
    // localhost resolves to 127.0.0.1; the policy only allows another address.
    const AllowlistParseResult parsed = HostAllowlist::parse("10.1.2.3");
    ASSERT_TRUE(parsed.ok);
    EngineOptions options;
    options.policy = [list = parsed.allowlist](std::string_view host,
                                               std::string_view address) -> std::optional<std::string> {
        HostVerdict verdict = list.check_connection(host, address);
        if (verdict.allowed) {
            return std::nullopt;
        }
        return verdict.message;
    };
    const Result by_name =
        run_one(get(1, "http://localhost:" + std::to_string(server.port()) + "/ok"), options);
    EXPECT_EQ(by_name.error, ErrorKind::RefusedByPolicy) << by_name.error_message;
    // (to 127.0.0.1, or to ::1 when the resolver lists that last)
    EXPECT_NE(by_name.error_message.find("host \"localhost\" resolved to "), std::string::npos)
        << by_name.error_message;
    const Result by_address = run_one(get(2, server.url("/ok")), options);
    EXPECT_EQ(by_address.error, ErrorKind::RefusedByPolicy) << by_address.error_message;
    EXPECT_EQ(by_address.http_status, 0);

    // Nothing reached the server: this /stats is its first connection.
    EXPECT_EQ(json_number(fetch("/stats"), "connections_accepted"), 1);

    // The same engine set-up lets the right host through.
    options.policy = [](std::string_view, std::string_view address) -> std::optional<std::string> {
        if (address == "127.0.0.1") {
            return std::nullopt;
        }
        return std::string("not loopback");
    };
    EXPECT_EQ(run_one(get(3, server.url("/ok")), options).http_status, 200);
}

TEST_F(HttpEngine, LinkLocalAddressIsRefusedWithoutAnyPacket) {
    const AllowlistParseResult parsed = HostAllowlist::parse("*");
    ASSERT_TRUE(parsed.ok);
    EngineOptions options;
    options.policy = [list = parsed.allowlist](std::string_view host,
                                               std::string_view address) -> std::optional<std::string> {
        HostVerdict verdict = list.check_connection(host, address);
        return verdict.allowed ? std::nullopt : std::optional<std::string>(verdict.message);
    };
    // 2852039166 is 169.254.169.254 in the legacy single-number form.
    for (const char* url : {"http://169.254.169.254/latest/meta-data/", "http://2852039166/"}) {
        const Result result = run_one(get(1, url), options);
        EXPECT_EQ(result.error, ErrorKind::RefusedByPolicy) << url << ": " << result.error_message;
        EXPECT_NE(result.error_message.find("link-local"), std::string::npos) << result.error_message;
    }
}

TEST_F(HttpEngine, APolicyThatThrowsRefuses) {
    EngineOptions options;
    options.policy = [](std::string_view, std::string_view) -> std::optional<std::string> {
        throw std::runtime_error("boom");
    };
    const Result result = run_one(get(1, server.url("/ok")), options);
    EXPECT_EQ(result.error, ErrorKind::RefusedByPolicy);
    EXPECT_NE(result.error_message.find("could not be checked"), std::string::npos) << result.error_message;
}

// Steps `engine` until request `id` has a result (or kPatience passes);
// the time it took is in *took.
Result wait_for_result(Engine& engine, int64_t id, milliseconds* took,
                       std::vector<Result>* others = nullptr) {
    const auto started = std::chrono::steady_clock::now();
    const auto give_up = started + kPatience;
    while (std::chrono::steady_clock::now() < give_up) {
        pollfd p{engine.wait_fd(), POLLIN, 0};
        const long timer = engine.timeout_ms();
        poll(&p, 1, timer < 0 ? 100 : static_cast<int>(std::min(timer, 100L)));
        engine.step();
        for (Result& result : engine.take_results()) {
            if (result.id == id) {
                *took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
                return result;
            }
            if (others != nullptr) {
                others->push_back(std::move(result));
            }
        }
    }
    ADD_FAILURE() << "request " << id << " never finished";
    return {};
}

// Starts `slow` on `engine` and steps it until the server is answering it.
void start_slow_request(Engine& engine, const HttpServerProcess& server, Request slow) {
    ASSERT_TRUE(engine.submit(std::move(slow)));
    const auto give_up = std::chrono::steady_clock::now() + kPatience;
    while (std::chrono::steady_clock::now() < give_up) {
        engine.run_until_idle(milliseconds(20));
        const Result stats = run_one(get(99, server.url("/stats")));
        if (json_number(stats.body, "requests_in_progress") >= 2) {  // the slow one and this /stats
            return;
        }
    }
    FAIL() << "the slow request never reached the server";
}

// Over plain http, a second request to a host whose only connection is busy
// with a slow answer opens its own connection at once: it neither waits
// for the slow answer (libcurl would park it, its timeout not running) nor
// gets past the connection policy.
TEST_F(HttpEngine, ARequestDoesNotWaitBehindASlowOneToTheSameHost) {
    Engine engine(EngineOptions{});
    Request slow = get(1, server.url("/delay/8000"));
    slow.timeout_ms = 20000;
    start_slow_request(engine, server, slow);

    Request quick = get(2, server.url("/ok"));
    quick.timeout_ms = 5000;
    ASSERT_TRUE(engine.submit(quick));
    milliseconds took{};
    const Result answered = wait_for_result(engine, 2, &took);
    EXPECT_EQ(answered.http_status, 200) << answered.error_message;
    EXPECT_LT(took.count(), 5000);

    // The allowlist changed after the slow request started: a new request
    // to the same host is refused at once, not after the slow answer.
    engine.set_policy([](std::string_view, std::string_view) -> std::optional<std::string> {
        return std::string("address not allowed");
    });
    Request refused = get(3, server.url("/ok"));
    refused.timeout_ms = 5000;
    ASSERT_TRUE(engine.submit(refused));
    const Result result = wait_for_result(engine, 3, &took);
    EXPECT_EQ(result.error, ErrorKind::RefusedByPolicy) << result.error_message;
    EXPECT_LT(took.count(), 5000);
    engine.abort_all();
}

// A request waiting for a free slot counts that wait in its timeout, and
// ends timed out when it runs out.
TEST_F(HttpEngine, TheTimeoutCountsTheWaitForASlot) {
    EngineOptions options;
    options.max_concurrent = 1;
    Engine engine(options);
    Request slow = get(1, server.url("/delay/8000"));
    slow.timeout_ms = 20000;
    start_slow_request(engine, server, slow);
    Request queued = get(2, server.url("/ok"));
    queued.timeout_ms = 300;
    ASSERT_TRUE(engine.submit(queued));
    EXPECT_EQ(engine.stats().queued, 1u);
    milliseconds took{};
    const Result result = wait_for_result(engine, 2, &took);
    EXPECT_EQ(result.error, ErrorKind::Timeout) << result.error_message;
    EXPECT_NE(result.error_message.find("timed out"), std::string::npos) << result.error_message;
    EXPECT_LT(took.count(), 5000);
    EXPECT_EQ(engine.stats().in_flight, 1u);  // the slow one goes on
    engine.abort_all();
}

// Over https libcurl parks a second transfer to a host while the first
// connection's handshake decides whether it multiplexes; the parked one
// still ends when its own timeout runs out, not with the first one's.
TEST_F(HttpEngine, AParkedTransferStillTimesOut) {
    // A socket that listens but never accepts: the kernel completes TCP
    // handshakes, and the TLS handshake then hangs.
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(listen(fd, 16), 0);
    socklen_t length = sizeof address;
    ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    const std::string url = "https://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/";

    Engine engine(EngineOptions{});
    Request first = get(1, url);
    first.timeout_ms = 10000;
    ASSERT_TRUE(engine.submit(first));
    engine.run_until_idle(milliseconds(100));
    Request second = get(2, url);
    second.timeout_ms = 300;
    ASSERT_TRUE(engine.submit(second));
    milliseconds took{};
    const Result result = wait_for_result(engine, 2, &took);
    EXPECT_EQ(result.error, ErrorKind::Timeout) << result.error_message;
    EXPECT_LT(took.count(), 5000);
    engine.abort_all();
    close(fd);
}

TEST_F(HttpEngine, AbortsASlowTransferAndAQueuedOne) {
    EngineOptions options;
    options.max_concurrent = 1;
    Engine engine(options);
    ASSERT_TRUE(engine.submit(get(1, server.url("/delay/20000"))));
    ASSERT_TRUE(engine.submit(get(2, server.url("/ok"))));
    ASSERT_TRUE(engine.submit(get(3, server.url("/ok"))));
    // Let the first request reach the server.
    const auto give_up = std::chrono::steady_clock::now() + kPatience;
    while (json_number(fetch("/stats"), "requests_in_progress") < 2 &&
           std::chrono::steady_clock::now() < give_up) {
        engine.run_until_idle(milliseconds(20));
    }
    EXPECT_EQ(engine.stats().in_flight, 1u);
    EXPECT_EQ(engine.stats().queued, 2u);

    EXPECT_TRUE(engine.abort(2));  // queued
    EXPECT_TRUE(engine.abort(1));  // in flight
    EXPECT_FALSE(engine.abort(1));
    EXPECT_FALSE(engine.abort(99));
    std::vector<Result> results = engine.take_results();
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].id, 2);
    EXPECT_EQ(results[1].id, 1);
    for (const Result& result : results) {
        EXPECT_EQ(result.error, ErrorKind::Aborted);
        EXPECT_EQ(result.http_status, 0);
    }
    // The slot freed by the abort went to request 3, which completes.
    EXPECT_EQ(engine.run_until_idle(kPatience), 0u);
    results = engine.take_results();
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].id, 3);
    EXPECT_EQ(results[0].http_status, 200);
}

TEST_F(HttpEngine, AbortAllCompletesEverything) {
    EngineOptions options;
    options.max_concurrent = 2;
    Engine engine(options);
    for (int64_t id = 1; id <= 5; ++id) {
        ASSERT_TRUE(engine.submit(get(id, server.url("/delay/20000"))));
    }
    engine.run_until_idle(milliseconds(100));
    EXPECT_EQ(engine.abort_all(), 5u);
    EXPECT_TRUE(engine.idle());
    const std::vector<Result> results = engine.take_results();
    ASSERT_EQ(results.size(), 5u);
    for (const Result& result : results) {
        EXPECT_EQ(result.error, ErrorKind::Aborted);
    }
    EXPECT_EQ(engine.stats().completed, 5u);
}

TEST_F(HttpEngine, ThousandQueuedRequestsNeverExceedMaxConcurrent) {
    constexpr int kMax = 8;
    constexpr int kRequests = 1000;
    EngineOptions options;
    options.max_concurrent = kMax;
    Engine engine(options);
    for (int64_t id = 1; id <= kRequests; ++id) {
        ASSERT_TRUE(engine.submit(get(id, server.url("/ok?n=" + std::to_string(id)))));
    }
    EXPECT_EQ(engine.stats().in_flight, static_cast<size_t>(kMax));
    EXPECT_EQ(engine.stats().queued, static_cast<size_t>(kRequests - kMax));

    std::map<int64_t, Result> results;
    const auto give_up = std::chrono::steady_clock::now() + kPatience;
    while (!engine.idle() && std::chrono::steady_clock::now() < give_up) {
        pollfd p{engine.wait_fd(), POLLIN, 0};
        const long timer = engine.timeout_ms();
        poll(&p, 1, timer < 0 ? 100 : static_cast<int>(std::min(timer, 100L)));
        engine.step();
        ASSERT_LE(engine.stats().in_flight, static_cast<size_t>(kMax));
        for (Result& result : engine.take_results()) {
            results.emplace(result.id, std::move(result));
        }
    }
    ASSERT_EQ(results.size(), static_cast<size_t>(kRequests));
    for (const auto& [id, result] : results) {
        ASSERT_EQ(result.http_status, 200) << id << ": " << result.error_message;
        ASSERT_NE(result.body.find("n=" + std::to_string(id) + "\""), std::string::npos) << result.body;
    }
    const EngineStats stats = engine.stats();
    EXPECT_EQ(stats.peak_in_flight, static_cast<size_t>(kMax));
    EXPECT_EQ(stats.completed, static_cast<uint64_t>(kRequests));
    EXPECT_LE(stats.connections_opened, static_cast<uint64_t>(kMax));

    const std::string server_stats = fetch("/stats");
    EXPECT_LE(json_number(server_stats, "max_connections_open"), kMax + 1) << server_stats;  // + this /stats
    EXPECT_LE(json_number(server_stats, "connections_accepted"), kMax + 1) << server_stats;
    EXPECT_LE(json_number(server_stats, "max_requests_in_progress"), kMax + 1) << server_stats;
}

TEST_F(HttpEngine, ReusesTheConnection) {
    EngineOptions options;
    options.max_concurrent = 1;
    Engine engine(options);
    for (int64_t id = 1; id <= 20; ++id) {
        ASSERT_TRUE(engine.submit(get(id, server.url("/ok"))));
    }
    EXPECT_EQ(engine.run_until_idle(kPatience), 0u);
    const std::vector<Result> results = engine.take_results();
    ASSERT_EQ(results.size(), 20u);
    EXPECT_FALSE(results[0].reused_connection);
    for (size_t i = 1; i < results.size(); ++i) {
        EXPECT_TRUE(results[i].reused_connection) << i;
        EXPECT_EQ(results[i].timings.connect, 0) << i;  // no connect phase on a reused connection
    }
    EXPECT_EQ(engine.stats().connections_opened, 1u);
    EXPECT_EQ(json_number(fetch("/stats"), "connections_accepted"), 2);  // the engine's, and fetch's own
}

TEST_F(HttpEngine, SendsMethodHeadersAndBodyAsGiven) {
    Request post = get(1, server.url("/record/hook"));
    post.method = "POST";
    post.headers = {{"Content-Type", "application/json"}, {"Idempotency-Key", "1"}, {"X-Empty", ""}};
    post.body = "{\"jobName\": \"nightly\"}";
    Request put = get(2, server.url("/record/put"));
    put.method = "PUT";
    Request del = get(3, server.url("/record/delete"));
    del.method = "DELETE";
    Request plain_body = get(4, server.url("/record/typeless"));
    plain_body.method = "PATCH";
    plain_body.body = "x=1";
    EngineOptions options;
    options.user_agent = "pg_jobs/9.9.9";
    options.max_concurrent = 1;  // in order, so /received lists them in order
    std::map<int64_t, Result> results = run_all({post, put, del, plain_body}, options);
    for (const auto& [id, result] : results) {
        EXPECT_EQ(result.http_status, 200) << id << ": " << result.error_message;
    }
    const std::string received = fetch("/received");
    EXPECT_NE(received.find("\"method\": \"POST\", \"path\": \"/record/hook\""), std::string::npos)
        << received;
    EXPECT_NE(received.find("\"User-Agent\": \"pg_jobs/9.9.9\""), std::string::npos) << received;
    EXPECT_NE(received.find("\"Idempotency-Key\": \"1\""), std::string::npos) << received;
    EXPECT_NE(received.find("\"X-Empty\": \"\""), std::string::npos) << received;
    EXPECT_NE(received.find("\"body\": \"{\\\"jobName\\\": \\\"nightly\\\"}\""), std::string::npos)
        << received;
    EXPECT_EQ(received.find("Expect"), std::string::npos) << received;  // no 100-continue round trip
    EXPECT_NE(received.find("\"method\": \"PUT\", \"path\": \"/record/put\", \"headers\": {\"Host\""),
              std::string::npos);
    EXPECT_NE(received.find("\"Content-Length\": \"0\""), std::string::npos) << received;  // PUT with no body
    EXPECT_NE(received.find("\"method\": \"DELETE\""), std::string::npos) << received;
    // A body with no Content-Type is sent without one (not as a form).
    EXPECT_EQ(received.find("x-www-form-urlencoded"), std::string::npos) << received;
    EXPECT_NE(received.find("\"body\": \"x=1\""), std::string::npos) << received;
}

TEST_F(HttpEngine, HeadAndTextAnswers) {
    Request head = get(1, server.url("/text"));
    head.method = "HEAD";
    std::map<int64_t, Result> results = run_all({head, get(2, server.url("/text"))});
    EXPECT_EQ(results[1].http_status, 200);
    EXPECT_EQ(results[1].body, "");
    EXPECT_EQ(results[2].body, "hello from http_test_server\n");
    EXPECT_EQ(results[2].content_type, "text/plain; charset=utf-8");
}

TEST_F(HttpEngine, RefusesUnusableRequests) {
    Request bad_header = get(3, server.url("/ok"));
    bad_header.headers = {{"X-Injected", "a\r\nX-Other: b"}};
    Request bad_method = get(4, server.url("/ok"));
    bad_method.method = "BREW";
    std::map<int64_t, Result> results =
        run_all({get(1, "ftp://127.0.0.1/file"), get(2, "not a url"), bad_header, bad_method});
    for (const auto& [id, result] : results) {
        EXPECT_EQ(result.error, ErrorKind::InvalidRequest) << id << ": " << result.error_message;
    }
    EXPECT_NE(results[1].error_message.find("only http and https"), std::string::npos)
        << results[1].error_message;
    EXPECT_EQ(json_number(fetch("/stats"), "requests"), 1);  // only this /stats got through
}

TEST_F(HttpEngine, RefusesADuplicateIdWhileTheFirstIsUnfinished) {
    Engine engine(EngineOptions{});
    EXPECT_TRUE(engine.submit(get(7, server.url("/ok"))));
    EXPECT_FALSE(engine.submit(get(7, server.url("/ok"))));
    EXPECT_EQ(engine.run_until_idle(kPatience), 0u);
    EXPECT_EQ(engine.take_results().size(), 1u);
    EXPECT_TRUE(engine.submit(get(7, server.url("/ok"))));  // finished: the id is free again
    EXPECT_EQ(engine.run_until_idle(kPatience), 0u);
}

TEST_F(HttpEngine, TlsFailureWhenTheServerSpeaksPlainHttp) {
    const Result result = run_one(get(1, "https://127.0.0.1:" + std::to_string(server.port()) + "/ok"));
    EXPECT_EQ(result.error, ErrorKind::Tls) << result.error_message;
    EXPECT_FALSE(is_retryable(result.error, result.http_status));
}

// Over TLS, a server that offers HTTP/2 gets every request multiplexed on
// one connection; its certificate is verified.
TEST(HttpEngineTls, MultiplexesHttp2AndVerifiesCertificates) {
    const NginxTlsProcess nginx;
    if (!nginx.available()) {
        GTEST_SKIP() << "nginx or openssl is not installed (scripts/install-deps.sh)";
    }
    const Result untrusted = run_one(get(1, nginx.url("localhost", "/")));
    EXPECT_EQ(untrusted.error, ErrorKind::Tls) << untrusted.error_message;
    EXPECT_NE(untrusted.error_message.find("certificate"), std::string::npos) << untrusted.error_message;

    EngineOptions options;
    options.ca_file = nginx.certificate();
    options.max_concurrent = 50;
    std::vector<Request> requests;
    for (int64_t id = 1; id <= 200; ++id) {
        requests.push_back(get(id, nginx.url("localhost", "/?n=" + std::to_string(id))));
    }
    Engine engine(options);
    for (Request& request : requests) {
        ASSERT_TRUE(engine.submit(std::move(request)));
    }
    EXPECT_EQ(engine.run_until_idle(kPatience), 0u);
    const std::vector<Result> results = engine.take_results();
    ASSERT_EQ(results.size(), 200u);
    for (const Result& result : results) {
        EXPECT_EQ(result.http_status, 200) << result.id << ": " << result.error_message;
        EXPECT_EQ(result.http_version, "HTTP/2") << result.id;
        EXPECT_EQ(result.body, "{\"success\": true}\n");
    }
    EXPECT_EQ(engine.stats().connections_opened, 1u);
    EXPECT_EQ(engine.stats().peak_in_flight, 50u);
    // The transfer that opened the connection spent time in the handshake.
    EXPECT_TRUE(
        std::any_of(results.begin(), results.end(), [](const Result& r) { return r.timings.tls > 0; }));
}

// libcurl's resolver threads must never take the process's signals: the
// engine blocks them while libcurl runs, and restores the mask after.
TEST_F(HttpEngine, RestoresTheSignalMask) {
    sigset_t before;
    sigemptyset(&before);
    sigaddset(&before, SIGUSR2);
    ASSERT_EQ(pthread_sigmask(SIG_SETMASK, &before, nullptr), 0);
    Engine engine(EngineOptions{});
    ASSERT_TRUE(engine.submit(get(1, "http://localhost:" + std::to_string(server.port()) + "/ok")));
    EXPECT_EQ(engine.run_until_idle(kPatience), 0u);
    EXPECT_EQ(engine.take_results().at(0).http_status, 200);
    sigset_t after;
    ASSERT_EQ(pthread_sigmask(SIG_SETMASK, nullptr, &after), 0);
    EXPECT_TRUE(sigismember(&after, SIGUSR2));
    EXPECT_FALSE(sigismember(&after, SIGTERM));
    EXPECT_FALSE(sigismember(&after, SIGINT));
    sigemptyset(&before);
    pthread_sigmask(SIG_SETMASK, &before, nullptr);
}

// The other way to drive it: watch sockets() with poll(), report readiness
// with on_socket_ready(), and call on_timeout() when timeout_ms() passes.
TEST_F(HttpEngine, CanBeDrivenSocketBySocket) {
    EngineOptions options;
    options.max_concurrent = 4;
    Engine engine(options);
    for (int64_t id = 1; id <= 50; ++id) {
        ASSERT_TRUE(engine.submit(get(id, server.url(id % 10 == 0 ? "/delay/50" : "/ok"))));
    }
    size_t done = 0;
    uint64_t generations_seen = 0;
    uint64_t last_generation = engine.sockets_generation();
    const auto give_up = std::chrono::steady_clock::now() + kPatience;
    while (done < 50 && std::chrono::steady_clock::now() < give_up) {
        std::vector<pollfd> fds;
        for (const WatchedSocket& s : engine.sockets()) {
            fds.push_back({s.fd, static_cast<short>((s.read ? POLLIN : 0) | (s.write ? POLLOUT : 0)), 0});
        }
        const long timer = engine.timeout_ms();
        const int ready = poll(fds.data(), fds.size(), timer < 0 ? 100 : static_cast<int>(timer));
        if (ready == 0) {
            engine.on_timeout();
        }
        for (const pollfd& p : fds) {
            if (p.revents != 0) {
                engine.on_socket_ready(p.fd, (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0,
                                       (p.revents & (POLLOUT | POLLERR)) != 0);
            }
        }
        if (engine.sockets_generation() != last_generation) {
            last_generation = engine.sockets_generation();
            ++generations_seen;
        }
        for (const Result& result : engine.take_results()) {
            EXPECT_EQ(result.http_status, 200) << result.id << ": " << result.error_message;
            ++done;
        }
    }
    EXPECT_EQ(done, 50u);
    EXPECT_TRUE(engine.idle());
    EXPECT_GT(generations_seen, 0u);
}

}  // namespace
}  // namespace pg_jobs::http
