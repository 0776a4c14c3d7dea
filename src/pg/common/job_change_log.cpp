// The shared ring of changed job ids; see job_change_log.hpp.
#include "pg/common/job_change_log.hpp"

#include "pg/common/shmem.hpp"

namespace pg_jobs::pg {

void publish_job_changes(SchedulerShared* shared, const int64* ids, int count, bool everything) {
    JobChangeLog& log = shared->job_changes;
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    if (everything || count > JobChangeLog::kCapacity) {
        ++log.full_reloads;
    } else {
        for (int i = 0; i < count; ++i) {
            log.ids[log.published % JobChangeLog::kCapacity] = ids[i];
            ++log.published;
        }
    }
    LWLockRelease(shared->lock);
}

JobChanges read_job_changes(SchedulerShared* shared, JobChangeCursor* cursor, int64* ids, int* count) {
    const JobChangeLog& log = shared->job_changes;
    JobChanges changes = JobChanges::None;
    *count = 0;
    LWLockAcquire(shared->lock, LW_SHARED);
    const uint64 unread = log.published - cursor->published;
    if (log.full_reloads != cursor->full_reloads || unread > JobChangeLog::kCapacity) {
        changes = JobChanges::Everything;  // asked for, or overrun: ids were lost
    } else if (unread > 0) {
        changes = JobChanges::Some;
        for (uint64 n = cursor->published; n < log.published; ++n) {
            ids[(*count)++] = log.ids[n % JobChangeLog::kCapacity];
        }
    }
    cursor->published = log.published;
    cursor->full_reloads = log.full_reloads;
    LWLockRelease(shared->lock);
    return changes;
}

}  // namespace pg_jobs::pg
