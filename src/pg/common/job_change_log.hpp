// Which jobs changed, from the committing sessions to the launcher: a ring
// of changed job ids in shared memory, so the launcher re-reads only those
// rows instead of the whole table. A change the ids cannot describe (no id
// given, too many in one transaction, the ring overrun before the launcher
// looked) asks for a full reload instead. Guarded by the "pg_jobs" LWLock.
#pragma once
#include "pg/common/pg_headers.hpp"

namespace pg_jobs::pg {

struct SchedulerShared;

struct JobChangeLog {
    static constexpr int kCapacity = 4096;
    uint64 published;     // ids written so far: ids[n % kCapacity] is the n-th
    uint64 full_reloads;  // bumped by each change that needs a full reload
    int64 ids[kCapacity];
};

// How far a reader has read.
struct JobChangeCursor {
    uint64 published = 0;
    uint64 full_reloads = 0;
};

// Publishes a committed transaction's changed jobs (`everything`: reload
// all). Called at commit: takes the LWLock briefly and cannot fail.
void publish_job_changes(SchedulerShared* shared, const int64* ids, int count, bool everything);

enum class JobChanges {
    None,        // nothing changed since the cursor
    Some,        // the jobs whose ids were copied out changed
    Everything,  // reload every job
};

// What changed since `cursor`, which moves to the end of the log. For Some,
// copies the ids (maybe repeated) into `ids`, which has room for
// JobChangeLog::kCapacity, and sets `count`.
JobChanges read_job_changes(SchedulerShared* shared, JobChangeCursor* cursor, int64* ids, int* count);

}  // namespace pg_jobs::pg
