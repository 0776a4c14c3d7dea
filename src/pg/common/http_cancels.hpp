// Cancels of running HTTP runs on their way to the HTTP worker: jobs.cancel
// adds the execution id at commit (cancel_request.cpp), the worker takes
// them and aborts those transfers. In SchedulerShared, under its lock.
#pragma once
#include "pg/common/pg_headers.hpp"

namespace pg_jobs::pg {

struct HttpCancels {
    static constexpr int kCapacity = 64;
    int count;
    // More cancels arrived than fit: the worker looks up its runs whose
    // cancel_requested_by is set instead.
    bool overflowed;
    int64 execution_ids[kCapacity];
};

}  // namespace pg_jobs::pg
