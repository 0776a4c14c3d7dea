// Engine: the multi handle, the FIFO of waiting requests, the sockets and
// timer libcurl asks us to watch (mirrored into an epoll set so a caller
// can wait on one descriptor), and finished transfers turned into results.
#include "http/engine.hpp"

#include "http/transfer.hpp"

#include <curl/curl.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace pg_jobs::http {

namespace {

using Clock = std::chrono::steady_clock;

// Most epoll events handled per step(), so one busy step stays short.
constexpr int kEventsPerRound = 64;
constexpr int kRoundsPerStep = 8;

// The engine ends a transfer this long after its deadline if libcurl has
// not: libcurl's own timer (set to the same deadline) normally fires first
// and words the error, but libcurl does not time out a transfer it parks
// while it waits to learn whether a busy connection can multiplex.
constexpr std::chrono::milliseconds kDeadlineGrace{25};

// Longer timeouts are cut to this (steady_clock time points must not overflow).
constexpr std::chrono::milliseconds kLongestTimeout{std::chrono::hours(24 * 365 * 10)};

long milliseconds_between(Clock::time_point from, Clock::time_point to) {
    return static_cast<long>(std::chrono::ceil<std::chrono::milliseconds>(to - from).count());
}

void init_curl_once() {
    static std::once_flag once;
    static CURLcode status = CURLE_OK;
    std::call_once(once, [] { status = curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (status != CURLE_OK) {
        throw std::runtime_error(std::string("could not initialize libcurl: ") + curl_easy_strerror(status));
    }
}

// libcurl resolves names on threads it starts, and a new thread inherits
// the signal mask of the thread that starts it. While libcurl runs, every
// asynchronous signal is blocked, so its threads never run a signal handler
// meant for the (single-threaded) PostgreSQL process; signals that arrive
// meanwhile are delivered when the mask is restored.
class AsyncSignalsBlocked {
public:
    AsyncSignalsBlocked() {
        sigset_t blocked;
        sigfillset(&blocked);
        // Faults stay deliverable: blocking them would turn a crash report into a silent kill.
        for (const int fault : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP}) {
            sigdelset(&blocked, fault);
        }
        pthread_sigmask(SIG_BLOCK, &blocked, &saved_);
    }
    ~AsyncSignalsBlocked() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
    AsyncSignalsBlocked(const AsyncSignalsBlocked&) = delete;
    AsyncSignalsBlocked& operator=(const AsyncSignalsBlocked&) = delete;

private:
    sigset_t saved_{};
};

}  // namespace

class Engine::Impl {
public:
    explicit Impl(EngineOptions options) : options_(std::move(options)) {
        init_curl_once();
        options_.max_concurrent = std::max(options_.max_concurrent, 1);
        epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
        if (epoll_fd_ < 0) {
            throw std::runtime_error("could not create an epoll descriptor for HTTP transfers");
        }
        multi_ = curl_multi_init();
        if (multi_ == nullptr) {
            close(epoll_fd_);
            throw std::runtime_error("could not create a libcurl multi handle");
        }
        curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
        curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
        curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &Impl::on_timer);
        curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
        curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
        apply_connection_limits();
    }

    ~Impl() {
        for (auto& [id, transfer] : active_) {
            curl_multi_remove_handle(multi_, transfer->easy());
            curl_easy_cleanup(transfer->easy());
        }
        active_.clear();
        for (CURL* easy : spare_handles_) {
            curl_easy_cleanup(easy);
        }
        curl_multi_cleanup(multi_);
        close(epoll_fd_);
    }

    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    bool submit(Request request) {
        if (active_.count(request.id) != 0 || !queued_ids_.insert(request.id).second) {
            return false;
        }
        // The timeout counts from now: waiting for a free slot is part of it.
        const Clock::time_point now = Clock::now();
        const Clock::time_point deadline = now + std::chrono::milliseconds(std::clamp<int64_t>(
                                                     request.timeout_ms, 1, kLongestTimeout.count()));
        deadlines_.emplace(deadline, request.id);
        queue_.push_back({std::move(request), now, deadline});
        start_queued();
        return true;
    }

    bool abort(int64_t id) {
        if (const auto found = active_.find(id); found != active_.end()) {
            stop(std::move(active_.extract(found).mapped()));
            start_queued();
            return true;
        }
        if (queued_ids_.erase(id) == 0) {
            return false;
        }
        const auto queued =
            std::find_if(queue_.begin(), queue_.end(), [&](const Queued& q) { return q.request.id == id; });
        if (queued != queue_.end()) {
            deadlines_.erase({queued->deadline, id});
            queue_.erase(queued);
        }
        complete_without_transfer(id, ErrorKind::Aborted, "the request was cancelled");
        return true;
    }

    size_t abort_all() {
        // Queued ones first, so that aborting in-flight ones does not start them.
        size_t count = 0;
        while (!queue_.empty()) {
            const int64_t id = queue_.front().request.id;
            deadlines_.erase({queue_.front().deadline, id});
            queue_.pop_front();
            queued_ids_.erase(id);
            complete_without_transfer(id, ErrorKind::Aborted, "the request was cancelled");
            ++count;
        }
        count += active_.size();
        while (!active_.empty()) {
            stop(std::move(active_.extract(active_.begin()).mapped()));
        }
        return count;
    }

    int wait_fd() const { return epoll_fd_; }

    long timeout_ms() const {
        std::optional<Clock::time_point> next = deadline_;
        if (!deadlines_.empty()) {
            const Clock::time_point overdue = deadlines_.begin()->first + kDeadlineGrace;
            next = next ? std::min(*next, overdue) : overdue;
        }
        if (!next) {
            return -1;
        }
        return std::max(milliseconds_between(Clock::now(), *next), 0L);
    }

    void step() {
        const AsyncSignalsBlocked blocked;
        for (int round = 0; round < kRoundsPerStep; ++round) {
            epoll_event events[kEventsPerRound];
            const int ready = epoll_wait(epoll_fd_, events, kEventsPerRound, 0);
            for (int i = 0; i < ready; ++i) {
                const uint32_t what = events[i].events;
                socket_action(events[i].data.fd, (what & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0,
                              (what & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0, (what & EPOLLERR) != 0);
            }
            if (ready < kEventsPerRound) {
                break;
            }
        }
        // A due timer; starting queued transfers sets a 0 ms timer, which is
        // handled here too rather than after another round trip.
        for (int round = 0; round < kRoundsPerStep && curl_timer_due(); ++round) {
            on_timeout();
        }
        finish_completed();
        end_overdue();
    }

    std::vector<WatchedSocket> sockets() const {
        std::vector<WatchedSocket> out;
        out.reserve(sockets_.size());
        for (const auto& [fd, what] : sockets_) {
            out.push_back({fd, what == CURL_POLL_IN || what == CURL_POLL_INOUT,
                           what == CURL_POLL_OUT || what == CURL_POLL_INOUT});
        }
        return out;
    }

    uint64_t sockets_generation() const { return sockets_generation_; }

    void on_socket_ready(int fd, bool readable, bool writable) {
        const AsyncSignalsBlocked blocked;
        socket_action(fd, readable, writable, false);
        finish_completed();
        end_overdue();
    }

    void on_timeout() {
        const AsyncSignalsBlocked blocked;
        deadline_.reset();  // libcurl sets a new one from inside the call if it needs it
        int running = 0;
        curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
        if (!deadline_) {
            // libcurl only calls the timer callback when its next expiry
            // changes: called a little early, it may keep the one we just
            // dropped. Ask, so a pending timeout is never lost.
            long next_ms = -1;
            curl_multi_timeout(multi_, &next_ms);
            if (next_ms >= 0) {
                deadline_ = Clock::now() + std::chrono::milliseconds(next_ms);
            }
        }
        finish_completed();
        end_overdue();
    }

    std::vector<Result> take_results() { return std::exchange(results_, {}); }

    size_t run_until_idle(std::chrono::milliseconds max_wait) {
        const auto give_up = Clock::now() + max_wait;
        step();
        while (!idle()) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(give_up - Clock::now()).count();
            if (left <= 0) {
                break;
            }
            const long timer = timeout_ms();
            const int wait = static_cast<int>(timer < 0 ? left : std::min<int64_t>(timer, left));
            epoll_event event{};
            epoll_wait(epoll_fd_, &event, 1, wait);  // only to sleep; step() reads the events
            step();
        }
        return queue_.size() + active_.size();
    }

    bool idle() const { return queue_.empty() && active_.empty(); }

    EngineStats stats() const {
        EngineStats stats;
        stats.queued = queue_.size();
        stats.in_flight = active_.size();
        stats.peak_in_flight = peak_in_flight_;
        stats.completed = completed_;
        stats.connections_opened = connections_opened_;
        return stats;
    }

    void set_max_concurrent(int max_concurrent) {
        options_.max_concurrent = std::max(max_concurrent, 1);
        apply_connection_limits();
        start_queued();
    }

    void set_policy(ConnectionPolicy policy) { options_.policy = std::move(policy); }
    void set_user_agent(std::string user_agent) { options_.user_agent = std::move(user_agent); }

private:
    // A request waiting for a free slot.
    struct Queued {
        Request request;
        Clock::time_point submitted;
        Clock::time_point deadline;  // submitted + its timeout
    };

    EngineOptions options_;
    CURLM* multi_ = nullptr;
    int epoll_fd_ = -1;
    std::deque<Queued> queue_;
    std::unordered_set<int64_t> queued_ids_;
    std::unordered_map<int64_t, std::unique_ptr<Transfer>> active_;
    std::vector<CURL*> spare_handles_;
    std::vector<Result> results_;
    std::map<int, int> sockets_;  // fd -> CURL_POLL_IN/OUT/INOUT
    uint64_t sockets_generation_ = 0;
    std::optional<Clock::time_point> deadline_;  // libcurl's timer
    // Every unfinished request's deadline, queued or in flight: the engine's
    // own guarantee that none outlives its timeout.
    std::set<std::pair<Clock::time_point, int64_t>> deadlines_;
    size_t peak_in_flight_ = 0;
    uint64_t completed_ = 0;
    uint64_t connections_opened_ = 0;

    // Open connections never exceed the transfers we allow in flight;
    // libcurl's per-host limit is no lower, because a transfer it parks
    // internally would see its timeout run while it waits. The connection
    // cache keeps as many idle connections alive for reuse.
    void apply_connection_limits() {
        const long limit = options_.max_concurrent;
        curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, limit);
        curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, limit);
        curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, limit);
    }

    void socket_action(int fd, bool readable, bool writable, bool error) {
        int mask = (readable ? CURL_CSELECT_IN : 0) | (writable ? CURL_CSELECT_OUT : 0) |
                   (error ? CURL_CSELECT_ERR : 0);
        int running = 0;
        curl_multi_socket_action(multi_, fd, mask, &running);
    }

    bool curl_timer_due() const { return deadline_ && *deadline_ <= Clock::now(); }

    // Ends an in-flight transfer with ErrorKind::Aborted (closing its connection).
    void stop(std::unique_ptr<Transfer> transfer) {
        curl_multi_remove_handle(multi_, transfer->easy());
        deadlines_.erase({transfer->deadline(), transfer->id()});
        results_.push_back(transfer->aborted());
        ++completed_;
        recycle(transfer->easy());
    }

    // Ends, as timed out, every request past its deadline that libcurl did
    // not end itself (one it parked, or one still waiting for a slot).
    void end_overdue() {
        const Clock::time_point now = Clock::now();
        bool ended_any = false;
        while (!deadlines_.empty() && deadlines_.begin()->first + kDeadlineGrace <= now) {
            const int64_t id = deadlines_.begin()->second;
            deadlines_.erase(deadlines_.begin());
            ended_any = true;
            if (const auto found = active_.find(id); found != active_.end()) {
                std::unique_ptr<Transfer> transfer = std::move(active_.extract(found).mapped());
                curl_multi_remove_handle(multi_, transfer->easy());
                results_.push_back(transfer->timed_out());
                ++completed_;
                recycle(transfer->easy());
                continue;
            }
            const auto queued = std::find_if(queue_.begin(), queue_.end(),
                                             [&](const Queued& q) { return q.request.id == id; });
            if (queued != queue_.end()) {
                const long waited = milliseconds_between(queued->submitted, now);
                queue_.erase(queued);
                queued_ids_.erase(id);
                complete_without_transfer(id, ErrorKind::Timeout,
                                          "timed out after " + std::to_string(waited) +
                                              " milliseconds waiting for a free transfer slot");
            }
        }
        if (ended_any) {
            start_queued();
        }
    }

    void complete_without_transfer(int64_t id, ErrorKind error, std::string message) {
        Result result;
        result.id = id;
        result.error = error;
        result.error_message = std::move(message);
        results_.push_back(std::move(result));
        ++completed_;
    }

    CURL* take_handle() {
        if (spare_handles_.empty()) {
            return curl_easy_init();
        }
        CURL* easy = spare_handles_.back();
        spare_handles_.pop_back();
        return easy;
    }

    // Keeps a finished handle for the next transfer (it keeps no
    // connection; the multi handle's cache does).
    void recycle(CURL* easy) {
        if (spare_handles_.size() >= static_cast<size_t>(options_.max_concurrent)) {
            curl_easy_cleanup(easy);
            return;
        }
        curl_easy_reset(easy);
        spare_handles_.push_back(easy);
    }

    void start_queued() {
        while (!queue_.empty() && active_.size() < static_cast<size_t>(options_.max_concurrent)) {
            Queued queued = std::move(queue_.front());
            queue_.pop_front();
            queued_ids_.erase(queued.request.id);
            start(std::move(queued));
        }
    }

    void start(Queued queued) {
        const int64_t id = queued.request.id;
        // libcurl gets what is left of the timeout (at least 1 ms; end_overdue
        // ends a request whose time is already up).
        queued.request.timeout_ms = std::max(milliseconds_between(Clock::now(), queued.deadline), 1L);
        CURL* easy = take_handle();
        if (easy == nullptr) {
            deadlines_.erase({queued.deadline, id});
            complete_without_transfer(id, ErrorKind::Other, "out of memory for a new transfer");
            return;
        }
        const TransferContext context{&options_.policy, &options_.user_agent, &options_.ca_file,
                                      &connections_opened_};
        auto transfer =
            std::make_unique<Transfer>(std::move(queued.request), context, queued.submitted, queued.deadline);
        if (auto problem = transfer->configure(easy)) {
            deadlines_.erase({queued.deadline, id});
            complete_without_transfer(id, ErrorKind::InvalidRequest, std::move(*problem));
            recycle(easy);
            return;
        }
        if (curl_multi_add_handle(multi_, easy) != CURLM_OK) {
            deadlines_.erase({queued.deadline, id});
            complete_without_transfer(id, ErrorKind::Other, "libcurl refused a new transfer");
            recycle(easy);
            return;
        }
        active_.emplace(id, std::move(transfer));
        peak_in_flight_ = std::max(peak_in_flight_, active_.size());
    }

    void finish_completed() {
        bool finished_any = false;
        int left = 0;
        while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
            if (message->msg != CURLMSG_DONE) {
                continue;
            }
            CURL* easy = message->easy_handle;
            const CURLcode code = message->data.result;  // read before the handle is removed
            void* owner = nullptr;
            curl_easy_getinfo(easy, CURLINFO_PRIVATE, &owner);
            const auto found =
                owner != nullptr ? active_.find(static_cast<Transfer*>(owner)->id()) : active_.end();
            curl_multi_remove_handle(multi_, easy);
            if (found != active_.end()) {
                deadlines_.erase({found->second->deadline(), found->second->id()});
                results_.push_back(found->second->finish(code));
                ++completed_;
            }
            recycle(easy);  // before the Transfer goes: the handle points into it until reset
            if (found != active_.end()) {
                active_.erase(found);
            }
            finished_any = true;
        }
        if (finished_any) {
            start_queued();
        }
    }

    // libcurl callbacks: record what to watch; never throw.
    static int on_socket(CURL* /*easy*/, curl_socket_t fd, int what, void* self, void* /*socket_data*/) {
        auto* impl = static_cast<Impl*>(self);
        try {
            return impl->watch(fd, what) ? 0 : -1;
        } catch (...) {
            return -1;  // libcurl then fails the transfers rather than leaving them hanging
        }
    }

    static int on_timer(CURLM* /*multi*/, long timeout_ms, void* self) {
        auto* impl = static_cast<Impl*>(self);
        if (timeout_ms < 0) {
            impl->deadline_.reset();
        } else {
            impl->deadline_ = Clock::now() + std::chrono::milliseconds(timeout_ms);
        }
        return 0;
    }

    bool watch(curl_socket_t fd, int what) {
        ++sockets_generation_;
        if (what == CURL_POLL_REMOVE) {
            sockets_.erase(fd);
            epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);  // may already be gone with the socket
            return true;
        }
        epoll_event event{};
        event.data.fd = fd;
        event.events = (what == CURL_POLL_IN || what == CURL_POLL_INOUT ? EPOLLIN : 0u) |
                       (what == CURL_POLL_OUT || what == CURL_POLL_INOUT ? EPOLLOUT : 0u);
        const bool known = sockets_.count(fd) != 0;
        sockets_[fd] = what;
        if (epoll_ctl(epoll_fd_, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event) == 0) {
            return true;
        }
        // Our view and the kernel's disagreed (a reused descriptor number).
        return epoll_ctl(epoll_fd_, known ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event) == 0;
    }
};

Engine::Engine(EngineOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Engine::~Engine() = default;

bool Engine::submit(Request request) {
    return impl_->submit(std::move(request));
}
bool Engine::abort(int64_t id) {
    return impl_->abort(id);
}
size_t Engine::abort_all() {
    return impl_->abort_all();
}
int Engine::wait_fd() const {
    return impl_->wait_fd();
}
long Engine::timeout_ms() const {
    return impl_->timeout_ms();
}
void Engine::step() {
    impl_->step();
}
std::vector<WatchedSocket> Engine::sockets() const {
    return impl_->sockets();
}
uint64_t Engine::sockets_generation() const {
    return impl_->sockets_generation();
}
void Engine::on_socket_ready(int fd, bool readable, bool writable) {
    impl_->on_socket_ready(fd, readable, writable);
}
void Engine::on_timeout() {
    impl_->on_timeout();
}
std::vector<Result> Engine::take_results() {
    return impl_->take_results();
}
size_t Engine::run_until_idle(std::chrono::milliseconds max_wait) {
    return impl_->run_until_idle(max_wait);
}
bool Engine::idle() const {
    return impl_->idle();
}
EngineStats Engine::stats() const {
    return impl_->stats();
}
void Engine::set_max_concurrent(int max_concurrent) {
    impl_->set_max_concurrent(max_concurrent);
}
void Engine::set_policy(ConnectionPolicy policy) {
    impl_->set_policy(std::move(policy));
}
void Engine::set_user_agent(std::string user_agent) {
    impl_->set_user_agent(std::move(user_agent));
}

}  // namespace pg_jobs::http
