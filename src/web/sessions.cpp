#include "web/sessions.hpp"

#include <fstream>
#include <stdexcept>

namespace pg_jobs_web {

std::string random_token() {
    std::ifstream random("/dev/urandom", std::ios::binary);
    unsigned char bytes[32];
    if (!random.read(reinterpret_cast<char*>(bytes), sizeof bytes)) {
        throw std::runtime_error("cannot read /dev/urandom");
    }
    static const char* const hex = "0123456789abcdef";
    std::string token;
    for (const unsigned char byte : bytes) {
        token += hex[byte >> 4];
        token += hex[byte & 0xf];
    }
    return token;
}

bool same_secret(const std::string& a, const std::string& b) {
    if (a.size() != b.size() || a.empty()) {
        return false;
    }
    unsigned char difference = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    }
    return difference == 0;
}

std::string SessionStore::add(std::shared_ptr<Session> session) {
    std::string id = random_token();
    session->last_used = std::chrono::steady_clock::now();
    const std::lock_guard<std::mutex> lock(mutex_);
    std::size_t count = 0;
    auto oldest = sessions_.end();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
        if (it->second->role == session->role) {
            ++count;
            if (oldest == sessions_.end() || it->second->last_used < oldest->second->last_used) {
                oldest = it;
            }
        }
    }
    if (count >= max_per_role_ && oldest != sessions_.end()) {
        sessions_.erase(oldest);  // its connections close once no request uses them
    }
    sessions_[id] = std::move(session);
    return id;
}

std::shared_ptr<Session> SessionStore::find(const std::string& id) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) {
        return nullptr;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - it->second->last_used > idle_) {
        sessions_.erase(it);
        return nullptr;
    }
    it->second->last_used = now;
    return it->second;
}

bool SessionStore::alive(const std::string& id) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = sessions_.find(id);
    return it != sessions_.end() && std::chrono::steady_clock::now() - it->second->last_used <= idle_;
}

void SessionStore::remove(const std::string& id) {
    const std::lock_guard<std::mutex> lock(mutex_);
    sessions_.erase(id);
}

void SessionStore::expire() {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
        if (now - it->second->last_used > idle_) {
            it = sessions_.erase(it);
        } else {
            ++it;
        }
    }
}

std::size_t SessionStore::size() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return sessions_.size();
}

}  // namespace pg_jobs_web
