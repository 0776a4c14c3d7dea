// What an SQL run keeps as its result (jobs.job_execution.result): the
// first row its command's last statement returned, as a JSON object keyed
// by column name (the worker renders it: pg/worker/run_result.hpp). Bounds
// that keep one large row from bloating the history and the worker mailboxes
// in shared memory; plain values, shared by the worker and the launcher.
#pragma once
#include <cstdint>

namespace pg_jobs {

// The longest result kept, in bytes of JSON text (in the encoding of
// jobs.database). A longer one is not kept: result stays NULL and error
// says so (kSqlResultOverLimitNote); the run still succeeds. It is never
// cut: a cut object is no longer JSON.
inline constexpr int kSqlResultMaxBytes = 8192;

// A first row whose values take more than this (as stored, uncompressed) is
// not rendered at all, and counts as over kSqlResultMaxBytes: no built-in
// type's text is 128 times shorter than its stored form, so its JSON would
// be far over the limit, and rendering it would only cost time and memory.
inline constexpr int64_t kSqlResultRenderMaxBytes = int64_t{128} * kSqlResultMaxBytes;

// What `error` holds for a succeeded run whose first row was over the limit.
inline constexpr const char* kSqlResultOverLimitNote =
    "result not kept: the first row the command returned is longer than 8192 bytes as JSON";

}  // namespace pg_jobs
