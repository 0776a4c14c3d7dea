// One request on its way through libcurl: the easy handle set up from the
// Request, the callbacks that collect the body and enforce the connection
// policy, and the Result read back when it ends. Internal to src/http.
#pragma once

#include "http/engine.hpp"

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace pg_jobs::http {

// What the engine lends its transfers (it outlives them).
struct TransferContext {
    const ConnectionPolicy* policy = nullptr;
    const std::string* user_agent = nullptr;
    const std::string* ca_file = nullptr;
    uint64_t* connections_opened = nullptr;
};

class Transfer {
public:
    using Clock = std::chrono::steady_clock;

    // `submitted`: when the engine took the request; `deadline`: when its
    // timeout runs out (the request's timeout_ms is what is left of it).
    Transfer(Request request, const TransferContext& context, Clock::time_point submitted,
             Clock::time_point deadline);
    ~Transfer();
    Transfer(const Transfer&) = delete;
    Transfer& operator=(const Transfer&) = delete;

    // Sets up `easy` (fresh or reset) for this request. On failure returns
    // why the request cannot be sent and leaves the handle unused.
    std::optional<std::string> configure(CURL* easy);

    CURL* easy() const { return easy_; }
    int64_t id() const { return request_.id; }
    Clock::time_point deadline() const { return deadline_; }

    // The Result once libcurl reports `code` for this transfer.
    Result finish(CURLcode code);
    // The Result of a transfer stopped by abort().
    Result aborted();
    // The Result of a transfer the engine ended at its deadline because
    // libcurl had not (it parks a transfer that waits for a connection).
    Result timed_out();

private:
    Request request_;
    TransferContext context_;
    Clock::time_point submitted_;
    Clock::time_point deadline_;
    CURL* easy_ = nullptr;
    CURLU* url_ = nullptr;
    curl_slist* header_list_ = nullptr;
    curl_slist* recipient_list_ = nullptr;
    size_t uploaded_ = 0;    // bytes of an e-mail's message given to libcurl
    std::string mail_from_;  // "<sender>", kept alive for libcurl
    std::string host_;       // as libcurl parsed it, brackets removed
    std::string body_;
    std::string reason_;  // reason phrase of the last status line (HTTP/1.x), "" if none
    bool truncated_ = false;
    bool sends_body_ = false;
    bool is_https_ = false;
    std::optional<std::string> refusal_;  // why the policy refused a connection
    char error_buffer_[CURL_ERROR_SIZE] = {};

    std::optional<std::string> set_url();
    std::optional<std::string> set_method_and_body();
    std::optional<std::string> set_headers();
    std::optional<std::string> set_mail();
    void set_callbacks();
    std::optional<std::string> check_connection(std::string_view address);
    Result base_result();

    static size_t on_body(char* data, size_t size, size_t count, void* self);
    static size_t on_header(char* data, size_t size, size_t count, void* self);
    static size_t on_upload(char* buffer, size_t size, size_t count, void* self);
    static curl_socket_t on_open_socket(void* self, curlsocktype purpose, curl_sockaddr* address);
    static int on_before_request(void* self, char* primary_ip, char* local_ip, int primary_port,
                                 int local_port);
};

// The ErrorKind for libcurl's code, given what the callbacks saw.
ErrorKind classify_curl_error(CURLcode code, bool policy_refused, bool body_truncated);

}  // namespace pg_jobs::http
