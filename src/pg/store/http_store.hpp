// The HTTP worker's SQL: claiming queued HTTP runs in batches, so the
// database is not what limits how many requests per second the worker
// completes (their outcomes are recorded in batches too, by
// record_http_outcomes in run_lifecycle.hpp). Each function runs inside the
// caller's transaction and may ereport.
#pragma once
#include "pg/common/pg_headers.hpp"

namespace pg_jobs::pg {

// A claimed run, ready to become a request. Everything is palloc'd in the
// context passed to claim_http_runs.
struct ClaimedHttpRun {
    int64 execution_id;
    const char* method;  // nullptr when the job no longer exists
    const char* url;
    const char* body_json;  // the job context sent as the request body (send => 'context')
    int header_count;
    const char** header_names;
    const char** header_values;
    int64 timeout_ms;
    int64 first_execution_id;  // of the first attempt (this one unless it is a retry)
    // The secrets of the job's owner that its header values refer to
    // ({{secret:NAME}}); the worker puts them in right before the request.
    int secret_count;
    const char** secret_names;
    const char** secret_values;
    // mail: send => 'body' and e-mail jobs.
    bool is_email;             // an e-mail run (method is then nullptr; smtp_url says whether the job exists)
    bool send_body;            // an HTTP run whose body is body_template filled from context_json
    const char* context_json;  // jobs.context() of the run, when a text is to be filled
    const char* body_template;  // the job's body as JSON text (send => 'body')
    const char* smtp_url;
    const char* mail_from;
    int mail_to_count;
    const char** mail_to;
    const char* mail_subject;
    const char* mail_body;
    const char* smtp_username;  // nullptr: no login; may hold {{secret:NAME}}
    const char* smtp_password;  // a {{secret:NAME}} reference
    // opts (issue 15): the job's run_if (nullptr: none), checked as `owner`.
    const char* run_if;
    Oid owner;
};

// Marks up to `limit` queued HTTP runs 'running' (oldest first, SKIP
// LOCKED) and returns them; *out is an array in `into`. *ended counts the
// runs the claim recorded skipped (past their starting deadline) or failed
// (payload beyond jobs.max_payload_size) instead: returned + *ended runs left
// the queue. Runs with a run_if of the `full_owners` are left queued (their
// owners' runs fill their share of the checks waiting in the worker).
int claim_http_runs(int limit, const Oid* full_owners, int full_owner_count, MemoryContext into,
                    ClaimedHttpRun** out, int* ended);

// The running HTTP runs of this worker that jobs.cancel marked (when the
// shared list of cancels overflowed); *out is an array in `into`.
int cancelled_http_runs(MemoryContext into, int64** out);

}  // namespace pg_jobs::pg
