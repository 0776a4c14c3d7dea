// pg_jobs_web: live updates. One thread and one connection per server, with
// the dashboard's own role, LISTEN on jobs_events and poll a cheap change
// marker; every open page (a Server-Sent Events stream) is told when a
// server changed, never what changed: each page then asks again through its
// own signed-in session, so it sees only what its role may see.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "web/options.hpp"

namespace pg_jobs_web {

class Subscriber {
public:
    void push(const std::string& message);
    // Waits up to the timeout; returns the messages that arrived (maybe none).
    std::vector<std::string> wait(std::chrono::milliseconds timeout);

private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::string> messages_;
};

class LiveHub {
public:
    LiveHub(std::vector<Server> servers, int poll_milliseconds);
    ~LiveHub();
    LiveHub(const LiveHub&) = delete;
    LiveHub& operator=(const LiveHub&) = delete;

    void start();
    void stop();
    std::shared_ptr<Subscriber> subscribe();
    void unsubscribe(const std::shared_ptr<Subscriber>& subscriber);
    // {"type":"status","servers":[{"server":..,"live":true}, ...]}
    std::string status_message();
    std::size_t subscribers();

private:
    void run(std::size_t index);
    void broadcast(const std::string& message);
    bool sleep_or_stop(std::chrono::milliseconds pause);

    std::vector<Server> servers_;
    int poll_milliseconds_;
    std::vector<std::thread> threads_;
    std::unique_ptr<std::atomic<bool>[]> connected_;
    // What the dashboard's own role sees of the server's processes (a signed-in
    // role without pg_read_all_stats cannot see the launcher in pg_stat_activity).
    std::unique_ptr<std::atomic<bool>[]> scheduler_up_;
    std::unique_ptr<std::atomic<int>[]> workers_;
    std::atomic<bool> stopping_{false};
    std::mutex stop_mutex_;
    std::condition_variable stop_signal_;
    std::mutex subscribers_mutex_;
    std::vector<std::shared_ptr<Subscriber>> subscribers_;
};

}  // namespace pg_jobs_web
