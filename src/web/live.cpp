#include "web/live.hpp"

#include <sys/select.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "web/json.hpp"
#include "web/pg.hpp"

namespace pg_jobs_web {

namespace {

// Changes when a run is queued, starts or ends, and when a job is changed:
// the newest run, the runs in progress, the queue length and the newest
// audit row. Each part is an index scan.
const char* const change_marker_sql =
    "SELECT concat_ws(':', (SELECT max(execution_id) FROM jobs.job_execution),"
    " (SELECT string_agg(execution_id::text, ',' ORDER BY execution_id) FROM jobs.job_execution"
    "   WHERE status = 'running'),"
    " (SELECT count(*) FROM jobs.job_execution WHERE status = 'queued'),"
    " (SELECT max(audit_id) FROM jobs.job_audit)),"
    " EXISTS (SELECT FROM pg_catalog.pg_stat_activity WHERE backend_type = 'pg_jobs launcher'),"
    " (SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE backend_type = 'pg_jobs worker')";

// Fields of a jobs_events payload passed on to pages: the kind of event
// only, so no page learns of another role's job.
std::string event_kind(const std::string& payload) {
    const std::string key = "\"event\"";
    auto at = payload.find(key);
    if (at == std::string::npos) {
        return "change";
    }
    at = payload.find('"', payload.find(':', at + key.size()) + 1);
    if (at == std::string::npos) {
        return "change";
    }
    const auto end = payload.find('"', at + 1);
    std::string kind = payload.substr(at + 1, end == std::string::npos ? 0 : end - at - 1);
    const bool plain = !kind.empty() && kind.size() < 40 && std::all_of(kind.begin(), kind.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || c == '_';
    });
    return plain ? kind : "change";
}

}  // namespace

void Subscriber::push(const std::string& message) {
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (messages_.size() > 100) {
            messages_.pop_front();  // a stalled page: drop the oldest
        }
        messages_.push_back(message);
    }
    ready_.notify_all();
}

std::vector<std::string> Subscriber::wait(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait_for(lock, timeout, [this] { return !messages_.empty(); });
    std::vector<std::string> out(messages_.begin(), messages_.end());
    messages_.clear();
    return out;
}

LiveHub::LiveHub(std::vector<Server> servers, int poll_milliseconds)
    : servers_(std::move(servers)),
      poll_milliseconds_(poll_milliseconds),
      connected_(new std::atomic<bool>[servers_.size()]),
      scheduler_up_(new std::atomic<bool>[servers_.size()]),
      workers_(new std::atomic<int>[servers_.size()]) {
    for (std::size_t i = 0; i < servers_.size(); ++i) {
        connected_[i] = false;
        scheduler_up_[i] = false;
        workers_[i] = 0;
    }
}

LiveHub::~LiveHub() {
    stop();
}

void LiveHub::start() {
    for (std::size_t i = 0; i < servers_.size(); ++i) {
        threads_.emplace_back([this, i] { run(i); });
    }
}

void LiveHub::stop() {
    stopping_ = true;
    stop_signal_.notify_all();
    for (auto& thread : threads_) {
        if (thread.joinable()) {
            thread.join();
        }
    }
    threads_.clear();
}

std::shared_ptr<Subscriber> LiveHub::subscribe() {
    auto subscriber = std::make_shared<Subscriber>();
    const std::lock_guard<std::mutex> lock(subscribers_mutex_);
    subscribers_.push_back(subscriber);
    return subscriber;
}

void LiveHub::unsubscribe(const std::shared_ptr<Subscriber>& subscriber) {
    const std::lock_guard<std::mutex> lock(subscribers_mutex_);
    subscribers_.erase(std::remove(subscribers_.begin(), subscribers_.end(), subscriber), subscribers_.end());
}

std::size_t LiveHub::subscribers() {
    const std::lock_guard<std::mutex> lock(subscribers_mutex_);
    return subscribers_.size();
}

std::string LiveHub::status_message() {
    std::string message = "{\"type\":\"status\",\"servers\":[";
    for (std::size_t i = 0; i < servers_.size(); ++i) {
        message += i == 0 ? "" : ",";
        message += "{\"server\":" + json_string(servers_[i].name) +
                   ",\"live\":" + (connected_[i].load() ? "true" : "false") + ",\"scheduler_up\":" +
                   (connected_[i].load() && scheduler_up_[i].load() ? "true" : "false") +
                   ",\"workers\":" + std::to_string(workers_[i].load()) + "}";
    }
    return message + "]}";
}

void LiveHub::broadcast(const std::string& message) {
    const std::lock_guard<std::mutex> lock(subscribers_mutex_);
    for (const auto& subscriber : subscribers_) {
        subscriber->push(message);
    }
}

bool LiveHub::sleep_or_stop(std::chrono::milliseconds pause) {
    std::unique_lock<std::mutex> lock(stop_mutex_);
    return stop_signal_.wait_for(lock, pause, [this] { return stopping_.load(); });
}

void LiveHub::run(std::size_t index) {
    const Server& server = servers_[index];
    const std::string name = json_string(server.name);
    auto pause = std::chrono::milliseconds(500);
    while (!stopping_) {
        Conn conn = connect_plain(server.conninfo);
        if (conn) {
            Result listen(PQexec(conn.get(), "LISTEN jobs_events"));
            if (PQresultStatus(listen.get()) != PGRES_COMMAND_OK) {
                std::cerr << "pg_jobs_web: server " << server.name
                          << ": LISTEN failed: " << PQerrorMessage(conn.get());
                conn.reset();
            }
        } else {
            std::cerr << "pg_jobs_web: server " << server.name
                      << ": live-update connection failed; retrying\n";
        }
        if (!conn) {
            if (connected_[index].exchange(false)) {
                broadcast(status_message());
            }
            if (sleep_or_stop(pause)) {
                return;
            }
            pause = std::min(pause * 2, std::chrono::milliseconds(10000));
            continue;
        }
        pause = std::chrono::milliseconds(500);
        connected_[index] = true;
        broadcast(status_message());
        std::string marker;
        auto next_poll = std::chrono::steady_clock::now();
        while (!stopping_ && PQstatus(conn.get()) == CONNECTION_OK) {
            const auto now = std::chrono::steady_clock::now();
            if (now >= next_poll) {
                Result result(PQexec(conn.get(), change_marker_sql));
                if (PQresultStatus(result.get()) == PGRES_TUPLES_OK && PQntuples(result.get()) == 1) {
                    std::string value = PQgetvalue(result.get(), 0, 0);
                    const bool up = std::string(PQgetvalue(result.get(), 0, 1)) == "t";
                    workers_[index] = std::atoi(PQgetvalue(result.get(), 0, 2));
                    if (scheduler_up_[index].exchange(up) != up) {
                        broadcast(status_message());
                    }
                    if (!marker.empty() && value != marker) {
                        broadcast("{\"type\":\"change\",\"server\":" + name + ",\"event\":\"poll\"}");
                    }
                    marker = value;
                } else if (PQstatus(conn.get()) != CONNECTION_OK) {
                    break;
                }
                next_poll = now + std::chrono::milliseconds(poll_milliseconds_);
            }
            // Wait for a notification, the next poll, or (within 250 ms) a stop.
            const int socket = PQsocket(conn.get());
            fd_set readable;
            FD_ZERO(&readable);
            FD_SET(socket, &readable);
            const auto left = std::chrono::duration_cast<std::chrono::microseconds>(next_poll - now);
            const long wait_us = std::max<long>(1000, std::min<long>(left.count(), 250000));
            timeval timeout{wait_us / 1000000, wait_us % 1000000};
            if (select(socket + 1, &readable, nullptr, nullptr, &timeout) < 0) {
                continue;
            }
            if (PQconsumeInput(conn.get()) == 0) {
                break;
            }
            while (PGnotify* notify = PQnotifies(conn.get())) {
                const std::string payload = notify->extra == nullptr ? "" : notify->extra;
                PQfreemem(notify);
                broadcast("{\"type\":\"change\",\"server\":" + name +
                          ",\"event\":" + json_string(event_kind(payload)) + "}");
            }
        }
        connected_[index] = false;
        if (!stopping_) {
            std::cerr << "pg_jobs_web: server " << server.name << ": lost the live-update connection\n";
            broadcast(status_message());
        }
    }
}

}  // namespace pg_jobs_web
