// pg_jobs_web: signed-in sessions. A session holds one libpq connection per
// server, opened as the signed-in role; the password is not kept.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "web/pg.hpp"

namespace pg_jobs_web {

struct Session {
    std::mutex mutex;  // one request at a time uses the connections
    std::string role;
    std::string csrf_token;
    bool read_only = false;
    std::map<std::string, Conn> connections;  // by server name; only servers that accepted the sign-in
    std::chrono::steady_clock::time_point last_used;
};

class SessionStore {
public:
    // A role keeps at most max_per_role sessions (each holds a connection
    // per server): signing in once more ends its least recently used one.
    SessionStore(std::chrono::seconds idle, std::size_t max_per_role)
        : idle_(idle), max_per_role_(max_per_role) {}

    // Returns the new session's id (the cookie's value).
    std::string add(std::shared_ptr<Session> session);
    // The session of this id if it has not been idle too long (and marks it used).
    std::shared_ptr<Session> find(const std::string& id);
    // Whether the session of this id is still there (without marking it used:
    // an open page's live stream does not keep its session alive).
    bool alive(const std::string& id);
    void remove(const std::string& id);
    // Drops the sessions idle too long, closing their connections.
    void expire();
    std::size_t size();

private:
    std::chrono::seconds idle_;
    std::size_t max_per_role_;
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Session>> sessions_;
};

// 32 random bytes from the kernel, as 64 hex digits.
std::string random_token();

// Compares two secrets in time that does not depend on where they differ.
bool same_secret(const std::string& a, const std::string& b);

}  // namespace pg_jobs_web
