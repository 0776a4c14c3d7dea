#include "web/stream_quota.hpp"

namespace pg_jobs_web {

StreamQuota::Verdict StreamQuota::take(const std::string& role) {
    const std::lock_guard<std::mutex> lock(mutex_);
    int& mine = open_by_role_[role];
    if (mine >= per_role_) {
        return Verdict::RoleFull;
    }
    if (open_ >= total_) {
        return Verdict::AllFull;
    }
    ++mine;
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
