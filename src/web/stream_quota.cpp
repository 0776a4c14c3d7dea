#include "web/stream_quota.hpp"

namespace pg_jobs_web {

StreamQuota::Verdict StreamQuota::take(const std::string& role) {
    const std::lock_guard<std::mutex> lock(mutex_);
    // Looked up, not inserted: a refused request leaves no entry behind.
    const auto it = open_by_role_.find(role);
    if (it != open_by_role_.end() && it->second >= per_role_) {
        return Verdict::RoleFull;
    }
    if (open_ >= total_) {
        return Verdict::AllFull;
    }
    ++open_by_role_[role];
    ++open_;
    return Verdict::Granted;
}

void StreamQuota::release(const std::string& role) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = open_by_role_.find(role);
    if (it == open_by_role_.end() || it->second == 0) {
        return;
    }
    --open_;
    if (--it->second == 0) {
        open_by_role_.erase(it);
    }
}

}  // namespace pg_jobs_web
