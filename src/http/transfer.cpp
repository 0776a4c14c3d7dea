// Transfer: easy-handle set-up, the body/socket/pre-request callbacks, and
// reading the Result back. Every callback catches everything: an exception
// must never unwind through libcurl's C frames.
#include "http/transfer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <string_view>
#include <cstring>
#include <utility>

namespace pg_jobs::http {

namespace {

bool has_line_break_or_nul(std::string_view text) {
    return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               const auto lower = [](char c) {
                   return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
               };
               return lower(x) == lower(y);
           });
}

double seconds(CURL* easy, CURLINFO info) {
    curl_off_t micros = 0;
    if (curl_easy_getinfo(easy, info, &micros) != CURLE_OK) {
        return 0;
    }
    return static_cast<double>(micros) / 1e6;
}

std::string text_info(CURL* easy, CURLINFO info) {
    char* value = nullptr;
    if (curl_easy_getinfo(easy, info, &value) != CURLE_OK || value == nullptr) {
        return {};
    }
    return value;
}

// "10.0.0.1" / "::1" for the address libcurl is about to connect to.
std::optional<std::string> address_text(const curl_sockaddr& address) {
    char buffer[INET6_ADDRSTRLEN] = {};
    if (address.family == AF_INET && address.addrlen >= sizeof(sockaddr_in)) {
        sockaddr_in in{};
        std::memcpy(&in, &address.addr, sizeof in);
        if (inet_ntop(AF_INET, &in.sin_addr, buffer, sizeof buffer) != nullptr) {
            return std::string(buffer);
        }
    } else if (address.family == AF_INET6 && address.addrlen >= sizeof(sockaddr_in6)) {
        sockaddr_in6 in6{};
        std::memcpy(&in6, &address.addr, sizeof in6);
        if (inet_ntop(AF_INET6, &in6.sin6_addr, buffer, sizeof buffer) != nullptr) {
            return std::string(buffer);
        }
    }
    return std::nullopt;
}

std::string http_version_name(CURL* easy) {
    long version = 0;
    curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);
    switch (version) {
        case CURL_HTTP_VERSION_1_0:
            return "HTTP/1.0";
        case CURL_HTTP_VERSION_1_1:
            return "HTTP/1.1";
        case CURL_HTTP_VERSION_2_0:
            return "HTTP/2";
        case CURL_HTTP_VERSION_3:
            return "HTTP/3";
        default:
            return {};
    }
}

}  // namespace

Transfer::Transfer(Request request, const TransferContext& context, Clock::time_point submitted,
                   Clock::time_point deadline)
    : request_(std::move(request)), context_(context), submitted_(submitted), deadline_(deadline) {}

Transfer::~Transfer() {
    curl_slist_free_all(header_list_);
    curl_slist_free_all(recipient_list_);
    curl_url_cleanup(url_);
}

std::optional<std::string> Transfer::configure(CURL* easy) {
    easy_ = easy;
    if (auto problem = set_url()) {
        return problem;
    }
    if (request_.mail) {
        if (auto problem = set_mail()) {
            return problem;
        }
    } else {
        if (auto problem = set_method_and_body()) {
            return problem;
        }
        if (auto problem = set_headers()) {
            return problem;
        }
    }
    set_callbacks();
    curl_easy_setopt(easy_, CURLOPT_PRIVATE, this);
    curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_buffer_);
    curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, request_.mail ? "smtp,smtps" : "http,https");
    curl_easy_setopt(easy_, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy_, CURLOPT_PROXY, "");  // ignore http_proxy & co. from the server's environment
    curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<int64_t>(request_.timeout_ms, 1)));
    // Over https, wait for an existing connection to say whether it
    // multiplexes (HTTP/2, chosen in the TLS handshake) instead of opening
    // a second one at once. Not over plain http: there libcurl only learns
    // that from the first response, so a new transfer would wait behind a
    // slow one, parked where its timeout does not run.
    curl_easy_setopt(easy_, CURLOPT_PIPEWAIT, is_https_ ? 1L : 0L);
    curl_easy_setopt(easy_, CURLOPT_USERAGENT, context_.user_agent->c_str());
    // Ending a transfer whose name is still being resolved (abort, timeout)
    // must not wait for the resolver thread: it is left to finish alone.
    curl_easy_setopt(easy_, CURLOPT_QUICK_EXIT, 1L);
    if (context_.ca_file != nullptr && !context_.ca_file->empty()) {
        curl_easy_setopt(easy_, CURLOPT_CAINFO, context_.ca_file->c_str());
    }
    return std::nullopt;
}

std::optional<std::string> Transfer::set_url() {
    url_ = curl_url();
    if (url_ == nullptr) {
        return std::string("out of memory");
    }
    const CURLUcode parsed = curl_url_set(url_, CURLUPART_URL, request_.url.c_str(), 0);
    if (parsed != CURLUE_OK) {
        return "invalid URL: " + std::string(curl_url_strerror(parsed));
    }
    char* scheme = nullptr;
    char* host = nullptr;
    const bool read = curl_url_get(url_, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
                      curl_url_get(url_, CURLUPART_HOST, &host, 0) == CURLUE_OK;
    const std::string scheme_text = scheme != nullptr ? scheme : "";
    host_ = host != nullptr ? host : "";
    curl_free(scheme);
    curl_free(host);
    if (!read || host_.empty()) {
        return std::string("invalid URL: it has no host");
    }
    if (request_.mail) {
        if (scheme_text != "smtp" && scheme_text != "smtps") {
            return "URL scheme \"" + scheme_text + "\" is not supported for e-mail: use smtp:// or smtps://";
        }
    } else if (scheme_text != "http" && scheme_text != "https") {
        return "URL scheme \"" + scheme_text + "\" is not supported: only http and https URLs can be called";
    }
    is_https_ = scheme_text == "https";
    if (host_.size() >= 2 && host_.front() == '[' && host_.back() == ']') {
        host_ = host_.substr(1, host_.size() - 2);
    }
    curl_easy_setopt(easy_, CURLOPT_CURLU, url_);
    return std::nullopt;
}

std::optional<std::string> Transfer::set_method_and_body() {
    const std::string& method = request_.method;
    const bool has_body = request_.body.has_value();
    if (method == "GET" && !has_body) {
        curl_easy_setopt(easy_, CURLOPT_HTTPGET, 1L);
        return std::nullopt;
    }
    if (method == "HEAD") {
        curl_easy_setopt(easy_, CURLOPT_NOBODY, 1L);
        return std::nullopt;
    }
    static const char* const kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    if (std::none_of(std::begin(kMethods), std::end(kMethods), [&](const char* m) { return method == m; })) {
        return "unsupported HTTP method \"" + method + "\"";
    }
    if (method != "POST") {
        curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    // POST, PUT and PATCH always send a body (maybe empty, with
    // Content-Length: 0); DELETE and OPTIONS only when given one.
    sends_body_ = has_body || method == "POST" || method == "PUT" || method == "PATCH";
    if (sends_body_) {
        const std::string& body = has_body ? *request_.body : body_;  // body_ is empty here
        curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, body.data());
    }
    return std::nullopt;
}

std::optional<std::string> Transfer::set_headers() {
    bool has_content_type = false;
    const auto append = [this](const std::string& line) {
        curl_slist* longer = curl_slist_append(header_list_, line.c_str());
        if (longer == nullptr) {
            return false;
        }
        header_list_ = longer;
        return true;
    };
    for (const Header& header : request_.headers) {
        if (header.name.empty() || header.name.find(':') != std::string::npos ||
            header.name.find_first_of(" \t") != std::string::npos || has_line_break_or_nul(header.name) ||
            has_line_break_or_nul(header.value)) {
            return "invalid header \"" + header.name + "\": names are single words, values single lines";
        }
        has_content_type = has_content_type || iequals(header.name, "Content-Type");
        // "Name;" is libcurl's way to send a header with an empty value.
        if (!append(header.value.empty() ? header.name + ";" : header.name + ": " + header.value)) {
            return std::string("out of memory");
        }
    }
    // No "Expect: 100-continue" round trip for larger bodies, and no
    // made-up form Content-Type for a body whose type we were not told.
    bool ok = append("Expect:");
    if (sends_body_ && !has_content_type) {
        ok = ok && append("Content-Type:");
    }
    if (!ok) {
        return std::string("out of memory");
    }
    curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, header_list_);
    return std::nullopt;
}

std::optional<std::string> Transfer::set_mail() {
    const MailEnvelope& mail = *request_.mail;
    if (mail.recipients.empty()) {
        return std::string("an e-mail needs at least one recipient");
    }
    if (!request_.body) {
        return std::string("an e-mail needs a message");
    }
    if (has_line_break_or_nul(mail.from) || has_line_break_or_nul(mail.username) ||
        has_line_break_or_nul(mail.password)) {
        return std::string("invalid e-mail sender or login: line breaks are not allowed");
    }
    for (const std::string& recipient : mail.recipients) {
        if (has_line_break_or_nul(recipient)) {
            return std::string("invalid e-mail recipient: line breaks are not allowed");
        }
        curl_slist* longer = curl_slist_append(recipient_list_, ("<" + recipient + ">").c_str());
        if (longer == nullptr) {
            return std::string("out of memory");
        }
        recipient_list_ = longer;
    }
    mail_from_ = "<" + mail.from + ">";
    curl_easy_setopt(easy_, CURLOPT_MAIL_FROM, mail_from_.c_str());
    curl_easy_setopt(easy_, CURLOPT_MAIL_RCPT, recipient_list_);
    curl_easy_setopt(easy_, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(easy_, CURLOPT_READFUNCTION, &Transfer::on_upload);
    curl_easy_setopt(easy_, CURLOPT_READDATA, this);
    const std::string& message = *request_.body;
    curl_easy_setopt(easy_, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
    // STARTTLS when offered; required when a password would be sent.
    const bool login = !mail.username.empty();
    curl_easy_setopt(easy_, CURLOPT_USE_SSL,
                     login ? static_cast<long>(CURLUSESSL_ALL) : static_cast<long>(CURLUSESSL_TRY));
    if (login) {
        curl_easy_setopt(easy_, CURLOPT_USERNAME, mail.username.c_str());
        curl_easy_setopt(easy_, CURLOPT_PASSWORD, mail.password.c_str());
    }
    return std::nullopt;
}

size_t Transfer::on_upload(char* buffer, size_t size, size_t count, void* self) {
    auto* transfer = static_cast<Transfer*>(self);
    const std::string& message = *transfer->request_.body;  // set_mail checked it is there
    const size_t left = message.size() - std::min(transfer->uploaded_, message.size());
    const size_t bytes = std::min(left, size * count);
    std::memcpy(buffer, message.data() + transfer->uploaded_, bytes);
    transfer->uploaded_ += bytes;
    return bytes;
}

void Transfer::set_callbacks() {
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &Transfer::on_body);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
    curl_easy_setopt(easy_, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(easy_, CURLOPT_OPENSOCKETFUNCTION, &Transfer::on_open_socket);
    curl_easy_setopt(easy_, CURLOPT_OPENSOCKETDATA, this);
    curl_easy_setopt(easy_, CURLOPT_PREREQFUNCTION, &Transfer::on_before_request);
    curl_easy_setopt(easy_, CURLOPT_PREREQDATA, this);
}

std::optional<std::string> Transfer::check_connection(std::string_view address) {
    const ConnectionPolicy* policy = context_.policy;
    if (policy == nullptr || !*policy) {
        return std::nullopt;
    }
    try {
        return (*policy)(host_, address);
    } catch (...) {
        return "connection to " + std::string(address) + " refused: the host policy could not be checked";
    }
}

size_t Transfer::on_body(char* data, size_t size, size_t count, void* self) {
    auto* transfer = static_cast<Transfer*>(self);
    const size_t bytes = size * count;
    try {
        const size_t room = transfer->request_.max_response_bytes - transfer->body_.size();
        if (bytes > room) {
            // Keep what fits and stop the transfer: reading the rest of a
            // huge body only to drop it would hold a slot for nothing.
            transfer->body_.append(data, room);
            transfer->truncated_ = true;
            return 0;
        }
        transfer->body_.append(data, bytes);
        return bytes;
    } catch (...) {
        return 0;  // out of memory: libcurl ends the transfer with a write error
    }
}

// Keeps the reason phrase of each status line ("HTTP/1.1 501 Not
// Implemented"): the last one is the final response's (after any 1xx).
size_t Transfer::on_header(char* data, size_t size, size_t count, void* self) {
    auto* transfer = static_cast<Transfer*>(self);
    const size_t bytes = size * count;
    try {
        std::string_view line(data, bytes);
        if (line.substr(0, 5) == "HTTP/") {
            transfer->reason_.clear();
            const size_t code = line.find(' ');
            const size_t reason = code == std::string_view::npos ? code : line.find(' ', code + 1);
            if (reason != std::string_view::npos) {
                line.remove_prefix(reason + 1);
                while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
                    line.remove_suffix(1);
                }
                transfer->reason_.assign(line.substr(0, 200));
            }
        }
    } catch (...) {  // out of memory: no reason phrase
    }
    return bytes;
}

curl_socket_t Transfer::on_open_socket(void* self, curlsocktype purpose, curl_sockaddr* address) {
    auto* transfer = static_cast<Transfer*>(self);
    try {
        if (purpose != CURLSOCKTYPE_IPCXN || address == nullptr) {
            return CURL_SOCKET_BAD;
        }
        const std::optional<std::string> text = address_text(*address);
        if (!text) {
            transfer->refusal_ = "connection refused: unsupported address family";
            return CURL_SOCKET_BAD;
        }
        if (auto refusal = transfer->check_connection(*text)) {
            transfer->refusal_ = std::move(refusal);
            return CURL_SOCKET_BAD;  // libcurl tries the host's next address, if any
        }
        const curl_socket_t fd = socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
        if (fd != CURL_SOCKET_BAD && transfer->context_.connections_opened != nullptr) {
            ++*transfer->context_.connections_opened;
        }
        return fd;
    } catch (...) {
        return CURL_SOCKET_BAD;
    }
}

// NOLINTNEXTLINE(readability-non-const-parameter): the signature is libcurl's curl_prereq_callback
int Transfer::on_before_request(void* self, char* primary_ip, char* /*local_ip*/, int /*primary_port*/,
                                int /*local_port*/) {
    auto* transfer = static_cast<Transfer*>(self);
    try {
        // Also runs for a reused connection, so a policy changed since the
        // connection was opened still applies.
        if (auto refusal = transfer->check_connection(primary_ip != nullptr ? primary_ip : "")) {
            transfer->refusal_ = std::move(refusal);
            return CURL_PREREQFUNC_ABORT;
        }
        return CURL_PREREQFUNC_OK;
    } catch (...) {
        return CURL_PREREQFUNC_ABORT;
    }
}

Result Transfer::base_result() {
    Result result;
    result.id = request_.id;
    result.body = std::move(body_);
    result.body_truncated = truncated_;
    if (easy_ == nullptr) {
        return result;
    }
    long status = 0;
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
    result.http_status = status;
    result.reason_phrase = std::move(reason_);
    result.content_type = text_info(easy_, CURLINFO_CONTENT_TYPE);
    result.redirect_location = text_info(easy_, CURLINFO_REDIRECT_URL);
    result.remote_address = text_info(easy_, CURLINFO_PRIMARY_IP);
    result.http_version = http_version_name(easy_);
    long new_connections = 0;
    curl_easy_getinfo(easy_, CURLINFO_NUM_CONNECTS, &new_connections);
    result.reused_connection = new_connections == 0 && !result.remote_address.empty();
    result.timings.dns = seconds(easy_, CURLINFO_NAMELOOKUP_TIME_T);
    result.timings.connect = seconds(easy_, CURLINFO_CONNECT_TIME_T);
    result.timings.tls = seconds(easy_, CURLINFO_APPCONNECT_TIME_T);
    result.timings.first_byte = seconds(easy_, CURLINFO_STARTTRANSFER_TIME_T);
    result.timings.total = seconds(easy_, CURLINFO_TOTAL_TIME_T);
    return result;
}

Result Transfer::finish(CURLcode code) {
    Result result = base_result();
    result.error = classify_curl_error(code, refusal_.has_value(), truncated_);
    if (result.error == ErrorKind::RefusedByPolicy) {
        result.error_message = *refusal_;
    } else if (result.error != ErrorKind::None) {
        result.error_message = error_buffer_[0] != '\0' ? error_buffer_ : curl_easy_strerror(code);
    }
    return result;
}

Result Transfer::aborted() {
    Result result = base_result();
    result.error = ErrorKind::Aborted;
    result.error_message = "the request was cancelled";
    return result;
}

Result Transfer::timed_out() {
    Result result = base_result();
    result.error = ErrorKind::Timeout;
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - submitted_);
    result.error_message = "timed out after " + std::to_string(waited.count()) + " milliseconds" +
                           (result.remote_address.empty() ? " waiting for a connection" : "");
    return result;
}

ErrorKind classify_curl_error(CURLcode code, bool policy_refused, bool body_truncated) {
    switch (code) {
        case CURLE_OK:
            return ErrorKind::None;
        case CURLE_WRITE_ERROR:
            return body_truncated ? ErrorKind::None : ErrorKind::Other;
        case CURLE_COULDNT_CONNECT:
        case CURLE_ABORTED_BY_CALLBACK:
            if (policy_refused) {
                return ErrorKind::RefusedByPolicy;
            }
            return code == CURLE_COULDNT_CONNECT ? ErrorKind::ConnectRefused : ErrorKind::Other;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
            return ErrorKind::Dns;
        case CURLE_OPERATION_TIMEDOUT:
            return ErrorKind::Timeout;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_SSL_SHUTDOWN_FAILED:
        case CURLE_SSL_CLIENTCERT:
        case CURLE_USE_SSL_FAILED:
            return ErrorKind::Tls;
        case CURLE_GOT_NOTHING:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
            return ErrorKind::ConnectionLost;
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
            return ErrorKind::InvalidRequest;
        default:
            return ErrorKind::Other;
    }
}

}  // namespace pg_jobs::http
