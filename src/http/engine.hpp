// The HTTP engine: many transfers at once over one libcurl multi handle,
// driven by the caller's own wait loop (a PostgreSQL background worker waits
// on its latch and on the engine's descriptor at the same time).
//
// Typical loop (one thread; the engine is not thread-safe):
//
//   Engine engine(options);
//   engine.submit(request);                      // any number: a FIFO queue
//   for (;;) {
//       wait until engine.wait_fd() is readable, or engine.timeout_ms()
//       passes (-1: no timer), or something else (a latch) wakes you;
//       engine.step();                           // never blocks
//       for (Result& r : engine.take_results()) { ... }
//   }
//
// Instead of wait_fd(), a caller may watch the individual sockets
// (sockets(), which changes when sockets_generation() does) and report them
// with on_socket_ready(), calling on_timeout() when timeout_ms() passes.
//
// At most max_concurrent transfers are in flight; the rest wait in order,
// so open connections stay bounded whatever the queue length. No request
// outlives its timeout: libcurl's timer ends a transfer, and the engine
// ends any request libcurl has not ended by then (one waiting for a slot,
// or one libcurl parked waiting for a connection) with ErrorKind::Timeout.
// Connections are kept alive and reused, and HTTP/2 multiplexes when a
// server offers it (over TLS, through ALPN). Redirects are never followed.
// Only http and https are spoken (and smtp/smtps for e-mail requests); no
// proxy from the environment is used.
// Every new connection, and every reuse of one, is first checked by the
// connection policy with the address actually connected to (after DNS
// resolution).
//
// No libcurl header and no PostgreSQL header here. libcurl callbacks never
// let an exception out. Public methods may throw std::bad_alloc; the
// constructor throws std::runtime_error when libcurl cannot be set up.
#pragma once

#include "core/http_outcome.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pg_jobs::http {

struct Header {
    std::string name;
    std::string value;
};

// An e-mail sent over SMTP instead of an HTTP request (e-mail jobs): the
// Request's url is smtp://host[:port] or smtps://host[:port], its body the
// whole message (mail::compose in src/core), its method and headers unused.
// Over smtp:// the connection is upgraded with STARTTLS when the server
// offers it, and must be when a login is given (a password never travels in
// clear); smtps:// is TLS from the start.
struct MailEnvelope {
    std::string from;                     // the envelope sender (MAIL FROM)
    std::vector<std::string> recipients;  // RCPT TO, in order; at least one
    std::string username;                 // empty: no login
    std::string password;
};

struct Request {
    int64_t id = 0;                     // unique among unfinished requests (the execution id)
    std::string method = "GET";         // GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS (upper case)
    std::string url;                    // absolute http:// or https:// URL
    std::vector<Header> headers;        // sent as given (besides User-Agent)
    std::optional<std::string> body;    // no body when empty (PUT and PATCH then send an empty one)
    int64_t timeout_ms = 30000;         // from submit() to the result, waiting for a slot included; >= 1
    size_t max_response_bytes = 65536;  // longer bodies are cut here (and the transfer stopped)
    std::optional<MailEnvelope> mail;   // set: send the body as an e-mail (above)
};

// Seconds from the start of the transfer to the end of each phase, as
// libcurl measures them; 0 for a phase that did not happen (tls over http,
// dns and connect on a reused connection, or a phase never reached).
struct Timings {
    double dns = 0;
    double connect = 0;
    double tls = 0;
    double first_byte = 0;
    double total = 0;
};

struct Result {
    int64_t id = 0;
    ErrorKind error = ErrorKind::None;  // None: a full (or deliberately cut) response arrived
    std::string error_message;          // libcurl's words or the policy's; empty when None
    long http_status = 0;            // 0 when no response status arrived; for e-mail the last SMTP reply code
    std::string reason_phrase;       // of the status line ("Not Implemented"); "" if none (HTTP/2)
    std::string body;                // at most max_response_bytes
    bool body_truncated = false;     // the body was longer and was cut
    std::string content_type;        // the response's Content-Type, "" if none
    std::string redirect_location;   // Location of a 3xx response (not followed)
    std::string remote_address;      // the address connected to, "" if none
    std::string http_version;        // "HTTP/1.1", "HTTP/2"... of the response, "" if none
    bool reused_connection = false;  // no new connection was opened for it
    Timings timings;
};

// Decides whether a connection to `address` (the resolved IP, "10.0.0.1"
// or "::1") for `host` (from the URL) may be used: nullopt to allow, or the
// reason it is refused (it becomes the result's error_message). Runs inside
// libcurl callbacks: it must not call PostgreSQL, and an exception counts
// as a refusal.
using ConnectionPolicy =
    std::function<std::optional<std::string>(std::string_view host, std::string_view address)>;

struct EngineOptions {
    int max_concurrent = 256;            // transfers in flight, and open connections
    std::string user_agent = "pg_jobs";  // the glue passes "pg_jobs/<version>"
    ConnectionPolicy policy;             // empty: every address is allowed
    // PEM file of the certificate authorities to trust instead of the
    // system's (a private CA; tests). Empty: the system's store.
    std::string ca_file;
};

struct WatchedSocket {
    int fd = -1;
    bool read = false;
    bool write = false;
};

struct EngineStats {
    size_t queued = 0;
    size_t in_flight = 0;
    size_t peak_in_flight = 0;
    uint64_t completed = 0;           // results produced, aborted ones included
    uint64_t connections_opened = 0;  // sockets opened for transfers
};

class Engine {
public:
    explicit Engine(EngineOptions options);
    ~Engine();  // drops unfinished transfers without results (abort_all() first to get them)
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Queues a request. False (and nothing queued) when a request with the
    // same id is still queued or in flight. A request that cannot be sent
    // (bad URL, bad header) completes with ErrorKind::InvalidRequest.
    bool submit(Request request);

    // Completes the request with ErrorKind::Aborted now, queued or in
    // flight (its connection is closed). False when the id is unknown.
    bool abort(int64_t id);
    // abort() for everything queued and in flight; returns how many.
    size_t abort_all();

    // Readable whenever step() has socket work to do (an epoll descriptor
    // over libcurl's sockets). Owned by the engine; stable for its life.
    int wait_fd() const;
    // Milliseconds until step() (or on_timeout()) must be called even if no
    // socket is ready: -1 for no deadline, 0 for now.
    long timeout_ms() const;
    // Does everything that is ready now: socket events, a due timer,
    // finished transfers into results, queued requests into free slots.
    // Never blocks.
    void step();

    // The same, for a caller that watches the sockets itself.
    std::vector<WatchedSocket> sockets() const;
    uint64_t sockets_generation() const;  // changes whenever sockets() does
    void on_socket_ready(int fd, bool readable, bool writable);
    void on_timeout();

    // Results of the transfers finished since the last call, in the order
    // they finished.
    std::vector<Result> take_results();

    // For tests and benchmarks: step() in a blocking loop until nothing is
    // queued or in flight, or `max_wait` passes. Returns how many requests
    // are still unfinished (0 = idle).
    size_t run_until_idle(std::chrono::milliseconds max_wait);

    bool idle() const;
    EngineStats stats() const;

    // Takes effect for transfers started from now on (and for connections
    // reused from now on: the policy is checked on every reuse).
    void set_max_concurrent(int max_concurrent);
    void set_policy(ConnectionPolicy policy);
    void set_user_agent(std::string user_agent);

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pg_jobs::http
