// pg_jobs_web: how many live streams (/api/events) may be open at once. Each
// open stream holds one of the server's threads for as long as it lasts, so
// without a limit one signed-in role could hold every thread and stop the
// dashboard for everyone. A role gets at most per_role streams (its tabs),
// and all roles together at most a quarter of the threads, so requests
// always find threads left.
#pragma once

#include <map>
#include <mutex>
#include <string>

namespace pg_jobs_web {

class StreamQuota {
public:
    StreamQuota(int per_role, int total) : per_role_(per_role), total_(total) {}

    enum class Verdict { Granted, RoleFull, AllFull };

    // Takes a stream for `role` if both limits allow; release it with release().
    Verdict take(const std::string& role);
    void release(const std::string& role);

    int per_role() const { return per_role_; }
    int total() const { return total_; }

private:
    const int per_role_;
    const int total_;
    std::mutex mutex_;
    int open_ = 0;
    std::map<std::string, int> open_by_role_;
};

}  // namespace pg_jobs_web
